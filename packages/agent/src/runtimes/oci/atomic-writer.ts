// kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go): a volume's files are replaced
// as a set, so a reader never sees half of an update (a new token with an old CA, a file
// cut short). Each version is a directory of its own; `..data` points at the current one
// and is swapped with rename(2), which is atomic; what users open are symlinks through it:
//
//   <dir>/..2024_05_01_10_00_00.123456789/token   one version of the files
//   <dir>/..data -> ..2024_05_01_10_00_00.123456789
//   <dir>/token  -> ..data/token                   the user-visible names
//
// Every link is relative, so the volume reads the same bind-mounted into a container.
import { randomInt } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, readFile, readlink, rename, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';

export interface FileProjection {
  /** Relative to the volume, '/'-separated. */
  path: string;
  content: Buffer;
  mode: number;
}

export const DATA_DIR_NAME = '..data';
const DATA_DIR_TMP_NAME = '..data_tmp';

/** kubelet's validatePath: relative, no '..' element, not starting with '..', sane lengths. */
export function validatePayloadPath(path: string): string | undefined {
  if (path === '') return 'the path must not be empty';
  if (path.length > 4096) return `the path ${JSON.stringify(path.slice(0, 40))}… is longer than 4096 characters`;
  if (posix.isAbsolute(path)) return `the path ${JSON.stringify(path)} must be relative`;
  const parts = path.split('/');
  if (parts.includes('..')) return `the path ${JSON.stringify(path)} must not contain '..'`;
  if (path.startsWith('..')) return `the path ${JSON.stringify(path)} must not start with '..'`;
  if (parts.some((p) => p.length > 255)) return `the path ${JSON.stringify(path)} has an element longer than 255 characters`;
  return undefined;
}

/** `..2024_05_01_10_00_00.123456789`: Go's "..2006_01_02_15_04_05." plus MkdirTemp's random digits, as kubelet names them. */
function versionDirName(now: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const ts = `${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}`;
  return `..${ts}.${String(randomInt(0, 1_000_000_000)).padStart(9, '0')}`;
}

async function readVersion(dir: string, prefix = ''): Promise<Map<string, { content: Buffer; mode: number }>> {
  const out = new Map<string, { content: Buffer; mode: number }>();
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      for (const [k, v] of await readVersion(dir, rel)) out.set(k, v);
    } else if (entry.isFile()) {
      const full = join(dir, rel);
      out.set(rel, { content: await readFile(full), mode: (await stat(full)).mode & 0o7777 });
    }
  }
  return out;
}

function samePayload(old: Map<string, { content: Buffer; mode: number }>, payload: readonly FileProjection[]): boolean {
  if (old.size !== payload.length) return false;
  return payload.every((f) => {
    const o = old.get(posix.normalize(f.path));
    return !!o && o.mode === (f.mode & 0o7777) && o.content.equals(f.content);
  });
}

function topLevel(path: string): string {
  return posix.normalize(path).split('/')[0] ?? path;
}

/**
 * Makes `dir` hold exactly `payload`, atomically for readers. Returns false when it already
 * did (nothing is written: a reader's inotify sees no churn).
 */
export async function writeAtomic(dir: string, payload: readonly FileProjection[], now: Date = new Date()): Promise<boolean> {
  for (const f of payload) {
    const bad = validatePayloadPath(f.path);
    if (bad) throw new Error(bad);
  }
  await mkdir(dir, { recursive: true });
  const dataLink = join(dir, DATA_DIR_NAME);
  const oldVersion = await readlink(dataLink).catch(() => undefined);
  const oldFiles = oldVersion ? await readVersion(join(dir, oldVersion)).catch(() => undefined) : undefined;
  if (oldFiles && samePayload(oldFiles, payload)) return false;

  // 1. The new version, in full, where no reader looks yet.
  const version = versionDirName(now);
  const versionDir = join(dir, version);
  await mkdir(versionDir, { mode: 0o755 });
  await chmod(versionDir, 0o755);
  for (const f of payload) {
    const p = join(versionDir, posix.normalize(f.path));
    await mkdir(dirname(p), { recursive: true, mode: 0o755 });
    await writeFile(p, f.content);
    // writeFile's mode is masked by the umask: set it exactly.
    await chmod(p, f.mode & 0o7777);
  }
  // 2. The swap: ..data_tmp → new version, renamed over ..data.
  const tmpLink = join(dir, DATA_DIR_TMP_NAME);
  await rm(tmpLink, { force: true });
  await symlink(version, tmpLink);
  await rename(tmpLink, dataLink);
  // 3. User-visible names, through ..data (made after the swap so none dangles).
  const newTop = new Set(payload.map((f) => topLevel(f.path)));
  for (const name of newTop) {
    const link = join(dir, name);
    const st = await lstat(link).catch(() => undefined);
    if (st?.isSymbolicLink()) continue;
    if (st) await rm(link, { recursive: true, force: true });
    await symlink(posix.join(DATA_DIR_NAME, name), link);
  }
  // 4. Names the old version had and the new one has not, then the old version itself.
  for (const name of new Set([...(oldFiles?.keys() ?? [])].map(topLevel))) {
    if (!newTop.has(name)) await unlink(join(dir, name)).catch(() => undefined);
  }
  if (oldVersion && oldVersion !== version && /^\.\.\d{4}_[^/]+$/.test(oldVersion)) await rm(join(dir, oldVersion), { recursive: true, force: true });
  return true;
}
