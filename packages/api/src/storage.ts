// Persistent storage names shared by the API server (DefaultStorageClass admission, the
// local-path class it makes), the persistentvolume-binder and local-path provisioner
// (controllers), the scheduler's VolumeBinding plugin and the agent (which mounts and removes
// local-path directories). Annotation names are Kubernetes' own.
import type { PersistentVolume, PersistentVolumeClaim, VolumeNodeAffinity } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import type { KubeObject } from './types.js';
import { compileNodeSelector } from './scheduling/node-selector.js';
import { selectorFromLabelSelector } from './labels.js';
import { parseQuantity, type Quantity } from './quantity.js';

export type PersistentVolumeObject = PersistentVolume & KubeObject;
export type PersistentVolumeClaimObject = PersistentVolumeClaim & KubeObject;
export type StorageClassObject = StorageClass & KubeObject;

/** A class with this annotation "true" is the one a claim without storageClassName gets. */
export const IS_DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
/** The beta spelling Kubernetes still honours. */
export const BETA_IS_DEFAULT_CLASS_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class';
/** Set by the scheduler on a WaitForFirstConsumer claim: the node its volume is to be provisioned on. */
export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';
/** Set by the binder on a claim whose class has a provisioner: who is to provision it. */
export const STORAGE_PROVISIONER_ANNOTATION = 'volume.kubernetes.io/storage-provisioner';
export const BETA_STORAGE_PROVISIONER_ANNOTATION = 'volume.beta.kubernetes.io/storage-provisioner';
/** On a PV made by a provisioner: its name (the binder leaves deleting such a PV to it). */
export const PROVISIONED_BY_ANNOTATION = 'pv.kubernetes.io/provisioned-by';
/** On a claim: the binder has finished binding it. */
export const BIND_COMPLETED_ANNOTATION = 'pv.kubernetes.io/bind-completed';
/** On a claim or volume: the binding was made by the controller (not by the user's volumeName/claimRef). */
export const BOUND_BY_CONTROLLER_ANNOTATION = 'pv.kubernetes.io/bound-by-controller';

/** The default class of a Tugboat cluster, in k3s's manner: a directory on the node. */
export const LOCAL_PATH_CLASS = 'local-path';
export const LOCAL_PATH_PROVISIONER = 'tugboat.io/local-path';
/**
 * On a Node: the directory (absolute, on that node) under which the agent keeps local-path
 * volumes, one sub-directory per PV. The agent publishes it; the provisioner reads it.
 */
export const LOCAL_PATH_DIR_ANNOTATION = 'tugboat.io/local-path-dir';
/**
 * On a local-path PV: kept until the agent of the volume's node has removed its directory, so
 * a Delete reclaim removes the data before the object.
 */
export const LOCAL_PATH_CLEANUP_FINALIZER = 'tugboat.io/local-path-cleanup';
/**
 * Kubernetes' storage-object-in-use protection: the API server puts these on every new claim
 * and volume (StorageObjectInUseProtection admission); the pvc-protection controller removes
 * the claim's once no scheduled pod names it, the pv-protection controller the volume's once
 * it is not Bound. So deleting either while in use only marks it Terminating.
 */
export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';
export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';

/** The protection finalizer the API server adds to a new object of this kind, if any. */
export function protectionFinalizerFor(kind: string): string | undefined {
  return kind === 'PersistentVolumeClaim' ? PVC_PROTECTION_FINALIZER : kind === 'PersistentVolume' ? PV_PROTECTION_FINALIZER : undefined;
}

export const PV_ACCESS_MODES = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'] as const;
export const PV_RECLAIM_POLICIES = ['Retain', 'Delete', 'Recycle'] as const;
export const VOLUME_BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'] as const;
export const VOLUME_MODES = ['Filesystem', 'Block'] as const;

/** The local-path class `tugboat cluster up`'s API server makes when it is missing. */
export function localPathStorageClass(): StorageClassObject {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: LOCAL_PATH_CLASS, annotations: { [IS_DEFAULT_CLASS_ANNOTATION]: 'true' } },
    provisioner: LOCAL_PATH_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  };
}

export function isDefaultClass(sc: StorageClassObject): boolean {
  const a = sc.metadata?.annotations ?? {};
  return a[IS_DEFAULT_CLASS_ANNOTATION] === 'true' || a[BETA_IS_DEFAULT_CLASS_ANNOTATION] === 'true';
}

/**
 * The default class among `classes`: of several, the newest (then the first by name), as
 * Kubernetes' GetDefaultClass since 1.26; undefined when none is marked.
 */
export function pickDefaultStorageClass(classes: Iterable<StorageClassObject>): StorageClassObject | undefined {
  let best: StorageClassObject | undefined;
  for (const c of classes) {
    if (!isDefaultClass(c)) continue;
    if (!best) { best = c; continue; }
    const t = c.metadata?.creationTimestamp ?? '';
    const bt = best.metadata?.creationTimestamp ?? '';
    if (t > bt || (t === bt && (c.metadata?.name ?? '') < (best.metadata?.name ?? ''))) best = c;
  }
  return best;
}

/** A claim's class: "" is "no class" (only volumes without one), as Kubernetes' GetPersistentVolumeClaimClass. */
export function claimClass(pvc: PersistentVolumeClaim): string {
  return pvc.spec?.storageClassName ?? pvc.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? '';
}

export function volumeClass(pv: PersistentVolume): string {
  return pv.spec?.storageClassName ?? pv.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? '';
}

/**
 * Whether a volume's required node affinity admits the node (no affinity: every node).
 * The scheduler's VolumeBinding and the binder's WaitForFirstConsumer matching share it.
 */
export function volumeFitsNode(pv: PersistentVolume, labels: Readonly<Record<string, string>>, nodeName: string): boolean {
  const required = pv.spec?.nodeAffinity?.required;
  if (!required) return true;
  return compileNodeSelector(required)(labels, nodeName);
}

/** The required node affinity of a local volume on one node (by its hostname label, as k3s's provisioner writes it). */
export function nodeAffinityFor(nodeName: string): VolumeNodeAffinity {
  return {
    required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [nodeName] }] }] },
  };
}

/** The node a local-path volume lives on, read back from the affinity nodeAffinityFor wrote. */
export function localVolumeNode(pv: PersistentVolume): string | undefined {
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? [];
  if (terms.length !== 1) return undefined;
  const exprs = terms[0]!.matchExpressions ?? [];
  const host = exprs.find((e) => e.key === 'kubernetes.io/hostname' && e.operator === 'In' && e.values?.length === 1);
  return host?.values?.[0];
}

/** The directory a PV's data lives in on its node: `local.path` or `hostPath.path`. */
export function volumeHostPath(pv: PersistentVolume): string | undefined {
  return pv.spec?.local?.path ?? pv.spec?.hostPath?.path;
}

/** Whether the volume's claimRef names this claim (a uid, when set, must be the claim's). */
export function isVolumeBoundToClaim(pv: PersistentVolume, pvc: PersistentVolumeClaimObject): boolean {
  const ref = pv.spec?.claimRef;
  if (!ref || ref.name !== pvc.metadata?.name || (ref.namespace ?? '') !== (pvc.metadata?.namespace ?? '')) return false;
  return !ref.uid || ref.uid === pvc.metadata?.uid;
}

/** A node as volume matching needs it: its name and labels. */
export interface VolumeNode {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * Kubernetes' FindMatchingVolume: the volume for an unbound claim. One pre-bound to the claim
 * wins; otherwise, among volumes bound to no claim and not being deleted, those of the claim's
 * class, volume mode and selector, offering every access mode it asks for and at least its
 * storage request, and (with a node) whose node affinity admits the node: the smallest.
 * With `delayBinding` (WaitForFirstConsumer) and no node yet, only a pre-bound volume matches.
 */
export function findMatchingVolume(
  pvc: PersistentVolumeClaimObject, volumes: Iterable<PersistentVolumeObject>, node: VolumeNode | undefined, delayBinding: boolean,
): PersistentVolumeObject | undefined {
  const spec = pvc.spec ?? {};
  const requested = spec.resources?.requests?.storage;
  const want = requested === undefined ? undefined : parseQuantity(requested);
  const cls = claimClass(pvc);
  const selector = spec.selector ? selectorFromLabelSelector(spec.selector) : undefined;
  const mode = spec.volumeMode ?? 'Filesystem';
  let best: PersistentVolumeObject | undefined;
  let bestSize: Quantity | undefined;
  for (const pv of volumes) {
    const vs = pv.spec ?? {};
    if ((vs.volumeMode ?? 'Filesystem') !== mode) continue;
    if (node && !volumeFitsNode(pv, node.labels, node.name)) continue;
    if (isVolumeBoundToClaim(pv, pvc)) return pv;
    if (vs.claimRef || pv.metadata?.deletionTimestamp) continue;
    if (delayBinding && !node) continue;
    if (volumeClass(pv) !== cls) continue;
    if (selector && !selector.matches(pv.metadata?.labels ?? {})) continue;
    if (!(spec.accessModes ?? []).every((m) => vs.accessModes?.includes(m))) continue;
    const cap = vs.capacity?.storage;
    if (cap === undefined) continue;
    const size = parseQuantity(cap);
    if (want && size.cmp(want) < 0) continue;
    if (!bestSize || size.cmp(bestSize) < 0) { best = pv; bestSize = size; }
  }
  return best;
}
