// LeastAllocated, the default score: the least-loaded node scores highest. Per resource,
// (allocatable - requested) * 100 / allocatable, with requested counting the pods already on
// the node and this pod (non-zero defaults for unset requests, as Kubernetes scores them);
// averaged over cpu and memory.
import type { CycleState } from '../../framework/cycle-state.js';
import { MAX_NODE_SCORE, type ScorePlugin } from '../../framework/interfaces.js';
import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import { PluginNames } from '../names.js';

/** Kubernetes' leastRequestedScore, in integers as there. */
export function leastRequestedScore(requested: number, allocatable: number): number {
  if (allocatable <= 0 || requested > allocatable) return 0;
  return Math.floor(((allocatable - requested) * MAX_NODE_SCORE) / allocatable);
}

export function leastAllocatedScore(pod: PodInfo, node: NodeInfo): number {
  const cpu = leastRequestedScore(node.nonZeroCpuMilli + pod.nonZero.cpuMilli, node.allocatableCpuMilli);
  const mem = leastRequestedScore(node.nonZeroMemory + pod.nonZero.memory, node.allocatableMemory);
  return Math.floor((cpu + mem) / 2);
}

export class LeastAllocated implements ScorePlugin {
  readonly name = PluginNames.LeastAllocated;

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    return leastAllocatedScore(pod, node);
  }
}

export const factory = (): LeastAllocated => new LeastAllocated();
