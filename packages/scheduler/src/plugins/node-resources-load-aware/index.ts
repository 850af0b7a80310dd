// NodeResourcesLoadAware: LeastAllocated's formula on what a node really carries. Requests say
// what pods promised to use; a pod that burns more than it asked for makes its node busier than
// the requests show. Per resource,
//
//   (allocatable - (load + request of the pod)) * 100 / allocatable,  averaged over cpu and memory,
//
// with load = Σ over the node's pods of max(reported use, request) (NodeInfo keeps it, from the
// report its agent writes on the Node every 10 s; see @tugboat/api node-usage.ts). The report is
// up to 10 s old, so a pod it does not name (placed since, or not yet running) counts its
// request, and a pod using less than it asked for still counts its request: the node has
// promised that much to it (the blending of the scheduler-plugins project's Trimaran). A node
// without a report scores exactly as LeastAllocated; when no feasible node has one, PreScore
// skips the plugin.
//
// Only the pods' figures are used, not the node's total: several agents on one host (tctl
// cluster up) all report that host, which would make every node look as busy as the busiest.
import type { CycleState } from '../../framework/cycle-state.js';
import type { PreScorePlugin, ScorePlugin } from '../../framework/interfaces.js';
import { SKIP, SUCCESS, type Status } from '../../framework/status.js';
import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import { leastRequestedScore } from '../least-allocated/index.js';
import { PluginNames } from '../names.js';

/** Pure: the score of `node` for `pod` (NodeInfo's load is kept by the cache, so this reads
 *  four numbers and allocates nothing). */
export function loadAwareScore(pod: PodInfo, node: NodeInfo): number {
  const cpu = leastRequestedScore(node.loadCpuMilli + pod.nonZero.cpuMilli, node.allocatableCpuMilli);
  const mem = leastRequestedScore(node.loadMemory + pod.nonZero.memory, node.allocatableMemory);
  return Math.floor((cpu + mem) / 2);
}

export class NodeResourcesLoadAware implements PreScorePlugin, ScorePlugin {
  readonly name = PluginNames.NodeResourcesLoadAware;

  /** Nothing to add where no agent reports usage (hollow nodes, a cluster just started): there
   *  it would only be LeastAllocated counted twice. */
  preScore(_state: CycleState, _pod: PodInfo, nodes: readonly NodeInfo[], count: number): Status {
    for (let i = 0; i < count; i++) if (nodes[i]!.usage) return SUCCESS;
    return SKIP;
  }

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    return loadAwareScore(pod, node);
  }
}

export const factory = (): NodeResourcesLoadAware => new NodeResourcesLoadAware();
