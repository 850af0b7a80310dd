// Requests and allocatable as numbers the views can divide: thousandths of a core, bytes.
// Parsing is @tugboat/api's (Kubernetes' exact rules); a value that does not parse counts 0
// rather than breaking a whole view.
import { parseQuantity } from '@tugboat/api/quantity';
import type { Container, Pod } from '@tugboat/api';

export function cpuMilli(q: string | number | undefined): number {
  if (q === undefined) return 0;
  try { return parseQuantity(q).milliValue(); } catch { return 0; }
}

export function bytes(q: string | number | undefined): number {
  if (q === undefined) return 0;
  try { return parseQuantity(q).value(); } catch { return 0; }
}

export interface Resources {
  readonly cpuMilli: number;
  readonly memory: number;
}

function containerRequests(c: Container): Resources {
  const r = c.resources?.requests;
  return { cpuMilli: cpuMilli(r?.['cpu']), memory: bytes(r?.['memory']) };
}

/**
 * What the scheduler counts for a pod: the sum of its containers' requests, or the largest
 * init container's when that is more (they run one at a time, before the others), plus overhead.
 */
export function podRequests(pod: Pod): Resources {
  let r = requestsByPod.get(pod);
  if (!r) {
    r = sumRequests(pod);
    requestsByPod.set(pod, r);
  }
  return r;
}

// By Pod object (a watch event replaces it): the fleet view re-adds every pod's requests on each
// render, and parsing thousands of quantities each time is what made 1,000 nodes slow.
const requestsByPod = new WeakMap<Pod, Resources>();

function sumRequests(pod: Pod): Resources {
  const spec = pod.spec;
  if (!spec) return { cpuMilli: 0, memory: 0 };
  let cpu = 0;
  let mem = 0;
  for (const c of spec.containers) {
    const r = containerRequests(c);
    cpu += r.cpuMilli;
    mem += r.memory;
  }
  for (const c of spec.initContainers ?? []) {
    const r = containerRequests(c);
    cpu = Math.max(cpu, r.cpuMilli);
    mem = Math.max(mem, r.memory);
  }
  return { cpuMilli: cpu + cpuMilli(spec.overhead?.['cpu']), memory: mem + bytes(spec.overhead?.['memory']) };
}

export function formatCpu(milli: number): string {
  return milli >= 1000 && milli % 100 === 0 ? `${milli / 1000}` : `${Math.round(milli)}m`;
}

export function formatMemory(b: number): string {
  if (b >= 2 ** 30) return `${(b / 2 ** 30).toFixed(1)}Gi`;
  return `${Math.round(b / 2 ** 20)}Mi`;
}
