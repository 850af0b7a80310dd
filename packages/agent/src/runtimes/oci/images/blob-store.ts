// Content-addressed blobs: manifests, configs and layers, one file per sha256 digest.
//
//   <dir>/<hex>     the blob, put in place by rename once complete and verified
//
// A blob is fetched once however many pulls want it at the same time (an in-flight map per
// digest). What is kept is what some image refers to (referencedBlobs); sweep deletes the
// rest.
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SHA256_DIGEST_RE, type Descriptor } from './manifest.js';
import { RegistryError } from './registry-client.js';
import type { ImageRecord } from './image-record.js';

/** Writes a blob, verified (digest and size), to `dest`. */
export type FetchBlob = (desc: Descriptor, dest: string) => Promise<void>;

export class BlobStore {
  private readonly downloads = new Map<string, Promise<void>>();

  /** `dir` holds the blobs; `tmpDir` (same filesystem) the partial downloads. */
  constructor(readonly dir: string, private readonly tmpDir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  path(digest: string): string {
    if (!SHA256_DIGEST_RE.test(digest)) throw new RegistryError('Unsupported', `digest "${digest}" is not sha256`);
    return join(this.dir, digest.slice('sha256:'.length));
  }

  read(digest: string): Promise<Buffer> {
    return readFile(this.path(digest));
  }

  /** Stores bytes already verified by the caller (a manifest, whose digest was checked). */
  write(digest: string, bytes: Buffer): Promise<void> {
    return writeFile(this.path(digest), bytes);
  }

  /** The blob in the store, fetched once however many pulls ask for it at the same time. */
  ensure(desc: Descriptor, fetch: FetchBlob): Promise<void> {
    const path = this.path(desc.digest);
    const inflight = this.downloads.get(desc.digest);
    if (inflight) return inflight;
    const p = (async () => {
      const st = await stat(path).catch(() => undefined);
      if (st && st.size === desc.size) return;
      const tmp = join(this.tmpDir, `blob-${desc.digest.slice(7, 19)}-${process.hrtime.bigint()}`);
      await fetch(desc, tmp);
      await rename(tmp, path);
    })().finally(() => this.downloads.delete(desc.digest));
    this.downloads.set(desc.digest, p);
    return p;
  }

  /** Deletes every blob not in `live`; returns the bytes freed. */
  async sweep(live: ReadonlySet<string>): Promise<number> {
    let freed = 0;
    for (const name of await readdir(this.dir)) {
      if (live.has(`sha256:${name}`)) continue;
      const p = join(this.dir, name);
      freed += (await stat(p).catch(() => ({ size: 0 }))).size;
      await rm(p, { force: true });
    }
    return freed;
  }
}

/** The blobs images refer to: their manifests, indexes, configs and layers. */
export function referencedBlobs(images: Iterable<ImageRecord>): Set<string> {
  const live = new Set<string>();
  for (const img of images) {
    live.add(img.manifestDigest);
    if (img.indexDigest) live.add(img.indexDigest);
    live.add(img.configDigest);
    for (const l of img.layers) live.add(l.digest);
  }
  return live;
}
