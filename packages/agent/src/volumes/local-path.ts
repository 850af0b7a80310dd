// Local-path volumes on this node (k3s's manner; the provisioner is in the controller manager):
// the agent publishes where they live (Node annotation tugboat.io/local-path-dir), makes a
// volume's directory when a pod first mounts it (runtimes/oci/volumes.ts), and removes it when
// the volume is deleted:
//
//   every few seconds: each directory D/<pv> ──get PV──▶ being deleted and holding
//   tugboat.io/local-path-cleanup? ──▶ rm -rf D/<pv> ──▶ update the PV without the finalizer
//
// Only volumes whose directory is here are asked about, one get each, and the Node authorizer
// lets a node read and update exactly the local volumes on it: no list, no watch of all PVs.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ApiError, LOCAL_PATH_CLEANUP_FINALIZER, retryOnConflict, type PersistentVolumeObject, type TugboatClient,
} from '@tugboat/api';

/** The directory a node's local-path volumes live in. */
export function localPathDir(dataDir: string): string {
  return join(dataDir, 'volumes');
}

/** Whether a volume's directory is to be removed now (pure). */
export function shouldRemoveLocalVolume(pv: PersistentVolumeObject | undefined): boolean {
  return !!pv?.metadata?.deletionTimestamp && (pv.metadata.finalizers ?? []).includes(LOCAL_PATH_CLEANUP_FINALIZER);
}

export interface LocalVolumeCleanerOptions {
  client: TugboatClient;
  dir: string;
  intervalMs?: number;
  log?: (line: string) => void;
}

export class LocalVolumeCleaner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private readonly reported = new Set<string>();

  constructor(private readonly o: LocalVolumeCleanerOptions) {}

  start(): void {
    const tick = (): void => {
      this.running = this.sweep().then(() => undefined, (e: unknown) => this.o.log?.(`local-path cleanup: ${e instanceof Error ? e.message : String(e)}`));
      void this.running.finally(() => { if (this.timer) this.timer = setTimeout(tick, this.o.intervalMs ?? 5_000); });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass over the directory; returns the volumes it removed. */
  async sweep(): Promise<string[]> {
    const names = await readdir(this.o.dir).catch(() => [] as string[]);
    const removed: string[] = [];
    for (const name of names) {
      let pv: PersistentVolumeObject | undefined;
      try {
        pv = await this.o.client.tryGet<PersistentVolumeObject>('persistentvolumes', '', name);
      } catch (e) {
        // A volume that is gone is no longer this node's to read (Forbidden): its directory stays, said once.
        if (e instanceof ApiError && e.reason === 'Forbidden') {
          if (!this.reported.has(name)) this.o.log?.(`local-path cleanup: ${join(this.o.dir, name)} belongs to no volume of this node; left in place`);
          this.reported.add(name);
          continue;
        }
        throw e;
      }
      if (!shouldRemoveLocalVolume(pv)) continue;
      await rm(join(this.o.dir, name), { recursive: true, force: true });
      await retryOnConflict(async () => {
        const cur = await this.o.client.tryGet<PersistentVolumeObject>('persistentvolumes', '', name);
        if (!cur || !shouldRemoveLocalVolume(cur)) return;
        const finalizers = (cur.metadata?.finalizers ?? []).filter((f) => f !== LOCAL_PATH_CLEANUP_FINALIZER);
        await this.o.client.update({ ...cur, metadata: { ...cur.metadata, finalizers } });
      }).catch((e: unknown) => { if (!(e instanceof ApiError && (e.reason === 'NotFound' || e.reason === 'Forbidden'))) throw e; });
      this.o.log?.(`local-path cleanup: removed ${join(this.o.dir, name)} of deleted volume ${name}`);
      removed.push(name);
    }
    return removed;
  }
}
