// Pod requests, computed once when a pod enters the queue so the per-node loop only compares
// numbers. Kubernetes' rule (resource.PodRequests, aggregatePodAmount in @tugboat/api): the
// containers' and sidecars' sum, raised to the peak of the init phase, plus overhead.
// Unset requests count as 0 for fitting; for scoring, Kubernetes counts a container without
// requests as 100m cpu / 200Mi memory so that many "free" pods do not all pile onto one node.
import { aggregatePodAmount, parseQuantity, type Container, type Pod } from '@tugboat/api';

export interface Resources {
  cpuMilli: number;
  memory: number;
}

export const DEFAULT_NON_ZERO_CPU_MILLI = 100;
export const DEFAULT_NON_ZERO_MEMORY = 200 * 1024 * 1024;

export interface PodRequests {
  /** What the pod needs to fit: unset requests are 0. */
  requests: Resources;
  /** What scoring counts: unset requests are 100m / 200Mi per container. */
  nonZero: Resources;
}

type ResourceList = Record<string, string | number> | undefined;

function quantityOf(list: ResourceList, name: 'cpu' | 'memory', path: string): number | undefined {
  const raw = list?.[name];
  if (raw === undefined || raw === null) return undefined;
  try {
    const q = parseQuantity(raw);
    return name === 'cpu' ? q.milliValue() : q.value();
  } catch (e) {
    throw new Error(`${path}.${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** A container's cpu (millicores) and memory (bytes) requests; undefined where unset. */
function containerRequests(c: Container, path: string): { cpu: number | undefined; mem: number | undefined } {
  const req = c.resources?.requests as ResourceList;
  return { cpu: quantityOf(req, 'cpu', `${path}.resources.requests`), mem: quantityOf(req, 'memory', `${path}.resources.requests`) };
}

/** Throws an Error naming the field when a quantity does not parse. */
export function podRequests(pod: Pod): PodRequests {
  const spec = pod.spec;
  // Each container's quantities are parsed once, then aggregated four ways.
  const parsed = new Map<Container, { cpu: number | undefined; mem: number | undefined }>();
  const req = (c: Container, path: string): { cpu: number | undefined; mem: number | undefined } => {
    let r = parsed.get(c);
    if (!r) { r = containerRequests(c, path); parsed.set(c, r); }
    return r;
  };
  const requests: Resources = {
    cpuMilli: aggregatePodAmount(spec, (c, path) => req(c, path).cpu ?? 0),
    memory: aggregatePodAmount(spec, (c, path) => req(c, path).mem ?? 0),
  };
  const nonZero: Resources = {
    cpuMilli: aggregatePodAmount(spec, (c, path) => req(c, path).cpu ?? DEFAULT_NON_ZERO_CPU_MILLI),
    memory: aggregatePodAmount(spec, (c, path) => req(c, path).mem ?? DEFAULT_NON_ZERO_MEMORY),
  };
  const overhead = spec?.overhead as ResourceList;
  const oCpu = quantityOf(overhead, 'cpu', 'spec.overhead') ?? 0;
  const oMem = quantityOf(overhead, 'memory', 'spec.overhead') ?? 0;
  requests.cpuMilli += oCpu;
  requests.memory += oMem;
  nonZero.cpuMilli += oCpu;
  nonZero.memory += oMem;
  return { requests, nonZero };
}

/** A node's allocatable (falling back to capacity), cpu in millicores, memory in bytes. */
export function nodeAllocatable(status: { allocatable?: Record<string, string | number>; capacity?: Record<string, string | number> } | undefined): Resources & { pods: number } {
  const list = (status?.allocatable ?? status?.capacity) as ResourceList;
  const pods = list?.['pods'];
  let podCount = 0;
  try { podCount = pods === undefined ? 0 : parseQuantity(pods).value(); } catch { podCount = 0; }
  let cpuMilli = 0;
  let memory = 0;
  try { cpuMilli = quantityOf(list, 'cpu', 'status.allocatable') ?? 0; } catch { cpuMilli = 0; }
  try { memory = quantityOf(list, 'memory', 'status.allocatable') ?? 0; } catch { memory = 0; }
  return { cpuMilli, memory, pods: podCount };
}
