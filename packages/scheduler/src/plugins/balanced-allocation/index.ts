// BalancedAllocation: prefer nodes where cpu and memory would be used in the same proportion
// after placing the pod, so that neither runs out while the other sits idle. Kubernetes'
// formula: (1 - standard deviation of the requested fractions) * 100; for two resources the
// standard deviation is |cpuFraction - memoryFraction| / 2.
import type { CycleState } from '../../framework/cycle-state.js';
import { MAX_NODE_SCORE, type ScorePlugin } from '../../framework/interfaces.js';
import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import { PluginNames } from '../names.js';

function fraction(requested: number, allocatable: number): number {
  if (allocatable <= 0) return 1;
  return Math.min(requested / allocatable, 1);
}

export function balancedAllocationScore(pod: PodInfo, node: NodeInfo): number {
  const cpu = fraction(node.nonZeroCpuMilli + pod.nonZero.cpuMilli, node.allocatableCpuMilli);
  const mem = fraction(node.nonZeroMemory + pod.nonZero.memory, node.allocatableMemory);
  const std = Math.abs(cpu - mem) / 2;
  return Math.floor((1 - std) * MAX_NODE_SCORE);
}

export class BalancedAllocation implements ScorePlugin {
  readonly name = PluginNames.BalancedAllocation;

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    return balancedAllocationScore(pod, node);
  }
}

export const factory = (): BalancedAllocation => new BalancedAllocation();
