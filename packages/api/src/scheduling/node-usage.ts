// The cpu and memory in use that each agent reports on its Node (the agent's node/usage.ts
// writes them every --node-status-interval, 10 s by default), read back as numbers. The format
// is a contract between the agent and its readers (the scheduler's load-aware score, tctl top):
//
//   metadata.annotations[tugboat.io/usage]      {"cpu":"250m","memory":"512Mi","timestamp":"…Z"}
//   metadata.annotations[tugboat.io/pod-usage]  {"ns/name":{"cpu":"…","memory":"…","containers":{…}},…}
import { parseQuantity } from '../quantity.js';

export const NODE_USAGE_ANNOTATION = 'tugboat.io/usage';
export const POD_USAGE_ANNOTATION = 'tugboat.io/pod-usage';

export interface ResourceUsage {
  /** Thousandths of a core. */
  readonly cpuMilli: number;
  /** Bytes (working set). */
  readonly memory: number;
}

/** A pod's usage, with its containers' where the agent listed them (by container name). */
export interface PodUsage extends ResourceUsage {
  readonly containers?: ReadonlyMap<string, ResourceUsage>;
}

export interface NodeUsageReport {
  /** When the agent measured, ms since the epoch; NaN when the report does not say. */
  readonly timestampMs: number;
  /** The window the figures cover ("10s"), when the report says. */
  readonly window?: string;
  /** The whole node (on hosts shared by several agents: the whole host). */
  readonly node: ResourceUsage | undefined;
  /** Each pod the agent saw running, by "namespace/name". */
  readonly pods: ReadonlyMap<string, PodUsage>;
}

/** No report (`undefined`), a report, or why the annotations could not be read. */
export type NodeUsageParse = { readonly report: NodeUsageReport } | { readonly error: string } | undefined;

const NO_PODS: ReadonlyMap<string, PodUsage> = new Map();

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function usageAt(raw: unknown, path: string): ResourceUsage {
  if (!isObject(raw)) throw new Error(`${path}: must be an object with cpu and memory`);
  const quantity = (name: 'cpu' | 'memory'): number => {
    const v = raw[name];
    if (v === undefined) return 0;
    if (typeof v !== 'string' && typeof v !== 'number') throw new Error(`${path}.${name}: must be a quantity`);
    try {
      const q = parseQuantity(v);
      return name === 'cpu' ? q.milliValue() : q.value();
    } catch (e) {
      throw new Error(`${path}.${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  return { cpuMilli: Math.max(0, quantity('cpu')), memory: Math.max(0, quantity('memory')) };
}

function podUsageAt(raw: unknown, path: string): PodUsage {
  const total = usageAt(raw, path);
  const listed = (raw as Record<string, unknown>)['containers'];
  if (!isObject(listed)) return total;
  const containers = new Map<string, ResourceUsage>();
  for (const [name, u] of Object.entries(listed)) containers.set(name, usageAt(u, `${path}.containers[${name}]`));
  return { ...total, containers };
}

function json(text: string, path: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`${path}: Invalid value: not JSON`);
  }
}

/** Pure: the usage report in a Node's annotations. */
export function parseNodeUsage(annotations: Readonly<Record<string, string>> | undefined): NodeUsageParse {
  const nodeText = annotations?.[NODE_USAGE_ANNOTATION];
  const podText = annotations?.[POD_USAGE_ANNOTATION];
  if (nodeText === undefined && podText === undefined) return undefined;
  try {
    let node: ResourceUsage | undefined;
    let timestampMs = Number.NaN;
    let window: string | undefined;
    if (nodeText !== undefined) {
      const path = `metadata.annotations[${NODE_USAGE_ANNOTATION}]`;
      const raw = json(nodeText, path);
      node = usageAt(raw, path);
      const ts = (raw as Record<string, unknown>)['timestamp'];
      if (ts !== undefined) {
        timestampMs = typeof ts === 'string' ? Date.parse(ts) : Number.NaN;
        if (Number.isNaN(timestampMs)) throw new Error(`${path}.timestamp: must be an RFC 3339 time`);
      }
      const w = (raw as Record<string, unknown>)['window'];
      if (typeof w === 'string') window = w;
    }
    let pods = NO_PODS;
    if (podText !== undefined) {
      const path = `metadata.annotations[${POD_USAGE_ANNOTATION}]`;
      const raw = json(podText, path);
      if (!isObject(raw)) throw new Error(`${path}: must be an object keyed by namespace/name`);
      const m = new Map<string, PodUsage>();
      for (const [key, u] of Object.entries(raw)) m.set(key, podUsageAt(u, `${path}[${key}]`));
      pods = m;
    }
    return { report: { timestampMs, ...(window !== undefined ? { window } : {}), node, pods } };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}
