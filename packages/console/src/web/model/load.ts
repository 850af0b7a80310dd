// A node's state and load, as the fleet view colours it. Pure: the view passes the Node and
// the pods bound to it.
import type { Node, Pod } from '@tugboat/api';
import { parseNodeUsage, type ResourceUsage } from '@tugboat/api/scheduling/node-usage';
import { bytes, cpuMilli, podRequests } from './quantities.js';

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

/** What a render needs from a Node besides its pods: allocatable and the reported usage, as numbers. */
interface NodeFigures {
  readonly cpuMilli: number;
  readonly memory: number;
  readonly used: ResourceUsage | undefined;
}

// By Node object: a watch event replaces the object, so an entry lives exactly as long as the
// figures it was parsed from, and a re-render of 1,000 nodes parses only those that changed.
const figuresByNode = new WeakMap<Node, NodeFigures>();

/**
 * The usage is what the agent reports in the Node's `tugboat.io/usage` annotation, read by
 * @tugboat/api's one parser (as `tctl top` and the scheduler read it). A malformed report
 * shows no usage; the requests still show.
 */
function figuresOf(node: Node): NodeFigures {
  let f = figuresByNode.get(node);
  if (!f) {
    const alloc = node.status?.allocatable ?? node.status?.capacity ?? {};
    const parsed = parseNodeUsage(node.metadata?.annotations);
    f = { cpuMilli: cpuMilli(alloc['cpu']), memory: bytes(alloc['memory']), used: parsed && 'report' in parsed ? parsed.report.node : undefined };
    figuresByNode.set(node, f);
  }
  return f;
}

/** Terminated pods hold no resources (the scheduler does not count them either). */
export function holdsResources(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

export function nodeLoad(node: Node, pods: readonly Pod[]): NodeLoad {
  let cpu = 0;
  let mem = 0;
  for (const p of pods) {
    if (!holdsResources(p)) continue;
    const r = podRequests(p);
    cpu += r.cpuMilli;
    mem += r.memory;
  }
  const figures = figuresOf(node);
  const cpuLoad: ResourceLoad = { allocatable: figures.cpuMilli, requested: cpu, used: figures.used?.cpuMilli };
  const memLoad: ResourceLoad = { allocatable: figures.memory, requested: mem, used: figures.used?.memory };
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
