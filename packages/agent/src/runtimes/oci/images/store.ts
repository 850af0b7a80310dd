// The node's image store: one store under the agent's data dir, shared by all containers of
// the node. A thin façade over its parts, so the oci runtime has one object to ask:
//
//   <dir>/blobs/sha256/<hex>     blob-store.ts: manifests, configs, layers, once per digest
//   <dir>/snapshots/<n>/fs       unpacker.ts: layers unpacked once per chain ID
//   <dir>/images.json            references → manifest, config, layers; the snapshot table
//   <dir>/tmp/                   partial downloads, unpacked oci-archives
//
//   ensureImage ─▶ pull policy ─▶ puller.ts (source → blobs → unpacker) ─▶ images.json
//   garbageCollect ─▶ image-gc.ts (which images) ─▶ sweep (blobs and snapshots no image uses)
//
// Concurrent pulls share work: one pull per reference at a time, one download per blob
// digest, one unpack per chain ID (in-flight promise maps).
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import type { PullProgress } from '../../runtime.js';
import { overlaySupported, unmountAll } from '../../../system/mounts.js';
import { BlobStore, referencedBlobs } from './blob-store.js';
import type { KeychainEntry } from './credentials.js';
import { DEFAULT_GC_THRESHOLDS, fsUsage, selectImagesForGc, type DiskUsage, type GcThresholds } from './image-gc.js';
import { ImagePullError, type ImageRecord, type PullPolicy, type SnapshotRecord, type Snapshotter } from './image-record.js';
import { nodePlatform, type Platform } from './manifest.js';
import { pullImage } from './puller.js';
import { defaultPullPolicy, imageStoreKey, InvalidReferenceError, parseImageReference, type ImageReference } from './reference.js';
import { RegistryClient } from './registry-client.js';
import { Unpacker } from './unpacker.js';

export { ImagePullError, type ImageErrorReason, type ImageRecord, type LayerRecord, type PullPolicy } from './image-record.js';
export { DEFAULT_GC_THRESHOLDS, selectImagesForGc, type DiskUsage, type GcThresholds } from './image-gc.js';

interface Db {
  version: 1;
  snapshotter: Snapshotter;
  nextSnapshotId: number;
  images: Record<string, ImageRecord>;
  snapshots: Record<string, SnapshotRecord>;
}

export interface ImageStoreOptions {
  /** The store's directory, e.g. `<agent data dir>/images`. */
  dir: string;
  client?: RegistryClient;
  insecureRegistries?: readonly string[];
  /** Registry domain → the host its images are pulled from instead. */
  registryMirrors?: Readonly<Record<string, string>>;
  platform?: Platform;
  /** `auto` (the default) uses overlayfs where it works, else full copies. */
  snapshotter?: 'auto' | Snapshotter;
  /** Parallel blob downloads per pull (Docker's default is 3). */
  maxConcurrentDownloads?: number;
  /** How full the image disk is; the default asks the kernel (statfs). */
  diskUsage?: () => Promise<DiskUsage>;
  log?: (message: string) => void;
}

export class ImageStore {
  readonly dir: string;
  private readonly blobs: BlobStore;
  private readonly snapshotsDir: string;
  private readonly tmpDir: string;
  private readonly dbPath: string;
  private readonly client: RegistryClient;
  private readonly platform: Platform;
  private readonly maxDownloads: number;
  private readonly log: (m: string) => void;
  private readonly diskUsageFn: () => Promise<DiskUsage>;
  private readonly wantSnapshotter: 'auto' | Snapshotter;
  private db!: Db;
  private unpacker!: Unpacker;
  private opening: Promise<void> | undefined;
  private saving: Promise<void> = Promise.resolve();
  private readonly pulls = new Map<string, Promise<ImageRecord>>();
  /** Blob GETs this store made, per digest (what the "download once" guarantee is about). */
  readonly downloadCounts = new Map<string, number>();

  constructor(options: ImageStoreOptions) {
    this.dir = resolvePath(options.dir);
    this.snapshotsDir = join(this.dir, 'snapshots');
    this.tmpDir = join(this.dir, 'tmp');
    this.blobs = new BlobStore(join(this.dir, 'blobs', 'sha256'), this.tmpDir);
    this.dbPath = join(this.dir, 'images.json');
    this.platform = options.platform ?? nodePlatform();
    this.client = options.client ?? new RegistryClient({ insecureRegistries: options.insecureRegistries ?? [], ...(options.registryMirrors ? { mirrors: options.registryMirrors } : {}), platform: this.platform });
    this.maxDownloads = Math.max(1, options.maxConcurrentDownloads ?? 3);
    this.log = options.log ?? (() => undefined);
    this.diskUsageFn = options.diskUsage ?? (() => fsUsage(this.dir));
    this.wantSnapshotter = options.snapshotter ?? 'auto';
  }

  /** Opens (or creates) the store and cleans up what a crash left behind. */
  static async open(options: ImageStoreOptions): Promise<ImageStore> {
    const store = new ImageStore(options);
    await store.ready();
    return store;
  }

  /** Resolves once the store is open; the synchronous readers (get, list) need it first. */
  ready(): Promise<void> {
    this.opening ??= this.init();
    return this.opening;
  }

  private async init(): Promise<void> {
    await this.blobs.init();
    await mkdir(this.snapshotsDir, { recursive: true });
    await unmountAll(this.tmpDir).catch(() => undefined);
    await rm(this.tmpDir, { recursive: true, force: true });
    await mkdir(this.tmpDir, { recursive: true });
    const stored = await readFile(this.dbPath, 'utf8').then((t) => JSON.parse(t) as Db, () => undefined);
    const snapshotter: Snapshotter = this.wantSnapshotter === 'auto'
      ? ((await overlaySupported(this.tmpDir)) ? 'overlay' : 'copy')
      : this.wantSnapshotter;
    if (stored && stored.version === 1 && stored.snapshotter === snapshotter) {
      this.db = stored;
    } else {
      // Snapshots of another kind cannot be used; blobs stay, images are unpacked again.
      this.db = { version: 1, snapshotter, nextSnapshotId: 1, images: {}, snapshots: {} };
      if (stored?.images) {
        for (const img of Object.values(stored.images)) this.db.images[img.reference] = img;
      }
    }
    this.unpacker = new Unpacker({ dir: this.snapshotsDir, table: this.db, blobs: this.blobs, save: () => this.save(), log: this.log });
    await this.unpacker.recover();
    await this.save();
  }

  get snapshotter(): Snapshotter {
    return this.db.snapshotter;
  }

  /** The image stored under `image` (any spelling of the reference), if any. */
  get(image: string): ImageRecord | undefined {
    let key: string;
    try {
      key = imageStoreKey(parseImageReference(image));
    } catch {
      return undefined;
    }
    const rec = this.db.images[key];
    return rec && this.isComplete(rec) ? rec : undefined;
  }

  list(): ImageRecord[] {
    return Object.values(this.db.images).filter((r) => this.isComplete(r));
  }

  private isComplete(rec: ImageRecord): boolean {
    return rec.layers.every((l) => this.unpacker.has(l.chainId));
  }

  /**
   * What a container start does: applies the pull policy (Kubernetes' default when
   * none is given) and returns the image, pulling it when needed.
   */
  async ensureImage(image: string, policy: PullPolicy | undefined, keychain: readonly KeychainEntry[] = [], progress?: PullProgress): Promise<ImageRecord> {
    const effective = policy ?? defaultPullPolicy(image);
    const present = this.get(image);
    const pull = async (): Promise<ImageRecord> => {
      progress?.pulling();
      const started = performance.now();
      const rec = await this.pull(image, keychain);
      progress?.pulled(performance.now() - started, rec.size);
      return rec;
    };
    switch (effective) {
      case 'Never':
        if (present) { progress?.present(); return present; }
        throw new ImagePullError('ErrImageNeverPull', `Container image "${image}" is not present with pull policy of Never`);
      case 'IfNotPresent':
        if (present) { progress?.present(); return present; }
        return pull();
      case 'Always':
        return pull();
    }
  }

  /** Pulls an image (manifest, config, layers) and unpacks its layers. */
  pull(image: string, keychain: readonly KeychainEntry[] = []): Promise<ImageRecord> {
    let ref: ImageReference;
    try {
      ref = parseImageReference(image);
    } catch (e) {
      const msg = e instanceof InvalidReferenceError ? e.message : String(e);
      return Promise.reject(new ImagePullError('InvalidImageName', `Failed to apply default image tag "${image}": ${msg}`));
    }
    const key = `${imageStoreKey(ref)}|${createHash('sha256').update(JSON.stringify(keychain)).digest('hex').slice(0, 12)}`;
    const inflight = this.pulls.get(key);
    if (inflight) return inflight;
    const p = this.pullAndRecord(image, ref, keychain).finally(() => this.pulls.delete(key));
    this.pulls.set(key, p);
    return p;
  }

  private async pullAndRecord(image: string, ref: ImageReference, keychain: readonly KeychainEntry[]): Promise<ImageRecord> {
    const pulled = await pullImage({
      client: this.client, platform: this.platform, maxDownloads: this.maxDownloads, tmpDir: this.tmpDir,
      blobs: this.blobs, unpacker: this.unpacker, downloadCounts: this.downloadCounts,
    }, image, ref, keychain);
    // A pull again of an image in use is not a use: GC's least-recently-used order stays.
    const record: ImageRecord = { ...pulled, lastUsedAt: this.db.images[pulled.reference]?.lastUsedAt ?? pulled.lastUsedAt };
    this.db.images[record.reference] = record;
    await this.save();
    return record;
  }

  /**
   * The unpacked layers of an image for a root filesystem: with overlay, every layer
   * (topmost first) as paths relative to `cwd`; with copies, the one full top snapshot.
   */
  rootfsLayers(image: ImageRecord): { snapshotter: Snapshotter; cwd: string; lower: string[] } {
    return this.unpacker.rootfsLayers(image);
  }

  /** Records that a container was created from the image (for least-recently-used GC). */
  async markUsed(reference: string): Promise<void> {
    const rec = this.get(reference);
    if (!rec) return;
    rec.lastUsedAt = new Date().toISOString();
    await this.save();
  }

  /** Removes one image reference; its blobs and layers go when no other image uses them. */
  async remove(image: string): Promise<boolean> {
    const rec = this.get(image) ?? this.db.images[image];
    if (!rec) return false;
    delete this.db.images[rec.reference];
    await this.save();
    await this.sweep();
    return true;
  }

  /**
   * Kubelet's image GC: above the high threshold of disk usage, removes images no
   * container uses, least recently used first, until usage would be under the low one.
   */
  async garbageCollect(inUse: ReadonlySet<string>, thresholds: GcThresholds = DEFAULT_GC_THRESHOLDS): Promise<{ removed: string[]; freedBytes: number }> {
    const usage = await this.diskUsageFn();
    const inUseKeys = new Set<string>();
    for (const ref of inUse) {
      const rec = this.get(ref);
      if (rec) inUseKeys.add(rec.reference);
    }
    const victims = selectImagesForGc(this.list(), inUseKeys, usage, thresholds);
    for (const v of victims) delete this.db.images[v];
    if (victims.length > 0) {
      this.log(`image GC: disk ${(100 * usage.usedBytes / usage.totalBytes).toFixed(1)}% used, removing ${victims.join(', ')}`);
      await this.save();
    }
    const freedBytes = await this.sweep();
    return { removed: victims, freedBytes };
  }

  /** Deletes blobs and snapshots no image refers to; returns the bytes freed. */
  private async sweep(): Promise<number> {
    // Never under a pull: its blobs and snapshots are not referenced by an image yet.
    if (this.pulls.size > 0) return 0;
    const images = Object.values(this.db.images);
    const freed = await this.blobs.sweep(referencedBlobs(images)) + await this.unpacker.sweep(this.unpacker.referencedChains(images));
    await this.save();
    return freed;
  }

  private save(): Promise<void> {
    const text = JSON.stringify(this.db, null, 1);
    this.saving = this.saving.then(async () => {
      const tmp = `${this.dbPath}.tmp`;
      await writeFile(tmp, text);
      await rename(tmp, this.dbPath);
    });
    return this.saving;
  }
}
