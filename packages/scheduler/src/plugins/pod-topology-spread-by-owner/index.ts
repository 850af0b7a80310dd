// PodTopologySpreadByOwner: spread the pods of one owner (the ReplicaSet of a Deployment, …)
// across nodes, as Kubernetes' SelectorSpread did: a node scores lower the more pods of the
// same owner it already runs, so losing one node loses few replicas. Pods without an owner
// are not scored.
import type { CycleState } from '../../framework/cycle-state.js';
import type { PreScorePlugin, ScorePlugin } from '../../framework/interfaces.js';
import { defaultNormalizeScore } from '../../framework/interfaces.js';
import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import { SKIP, SUCCESS, type Status } from '../../framework/status.js';
import { PluginNames } from '../names.js';

export class PodTopologySpreadByOwner implements PreScorePlugin, ScorePlugin {
  readonly name = PluginNames.PodTopologySpreadByOwner;

  preScore(_state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], count: number): Status {
    if (!pod.ownerUid) return SKIP;
    // No feasible node runs a pod of this owner yet: they would all score the same.
    for (let i = 0; i < count; i++) {
      const owners = nodes[i]!.ownerCounts;
      if (owners.size > 0 && owners.has(pod.ownerUid)) return SUCCESS;
    }
    return SKIP;
  }

  /** Raw: how many pods of the same owner the node has; normalizeScore turns fewer into higher. */
  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    return node.ownerCounts.get(pod.ownerUid) ?? 0;
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, scores: Float64Array, count: number): void {
    defaultNormalizeScore(scores, count, true);
  }
}

export const factory = (): PodTopologySpreadByOwner => new PodTopologySpreadByOwner();
