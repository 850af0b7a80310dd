// Kubernetes' pvc-protection controller: a claim deleted while a scheduled pod names it stays
// (Terminating, holding `kubernetes.io/pvc-protection`) until no such pod is left; a claim
// without the finalizer (made before the API server added it) gets it.
//
//   claim added / updated, needing the finalizer or being deleted with it ──┐
//   pod deleted, finished, unscheduled or shut down: each claim it names ───┴─▶ queue "ns/name"
//   sync: being deleted ─▶ a pod in the cache uses it? keep : a live list of the namespace's
//         pods (the cache may not have seen a new pod yet) uses it? keep : remove the finalizer
//         not being deleted and lacking it ─▶ add it
//
// The API server adds the finalizer at create (storage-protection-admission.ts); the garbage
// collector and `tctl delete pvc` only mark the claim, and this controller lets it go.
import { PVC_PROTECTION_FINALIZER, type Informer, type PersistentVolumeClaimObject } from '@tugboat/api';
import type { PodObject, SharedInformers } from './informers.js';
import { claimKeysOf, isDeletionCandidate, needsFinalizer, podMayReleaseClaims, podUsesClaim, writeProtectionFinalizer } from './volume-protection.js';
import { QueueController, type ControllerOptions } from './queue-controller.js';

export interface ProtectionControllerOptions extends ControllerOptions {
  informers: SharedInformers;
}

export class PvcProtectionController extends QueueController {
  private readonly claims: Informer<PersistentVolumeClaimObject>;
  private readonly pods: Informer<PodObject>;

  constructor(opts: ProtectionControllerOptions) {
    super('pvcprotection', opts, 1);
    this.claims = opts.informers.persistentVolumeClaims();
    this.pods = opts.informers.pods();
    const claimChanged = (pvc: PersistentVolumeClaimObject): void => {
      if (needsFinalizer(pvc, PVC_PROTECTION_FINALIZER) || isDeletionCandidate(pvc, PVC_PROTECTION_FINALIZER)) {
        this.queue.add(`${pvc.metadata?.namespace ?? ''}/${pvc.metadata?.name ?? ''}`);
      }
    };
    this.claims.onAdd(claimChanged).onUpdate((_old, pvc) => claimChanged(pvc));
    const podChanged = (pod: PodObject, deleted: boolean): void => {
      if (podMayReleaseClaims(pod, deleted)) for (const key of claimKeysOf(pod)) this.queue.add(key);
    };
    this.pods
      .onAdd((pod) => podChanged(pod, false))
      .onUpdate((old, pod) => {
        podChanged(pod, false);
        // An update may hide the deletion of one pod and the creation of another of the same name.
        if (old.metadata?.uid !== pod.metadata?.uid) podChanged(old, true);
      })
      .onDelete((pod) => podChanged(pod, true));
  }

  async sync(key: string): Promise<void> {
    const pvc = this.claims.get(key);
    if (!pvc) return;
    const ns = pvc.metadata?.namespace ?? '';
    const name = pvc.metadata?.name ?? '';
    if (isDeletionCandidate(pvc, PVC_PROTECTION_FINALIZER)) {
      if (await this.inUse(ns, name)) return;
      await writeProtectionFinalizer(this.client, 'persistentvolumeclaims', pvc, PVC_PROTECTION_FINALIZER, false);
      return;
    }
    if (needsFinalizer(pvc, PVC_PROTECTION_FINALIZER)) await writeProtectionFinalizer(this.client, 'persistentvolumeclaims', pvc, PVC_PROTECTION_FINALIZER, true);
  }

  /** The cache first; when it knows no user, a live list, since a pod just made may not be in it yet. */
  private async inUse(namespace: string, claim: string): Promise<boolean> {
    if (this.pods.list().some((p) => podUsesClaim(p, namespace, claim))) return true;
    const live = await this.client.list<PodObject>('pods', { namespace });
    return live.items.some((p) => podUsesClaim(p, namespace, claim));
  }
}
