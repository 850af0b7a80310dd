// Applies one image layer (a tar stream) onto a directory, as the OCI image spec's
// "applying changesets" says: entries replace what is there, `.wh.NAME` deletes NAME from
// the layers below, `.wh..wh..opq` hides everything the layers below put in its directory.
// The directory is either an overlay mount (lower layers visible, the kernel records the
// deletions as overlay whiteouts in the new layer's upper dir) or a plain copy.
//
// Paths are resolved inside the root the way containerd does (symlinks followed, but never
// out of the root), so a hostile layer cannot write outside its directory.
import { createWriteStream } from 'node:fs';
import { chmod, chown, lchown, link, lstat, lutimes, mkdir, readdir, readlink, rm, symlink, utimes } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { run } from '../../../system/subprocess.js';
import type { TarEntry, TarHeader } from './tar.js';

export const WHITEOUT_PREFIX = '.wh.';
export const WHITEOUT_META_PREFIX = '.wh..wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';

export interface ApplyOptions {
  /** Keep the archive's owners (needs root; off, files belong to whoever unpacks). */
  preserveOwnership?: boolean;
}

export interface ApplyResult {
  entries: number;
  /** Bytes of regular file content written. */
  bytes: number;
  whiteouts: number;
}

export class LayerError extends Error {
  override readonly name = 'LayerError';
}

const MAX_SYMLINK_HOPS = 255;

/** Splits an archive path into clean components; '..' never climbs above the root. */
export function cleanComponents(p: string): string[] {
  const out: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return out;
}

/**
 * The host path of `rel` inside `root`, following symlinks in every component but the last
 * (and the last too when `followLast`), with absolute link targets taken relative to the
 * root and '..' stopping at it — what securejoin and containerd's fs.RootPath do.
 */
export async function resolveInRoot(root: string, rel: string, followLast = false): Promise<string> {
  const queue = cleanComponents(rel);
  const resolved: string[] = [];
  let hops = 0;
  while (queue.length > 0) {
    const c = queue.shift()!;
    if (c === '..') {
      resolved.pop();
      continue;
    }
    if (c === '.') continue;
    const isLast = queue.length === 0;
    if (isLast && !followLast) {
      resolved.push(c);
      break;
    }
    const candidate = join(root, ...resolved, c);
    let isLink = false;
    try {
      isLink = (await lstat(candidate)).isSymbolicLink();
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (!isLink) {
      resolved.push(c);
      continue;
    }
    if (++hops > MAX_SYMLINK_HOPS) throw new LayerError(`too many levels of symbolic links resolving ${rel}`);
    const target = await readlink(candidate);
    if (target.startsWith('/')) resolved.length = 0;
    queue.unshift(...target.split('/').filter((x) => x !== '' && x !== '.'));
  }
  return join(root, ...resolved);
}

interface DirMeta { path: string; header: TarHeader }

/**
 * Applies the entries of one layer onto `root`. Whiteouts only remove what the layers
 * below put there (never what this same layer wrote, as the spec requires whatever the
 * order of entries in the archive).
 */
export async function applyLayer(entries: AsyncIterable<TarEntry>, root: string, options: ApplyOptions = {}): Promise<ApplyResult> {
  const chownOk = options.preserveOwnership ?? (process.getuid?.() === 0);
  const written = new Set<string>();
  const dirs: DirMeta[] = [];
  // Parent directories known to be real directories inside the root, by archive path.
  const parents = new Map<string, string>();
  const result: ApplyResult = { entries: 0, bytes: 0, whiteouts: 0 };

  const removeAll = async (path: string): Promise<void> => {
    await rm(path, { recursive: true, force: true });
    parents.clear();
  };

  const parentDir = async (dirRel: string): Promise<string> => {
    const key = cleanComponents(dirRel).join('/');
    const cached = parents.get(key);
    if (cached !== undefined) return cached;
    const real = await resolveInRoot(root, key, true);
    const st = await lstat(real).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
    if (!st) {
      // Layers may omit parent directories; create them as Docker does.
      await mkdir(real, { recursive: true, mode: 0o755 });
    } else if (!st.isDirectory()) {
      throw new LayerError(`${dirRel} is not a directory (it is needed as one by a later entry)`);
    }
    parents.set(key, real);
    return real;
  };

  for await (const { header, body } of entries) {
    result.entries++;
    const comps = cleanComponents(header.path);
    if (comps.length === 0) {
      // The root itself ("./"): its metadata applies to the root directory.
      if (header.type === 'dir') dirs.push({ path: root, header });
      continue;
    }
    const name = comps[comps.length - 1]!;
    const dirRel = comps.slice(0, -1).join('/');

    if (name.startsWith(WHITEOUT_PREFIX)) {
      result.whiteouts++;
      const dir = await resolveInRoot(root, dirRel, true);
      if (name === OPAQUE_WHITEOUT) {
        const children = await readdir(dir).catch((e: unknown) => (isNotFound(e) ? [] : Promise.reject(e)));
        for (const child of children) {
          const p = join(dir, child);
          if (!written.has(p)) await removeAll(p);
        }
      } else if (!name.startsWith(WHITEOUT_META_PREFIX)) {
        // `.wh..wh.*` other than the opaque marker are aufs bookkeeping: nothing to do.
        const p = join(dir, name.slice(WHITEOUT_PREFIX.length));
        if (!written.has(p)) await removeAll(p);
      }
      continue;
    }

    const dir = await parentDir(dirRel);
    const path = join(dir, name);
    const existing = await lstat(path).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));

    switch (header.type) {
      case 'dir': {
        if (existing && !existing.isDirectory()) await removeAll(path);
        if (!existing || !existing.isDirectory()) await mkdir(path, { mode: 0o700 });
        dirs.push({ path, header });
        break;
      }
      case 'file': {
        if (existing) await removeAll(path);
        await pipeline(Readable.from(body), createWriteStream(path, { flags: 'wx', mode: 0o600 }));
        result.bytes += header.size;
        await setOwnerAndMode(path, header, chownOk);
        await utimes(path, header.mtime, header.mtime);
        break;
      }
      case 'symlink': {
        if (existing) await removeAll(path);
        await symlink(header.linkpath, path);
        if (chownOk) await lchown(path, header.uid, header.gid);
        await lutimes(path, header.mtime, header.mtime).catch(() => undefined);
        break;
      }
      case 'hardlink': {
        // The target is a path in the archive (so inside this root), resolved as one.
        const targetComps = cleanComponents(header.linkpath);
        const tdir = await resolveInRoot(root, targetComps.slice(0, -1).join('/'), true);
        const target = join(tdir, targetComps[targetComps.length - 1] ?? '');
        const tst = await lstat(target).catch(() => undefined);
        if (!tst || tst.isDirectory()) throw new LayerError(`hard link ${header.path} → ${header.linkpath}: the target is missing or a directory`);
        if (existing) {
          if (target === path) break;
          await removeAll(path);
        }
        await link(target, path);
        break;
      }
      case 'char':
      case 'block':
      case 'fifo': {
        if (existing) await removeAll(path);
        await makeNode(path, header);
        await setOwnerAndMode(path, header, chownOk);
        break;
      }
    }
    written.add(path);
  }

  // Directory metadata last, deepest first, so writing children does not undo mtimes.
  for (const { path, header } of dirs.reverse()) {
    await setOwnerAndMode(path, header, chownOk);
    await utimes(path, header.mtime, header.mtime);
  }
  return result;
}

async function setOwnerAndMode(path: string, h: TarHeader, chownOk: boolean): Promise<void> {
  // chown clears setuid/setgid bits, so the mode comes after it.
  if (chownOk) await chown(path, h.uid, h.gid);
  await chmod(path, h.mode);
}

// Node has no mknod(2); coreutils' mknod does it. Device nodes in layers are rare (runc
// makes /dev itself), so a process per node is fine.
async function makeNode(path: string, h: TarHeader): Promise<void> {
  const args = h.type === 'fifo'
    ? [path, 'p']
    : [path, h.type === 'char' ? 'c' : 'b', String(h.devmajor), String(h.devminor)];
  const res = await run('mknod', ['-m', (h.mode & 0o777).toString(8), ...args]);
  if (res.code !== 0) throw new LayerError(`mknod ${posix.basename(path)}: ${res.stderr.trim() || `exit ${res.code}`}`);
}

function isNotFound(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: string }).code === 'ENOENT';
}
