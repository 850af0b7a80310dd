// What PodTopologySpread's Filter and Score share, after Kubernetes' podtopologyspread/common.go:
// the pod's constraints (its own, or the cluster defaults with a selector taken from the
// Services and the controller that own it), which nodes count, and how pods are counted.
import {
  LabelSelectorRequirements, NOTHING, newRequirement, selectorFromLabelSelector, selectorFromSet,
  type Labels, type Pod, type PodSpec, type Requirement, type Selector,
} from '@tugboat/api';
import type { NodeInfo } from '../../framework/node-info.js';
import type { ObjectListers } from '../../framework/snapshot.js';
import type { NodeMatcher } from '../node-affinity/node-selector.js';
import { toleratedBy } from '../taint-toleration/tolerations.js';

export type TopologySpreadConstraint = NonNullable<PodSpec['topologySpreadConstraints']>[number];
export type UnsatisfiableAction = 'DoNotSchedule' | 'ScheduleAnyway';
type InclusionPolicy = 'Honor' | 'Ignore';

export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';

/** Kubernetes' system defaults, applied to pods without constraints of their own. */
export const SYSTEM_DEFAULT_CONSTRAINTS: readonly TopologySpreadConstraint[] = Object.freeze([
  { topologyKey: LABEL_HOSTNAME, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 3 },
  { topologyKey: LABEL_ZONE, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 5 },
]);

export interface SpreadConstraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly selector: Selector;
  readonly minDomains: number;
  readonly nodeAffinityPolicy: InclusionPolicy;
  readonly nodeTaintsPolicy: InclusionPolicy;
}

/** The constraints of one action; matchLabelKeys add `key=value` of the pod's own labels. */
export function filterConstraints(constraints: readonly TopologySpreadConstraint[], podLabels: Labels, action: UnsatisfiableAction): SpreadConstraint[] {
  const out: SpreadConstraint[] = [];
  for (const c of constraints) {
    if (c.whenUnsatisfiable !== action) continue;
    let selector = selectorFromLabelSelector(c.labelSelector);
    const extra: Requirement[] = [];
    for (const k of c.matchLabelKeys ?? []) {
      const v = podLabels[k];
      if (v !== undefined) extra.push(newRequirement(k, '=', [v]));
    }
    if (extra.length > 0 && selector instanceof LabelSelectorRequirements) selector = new LabelSelectorRequirements([...selector.requirements, ...extra]);
    out.push({
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      selector,
      minDomains: c.minDomains ?? 1,
      nodeAffinityPolicy: c.nodeAffinityPolicy === 'Ignore' ? 'Ignore' : 'Honor',
      nodeTaintsPolicy: c.nodeTaintsPolicy === 'Honor' ? 'Honor' : 'Ignore',
    });
  }
  return out;
}

/**
 * Kubernetes' DefaultSelector: the pod's Services' selectors merged, plus the selector of its
 * controlling ReplicaSet or ReplicationController. Empty when nothing owns the pod.
 */
export function defaultSelector(pod: Pod, listers: ObjectListers): Selector {
  const ns = pod.metadata?.namespace ?? '';
  const labels = pod.metadata?.labels ?? {};
  let set: Labels = {};
  for (const svc of listers.services(ns)) {
    const sel = svc.spec?.selector;
    if (!sel || Object.keys(sel).length === 0) continue;
    if (selectorFromSet(sel).matches(labels)) set = { ...set, ...sel };
  }
  let selector: Selector = selectorFromSet(set);
  const owner = pod.metadata?.ownerReferences?.find((r) => r.controller === true);
  if (!owner) return selector;
  if (owner.apiVersion === 'apps/v1' && owner.kind === 'ReplicaSet') {
    const rs = listers.replicaSet(ns, owner.name);
    const rsSelector = rs?.spec?.selector ? safeSelector(rs.spec.selector) : undefined;
    if (rsSelector instanceof LabelSelectorRequirements && selector instanceof LabelSelectorRequirements) {
      selector = new LabelSelectorRequirements([...selector.requirements, ...rsSelector.requirements]);
    }
  } else if (owner.apiVersion === 'v1' && owner.kind === 'ReplicationController') {
    const rcSelector = listers.replicationController(ns, owner.name)?.spec?.selector;
    if (rcSelector) selector = selectorFromSet({ ...set, ...rcSelector });
  }
  return selector;
}

function safeSelector(sel: Parameters<typeof selectorFromLabelSelector>[0]): Selector {
  try { return selectorFromLabelSelector(sel); } catch { return NOTHING; }
}

/**
 * The constraints for `action`: the pod's own, or, when it has none at all, the defaults with
 * the pod's default selector (none when that selector is empty).
 */
export function podConstraints(pod: Pod, action: UnsatisfiableAction, defaults: readonly TopologySpreadConstraint[], listers: ObjectListers): SpreadConstraint[] {
  const labels = pod.metadata?.labels ?? {};
  const own = pod.spec?.topologySpreadConstraints ?? [];
  if (own.length > 0) return filterConstraints(own, labels, action);
  const cs = filterConstraints(defaults, labels, action);
  if (cs.length === 0) return cs;
  const selector = defaultSelector(pod, listers);
  if (selector.isEmpty()) return [];
  return cs.map((c) => ({ ...c, selector }));
}

/** The node has every constraint's topology key. */
export function hasAllTopologyKeys(labels: Readonly<Record<string, string>>, constraints: readonly SpreadConstraint[]): boolean {
  for (const c of constraints) if (labels[c.topologyKey] === undefined) return false;
  return true;
}

/** Whether the node's pods count for this constraint: nodeAffinityPolicy Honor leaves out nodes
 *  the pod's node affinity / nodeSelector rejects; nodeTaintsPolicy Honor leaves out nodes with
 *  a NoSchedule / NoExecute taint the pod does not tolerate. */
export function nodeCounts(c: SpreadConstraint, pod: Pod, node: NodeInfo, requiredNodeAffinity: NodeMatcher | undefined): boolean {
  if (c.nodeAffinityPolicy === 'Honor' && requiredNodeAffinity && !requiredNodeAffinity(node.labels, node.name)) return false;
  if (c.nodeTaintsPolicy === 'Honor') {
    for (const t of node.hardTaints) if (!toleratedBy(pod.spec?.tolerations, t)) return false;
  }
  return true;
}

/** Whether `nodeCounts` holds for every node, so live counts over all nodes are the pod's own:
 *  node affinity honoured only matters when the pod has some, taints only when honoured. */
export function everyNodeCounts(c: SpreadConstraint, requiredNodeAffinity: NodeMatcher | undefined): boolean {
  return (c.nodeAffinityPolicy === 'Ignore' || requiredNodeAffinity === undefined) && c.nodeTaintsPolicy === 'Ignore';
}

/** The distinct topology keys of the constraints, sorted: the keys a node must carry. */
export function topologyKeys(constraints: readonly SpreadConstraint[]): string[] {
  return [...new Set(constraints.map((c) => c.topologyKey))].sort();
}
