// Kubernetes' persistentvolume-binder (pkg/controller/volume/persistentvolume): binds each
// claim to a volume, keeps both phases, and reclaims a volume whose claim is gone.
//
//   claims / volumes / classes / nodes informers ──▶ queue "persistentvolume-binder"
//     "claim/ns/name"  ──▶ decideClaim (persistentvolume-plan.ts) ──▶ bind:
//                             1. volume.spec.claimRef (+ bound-by-controller)   update
//                             2. volume phase Bound                              status
//                             3. claim.spec.volumeName (+ bind-completed)        update
//                             4. claim phase Bound, capacity, access modes       status
//                          or annotate for the provisioner (local-path-provisioner.ts acts),
//                          or an event saying why it waits (the claim stays Pending)
//     "volume/name"    ──▶ decideVolume ──▶ phase Available/Bound/Released, delete (Delete),
//                          Failed (Recycle), unbind
// Every step is a compare-and-swap on what the cache held; a Conflict re-runs the sync.
import {
  ApiError, BETA_STORAGE_PROVISIONER_ANNOTATION, BIND_COMPLETED_ANNOTATION, BOUND_BY_CONTROLLER_ANNOTATION, STORAGE_PROVISIONER_ANNOTATION,
  claimClass,
  type Informer, type KubeObject, type PersistentVolumeClaimObject, type PersistentVolumeObject, type StorageClassObject,
} from '@tugboat/api';
import type { EventRecorder } from './events.js';
import type { NodeObject, SharedInformers } from './informers.js';
import { decideClaim, decideVolume, needsProvisionerAnnotation, type ClaimWorld } from './persistentvolume-plan.js';
import { QueueController, type ControllerOptions } from './queue-controller.js';

export const PERSISTENTVOLUME_BINDER = 'persistentvolume-binder';
/** The component Kubernetes' events about claims and volumes come from. */
export const PERSISTENTVOLUME_CONTROLLER = 'persistentvolume-controller';

export interface PersistentVolumeBinderOptions extends ControllerOptions {
  informers: SharedInformers;
  recorder: EventRecorder;
}

const claimKey = (c: KubeObject): string => `claim/${c.metadata?.namespace ?? ''}/${c.metadata?.name ?? ''}`;
const volumeKey = (name: string): string => `volume/${name}`;

export class PersistentVolumeBinder extends QueueController {
  private readonly recorder: EventRecorder;
  private readonly claims: Informer<PersistentVolumeClaimObject>;
  private readonly volumes: Informer<PersistentVolumeObject>;
  private readonly classes: Informer<StorageClassObject>;
  private readonly nodes: Informer<NodeObject>;

  constructor(opts: PersistentVolumeBinderOptions) {
    super(PERSISTENTVOLUME_BINDER, opts, 2);
    this.recorder = opts.recorder;
    this.claims = opts.informers.persistentVolumeClaims();
    this.volumes = opts.informers.persistentVolumes();
    this.classes = opts.informers.storageClasses();
    this.nodes = opts.informers.nodes();
    const onClaim = (c: PersistentVolumeClaimObject): void => {
      this.queue.add(claimKey(c));
      if (c.spec?.volumeName) this.queue.add(volumeKey(c.spec.volumeName));
    };
    this.claims.onAdd(onClaim).onUpdate((_o, c) => onClaim(c)).onDelete(onClaim);
    const onVolume = (v: PersistentVolumeObject): void => {
      this.queue.add(volumeKey(v.metadata?.name ?? ''));
      const ref = v.spec?.claimRef;
      if (ref?.name) this.queue.add(`claim/${ref.namespace ?? ''}/${ref.name}`);
    };
    this.volumes.onAdd(onVolume).onUpdate((_o, v) => onVolume(v)).onDelete(onVolume);
    // A class made after its claims: they may provision now.
    const onClass = (sc: StorageClassObject): void => {
      const name = sc.metadata?.name ?? '';
      for (const c of this.claims.items()) if (!c.spec?.volumeName && claimClass(c) === name) this.queue.add(claimKey(c));
    };
    this.classes.onAdd(onClass).onUpdate((_o, sc) => onClass(sc));
  }

  async sync(key: string): Promise<void> {
    const slash = key.indexOf('/');
    const kind = key.slice(0, slash);
    const rest = key.slice(slash + 1);
    if (kind === 'claim') {
      const claim = this.claims.get(rest);
      if (claim) await this.syncClaim(claim);
    } else {
      const volume = this.volumes.get(rest);
      if (volume) await this.syncVolume(volume);
    }
  }

  private world(): ClaimWorld {
    return {
      volumes: this.volumes.items(),
      volume: (name) => this.volumes.get(name),
      storageClass: (name) => this.classes.get(name),
      node: (name) => {
        const n = this.nodes.get(name);
        return n ? { name, labels: n.metadata?.labels ?? {} } : undefined;
      },
    };
  }

  private async syncClaim(claim: PersistentVolumeClaimObject): Promise<void> {
    const d = decideClaim(claim, this.world());
    switch (d.action) {
      case 'none':
        return;
      case 'bind':
        await this.bind(d.volume, claim);
        return;
      case 'wait':
        this.recorder.event(claim, d.event.type, d.event.reason, d.event.message);
        return;
      case 'lost':
        this.recorder.event(claim, d.event.type, d.event.reason, d.event.message);
        await this.client.updateStatus<KubeObject>({ ...claim, status: { ...claim.status, phase: 'Lost' } });
        return;
      case 'provision':
        if (needsProvisionerAnnotation(claim, d.provisioner)) {
          this.recorder.event(claim, d.event.type, d.event.reason, d.event.message);
          const annotations = { ...claim.metadata?.annotations, [STORAGE_PROVISIONER_ANNOTATION]: d.provisioner, [BETA_STORAGE_PROVISIONER_ANNOTATION]: d.provisioner };
          await this.client.update<KubeObject>({ ...claim, metadata: { ...claim.metadata, annotations } });
        }
        return;
    }
  }

  /** Kubernetes' bind(): each of the four writes only when it is not done yet. */
  private async bind(volume: PersistentVolumeObject, claim: PersistentVolumeClaimObject): Promise<void> {
    let pv = volume;
    const ref = pv.spec?.claimRef;
    if (!ref || ref.uid !== claim.metadata?.uid || ref.name !== claim.metadata?.name) {
      const annotations = ref ? pv.metadata?.annotations : { ...pv.metadata?.annotations, [BOUND_BY_CONTROLLER_ANNOTATION]: 'yes' };
      pv = await this.client.update<PersistentVolumeObject>({
        ...pv,
        metadata: { ...pv.metadata, ...(annotations ? { annotations } : {}) },
        spec: {
          ...pv.spec,
          claimRef: {
            kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: claim.metadata?.namespace ?? '', name: claim.metadata?.name ?? '',
            uid: claim.metadata?.uid ?? '', ...(claim.metadata?.resourceVersion ? { resourceVersion: claim.metadata.resourceVersion } : {}),
          },
        },
      });
    }
    if (pv.status?.phase !== 'Bound') pv = await this.client.updateStatus<PersistentVolumeObject>({ ...pv, status: { ...pv.status, phase: 'Bound' } });
    let pvc = claim;
    const name = pv.metadata?.name ?? '';
    if (pvc.spec?.volumeName !== name || pvc.metadata?.annotations?.[BIND_COMPLETED_ANNOTATION] !== 'yes') {
      const annotations: Record<string, string> = { ...pvc.metadata?.annotations, [BIND_COMPLETED_ANNOTATION]: 'yes' };
      if (!pvc.spec?.volumeName) annotations[BOUND_BY_CONTROLLER_ANNOTATION] = 'yes';
      pvc = await this.client.update<PersistentVolumeClaimObject>({ ...pvc, metadata: { ...pvc.metadata, annotations }, spec: { ...pvc.spec, volumeName: name } });
    }
    const capacity = pv.spec?.capacity;
    const modes = pv.spec?.accessModes;
    const st = pvc.status;
    if (st?.phase !== 'Bound' || String(st.capacity?.storage ?? '') !== String(capacity?.storage ?? '') || (st.accessModes ?? []).join() !== (modes ?? []).join()) {
      await this.client.updateStatus<KubeObject>({
        ...pvc, status: { ...st, phase: 'Bound', ...(capacity ? { capacity } : {}), ...(modes ? { accessModes: modes } : {}) },
      });
      this.log.info(`${PERSISTENTVOLUME_BINDER}: bound claim ${pvc.metadata?.namespace}/${pvc.metadata?.name} to volume ${name}`);
    }
  }

  private async syncVolume(pv: PersistentVolumeObject): Promise<void> {
    const ref = pv.spec?.claimRef;
    let claim = ref?.name ? this.claims.get(`${ref.namespace ?? ''}/${ref.name}`) : undefined;
    if (ref?.uid && claim?.metadata?.uid !== ref.uid) {
      // The cache may not have seen the claim yet: ask the API before releasing a volume.
      claim = await this.client.tryGet<PersistentVolumeClaimObject>('persistentvolumeclaims', ref.namespace ?? '', ref.name ?? '');
    }
    const d = decideVolume(pv, claim);
    switch (d.action) {
      case 'none':
        return;
      case 'enqueue-claim':
        if (claim) this.queue.add(claimKey(claim));
        return;
      case 'phase':
        await this.client.updateStatus<KubeObject>({ ...pv, status: { ...pv.status, phase: d.phase } });
        return;
      case 'delete':
        // A local-path volume keeps a finalizer until its node's agent has removed the directory.
        await this.client.delete('persistentvolumes', '', pv.metadata?.name ?? '', { ...(pv.metadata?.uid ? { preconditionUid: pv.metadata.uid } : {}) }).catch((e: unknown) => {
          if (!(e instanceof ApiError && e.reason === 'NotFound')) throw e;
        });
        return;
      case 'fail':
        this.recorder.event(pv, 'Warning', 'VolumeFailedRecycle', d.message);
        await this.client.updateStatus<KubeObject>({ ...pv, status: { ...pv.status, phase: 'Failed', message: d.message } });
        return;
      case 'unbind': {
        const annotations = { ...pv.metadata?.annotations };
        delete annotations[BOUND_BY_CONTROLLER_ANNOTATION];
        const spec = { ...pv.spec };
        delete spec.claimRef;
        await this.client.update<KubeObject>({ ...pv, metadata: { ...pv.metadata, annotations }, spec });
        return;
      }
    }
  }
}
