// The container runtime interface: what a pod worker asks of whatever runs containers on
// this node. Shaped after Kubernetes' CRI so the later `oci` runtime (runc/crun under a
// monitor, images from registries, CNI networking) fits without changing the agent:
//
//   prepareImage → createSandbox (pod-level: network, shared namespaces) →
//   startContainer (one instance per attempt; a restart is a new instance, attempt + 1) →
//   stopContainer (SIGTERM, grace, SIGKILL) → removeContainer → removeSandbox
//
// Containers outlive the agent. The runtime's own records are the truth about them, so a
// restarted agent calls listContainers and adopts what is running instead of starting it
// again; restartCount is the attempt number of the newest instance.
import type { PodSpec } from '@tugboat/api';
import type { DNSConfig } from '../network/pod-dns.js';

/** Which pod a sandbox or container belongs to. */
export interface PodRef {
  uid: string;
  namespace: string;
  name: string;
}

/**
 * created: set up, process not yet running (or being started);
 * running: its process is alive;
 * exited: it ended (exitCode, finishedAt known — or reason ContainerStatusUnknown when the
 *   runtime lost track of it, e.g. after a machine crash);
 * unknown: the runtime cannot tell right now (transient).
 */
export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

/** Why a container ended, in Kubernetes' words (ContainerStateTerminated.reason). */
export type TerminationReason = 'Completed' | 'Error' | 'OOMKilled' | 'StartError' | 'ContainerStatusUnknown';

export interface SandboxConfig {
  pod: PodRef;
  hostname: string;
  hostNetwork: boolean;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /**
   * The pod's spec, for runtimes that set up more than processes (oci: volumes,
   * securityContext, hostPorts, hostAliases, imagePullSecrets and pull policies).
   */
  podSpec?: PodSpec;
  /**
   * The pod's resolv.conf as the agent formed it (CRI's dns_config): written by runtimes
   * that give a pod files of its own (oci); without it the host's is used.
   */
  dns?: DNSConfig;
}

export interface SandboxInfo {
  id: string;
  pod: PodRef;
  /** The pod's IP (the host's for runtimes without pod networking). */
  ip: string;
  /**
   * Where a pod with a network namespace of its own reaches the node itself (oci: the pod
   * bridge's address); absent when the pod shares the host's network.
   */
  hostGateway?: string;
}

export interface ResourceSettings {
  /** Millicores; undefined when not set. */
  cpuRequestMilli?: number;
  cpuLimitMilli?: number;
  /** Bytes. */
  memoryRequestBytes?: number;
  memoryLimitBytes?: number;
}

/** Which container instance: what its config, its ContainerInfo and the runtimes' records share. */
export interface ContainerInstance {
  pod: PodRef;
  name: string;
  /** 0 for the first instance; each restart is a new instance with attempt + 1. */
  attempt: number;
  /** As written in the pod spec. */
  image: string;
  /** What prepareImage returned. */
  imageRef: string;
}

export interface ContainerConfig extends ContainerInstance {
  /** Kubernetes' `command` (entrypoint) and `args`, $(VAR) references already expanded. */
  command: string[];
  args: string[];
  /** Final environment (spec env and env-from already resolved), in order. */
  env: { name: string; value: string }[];
  workingDir?: string;
  resources: ResourceSettings;
  /** Kept with the container, e.g. the pod's termination grace period for orphan clean-up. */
  annotations: Record<string, string>;
}

export interface ContainerInfo extends ContainerInstance {
  /** Opaque, unique on this node; reported as containerID `<runtime>://<id>`. */
  id: string;
  state: ContainerState;
  createdAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  exitCode?: number;
  reason?: TerminationReason;
  /** For StartError and the like: what went wrong, one line. */
  message?: string;
  /** The container's main process on the host, while it runs. */
  pid?: number;
  annotations: Record<string, string>;
}

export interface ContainerFilter {
  podUid?: string;
}

export interface LogOptions {
  follow?: boolean;
  /** Only the last N lines. */
  tailLines?: number;
  /** Only lines written at or after this time. */
  since?: Date;
  /** Prefix each line with its RFC 3339 timestamp. */
  timestamps?: boolean;
  /** Ends a follow early (the client went away). */
  signal?: AbortSignal;
}

export interface ExecOptions {
  timeoutMs?: number;
  stdin?: Buffer;
}

export interface ExecResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
}

export interface ContainerStats {
  id: string;
  timestamp: Date;
  /** Cumulative cpu time used, ns (rates come from two samples). */
  cpuUsageCoreNanoSeconds: number;
  /** Memory in use, bytes. */
  memoryWorkingSetBytes: number;
}

export type RuntimeName = 'process' | 'fake' | 'oci';

/** What an image pull did, as it happens. */
export interface PullProgress {
  /** The image was already there and the pull policy did not ask for a pull. */
  present(): void;
  /** A pull starts. */
  pulling(): void;
  /** It ended well, after `durationMs`; the image takes `bytes` on disk. */
  pulled(durationMs: number, bytes: number): void;
}

/** Image disk usage, in percent, between which image GC works (kubelet's imageGCHigh/LowThresholdPercent). */
export interface ImageGcThresholds {
  /** Start removing images above this disk usage (kubelet: 85). */
  highPercent: number;
  /** …until usage is below this (kubelet: 80). */
  lowPercent: number;
}

export interface Runtime {
  readonly name: RuntimeName;
  /** For Node.status.nodeInfo.containerRuntimeVersion, e.g. `process://0.1.0`. */
  readonly version: string;

  /**
   * Makes the image available; returns the reference containers record (imageID). A runtime
   * that really pulls images tells `progress` what it did, for kubelet's Pulling / Pulled
   * events; one that does not (process, fake) says nothing.
   */
  prepareImage(image: string, pod: PodRef, opts?: { progress?: PullProgress }): Promise<string>;
  /** Pod-level setup; idempotent (an existing sandbox of that pod is returned). */
  createSandbox(config: SandboxConfig): Promise<SandboxInfo>;
  /**
   * The node's pod network, once its Node has one (spec.podCIDR, from the node IPAM
   * controller or --pod-cidr). Runtimes without pod networks ignore it. Returns whether it
   * was taken: a node keeps the network it has while pods use it.
   */
  setPodCIDR?(cidr: string): boolean;
  /** Removes the pod's sandbox and every container left in it. */
  removeSandbox(podUid: string): Promise<void>;
  /** Every sandbox on the node (a restarted agent removes those of pods that are gone). Optional: without it only sandboxes that still hold containers are found. */
  listSandboxes?(): Promise<SandboxInfo[]>;

  /**
   * Creates and starts one container instance. A container that cannot start (command not
   * found, bad workingDir) is not an exception: it comes back exited with reason StartError,
   * exit code 128 and a message, and stays listed like any exited instance.
   */
  startContainer(sandbox: SandboxInfo, config: ContainerConfig): Promise<ContainerInfo>;
  /** SIGTERM to every process of the container, up to graceSeconds, then SIGKILL. Resolves once it has exited. */
  stopContainer(id: string, graceSeconds: number): Promise<void>;
  /** Forgets an exited container (records and logs). */
  removeContainer(id: string): Promise<void>;

  listContainers(filter?: ContainerFilter): Promise<ContainerInfo[]>;
  /**
   * A number that moves whenever listContainers() or listSandboxes() could answer otherwise,
   * for a runtime whose whole state is its own (the fake runtime's memory): the relist (PLEG)
   * skips a runtime whose number has not moved since its last look, as kubelet's evented PLEG
   * relies on the runtime's events. undefined, or no such method: it cannot tell; relist.
   */
  stateVersion?(): number | undefined;
  containerStatus(id: string): Promise<ContainerInfo | undefined>;

  /** Log lines as bytes (newline-terminated); with follow it ends once the container has exited and all is read. */
  logs(id: string, opts?: LogOptions): AsyncIterable<Buffer>;
  /**
   * The container's current CRI log file, for the node's log manager (logs/): runtimes that
   * write log files have both this and reopenContainerLog; the fake runtime has neither.
   */
  containerLogPath?(id: string): string | undefined;
  /** CRI's ReopenContainerLog: after the manager renamed the file, the writer starts a new one at the path. */
  reopenContainerLog?(id: string): Promise<void>;
  /**
   * Kubelet's image GC for runtimes that keep images: above `thresholds.highPercent` of the
   * image disk, images no container uses go, least recently used first (the node's image GC
   * manager decides when).
   */
  garbageCollectImages?(thresholds: ImageGcThresholds): Promise<{ removed: string[]; freedBytes: number }>;
  exec(id: string, command: string[], opts?: ExecOptions): Promise<ExecResult>;
  stats(id: string): Promise<ContainerStats | undefined>;

  /** Releases what the runtime holds in this process; containers keep running. */
  close(): Promise<void>;
}

/** A failure of the runtime itself (not of a container), with the operation that failed. */
export class RuntimeError extends Error {
  override readonly name = 'RuntimeError';
  constructor(readonly operation: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * A pod volume that cannot be set up (yet): a ConfigMap, Secret or ServiceAccount token it
 * needs is missing or refused, or the volume is wrong. Not a failure of the pod: it waits in
 * ContainerCreating and the worker retries with back-off, each failure a FailedMount event
 * (`MountVolume.SetUp failed for volume "v" : configmap "x" not found`), as kubelet does.
 */
export class VolumeError extends Error {
  override readonly name = 'VolumeError';
  /**
   * @param volume the volume's name (spec.volumes[].name), when one volume is at fault
   * @param detail the cause in kubelet's words, without our field path
   * @param unsupported the runtime can never mount it (not a missing object that may appear): the
   *   containers then wait with CreateContainerConfigError and this message, so the pod says why
   */
  constructor(message: string, readonly volume?: string, readonly detail: string = message, readonly unsupported = false) {
    super(message);
  }
}

/** `process://<id>`: the containerID a pod status shows. */
export function containerIdUri(runtime: RuntimeName, id: string): string {
  return `${runtime}://${id}`;
}
