// A pull: resolve the reference to a manifest for this node's platform, fetch its config and
// layer blobs into the blob store (a few in parallel), and unpack each layer once its blob
// and its parent are in. Sources: a registry (registry-client.ts), a local OCI layout
// (`oci:DIR[:tag]`) or an OCI archive (`oci-archive:FILE[:tag]`, unpacked to a temp dir).
// The result is the image's record; the store keeps it.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from './blob-store.js';
import type { KeychainEntry } from './credentials.js';
import { ImagePullError, type ImageRecord, type LayerRecord, type SnapshotRecord } from './image-record.js';
import {
  chainIds, layerCompression, parseImageConfig, parseManifest, selectPlatformManifest, formatPlatform,
  sha256Digest, MediaTypes, type Descriptor, type ImageManifest, type Platform,
} from './manifest.js';
import { imageStoreKey, type ImageReference, type RegistryReference } from './reference.js';
import { RegistryError, type RegistryClient } from './registry-client.js';
import { readTar } from './tar.js';
import { applyLayer } from './unpack.js';
import type { Unpacker } from './unpacker.js';

/** Where to get an image's manifest and blobs: a registry or a local OCI layout. */
interface ImageSource {
  resolve(): Promise<{ digest: string; manifest: ImageManifest; bytes: Buffer; indexDigest?: string }>;
  /** Writes a verified blob to `dest`. */
  fetchBlob(desc: Descriptor, dest: string): Promise<void>;
  close?(): Promise<void>;
}

export interface PullerDeps {
  client: RegistryClient;
  platform: Platform;
  /** Parallel blob downloads per pull. */
  maxDownloads: number;
  /** Unpacked OCI archives go here. */
  tmpDir: string;
  blobs: BlobStore;
  unpacker: Unpacker;
  /** Blob GETs from registries, per digest (what the "download once" guarantee is about). */
  downloadCounts: Map<string, number>;
}

/** Pulls an image and unpacks its layers; the record is not stored yet. Errors are ImagePullErrors. */
export async function pullImage(d: PullerDeps, image: string, ref: ImageReference, keychain: readonly KeychainEntry[]): Promise<ImageRecord> {
  const source = await sourceFor(d, ref, keychain);
  try {
    const resolved = await source.resolve();
    const manifest = resolved.manifest;
    for (const l of manifest.layers) layerCompression(l.mediaType); // unsupported types fail before any download
    const fetch = (desc: Descriptor, dest: string): Promise<void> => source.fetchBlob(desc, dest);
    await d.blobs.ensure(manifest.config, fetch);
    const config = parseImageConfig(await d.blobs.read(manifest.config.digest));
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== manifest.layers.length) {
      throw new RegistryError('Invalid', `the image config lists ${diffIds.length} layer diff IDs for ${manifest.layers.length} layers`);
    }
    if (config.os !== undefined && config.os !== d.platform.os) {
      throw new RegistryError('NoMatchingPlatform', `the image is for ${config.os}/${config.architecture ?? '?'}, this node runs ${formatPlatform(d.platform)}`);
    }
    const chain = chainIds(diffIds);
    const layers: LayerRecord[] = manifest.layers.map((l, i) => ({
      digest: l.digest, mediaType: l.mediaType, size: l.size, diffId: diffIds[i]!, chainId: chain[i]!,
    }));

    // Downloads run in parallel; each layer is unpacked once its blob and its parent are in.
    const downloads = limitConcurrency(manifest.layers.map((l) => () => d.blobs.ensure(l, fetch)), d.maxDownloads);
    let parent: Promise<SnapshotRecord | undefined> = Promise.resolve(undefined);
    const unpacked: Array<Promise<SnapshotRecord>> = [];
    layers.forEach((layer, i) => {
      const prev = parent;
      const snap = Promise.all([downloads[i]!, prev]).then(([, parentSnap]) => d.unpacker.ensure(layer, parentSnap));
      unpacked.push(snap);
      parent = snap;
    });
    const results = await Promise.allSettled([...downloads, ...unpacked]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const snaps = await Promise.all(unpacked);

    const now = new Date().toISOString();
    await d.blobs.write(resolved.digest, resolved.bytes);
    return {
      reference: imageStoreKey(ref),
      manifestDigest: resolved.digest,
      ...(resolved.indexDigest ? { indexDigest: resolved.indexDigest } : {}),
      configDigest: manifest.config.digest,
      layers,
      config,
      size: manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0) + snaps.reduce((n, s) => n + s.size, 0),
      pulledAt: now,
      lastUsedAt: now,
    };
  } catch (e) {
    throw toPullError(image, e);
  } finally {
    await source.close?.();
  }
}

export function toPullError(image: string, e: unknown): ImagePullError {
  if (e instanceof ImagePullError) return e;
  if (e instanceof RegistryError) return new ImagePullError('ErrImagePull', `failed to pull image "${image}": ${e.message}`, e.code, { cause: e });
  const msg = e instanceof Error ? e.message : String(e);
  return new ImagePullError('ErrImagePull', `failed to pull image "${image}": ${msg}`, undefined, { cause: e });
}

async function sourceFor(d: PullerDeps, ref: ImageReference, keychain: readonly KeychainEntry[]): Promise<ImageSource> {
  switch (ref.kind) {
    case 'registry':
      return registrySource(d, ref, keychain);
    case 'oci-layout':
      return layoutSource(resolvePath(ref.dir), ref.tag, d.platform);
    case 'oci-archive': {
      const dir = join(d.tmpDir, `archive-${createHash('sha256').update(`${ref.file}${Date.now()}${Math.random()}`).digest('hex').slice(0, 12)}`);
      await mkdir(dir, { recursive: true });
      try {
        await pipeline(createReadStream(resolvePath(ref.file)), async (source) => {
          await applyLayer(readTar(source), dir, { preserveOwnership: false });
        });
      } catch (e) {
        await rm(dir, { recursive: true, force: true });
        throw new RegistryError('NotFound', `cannot read OCI archive ${ref.file}: ${(e as Error).message}`);
      }
      const source = await layoutSource(dir, ref.tag, d.platform);
      return { ...source, close: () => rm(dir, { recursive: true, force: true }) };
    }
  }
}

function registrySource(d: PullerDeps, ref: RegistryReference, keychain: readonly KeychainEntry[]): ImageSource {
  return {
    resolve: () => d.client.resolve(ref, keychain),
    fetchBlob: async (desc, dest) => {
      d.downloadCounts.set(desc.digest, (d.downloadCounts.get(desc.digest) ?? 0) + 1);
      await d.client.downloadBlob(ref, desc, dest, keychain);
    },
  };
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
