// NodeReady: only nodes whose agent is alive take pods: the Ready condition is True and the
// node's Lease (tugboat-node-lease/<node>) was renewed within its leaseDurationSeconds. The
// lease catches an agent that died without saying so, long before its Ready condition would
// be marked Unknown by the node lifecycle controller.
import type { FilterPlugin } from '../../framework/interfaces.js';
import type { CycleState } from '../../framework/cycle-state.js';
import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import { SUCCESS, unresolvable, type Status } from '../../framework/status.js';
import { PluginNames } from '../names.js';

export const REASON_NOT_READY = 'node(s) were not ready';
export const REASON_NO_LIVE_LEASE = 'node(s) had no live lease';
// Unresolvable, as Kubernetes' not-ready / unreachable NoSchedule taints are: evicting pods
// from a node whose agent is gone would not let the pod run there.
const NOT_READY = unresolvable(REASON_NOT_READY, PluginNames.NodeReady);
const NO_LEASE = unresolvable(REASON_NO_LIVE_LEASE, PluginNames.NodeReady);

export class NodeReady implements FilterPlugin {
  readonly name = PluginNames.NodeReady;

  filter(state: CycleState, _pod: PodInfo, node: NodeInfo): Status {
    if (!node.ready) return NOT_READY;
    if (!(state.now < node.leaseExpiresAtMs)) return NO_LEASE;
    return SUCCESS;
  }
}

export const factory = (): NodeReady => new NodeReady();
