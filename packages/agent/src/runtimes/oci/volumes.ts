// Pod volumes on the host, as kubelet's volume plugins lay them out, and the bind mounts
// that put them into containers:
//
//   emptyDir   <pod>/volumes/empty-dir/<name>   (a tmpfs for medium: Memory)
//   hostPath   the host path itself (created for DirectoryOrCreate / FileOrCreate)
//   configMap  <pod>/volumes/configmap/<name>   one file per key (or per item)
//   secret     <pod>/volumes/secret/<name>      the same, on a tmpfs so it never hits disk
//   projected  <pod>/volumes/projected/<name>   secret, configMap, downwardAPI and
//                                               ServiceAccount token sources, on a tmpfs,
//                                               written atomically (projected-volume.ts)
//   downwardAPI <pod>/volumes/downward-api/<name>  as a projected volume of one downwardAPI source
//   persistentVolumeClaim                       claim → its bound volume → the volume's
//                                               hostPath / local path on this node (made when
//                                               missing: a local-path volume's directory)
import { chmod, mkdir, open, stat, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { parseQuantity, volumeHostPath, type Volume, type VolumeMount } from '@tugboat/api';
import { mountTmpfs, unmountAll } from '../../system/mounts.js';
import { VolumeError } from '../runtime.js';
import type { OciMount } from './spec.js';
import { configMapData, projectKeys, secretData, type ObjectLookup } from './volume-data.js';
import { setUpProjectedVolume, type ProjectionPod } from './projected-volume.js';
import type { TokenLifetime } from './token-rotation.js';

export { VolumeError } from '../runtime.js';
export { projectKeys, type ObjectLookup } from './volume-data.js';

export interface PreparedVolume {
  name: string;
  hostPath: string;
  /** configMap, secret and projected volumes are always mounted read-only (as Kubernetes does). */
  forceReadOnly: boolean;
  /** projected: the ServiceAccount tokens written into it, for their rotation. */
  tokens?: TokenLifetime[];
}

/** Where a projected volume lives on the host. */
export function projectedVolumeDir(podDir: string, name: string): string {
  return join(podDir, 'volumes', 'projected', name);
}

/** One clear line: `spec.volumes[2].configMap: configmap "web" not found`; the volume and bare cause for FailedMount. */
function fail(v: Volume, index: number, field: string, msg: string): never {
  throw new VolumeError(`spec.volumes[${index}].${field}: ${msg}`, v.name, msg);
}

async function writeFiles(dir: string, files: ReadonlyArray<{ path: string; content: Buffer; mode: number }>): Promise<void> {
  for (const f of files) {
    const p = join(dir, f.path);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, f.content);
    await chmod(p, f.mode);
  }
}

/**
 * Sets up every volume of a pod under `podDir`; returns them by name. Unsupported volume
 * types are an error naming the field, never silently empty.
 */
export async function prepareVolumes(
  podDir: string, pod: ProjectionPod, volumes: readonly Volume[], lookup: ObjectLookup | undefined, now: () => number = Date.now,
): Promise<Map<string, PreparedVolume>> {
  const namespace = pod.namespace;
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
        fail(v, i, 'emptyDir.medium', `Unsupported value "${v.emptyDir.medium}": supported values: "", "Memory"`);
      }
      // kubelet makes emptyDirs world-writable so any runAsUser can use them.
      await chmod(dir, 0o1777);
      out.set(v.name, { name: v.name, hostPath: dir, forceReadOnly: false });
    } else if (v.hostPath) {
      const path = v.hostPath.path;
      if (!posix.isAbsolute(path)) fail(v, i, 'hostPath.path', `"${path}" is not an absolute path`);
      const st = await stat(path).catch(() => undefined);
      const type = v.hostPath.type ?? '';
      switch (type) {
        case '':
          // No type, no checks (kubelet's rule); a missing path is made a directory, as
          // containerd's CRI does before its bind mount (runc cannot bind what is not there).
          if (!st) await mkdir(path, { recursive: true, mode: 0o755 });
          break;
        case 'DirectoryOrCreate':
          if (!st) await mkdir(path, { recursive: true, mode: 0o755 });
          else if (!st.isDirectory()) fail(v, i, 'hostPath', `${path} exists and is not a directory`);
          break;
        case 'Directory':
          if (!st?.isDirectory()) fail(v, i, 'hostPath', `hostPath type check failed: ${path} is not a directory`);
          break;
        case 'FileOrCreate':
          if (!st) {
            await mkdir(dirname(path), { recursive: true });
            await (await open(path, 'a', 0o644)).close();
          } else if (!st.isFile()) fail(v, i, 'hostPath', `${path} exists and is not a file`);
          break;
        case 'File':
          if (!st?.isFile()) fail(v, i, 'hostPath', `hostPath type check failed: ${path} is not a file`);
          break;
        case 'Socket':
          if (!st?.isSocket()) fail(v, i, 'hostPath', `hostPath type check failed: ${path} is not a socket file`);
          break;
        case 'CharDevice':
          if (!st?.isCharacterDevice()) fail(v, i, 'hostPath', `hostPath type check failed: ${path} is not a character device`);
          break;
        case 'BlockDevice':
          if (!st?.isBlockDevice()) fail(v, i, 'hostPath', `hostPath type check failed: ${path} is not a block device`);
          break;
        default:
          fail(v, i, 'hostPath.type', `Unsupported value "${type}"`);
      }
      out.set(v.name, { name: v.name, hostPath: path, forceReadOnly: false });
    } else if (v.configMap) {
      const name = v.configMap.name ?? '';
      const optional = v.configMap.optional === true;
      const cm = lookup ? await lookup.configMap(namespace, name) : undefined;
      if (!cm && !optional) fail(v, i, 'configMap', `configmap "${name}" not found`);
      const dir = join(podDir, 'volumes', 'configmap', v.name);
      await mkdir(dir, { recursive: true });
      const data = configMapData(cm);
      try {
        await writeFiles(dir, projectKeys(data, v.configMap.items, v.configMap.defaultMode ?? 0o644, `configmap "${name}"`, optional));
      } catch (e) {
        fail(v, i, 'configMap.items', (e as Error).message);
      }
      out.set(v.name, { name: v.name, hostPath: dir, forceReadOnly: true });
    } else if (v.secret) {
      const name = v.secret.secretName ?? '';
      const optional = v.secret.optional === true;
      const secret = lookup ? await lookup.secret(namespace, name) : undefined;
      if (!secret && !optional) fail(v, i, 'secret', `secret "${name}" not found`);
      const dir = join(podDir, 'volumes', 'secret', v.name);
      await mkdir(dir, { recursive: true });
      await unmountAll(dir);
      await mountTmpfs(dir, 'mode=755');
      const data = secretData(secret);
      try {
        await writeFiles(dir, projectKeys(data, v.secret.items, v.secret.defaultMode ?? 0o644, `secret "${name}"`, optional));
      } catch (e) {
        fail(v, i, 'secret.items', (e as Error).message);
      }
      out.set(v.name, { name: v.name, hostPath: dir, forceReadOnly: true });
    } else if (v.projected) {
      const dir = projectedVolumeDir(podDir, v.name);
      const tokens = await setUpProjectedVolume(dir, v, i, pod, lookup, now);
      out.set(v.name, { name: v.name, hostPath: dir, forceReadOnly: true, ...(tokens.length ? { tokens } : {}) });
    } else if (v.downwardAPI) {
      // A downwardAPI volume is a projected volume of one downwardAPI source: the same files,
      // written atomically on a tmpfs as kubelet writes both.
      const dir = join(podDir, 'volumes', 'downward-api', v.name);
      const asProjected: Volume = { name: v.name, projected: { ...(v.downwardAPI.defaultMode !== undefined ? { defaultMode: v.downwardAPI.defaultMode } : {}), sources: [{ downwardAPI: { ...(v.downwardAPI.items ? { items: v.downwardAPI.items } : {}) } }] } };
      await setUpProjectedVolume(dir, asProjected, i, pod, lookup, now);
      out.set(v.name, { name: v.name, hostPath: dir, forceReadOnly: true });
    } else if (v.persistentVolumeClaim) {
      const path = await claimVolumePath(v, i, namespace, lookup);
      out.set(v.name, { name: v.name, hostPath: path, forceReadOnly: v.persistentVolumeClaim.readOnly === true });
    } else {
      const kind = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
      fail(v, i, kind, `volume type "${kind}" is not supported by the oci runtime (supported: emptyDir, hostPath, configMap, secret, projected, downwardAPI, persistentVolumeClaim)`);
    }
  }
  return out;
}

/**
 * The host directory behind a persistentVolumeClaim volume: the claim must exist and be bound
 * (kubelet waits otherwise: FailedMount, retried), its volume must be a hostPath or local one
 * meant for this node (the scheduler saw to that). The directory is made when missing.
 */
async function claimVolumePath(v: Volume, i: number, namespace: string, lookup: ObjectLookup | undefined): Promise<string> {
  const claimName = v.persistentVolumeClaim?.claimName ?? '';
  const claim = await lookup?.persistentVolumeClaim?.(namespace, claimName);
  if (!claim) fail(v, i, 'persistentVolumeClaim', `persistentvolumeclaim "${claimName}" not found`);
  const volumeName = claim.spec?.volumeName;
  if (!volumeName || claim.status?.phase !== 'Bound') fail(v, i, 'persistentVolumeClaim', `PVC ${namespace}/${claimName} is not bound`);
  const pv = await lookup?.persistentVolume?.(volumeName);
  if (!pv) fail(v, i, 'persistentVolumeClaim', `persistentvolume "${volumeName}" not found`);
  const path = volumeHostPath(pv);
  if (!path || !posix.isAbsolute(path)) fail(v, i, 'persistentVolumeClaim', `persistentvolume "${volumeName}" is neither a hostPath nor a local volume with an absolute path`);
  const st = await stat(path).catch(() => undefined);
  if (!st) {
    if (pv.spec?.local) fail(v, i, 'persistentVolumeClaim', `local volume "${volumeName}": path "${path}" does not exist`);
    await mkdir(path, { recursive: true, mode: 0o755 });
    // As k3s's local-path helper: any user of the pod may write its volume.
    await chmod(path, 0o777);
  } else if (!st.isDirectory()) {
    fail(v, i, 'persistentVolumeClaim', `persistentvolume "${volumeName}": ${path} is not a directory`);
  }
  return path;
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
