// The node's image store: one content store under the agent's data dir, shared by all
// containers of the node.
//
//   <dir>/blobs/sha256/<hex>     manifests, configs and layer blobs, once per digest
//   <dir>/snapshots/<n>/fs       layers unpacked once per chain ID (the layer + all below);
//                                with overlayfs each holds only its own changes (overlay
//                                whiteouts included), without it each is a full copy
//   <dir>/images.json            references → manifest, config, layers; snapshot table
//   <dir>/tmp/                   partial downloads, unpacked oci-archives
//
// Concurrent pulls share work: one pull per reference at a time, one download per blob
// digest, one unpack per chain ID (in-flight promise maps).
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as zlib from 'node:zlib';
import {
  chainIds, layerCompression, parseImageConfig, parseManifest, selectPlatformManifest, nodePlatform, formatPlatform,
  sha256Digest, SHA256_DIGEST_RE, MediaTypes, type Descriptor, type ImageConfig, type ImageManifest, type Platform,
} from './manifest.js';
import { RegistryClient, RegistryError } from './registry-client.js';
import type { PullProgress } from '../runtimes/runtime.js';
import type { KeychainEntry } from './credentials.js';
import {
  formatReference, parseImageReference, InvalidReferenceError, defaultPullPolicy,
  type ImageReference, type RegistryReference,
} from './reference.js';
import { readTar } from './tar.js';
import { applyLayer } from './unpack.js';
import { mountOverlay, overlaySupported, run, unmount, unmountAll } from './mounts.js';

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

/** Kubernetes' waiting reasons for image problems. */
export type ImageErrorReason = 'ErrImagePull' | 'ErrImageNeverPull' | 'InvalidImageName';

export class ImagePullError extends Error {
  override readonly name = 'ImagePullError';
  constructor(
    readonly reason: ImageErrorReason,
    message: string,
    /** The registry's error class, when a registry answered. */
    readonly code?: RegistryError['code'],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface LayerRecord {
  digest: string;
  mediaType: string;
  size: number;
  diffId: string;
  chainId: string;
}

export interface ImageRecord {
  /** The normalized reference: `docker.io/library/busybox:latest`, `oci:/abs/dir:tag`. */
  reference: string;
  manifestDigest: string;
  indexDigest?: string;
  configDigest: string;
  layers: LayerRecord[];
  config: ImageConfig;
  /** Bytes on disk: blobs plus unpacked content. */
  size: number;
  pulledAt: string;
  lastUsedAt: string;
}

interface SnapshotRecord {
  id: number;
  chainId: string;
  parent?: string;
  /** Bytes of file content unpacked into this snapshot. */
  size: number;
}

type Snapshotter = 'overlay' | 'copy';

interface Db {
  version: 1;
  snapshotter: Snapshotter;
  nextSnapshotId: number;
  images: Record<string, ImageRecord>;
  snapshots: Record<string, SnapshotRecord>;
}

export interface DiskUsage {
  totalBytes: number;
  usedBytes: number;
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

export interface GcThresholds {
  /** Start removing images above this disk usage (kubelet's imageGCHighThresholdPercent, 85). */
  highPercent: number;
  /** …until usage is below this (imageGCLowThresholdPercent, 80). */
  lowPercent: number;
}

export const DEFAULT_GC_THRESHOLDS: GcThresholds = { highPercent: 85, lowPercent: 80 };

/** Where to get an image's manifest and blobs: a registry or a local OCI layout. */
interface ImageSource {
  resolve(): Promise<{ digest: string; manifest: ImageManifest; bytes: Buffer; indexDigest?: string }>;
  /** Writes a verified blob to `dest`. */
  fetchBlob(desc: Descriptor, dest: string): Promise<void>;
  close?(): Promise<void>;
}

export class ImageStore {
  readonly dir: string;
  private readonly blobsDir: string;
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
  private opening: Promise<void> | undefined;
  private saving: Promise<void> = Promise.resolve();
  private readonly pulls = new Map<string, Promise<ImageRecord>>();
  private readonly downloads = new Map<string, Promise<void>>();
  private readonly unpacks = new Map<string, Promise<SnapshotRecord>>();
  /** Blob GETs this store made, per digest (what the "download once" guarantee is about). */
  readonly downloadCounts = new Map<string, number>();

  constructor(options: ImageStoreOptions) {
    this.dir = resolvePath(options.dir);
    this.blobsDir = join(this.dir, 'blobs', 'sha256');
    this.snapshotsDir = join(this.dir, 'snapshots');
    this.tmpDir = join(this.dir, 'tmp');
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
    await mkdir(this.blobsDir, { recursive: true });
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
    // Unpacks interrupted by a crash: their mounts and directories go.
    const known = new Set(Object.values(this.db.snapshots).map((s) => String(s.id)));
    for (const name of await readdir(this.snapshotsDir)) {
      if (known.has(name)) continue;
      await unmountAll(join(this.snapshotsDir, name)).catch(() => undefined);
      await rm(join(this.snapshotsDir, name), { recursive: true, force: true });
    }
    for (const [chainId, snap] of Object.entries(this.db.snapshots)) {
      if (!existsSync(join(this.snapshotsDir, String(snap.id), 'fs'))) delete this.db.snapshots[chainId];
    }
    await this.save();
  }

  get snapshotter(): Snapshotter {
    return this.db.snapshotter;
  }

  /** The image stored under `image` (any spelling of the reference), if any. */
  get(image: string): ImageRecord | undefined {
    let key: string;
    try {
      key = normalizeKey(parseImageReference(image));
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
    return rec.layers.every((l) => this.db.snapshots[l.chainId] !== undefined);
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
    const key = `${normalizeKey(ref)}|${createHash('sha256').update(JSON.stringify(keychain)).digest('hex').slice(0, 12)}`;
    const inflight = this.pulls.get(key);
    if (inflight) return inflight;
    const p = this.doPull(image, ref, keychain).finally(() => this.pulls.delete(key));
    this.pulls.set(key, p);
    return p;
  }

  private async doPull(image: string, ref: ImageReference, keychain: readonly KeychainEntry[]): Promise<ImageRecord> {
    const source = await this.sourceFor(ref, keychain);
    try {
      const resolved = await source.resolve();
      const manifest = resolved.manifest;
      for (const l of manifest.layers) layerCompression(l.mediaType); // unsupported types fail before any download
      await this.ensureBlob(manifest.config, source);
      const configBytes = await readFile(this.blobPath(manifest.config.digest));
      const config = parseImageConfig(configBytes);
      const diffIds = config.rootfs?.diff_ids ?? [];
      if (diffIds.length !== manifest.layers.length) {
        throw new RegistryError('Invalid', `the image config lists ${diffIds.length} layer diff IDs for ${manifest.layers.length} layers`);
      }
      if (config.os !== undefined && config.os !== this.platform.os) {
        throw new RegistryError('NoMatchingPlatform', `the image is for ${config.os}/${config.architecture ?? '?'}, this node runs ${formatPlatform(this.platform)}`);
      }
      const chain = chainIds(diffIds);
      const layers: LayerRecord[] = manifest.layers.map((l, i) => ({
        digest: l.digest, mediaType: l.mediaType, size: l.size, diffId: diffIds[i]!, chainId: chain[i]!,
      }));

      // Downloads run in parallel; each layer is unpacked once its blob and its parent are in.
      const downloads = limitConcurrency(manifest.layers.map((l) => () => this.ensureBlob(l, source)), this.maxDownloads);
      let parent: Promise<SnapshotRecord | undefined> = Promise.resolve(undefined);
      const unpacked: Array<Promise<SnapshotRecord>> = [];
      layers.forEach((layer, i) => {
        const prev = parent;
        const snap = Promise.all([downloads[i]!, prev]).then(([, parentSnap]) => this.ensureSnapshot(layer, parentSnap));
        unpacked.push(snap);
        parent = snap;
      });
      const results = await Promise.allSettled([...downloads, ...unpacked]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      const snaps = await Promise.all(unpacked);

      const now = new Date().toISOString();
      const reference = normalizeKey(ref);
      const record: ImageRecord = {
        reference,
        manifestDigest: resolved.digest,
        ...(resolved.indexDigest ? { indexDigest: resolved.indexDigest } : {}),
        configDigest: manifest.config.digest,
        layers,
        config,
        size: manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0) + snaps.reduce((n, s) => n + s.size, 0),
        pulledAt: now,
        lastUsedAt: this.db.images[reference]?.lastUsedAt ?? now,
      };
      await writeFile(this.blobPath(resolved.digest), resolved.bytes);
      this.db.images[reference] = record;
      await this.save();
      return record;
    } catch (e) {
      throw toPullError(image, e);
    } finally {
      await source.close?.();
    }
  }

  private async sourceFor(ref: ImageReference, keychain: readonly KeychainEntry[]): Promise<ImageSource> {
    switch (ref.kind) {
      case 'registry':
        return this.registrySource(ref, keychain);
      case 'oci-layout':
        return layoutSource(resolvePath(ref.dir), ref.tag, this.platform);
      case 'oci-archive': {
        const dir = join(this.tmpDir, `archive-${createHash('sha256').update(`${ref.file}${Date.now()}${Math.random()}`).digest('hex').slice(0, 12)}`);
        await mkdir(dir, { recursive: true });
        try {
          await pipeline(createReadStream(resolvePath(ref.file)), async (source) => {
            await applyLayer(readTar(source), dir, { preserveOwnership: false });
          });
        } catch (e) {
          await rm(dir, { recursive: true, force: true });
          throw new RegistryError('NotFound', `cannot read OCI archive ${ref.file}: ${(e as Error).message}`);
        }
        const source = await layoutSource(dir, ref.tag, this.platform);
        return { ...source, close: () => rm(dir, { recursive: true, force: true }) };
      }
    }
  }

  private registrySource(ref: RegistryReference, keychain: readonly KeychainEntry[]): ImageSource {
    return {
      resolve: () => this.client.resolve(ref, keychain),
      fetchBlob: async (desc, dest) => {
        this.downloadCounts.set(desc.digest, (this.downloadCounts.get(desc.digest) ?? 0) + 1);
        await this.client.downloadBlob(ref, desc, dest, keychain);
      },
    };
  }

  private blobPath(digest: string): string {
    if (!SHA256_DIGEST_RE.test(digest)) throw new RegistryError('Unsupported', `digest "${digest}" is not sha256`);
    return join(this.blobsDir, digest.slice('sha256:'.length));
  }

  /** A blob in the store, fetched once however many pulls ask for it at the same time. */
  private ensureBlob(desc: Descriptor, source: ImageSource): Promise<void> {
    const path = this.blobPath(desc.digest);
    const inflight = this.downloads.get(desc.digest);
    if (inflight) return inflight;
    const p = (async () => {
      const st = await stat(path).catch(() => undefined);
      if (st && st.size === desc.size) return;
      const tmp = join(this.tmpDir, `blob-${desc.digest.slice(7, 19)}-${process.hrtime.bigint()}`);
      await source.fetchBlob(desc, tmp);
      await rename(tmp, path);
    })().finally(() => this.downloads.delete(desc.digest));
    this.downloads.set(desc.digest, p);
    return p;
  }

  /** Unpacks a layer onto its parent chain, once per chain ID. */
  private ensureSnapshot(layer: LayerRecord, parent: SnapshotRecord | undefined): Promise<SnapshotRecord> {
    const existing = this.db.snapshots[layer.chainId];
    if (existing) return Promise.resolve(existing);
    const inflight = this.unpacks.get(layer.chainId);
    if (inflight) return inflight;
    const p = this.unpack(layer, parent).finally(() => this.unpacks.delete(layer.chainId));
    this.unpacks.set(layer.chainId, p);
    return p;
  }

  private async unpack(layer: LayerRecord, parent: SnapshotRecord | undefined): Promise<SnapshotRecord> {
    const id = this.db.nextSnapshotId++;
    const dir = join(this.snapshotsDir, String(id));
    const fs = join(dir, 'fs');
    await mkdir(fs, { recursive: true });
    const started = Date.now();
    try {
      let target = fs;
      if (parent && this.db.snapshotter === 'overlay') {
        // Apply through an overlay of the layers below, so the kernel turns deletions into
        // overlay whiteouts (and opaque directories) in this layer's directory.
        const work = join(dir, 'work');
        target = join(dir, 'merged');
        await mkdir(work);
        await mkdir(target);
        await mountOverlay({ lower: this.lowerChain(parent).map((s) => `${s.id}/fs`), upper: fs, work, target, cwd: this.snapshotsDir });
      } else if (parent) {
        const res = await run('cp', ['-a', `${join(this.snapshotsDir, String(parent.id), 'fs')}/.`, fs]);
        if (res.code !== 0) throw new Error(`copying the parent layer: ${res.stderr.trim()}`);
      }
      let applied: { bytes: number };
      try {
        applied = await this.applyBlob(layer, target);
      } finally {
        if (target !== fs) {
          await unmount(target);
          await rm(join(dir, 'work'), { recursive: true, force: true });
          await rm(target, { recursive: true, force: true });
        }
      }
      const snap: SnapshotRecord = { id, chainId: layer.chainId, ...(parent ? { parent: parent.chainId } : {}), size: applied.bytes };
      this.db.snapshots[layer.chainId] = snap;
      await this.save();
      this.log(`unpacked layer ${layer.digest} (${applied.bytes} bytes) in ${Date.now() - started} ms`);
      return snap;
    } catch (e) {
      await unmountAll(dir).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
  }

  // Decompresses and applies one layer blob, checking the uncompressed bytes against the
  // diff ID the image config names.
  private async applyBlob(layer: LayerRecord, target: string): Promise<{ bytes: number }> {
    const hash = createHash('sha256');
    const hasher = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    let bytes = 0;
    const apply = async (source: AsyncIterable<Buffer>): Promise<void> => {
      bytes = (await applyLayer(readTar(source), target)).bytes;
    };
    const blob = createReadStream(this.blobPath(layer.digest));
    const compression = layerCompression(layer.mediaType);
    switch (compression) {
      case 'gzip':
        await pipeline(blob, createGunzip(), hasher, apply);
        break;
      case 'none':
        await pipeline(blob, hasher, apply);
        break;
      case 'zstd': {
        const make = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;
        if (!make) throw new RegistryError('Unsupported', `layer ${layer.digest} is zstd-compressed, which this Node.js cannot decompress`);
        await pipeline(blob, make(), hasher, apply);
        break;
      }
    }
    const diffId = `sha256:${hash.digest('hex')}`;
    if (diffId !== layer.diffId) throw new RegistryError('Invalid', `layer ${layer.digest}: uncompressed digest ${diffId} does not match the config's diff ID ${layer.diffId}`);
    return { bytes };
  }

  /** A snapshot and all below it, topmost first. */
  private lowerChain(top: SnapshotRecord): SnapshotRecord[] {
    const out: SnapshotRecord[] = [];
    let cur: SnapshotRecord | undefined = top;
    while (cur) {
      out.push(cur);
      cur = cur.parent ? this.db.snapshots[cur.parent] : undefined;
    }
    return out;
  }

  /**
   * The unpacked layers of an image for a root filesystem: with overlay, every layer
   * (topmost first) as paths relative to `cwd`; with copies, the one full top snapshot.
   */
  rootfsLayers(image: ImageRecord): { snapshotter: Snapshotter; cwd: string; lower: string[] } {
    const top = image.layers[image.layers.length - 1];
    const snap = top ? this.db.snapshots[top.chainId] : undefined;
    if (!snap) {
      if (image.layers.length === 0) return { snapshotter: this.db.snapshotter, cwd: this.snapshotsDir, lower: [] };
      throw new ImagePullError('ErrImagePull', `image ${image.reference} is not unpacked`);
    }
    const chain = this.db.snapshotter === 'overlay' ? this.lowerChain(snap) : [snap];
    return { snapshotter: this.db.snapshotter, cwd: this.snapshotsDir, lower: chain.map((s) => `${s.id}/fs`) };
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
    const liveBlobs = new Set<string>();
    const liveChains = new Set<string>();
    for (const img of Object.values(this.db.images)) {
      liveBlobs.add(img.manifestDigest);
      if (img.indexDigest) liveBlobs.add(img.indexDigest);
      liveBlobs.add(img.configDigest);
      for (const l of img.layers) {
        liveBlobs.add(l.digest);
        // A layer keeps every layer below it.
        let chain: string | undefined = l.chainId;
        while (chain && !liveChains.has(chain)) {
          liveChains.add(chain);
          chain = this.db.snapshots[chain]?.parent;
        }
      }
    }
    let freed = 0;
    for (const name of await readdir(this.blobsDir)) {
      if (liveBlobs.has(`sha256:${name}`)) continue;
      const p = join(this.blobsDir, name);
      freed += (await stat(p).catch(() => ({ size: 0 }))).size;
      await rm(p, { force: true });
    }
    for (const [chainId, snap] of Object.entries(this.db.snapshots)) {
      if (liveChains.has(chainId)) continue;
      delete this.db.snapshots[chainId];
      freed += snap.size;
      const dir = join(this.snapshotsDir, String(snap.id));
      await unmountAll(dir).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
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

/** The key an image is stored under: tags and digests kept, transports' paths absolute. */
function normalizeKey(ref: ImageReference): string {
  switch (ref.kind) {
    case 'registry': return formatReference(ref);
    case 'oci-layout': return formatReference({ ...ref, dir: resolvePath(ref.dir) });
    case 'oci-archive': return formatReference({ ...ref, file: resolvePath(ref.file) });
  }
}

/**
 * Which images GC removes: none below the high threshold; above it, unused images, least
 * recently used first, until the bytes freed bring usage under the low threshold.
 */
export function selectImagesForGc(images: readonly ImageRecord[], inUse: ReadonlySet<string>, usage: DiskUsage, t: GcThresholds): string[] {
  if (usage.totalBytes <= 0) return [];
  const percent = (100 * usage.usedBytes) / usage.totalBytes;
  if (percent < t.highPercent) return [];
  let toFree = usage.usedBytes - (usage.totalBytes * t.lowPercent) / 100;
  const out: string[] = [];
  const candidates = images.filter((i) => !inUse.has(i.reference)).sort((a, b) => a.lastUsedAt.localeCompare(b.lastUsedAt));
  for (const img of candidates) {
    if (toFree <= 0) break;
    out.push(img.reference);
    toFree -= img.size;
  }
  return out;
}

async function fsUsage(dir: string): Promise<DiskUsage> {
  const s = await statfs(dir);
  return { totalBytes: s.blocks * s.bsize, usedBytes: (s.blocks - s.bfree) * s.bsize };
}

function limitConcurrency(tasks: Array<() => Promise<void>>, limit: number): Array<Promise<void>> {
  let running = 0;
  const queue: Array<() => void> = [];
  const next = (): void => {
    if (running >= limit) return;
    const start = queue.shift();
    if (start) start();
  };
  return tasks.map((task) => new Promise<void>((resolve, reject) => {
    queue.push(() => {
      running++;
      task().then(resolve, reject).finally(() => {
        running--;
        next();
      });
    });
    next();
  }));
}

function toPullError(image: string, e: unknown): ImagePullError {
  if (e instanceof ImagePullError) return e;
  if (e instanceof RegistryError) return new ImagePullError('ErrImagePull', `failed to pull image "${image}": ${e.message}`, e.code, { cause: e });
  const msg = e instanceof Error ? e.message : String(e);
  return new ImagePullError('ErrImagePull', `failed to pull image "${image}": ${msg}`, undefined, { cause: e });
}

// ---- local OCI image layouts -------------------------------------------------------------

const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

async function layoutSource(dir: string, tag: string | undefined, platform: Platform): Promise<ImageSource> {
  const blob = (digest: string): string => {
    const [alg, hex] = digest.split(':');
    if (!alg || !hex || !/^[a-z0-9]+$/.test(alg) || !/^[a-f0-9]+$/.test(hex)) throw new RegistryError('Invalid', `bad digest "${digest}" in ${dir}`);
    return join(dir, 'blobs', alg, hex);
  };
  const readVerified = async (desc: Descriptor): Promise<Buffer> => {
    const bytes = await readFile(blob(desc.digest)).catch(() => {
      throw new RegistryError('NotFound', `blob ${desc.digest} is missing from ${dir}`);
    });
    if (sha256Digest(bytes) !== desc.digest) throw new RegistryError('Invalid', `blob ${desc.digest} in ${dir}: content digest does not match`);
    return bytes;
  };
  return {
    async resolve() {
      const indexText = await readFile(join(dir, 'index.json'), 'utf8').catch(() => {
        throw new RegistryError('NotFound', `${dir} is not an OCI image layout (no index.json)`);
      });
      const index = parseManifest(Buffer.from(indexText), MediaTypes.ociIndex);
      if (index.kind !== 'index') throw new RegistryError('Invalid', `${dir}/index.json is not an image index`);
      const entries = tag === undefined
        ? index.manifests
        : index.manifests.filter((m) => {
          const name = m.annotations?.[REF_NAME_ANNOTATION];
          return name === tag || (name !== undefined && name.endsWith(`:${tag}`));
        });
      if (entries.length === 0) throw new RegistryError('NotFound', `no image tagged "${tag ?? ''}" in ${dir}`);
      if (entries.length > 1 && tag === undefined) throw new RegistryError('Invalid', `${dir} holds ${entries.length} images: name one with oci:${dir}:TAG`);
      let desc = entries[0]!;
      let indexDigest: string | undefined;
      if (desc.mediaType === MediaTypes.ociIndex || desc.mediaType === MediaTypes.dockerManifestList) {
        const nested = parseManifest(await readVerified(desc), desc.mediaType);
        if (nested.kind !== 'index') throw new RegistryError('Invalid', `${desc.digest} in ${dir} is not an index`);
        const chosen = selectPlatformManifest(nested, platform);
        if (!chosen) throw new RegistryError('NoMatchingPlatform', `no image for platform ${formatPlatform(platform)} in ${dir}`);
        indexDigest = desc.digest;
        desc = chosen;
      }
      const bytes = await readVerified(desc);
      const manifest = parseManifest(bytes, desc.mediaType);
      if (manifest.kind !== 'manifest') throw new RegistryError('Unsupported', `nested image indexes in ${dir} are not supported`);
      return { digest: desc.digest, manifest, bytes, ...(indexDigest ? { indexDigest } : {}) };
    },
    async fetchBlob(desc, dest) {
      const hash = createHash('sha256');
      let size = 0;
      await pipeline(createReadStream(blob(desc.digest)), new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          size += chunk.length;
          cb(null, chunk);
        },
      }), createWriteStream(dest)).catch((e: unknown) => {
        throw new RegistryError('NotFound', `blob ${desc.digest} from ${dir}: ${(e as Error).message}`);
      });
      const digest = `sha256:${hash.digest('hex')}`;
      if (digest !== desc.digest || size !== desc.size) {
        await rm(dest, { force: true });
        throw new RegistryError('Invalid', `blob ${desc.digest} in ${dir}: content digest or size does not match`);
      }
    },
  };
}
