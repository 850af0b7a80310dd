// Which nodes a DaemonSet's pod belongs on (Kubernetes' NodeShouldRunDaemonPod), and the pod
// the controller asks the scheduler to place there. Pure.
//
//   node ──▶ the daemon pod as it would be on that node (template + default tolerations)
//        ──▶ nodeName, nodeSelector / required node affinity, NoSchedule / NoExecute taints
//        ──▶ shouldRun (make one) · shouldContinueRunning (keep the one there)
//
// A pod that tolerates a node's NoExecute taints may keep running on it even when a
// NoSchedule taint says no new pod goes there.
import {
  findUntoleratedTaint, requiredNodeMatcher, type Affinity, type DaemonSet, type Node, type NodeSelectorRequirement,
  type PodSpec, type Pod, type Toleration,
} from '@tugboat/api';

export interface NodePlacement {
  /** A daemon pod should be created on the node when it has none. */
  readonly shouldRun: boolean;
  /** A daemon pod already on the node may stay. */
  readonly shouldContinueRunning: boolean;
}

/**
 * Kubernetes' AddOrUpdateDaemonPodTolerations: a daemon pod stays on a node that is not ready
 * or unreachable, and is placed on one under pressure or cordoned, since it is usually what
 * the node needs to recover; one on the host network also on a node without a pod network.
 */
export function daemonPodTolerations(spec: PodSpec | undefined): Toleration[] {
  const defaults: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (spec?.hostNetwork) defaults.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  const own = [...(spec?.tolerations ?? [])];
  // As Kubernetes' AddOrUpdateTolerationInPodSpec: a user's toleration of the same key,
  // operator and effect is replaced by the default (which tolerates for ever).
  const same = (a: Toleration, b: Toleration): boolean => a.key === b.key && (a.operator ?? 'Equal') === (b.operator ?? 'Equal') && (a.effect ?? '') === (b.effect ?? '');
  const kept = own.filter((t) => !defaults.some((d) => same(d, t)));
  return [...kept, ...defaults];
}

/** The daemon pod's spec as it would be on a node: the template's, with the default tolerations. */
export function daemonPodSpec(ds: DaemonSet): PodSpec {
  const spec = structuredClone(ds.spec?.template?.spec ?? { containers: [] });
  spec.tolerations = daemonPodTolerations(spec);
  return spec;
}

const NO_SCHEDULE_OR_EXECUTE = (t: { effect: string }): boolean => t.effect === 'NoSchedule' || t.effect === 'NoExecute';
const NO_EXECUTE = (t: { effect: string }): boolean => t.effect === 'NoExecute';

/** Kubernetes' NodeShouldRunDaemonPod, on a spec from daemonPodSpec (compute it once per DaemonSet). */
export function nodeShouldRunDaemonPod(node: Node, spec: PodSpec): NodePlacement {
  const name = node.metadata?.name ?? '';
  const no: NodePlacement = { shouldRun: false, shouldContinueRunning: false };
  if (spec.nodeName && spec.nodeName !== name) return no;
  const matcher = requiredNodeMatcher(spec);
  if (matcher && !matcher(node.metadata?.labels ?? {}, name)) return no;
  const taints = node.spec?.taints;
  if (findUntoleratedTaint(taints, spec.tolerations, NO_SCHEDULE_OR_EXECUTE)) {
    return { shouldRun: false, shouldContinueRunning: !findUntoleratedTaint(taints, spec.tolerations, NO_EXECUTE) };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}

const NAME_FIELD = 'metadata.name';

/**
 * Kubernetes' ReplaceDaemonSetPodNodeNameNodeAffinity: the pod's required node affinity pins
 * it to `nodeName` (`matchFields metadata.name In [node]`) in every term, replacing any
 * matchFields there, so the scheduler places it there and nowhere else.
 */
export function pinToNode(affinity: Affinity | undefined, nodeName: string): Affinity {
  const pin: NodeSelectorRequirement = { key: NAME_FIELD, operator: 'In', values: [nodeName] };
  const out = structuredClone(affinity ?? {});
  const na = (out.nodeAffinity ??= {});
  const terms = (na.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [])
    .filter((t) => (t.matchExpressions?.length ?? 0) > 0 || (t.matchFields?.length ?? 0) > 0)
    .map((t) => ({ ...t, matchFields: [pin] }));
  na.requiredDuringSchedulingIgnoredDuringExecution = { nodeSelectorTerms: terms.length > 0 ? terms : [{ matchFields: [pin] }] };
  return out;
}

/**
 * The node a daemon pod is for: where it is bound, or, before the scheduler binds it, the
 * node its affinity pins it to (Kubernetes' GetTargetNodeName). Undefined for neither.
 */
export function targetNodeName(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of term.matchFields ?? []) {
      if (f.key === NAME_FIELD && f.operator === 'In' && f.values?.length === 1) return f.values[0];
    }
  }
  return undefined;
}
