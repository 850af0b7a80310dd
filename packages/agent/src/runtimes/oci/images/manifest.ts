// Manifests, indexes and image configs of the OCI image spec and Docker's v2 schema 2, the
// checks a puller makes on them, and the choice of the node's platform from an index.
// Pure functions: the registry client and the OCI layout reader both use them.
import { createHash } from 'node:crypto';

export const MediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
} as const;

/** What a manifest request accepts, most preferred first. */
export const MANIFEST_ACCEPT = [
  MediaTypes.ociIndex, MediaTypes.dockerManifestList, MediaTypes.ociManifest, MediaTypes.dockerManifest,
].join(', ');

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
  urls?: string[];
}

export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
}

/** The parts of an image config a runtime uses. */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  config?: {
    User?: string;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
    ExposedPorts?: Record<string, unknown>;
    Volumes?: Record<string, unknown>;
    Labels?: Record<string, string>;
    StopSignal?: string;
  };
  rootfs?: { type: string; diff_ids: string[] };
}

export type LayerCompression = 'gzip' | 'none' | 'zstd';

export class ManifestError extends Error {
  override readonly name = 'ManifestError';
}

export const SHA256_DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

export function sha256Digest(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Throws unless `data` hashes to `digest` (only sha256 is supported, as in practice). */
export function verifyDigest(data: Uint8Array, digest: string, what: string): void {
  if (!SHA256_DIGEST_RE.test(digest)) throw new ManifestError(`${what}: unsupported digest "${digest}"`);
  const got = sha256Digest(data);
  if (got !== digest) throw new ManifestError(`${what}: content digest ${got} does not match ${digest}`);
}

/**
 * Parses manifest bytes. The media type comes from the document when it has one, else
 * from the Content-Type the registry sent (OCI documents may omit it).
 */
export function parseManifest(bytes: Uint8Array, contentType?: string): ImageManifest | ImageIndex {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new ManifestError('the manifest is not valid JSON');
  }
  if (!isRecord(doc)) throw new ManifestError('the manifest is not a JSON object');
  const mediaType = typeof doc.mediaType === 'string' ? doc.mediaType : (contentType ?? '').split(';')[0]!.trim();
  if (mediaType === MediaTypes.dockerSchema1 || mediaType === MediaTypes.dockerSchema1Signed || doc.schemaVersion === 1) {
    throw new ManifestError('Docker image manifest schema 1 is deprecated and not supported; push the image again with a current client');
  }
  if (Array.isArray(doc.manifests) || mediaType === MediaTypes.ociIndex || mediaType === MediaTypes.dockerManifestList) {
    if (!Array.isArray(doc.manifests)) throw new ManifestError('the image index has no manifests');
    return {
      kind: 'index',
      mediaType: mediaType || MediaTypes.ociIndex,
      manifests: doc.manifests.map((d, i) => parseDescriptor(d, `manifests[${i}]`)),
    };
  }
  if (isRecord(doc.config) && Array.isArray(doc.layers)) {
    return {
      kind: 'manifest',
      mediaType: mediaType || MediaTypes.ociManifest,
      config: parseDescriptor(doc.config, 'config'),
      layers: doc.layers.map((d, i) => parseDescriptor(d, `layers[${i}]`)),
    };
  }
  throw new ManifestError(`unsupported manifest media type "${mediaType || 'unknown'}"`);
}

function parseDescriptor(d: unknown, path: string): Descriptor {
  if (!isRecord(d)) throw new ManifestError(`${path} is not an object`);
  const { mediaType, digest, size } = d;
  if (typeof mediaType !== 'string') throw new ManifestError(`${path}.mediaType is missing`);
  if (typeof digest !== 'string' || !/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(digest)) {
    throw new ManifestError(`${path}.digest "${String(digest)}" is not a digest`);
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new ManifestError(`${path}.size is not a size`);
  const out: Descriptor = { mediaType, digest, size };
  if (isRecord(d.platform) && typeof d.platform.architecture === 'string' && typeof d.platform.os === 'string') {
    out.platform = { architecture: d.platform.architecture, os: d.platform.os };
    if (typeof d.platform.variant === 'string') out.platform.variant = d.platform.variant;
  }
  if (isRecord(d.annotations)) {
    out.annotations = Object.fromEntries(Object.entries(d.annotations).filter((e): e is [string, string] => typeof e[1] === 'string'));
  }
  if (Array.isArray(d.urls)) out.urls = d.urls.filter((u): u is string => typeof u === 'string');
  return out;
}

export function parseImageConfig(bytes: Uint8Array): ImageConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new ManifestError('the image config is not valid JSON');
  }
  if (!isRecord(doc)) throw new ManifestError('the image config is not a JSON object');
  return doc as ImageConfig;
}

/** How a layer blob is compressed, from its media type. */
export function layerCompression(mediaType: string): LayerCompression {
  switch (mediaType) {
    case MediaTypes.ociLayerGzip:
    case MediaTypes.ociLayerNondistributableGzip:
    case MediaTypes.dockerLayerGzip:
    case MediaTypes.dockerForeignLayerGzip:
      return 'gzip';
    case MediaTypes.ociLayer:
    case 'application/vnd.oci.image.layer.nondistributable.v1.tar':
      return 'none';
    case MediaTypes.ociLayerZstd:
      return 'zstd';
    default:
      throw new ManifestError(`unsupported layer media type "${mediaType}"`);
  }
}

/** The platform this agent runs containers for, in the image spec's terms. */
export function nodePlatform(arch: string = process.arch, os: string = process.platform): Platform {
  const architecture = ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', mips64el: 'mips64le' } as Record<string, string>)[arch] ?? arch;
  const platform: Platform = { architecture, os };
  if (architecture === 'arm64') platform.variant = 'v8';
  return platform;
}

function normalizeVariant(p: Platform): string {
  if (p.architecture === 'arm64' && (p.variant === undefined || p.variant === 'v8')) return 'v8';
  if (p.architecture === 'arm' && p.variant === undefined) return 'v7';
  return p.variant ?? '';
}

/**
 * Picks the manifest for `want` from an index, as containerd's platform matcher does:
 * same os and architecture; a variant must match when both sides name one (arm64 means v8).
 * Attestation manifests (platform unknown/unknown) never match.
 */
export function selectPlatformManifest(index: ImageIndex, want: Platform): Descriptor | undefined {
  const candidates = index.manifests.filter((d) =>
    d.mediaType !== MediaTypes.ociIndex && d.mediaType !== MediaTypes.dockerManifestList &&
    d.platform !== undefined && d.platform.os === want.os && d.platform.architecture === want.architecture);
  const exact = candidates.find((d) => normalizeVariant(d.platform!) === normalizeVariant(want));
  if (exact) return exact;
  return candidates.find((d) => d.platform!.variant === undefined);
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/**
 * containerd's chain ID: the identity of a layer together with everything under it, so
 * the same layer on different parents is unpacked separately (it may differ there).
 */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const diffId of diffIds) {
    const parent = out[out.length - 1];
    out.push(parent === undefined ? diffId : sha256Digest(`${parent} ${diffId}`));
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
