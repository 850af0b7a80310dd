// The local-path provisioner, in k3s's manner (rancher/local-path-provisioner): for a claim the
// binder annotated for `tugboat.io/local-path` whose node the scheduler selected, a PV named
// pvc-<claim uid>, pre-bound to the claim, whose data is a directory on that node:
//
//   claim (storage-provisioner = tugboat.io/local-path, selected-node = N, no volume yet)
//     ──▶ Node N's annotation tugboat.io/local-path-dir (the agent publishes it) = D
//     ──▶ PV { hostPath D/pvc-<uid> (DirectoryOrCreate), nodeAffinity hostname In [N],
//              reclaimPolicy from the class, claimRef → the claim,
//              finalizer tugboat.io/local-path-cleanup when the policy is Delete }
//     ──▶ the binder binds them; the scheduler keeps the claim's pods on N (VolumeBinding).
// The directory is made by N's agent when a pod mounts it and removed by that agent when the
// PV is deleted (it then drops the finalizer), so nothing here touches a node's disk and
// the agents need no more than node-scoped rights.
import {
  ApiError, LOCAL_PATH_CLEANUP_FINALIZER, LOCAL_PATH_DIR_ANNOTATION, LOCAL_PATH_PROVISIONER, PROVISIONED_BY_ANNOTATION, SELECTED_NODE_ANNOTATION, STORAGE_PROVISIONER_ANNOTATION, claimClass, nodeAffinityFor, type Informer, type PersistentVolumeClaimObject, type PersistentVolumeObject, type StorageClassObject,
} from '@tugboat/api';
import { posix } from 'node:path';
import type { EventRecorder } from './events.js';
import type { NodeObject } from './informers.js';
import type { PersistentVolumeBinderOptions } from './persistentvolume-binder.js';
import { QueueController } from './queue-controller.js';

export const LOCAL_PATH_PROVISIONER_CONTROLLER = 'local-path-provisioner';
const SUPPORTED_MODES = ['ReadWriteOnce', 'ReadWriteOncePod'];
/** A node that has not published its directory yet (agent starting) is asked again after this. */
const NODE_RETRY_MS = 5_000;

export type ProvisionPlan =
  | { readonly action: 'create'; readonly volume: PersistentVolumeObject }
  | { readonly action: 'fail'; readonly message: string; readonly retry: boolean }
  | { readonly action: 'none' };

/** The volume to make for a claim, or why there is none (pure). */
export function planLocalVolume(
  claim: PersistentVolumeClaimObject, sc: StorageClassObject | undefined, node: NodeObject | undefined, existing: PersistentVolumeObject | undefined,
): ProvisionPlan {
  const meta = claim.metadata ?? {};
  if (meta.deletionTimestamp || claim.spec?.volumeName || existing) return { action: 'none' };
  if (meta.annotations?.[STORAGE_PROVISIONER_ANNOTATION] !== LOCAL_PATH_PROVISIONER) return { action: 'none' };
  if (!sc || sc.provisioner !== LOCAL_PATH_PROVISIONER) return { action: 'none' };
  const nodeName = meta.annotations?.[SELECTED_NODE_ANNOTATION];
  if (!nodeName) return { action: 'fail', message: 'configuration error, no node was specified', retry: false };
  const modes = claim.spec?.accessModes ?? [];
  if (modes.some((m) => !SUPPORTED_MODES.includes(m))) return { action: 'fail', message: 'Only support ReadWriteOnce, ReadWriteOncePod access mode', retry: false };
  const dir = node?.metadata?.annotations?.[LOCAL_PATH_DIR_ANNOTATION];
  if (!dir || !posix.isAbsolute(dir)) {
    return { action: 'fail', message: `node "${nodeName}" has not published its local-path directory (annotation ${LOCAL_PATH_DIR_ANNOTATION}): is its agent running?`, retry: true };
  }
  const name = `pvc-${meta.uid ?? ''}`;
  const reclaim = sc.reclaimPolicy ?? 'Delete';
  return {
    action: 'create',
    volume: {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: {
        name,
        annotations: { [PROVISIONED_BY_ANNOTATION]: LOCAL_PATH_PROVISIONER },
        ...(reclaim === 'Delete' ? { finalizers: [LOCAL_PATH_CLEANUP_FINALIZER] } : {}),
      },
      spec: {
        capacity: { storage: String(claim.spec?.resources?.requests?.storage ?? '') },
        accessModes: modes,
        persistentVolumeReclaimPolicy: reclaim,
        storageClassName: claimClass(claim),
        volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
        hostPath: { path: posix.join(dir, name), type: 'DirectoryOrCreate' },
        nodeAffinity: nodeAffinityFor(nodeName),
        claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: meta.namespace ?? '', name: meta.name ?? '', uid: meta.uid ?? '' },
      },
    },
  };
}

/** As the binder's: one worker is enough for volumes made one at a time. */
export type LocalPathProvisionerOptions = Omit<PersistentVolumeBinderOptions, 'workers'>;

export class LocalPathProvisioner extends QueueController {
  private readonly recorder: EventRecorder;
  private readonly claims: Informer<PersistentVolumeClaimObject>;
  private readonly volumes: Informer<PersistentVolumeObject>;
  private readonly classes: Informer<StorageClassObject>;
  private readonly nodes: Informer<NodeObject>;

  constructor(opts: LocalPathProvisionerOptions) {
    super(LOCAL_PATH_PROVISIONER_CONTROLLER, opts, 1);
    this.recorder = opts.recorder;
    this.claims = opts.informers.persistentVolumeClaims();
    this.volumes = opts.informers.persistentVolumes();
    this.classes = opts.informers.storageClasses();
    this.nodes = opts.informers.nodes();
    const enqueue = (c: PersistentVolumeClaimObject): void => {
      if (c.metadata?.annotations?.[STORAGE_PROVISIONER_ANNOTATION] === LOCAL_PATH_PROVISIONER && !c.spec?.volumeName) {
        this.queue.add(`${c.metadata?.namespace ?? ''}/${c.metadata?.name ?? ''}`);
      }
    };
    this.claims.onAdd(enqueue).onUpdate((_o, c) => enqueue(c));
  }

  async sync(key: string): Promise<void> {
    const claim = this.claims.get(key);
    if (!claim) return;
    const sc = this.classes.get(claimClass(claim));
    const nodeName = claim.metadata?.annotations?.[SELECTED_NODE_ANNOTATION];
    const node = nodeName ? this.nodes.get(nodeName) : undefined;
    const plan = planLocalVolume(claim, sc, node, this.volumes.get(`pvc-${claim.metadata?.uid ?? ''}`));
    switch (plan.action) {
      case 'none':
        return;
      case 'fail':
        this.recorder.event(claim, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${claimClass(claim)}": ${plan.message}`);
        if (plan.retry) this.queue.addAfter(key, NODE_RETRY_MS);
        return;
      case 'create': {
        const ns = claim.metadata?.namespace ?? '';
        this.recorder.event(claim, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${ns}/${claim.metadata?.name ?? ''}"`);
        try {
          await this.client.create(plan.volume);
        } catch (e) {
          if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) throw e;
        }
        this.recorder.event(claim, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${plan.volume.metadata?.name ?? ''}`);
        return;
      }
    }
  }
}
