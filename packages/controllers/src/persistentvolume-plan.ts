// The persistentvolume-binder's decisions, pure (Kubernetes' pkg/controller/volume/
// persistentvolume: syncClaim/syncUnboundClaim/syncBoundClaim and syncVolume). The controller
// (persistentvolume-binder.ts) reads its caches, asks here what to do, and does it.
//
//   claim ──▶ decideClaim ──▶ bind (a volume) | provision (annotate for the class's provisioner)
//                           | wait (an event saying why: WaitForFirstConsumer, ProvisioningFailed, …)
//                           | phase (Lost, with ClaimLost/ClaimMisbound) | nothing
//   volume ─▶ decideVolume ─▶ phase (Available, Bound, Released) | delete (reclaim Delete)
//                           | fail (Recycle) | unbind (its claim went to another volume) | nothing
import {
  BOUND_BY_CONTROLLER_ANNOTATION, SELECTED_NODE_ANNOTATION, STORAGE_PROVISIONER_ANNOTATION, claimClass, findMatchingVolume,
  isVolumeBoundToClaim,
  type PersistentVolumeClaimObject, type PersistentVolumeObject, type StorageClassObject, type VolumeNode,
} from '@tugboat/api';

export type ClaimEvent = { readonly type: 'Normal' | 'Warning'; readonly reason: string; readonly message: string };

export type ClaimDecision =
  | { readonly action: 'bind'; readonly volume: PersistentVolumeObject }
  | { readonly action: 'provision'; readonly provisioner: string; readonly event: ClaimEvent }
  | { readonly action: 'wait'; readonly event: ClaimEvent }
  | { readonly action: 'lost'; readonly event: ClaimEvent }
  | { readonly action: 'none' };

export interface ClaimWorld {
  readonly volumes: Iterable<PersistentVolumeObject>;
  volume(name: string): PersistentVolumeObject | undefined;
  storageClass(name: string): StorageClassObject | undefined;
  node(name: string): VolumeNode | undefined;
}

export const WAIT_FOR_FIRST_CONSUMER_MESSAGE = 'waiting for first consumer to be created before binding';
export const NO_CLASS_MESSAGE = 'no persistent volumes available for this claim and no storage class is set';

export function externalProvisioningMessage(provisioner: string): string {
  return `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`;
}

export function decideClaim(pvc: PersistentVolumeClaimObject, world: ClaimWorld): ClaimDecision {
  if (pvc.metadata?.deletionTimestamp) return { action: 'none' };
  const volumeName = pvc.spec?.volumeName;
  if (volumeName) return decideBoundClaim(pvc, volumeName, world);
  const className = claimClass(pvc);
  const sc = className ? world.storageClass(className) : undefined;
  const delay = sc?.volumeBindingMode === 'WaitForFirstConsumer';
  const selected = pvc.metadata?.annotations?.[SELECTED_NODE_ANNOTATION];
  // A volume the claim is pre-bound to (by its user, or by a provisioner) counts before anything else.
  for (const pv of world.volumes) if (pv.spec?.claimRef?.uid && isVolumeBoundToClaim(pv, pvc)) return { action: 'bind', volume: pv };
  if (delay && !selected) return { action: 'wait', event: { type: 'Normal', reason: 'WaitForFirstConsumer', message: WAIT_FOR_FIRST_CONSUMER_MESSAGE } };
  const node = selected ? world.node(selected) : undefined;
  const match = findMatchingVolume(pvc, world.volumes, node, delay);
  if (match) return { action: 'bind', volume: match };
  if (!className) return { action: 'wait', event: { type: 'Normal', reason: 'FailedBinding', message: NO_CLASS_MESSAGE } };
  if (!sc) return { action: 'wait', event: { type: 'Warning', reason: 'ProvisioningFailed', message: `storageclass.storage.k8s.io "${className}" not found` } };
  return { action: 'provision', provisioner: sc.provisioner, event: { type: 'Normal', reason: 'ExternalProvisioning', message: externalProvisioningMessage(sc.provisioner) } };
}

function decideBoundClaim(pvc: PersistentVolumeClaimObject, volumeName: string, world: ClaimWorld): ClaimDecision {
  const pv = world.volume(volumeName);
  if (!pv) {
    // A claim that was bound lost its volume; one that names a volume not made yet waits for it.
    if (pvc.status?.phase === 'Bound') return { action: 'lost', event: { type: 'Warning', reason: 'ClaimLost', message: 'Bound claim has lost its PersistentVolume. Data on the volume is lost!' } };
    return { action: 'none' };
  }
  if (!pv.spec?.claimRef || isVolumeBoundToClaim(pv, pvc)) return { action: 'bind', volume: pv };
  if (pvc.status?.phase === 'Lost') return { action: 'none' };
  return { action: 'lost', event: { type: 'Warning', reason: 'ClaimMisbound', message: 'Two claims are bound to the same volume, this one is bound incorrectly' } };
}

/** Whether the claim still has to be annotated for its provisioner. */
export function needsProvisionerAnnotation(pvc: PersistentVolumeClaimObject, provisioner: string): boolean {
  return pvc.metadata?.annotations?.[STORAGE_PROVISIONER_ANNOTATION] !== provisioner;
}

export type VolumeDecision =
  | { readonly action: 'phase'; readonly phase: 'Available' | 'Bound' | 'Released' }
  | { readonly action: 'delete' }
  | { readonly action: 'fail'; readonly message: string }
  | { readonly action: 'unbind' }
  | { readonly action: 'enqueue-claim' }
  | { readonly action: 'none' };

/**
 * `claim`: the claim the volume's claimRef names, as stored (undefined: not there, or another
 * claim of that name, checked against the API before this is called).
 */
export function decideVolume(pv: PersistentVolumeObject, claim: PersistentVolumeClaimObject | undefined): VolumeDecision {
  if (pv.metadata?.deletionTimestamp) return { action: 'none' };
  const phase = pv.status?.phase;
  const ref = pv.spec?.claimRef;
  const want = (p: 'Available' | 'Bound' | 'Released'): VolumeDecision => (phase === p ? { action: 'none' } : { action: 'phase', phase: p });
  if (!ref) return want('Available');
  // Pre-bound by name only: available to that claim until it binds.
  if (!ref.uid) return claim && !claim.spec?.volumeName ? { action: 'enqueue-claim' } : want('Available');
  if (!claim || claim.metadata?.uid !== ref.uid) {
    if (phase === 'Failed') return { action: 'none' };
    if (phase !== 'Released') return { action: 'phase', phase: 'Released' };
    const policy = pv.spec?.persistentVolumeReclaimPolicy ?? 'Retain';
    switch (policy) {
      case 'Retain': return { action: 'none' };
      case 'Delete': return { action: 'delete' };
      case 'Recycle': return { action: 'fail', message: 'Recycle is not supported by Tugboat: use Delete, or Retain and reuse the volume by hand' };
      default: return { action: 'fail', message: `unknown reclaim policy "${policy}"` };
    }
  }
  const bound = claim.spec?.volumeName;
  if (!bound) return { action: 'enqueue-claim' };
  if (bound === pv.metadata?.name) return want('Bound');
  // The claim went to another volume: a binding the controller made is undone.
  return pv.metadata?.annotations?.[BOUND_BY_CONTROLLER_ANNOTATION] ? { action: 'unbind' } : { action: 'none' };
}
