// The StatefulSet controller's decisions, as pure functions of the set, its pods and its two
// revisions (Kubernetes' pkg/controller/statefulset: updateStatefulSet, processReplica,
// processCondemned, stateful_set_utils).
//
//   pods ──▶ slots: ordinals start…start+replicas-1 (a pod, or none yet) · condemned (beyond)
//        ──▶ planStatefulSet, in Kubernetes' order, stopping where OrderedReady must wait:
//              1. each slot, lowest ordinal first: replace a finished pod, create a missing one
//                 (claims first), fix identity labels and claim owners; OrderedReady waits for
//                 every earlier pod to be Running, Ready and available
//              2. condemned pods, highest ordinal first: claim owners, then delete (one at a
//                 time under OrderedReady, and only once the others are healthy)
//              3. RollingUpdate: the highest ordinal ≥ partition not at the update revision is
//                 deleted (it comes back at the update revision), one at a time, waiting for
//                 each to be available again; OnDelete: nothing
//        ──▶ statefulSetStatus
import type {
  OwnerReference, Pod, PodTemplateSpec, StatefulSet, StatefulSetPersistentVolumeClaimRetentionPolicy, StatefulSetSpec, StatefulSetStatus,
} from '@tugboat/api';
import { deepEqual } from './canonical.js';
import { CONTROLLER_REVISION_HASH_LABEL } from './controller-history.js';
import { isPodAvailable, isPodReady } from './pod-util.js';

/** apps/v1 StatefulSetPodNameLabel: each pod's own name, for a per-pod Service. */
export const STATEFULSET_POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
/** apps/v1 PodIndexLabel: the pod's ordinal. */
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

export type PersistentVolumeClaimTemplate = NonNullable<StatefulSetSpec['volumeClaimTemplates']>[number];

// ── Identity ──────────────────────────────────────────────────────────────────────────────

const ORDINAL = /^(.*)-([0-9]+)$/;

/** The set a pod's name says it belongs to, and its ordinal (-1: not a StatefulSet pod name). */
export function parentAndOrdinal(podName: string): { parent: string; ordinal: number } {
  const m = ORDINAL.exec(podName);
  if (!m) return { parent: '', ordinal: -1 };
  const n = Number(m[2]);
  return { parent: m[1]!, ordinal: Number.isSafeInteger(n) && n <= 2147483647 ? n : -1 };
}

export function ordinalOf(pod: Pod): number {
  return parentAndOrdinal(pod.metadata?.name ?? '').ordinal;
}

export function isMemberOf(set: StatefulSet, pod: Pod): boolean {
  return parentAndOrdinal(pod.metadata?.name ?? '').parent === set.metadata?.name;
}

export function startOrdinal(set: StatefulSet): number {
  return set.spec?.ordinals?.start ?? 0;
}

export function replicasOf(set: StatefulSet): number {
  return set.spec?.replicas ?? 1;
}

export function podName(set: StatefulSet, ordinal: number): string {
  return `${set.metadata?.name ?? ''}-${ordinal}`;
}

/** "<template>-<set>-<ordinal>": the claim a pod of that ordinal mounts, the same after every restart. */
export function claimName(set: StatefulSet, template: PersistentVolumeClaimTemplate, ordinal: number): string {
  return `${template.metadata?.name ?? ''}-${set.metadata?.name ?? ''}-${ordinal}`;
}

function inRange(set: StatefulSet, ordinal: number): boolean {
  const start = startOrdinal(set);
  return ordinal >= start && ordinal < start + replicasOf(set);
}

/** The pod's revision: the ControllerRevision's name it was made from. */
export function podRevision(pod: Pod): string {
  return pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '';
}

/** The claims of one ordinal, from the set's templates (Kubernetes' getPersistentVolumeClaims). */
export function claimsFor(set: StatefulSet, ordinal: number): PersistentVolumeClaimTemplate[] {
  const selectorLabels = set.spec?.selector?.matchLabels ?? {};
  return (set.spec?.volumeClaimTemplates ?? []).map((t) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
      name: claimName(set, t, ordinal),
      namespace: set.metadata?.namespace ?? 'default',
      // The set's selector labels, so the claims of a set can be found by its selector.
      labels: { ...(t.metadata?.labels ?? {}), ...selectorLabels },
    },
    spec: structuredClone(t.spec ?? {}),
  }));
}

/**
 * A new pod of `ordinal` from `template` at `revision` (Kubernetes' newStatefulSetPod):
 * its stable name, hostname and subdomain (DNS "web-0.web.ns.svc"), identity labels, and a
 * volume per claim template pointing at that ordinal's claim.
 */
export function newStatefulSetPod(set: StatefulSet, template: PodTemplateSpec | undefined, revision: string, ordinal: number, ref: OwnerReference): Pod {
  const name = podName(set, ordinal);
  const meta = template?.metadata ?? {};
  const spec = structuredClone(template?.spec ?? { containers: [] });
  const claimTemplates = set.spec?.volumeClaimTemplates ?? [];
  const own = new Set(claimTemplates.map((t) => t.metadata?.name ?? ''));
  spec.volumes = [
    ...claimTemplates.map((t) => ({ name: t.metadata?.name ?? '', persistentVolumeClaim: { claimName: claimName(set, t, ordinal) } })),
    ...(spec.volumes ?? []).filter((v) => !own.has(v.name)),
  ];
  if (spec.volumes.length === 0) delete spec.volumes;
  spec.hostname = name;
  if (set.spec?.serviceName) spec.subdomain = set.spec.serviceName;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: set.metadata?.namespace ?? 'default',
      labels: {
        ...(meta.labels ?? {}),
        [STATEFULSET_POD_NAME_LABEL]: name,
        [POD_INDEX_LABEL]: String(ordinal),
        [CONTROLLER_REVISION_HASH_LABEL]: revision,
      },
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
      ownerReferences: [ref],
    },
    spec,
  };
}

/** Labels the pod lacks for its identity (Kubernetes' identityMatches / updateIdentity); undefined when it has them. */
export function identityLabels(pod: Pod): Record<string, string> | undefined {
  const name = pod.metadata?.name ?? '';
  const want = { [STATEFULSET_POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinalOf(pod)) };
  const have = pod.metadata?.labels ?? {};
  if (Object.entries(want).every(([k, v]) => have[k] === v)) return undefined;
  return { ...have, ...want };
}

// ── Health ────────────────────────────────────────────────────────────────────────────────

function isRunningAndReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && isPodReady(pod);
}

function isRunningAndAvailable(pod: Pod, minReadySeconds: number, nowMs: number): boolean {
  return pod.status?.phase === 'Running' && isPodAvailable(pod, minReadySeconds, nowMs);
}

function isTerminating(pod: Pod): boolean {
  return !!pod.metadata?.deletionTimestamp;
}

function isFinished(pod: Pod): boolean {
  return pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded';
}

function isUnavailable(pod: Pod | undefined, minReadySeconds: number, nowMs: number): boolean {
  return !pod || isTerminating(pod) || !isRunningAndAvailable(pod, minReadySeconds, nowMs);
}

// ── Claim owners (persistentVolumeClaimRetentionPolicy) ───────────────────────────────────

export function retentionPolicy(set: StatefulSet): Required<StatefulSetPersistentVolumeClaimRetentionPolicy> {
  const p = set.spec?.persistentVolumeClaimRetentionPolicy;
  return { whenDeleted: p?.whenDeleted ?? 'Retain', whenScaled: p?.whenScaled ?? 'Retain' };
}

export function retainsEverything(set: StatefulSet): boolean {
  const p = retentionPolicy(set);
  return p.whenDeleted !== 'Delete' && p.whenScaled !== 'Delete';
}

interface Owned { readonly apiVersion: string; readonly kind: string; readonly name: string; readonly uid: string }

function refersTo(ref: OwnerReference, o: Owned): boolean {
  return ref.apiVersion === o.apiVersion && ref.kind === o.kind && ref.name === o.name;
}

/**
 * The owner references a claim should have (Kubernetes' isClaimOwnerUpToDate and
 * updateClaimOwnerRefForSetAndPod), or undefined when it has them:
 *   Retain/Retain: neither the set nor the pod; whenDeleted Delete: the set owns it;
 *   whenScaled Delete: the pod owns it once its ordinal is condemned (the garbage collector
 *   deletes the claim after the pod). A claim another controller owns, or one with a stale
 *   reference to an earlier set or pod of the same name, is left alone.
 */
export function claimOwnerRefs(claimRefs: readonly OwnerReference[], set: StatefulSet, pod: Pod): OwnerReference[] | undefined {
  const setOwner: Owned = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata?.name ?? '', uid: set.metadata?.uid ?? '' };
  const podOwner: Owned = { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' };
  if (claimRefs.some((r) => (refersTo(r, setOwner) && r.uid !== setOwner.uid) || (refersTo(r, podOwner) && r.uid !== podOwner.uid))) return undefined;
  const ours = (r: OwnerReference): boolean => refersTo(r, setOwner) || refersTo(r, podOwner);
  const others = claimRefs.filter((r) => !ours(r));
  const policy = retentionPolicy(set);
  // Another controller owns it: only our own references go.
  if (!retainsEverything(set) && others.some((r) => r.controller)) {
    return others.length === claimRefs.length ? undefined : others;
  }
  const scaledDown = !inRange(set, ordinalOf(pod));
  const controllerRef = (o: Owned): OwnerReference => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.name, uid: o.uid, controller: true, blockOwnerDeletion: true });
  const want = [...others];
  if (policy.whenScaled === 'Delete' && scaledDown) want.push(controllerRef(podOwner));
  if (policy.whenDeleted === 'Delete' && !(policy.whenScaled === 'Delete' && scaledDown)) want.push(controllerRef(setOwner));
  const key = (r: OwnerReference): string => `${r.uid}/${r.controller ? 1 : 0}`;
  const same = want.length === claimRefs.length && deepEqual(want.map(key).sort(), claimRefs.map(key).sort());
  return same ? undefined : want;
}

// ── The plan ──────────────────────────────────────────────────────────────────────────────

export interface Revisions {
  /** Name and template of the revision the set's pods are at (status.currentRevision). */
  readonly current: { readonly name: string; readonly template: PodTemplateSpec | undefined };
  /** Name and template of the set's template now. */
  readonly update: { readonly name: string; readonly template: PodTemplateSpec | undefined };
}

export type StatefulAction<P extends Pod> =
  /** Create the ordinal's claims (those missing), then the pod. */
  | { readonly type: 'create'; readonly ordinal: number; readonly pod: Pod }
  /** Create the claims a pending pod waits for, if missing. */
  | { readonly type: 'ensureClaims'; readonly pod: P }
  /** Bring the pod's claims' owner references in line with the retention policy. */
  | { readonly type: 'claimOwners'; readonly pod: P }
  /** Add the identity labels the pod lacks. */
  | { readonly type: 'relabel'; readonly pod: P; readonly labels: Record<string, string> }
  | { readonly type: 'delete'; readonly pod: P; readonly why: 'finished' | 'condemned' | 'update' };

export interface StatefulPlan<P extends Pod> {
  readonly actions: StatefulAction<P>[];
  /** Why nothing more was done this time (OrderedReady waits); undefined when the plan ran to the end. */
  readonly waitingFor?: string;
  /** Replicas counted as current once a rolling update's delete goes through. */
  readonly deletedForUpdate: number;
}

/** The pods in the set's ordinal range by slot, and those beyond it (highest ordinal first). */
export function slotsOf<P extends Pod>(set: StatefulSet, pods: readonly P[]): { replicas: (P | undefined)[]; condemned: P[] } {
  const start = startOrdinal(set);
  const replicas: (P | undefined)[] = new Array<P | undefined>(replicasOf(set)).fill(undefined);
  const condemned: P[] = [];
  for (const p of pods) {
    const ord = ordinalOf(p);
    if (ord < 0) continue;
    if (inRange(set, ord)) replicas[ord - start] = p;
    else condemned.push(p);
  }
  condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));
  return { replicas, condemned };
}

/** The revision a new pod of `ordinal` is made at: below the partition, the current one. */
function revisionFor(set: StatefulSet, revisions: Revisions, ordinal: number): Revisions['current'] {
  const strategy = set.spec?.updateStrategy;
  const partition = strategy?.rollingUpdate?.partition ?? 0;
  const holdBack = (strategy?.type ?? 'RollingUpdate') === 'RollingUpdate' && strategy?.rollingUpdate !== undefined && ordinal < startOrdinal(set) + partition;
  return holdBack ? revisions.current : revisions.update;
}

export function planStatefulSet<P extends Pod>(
  set: StatefulSet, pods: readonly P[], revisions: Revisions, ref: OwnerReference, nowMs: number,
): StatefulPlan<P> {
  const monotonic = set.spec?.podManagementPolicy !== 'Parallel';
  const minReady = set.spec?.minReadySeconds ?? 0;
  const claimsManaged = !retainsEverything(set) && (set.spec?.volumeClaimTemplates ?? []).length > 0;
  const { replicas, condemned } = slotsOf(set, pods);
  const start = startOrdinal(set);
  const actions: StatefulAction<P>[] = [];
  const stop = (waitingFor: string): StatefulPlan<P> => ({ actions, waitingFor, deletedForUpdate: 0 });

  // The first pod not available (replicas, then condemned lowest first): under OrderedReady the
  // only unhealthy condemned pod that may be deleted.
  const firstUnavailable = replicas.find((p) => isUnavailable(p, minReady, nowMs))
    ?? [...condemned].reverse().find((p) => isUnavailable(p, minReady, nowMs));

  for (let i = 0; i < replicas.length; i++) {
    const pod = replicas[i];
    const ordinal = start + i;
    if (!pod) {
      const rev = revisionFor(set, revisions, ordinal);
      actions.push({ type: 'create', ordinal, pod: newStatefulSetPod(set, rev.template, rev.name, ordinal, ref) });
      if (monotonic) return stop(`${podName(set, ordinal)} to be created`);
      continue;
    }
    const name = pod.metadata?.name ?? '';
    // A finished pod is deleted; the next sync makes it again under the same name.
    if (isFinished(pod)) {
      if (!isTerminating(pod)) actions.push({ type: 'delete', pod, why: 'finished' });
      if (monotonic) return stop(`${name} to be replaced`);
      continue;
    }
    if (pod.status?.phase === 'Pending' && (set.spec?.volumeClaimTemplates ?? []).length > 0) actions.push({ type: 'ensureClaims', pod });
    if (monotonic) {
      if (isTerminating(pod)) return stop(`${name} to terminate`);
      if (!isRunningAndReady(pod)) return stop(`${name} to be Running and Ready`);
      if (!isRunningAndAvailable(pod, minReady, nowMs)) return stop(`${name} to be available`);
    }
    const labels = identityLabels(pod);
    if (labels) actions.push({ type: 'relabel', pod, labels });
    if (claimsManaged && !isTerminating(pod)) actions.push({ type: 'claimOwners', pod });
  }

  if (claimsManaged) for (const pod of condemned) actions.push({ type: 'claimOwners', pod });

  // Scale down: highest ordinal first; under OrderedReady one at a time, once the rest is healthy.
  for (const pod of condemned) {
    const name = pod.metadata?.name ?? '';
    if (isTerminating(pod)) {
      if (monotonic) return stop(`${name} to terminate`);
      continue;
    }
    // An unhealthy condemned pod goes only if it is the first unhealthy one: others wait for it.
    if (monotonic && pod !== firstUnavailable && !isRunningAndAvailable(pod, minReady, nowMs)) {
      return stop(`${firstUnavailable?.metadata?.name ?? name} to be available before scaling down`);
    }
    actions.push({ type: 'delete', pod, why: 'condemned' });
    if (monotonic) return stop(`${name} to terminate`);
  }

  if ((set.spec?.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') return { actions, deletedForUpdate: 0 };
  // A replica being created this round is not updated yet: the update waits for it.
  if (actions.some((a) => a.type === 'create')) return { actions, waitingFor: 'new pods', deletedForUpdate: 0 };

  const partition = set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
  for (let target = replicas.length - 1; target >= partition; target--) {
    const pod = replicas[target];
    if (pod && podRevision(pod) !== revisions.update.name && !isTerminating(pod)) {
      actions.push({ type: 'delete', pod, why: 'update' });
      return { actions, waitingFor: `${pod.metadata?.name ?? ''} to be updated`, deletedForUpdate: 1 };
    }
    if (isUnavailable(pod, minReady, nowMs)) return { actions, waitingFor: `${podName(set, start + target)} to be available`, deletedForUpdate: 0 };
  }
  return { actions, deletedForUpdate: 0 };
}

// ── Status ────────────────────────────────────────────────────────────────────────────────

/** Kubernetes' updateStatus and completeRollingUpdate over the set's pods. */
export function statefulSetStatus<P extends Pod>(
  set: StatefulSet, pods: readonly P[], revisions: Revisions, collisionCount: number, deletedForUpdate: number, nowMs: number,
): StatefulSetStatus {
  const minReady = set.spec?.minReadySeconds ?? 0;
  let replicas = 0;
  let ready = 0;
  let available = 0;
  let current = 0;
  let updated = 0;
  for (const pod of pods) {
    if (ordinalOf(pod) < 0) continue;
    replicas++;
    if (isRunningAndReady(pod)) {
      ready++;
      if (isRunningAndAvailable(pod, minReady, nowMs)) available++;
    }
    if (isTerminating(pod)) continue;
    const rev = podRevision(pod);
    if (rev === revisions.current.name) current++;
    if (rev === revisions.update.name) updated++;
  }
  current = Math.max(0, current - deletedForUpdate);
  const status: StatefulSetStatus = {
    replicas,
    readyReplicas: ready,
    availableReplicas: available,
    currentReplicas: current,
    updatedReplicas: updated,
    currentRevision: revisions.current.name,
    updateRevision: revisions.update.name,
    collisionCount,
    ...(set.metadata?.generation !== undefined ? { observedGeneration: set.metadata.generation } : {}),
  };
  const want = replicasOf(set);
  // Every pod at the update revision and ready: the update revision becomes the current one.
  if ((set.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' && updated === want && ready === want && replicas === want) {
    status.currentReplicas = updated;
    status.currentRevision = revisions.update.name;
  }
  if (set.status?.conditions?.length) status.conditions = set.status.conditions;
  return status;
}
