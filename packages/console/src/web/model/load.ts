// A node's state and load, as the fleet view colours it. Pure: the view passes the Node and
// the pods bound to it.
import type { Node, Pod } from '@tugboat/api';
import { bytes, cpuMilli, podRequests } from './quantities.js';

/** Where agents publish what a node uses (packages/agent, read by `tctl top`): {"cpu":"250m","memory":"512Mi",…}. */
export const USAGE_ANNOTATION = 'tugboat.io/usage';

export type NodeReadiness = 'Ready' | 'NotReady' | 'Unknown';

export interface NodeState {
  readonly readiness: NodeReadiness;
  /** spec.unschedulable: `tctl cordon`/`drain`. */
  readonly cordoned: boolean;
}

/**
 * As kubectl prints it: Ready only when the Ready condition is True. A node whose agent stopped
 * reporting has Ready=Unknown (the node lifecycle controller's "Kubelet stopped posting node
 * status"): NotReady too. Unknown means no Ready condition at all (a node still registering).
 */
export function nodeState(node: Node): NodeState {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const readiness: NodeReadiness = !ready ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady';
  return { readiness, cordoned: node.spec?.unschedulable === true };
}

/** kubectl's STATUS column for a node: `Ready`, `NotReady,SchedulingDisabled`, … */
export function nodeStatusText(s: NodeState): string {
  return s.cordoned ? `${s.readiness},SchedulingDisabled` : s.readiness;
}

export interface ResourceLoad {
  readonly allocatable: number;
  readonly requested: number;
  /** What the agent last reported, when it reports. */
  readonly used: number | undefined;
}

export interface NodeLoad {
  readonly cpu: ResourceLoad;
  readonly memory: ResourceLoad;
  /** The busiest of requested/used over allocatable, cpu or memory: 0…1 (more when overcommitted). */
  readonly fraction: number;
}

function usageOf(node: Node): { cpuMilli: number; memory: number } | undefined {
  const text = node.metadata?.annotations?.[USAGE_ANNOTATION];
  if (!text) return undefined;
  try {
    const raw = JSON.parse(text) as { cpu?: string | number; memory?: string | number };
    if (raw.cpu === undefined && raw.memory === undefined) return undefined;
    return { cpuMilli: cpuMilli(raw.cpu ?? 0), memory: bytes(raw.memory ?? 0) };
  } catch {
    return undefined; // a malformed report: no usage shown, the requests still are
  }
}

/** Terminated pods hold no resources (the scheduler does not count them either). */
export function holdsResources(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

export function nodeLoad(node: Node, pods: readonly Pod[]): NodeLoad {
  const alloc = node.status?.allocatable ?? node.status?.capacity ?? {};
  let cpu = 0;
  let mem = 0;
  for (const p of pods) {
    if (!holdsResources(p)) continue;
    const r = podRequests(p);
    cpu += r.cpuMilli;
    mem += r.memory;
  }
  const usage = usageOf(node);
  const cpuLoad: ResourceLoad = { allocatable: cpuMilli(alloc['cpu']), requested: cpu, used: usage?.cpuMilli };
  const memLoad: ResourceLoad = { allocatable: bytes(alloc['memory']), requested: mem, used: usage?.memory };
  const ratio = (r: ResourceLoad): number => (r.allocatable > 0 ? Math.max(r.requested, r.used ?? 0) / r.allocatable : 0);
  return { cpu: cpuLoad, memory: memLoad, fraction: Math.max(ratio(cpuLoad), ratio(memLoad)) };
}

export type LoadLevel = 'idle' | 'low' | 'medium' | 'high' | 'full';

/** Five bands, as a heat map reads: under 5 %, 50 %, 75 %, 90 %, and beyond. */
export function loadLevel(fraction: number): LoadLevel {
  if (fraction < 0.05) return 'idle';
  if (fraction < 0.5) return 'low';
  if (fraction < 0.75) return 'medium';
  if (fraction < 0.9) return 'high';
  return 'full';
}

export function percent(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((part / whole) * 100)}%` : '–';
}
