// The node's mounts, through util-linux's mount(8) (Node has no mount(2)): overlays for
// image layers and container root filesystems, bind mounts and tmpfs for sandboxes and
// volumes, and the clean-up that finds what is mounted under a directory.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './subprocess.js';

export class MountError extends Error {
  override readonly name = 'MountError';
}

export interface OverlayMount {
  /** Lower directories, topmost first; relative ones are taken from `cwd`. */
  lower: readonly string[];
  upper: string;
  work: string;
  target: string;
  /**
   * Directory the lower paths are relative to: mount options are limited to one page,
   * so short relative paths let deep images mount (containerd does the same).
   */
  cwd?: string;
}

export async function mountOverlay(m: OverlayMount): Promise<void> {
  if (m.lower.length === 0) throw new MountError('an overlay needs at least one lower directory');
  const options = `lowerdir=${m.lower.join(':')},upperdir=${m.upper},workdir=${m.work}`;
  if (options.length > 4000) throw new MountError(`overlay mount options are too long (${options.length} bytes, ${m.lower.length} layers)`);
  const res = await run('mount', ['-t', 'overlay', 'overlay', '-o', options, m.target], m.cwd ? { cwd: m.cwd } : {});
  if (res.code !== 0) throw new MountError(`mount overlay on ${m.target}: ${res.stderr.trim() || `exit ${res.code}`}`);
}

export async function mountBind(source: string, target: string, readOnly = false): Promise<void> {
  const res = await run('mount', ['--bind', source, target]);
  if (res.code !== 0) throw new MountError(`bind mount ${source} on ${target}: ${res.stderr.trim()}`);
  if (readOnly) {
    const ro = await run('mount', ['-o', 'remount,bind,ro', target]);
    if (ro.code !== 0) throw new MountError(`read-only remount of ${target}: ${ro.stderr.trim()}`);
  }
}

export async function mountTmpfs(target: string, options = 'mode=755'): Promise<void> {
  const res = await run('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', target]);
  if (res.code !== 0) throw new MountError(`mount tmpfs on ${target}: ${res.stderr.trim()}`);
}

/** Unmounts `target` if it is a mount point (lazily when busy); no error when it is not. */
export async function unmount(target: string): Promise<void> {
  if (!(await isMountPoint(target))) return;
  const res = await run('umount', [target]);
  if (res.code === 0) return;
  const lazy = await run('umount', ['-l', target]);
  if (lazy.code !== 0 && (await isMountPoint(target))) throw new MountError(`umount ${target}: ${lazy.stderr.trim() || res.stderr.trim()}`);
}

/** Mount points at or under `prefix`, from /proc/self/mountinfo, deepest first. */
export async function mountsUnder(prefix: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const out: string[] = [];
  for (const line of info.split('\n')) {
    const mp = line.split(' ')[4];
    if (mp === undefined) continue;
    const path = mp.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (path === prefix || path.startsWith(`${prefix}/`)) out.push(path);
  }
  return out.sort((a, b) => b.length - a.length);
}

export async function isMountPoint(path: string): Promise<boolean> {
  return (await mountsUnder(path)).includes(path);
}

/** Unmounts everything at or under `prefix`, deepest first. */
export async function unmountAll(prefix: string): Promise<void> {
  for (const mp of await mountsUnder(prefix)) await unmount(mp);
}

/**
 * Whether overlayfs with an upper dir in `dir` works here (root, kernel support, and a
 * filesystem that can hold an upper dir: not overlayfs itself, for one).
 */
export async function overlaySupported(dir: string): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  await mkdir(dir, { recursive: true });
  const base = await mkdtemp(join(dir, 'overlay-check-'));
  const [lower, upper, work, merged] = ['lower', 'upper', 'work', 'merged'].map((d) => join(base, d)) as [string, string, string, string];
  try {
    await Promise.all([lower, upper, work, merged].map((d) => mkdir(d)));
    await writeFile(join(lower, 'f'), 'x');
    await mountOverlay({ lower: [lower], upper, work, target: merged });
    try {
      await rm(join(merged, 'f'));
      return true;
    } finally {
      await unmount(merged);
    }
  } catch {
    return false;
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}
