// Pod volumes on the host, as kubelet's volume plugins lay them out, and the bind mounts
// that put them into containers:
//
//   emptyDir   <pod>/volumes/empty-dir/<name>   (a tmpfs for medium: Memory)
//   hostPath   the host path itself (created for DirectoryOrCreate / FileOrCreate)
//   configMap  <pod>/volumes/configmap/<name>   one file per key (or per item)
//   secret     <pod>/volumes/secret/<name>      the same, on a tmpfs so it never hits disk
import { chmod, mkdir, open, stat, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { parseQuantity, type ConfigMap, type Secret, type Volume, type VolumeMount } from '@tugboat/api';
import { mountTmpfs, unmountAll } from '../../images/mounts.js';
import type { OciMount } from './spec.js';

export interface ObjectLookup {
  configMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  secret(namespace: string, name: string): Promise<Secret | undefined>;
}

export interface PreparedVolume {
  name: string;
  hostPath: string;
  /** configMap and secret volumes are always mounted read-only (as Kubernetes does). */
  forceReadOnly: boolean;
}

export class VolumeError extends Error {
  override readonly name = 'VolumeError';
}

/** One clear line: `spec.volumes[2].configMap: configmap "web" not found`. */
function fail(index: number, field: string, msg: string): never {
  throw new VolumeError(`spec.volumes[${index}].${field}: ${msg}`);
}

/** Kubernetes' items/keys projection: which file gets which bytes, with which mode. */
export function projectKeys(
  data: Record<string, Buffer>,
  items: ReadonlyArray<{ key: string; path: string; mode?: number }> | undefined,
  defaultMode: number,
  what: string,
  optional: boolean,
): Array<{ path: string; content: Buffer; mode: number }> {
  if (!items || items.length === 0) {
    return Object.entries(data).map(([key, content]) => ({ path: key, content, mode: defaultMode }));
  }
  const out: Array<{ path: string; content: Buffer; mode: number }> = [];
  for (const item of items) {
    const content = data[item.key];
    if (content === undefined) {
      if (optional) continue;
      throw new VolumeError(`${what} has no key "${item.key}"`);
    }
    const clean = posix.normalize(item.path);
    if (clean.startsWith('..') || posix.isAbsolute(clean)) throw new VolumeError(`${what}: item path "${item.path}" must be relative and may not contain '..'`);
    out.push({ path: clean, content, mode: item.mode ?? defaultMode });
  }
  return out;
}

async function writeFiles(dir: string, files: ReadonlyArray<{ path: string; content: Buffer; mode: number }>): Promise<void> {
  for (const f of files) {
    const p = join(dir, f.path);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, f.content);
    await chmod(p, f.mode);
  }
}

function decodeMap(data: Record<string, string> | undefined, base64: boolean): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(data ?? {})) out[k] = base64 ? Buffer.from(v, 'base64') : Buffer.from(v);
  return out;
}

/**
 * Sets up every volume of a pod under `podDir`; returns them by name. Unsupported volume
 * types are an error naming the field, never silently empty.
 */
export async function prepareVolumes(podDir: string, namespace: string, volumes: readonly Volume[], lookup: ObjectLookup | undefined): Promise<Map<string, PreparedVolume>> {
  const out = new Map<string, PreparedVolume>();
  for (const [i, v] of volumes.entries()) {
    if (v.emptyDir) {
      const dir = join(podDir, 'volumes', 'empty-dir', v.name);
      await mkdir(dir, { recursive: true });
      if (v.emptyDir.medium === 'Memory') {
        const size = v.emptyDir.sizeLimit ? `,size=${parseQuantity(v.emptyDir.sizeLimit).value()}` : '';
        await unmountAll(dir);
        await mountTmpfs(dir, `mode=1777${size}`);
      } else if (v.emptyDir.medium && v.emptyDir.medium !== '') {
        fail(i, 'emptyDir.medium', `Unsupported value "${v.emptyDir.medium}": supported values: "", "Memory"`);
      }
      // kubelet makes emptyDirs world-writable so any runAsUser can use them.
      await chmod(dir, 0o1777);
      out.set(v.name, { name: v.name, hostPath: dir, forceReadOnly: false });
    } else if (v.hostPath) {
      const path = v.hostPath.path;
      if (!posix.isAbsolute(path)) fail(i, 'hostPath.path', `"${path}" is not an absolute path`);
      const st = await stat(path).catch(() => undefined);
      const type = v.hostPath.type ?? '';
      switch (type) {
        case '':
          break;
        case 'DirectoryOrCreate':
          if (!st) await mkdir(path, { recursive: true, mode: 0o755 });
          else if (!st.isDirectory()) fail(i, 'hostPath', `${path} exists and is not a directory`);
          break;
        case 'Directory':
          if (!st?.isDirectory()) fail(i, 'hostPath', `hostPath type check failed: ${path} is not a directory`);
          break;
        case 'FileOrCreate':
          if (!st) {
            await mkdir(dirname(path), { recursive: true });
            await (await open(path, 'a', 0o644)).close();
          } else if (!st.isFile()) fail(i, 'hostPath', `${path} exists and is not a file`);
          break;
        case 'File':
          if (!st?.isFile()) fail(i, 'hostPath', `hostPath type check failed: ${path} is not a file`);
          break;
        case 'Socket':
          if (!st?.isSocket()) fail(i, 'hostPath', `hostPath type check failed: ${path} is not a socket file`);
          break;
        case 'CharDevice':
          if (!st?.isCharacterDevice()) fail(i, 'hostPath', `hostPath type check failed: ${path} is not a character device`);
          break;
        case 'BlockDevice':
          if (!st?.isBlockDevice()) fail(i, 'hostPath', `hostPath type check failed: ${path} is not a block device`);
          break;
        default:
          fail(i, 'hostPath.type', `Unsupported value "${type}"`);
      }
      out.set(v.name, { name: v.name, hostPath: path, forceReadOnly: false });
    } else if (v.configMap) {
      const name = v.configMap.name ?? '';
      const optional = v.configMap.optional === true;
      const cm = lookup ? await lookup.configMap(namespace, name) : undefined;
      if (!cm && !optional) fail(i, 'configMap', `configmap "${name}" not found`);
      const dir = join(podDir, 'volumes', 'configmap', v.name);
      await mkdir(dir, { recursive: true });
      const data = { ...decodeMap(cm?.data, false), ...decodeMap(cm?.binaryData, true) };
      try {
        await writeFiles(dir, projectKeys(data, v.configMap.items, v.configMap.defaultMode ?? 0o644, `configmap "${name}"`, optional));
      } catch (e) {
        fail(i, 'configMap.items', (e as Error).message);
      }
      out.set(v.name, { name: v.name, hostPath: dir, forceReadOnly: true });
    } else if (v.secret) {
      const name = v.secret.secretName ?? '';
      const optional = v.secret.optional === true;
      const secret = lookup ? await lookup.secret(namespace, name) : undefined;
      if (!secret && !optional) fail(i, 'secret', `secret "${name}" not found`);
      const dir = join(podDir, 'volumes', 'secret', v.name);
      await mkdir(dir, { recursive: true });
      await unmountAll(dir);
      await mountTmpfs(dir, 'mode=755');
      const data = { ...decodeMap(secret?.data, true), ...decodeMap(secret?.stringData, false) };
      try {
        await writeFiles(dir, projectKeys(data, v.secret.items, v.secret.defaultMode ?? 0o644, `secret "${name}"`, optional));
      } catch (e) {
        fail(i, 'secret.items', (e as Error).message);
      }
      out.set(v.name, { name: v.name, hostPath: dir, forceReadOnly: true });
    } else {
      const kind = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
      fail(i, kind, `volume type "${kind}" is not supported by the oci runtime (supported: emptyDir, hostPath, configMap, secret)`);
    }
  }
  return out;
}

/** Unmounts the pod's tmpfs volumes (the directory itself is removed with the pod). */
export async function teardownVolumes(podDir: string): Promise<void> {
  await unmountAll(join(podDir, 'volumes'));
}

/** The bind mounts of a container's volumeMounts. */
export function volumeMountsFor(containerName: string, mounts: readonly VolumeMount[], volumes: ReadonlyMap<string, PreparedVolume>): OciMount[] {
  return mounts.map((m, i) => {
    const vol = volumes.get(m.name);
    if (!vol) throw new VolumeError(`container "${containerName}": volumeMounts[${i}].name: volume "${m.name}" is not defined in spec.volumes`);
    if (!posix.isAbsolute(m.mountPath)) throw new VolumeError(`container "${containerName}": volumeMounts[${i}].mountPath: "${m.mountPath}" must be absolute`);
    let source = vol.hostPath;
    if (m.subPath) {
      const clean = posix.normalize(m.subPath);
      if (clean.startsWith('..') || posix.isAbsolute(clean)) throw new VolumeError(`container "${containerName}": volumeMounts[${i}].subPath: "${m.subPath}" must be relative and may not contain '..'`);
      source = join(source, clean);
    }
    const ro = m.readOnly === true || vol.forceReadOnly;
    return { destination: m.mountPath, type: 'bind', source, options: ['rbind', 'rprivate', ro ? 'ro' : 'rw'] };
  });
}
