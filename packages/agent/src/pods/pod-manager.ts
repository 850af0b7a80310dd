// Runs the pods bound to this node. Level-triggered, as kubelet:
//
//   informer (pods with spec.nodeName=<node>) ─┐
//   relist of the runtime every second (PLEG) ─┼─▶ pod workers (one per pod uid) ─▶ runtime
//   resync of each pod (1–1.5 min), back-offs ─┘        │
//                                                       └─▶ pod status (UpdateStatus), Events
//
// Each sync re-reads the pod and its containers and acts on the difference: start what
// should run (the init containers one by one first), wait out back-offs, stop everything of a pod being deleted and then delete it
// with grace 0, and stop and remove containers whose pod is gone or no longer bound here
// (after an agent restart, or when a node that was declared dead comes back).
import { ApiError, Informer, parseQuantity, recordEvent, type EventType, type KubeObject, type Service, type TugboatClient } from '@tugboat/api';
import type { AgentMetrics, PodCounts } from '../metrics.js';
import { podDNSConfig, readHostDNS, type ClusterDNSSettings, type DNSConfig } from '../network/pod-dns.js';
import { VolumeError, type ContainerConfig, type ContainerInfo, type Runtime, type RuntimeName, type SandboxInfo } from '../runtimes/runtime.js';
import { BackOff, DEFAULT_BACKOFF_INITIAL_MS, DEFAULT_BACKOFF_MAX_MS, formatGoDuration } from './backoff.js';
import { kubernetesServiceEnv, resolveContainerEnv, type EnvSources } from './env.js';
import { computePodActions, computeProbeKills, type Waiting } from './pod-actions.js';
import { canonicalJson, computePodStatus } from './pod-status.js';
import {
  GRACE_ANNOTATION, backoffKey, containerFieldPath, containerSpec, containersOf, formatPod, gracePeriodSeconds, initContainersOf, instancesOf, isTerminalPhase,
  podRef, type PodObject,
} from './pod-util.js';
import { PodWorkers } from './pod-workers.js';
import { GapDetector, confirmPod } from './gap-detector.js';
import { remainingGraceSeconds, terminationWaves } from './termination-order.js';
import { podServiceEnv } from './service-env.js';
import { Prober } from '../probes/prober.js';
import type { Clock } from '@tugboat/api';
import { AGENT_COMPONENT } from '../version.js';

export interface PodManagerOptions {
  client: TugboatClient;
  nodeName: string;
  runtime: Runtime;
  /** The node's InternalIP. */
  hostIP: string;
  /** The API server as the agent reaches it, for the pods' KUBERNETES_SERVICE_HOST/PORT when there is no `kubernetes` Service. */
  apiServer?: { host: string; port: number };
  /** Every Service (an informer's cache), for the containers' service variables. */
  services?: ServiceLister;
  /** --cluster-dns / --cluster-domain, for the pods' resolv.conf (default: none, cluster.local). */
  dns?: ClusterDNSSettings;
  /** The host's DNS settings a pod starts from (tests; default the host's resolv.conf). */
  hostDNS?: (hostNetwork: boolean) => DNSConfig;
  metrics?: AgentMetrics;
  /** How often the runtime is relisted to notice containers that changed (kubelet's PLEG: 1 s). */
  relistIntervalMs?: number;
  /**
   * How often each pod is synced regardless of events (kubelet's --sync-frequency: 1 min).
   * Each pod waits 1–1.5 times this after its last sync, so the pods of a node spread out
   * instead of all syncing in one tick.
   */
  resyncIntervalMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  now?: () => number;
  log?: (msg: string) => void;
  /** Run liveness/readiness/startup probes (default: yes, except on the fake runtime, whose containers run nothing to probe). */
  probes?: boolean;
  /** The prober's clock (tests). */
  probeClock?: Clock;
}

interface WrittenStatus { computed: string; stored: string; object: PodObject }

/** The later of two copies of one pod, by resourceVersion (an etcd revision here). */
function newerPod(a: PodObject, b: PodObject | undefined): PodObject {
  if (!b || b.metadata?.uid !== a.metadata?.uid) return a;
  return Number(b.metadata?.resourceVersion ?? 0) > Number(a.metadata?.resourceVersion ?? 0) ? b : a;
}

/** What the pod manager reads Services from (an Informer on services). */
export interface ServiceLister {
  list(): Service[];
  hasSynced(): boolean;
}

/**
 * Whether the runtime gives each pod a resolv.conf of its own. The process runtime's pods
 * are host processes reading the host's, the fake runtime's run nothing: for them no DNS
 * settings are formed (nor warned about).
 */
function writesPodDNS(runtime: RuntimeName): boolean {
  switch (runtime) {
    case 'oci': return true;
    case 'process': case 'fake': return false;
  }
}

export class PodManager {
  private readonly informer: Informer<PodObject>;
  private readonly workers: PodWorkers;
  private readonly backoff: BackOff;
  /** Retries of pods whose volumes cannot be set up yet (kubelet's volume manager: 500 ms doubling to 2m2s). */
  private readonly mountBackoff: BackOff;
  private readonly now: () => number;
  private readonly log: (msg: string) => void;
  private readonly podsByUid = new Map<string, PodObject>();
  /** kubelet's reason cache: why a container that should run does not. */
  private readonly reasons = new Map<string, Map<string, Waiting>>();
  private readonly lastWritten = new Map<string, WrittenStatus>();
  private readonly firstSeen = new Map<string, number>();
  private readonly startObserved = new Set<string>();
  /** uid/container → attempt for which a BackOff event was recorded (one per crash, not per sync). */
  private readonly backOffEvents = new Map<string, number>();
  private snapshot = new Map<string, string>();
  private counts: PodCounts = { runningPods: 0, containers: { created: 0, running: 0, exited: 0, unknown: 0 } };
  /** When the last relist started (performance.now()), for kubelet_pleg_relist_interval_seconds. */
  private lastRelistStart: number | undefined;
  private relistTimer?: NodeJS.Timeout;
  private relisting = false;
  /** Moves whenever a pod joins or leaves podsByUid: with the runtime's stateVersion, whether a relist can find anything new. */
  private podSetChanges = 0;
  /** The runtime's stateVersion and podSetChanges as the last relist saw them. */
  private relistedAt: { runtime: number; pods: number } | undefined;
  private stopped = false;
  private removeMetricsSource?: () => void;
  private readonly envSources: EnvSources;
  private readonly prober?: Prober;
  /** Each pod's DNS settings, formed once per pod (kubelet forms them with the sandbox). */
  private readonly podDNS = new Map<string, DNSConfig>();
  /** Notices the agent was stopped (SIGSTOP, a frozen machine): see gap-detector.ts. */
  private gaps?: GapDetector;
  /** uid → the gap after which the API server last confirmed the pod is still bound here. */
  private readonly confirmedAt = new Map<string, number>();

  constructor(private readonly options: PodManagerOptions) {
    this.now = options.now ?? Date.now;
    this.log = options.log ?? ((m) => console.error(m));
    this.backoff = new BackOff(options.backoffInitialMs ?? DEFAULT_BACKOFF_INITIAL_MS, options.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS, this.now);
    this.mountBackoff = new BackOff(MOUNT_RETRY_INITIAL_MS, MOUNT_RETRY_MAX_MS, this.now);
    this.informer = new Informer<PodObject>(options.client, 'pods', {
      fieldSelector: `spec.nodeName=${options.nodeName}`,
      onError: (e) => { if (!this.stopped) this.log(`pods watch: ${e.message} (retrying)`); },
    });
    this.workers = new PodWorkers((uid) => this.syncThenResync(uid), (uid, e) => {
      const pod = this.podsByUid.get(uid);
      this.log(`sync of pod ${pod ? `${pod.metadata?.namespace}/${pod.metadata?.name}` : uid} failed: ${e instanceof Error ? e.message : String(e)}`);
    });
    if (options.probes ?? options.runtime.name !== 'fake') {
      this.prober = new Prober({
        runtime: options.runtime,
        onChange: (uid) => this.workers.enqueue(uid),
        onEvent: (pod, type, reason, message, container) => this.event(pod, type, reason, message, container),
        ...(options.metrics ? { onProbe: options.metrics.probeRecorder() } : {}),
        ...(options.probeClock ? { clock: options.probeClock } : {}),
        log: this.log,
      });
    }
    const client = options.client;
    this.envSources = {
      async configMap(ns, name) {
        const cm = await client.tryGet<KubeObject & { data?: Record<string, string> }>('configmaps', ns, name);
        return cm ? cm.data ?? {} : undefined;
      },
      async secret(ns, name) {
        const s = await client.tryGet<KubeObject & { data?: Record<string, string>; stringData?: Record<string, string> }>('secrets', ns, name);
        if (!s) return undefined;
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(s.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
        for (const [k, v] of Object.entries(s.stringData ?? {})) out[k] = v;
        return out;
      },
    };
  }

  get runtime(): Runtime { return this.options.runtime; }
  get nodeName(): string { return this.options.nodeName; }

  async start(): Promise<void> {
    const mine = (p: PodObject): boolean => p.spec?.nodeName === this.options.nodeName && !!p.metadata?.uid;
    this.informer
      .onAdd((p) => { if (mine(p)) this.index(p); })
      .onUpdate((old, p) => {
        if (old.metadata?.uid && old.metadata.uid !== p.metadata?.uid) this.unindex(old);
        if (mine(p)) this.index(p);
        else this.unindex(p);
      })
      .onDelete((p) => this.unindex(p));
    await this.informer.start();
    // Only now is "no pod for these containers" true: clean-up of orphans is safe from here on.
    await this.relist();
    for (const uid of this.podsByUid.keys()) this.workers.enqueue(uid);
    const relistMs = this.options.relistIntervalMs ?? 1_000;
    if (fencesAfterGaps(this.options.runtime.name)) this.gaps = new GapDetector(() => performance.now(), relistMs, GAP_TOLERANCE_MS);
    this.relistTimer = setInterval(() => {
      const late = this.gaps?.sinceLastTick() ?? 0;
      if (this.gaps?.tick()) this.log(`the agent did not run for ${(late / 1000).toFixed(1)} s: each pod is confirmed with the API server before anything of it starts again`);
      void this.relist();
    }, relistMs);
    if (this.options.metrics) this.removeMetricsSource = this.options.metrics.addSource(() => this.counts);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.relistTimer) clearInterval(this.relistTimer);
    this.informer.stop();
    this.removeMetricsSource?.();
    await this.prober?.stop();
    await this.workers.stop();
  }

  /** The pod with this namespace/name bound to this node, if any. */
  pod(namespace: string, name: string): PodObject | undefined {
    return this.informer.get(`${namespace}/${name}`);
  }

  pods(): PodObject[] {
    return [...this.podsByUid.values()];
  }

  runningCounts(): PodCounts { return this.counts; }

  private index(p: PodObject): void {
    const uid = p.metadata?.uid ?? '';
    if (!this.podsByUid.has(uid)) this.podSetChanges++;
    this.podsByUid.set(uid, p);
    if (!this.firstSeen.has(uid)) this.firstSeen.set(uid, this.now());
    this.workers.enqueue(uid);
  }

  private unindex(p: PodObject): void {
    const uid = p.metadata?.uid ?? '';
    if (!this.podsByUid.delete(uid)) return;
    this.podSetChanges++;
    this.workers.enqueue(uid);
  }

  /** PLEG: notice containers that started, exited or vanished, and pods that are gone. */
  private async relist(): Promise<void> {
    if (this.relisting || this.stopped) return;
    this.relisting = true;
    const started = performance.now();
    if (this.lastRelistStart !== undefined) this.options.metrics?.relistInterval.observe((started - this.lastRelistStart) / 1000);
    this.lastRelistStart = started;
    try {
      // Nothing changed in the runtime nor in the pods bound here since the last look: it
      // would find nothing (a failed clean-up is retried by its pod worker, not by the relist).
      const runtimeVersion = this.options.runtime.stateVersion?.();
      if (runtimeVersion !== undefined && this.relistedAt?.runtime === runtimeVersion && this.relistedAt.pods === this.podSetChanges) return;
      const podsSeen = this.podSetChanges;
      const all = await this.options.runtime.listContainers();
      const next = new Map<string, string>();
      const changed = new Set<string>();
      const running = new Set<string>();
      const containers = { created: 0, running: 0, exited: 0, unknown: 0 };
      for (const c of all) {
        const key = `${c.pod.uid}\u0000${c.id}`;
        next.set(key, c.state);
        if (this.snapshot.get(key) !== c.state) changed.add(c.pod.uid);
        if (!this.podsByUid.has(c.pod.uid) && c.state !== 'exited') changed.add(c.pod.uid);
        containers[c.state]++;
        if (c.state === 'running') running.add(c.pod.uid);
      }
      for (const key of this.snapshot.keys()) if (!next.has(key)) changed.add(key.split('\u0000')[0] ?? '');
      this.snapshot = next;
      this.counts = { runningPods: running.size, containers };
      // Leftovers of pods that are gone: containers, and sandboxes that hold none.
      const uids = new Set(all.map((c) => c.pod.uid));
      if (this.options.runtime.listSandboxes) for (const sb of await this.options.runtime.listSandboxes()) uids.add(sb.pod.uid);
      for (const uid of uids) if (!this.podsByUid.has(uid) && !this.cleaning.has(uid)) changed.add(uid);
      for (const uid of changed) if (uid) this.workers.enqueue(uid);
      this.relistedAt = runtimeVersion === undefined ? undefined : { runtime: runtimeVersion, pods: podsSeen };
    } catch (e) {
      this.log(`relist of the runtime failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.relisting = false;
      this.options.metrics?.relistDuration.observe((performance.now() - started) / 1000);
    }
  }

  private readonly cleaning = new Set<string>();

  /** A sync, then the pod's next resync (unless the sync asked for an earlier turn, or the pod is gone). */
  private async syncThenResync(uid: string): Promise<number | undefined> {
    const again = await this.sync(uid);
    if (again !== undefined || this.stopped || !this.podsByUid.has(uid)) return again;
    const every = this.options.resyncIntervalMs ?? DEFAULT_RESYNC_MS;
    return every * (1 + RESYNC_JITTER * Math.random());
  }

  private async sync(uid: string): Promise<number | undefined> {
    if (this.stopped) return undefined;
    const pod = this.podsByUid.get(uid);
    const containers = await this.options.runtime.listContainers({ podUid: uid });
    if (!pod) return this.cleanUp(uid, containers);
    if (pod.metadata?.deletionTimestamp) return this.terminate(pod, containers);
    const gapAt = this.gaps?.lastGap();
    if (gapAt !== undefined && (this.confirmedAt.get(uid) ?? -Infinity) < gapAt) return this.syncAfterGap(pod, containers, gapAt);
    return this.syncPod(pod, containers);
  }

  /**
   * The first sync of a pod after a gap: the cached copy may be older than the eviction and
   * replacement that happened meanwhile (the watch events are still on their way), so a fresh
   * read decides, as kubelet waits for its pod source to sync before it acts. Bound here: go
   * on; deleted, or gone and maybe replaced elsewhere: stop its copy now and start nothing.
   * An API server that cannot answer fails the sync: it is retried, and nothing starts.
   */
  private async syncAfterGap(pod: PodObject, containers: ContainerInfo[], gapAt: number): Promise<number | undefined> {
    const ref = podRef(pod);
    const fresh = await this.options.client.tryGet<PodObject>('pods', ref.namespace, ref.name);
    const verdict = confirmPod(fresh, ref.uid, this.options.nodeName);
    switch (verdict) {
      case 'bound here':
        this.confirmedAt.set(ref.uid, gapAt);
        return this.syncPod(newerPod(fresh!, pod), containers);
      case 'deleting':
        this.log(`pod ${formatPod(pod)} was deleted while the agent was not running: stopping it`);
        return this.terminate(fresh!, containers);
      case 'gone':
      case 'bound elsewhere':
        this.log(`pod ${formatPod(pod)} is ${verdict === 'gone' ? 'gone' : 'bound to another node'} since the agent last ran: stopping its copy here`);
        return this.cleanUp(ref.uid, containers);
    }
  }

  /** The pod is gone (or no longer bound here): stop and remove everything it left. */
  private async cleanUp(uid: string, containers: ContainerInfo[]): Promise<undefined> {
    this.cleaning.add(uid);
    try {
      const live = containers.filter((c) => c.state === 'running' || c.state === 'created');
      if (live.length) this.log(`stopping ${live.length} container(s) of pod ${live[0]?.pod.namespace}/${live[0]?.pod.name} (${uid}), which is no longer bound to this node`);
      await Promise.all(live.map((c) => this.options.runtime.stopContainer(c.id, graceOf(c))));
      await this.options.runtime.removeSandbox(uid);
    } finally {
      this.cleaning.delete(uid);
    }
    this.forget(uid);
    return undefined;
  }

  private forget(uid: string): void {
    this.prober?.removePod(uid);
    this.backoff.deletePrefix(`${uid}/`);
    this.mountBackoff.delete(uid);
    this.reasons.delete(uid);
    this.podDNS.delete(uid);
    this.confirmedAt.delete(uid);
    this.lastWritten.delete(uid);
    this.firstSeen.delete(uid);
    this.startObserved.delete(uid);
    for (const k of this.backOffEvents.keys()) if (k.startsWith(`${uid}/`)) this.backOffEvents.delete(k);
  }

  /** Deletion: SIGTERM, the grace period, SIGKILL (sidecars last); final status; then let the object go. */
  private async terminate(pod: PodObject, containers: ContainerInfo[]): Promise<undefined> {
    const ref = podRef(pod);
    this.prober?.removePod(ref.uid);
    await this.stopPodContainers(pod, containers, gracePeriodSeconds(pod));
    const after = await this.options.runtime.listContainers({ podUid: ref.uid });
    await this.writeStatus(pod, after, new Map(), undefined).catch((e: unknown) => {
      this.log(`final status of pod ${ref.namespace}/${ref.name}: ${e instanceof Error ? e.message : String(e)}`);
    });
    try {
      await this.options.client.delete('pods', ref.namespace, ref.name, { gracePeriodSeconds: 0, preconditionUid: ref.uid });
    } catch (e) {
      if (!(e instanceof ApiError && (e.reason === 'NotFound' || e.reason === 'Conflict'))) throw e;
    }
    return undefined;
  }

  private async syncPod(pod: PodObject, listed: ContainerInfo[]): Promise<number | undefined> {
    const ref = podRef(pod);
    const runtime = this.options.runtime;
    let containers = listed;
    if (isTerminalPhase(pod.status?.phase)) {
      this.prober?.removePod(ref.uid);
      // Finished for good: nothing may run (a restarted agent could find leftovers).
      await this.stopPodContainers(pod, containers, gracePeriodSeconds(pod), { events: false });
      return undefined;
    }
    const reasons = this.reasons.get(ref.uid) ?? new Map<string, Waiting>();
    this.reasons.set(ref.uid, reasons);
    let sandbox: SandboxInfo;
    try {
      sandbox = await runtime.createSandbox({
        pod: ref,
        hostname: pod.spec?.hostname ?? ref.name,
        hostNetwork: pod.spec?.hostNetwork ?? false,
        labels: pod.metadata?.labels ?? {},
        annotations: pod.metadata?.annotations ?? {},
        ...(pod.spec ? { podSpec: pod.spec } : {}),
        ...(writesPodDNS(runtime.name) ? { dns: this.dnsFor(pod) } : {}),
      });
    } catch (e) {
      if (!(e instanceof VolumeError)) throw e;
      return this.volumesNotReady(pod, containers, reasons, e);
    }
    this.mountBackoff.delete(ref.uid);
    // A failed liveness or startup probe: kill first; the exit is then handled like any
    // other (restart policy, back-off), in this same sync.
    const kills = computeProbeKills(pod, containers, this.prober);
    if (kills.length) {
      for (const k of kills) this.event(pod, 'Normal', 'Killing', k.message, k.name);
      await Promise.all(kills.map((k) => runtime.stopContainer(k.id, k.graceSeconds)));
      containers = await runtime.listContainers({ podUid: ref.uid });
    }
    const actions = computePodActions(pod, containers, this.backoff, this.prober);
    if (actions.stopPod && containers.some(isLive)) {
      // The regular containers finished for good: the sidecars go too, and the status written
      // below (with them stopped) is the pod's Succeeded or Failed.
      this.prober?.removePod(ref.uid);
      await this.stopPodContainers(pod, containers, gracePeriodSeconds(pod));
      containers = await runtime.listContainers({ podUid: ref.uid });
    }
    let requeue = actions.requeueAfterMs;
    for (const [name, waiting] of actions.backingOff) {
      reasons.set(name, waiting);
      const latest = instancesOf(containers, name)[0];
      const key = backoffKey(pod, name);
      if (latest && this.backOffEvents.get(key) !== latest.attempt) {
        this.backOffEvents.set(key, latest.attempt);
        this.event(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${name} in pod ${formatPod(pod)}`, name);
      }
    }
    for (const start of actions.start) {
      const failed = await this.startContainer(pod, sandbox, start.name, start.attempt, reasons);
      if (failed) requeue = Math.min(requeue ?? Infinity, this.options.backoffInitialMs ?? DEFAULT_BACKOFF_INITIAL_MS);
    }
    const now = actions.start.length ? await runtime.listContainers({ podUid: ref.uid }) : containers;
    for (const spec of [...initContainersOf(pod), ...containersOf(pod)]) {
      if (instancesOf(now, spec.name)[0]?.state === 'running') reasons.delete(spec.name);
    }
    await this.removeOldInstances(now);
    this.prober?.update(pod, now, sandbox.ip);
    await this.writeStatus(pod, now, reasons, sandbox);
    this.observeStart(pod, now);
    return requeue;
  }

  /**
   * Stops a pod's live containers in kubelet's termination order (termination-order.ts): the
   * regular ones first, then the sidecars in reverse order, all within one grace period.
   */
  private async stopPodContainers(pod: PodObject, containers: readonly ContainerInfo[], graceSeconds: number, opts: { events?: boolean } = {}): Promise<void> {
    const started = this.now();
    for (const wave of terminationWaves(pod, containers.filter(isLive))) {
      const grace = remainingGraceSeconds(graceSeconds, this.now() - started);
      if (opts.events ?? true) for (const c of wave) this.event(pod, 'Normal', 'Killing', `Stopping container ${c.name}`, c.name);
      await Promise.all(wave.map((c) => this.options.runtime.stopContainer(c.id, grace)));
    }
  }

  /**
   * A volume cannot be set up yet (a ConfigMap, Secret or ServiceAccount missing, a token
   * refused): as kubelet, a Warning FailedMount event with its message, the pod stays as it
   * is (ContainerCreating for a new one), and the sync is retried with back-off — the object
   * may appear any time.
   */
  private async volumesNotReady(pod: PodObject, containers: ContainerInfo[], reasons: Map<string, Waiting>, e: VolumeError): Promise<number> {
    if (e.unsupported) {
      for (const spec of [...initContainersOf(pod), ...containersOf(pod)]) reasons.set(spec.name, { reason: 'CreateContainerConfigError', message: e.detail });
    }
    const uid = pod.metadata?.uid ?? '';
    const message = e.volume
      ? `MountVolume.SetUp failed for volume "${e.volume}" : ${e.detail}`
      : `Unable to attach or mount volumes: ${e.detail}`;
    this.event(pod, 'Warning', 'FailedMount', message);
    await this.writeStatus(pod, containers, reasons, undefined);
    this.mountBackoff.next(uid, this.now());
    return this.mountBackoff.get(uid);
  }

  /** Starts one container instance; true when it could not start. */
  private async startContainer(pod: PodObject, sandbox: SandboxInfo, name: string, attempt: number, reasons: Map<string, Waiting>): Promise<boolean> {
    const spec = containerSpec(pod, name);
    if (!spec) return false;
    const ref = podRef(pod);
    const serviceEnv = this.serviceEnv(pod, sandbox);
    const env = typeof serviceEnv === 'string'
      ? { ok: false as const, reason: 'CreateContainerConfigError' as const, message: serviceEnv }
      : await resolveContainerEnv(pod, spec, { nodeName: this.options.nodeName, hostIP: this.options.hostIP, podIP: sandbox.ip, serviceEnv }, this.envSources);
    if (!env.ok) {
      reasons.set(name, { reason: env.reason, message: env.message });
      this.event(pod, 'Warning', 'Failed', `Error: ${env.message}`, name);
      return true;
    }
    const image = spec.image ?? '';
    let imageRef: string;
    try {
      // kubelet's image events; only a runtime that really pulls reports them.
      imageRef = await this.options.runtime.prepareImage(image, ref, {
        progress: {
          present: () => this.event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`, name),
          pulling: () => this.event(pod, 'Normal', 'Pulling', `Pulling image "${image}"`, name),
          pulled: (ms, bytes) => this.event(pod, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${formatGoDuration(Math.round(ms))}. Image size: ${bytes} bytes.`, name),
        },
      });
    } catch (e) {
      // ErrImagePull / ErrImageNeverPull / InvalidImageName (images/store.ts): kubelet's
      // waiting reasons, ImagePullBackOff while the pull is retried with back-off.
      const pullReason = (e as { reason?: unknown }).reason;
      if (pullReason !== 'ErrImagePull' && pullReason !== 'ErrImageNeverPull' && pullReason !== 'InvalidImageName') throw e;
      const message = e instanceof Error ? e.message : String(e);
      const previous = reasons.get(name)?.reason;
      const backingOff = pullReason === 'ErrImagePull' && (previous === 'ErrImagePull' || previous === 'ImagePullBackOff');
      reasons.set(name, { reason: backingOff ? 'ImagePullBackOff' : pullReason, message: backingOff ? `Back-off pulling image "${image}": ${message}` : message });
      this.event(pod, 'Warning', 'Failed', message, name);
      return true;
    }
    const config: ContainerConfig = {
      pod: ref,
      name,
      attempt,
      image,
      imageRef,
      command: env.command,
      args: env.args,
      env: env.env,
      ...(spec.workingDir ? { workingDir: spec.workingDir } : {}),
      resources: resourcesOf(spec.resources),
      annotations: { [GRACE_ANNOTATION]: String(pod.spec?.terminationGracePeriodSeconds ?? 30) },
    };
    const info = await this.options.runtime.startContainer(sandbox, config);
    if (info.state === 'exited' && info.reason === 'StartError') {
      const message = info.message ?? `failed to start container "${name}"`;
      reasons.set(name, { reason: 'RunContainerError', message });
      this.event(pod, 'Warning', 'Failed', `Error: ${message}`, name);
      return true;
    }
    reasons.delete(name);
    this.event(pod, 'Normal', 'Created', `Created container ${name}`, name);
    this.event(pod, 'Normal', 'Started', `Started container ${name}`, name);
    return false;
  }

  /**
   * kubelet's service environment of a container, from the Services the cache holds now;
   * a message (the container's CreateContainerConfigError) while the cache has not been
   * filled yet, as kubelet refuses to guess.
   */
  private serviceEnv(pod: PodObject, sandbox: SandboxInfo): Record<string, string> | string {
    const apiServer = this.options.apiServer;
    const fallback = apiServer ? kubernetesServiceEnv(apiServer, sandbox.hostGateway) : undefined;
    const lister = this.options.services;
    if (!lister) return fallback ?? {};
    if (!lister.hasSynced()) return 'services have not yet been read at least once, cannot construct envvars';
    return podServiceEnv(lister.list(), pod.metadata?.namespace ?? 'default', pod.spec?.enableServiceLinks ?? true, fallback);
  }

  /** The pod's DNS settings, formed (and their warnings recorded) once per pod. */
  private dnsFor(pod: PodObject): DNSConfig {
    const uid = pod.metadata?.uid ?? '';
    const known = this.podDNS.get(uid);
    if (known) return known;
    const hostNetwork = pod.spec?.hostNetwork ?? false;
    const host = (this.options.hostDNS ?? readHostDNS)(hostNetwork);
    const { config, warnings } = podDNSConfig(
      { namespace: pod.metadata?.namespace ?? 'default', display: formatPod(pod), spec: pod.spec },
      this.options.dns ?? { clusterDNS: [], clusterDomain: 'cluster.local' },
      host,
    );
    for (const w of warnings) {
      if (w.on === 'pod') this.event(pod, 'Warning', w.reason, w.message);
      else this.nodeEvent('Warning', w.reason, w.message);
    }
    if (warnings.some((w) => w.reason === 'MissingClusterDNS')) this.log(`pod ${formatPod(pod)}: no --cluster-dns, so dnsPolicy ClusterFirst falls back to Default (the host's resolv.conf)`);
    this.podDNS.set(uid, config);
    return config;
  }

  /** Keeps the newest two instances of each container (the current one and the previous, for `logs --previous`). */
  private async removeOldInstances(containers: ContainerInfo[]): Promise<void> {
    const byName = new Map<string, ContainerInfo[]>();
    for (const c of containers) byName.set(c.name, [...(byName.get(c.name) ?? []), c]);
    for (const list of byName.values()) {
      const old = list.sort((a, b) => b.attempt - a.attempt).slice(2).filter((c) => c.state === 'exited');
      for (const c of old) await this.options.runtime.removeContainer(c.id);
    }
  }

  private observeStart(pod: PodObject, containers: ContainerInfo[]): void {
    const uid = pod.metadata?.uid ?? '';
    if (this.startObserved.has(uid) || !this.options.metrics) return;
    const specs = containersOf(pod);
    if (!specs.length || !specs.every((s) => instancesOf(containers, s.name)[0]?.state === 'running')) return;
    this.startObserved.add(uid);
    const first = this.firstSeen.get(uid) ?? this.now();
    // Containers adopted after an agent restart started before we saw the pod: not a start to time.
    if (containers.some((c) => (c.startedAt ?? c.createdAt).getTime() < first - 1_000)) return;
    this.options.metrics.podStartDuration.observe(Math.max(0, this.now() - first) / 1000);
  }

  /** Writes the computed status when it differs from the stored one, re-reading on conflicts. */
  private async writeStatus(pod: PodObject, containers: ContainerInfo[], reasons: ReadonlyMap<string, Waiting>, sandbox: SandboxInfo | undefined): Promise<void> {
    const ref = podRef(pod);
    // The informer may not have delivered our own last write yet: start from whichever copy
    // is newer, or the write is a certain Conflict and a GET (two requests wasted per pod).
    let current: PodObject | undefined = newerPod(pod, this.lastWritten.get(ref.uid)?.object);
    for (let attempt = 0; attempt < 5 && current; attempt++) {
      const status = computePodStatus({
        pod: current,
        containers,
        waiting: reasons,
        runtime: this.options.runtime.name,
        hostIP: this.options.hostIP,
        podIP: sandbox?.ip ?? current.status?.podIP ?? this.options.hostIP,
        now: new Date(this.now()),
        ...(this.prober ? { probes: this.prober } : {}),
      });
      const computed = canonicalJson(status);
      const stored = canonicalJson(current.status ?? {});
      const last = this.lastWritten.get(ref.uid);
      if (computed === stored || (last && last.computed === computed && last.stored === stored)) return;
      try {
        const updated = await this.options.client.updateStatus<PodObject>({ ...current, status });
        this.lastWritten.set(ref.uid, { computed, stored: canonicalJson(updated.status ?? {}), object: updated });
        return;
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        if (e.reason === 'NotFound') return;
        if (e.reason !== 'Conflict') throw e;
        const fresh: PodObject | undefined = await this.options.client.tryGet<PodObject>('pods', ref.namespace, ref.name);
        current = fresh && fresh.metadata?.uid === ref.uid ? fresh : undefined;
      }
    }
  }

  /** An Event about this node (by kind and name: the agent need not know its Node's uid). */
  private nodeEvent(type: EventType, reason: string, message: string): void {
    const name = this.options.nodeName;
    void recordEvent(this.options.client, { apiVersion: 'v1', kind: 'Node', metadata: { name } }, type, reason, message, AGENT_COMPONENT, { host: name });
  }

  private event(pod: PodObject, type: EventType, reason: string, message: string, container?: string): void {
    void recordEvent(this.options.client, { ...pod, apiVersion: 'v1', kind: 'Pod' }, type, reason, message, AGENT_COMPONENT, {
      host: this.options.nodeName,
      ...(container ? { fieldPath: containerFieldPath(pod, container) } : {}),
    });
  }
}

/** Lateness of the relist tick that is a gap, not a busy event loop (kubelet's PLEG: relist every 1 s). */
const GAP_TOLERANCE_MS = 2_000;
/** kubelet's --sync-frequency default, and its pod workers' jitter factor (workerResyncIntervalJitterFactor). */
const DEFAULT_RESYNC_MS = 60_000;
const RESYNC_JITTER = 0.5;

/**
 * Whether a gap makes the agent confirm its pods before starting anything: not on the fake
 * runtime, whose containers run nothing (and whose hollow nodes, a thousand in one busy
 * process, would each read every pod again after any slow turn of the event loop).
 */
function fencesAfterGaps(runtime: RuntimeName): boolean {
  switch (runtime) {
    case 'oci': case 'process': return true;
    case 'fake': return false;
  }
}

const MOUNT_RETRY_INITIAL_MS = 500;
const MOUNT_RETRY_MAX_MS = 122_000;

function isLive(c: ContainerInfo): boolean {
  return c.state === 'running' || c.state === 'created';
}

function graceOf(c: ContainerInfo): number {
  const v = Number(c.annotations[GRACE_ANNOTATION]);
  return Number.isFinite(v) && v >= 0 ? v : 30;
}

function resourcesOf(r: { requests?: Record<string, unknown>; limits?: Record<string, unknown> } | undefined): ContainerConfig['resources'] {
  const q = (v: unknown, unit: 'milli' | 'bytes'): number | undefined => {
    if (typeof v !== 'string' && typeof v !== 'number') return undefined;
    try {
      const quantity = parseQuantity(v);
      return unit === 'milli' ? quantity.milliValue() : quantity.value();
    } catch {
      return undefined;
    }
  };
  const out: ContainerConfig['resources'] = {};
  const cpuReq = q(r?.requests?.cpu, 'milli'); if (cpuReq !== undefined) out.cpuRequestMilli = cpuReq;
  const cpuLim = q(r?.limits?.cpu, 'milli'); if (cpuLim !== undefined) out.cpuLimitMilli = cpuLim;
  const memReq = q(r?.requests?.memory, 'bytes'); if (memReq !== undefined) out.memoryRequestBytes = memReq;
  const memLim = q(r?.limits?.memory, 'bytes'); if (memLim !== undefined) out.memoryLimitBytes = memLim;
  return out;
}
