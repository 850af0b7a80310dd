// NodeUnschedulable: a cordoned node (spec.unschedulable) takes no new pods, unless the pod
// tolerates the taint Kubernetes gives such nodes (node.kubernetes.io/unschedulable).
import type { FilterPlugin } from '../../framework/interfaces.js';
import type { CycleState } from '../../framework/cycle-state.js';
import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import { SUCCESS, unresolvable, type Status } from '../../framework/status.js';
import { PluginNames } from '../names.js';
import { toleratedBy } from '../taint-toleration/tolerations.js';

export const REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
const UNSCHEDULABLE_TAINT = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' } as const;
const REJECTED = unresolvable(REASON_UNSCHEDULABLE, PluginNames.NodeUnschedulable);

export class NodeUnschedulable implements FilterPlugin {
  readonly name = PluginNames.NodeUnschedulable;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    if (!node.unschedulable) return SUCCESS;
    return toleratedBy(pod.pod.spec?.tolerations, UNSCHEDULABLE_TAINT) ? SUCCESS : REJECTED;
  }
}

export const factory = (): NodeUnschedulable => new NodeUnschedulable();
