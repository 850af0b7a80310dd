// VolumeBinding's view of storage: claims, volumes and classes from informers, and its one
// write, a claim's selected node. Changes to them also wake pods parked as unschedulable (a
// claim that appears or binds may make a pod schedulable), as Kubernetes' queueing hints do.
import {
  Informer, SELECTED_NODE_ANNOTATION, retryOnConflict,
  type ApiError, type PersistentVolumeClaimObject, type PersistentVolumeObject, type StorageClassObject, type TugboatClient,
} from '@tugboat/api';
import type { VolumeAccess } from './framework/snapshot.js';

export class VolumeInformers implements VolumeAccess {
  private readonly claims: Informer<PersistentVolumeClaimObject>;
  private readonly pvs: Informer<PersistentVolumeObject>;
  private readonly classes: Informer<StorageClassObject>;
  private waiters: Array<() => void> = [];
  private closed = false;

  constructor(private readonly client: TugboatClient, onError: (what: string) => (e: ApiError) => void, onChange: () => void) {
    this.claims = new Informer<PersistentVolumeClaimObject>(client, 'persistentvolumeclaims', { onError: onError('persistentvolumeclaims') });
    this.pvs = new Informer<PersistentVolumeObject>(client, 'persistentvolumes', { onError: onError('persistentvolumes') });
    this.classes = new Informer<StorageClassObject>(client, 'storageclasses', { onError: onError('storageclasses') });
    const changed = (): void => {
      onChange();
      const w = this.waiters;
      this.waiters = [];
      for (const resolve of w) resolve();
    };
    for (const inf of [this.claims, this.pvs, this.classes] as Array<Informer<PersistentVolumeClaimObject | PersistentVolumeObject | StorageClassObject>>) {
      inf.onAdd(changed).onUpdate(changed).onDelete(changed);
    }
  }

  async start(): Promise<void> {
    await Promise.all([this.claims.start(), this.pvs.start(), this.classes.start()]);
  }

  stop(): void {
    this.closed = true;
    this.claims.stop();
    this.pvs.stop();
    this.classes.stop();
    for (const resolve of this.waiters) resolve();
    this.waiters = [];
  }

  claim(namespace: string, name: string): PersistentVolumeClaimObject | undefined { return this.claims.get(`${namespace}/${name}`); }
  volume(name: string): PersistentVolumeObject | undefined { return this.pvs.get(name); }
  volumes(): Iterable<PersistentVolumeObject> { return this.pvs.items(); }
  storageClass(name: string): StorageClassObject | undefined { return this.classes.get(name); }

  async selectNode(namespace: string, name: string, nodeName: string): Promise<void> {
    await retryOnConflict(async () => {
      const claim = await this.client.get<PersistentVolumeClaimObject>('persistentvolumeclaims', namespace, name);
      if (claim.metadata?.annotations?.[SELECTED_NODE_ANNOTATION] === nodeName) return;
      const annotations = { ...claim.metadata?.annotations, [SELECTED_NODE_ANNOTATION]: nodeName };
      await this.client.update({ ...claim, metadata: { ...claim.metadata, annotations } });
    });
  }

  /** Rejects once stopped, so a PreBind waiting for claims gives up instead of holding the scheduler's stop. */
  changed(ms: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the scheduler is stopping'));
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.waiters.push(() => { clearTimeout(t); resolve(); });
    });
  }
}
