// NodeName: a pod that names its node (spec.nodeName) fits only there. Such pods are normally
// bound already and never reach the queue; the filter keeps the rule in one place anyway.
import type { FilterPlugin, PreFilterPlugin } from '../../framework/interfaces.js';
import type { CycleState } from '../../framework/cycle-state.js';
import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import { SKIP, SUCCESS, unresolvable, type Status } from '../../framework/status.js';
import { PluginNames } from '../names.js';

export const REASON_NODE_NAME = "node(s) didn't match the requested node name";
const REJECTED = unresolvable(REASON_NODE_NAME, PluginNames.NodeName);

export class NodeName implements PreFilterPlugin, FilterPlugin {
  readonly name = PluginNames.NodeName;

  preFilter(_state: CycleState, pod: PodInfo): Status {
    return pod.pod.spec?.nodeName ? SUCCESS : SKIP;
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const wanted = pod.pod.spec?.nodeName;
    return !wanted || wanted === node.name ? SUCCESS : REJECTED;
  }
}

export const factory = (): NodeName => new NodeName();
