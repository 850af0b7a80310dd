// A pod's sandbox without an infra container (CRI-O's "pinned namespaces" way): the
// namespaces its containers share are kept alive by bind mounts, not by a pause process —
// the network namespace by `ip netns add`, the IPC namespace by `unshare --ipc=FILE` —
// plus the pod's /dev/shm, its /etc files and its volumes.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PodSpec } from '@tugboat/api';
import { isMountPoint, mountTmpfs, unmount, unmountAll } from '../../system/mounts.js';
import { run } from '../../system/subprocess.js';
import type { PodRef } from '../runtime.js';
import {
  cniAdd, cniDel, hostsFile, netnsCreate, netnsDelete, netnsPath, type NodeNetworkConfig, type PortMapping,
} from './network.js';
import { formatResolvConf, readHostDNS, type DNSConfig } from '../../network/pod-dns.js';
import { OciPaths, readJson, writeJsonAtomic, type SandboxRecord } from './records.js';
import { prepareVolumes, teardownVolumes, type ObjectLookup } from './volumes.js';
import type { ProjectionPod } from './projected-volume.js';

export interface SandboxRequest {
  pod: PodRef;
  hostname: string;
  hostNetwork: boolean;
  podSpec?: PodSpec;
  /** The pod's DNS settings (the agent's, per dnsPolicy); absent: the host's. */
  dns?: DNSConfig;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** What of a pod its projected volumes read, from a sandbox's request or record. */
export function projectionPod(pod: PodRef, podSpec: PodSpec | undefined, labels: Record<string, string> | undefined, annotations: Record<string, string> | undefined): ProjectionPod {
  return {
    ...pod,
    labels: labels ?? {},
    annotations: annotations ?? {},
    serviceAccountName: podSpec?.serviceAccountName || podSpec?.serviceAccount || 'default',
  };
}

export interface SandboxDeps {
  paths: OciPaths;
  network?: NodeNetworkConfig;
  hostIP: string;
  lookup?: ObjectLookup;
  /** The clock tokens' lifetimes are reckoned on (the runtime's). */
  now?: () => number;
}

/**
 * The pod's id towards CNI and `ip netns`: a hash of its UID, because a UID is any string
 * the API server chose while CNI container IDs must be `[A-Za-z0-9][A-Za-z0-9_.-]*`.
 */
export function sandboxId(podUid: string): string {
  return createHash('sha256').update(podUid).digest('hex').slice(0, 32);
}

/** The netns name of a pod: unique per pod UID, short enough for `ip netns`. */
export function netnsName(podUid: string): string {
  return `tugboat-${sandboxId(podUid)}`;
}

/** The hostPort mappings a pod asks for (containers' ports with a hostPort). */
export function podPortMappings(spec: PodSpec | undefined): PortMapping[] {
  const out: PortMapping[] = [];
  for (const c of spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      const protocol = (p.protocol ?? 'TCP').toLowerCase();
      out.push({
        hostPort: p.hostPort,
        containerPort: p.containerPort,
        protocol: protocol === 'udp' ? 'udp' : protocol === 'sctp' ? 'sctp' : 'tcp',
        ...(p.hostIP ? { hostIP: p.hostIP } : {}),
      });
    }
  }
  return out;
}

export async function createPodSandbox(deps: SandboxDeps, req: SandboxRequest): Promise<SandboxRecord> {
  const { paths } = deps;
  const existing = readJson<SandboxRecord>(paths.sandbox(req.pod.uid));
  if (existing) {
    if (await sandboxAlive(existing)) return existing;
    // Its kernel state is gone (a reboot, or kill-containers simulating one): release what the
    // old one still holds (the IP lease, iptables rules) and build it again.
    await destroyPodSandbox(deps, existing, undefined, { keepDir: true }).catch(() => undefined);
  }

  const dir = paths.pod(req.pod.uid);
  const etcDir = join(dir, 'etc');
  const nsDir = join(dir, 'ns');
  const shmDir = join(dir, 'shm');
  await mkdir(etcDir, { recursive: true });
  await mkdir(nsDir, { recursive: true });
  await mkdir(shmDir, { recursive: true });
  const record: SandboxRecord = {
    version: 1,
    pod: req.pod,
    hostname: req.hostname,
    hostNetwork: req.hostNetwork,
    ip: deps.hostIP,
    ipcPath: join(nsDir, 'ipc'),
    shmDir,
    etcDir,
    portMappings: podPortMappings(req.podSpec),
    volumes: [],
    ...(req.podSpec ? { podSpec: req.podSpec } : {}),
    ...(req.labels ? { labels: req.labels } : {}),
    ...(req.annotations ? { annotations: req.annotations } : {}),
    createdAt: new Date().toISOString(),
  };
  try {
    // Volumes first, as kubelet mounts them before it makes the sandbox: one that cannot be
    // set up yet (a missing ConfigMap) costs no network set-up and tear-down per retry.
    const volumes = await prepareVolumes(dir, projectionPod(req.pod, req.podSpec, req.labels, req.annotations), req.podSpec?.volumes ?? [], deps.lookup, deps.now);
    record.volumes = [...volumes.values()];
    // The pod's IPC namespace, pinned by a bind mount of its nsfs file.
    if (!existsSync(record.ipcPath)) await writeFile(record.ipcPath, '');
    await unmount(record.ipcPath);
    const ipc = await run('unshare', [`--ipc=${record.ipcPath}`, 'true']);
    if (ipc.code !== 0) throw new Error(`pinning the pod's IPC namespace: ${ipc.stderr.trim()}`);
    // /dev/shm shared by the pod's containers, as the pause container's would be.
    await unmountAll(shmDir);
    await mountTmpfs(shmDir, 'mode=1777,size=65536k,nosuid,nodev,noexec');

    if (!req.hostNetwork) {
      if (!deps.network) throw new Error('this node has no pod network yet: its Node has no spec.podCIDR (given by the node IPAM controller, or --pod-cidr); only hostNetwork pods can run until then');
      const name = netnsName(req.pod.uid);
      record.netnsName = name;
      record.netnsPath = await netnsCreate(name);
      const attached = await cniAdd(deps.network, sandboxId(req.pod.uid), record.netnsPath, req.pod, record.portMappings);
      record.ip = attached.ip;
      record.cniResult = attached.result;
    }

    const hostname = req.hostNetwork ? (await run('hostname', [])).stdout.trim() || req.hostname : req.hostname;
    await writeFile(join(etcDir, 'hostname'), `${hostname}\n`);
    await writeFile(join(etcDir, 'hosts'), hostsFile(record.ip, req.hostname, req.podSpec?.hostAliases ?? []));
    await writeFile(join(etcDir, 'resolv.conf'), formatResolvConf(req.dns ?? readHostDNS(req.hostNetwork)));

    writeJsonAtomic(paths.sandbox(req.pod.uid), record);
    return record;
  } catch (e) {
    // Half a sandbox is worse than none: undo what was done; the worker retries.
    await destroyPodSandbox(deps, record).catch(() => undefined);
    throw e;
  }
}

/** Whether the namespaces and mounts a sandbox record names still exist. */
export async function sandboxAlive(rec: SandboxRecord): Promise<boolean> {
  if (!rec.hostNetwork && !(rec.netnsPath && existsSync(rec.netnsPath))) return false;
  return (await isMountPoint(rec.ipcPath)) && (await isMountPoint(rec.shmDir));
}

/** Tears down a pod's network, namespaces, mounts and directory (containers must be gone). */
export async function destroyPodSandbox(deps: SandboxDeps, record: SandboxRecord | undefined, podUid?: string, opts: { keepDir?: boolean } = {}): Promise<void> {
  const uid = record?.pod.uid ?? podUid;
  if (!uid) return;
  const dir = deps.paths.pod(uid);
  const errors: string[] = [];
  if (record && !record.hostNetwork && deps.network) {
    const path = record.netnsPath ?? netnsPath(netnsName(uid));
    if (existsSync(path)) {
      await cniDel(deps.network, sandboxId(uid), path, record.cniResult, record.portMappings).catch((e: Error) => errors.push(e.message));
    }
  }
  await netnsDelete(netnsName(uid)).catch((e: Error) => errors.push(e.message));
  await teardownVolumes(dir).catch((e: Error) => errors.push(e.message));
  await unmountAll(dir).catch((e: Error) => errors.push(e.message));
  if (!opts.keepDir) await rm(dir, { recursive: true, force: true });
  if (errors.length) throw new Error(`removing the sandbox of pod ${uid}: ${errors.join('; ')}`);
}
