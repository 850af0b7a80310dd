// The `oci` runtime: real containers, the stack CRI-O runs —
//
//   image (images/store.ts) → overlay rootfs → bundle/config.json (spec.ts)
//     → conmon → runc/crun create → runc start
//
// conmon is the container's monitor: it holds its stdio, writes its CRI log and its exit
// code, and survives the agent. Everything this class knows comes from files (records.ts
// and conmon's), so a new OciRuntime over the same data dir — a restarted agent — adopts
// running containers and sees the real exit code of those that ended meanwhile.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { realClock, type Clock, type Container, type PodSpec, type Secret } from '@tugboat/api';
import { DEFAULT_CONTAINER_LOG_MAX_BYTES } from '../../logs/container-log-manager.js';
import { newContainerLogFile, removeContainerLogFiles, removePodLogs } from '../../logs/pod-log-layout.js';
import { containerInfoBase, newContainerRecord } from '../container-record.js';
import { containerLogs, waitForContainer } from '../container-state.js';
import type {
  ContainerConfig, ContainerFilter, ContainerInfo, ContainerStats, ExecOptions, ExecResult, LogOptions, PodRef, PullProgress, Runtime,
  SandboxConfig, SandboxInfo, TerminationReason,
} from '../runtime.js';
import { RuntimeError } from '../runtime.js';
import { isSameProcessAlive, readProcStat } from '../../system/proc.js';
import { ImageStore, ImagePullError, DEFAULT_GC_THRESHOLDS, type GcThresholds, type ImageRecord, type PullPolicy } from './images/store.js';
import { keychainFromSecret, type KeychainEntry } from './images/credentials.js';
import { mountOverlay, unmount, unmountAll } from '../../system/mounts.js';
import { run } from '../../system/subprocess.js';
import { resolveInRoot } from './images/unpack.js';
import { repositoryName, parseImageReference } from './images/reference.js';
import { cgroupPathsOfPid, readCgroupStats, type CgroupStats } from './cgroups.js';
import { ContainerConfigError, mergeEnv, resolveArgv, resolveUser } from './image-config.js';
import { OciCli, conmonCreate, conmonReopenLog, detectOciTooling, runtimeVersion, type OciTooling } from './runc.js';
import { buildSpec, cgroupResources, effectiveCapabilities, hostBoundingCapabilities, type OciMount } from './spec.js';
import { OciPaths, readJson, writeJsonAtomic, type ContainerRecord, type ExitRecord, type SandboxRecord, type StartedRecord } from './records.js';
import { createPodSandbox, destroyPodSandbox, netnsName, projectionPod } from './sandbox.js';
import { defaultNetworkConfig, podGateway, type NodeNetworkConfig } from './network.js';
import { projectedVolumeDir, volumeMountsFor, type ObjectLookup } from './volumes.js';
import { setUpProjectedVolume } from './projected-volume.js';
import { TokenRotation, type TokenLifetime } from './token-rotation.js';

export interface OciRuntimeOptions {
  /** The agent's data dir: containers under <dataDir>/oci, images under <dataDir>/images. */
  dataDir: string;
  nodeName: string;
  /** The node's IP: hostNetwork pods' IP. */
  hostIP: string;
  /** The node's pod CIDR; without it only hostNetwork pods can run. */
  podCIDR?: string;
  /** Overrides of the CNI network (bridge name, plugin dirs, ipMasq…). */
  network?: Partial<NodeNetworkConfig>;
  /** runc/crun and conmon; found on the machine when not given. */
  tooling?: OciTooling;
  /** The node's image store; opened at <dataDir>/images when not given. */
  images?: ImageStore;
  insecureRegistries?: readonly string[];
  /** Registry domain → the host its images are pulled from instead (--registry-mirror). */
  registryMirrors?: Readonly<Record<string, string>>;
  /** ConfigMaps, Secrets and ServiceAccount tokens for volumes and imagePullSecrets. */
  lookup?: ObjectLookup;
  /** The clock of token rotation (tests). */
  clock?: Clock;
  /**
   * The node's containerLogMaxSize (10 MiB): the log manager (logs/) rotates at it; conmon
   * is told four times as much, as a safety net should rotation fall behind.
   */
  logMaxBytes?: number;
  version?: string;
  log?: (message: string) => void;
}

/** What a pod worker may pass beyond the Runtime interface's SandboxConfig. */
export interface OciSandboxExtras {
  /** The pod's spec: volumes, securityContext, hostPorts, hostAliases, imagePullSecrets. */
  podSpec?: PodSpec;
}

/** What a pod worker may pass beyond the Runtime interface's ContainerConfig. */
export interface OciContainerExtras {
  /** The container's spec; else it is looked up by name in the sandbox's pod spec. */
  spec?: Container;
}

export interface PrepareImageOptions {
  pullPolicy?: PullPolicy;
  /** Secrets of type kubernetes.io/dockerconfigjson, or names looked up in the pod's namespace. */
  pullSecrets?: ReadonlyArray<Secret | string>;
  progress?: PullProgress;
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const LOST_MESSAGE = 'the container\'s monitor (conmon) is gone and no exit code was recorded (was the machine or its processes killed?)';

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class OciRuntime implements Runtime {
  readonly name = 'oci' as const;
  readonly version: string;
  readonly images: ImageStore;
  readonly paths: OciPaths;
  private readonly cli: OciCli;
  private readonly tooling: OciTooling;
  private network: NodeNetworkConfig | undefined;
  private readonly exited = new Map<string, ContainerInfo>();
  private readonly logMaxBytes: number;
  private readonly log: (m: string) => void;
  private readonly sandboxLocks = new Map<string, Promise<unknown>>();
  /** Projected ServiceAccount tokens of this node's pods, renewed before they expire. */
  private readonly tokenRotation: TokenRotation;
  /** The clock of token lifetimes and their rotation (injected by tests). */
  private readonly now: () => number;
  /** What this agent may grant containers at all (its own bounding set). */
  private readonly hostCapabilities = hostBoundingCapabilities(readFileSync('/proc/self/status', 'utf8'));

  private constructor(private readonly options: OciRuntimeOptions, tooling: OciTooling, images: ImageStore) {
    this.tooling = tooling;
    this.images = images;
    this.ready = images.ready();
    // Surfaced by the operations that await it; not an unhandled rejection meanwhile.
    this.ready.catch(() => undefined);
    this.paths = new OciPaths(options.dataDir);
    this.cli = new OciCli(tooling.runtime, this.paths.runcRoot);
    const binary = tooling.runtime.split('/').pop() ?? 'runc';
    this.version = `oci://${binary}-${runtimeVersion(tooling.runtime)}`;
    // Without --pod-cidr the network comes from the Node (setPodCIDR); a restarted agent
    // starts with the one it had, so adopted pods can be torn down before the Node is read.
    this.network = options.podCIDR
      ? { ...defaultNetworkConfig(options.nodeName, options.podCIDR, this.paths.cniIpam), ...options.network }
      : readJson<NodeNetworkConfig>(this.paths.networkConfig);
    this.logMaxBytes = options.logMaxBytes ?? DEFAULT_CONTAINER_LOG_MAX_BYTES;
    this.log = options.log ?? (() => undefined);
    const clock = options.clock ?? realClock;
    this.now = () => clock.now();
    this.tokenRotation = new TokenRotation((uid) => this.refreshProjectedVolumes(uid), clock, this.log);
    for (const d of [this.paths.pods, this.paths.containers, this.paths.runcRoot, this.paths.cniIpam, this.paths.sockets]) mkdirSync(d, { recursive: true });
    if (this.network) writeJsonAtomic(this.paths.networkConfig, this.network);
  }

  /**
   * Kubelet's image GC: images that no container of this node uses (running or not, as
   * long as its record exists) may go once the image disk passes the high-water mark. The
   * node's ImageGcManager (runtimes/image-gc-manager.ts) calls it on its timer.
   */
  async garbageCollectImages(thresholds: GcThresholds = DEFAULT_GC_THRESHOLDS): Promise<{ removed: string[]; freedBytes: number }> {
    await this.ready;
    const inUse = new Set<string>();
    for (const c of await this.listContainers()) {
      const rec = this.findImage(c.imageRef, c.image);
      if (rec) inUse.add(rec.reference);
    }
    return this.images.garbageCollect(inUse, thresholds);
  }

  /**
   * The runtime, usable at once (its image store finishes opening in the background; every
   * operation waits for it). Throws with the reason when containers cannot run here.
   */
  static open(options: OciRuntimeOptions): OciRuntime {
    let tooling = options.tooling;
    if (!tooling) {
      const found = detectOciTooling();
      if (!found.ok) throw new RuntimeError('init', found.reason);
      tooling = found.tooling;
    }
    const images = options.images ?? new ImageStore({
      dir: join(options.dataDir, 'images'),
      insecureRegistries: options.insecureRegistries ?? [],
      ...(options.registryMirrors ? { registryMirrors: options.registryMirrors } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
    return new OciRuntime(options, tooling, images);
  }

  /** open(), then waits until the image store is open. */
  static async create(options: OciRuntimeOptions): Promise<OciRuntime> {
    const rt = OciRuntime.open(options);
    await rt.ready;
    return rt;
  }

  /** Resolves once the image store is open (an open failure rejects every operation). */
  readonly ready: Promise<void>;

  get dataDir(): string { return this.options.dataDir; }

  // ---- images --------------------------------------------------------------------------

  /**
   * Pulls the image as the pull policy says (Kubernetes' default when none is given) with
   * the pod's imagePullSecrets; returns its imageID (`repo@sha256:…`).
   */
  async prepareImage(image: string, pod: PodRef, opts: PrepareImageOptions = {}): Promise<string> {
    await this.ready;
    const keychain = await this.keychain(pod, opts.pullSecrets ?? this.podPullSecretNames(pod.uid));
    const rec = await this.images.ensureImage(image, opts.pullPolicy ?? this.podPullPolicy(pod.uid, image), keychain, opts.progress);
    return imageId(rec);
  }

  private podPullSecretNames(podUid: string): string[] {
    const spec = readJson<SandboxRecord>(this.paths.sandbox(podUid))?.podSpec;
    return (spec?.imagePullSecrets ?? []).map((s) => s.name ?? '').filter(Boolean);
  }

  private podPullPolicy(podUid: string, image: string): PullPolicy | undefined {
    const spec = readJson<SandboxRecord>(this.paths.sandbox(podUid))?.podSpec;
    const c = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].find((x) => x.image === image && x.imagePullPolicy);
    const p = c?.imagePullPolicy;
    return p === 'Always' || p === 'IfNotPresent' || p === 'Never' ? p : undefined;
  }

  private async keychain(pod: PodRef, secrets: ReadonlyArray<Secret | string>): Promise<KeychainEntry[]> {
    const out: KeychainEntry[] = [];
    for (const s of secrets) {
      // Kubernetes ignores pull secrets it cannot find or read; so do we (the pull may still work).
      const secret = typeof s === 'string' ? await this.options.lookup?.secret(pod.namespace, s).catch(() => undefined) : s;
      if (!secret) continue;
      try {
        out.push(...keychainFromSecret(secret));
      } catch (e) {
        this.log(`pod ${pod.namespace}/${pod.name}: ignoring imagePullSecret: ${errorMessage(e)}`);
      }
    }
    return out;
  }

  private findImage(imageRef: string, image: string): ImageRecord | undefined {
    const digest = /(sha256:[0-9a-f]{64})$/.exec(imageRef)?.[1];
    if (digest) {
      const byDigest = this.images.list().find((r) => r.manifestDigest === digest);
      if (byDigest) return byDigest;
    }
    return this.images.get(imageRef) ?? this.images.get(image);
  }

  // ---- sandboxes -----------------------------------------------------------------------

  async createSandbox(config: SandboxConfig & OciSandboxExtras): Promise<SandboxInfo> {
    await this.ready;
    return this.withPodLock(config.pod.uid, async () => {
      const rec = await createPodSandbox(this.sandboxDeps(), {
        pod: config.pod,
        hostname: config.hostname || config.pod.name,
        hostNetwork: config.hostNetwork,
        ...(config.podSpec ? { podSpec: config.podSpec } : {}),
        ...(config.dns ? { dns: config.dns } : {}),
        labels: config.labels,
        annotations: config.annotations,
      });
      // A new sandbox, or one a restarted agent adopts: its tokens are renewed from here on
      // (an adopted record may name tokens already renewed: then the next renewal is early).
      if (!this.tokenRotation.has(rec.pod.uid)) this.tokenRotation.track(rec.pod.uid, rec.volumes.flatMap((v) => v.tokens ?? []));
      return {
        id: rec.netnsName ?? netnsName(rec.pod.uid), pod: rec.pod, ip: rec.ip,
        ...(!rec.hostNetwork && this.network ? { hostGateway: podGateway(this.network.podCIDR) } : {}),
      };
    });
  }

  /**
   * Writes the pod's projected volumes again — a fresh ServiceAccount token, and whatever
   * their ConfigMaps and Secrets hold now — and hands back the new tokens' lifetimes. A pod
   * whose sandbox is gone has none (its rotation ends).
   */
  private async refreshProjectedVolumes(podUid: string): Promise<TokenLifetime[]> {
    return this.withPodLock(podUid, async () => {
      const rec = readJson<SandboxRecord>(this.paths.sandbox(podUid));
      if (!rec) return [];
      const pod = projectionPod(rec.pod, rec.podSpec, rec.labels, rec.annotations);
      const tokens: TokenLifetime[] = [];
      for (const [i, v] of (rec.podSpec?.volumes ?? []).entries()) {
        if (!v.projected?.sources?.some((s) => s.serviceAccountToken)) continue;
        tokens.push(...await setUpProjectedVolume(projectedVolumeDir(this.paths.pod(podUid), v.name), v, i, pod, this.options.lookup, this.now));
      }
      return tokens;
    });
  }

  setPodCIDR(cidr: string): boolean {
    if (this.network?.podCIDR === cidr) return true;
    // Pods already on the old network keep it; a different CIDR only for a node with none.
    if (this.network && this.hasPodNetworkSandboxes()) {
      this.log(`the Node's pod CIDR is ${cidr}, but pods run on ${this.network.podCIDR}: keeping it until they are gone`);
      return false;
    }
    this.network = { ...defaultNetworkConfig(this.options.nodeName, cidr, this.paths.cniIpam), ...this.options.network };
    writeJsonAtomic(this.paths.networkConfig, this.network);
    this.log(`pod network ${cidr} on bridge ${this.network.bridge}`);
    return true;
  }

  private hasPodNetworkSandboxes(): boolean {
    try {
      return readdirSync(this.paths.pods).some((uid) => {
        const rec = readJson<SandboxRecord>(this.paths.sandbox(uid));
        return !!rec && !rec.hostNetwork;
      });
    } catch {
      return false;
    }
  }

  async removeSandbox(podUid: string): Promise<void> {
    await this.ready;
    this.tokenRotation.stop(podUid);
    await this.withPodLock(podUid, async () => {
      for (const c of await this.listContainers({ podUid })) await this.removeContainer(c.id);
      const rec = readJson<SandboxRecord>(this.paths.sandbox(podUid));
      await destroyPodSandbox(this.sandboxDeps(), rec, podUid);
      removePodLogs(this.options.dataDir, podUid);
    });
  }

  async listSandboxes(): Promise<SandboxInfo[]> {
    const out: SandboxInfo[] = [];
    let uids: string[];
    try {
      uids = readdirSync(this.paths.pods);
    } catch {
      return [];
    }
    for (const uid of uids) {
      const rec = readJson<SandboxRecord>(this.paths.sandbox(uid));
      // A pod dir without its record (a crash while creating it) still belongs to that uid.
      out.push(rec
        ? { id: rec.netnsName ?? netnsName(uid), pod: rec.pod, ip: rec.ip }
        : { id: netnsName(uid), pod: { uid, namespace: '', name: '' }, ip: this.options.hostIP });
    }
    return out;
  }

  /**
   * Removes the node's bridge (the CNI bridge plugin leaves it when the last pod goes), for
   * tests and node decommissioning; pods' sandboxes must be gone.
   */
  async removeNodeNetwork(): Promise<void> {
    if (!this.network) return;
    const res = await run('ip', ['link', 'delete', this.network.bridge]);
    if (res.code !== 0 && !/Cannot find device/.test(res.stderr)) throw new RuntimeError('remove_network', res.stderr.trim());
  }

  private sandboxDeps(): Parameters<typeof createPodSandbox>[0] {
    return {
      paths: this.paths,
      hostIP: this.options.hostIP,
      ...(this.network ? { network: this.network } : {}),
      ...(this.options.lookup ? { lookup: this.options.lookup } : {}),
      now: this.now,
    };
  }

  private async withPodLock<T>(uid: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.sandboxLocks.get(uid) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    this.sandboxLocks.set(uid, next);
    try {
      return await next;
    } finally {
      if (this.sandboxLocks.get(uid) === next) this.sandboxLocks.delete(uid);
    }
  }

  // ---- containers ----------------------------------------------------------------------

  async startContainer(sandbox: SandboxInfo, config: ContainerConfig & OciContainerExtras): Promise<ContainerInfo> {
    await this.ready;
    const sb = readJson<SandboxRecord>(this.paths.sandbox(config.pod.uid));
    if (!sb) throw new RuntimeError('start_container', `pod ${config.pod.namespace}/${config.pod.name} has no sandbox: create it first`);
    void sandbox;
    const id = randomBytes(16).toString('hex');
    const dir = this.paths.container(id);
    await mkdir(dir, { recursive: true });
    const image = this.findImage(config.imageRef, config.image);
    const logPath = newContainerLogFile(this.options.dataDir, config.pod, config.name, config.attempt, id);
    const record: ContainerRecord = {
      ...newContainerRecord(id, config, logPath),
      ...(image?.config.config?.StopSignal ? { stopSignal: image.config.config.StopSignal } : {}),
    };
    await mkdir(dirname(logPath), { recursive: true });
    writeJsonAtomic(this.paths.containerRecord(id), record);
    try {
      if (!image) throw new ContainerConfigError(`image "${config.image}" is not present on this node (prepareImage first)`);
      await this.createAndStart(id, sb, config, image);
    } catch (e) {
      // A container that cannot start is an exited instance with reason StartError.
      const exit: ExitRecord = { exitCode: 128, finishedAt: new Date().toISOString(), reason: 'StartError', message: startErrorMessage(config.name, e) };
      writeJsonAtomic(this.paths.exit(id), exit);
      await this.cli.delete(id).catch(() => undefined);
      await unmountAll(this.paths.bundle(id)).catch(() => undefined);
    }
    const info = await this.containerStatus(id);
    if (!info) throw new RuntimeError('start_container', `container ${id} vanished while starting`);
    return info;
  }

  private async createAndStart(id: string, sb: SandboxRecord, config: ContainerConfig & OciContainerExtras, image: ImageRecord): Promise<void> {
    const podSpec = sb.podSpec;
    const spec = config.spec
      ?? podSpec?.containers?.find((c) => c.name === config.name)
      ?? podSpec?.initContainers?.find((c) => c.name === config.name);
    const podSc = podSpec?.securityContext;
    const sc: NonNullable<Container['securityContext']> = spec?.securityContext ?? {};
    const bundle = this.paths.bundle(id);
    const rootfs = this.paths.rootfs(id);
    await mkdir(rootfs, { recursive: true });
    await this.mountRootfs(id, image, rootfs);

    const readEtc = async (name: string): Promise<string | undefined> =>
      readFile(await resolveInRoot(rootfs, `/etc/${name}`, true), 'utf8').catch(() => undefined);
    const user = resolveUser({
      ...(image.config.config?.User !== undefined ? { imageUser: image.config.config.User } : {}),
      ...(sc.runAsUser ?? podSc?.runAsUser) !== undefined ? { runAsUser: (sc.runAsUser ?? podSc?.runAsUser)! } : {},
      ...(sc.runAsGroup ?? podSc?.runAsGroup) !== undefined ? { runAsGroup: (sc.runAsGroup ?? podSc?.runAsGroup)! } : {},
      supplementalGroups: podSc?.supplementalGroups ?? [],
      passwd: await readEtc('passwd'),
      group: await readEtc('group'),
    });
    if ((sc.runAsNonRoot ?? podSc?.runAsNonRoot) && user.uid === 0) {
      throw new ContainerConfigError('container has runAsNonRoot and image will run as root');
    }
    const imgCfg = image.config.config ?? {};
    const argv = resolveArgv(config.command, config.args, imgCfg.Entrypoint, imgCfg.Cmd);
    const env = mergeEnv(imgCfg.Env, config.env, { PATH: DEFAULT_PATH, HOSTNAME: sb.hostname, HOME: user.home || '/' });
    const cwd = config.workingDir || imgCfg.WorkingDir || '/';
    if (!cwd.startsWith('/')) throw new ContainerConfigError(`workingDir "${cwd}" is not an absolute path`);
    // Docker and CRI create a missing working directory, owned by the container's user.
    const cwdHost = await resolveInRoot(rootfs, cwd, true);
    if (!existsSync(cwdHost)) {
      await mkdir(cwdHost, { recursive: true, mode: 0o755 });
    } else if (!statSync(cwdHost).isDirectory()) {
      throw new ContainerConfigError(`workingDir "${cwd}" is not a directory in the image`);
    }

    const privileged = sc.privileged === true;
    const volumes = new Map(sb.volumes.map((v) => [v.name, v]));
    const mounts: OciMount[] = [
      { destination: '/etc/hosts', type: 'bind', source: join(sb.etcDir, 'hosts'), options: ['rbind', 'rprivate', 'rw'] },
      { destination: '/etc/hostname', type: 'bind', source: join(sb.etcDir, 'hostname'), options: ['rbind', 'rprivate', 'rw'] },
      { destination: '/etc/resolv.conf', type: 'bind', source: join(sb.etcDir, 'resolv.conf'), options: ['rbind', 'rprivate', 'rw'] },
      { destination: '/dev/shm', type: 'bind', source: sb.shmDir, options: ['rbind', 'rprivate', 'rw'] },
      ...volumeMountsFor(config.name, spec?.volumeMounts ?? [], volumes),
    ];
    const ociSpec = buildSpec({
      args: argv,
      env,
      cwd,
      user,
      hostname: sb.hostname,
      rootfs: 'rootfs',
      readonlyRootfs: sc.readOnlyRootFilesystem === true,
      privileged,
      capabilities: effectiveCapabilities(sc.capabilities?.add ?? [], sc.capabilities?.drop ?? [], this.hostCapabilities),
      allowedCapabilities: this.hostCapabilities,
      // runc's default; allowPrivilegeEscalation: true (or privileged) lifts it.
      noNewPrivileges: !(privileged || sc.allowPrivilegeEscalation === true),
      network: sb.hostNetwork ? { kind: 'host' } : { kind: 'path', path: sb.netnsPath! },
      ipc: { kind: 'path', path: sb.ipcPath },
      pid: { kind: 'new' },
      uts: sb.hostNetwork ? { kind: 'host' } : { kind: 'new' },
      mounts,
      resources: cgroupResources(config.resources),
      cgroupsPath: `/tugboat/${id}`,
      annotations: {
        'io.kubernetes.pod.name': config.pod.name,
        'io.kubernetes.pod.namespace': config.pod.namespace,
        'io.kubernetes.pod.uid': config.pod.uid,
        'io.kubernetes.container.name': config.name,
      },
    });
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(ociSpec, null, 1));

    for (const d of [this.paths.conmonExitDir(id), this.paths.persist(id)]) await mkdir(d, { recursive: true });
    const pid = await conmonCreate({
      conmon: this.tooling.conmon,
      cli: this.cli,
      id,
      bundle,
      pidFile: join(this.paths.container(id), 'container.pid'),
      conmonPidFile: join(this.paths.container(id), 'conmon.pid'),
      exitDir: this.paths.conmonExitDir(id),
      persistDir: this.paths.persist(id),
      logPath: this.containerLogPath(id) ?? this.paths.log(id),
      // A safety net only: the log manager's rotation keeps files far below this.
      logSizeMax: this.logMaxBytes * 4,
      socketDir: this.paths.sockets,
    });
    const conmonPid = Number(readFileSync(join(this.paths.container(id), 'conmon.pid'), 'utf8').trim()) || undefined;
    const cgroups = await cgroupPathsOfPid(pid).catch(() => undefined);
    await this.cli.start(id);
    // Each /proc read once: a container that exits at once (prints and ends) may be gone by a
    // second read, and a record without its start time is still the record of its start.
    const pidStat = readProcStat(pid);
    const conmonStat = conmonPid ? readProcStat(conmonPid) : undefined;
    const started: StartedRecord = {
      pid,
      ...(pidStat ? { pidStartTime: pidStat.startTime } : {}),
      ...(conmonPid ? { conmonPid, ...(conmonStat ? { conmonStartTime: conmonStat.startTime } : {}) } : {}),
      startedAt: new Date().toISOString(),
      ...(cgroups ? { cgroups } : {}),
    };
    writeJsonAtomic(this.paths.started(id), started);
  }

  private async mountRootfs(id: string, image: ImageRecord, rootfs: string): Promise<void> {
    const layers = this.images.rootfsLayers(image);
    const dir = this.paths.container(id);
    if (layers.snapshotter === 'copy') {
      if (layers.lower[0]) {
        const res = await run('cp', ['-a', `${join(layers.cwd, layers.lower[0])}/.`, rootfs]);
        if (res.code !== 0) throw new Error(`copying the image into the container's root: ${res.stderr.trim()}`);
      }
      return;
    }
    const upper = join(dir, 'upper');
    const work = join(dir, 'work');
    await mkdir(upper, { recursive: true });
    await mkdir(work, { recursive: true });
    let lower = layers.lower;
    if (lower.length === 0) {
      // An image without layers (FROM scratch and nothing added) still needs a lower dir.
      const empty = join(dir, 'empty');
      await mkdir(empty, { recursive: true });
      lower = [empty];
    }
    await mountOverlay({ lower, upper, work, target: rootfs, cwd: layers.cwd });
    await this.images.markUsed(image.reference).catch(() => undefined);
  }

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    let info = await this.containerStatus(id);
    if (!info || info.state === 'exited') return;
    const rec = readJson<ContainerRecord>(this.paths.containerRecord(id));
    const signal = normalizeSignal(rec?.stopSignal) ?? 'SIGTERM';
    if (info.state === 'created') {
      await this.waitFor(id, (s) => s.state !== 'created', 10_000);
      info = await this.containerStatus(id);
      if (!info || info.state === 'exited') return;
    }
    await this.cli.kill(id, signal).catch((e: unknown) => this.log(`stop ${id}: ${errorMessage(e)}`));
    if (await this.waitFor(id, (s) => s.state === 'exited', Math.max(0, graceSeconds) * 1000)) return;
    await this.cli.kill(id, 'SIGKILL').catch((e: unknown) => this.log(`kill ${id}: ${errorMessage(e)}`));
    if (await this.waitFor(id, (s) => s.state === 'exited', 10_000)) return;
    throw new RuntimeError('stop_container', `container ${id} did not exit after SIGKILL`);
  }

  async removeContainer(id: string): Promise<void> {
    await this.ready;
    const info = await this.containerStatus(id);
    if (info && info.state !== 'exited') await this.stopContainer(id, 0);
    await this.cli.delete(id).catch((e: unknown) => this.log(`delete ${id}: ${errorMessage(e)}`));
    const log = this.containerLogPath(id);
    if (log) removeContainerLogFiles(log);
    await unmountAll(this.paths.container(id));
    await rm(this.paths.container(id), { recursive: true, force: true });
    this.exited.delete(id);
  }

  async listContainers(filter: ContainerFilter = {}): Promise<ContainerInfo[]> {
    const out: ContainerInfo[] = [];
    let ids: string[];
    try {
      ids = readdirSync(this.paths.containers);
    } catch {
      return [];
    }
    for (const id of ids) {
      const rec = readJson<ContainerRecord>(this.paths.containerRecord(id));
      if (!rec || (filter.podUid !== undefined && rec.pod.uid !== filter.podUid)) continue;
      const info = await this.containerStatus(id);
      if (info) out.push(info);
    }
    return out;
  }

  async containerStatus(id: string): Promise<ContainerInfo | undefined> {
    const cached = this.exited.get(id);
    if (cached) return cached;
    if (!/^[0-9a-f]{32}$/.test(id)) return undefined;
    const rec = readJson<ContainerRecord>(this.paths.containerRecord(id));
    if (!rec) return undefined;
    const base = containerInfoBase(rec);
    const started = readJson<StartedRecord>(this.paths.started(id));
    const final = (exit: ExitRecord): ContainerInfo => {
      const info: ContainerInfo = {
        ...base,
        state: 'exited',
        ...(started ? { startedAt: new Date(started.startedAt) } : {}),
        finishedAt: new Date(exit.finishedAt),
        exitCode: exit.exitCode,
        reason: exit.reason,
        ...(exit.message ? { message: exit.message } : {}),
      };
      this.exited.set(id, info);
      return info;
    };
    const exit = readJson<ExitRecord>(this.paths.exit(id));
    if (exit) return final(exit);
    const fromConmon = await this.readConmonExit(id, started);
    if (fromConmon) return final(fromConmon);
    if (!started) {
      // Being created (or the agent died mid-create: then conmon tells, or nobody does).
      if (Date.now() - base.createdAt.getTime() < 60_000) return { ...base, state: 'created' };
      const lost: ExitRecord = { exitCode: 128, finishedAt: new Date().toISOString(), reason: 'StartError', message: 'the container was never started (the agent stopped while creating it)' };
      writeJsonAtomic(this.paths.exit(id), lost);
      return final(lost);
    }
    if (isSameProcessAlive(started.pid, started.pidStartTime)) {
      return { ...base, state: 'running', startedAt: new Date(started.startedAt), pid: started.pid };
    }
    // The process is gone; conmon is about to write the exit code, unless it is gone too.
    if (started.conmonPid && isSameProcessAlive(started.conmonPid, started.conmonStartTime)) {
      return { ...base, state: 'running', startedAt: new Date(started.startedAt), pid: started.pid };
    }
    const late = await this.readConmonExit(id, started);
    if (late) return final(late);
    const lost: ExitRecord = { exitCode: 137, finishedAt: new Date().toISOString(), reason: 'ContainerStatusUnknown', message: LOST_MESSAGE };
    writeJsonAtomic(this.paths.exit(id), lost);
    return final(lost);
  }

  // conmon's exit file → the final record: exit code, time, and OOMKilled when conmon saw an
  // OOM event or the cgroup counted an OOM kill (read before `runc delete` removes it).
  private async readConmonExit(id: string, started: StartedRecord | undefined): Promise<ExitRecord | undefined> {
    const file = this.paths.conmonExitFile(id);
    let text: string;
    let mtime: Date;
    try {
      text = await readFile(file, 'utf8');
      mtime = (await stat(file)).mtime;
    } catch {
      return undefined;
    }
    const code = Number(text.trim());
    if (!Number.isInteger(code)) return undefined;
    let oom = existsSync(join(this.paths.persist(id), 'oom'));
    if (!oom && started?.cgroups) {
      const stats = await readCgroupStats(started.cgroups).catch(() => undefined);
      oom = (stats?.oomKills ?? 0) > 0;
    }
    const reason: TerminationReason = oom ? 'OOMKilled' : code === 0 ? 'Completed' : 'Error';
    const exit: ExitRecord = { exitCode: code, finishedAt: mtime.toISOString(), reason };
    writeJsonAtomic(this.paths.exit(id), exit);
    return exit;
  }

  logs(id: string, opts: LogOptions = {}): AsyncIterable<Buffer> {
    return containerLogs(this.containerLogPath(id) ?? this.paths.log(id), (x) => this.containerStatus(x), id, opts);
  }

  async exec(id: string, command: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const info = await this.containerStatus(id);
    if (!info || info.state !== 'running') throw new RuntimeError('exec', `container ${id} is not running`);
    if (command.length === 0) throw new RuntimeError('exec', 'no command given');
    return this.cli.exec(id, command, {
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.stdin ? { stdin: opts.stdin } : {}),
    });
  }

  async stats(id: string): Promise<ContainerStats | undefined> {
    const s = await this.cgroupStats(id);
    if (!s) return undefined;
    return { id, timestamp: new Date(), cpuUsageCoreNanoSeconds: s.cpuUsageNs, memoryWorkingSetBytes: s.memoryWorkingSetBytes };
  }

  /** Everything the container's cgroups say (throttling and OOM kills included). */
  async cgroupStats(id: string): Promise<CgroupStats | undefined> {
    const started = readJson<StartedRecord>(this.paths.started(id));
    if (!started?.cgroups) return undefined;
    return readCgroupStats(started.cgroups).catch(() => undefined);
  }

  /** The record names it (logs/pod-log-layout.ts); records from before that log in the container's dir. */
  containerLogPath(id: string): string | undefined {
    if (!/^[0-9a-f]{32}$/.test(id)) return undefined;
    return readJson<ContainerRecord>(this.paths.containerRecord(id))?.logPath ?? this.paths.log(id);
  }

  /** conmon opens its log file again (after the log manager renamed it). */
  async reopenContainerLog(id: string): Promise<void> {
    await conmonReopenLog(this.paths.bundle(id));
  }

  async close(): Promise<void> {
    this.tokenRotation.stopAll();
  }

  private waitFor(id: string, ok: (s: ContainerInfo) => boolean, timeoutMs: number): Promise<boolean> {
    return waitForContainer((x) => this.containerStatus(x), id, ok, timeoutMs);
  }

}

/** Kubernetes' imageID: `repo@sha256:…` of the manifest the container runs. */
export function imageId(rec: ImageRecord): string {
  try {
    const ref = parseImageReference(rec.reference);
    if (ref.kind === 'registry') return `${repositoryName(ref)}@${rec.manifestDigest}`;
  } catch {
    // fall through
  }
  return rec.manifestDigest;
}

function normalizeSignal(s: string | undefined): string | undefined {
  if (!s) return undefined;
  if (/^\d+$/.test(s)) return s;
  const up = s.toUpperCase();
  return up.startsWith('SIG') ? up : `SIG${up}`;
}

function startErrorMessage(name: string, e: unknown): string {
  const msg = errorMessage(e);
  if (e instanceof ImagePullError) return msg;
  return `failed to start container "${name}": ${msg}`;
}
