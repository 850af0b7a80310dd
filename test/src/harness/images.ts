// Test images built offline: a busybox-static root filesystem written as OCI image layers
// by code here (a small ustar writer, so ownership, modes, hard links and whiteouts are
// exactly what the tests expect and need no root), laid out as an OCI image layout, and
// pushed to a registry with skopeo (Debian's), an independent client.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { REPO_ROOT } from './cluster.js';
import { startRegistry, type RegistryHandle } from './registry.js';

export const BUSYBOX_PATH = '/bin/busybox';

export type TarEntry =
  | { type: 'dir'; path: string; mode?: number; uid?: number; gid?: number }
  | { type: 'file'; path: string; content: string | Buffer; mode?: number; uid?: number; gid?: number }
  | { type: 'symlink'; path: string; target: string; uid?: number; gid?: number }
  | { type: 'hardlink'; path: string; target: string };

export interface BuiltLayer {
  digest: string;
  diffId: string;
  size: number;
  mediaType: string;
}

export interface BuiltImage {
  layoutDir: string;
  tag: string;
  manifestDigest: string;
  configDigest: string;
  layers: BuiltLayer[];
}

export interface ImageSpec {
  layers: TarEntry[][];
  /** Image config `config` section (Entrypoint, Cmd, Env, WorkingDir, User, …). */
  config?: Record<string, unknown>;
  architecture?: string;
  os?: string;
  /** Write layers uncompressed (application/vnd.oci.image.layer.v1.tar). */
  uncompressed?: boolean;
}

// ---- tar ------------------------------------------------------------------------------

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, opts: { mode: number; uid: number; gid: number; size: number; type: string; linkname?: string }): Buffer[] {
  const out: Buffer[] = [];
  let ustarName = name;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    // Try the ustar prefix split; otherwise a PAX header carries the long path.
    const i = name.lastIndexOf('/', 154);
    if (i > 0 && Buffer.byteLength(name.slice(i + 1)) <= 100 && Buffer.byteLength(name.slice(0, i)) <= 155) {
      prefix = name.slice(0, i);
      ustarName = name.slice(i + 1);
    } else {
      const record = paxRecord('path', name);
      out.push(...header('././@PaxHeader', { mode: 0o644, uid: 0, gid: 0, size: record.length, type: 'x' }), pad(record));
      ustarName = name.slice(0, 100);
    }
  }
  const h = Buffer.alloc(512);
  h.write(ustarName, 0, 100, 'utf8');
  h.write(octal(opts.mode, 8), 100, 'ascii');
  h.write(octal(opts.uid, 8), 108, 'ascii');
  h.write(octal(opts.gid, 8), 116, 'ascii');
  h.write(octal(opts.size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii'); // mtime 0: reproducible digests
  h.write('        ', 148, 'ascii');
  h.write(opts.type, 156, 'ascii');
  if (opts.linkname) h.write(opts.linkname, 157, 100, 'utf8');
  h.write('ustar\x0000', 257, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  out.push(h);
  return out;
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return Buffer.from(`${len}${body}`);
}

function pad(b: Buffer): Buffer {
  const rem = b.length % 512;
  return rem === 0 ? b : Buffer.concat([b, Buffer.alloc(512 - rem)]);
}

/** A ustar archive of `entries`, in order, paths relative ("bin/sh"), mtime 0. */
export function buildTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    switch (e.type) {
      case 'dir':
        parts.push(...header(`${e.path.replace(/\/$/, '')}/`, { mode: e.mode ?? 0o755, uid: e.uid ?? 0, gid: e.gid ?? 0, size: 0, type: '5' }));
        break;
      case 'file': {
        const content = typeof e.content === 'string' ? Buffer.from(e.content) : e.content;
        parts.push(...header(e.path, { mode: e.mode ?? 0o644, uid: e.uid ?? 0, gid: e.gid ?? 0, size: content.length, type: '0' }), pad(content));
        break;
      }
      case 'symlink':
        parts.push(...header(e.path, { mode: 0o777, uid: e.uid ?? 0, gid: e.gid ?? 0, size: 0, type: '2', linkname: e.target }));
        break;
      case 'hardlink':
        parts.push(...header(e.path, { mode: 0o644, uid: 0, gid: 0, size: 0, type: '1', linkname: e.target }));
        break;
    }
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

// ---- OCI image layout ------------------------------------------------------------------

function sha256(b: Buffer | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

function writeBlob(layoutDir: string, content: Buffer | string): string {
  const digest = sha256(content);
  const dir = join(layoutDir, 'blobs', 'sha256');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, digest.slice('sha256:'.length));
  if (!existsSync(path)) writeFileSync(path, content);
  return digest;
}

/** The image-spec name of this machine's architecture (x64 → amd64). */
export function hostArchitecture(): string {
  return ({ x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[process.arch] ?? process.arch;
}

function writeImage(layoutDir: string, spec: ImageSpec): Omit<BuiltImage, 'layoutDir' | 'tag'> & { manifestSize: number } {
  const layers: BuiltLayer[] = spec.layers.map((entries) => {
    const tar = buildTar(entries);
    const blob = spec.uncompressed ? tar : gzipSync(tar, { level: 6 });
    return {
      digest: writeBlob(layoutDir, blob),
      diffId: sha256(tar),
      size: blob.length,
      mediaType: spec.uncompressed ? 'application/vnd.oci.image.layer.v1.tar' : 'application/vnd.oci.image.layer.v1.tar+gzip',
    };
  });
  const config = JSON.stringify({
    architecture: spec.architecture ?? hostArchitecture(),
    os: spec.os ?? 'linux',
    created: '1970-01-01T00:00:00Z',
    config: spec.config ?? {},
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map(() => ({ created: '1970-01-01T00:00:00Z', created_by: 'tugboat test harness' })),
  });
  const configDigest = writeBlob(layoutDir, config);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: Buffer.byteLength(config) },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  });
  const manifestDigest = writeBlob(layoutDir, manifest);
  return { manifestDigest, configDigest, layers, manifestSize: Buffer.byteLength(manifest) };
}

interface IndexEntry { mediaType: string; digest: string; size: number; platform?: Record<string, string>; annotations?: Record<string, string> }

function addToIndex(layoutDir: string, entry: IndexEntry): void {
  writeFileSync(join(layoutDir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const indexPath = join(layoutDir, 'index.json');
  const index = existsSync(indexPath)
    ? JSON.parse(readFileSync(indexPath, 'utf8')) as { manifests: IndexEntry[] }
    : { manifests: [] };
  const tag = entry.annotations?.['org.opencontainers.image.ref.name'];
  index.manifests = index.manifests.filter((m) => m.annotations?.['org.opencontainers.image.ref.name'] !== tag);
  index.manifests.push(entry);
  writeFileSync(indexPath, JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: index.manifests }));
}

/** Writes an image into an OCI image layout directory under `tag`. */
export function buildOciImage(layoutDir: string, tag: string, spec: ImageSpec): BuiltImage {
  mkdirSync(layoutDir, { recursive: true });
  const built = writeImage(layoutDir, spec);
  addToIndex(layoutDir, {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: built.manifestDigest,
    size: built.manifestSize,
    annotations: { 'org.opencontainers.image.ref.name': tag },
  });
  return { layoutDir, tag, manifestDigest: built.manifestDigest, configDigest: built.configDigest, layers: built.layers };
}

/**
 * Writes a multi-platform image: an image index under `tag` holding `spec` for this
 * machine's platform and a small decoy for another, so a puller must choose.
 */
export function buildOciIndexImage(layoutDir: string, tag: string, spec: ImageSpec): BuiltImage & { indexDigest: string } {
  mkdirSync(layoutDir, { recursive: true });
  const mine = writeImage(layoutDir, spec);
  const otherArch = hostArchitecture() === 'amd64' ? 'arm64' : 'amd64';
  const decoy = writeImage(layoutDir, {
    architecture: otherArch,
    layers: [[{ type: 'file', path: 'wrong-platform', content: otherArch }]],
  });
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: decoy.manifestDigest, size: decoy.manifestSize, platform: { architecture: otherArch, os: 'linux' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: mine.manifestDigest, size: mine.manifestSize, platform: { architecture: hostArchitecture(), os: 'linux' } },
    ],
  });
  const indexDigest = writeBlob(layoutDir, index);
  addToIndex(layoutDir, {
    mediaType: 'application/vnd.oci.image.index.v1+json',
    digest: indexDigest,
    size: Buffer.byteLength(index),
    annotations: { 'org.opencontainers.image.ref.name': tag },
  });
  return { layoutDir, tag, manifestDigest: mine.manifestDigest, configDigest: mine.configDigest, layers: mine.layers, indexDigest };
}

/** Packs an OCI layout directory as an oci-archive (a tar of the layout). */
export function buildOciArchive(layoutDir: string, file: string): void {
  const res = spawnSync('tar', ['-C', layoutDir, '-cf', file, '.'], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`tar of ${layoutDir} failed: ${res.stderr}`);
}

// ---- busybox ---------------------------------------------------------------------------

export function busyboxAvailable(): boolean {
  return existsSync(BUSYBOX_PATH) && spawnSync(BUSYBOX_PATH, ['true']).status === 0;
}

let applets: string[] | undefined;
function busyboxApplets(): string[] {
  applets ??= spawnSync(BUSYBOX_PATH, ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter((a) => /^[\w.[-]+$/.test(a) && a !== 'busybox');
  return applets;
}

/**
 * The base layer: /bin/busybox (Debian's busybox-static) with a symlink per applet, /etc
 * with users root, nobody and user (1000), and the files the second layer whites out.
 */
export function busyboxBaseLayer(): TarEntry[] {
  const entries: TarEntry[] = [
    { type: 'dir', path: 'bin' },
    { type: 'file', path: 'bin/busybox', content: readFileSync(BUSYBOX_PATH), mode: 0o755 },
    ...busyboxApplets().map((a): TarEntry => ({ type: 'symlink', path: `bin/${a}`, target: 'busybox' })),
    { type: 'dir', path: 'etc' },
    { type: 'file', path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' },
    { type: 'file', path: 'etc/group', content: 'root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n' },
    { type: 'file', path: 'etc/whiteout-me', content: 'removed by layer 2\n' },
    { type: 'dir', path: 'etc/opaque' },
    { type: 'file', path: 'etc/opaque/from-layer-1', content: 'hidden by the opaque marker of layer 2\n' },
    { type: 'dir', path: 'etc/opaque/sub' },
    { type: 'file', path: 'etc/opaque/sub/deep', content: 'also hidden\n' },
    { type: 'dir', path: 'home' },
    { type: 'dir', path: 'home/user', mode: 0o750, uid: 1000, gid: 1000 },
    { type: 'dir', path: 'root', mode: 0o700 },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
    { type: 'dir', path: 'proc', mode: 0o555 },
    { type: 'dir', path: 'sys', mode: 0o555 },
    { type: 'dir', path: 'dev' },
    { type: 'dir', path: 'var' },
    { type: 'dir', path: 'var/www' },
    { type: 'file', path: 'var/www/index.html', content: 'hello from busybox httpd\n' },
  ];
  return entries;
}

/** The second layer: whiteouts (plain and opaque), a hard link pair, owned and setuid files. */
export function busyboxSecondLayer(): TarEntry[] {
  return [
    { type: 'dir', path: 'etc' },
    { type: 'file', path: 'etc/.wh.whiteout-me', content: '' },
    { type: 'dir', path: 'etc/opaque' },
    { type: 'file', path: 'etc/opaque/.wh..wh..opq', content: '' },
    { type: 'file', path: 'etc/opaque/from-layer-2', content: 'layer 2\n' },
    { type: 'dir', path: 'usr', mode: 0o755 },
    { type: 'dir', path: 'usr/share' },
    { type: 'file', path: 'usr/share/hardlink-a', content: 'one inode, two names\n' },
    { type: 'hardlink', path: 'usr/share/hardlink-b', target: 'usr/share/hardlink-a' },
    { type: 'file', path: 'home/user/owned', content: 'owned by user\n', mode: 0o640, uid: 1000, gid: 1000 },
    { type: 'file', path: 'usr/share/setuid', content: '#!/bin/sh\n', mode: 0o4755 },
    { type: 'symlink', path: 'usr/share/link-to-passwd', target: '/etc/passwd' },
    { type: 'file', path: 'layer-2', content: 'present\n' },
  ];
}

export const BUSYBOX_CONFIG = {
  Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'IMAGE_VAR=from-image'],
  Cmd: ['sh'],
  WorkingDir: '/',
};

export function busyboxImageSpec(extra: Partial<ImageSpec> = {}): ImageSpec {
  return { layers: [busyboxBaseLayer(), busyboxSecondLayer()], config: BUSYBOX_CONFIG, ...extra };
}

// ---- tctl ------------------------------------------------------------------------------

/** Built by `node scripts/build-tctl-bundle.mjs` (after `npx tsc -b`). */
export const TCTL_BUNDLE = join(REPO_ROOT, 'packages', 'ctl', 'dist-bundle', 'tctl.mjs');

export interface TctlImageOptions {
  /** The tctl bundle (default TCTL_BUNDLE). */
  bundle?: string;
  /** The node binary to ship (default this process's). */
  nodeBinary?: string;
}

/** The shared libraries `ldd` lists for a binary (the loader included), as absolute paths. */
export function sharedLibraries(binary: string): string[] {
  const res = spawnSync('ldd', [binary], { encoding: 'utf8' });
  if (res.status !== 0) {
    // A static binary needs none; anything else is a real failure.
    if (/not a dynamic executable/.test(`${res.stdout}${res.stderr}`)) return [];
    throw new Error(`ldd ${binary} failed: ${res.stderr || res.error?.message}`);
  }
  const libs: string[] = [];
  for (const line of res.stdout.split('\n')) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)", "/lib64/ld-linux-x86-64.so.2 (0x…)"; the vDSO has no file.
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (m) libs.push(m[1]!);
  }
  return libs;
}

/** Directory entries for every parent of `paths` (relative), each once, parents first. */
export function parentDirs(paths: readonly string[]): TarEntry[] {
  const seen = new Set<string>();
  const out: TarEntry[] = [];
  for (const p of paths) {
    const parts = dirname(p).split('/').filter((x) => x && x !== '.');
    for (let i = 1; i <= parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!seen.has(d)) { seen.add(d); out.push({ type: 'dir', path: d }); }
    }
  }
  return out;
}

/**
 * The layer that makes a busybox root filesystem run tctl: node at /usr/local/bin/node with
 * the libraries it links (at the paths ldd gives, files rather than the host's symlinks),
 * the bundle at /tctl/tctl.mjs, the protos at /proto/tugboat/v1 (where the bundle looks:
 * ../proto from its own directory), and /usr/local/bin/tctl.
 */
export function tctlLayer(opts: TctlImageOptions = {}): TarEntry[] {
  const bundle = opts.bundle ?? TCTL_BUNDLE;
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npx tsc -b && node scripts/build-tctl-bundle.mjs`);
  const node = opts.nodeBinary ?? process.execPath;
  const protoDir = join(REPO_ROOT, 'proto', 'tugboat', 'v1');
  const files: Array<{ path: string; content: Buffer | string; mode: number }> = [
    { path: 'usr/local/bin/node', content: readFileSync(node), mode: 0o755 },
    ...sharedLibraries(node).map((lib) => ({ path: lib.slice(1), content: readFileSync(lib), mode: 0o755 })),
    { path: 'tctl/tctl.mjs', content: readFileSync(bundle), mode: 0o644 },
    ...readdirSync(protoDir).filter((f) => f.endsWith('.proto')).map((f) => ({ path: `proto/tugboat/v1/${f}`, content: readFileSync(join(protoDir, f)), mode: 0o644 })),
    { path: 'usr/local/bin/tctl', content: '#!/bin/sh\nexec /usr/local/bin/node /tctl/tctl.mjs "$@"\n', mode: 0o755 },
  ];
  return [
    ...parentDirs(files.map((f) => f.path)),
    ...files.map((f): TarEntry => ({ type: 'file', ...f })),
  ];
}

export const TCTL_IMAGE_CONFIG = {
  Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root'],
  Cmd: ['tctl', 'version', '--client'],
  WorkingDir: '/',
};

/**
 * An image with tctl (for pods that use their ServiceAccount: in-cluster configuration): the
 * busybox base layer and the tctl layer, uncompressed (node is ~100 MB; gzip would only cost
 * time in tests). Build the bundle first: `node scripts/build-tctl-bundle.mjs`.
 */
export function buildTctlImage(layoutDir: string, tag = 'tctl', opts: TctlImageOptions = {}): BuiltImage {
  return buildOciImage(layoutDir, tag, { layers: [busyboxBaseLayer(), tctlLayer(opts)], config: TCTL_IMAGE_CONFIG, uncompressed: true });
}

// ---- pushing ---------------------------------------------------------------------------

export interface PushOptions {
  /** Convert to Docker v2 schema 2 on the way (`skopeo --format v2s2`). */
  format?: 'oci' | 'v2s2';
  /** Copy a whole index (every platform). */
  all?: boolean;
  /** Credentials for the destination. */
  creds?: { username: string; password: string };
}

/** `skopeo copy oci:LAYOUT:TAG docker://DEST` over plain http. */
export function pushImage(layoutDir: string, tag: string, dest: string, opts: PushOptions = {}): void {
  const args = ['copy', '--quiet', '--dest-tls-verify=false', '--insecure-policy'];
  if (opts.format) args.push('--format', opts.format);
  if (opts.all) args.push('--all');
  if (opts.creds) args.push('--dest-creds', `${opts.creds.username}:${opts.creds.password}`);
  args.push(`oci:${layoutDir}:${tag}`, `docker://${dest}`);
  const res = spawnSync('skopeo', args, { encoding: 'utf8', timeout: 120_000 });
  if (res.status !== 0) throw new Error(`skopeo ${args.join(' ')} failed: ${res.stderr || res.error?.message}`);
}

export function skopeoAvailable(): boolean {
  return spawnSync('skopeo', ['--version'], { stdio: 'ignore' }).status === 0;
}

// ---- a registry with busybox, as the oci e2e tests start it ------------------------------

export interface BusyboxRegistry {
  readonly registry: RegistryHandle;
  /** A temp dir of the test file's own (the image layouts are in it); destroy removes it. */
  readonly work: string;
  /** The busybox image, pushed: `HOST:PORT/e2e/busybox:1`. */
  readonly image: string;
  /** Stops the registry and removes `work`. */
  destroy(): Promise<void>;
}

/**
 * A registry on a free port of `listenHost` (default loopback) holding the offline busybox
 * image as e2e/busybox:1, built in a new temp dir `tugboat-e2e-NAME-…`. Whatever failed
 * half-way is undone before the error is thrown.
 */
export async function startBusyboxRegistry(name: string, listenHost?: string): Promise<BusyboxRegistry> {
  const work = mkdtempSync(join(tmpdir(), `tugboat-e2e-${name}-`));
  let registry: RegistryHandle | undefined;
  const destroy = async (): Promise<void> => {
    await registry?.destroy();
    rmSync(work, { recursive: true, force: true });
  };
  try {
    registry = await startRegistry(listenHost);
    buildOciImage(join(work, 'busybox'), '1', busyboxImageSpec());
    const image = `${registry.host}/e2e/busybox:1`;
    pushImage(join(work, 'busybox'), '1', image);
    return { registry, work, image, destroy };
  } catch (e) {
    await destroy();
    throw e;
  }
}
