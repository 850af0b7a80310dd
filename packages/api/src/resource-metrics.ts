// metrics.k8s.io/v1beta1, the resource metrics API kubectl top and the HPA read: NodeMetrics
// and PodMetrics, made from the usage each agent reports on its Node (scheduling/node-usage.ts
// reads the annotations). Kubernetes gets these from metrics-server; Tugboat's API server
// serves them itself from its node cache, so there is nothing to store and nothing to write.
//
//   Node annotations ──parseNodeUsage──▶ nodeMetrics(node)          NodeMetrics (cluster)
//                                   └──▶ podMetrics(nodes, pods)    PodMetrics (namespaced, pod's labels)
import { formatBytes, formatMilliCpu } from './quantity.js';
import { parseNodeUsage, type PodUsage, type ResourceUsage } from './scheduling/node-usage.js';
import { parseDuration } from './time.js';
import { isNodeReady, type WithNodeConditions } from './node-ready.js';
import type { KindInfo } from './kinds.js';
import type { KubeObject, ObjectMeta } from './types.js';

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_API_VERSION = 'metrics.k8s.io/v1beta1';

/**
 * The two kinds of the group. They are not in KINDS: they share their resource names with
 * core nodes and pods, are never stored, and answer only get and list.
 */
export const METRICS_KINDS: readonly KindInfo[] = [
  { kind: 'NodeMetrics', apiVersion: METRICS_API_VERSION, group: METRICS_GROUP, resource: 'nodes', singular: '', shortNames: [], namespaced: false },
  { kind: 'PodMetrics', apiVersion: METRICS_API_VERSION, group: METRICS_GROUP, resource: 'pods', singular: '', shortNames: [], namespaced: true },
];

/** The gRPC `resource` names of the two (the group-qualified names kubectl also accepts). */
export const NODE_METRICS_RESOURCE = 'nodes.metrics.k8s.io';
export const POD_METRICS_RESOURCE = 'pods.metrics.k8s.io';

/** `nodes.metrics.k8s.io` → NodeMetrics, `pods.metrics.k8s.io` → PodMetrics; anything else: undefined. */
export function metricsKindOf(resource: string): KindInfo | undefined {
  return METRICS_KINDS.find((k) => `${k.resource}.${k.group}` === resource);
}

export type Usage = { cpu: string; memory: string };

export interface NodeMetrics extends KubeObject {
  kind: 'NodeMetrics';
  apiVersion: typeof METRICS_API_VERSION;
  metadata: ObjectMeta;
  timestamp: string;
  window: string;
  usage: Usage;
}

export interface ContainerMetrics { name: string; usage: Usage }

export interface PodMetrics extends KubeObject {
  kind: 'PodMetrics';
  apiVersion: typeof METRICS_API_VERSION;
  metadata: ObjectMeta;
  timestamp: string;
  window: string;
  containers: ContainerMetrics[];
}

/**
 * The agents compute cpu as the rate between two samples one report apart: the window is
 * the agent's --node-status-interval, 10 s unless the report says otherwise.
 */
export const DEFAULT_METRICS_WINDOW = '10s';

function usageOf(u: ResourceUsage): Usage {
  return { cpu: formatMilliCpu(Math.round(u.cpuMilli)), memory: formatBytes(Math.round(u.memory)) };
}

interface Report { timestamp: string; window: string; node: ResourceUsage | undefined; pods: ReadonlyMap<string, PodUsage> }

/**
 * A node's report, unless it is missing, unreadable, or too old at `now`: a dead agent's last
 * figures must not keep steering autoscalers (metrics-server drops them likewise). Too old is
 * `maxAgeMs`, or twice that while the node is Ready: a live agent writes unchanged figures
 * again only every 5 minutes (its report interval), so their timestamp is when they were
 * measured first, and they are still what it measures.
 */
function reportOf(node: KubeObject, now: Date, maxAgeMs: number): Report | undefined {
  const parsed = parseNodeUsage(node.metadata?.annotations);
  if (!parsed || !('report' in parsed)) return undefined;
  const { timestampMs, node: usage, pods } = parsed.report;
  const limit = isNodeReady(node as WithNodeConditions) ? 2 * maxAgeMs : maxAgeMs;
  if (Number.isNaN(timestampMs) || now.getTime() - timestampMs > limit) return undefined;
  return { timestamp: new Date(timestampMs).toISOString(), window: parsed.report.window ?? DEFAULT_METRICS_WINDOW, node: usage, pods };
}

/** How old a report may be: three minutes, as metrics-server keeps a node's last scrape (a Ready node's: twice that). */
export const METRICS_MAX_AGE_MS = 3 * 60_000;

/** Pure: the node's NodeMetrics, or undefined when it has no fresh report. */
export function nodeMetrics(node: KubeObject, now: Date, maxAgeMs = METRICS_MAX_AGE_MS): NodeMetrics | undefined {
  const r = reportOf(node, now, maxAgeMs);
  if (!r?.node) return undefined;
  return {
    kind: 'NodeMetrics', apiVersion: METRICS_API_VERSION,
    metadata: { name: node.metadata?.name ?? '', creationTimestamp: now.toISOString(), ...(node.metadata?.labels ? { labels: node.metadata.labels } : {}) },
    timestamp: r.timestamp, window: r.window, usage: usageOf(r.node),
  };
}

/**
 * Pure: PodMetrics for each of `pods` that a fresh node report covers, carrying the pod's
 * labels (so a label selector picks them as it picks the pods). A pod reported by two nodes
 * (it moved) takes the newer report.
 */
export function podMetrics(nodes: Iterable<KubeObject>, pods: Iterable<KubeObject>, now: Date, maxAgeMs = METRICS_MAX_AGE_MS): PodMetrics[] {
  const latest = new Map<string, { report: Report; usage: PodUsage }>();
  for (const node of nodes) {
    const r = reportOf(node, now, maxAgeMs);
    if (!r) continue;
    for (const [key, usage] of r.pods) {
      const seen = latest.get(key);
      if (!seen || seen.report.timestamp < r.timestamp) latest.set(key, { report: r, usage });
    }
  }
  const out: PodMetrics[] = [];
  for (const pod of pods) {
    const m = pod.metadata ?? {};
    const key = `${m.namespace ?? ''}/${m.name ?? ''}`;
    const found = latest.get(key);
    if (!found) continue;
    // A report without per-container figures still gives the pod's total, as one entry.
    const listed = found.usage.containers;
    const containers: ContainerMetrics[] = listed
      ? [...listed].map(([name, u]) => ({ name, usage: usageOf(u) })).sort((a, b) => a.name.localeCompare(b.name))
      : [{ name: m.name ?? '', usage: usageOf(found.usage) }];
    out.push({
      kind: 'PodMetrics', apiVersion: METRICS_API_VERSION,
      metadata: { name: m.name ?? '', namespace: m.namespace ?? '', creationTimestamp: now.toISOString(), ...(m.labels ? { labels: m.labels } : {}) },
      timestamp: found.report.timestamp, window: found.report.window, containers,
    });
  }
  return out;
}

/** A window such as "10s" or "1m30s" in milliseconds (a metrics object's `window`); 0 when unreadable. */
export function metricsWindowMs(window: string): number {
  try {
    return parseDuration(window);
  } catch {
    return 0;
  }
}
