// Layers → snapshots: each layer unpacked once per chain ID (the layer and all below it),
// ready to be stacked as a container's root filesystem.
//
//   <dir>/<n>/fs     with overlayfs only the layer's own changes (overlay whiteouts
//                    included); without it a full copy of the chain
//
// The snapshot table lives in the store's images.json (SnapshotTable): the store saves it.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as zlib from 'node:zlib';
import { mountOverlay, unmount, unmountAll } from '../../../system/mounts.js';
import { run } from '../../../system/subprocess.js';
import type { BlobStore } from './blob-store.js';
import { ImagePullError, type ImageRecord, type LayerRecord, type SnapshotRecord, type Snapshotter } from './image-record.js';
import { layerCompression } from './manifest.js';
import { RegistryError } from './registry-client.js';
import { readTar } from './tar.js';
import { applyLayer } from './unpack.js';

/** The snapshots part of the store's database. */
export interface SnapshotTable {
  snapshotter: Snapshotter;
  nextSnapshotId: number;
  snapshots: Record<string, SnapshotRecord>;
}

export interface UnpackerDeps {
  /** The snapshots directory. */
  dir: string;
  table: SnapshotTable;
  blobs: BlobStore;
  /** Persists the table (the store's database). */
  save: () => Promise<void>;
  log: (message: string) => void;
}

export class Unpacker {
  private readonly unpacks = new Map<string, Promise<SnapshotRecord>>();

  constructor(private readonly d: UnpackerDeps) {}

  get snapshotter(): Snapshotter {
    return this.d.table.snapshotter;
  }

  /** Unpacks interrupted by a crash: their mounts and directories go; lost snapshots are forgotten. */
  async recover(): Promise<void> {
    const { dir, table } = this.d;
    await mkdir(dir, { recursive: true });
    const known = new Set(Object.values(table.snapshots).map((s) => String(s.id)));
    for (const name of await readdir(dir)) {
      if (known.has(name)) continue;
      await unmountAll(join(dir, name)).catch(() => undefined);
      await rm(join(dir, name), { recursive: true, force: true });
    }
    for (const [chainId, snap] of Object.entries(table.snapshots)) {
      if (!existsSync(join(dir, String(snap.id), 'fs'))) delete table.snapshots[chainId];
    }
  }

  has(chainId: string): boolean {
    return this.d.table.snapshots[chainId] !== undefined;
  }

  /** Unpacks a layer onto its parent chain, once per chain ID. */
  ensure(layer: LayerRecord, parent: SnapshotRecord | undefined): Promise<SnapshotRecord> {
    const existing = this.d.table.snapshots[layer.chainId];
    if (existing) return Promise.resolve(existing);
    const inflight = this.unpacks.get(layer.chainId);
    if (inflight) return inflight;
    const p = this.unpack(layer, parent).finally(() => this.unpacks.delete(layer.chainId));
    this.unpacks.set(layer.chainId, p);
    return p;
  }

  private async unpack(layer: LayerRecord, parent: SnapshotRecord | undefined): Promise<SnapshotRecord> {
    const { table } = this.d;
    const id = table.nextSnapshotId++;
    const dir = join(this.d.dir, String(id));
    const fs = join(dir, 'fs');
    await mkdir(fs, { recursive: true });
    const started = Date.now();
    try {
      let target = fs;
      if (parent && table.snapshotter === 'overlay') {
        // Apply through an overlay of the layers below, so the kernel turns deletions into
        // overlay whiteouts (and opaque directories) in this layer's directory.
        const work = join(dir, 'work');
        target = join(dir, 'merged');
        await mkdir(work);
        await mkdir(target);
        await mountOverlay({ lower: this.lowerChain(parent).map((s) => `${s.id}/fs`), upper: fs, work, target, cwd: this.d.dir });
      } else if (parent) {
        const res = await run('cp', ['-a', `${join(this.d.dir, String(parent.id), 'fs')}/.`, fs]);
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
      table.snapshots[layer.chainId] = snap;
      await this.d.save();
      this.d.log(`unpacked layer ${layer.digest} (${applied.bytes} bytes) in ${Date.now() - started} ms`);
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
    const blob = createReadStream(this.d.blobs.path(layer.digest));
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
      cur = cur.parent ? this.d.table.snapshots[cur.parent] : undefined;
    }
    return out;
  }

  /**
   * The unpacked layers of an image for a root filesystem: with overlay, every layer
   * (topmost first) as paths relative to `cwd`; with copies, the one full top snapshot.
   */
  rootfsLayers(image: ImageRecord): { snapshotter: Snapshotter; cwd: string; lower: string[] } {
    const { table } = this.d;
    const top = image.layers[image.layers.length - 1];
    const snap = top ? table.snapshots[top.chainId] : undefined;
    if (!snap) {
      if (image.layers.length === 0) return { snapshotter: table.snapshotter, cwd: this.d.dir, lower: [] };
      throw new ImagePullError('ErrImagePull', `image ${image.reference} is not unpacked`);
    }
    const chain = table.snapshotter === 'overlay' ? this.lowerChain(snap) : [snap];
    return { snapshotter: table.snapshotter, cwd: this.d.dir, lower: chain.map((s) => `${s.id}/fs`) };
  }

  /** The chain IDs images use: each of their layers' and every one below (a layer keeps its parents). */
  referencedChains(images: Iterable<ImageRecord>): Set<string> {
    const live = new Set<string>();
    for (const img of images) {
      for (const l of img.layers) {
        let chain: string | undefined = l.chainId;
        while (chain && !live.has(chain)) {
          live.add(chain);
          chain = this.d.table.snapshots[chain]?.parent;
        }
      }
    }
    return live;
  }

  /** Deletes every snapshot not in `live`; returns the bytes freed. */
  async sweep(live: ReadonlySet<string>): Promise<number> {
    let freed = 0;
    for (const [chainId, snap] of Object.entries(this.d.table.snapshots)) {
      if (live.has(chainId)) continue;
      delete this.d.table.snapshots[chainId];
      freed += snap.size;
      const dir = join(this.d.dir, String(snap.id));
      await unmountAll(dir).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
    return freed;
  }
}
