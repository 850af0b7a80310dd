// Kubernetes' pv-protection controller: a volume deleted while Bound stays (Terminating,
// holding `kubernetes.io/pv-protection`) until the binder marks it Released or Available; a
// volume without the finalizer gets it.
//
//   volume added / updated, needing the finalizer or being deleted with it ─▶ queue "name"
//   sync: being deleted and not Bound ─▶ remove the finalizer; not being deleted and lacking it ─▶ add it
import { PV_PROTECTION_FINALIZER, type Informer, type PersistentVolumeObject } from '@tugboat/api';
import type { ProtectionControllerOptions } from './pvc-protection.js';
import { isDeletionCandidate, needsFinalizer, volumeInUse, writeProtectionFinalizer } from './volume-protection.js';
import { QueueController } from './queue-controller.js';

export class PvProtectionController extends QueueController {
  private readonly volumes: Informer<PersistentVolumeObject>;

  constructor(opts: ProtectionControllerOptions) {
    super('pvprotection', opts, 1);
    this.volumes = opts.informers.persistentVolumes();
    const changed = (pv: PersistentVolumeObject): void => {
      if (needsFinalizer(pv, PV_PROTECTION_FINALIZER) || isDeletionCandidate(pv, PV_PROTECTION_FINALIZER)) this.queue.add(pv.metadata?.name ?? '');
    };
    this.volumes.onAdd(changed).onUpdate((_old, pv) => changed(pv));
  }

  async sync(name: string): Promise<void> {
    const pv = this.volumes.get(name);
    if (!pv) return;
    if (isDeletionCandidate(pv, PV_PROTECTION_FINALIZER)) {
      // Decided again on the stored volume: the binder may have bound it meanwhile.
      if (!volumeInUse(pv)) await writeProtectionFinalizer(this.client, 'persistentvolumes', pv, PV_PROTECTION_FINALIZER, false, volumeInUse);
      return;
    }
    if (needsFinalizer(pv, PV_PROTECTION_FINALIZER)) await writeProtectionFinalizer(this.client, 'persistentvolumes', pv, PV_PROTECTION_FINALIZER, true);
  }
}
