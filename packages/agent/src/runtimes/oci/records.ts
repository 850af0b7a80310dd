// The oci runtime's state on disk — with conmon's exit files, the whole truth about the
// node's pods and containers, so a restarted agent (a new OciRuntime over the same data dir)
// sees what the old one did:
//
//   <data>/oci/pods/<pod-uid>/sandbox.json       netns, ipc ns, IP, CNI result, pod spec
//   <data>/oci/pods/<pod-uid>/etc/               hosts, hostname, resolv.conf (bind-mounted)
//   <data>/oci/pods/<pod-uid>/ns/ipc             the pod's IPC namespace (bind mount)
//   <data>/oci/pods/<pod-uid>/shm/               the pod's /dev/shm (tmpfs)
//   <data>/oci/pods/<pod-uid>/volumes/           emptyDir, configMap, secret volumes
//   <data>/oci/containers/<id>/container.json    what was asked: pod, name, attempt, image
//   <data>/oci/containers/<id>/started.json      pid, its /proc start time, conmon pid, cgroups
//   <data>/oci/containers/<id>/exit.json         the final outcome (written once)
//   <data>/oci/containers/<id>/exit/<id>         conmon's exit code file
//   <data>/oci/containers/<id>/persist/oom       conmon's OOM marker
//   <data>/oci/containers/<id>/bundle/           config.json + rootfs (overlay mount)
//   <data>/oci/containers/<id>/upper, work       the container's writable layer
//   <data>/pod-logs/<ns>_<name>_<uid>/<container>/<attempt>.log   CRI-format log (conmon's), rotated
//                                                 to .1, .2, … (logs/pod-log-layout.ts; the record names it)
//   <data>/oci/runc/                             runc/crun state (--root)
//   <data>/oci/network.json                      the node's CNI network (bridge, pod CIDR)
import { join } from 'node:path';
import type { ContainerRecordBase } from '../container-record.js';
import type { PodRef, TerminationReason } from '../runtime.js';
import type { PodSpec } from '@tugboat/api';
import type { CgroupPaths } from './cgroups.js';
import type { CniResult, PortMapping } from './network.js';
import type { PreparedVolume } from './volumes.js';

export interface SandboxRecord {
  version: 1;
  pod: PodRef;
  hostname: string;
  hostNetwork: boolean;
  ip: string;
  netnsName?: string;
  netnsPath?: string;
  ipcPath: string;
  shmDir: string;
  etcDir: string;
  cniResult?: CniResult;
  portMappings: PortMapping[];
  volumes: PreparedVolume[];
  podSpec?: PodSpec;
  /** The pod's labels and annotations when the sandbox was made (downward API volumes). */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  createdAt: string;
}

export interface ContainerRecord extends ContainerRecordBase {
  /** StopSignal from the image config, for stopContainer. */
  stopSignal?: string;
}

export interface StartedRecord {
  pid: number;
  pidStartTime?: string;
  conmonPid?: number;
  conmonStartTime?: string;
  startedAt: string;
  cgroups?: CgroupPaths;
}

export interface ExitRecord {
  exitCode: number;
  finishedAt: string;
  reason: TerminationReason;
  message?: string;
}

export class OciPaths {
  readonly root: string;
  constructor(dataDir: string) {
    this.root = join(dataDir, 'oci');
  }

  get pods(): string { return join(this.root, 'pods'); }
  get containers(): string { return join(this.root, 'containers'); }
  get runcRoot(): string { return join(this.root, 'runc'); }
  get cniIpam(): string { return join(this.root, 'cni'); }
  /** The node's CNI network settings (bridge, pod CIDR), for clean-up without the agent. */
  get networkConfig(): string { return join(this.root, 'network.json'); }
  /** conmon's attach sockets (it needs the directory to exist). */
  get sockets(): string { return join(this.root, 'sock'); }
  pod(uid: string): string { return join(this.pods, uid); }
  sandbox(uid: string): string { return join(this.pod(uid), 'sandbox.json'); }
  container(id: string): string { return join(this.containers, id); }
  containerRecord(id: string): string { return join(this.container(id), 'container.json'); }
  started(id: string): string { return join(this.container(id), 'started.json'); }
  exit(id: string): string { return join(this.container(id), 'exit.json'); }
  conmonExitDir(id: string): string { return join(this.container(id), 'exit'); }
  conmonExitFile(id: string): string { return join(this.conmonExitDir(id), id); }
  persist(id: string): string { return join(this.container(id), 'persist'); }
  bundle(id: string): string { return join(this.container(id), 'bundle'); }
  rootfs(id: string): string { return join(this.bundle(id), 'rootfs'); }
  log(id: string): string { return join(this.container(id), 'container.log'); }
}

export { readJson, writeJsonAtomic } from '@tugboat/api/files';
