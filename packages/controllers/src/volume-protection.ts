// Decisions of the pvc-protection and pv-protection controllers (Kubernetes'
// pkg/controller/volume/pvcprotection, pvprotection and protectionutil), pure so they are
// tested without a cluster. The controllers (pvc-protection.ts, pv-protection.ts) only read
// caches, call these, and write the finalizer change.
import type { KubeObject, PersistentVolumeObject, TugboatClient } from '@tugboat/api';
import type { PodObject } from './informers.js';
import { updateWithRetry } from './owner-refs.js';
import { isPodTerminal } from './pod-util.js';

/** Being deleted and still holding the finalizer: the controller decides whether it may go. */
export function isDeletionCandidate(obj: KubeObject, finalizer: string): boolean {
  return !!obj.metadata?.deletionTimestamp && (obj.metadata.finalizers ?? []).includes(finalizer);
}

/** Not being deleted and missing the finalizer (made before admission added it, or stripped by someone). */
export function needsFinalizer(obj: KubeObject, finalizer: string): boolean {
  return !obj.metadata?.deletionTimestamp && !(obj.metadata?.finalizers ?? []).includes(finalizer);
}

/** The finalizer list with or without `finalizer`; undefined when it already is that way. */
export function finalizersWith(obj: KubeObject, finalizer: string, present: boolean): string[] | undefined {
  const now = obj.metadata?.finalizers ?? [];
  if (now.includes(finalizer) === present) return undefined;
  return present ? [...now, finalizer] : now.filter((f) => f !== finalizer);
}

/** The claims a pod's volumes name (persistentVolumeClaim sources), as "ns/name" keys. */
export function claimKeysOf(pod: PodObject): string[] {
  const ns = pod.metadata?.namespace ?? '';
  return (pod.spec?.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim?.claimName ? [`${ns}/${v.persistentVolumeClaim.claimName}`] : []));
}

/**
 * Kubernetes' podIsShutDown: deleted with no grace left (the agent is done with it, or it was
 * force-deleted). Such a pod no longer holds its claims even before it is removed, which
 * breaks a cycle of a pod finalizer waiting for the claim.
 */
export function podIsShutDown(pod: PodObject): boolean {
  return !!pod.metadata?.deletionTimestamp && pod.metadata.deletionGracePeriodSeconds === 0;
}

/**
 * Kubernetes' podUsesPVC: a pod holds a claim once it is scheduled (an agent may have mounted
 * it: an agent never starts a pod whose claim is being deleted, so an unscheduled pod cannot
 * get it) and until it is gone or shut down. A pod that finished still holds it, as in
 * Kubernetes: its volumes may still be mounted until the pod is deleted.
 */
export function podUsesClaim(pod: PodObject, namespace: string, claim: string): boolean {
  if (!pod.spec?.nodeName || pod.metadata?.namespace !== namespace || podIsShutDown(pod)) return false;
  return (pod.spec.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === claim);
}

/**
 * Whether a pod event may let a claim go (Kubernetes' enqueuePVCs filter): the pod is gone,
 * finished, or not scheduled. A running pod's event cannot free anything.
 */
export function podMayReleaseClaims(pod: PodObject, deleted: boolean): boolean {
  return deleted || isPodTerminal(pod) || !pod.spec?.nodeName || podIsShutDown(pod);
}

/** Kubernetes' pv-protection isBeingUsed: a volume is in use while Bound to a claim. */
export function volumeInUse(pv: PersistentVolumeObject): boolean {
  return pv.status?.phase === 'Bound';
}

/**
 * Adds (`present`) or removes a protection finalizer on the stored object (the edge both
 * controllers share). The decision is taken again on what is stored: an object that is no
 * longer a deletion candidate, or that `stillUsed` says is in use again, is left alone.
 */
export async function writeProtectionFinalizer<T extends KubeObject>(
  client: TugboatClient, resource: string, obj: T, finalizer: string, present: boolean, stillUsed: (cur: T) => boolean = () => false,
): Promise<void> {
  const { namespace = '', name = '', uid } = obj.metadata ?? {};
  await updateWithRetry<T>(client, resource, namespace, name, uid, (cur) => {
    if (present ? !needsFinalizer(cur, finalizer) : !isDeletionCandidate(cur, finalizer) || stillUsed(cur)) return false;
    const finalizers = finalizersWith(cur, finalizer, present);
    if (!finalizers) return false;
    cur.metadata = { ...cur.metadata, finalizers };
    return true;
  });
}
