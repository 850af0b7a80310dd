// NodeResourcesFit: the pod's requests fit in what the node has left (allocatable minus the
// requests of the pods on it, assumed ones included), and the node has room for one more
// pod. Every missing resource is a reason, as Kubernetes reports them.
import type { FilterPlugin, PreFilterPlugin } from '../../framework/interfaces.js';
import type { CycleState } from '../../framework/cycle-state.js';
import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import { SUCCESS, unresolvable, unschedulable, type Status } from '../../framework/status.js';
import { PluginNames } from '../names.js';

export const REASON_TOO_MANY_PODS = 'Too many pods';
export const REASON_INSUFFICIENT_CPU = 'Insufficient cpu';
export const REASON_INSUFFICIENT_MEMORY = 'Insufficient memory';

const PODS = 1;
const CPU = 2;
const MEMORY = 4;
// One frozen status per combination of missing resources, built once.
const REJECTIONS: readonly Status[] = Array.from({ length: 8 }, (_, mask) => {
  const reasons: string[] = [];
  if (mask & PODS) reasons.push(REASON_TOO_MANY_PODS);
  if (mask & CPU) reasons.push(REASON_INSUFFICIENT_CPU);
  if (mask & MEMORY) reasons.push(REASON_INSUFFICIENT_MEMORY);
  return mask === 0 ? SUCCESS : unschedulable(reasons, PluginNames.NodeResourcesFit);
});

/** Which resources the node lacks for the pod, as a bit mask (0: it fits). Pure. */
export function insufficient(pod: PodInfo, node: NodeInfo): number {
  let mask = 0;
  if (node.podCount + 1 > node.allocatablePods) mask |= PODS;
  const { cpuMilli, memory } = pod.requests;
  if (cpuMilli > 0 && cpuMilli > node.allocatableCpuMilli - node.requestedCpuMilli) mask |= CPU;
  if (memory > 0 && memory > node.allocatableMemory - node.requestedMemory) mask |= MEMORY;
  return mask;
}

export class NodeResourcesFit implements PreFilterPlugin, FilterPlugin {
  readonly name = PluginNames.NodeResourcesFit;

  preFilter(_state: CycleState, pod: PodInfo): Status {
    // A request that does not parse fits nowhere, whatever the cluster does.
    return pod.invalid ? unresolvable(pod.invalid, this.name) : SUCCESS;
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    return REJECTIONS[insufficient(pod, node)]!;
  }
}

export const factory = (): NodeResourcesFit => new NodeResourcesFit();
