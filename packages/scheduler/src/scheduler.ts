// The scheduler as a component: informers feed the cache and the queue; while this replica
// leads, a loop runs one scheduling cycle after another.
//
//   pods informer ──▶ unbound, ours ──▶ queue          nodes informer ──▶ cache (+ retry parked pods)
//                └──▶ bound ─────────▶ cache           leases informer ─▶ cache (node heartbeats)
//
//   leader only:  queue ──▶ ScheduleOne (filter → score → reserve) ──▶ bind via the API server
//                               └── fits nowhere: PodScheduled=False + FailedScheduling event
//                                   └── preemption: status.nominatedNodeName, victims marked
//                                       DisruptionTarget, deleted, Preempted events
import { hostname } from 'node:os';
import {
  ApiError, Informer, LeaderElector, NODE_LEASE_NAMESPACE, realClock, recordEvent, retryOnConflict,
  type Clock, type KubeObject, type Lease, type Node, type Pod, type PodCondition, type Timer, type TugboatClient,
} from '@tugboat/api';
import { SchedulerCache, leaseInfo, podIsTerminal } from './cache.js';
import { DEFAULT_CONFIG, type SchedulerConfig } from './config.js';
import { Framework } from './framework/framework.js';
import { podKey, type PodInfo } from './framework/pod-info.js';
import type { Registry } from './framework/interfaces.js';
import type { SchedulerMetrics } from './metrics.js';
import { InformerListers } from './listers.js';
import { VolumeInformers } from './volume-listers.js';
import { IN_TREE_REGISTRY } from './plugins/registry.js';
import { SchedulingQueue } from './queue.js';
import { ScheduleOne, type Binder, type BindFailure, type Nomination, type Preemptor, type Reporter } from './schedule-one.js';
import { DISRUPTION_TARGET, PREEMPTION_BY_SCHEDULER } from './plugins/default-preemption/index.js';

export const LEASE_NAME = 'tugboat-scheduler';
export const COMPONENT = 'default-scheduler';

type PodObject = Pod & KubeObject;
type NodeObject = Node & KubeObject;
type LeaseObject = Lease & KubeObject;

export interface SchedulerOptions {
  client: TugboatClient;
  config?: SchedulerConfig;
  registry?: Registry;
  /** This replica's identity in the leader election Lease. */
  identity?: string;
  /** Campaign for the Lease (default); false: schedule at once. */
  leaderElect?: boolean;
  /** Leader election timings, for tests (defaults: Kubernetes' 15 s / 2 s / 10 s). */
  leaseDurationSeconds?: number;
  renewIntervalMs?: number;
  renewDeadlineMs?: number;
  metrics?: SchedulerMetrics;
  /** Time for back-off, parking, assumed-pod expiry and conditions, and the periodic flush
   *  of those (default realClock); tests move a FakeClock instead of sleeping. */
  clock?: Clock;
  log?: (line: string) => void;
}

/** Whether this scheduler should place the pod: ours, not placed, not going away. */
export function isPendingForUs(pod: Pod, schedulerName: string): boolean {
  const name = pod.spec?.schedulerName ?? '';
  return (name === '' || name === schedulerName)
    && !pod.spec?.nodeName
    && !pod.metadata?.deletionTimestamp
    && !podIsTerminal(pod);
}

function isAssigned(pod: Pod): boolean {
  return !!pod.spec?.nodeName;
}

// The node fields filters look at: a change in any of them may let parked pods fit. Status
// heartbeats (usage, timestamps) do not count.
function schedulingRelevant(node: Node): string {
  return JSON.stringify([
    node.spec?.unschedulable ?? false,
    node.spec?.taints ?? [],
    node.metadata?.labels ?? {},
    node.status?.allocatable ?? node.status?.capacity ?? {},
    (node.status?.conditions ?? []).filter((c) => c.type === 'Ready').map((c) => c.status),
  ]);
}

export class Scheduler {
  readonly cache: SchedulerCache;
  readonly queue: SchedulingQueue;
  readonly framework: Framework;
  readonly cycle: ScheduleOne;
  readonly identity: string;
  private readonly client: TugboatClient;
  private readonly config: SchedulerConfig;
  private readonly clock: Clock;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private readonly metrics: SchedulerMetrics | undefined;
  private readonly pods: Informer<PodObject>;
  private readonly nodes: Informer<NodeObject>;
  private readonly leases: Informer<LeaseObject>;
  private readonly listers: InformerListers;
  private readonly volumes: VolumeInformers;
  private readonly elector: LeaderElector | undefined;
  private leading = false;
  private stopped = false;
  /** PodScheduled=False status writes in flight (see markUnschedulable). */
  private statusWrites = 0;
  private loop: Promise<void> | undefined;
  private ticker: Timer | undefined;

  constructor(private readonly opts: SchedulerOptions) {
    this.client = opts.client;
    this.config = opts.config ?? DEFAULT_CONFIG;
    this.clock = opts.clock ?? realClock;
    this.now = () => this.clock.now();
    this.log = opts.log ?? ((line) => console.error(`tugboat-scheduler: ${line}`));
    this.metrics = opts.metrics;
    this.identity = opts.identity ?? `${hostname()}_${process.pid}`;
    this.cache = new SchedulerCache({ now: this.now, log: this.log });
    this.queue = new SchedulingQueue({ now: this.now, initialBackoffMs: this.config.initialBackoffMs, maxBackoffMs: this.config.maxBackoffMs });
    const onError = (what: string) => (e: ApiError): void => this.log(`${what} informer: ${e.message}`);
    this.listers = new InformerListers(this.client, onError);
    this.volumes = new VolumeInformers(this.client, onError, () => this.queue.moveAllToActiveOrBackoff());
    this.framework = new Framework(this.config.profile, opts.registry ?? IN_TREE_REGISTRY, {
      now: this.now, snapshot: this.cache, listers: this.listers, nominator: this.queue.nominator, volumes: this.volumes,
    });
    this.cycle = new ScheduleOne({
      framework: this.framework,
      cache: this.cache,
      queue: this.queue,
      binder: this.binder(),
      reporter: this.reporter(),
      preemptor: this.preemptor(),
      now: this.now,
      classifyBindError: classifyBindError,
      ...(this.metrics ? { metrics: this.metrics } : {}),
    });
    this.metrics?.setPendingSource(() => this.queue.counts());
    this.pods = new Informer<PodObject>(this.client, 'pods', { onError: onError('pods') });
    this.nodes = new Informer<NodeObject>(this.client, 'nodes', { onError: onError('nodes') });
    this.leases = new Informer<LeaseObject>(this.client, 'leases', { namespace: NODE_LEASE_NAMESPACE, onError: onError('leases') });
    this.wireInformers();
    if (opts.leaderElect ?? true) {
      this.elector = new LeaderElector(this.client, {
        name: LEASE_NAME,
        identity: this.identity,
        ...(opts.leaseDurationSeconds !== undefined ? { leaseDurationSeconds: opts.leaseDurationSeconds } : {}),
        ...(opts.renewIntervalMs !== undefined ? { renewIntervalMs: opts.renewIntervalMs, retryIntervalMs: opts.renewIntervalMs } : {}),
        ...(opts.renewDeadlineMs !== undefined ? { renewDeadlineMs: opts.renewDeadlineMs } : {}),
        onStartedLeading: () => this.setLeading(true),
        onStoppedLeading: () => this.setLeading(false),
        onNewLeader: (id) => { if (id !== this.identity) this.log(`leader is ${id}`); },
        onError: (e) => this.log(`leader election: ${e.message}`),
        now: this.now,
      });
    }
    this.metrics?.setLeader(LEASE_NAME, false);
  }

  isLeader(): boolean { return this.leading; }

  /** Fills the caches (resolves once every informer has listed), then campaigns or schedules. */
  async start(): Promise<void> {
    await Promise.all([this.nodes.start(), this.leases.start(), this.pods.start(), this.listers.start(), this.volumes.start()]);
    this.scheduleTick();
    if (this.stopped) return;
    if (this.elector) this.elector.start();
    else this.setLeading(true);
  }

  /** Stops scheduling and watching; a leader releases its Lease. Bindings in flight finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.ticker?.cancel();
    await this.elector?.stop();
    this.setLeading(false);
    this.queue.close();
    await this.loop;
    // Before waiting for bindings: a PreBind waiting for its claims then gives up.
    this.volumes.stop();
    await this.cycle.waitForBindings();
    this.pods.stop();
    this.nodes.stop();
    this.leases.stop();
    this.listers.stop();
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    if (leading && this.stopped) return;
    this.leading = leading;
    this.metrics?.setLeader(LEASE_NAME, leading);
    this.log(leading ? `${this.identity} is the leader: scheduling` : `${this.identity} stopped leading`);
    if (leading) {
      this.loop = this.run();
    } else {
      this.queue.wake();
    }
  }

  private async run(): Promise<void> {
    let lastYield = performance.now();
    while (this.leading && !this.stopped) {
      // Cycles take microseconds and binds take a round trip to etcd: unbounded, a burst of
      // thousands of pending pods becomes thousands of concurrent binds, the API server's
      // queue grows past the etcd deadline and every bind times out and is retried (the
      // density collapse). kube-scheduler is held back the same way by its client's QPS limit.
      if (this.cycle.bindingsInFlight() >= MAX_BINDINGS_IN_FLIGHT) {
        await this.cycle.bindingSlot(MAX_BINDINGS_IN_FLIGHT);
        lastYield = performance.now();
        continue;
      }
      if (!this.cycle.scheduleOne()) {
        await this.queue.waitForActive();
        lastYield = performance.now();
        continue;
      }
      // Cycles are synchronous; give informer events and binding replies a turn regularly.
      if (performance.now() - lastYield > 10) {
        await new Promise<void>((r) => setImmediate(r));
        lastYield = performance.now();
      }
    }
  }

  // Back-off ends, parked pods time out, lost bindings expire: checked every second of the
  // clock (realClock's timers do not keep the process alive).
  private scheduleTick(): void {
    this.ticker = this.clock.setTimer(() => {
      if (this.stopped) return;
      this.tick();
      this.scheduleTick();
    }, TICK_MS);
  }

  private tick(): void {
    this.queue.flush();
    for (const key of this.cache.cleanupExpiredAssumedPods()) {
      // The binding was lost; if the pod is still pending, try again.
      const pod = this.pods.get(key);
      if (pod && isPendingForUs(pod, this.config.profile.schedulerName)) this.queue.add(pod);
    }
  }

  private wireInformers(): void {
    const ours = (pod: Pod): boolean => isPendingForUs(pod, this.config.profile.schedulerName);
    this.pods
      .onAdd((pod) => {
        if (isAssigned(pod)) {
          this.cache.addPod(pod);
          // A pod placed somewhere may satisfy a parked pod's affinity (Kubernetes' AssignedPodAdd).
          this.queue.moveAllToActiveOrBackoff();
        } else if (ours(pod)) {
          this.queue.add(pod);
        }
      })
      .onUpdate((old, pod) => {
        const key = podKey(pod);
        if (isAssigned(pod)) {
          this.cache.updatePod(pod);
          if (!isAssigned(old)) {
            this.queue.delete(key);
            this.queue.moveAllToActiveOrBackoff();
          }
          // A pod that finished frees its node's resources.
          if (podIsTerminal(pod) && !podIsTerminal(old)) this.queue.moveAllToActiveOrBackoff();
        } else if (this.cache.isAssumed(key)) {
          // We placed it already; the informer has not seen the binding yet.
        } else if (ours(pod)) {
          this.queue.update(pod);
        } else {
          this.queue.delete(key);
        }
      })
      .onDelete((pod) => {
        const key = podKey(pod);
        this.queue.delete(key);
        const wasPlaced = this.cache.nodeOf(key) !== undefined;
        this.cache.removePod(pod);
        if (wasPlaced) this.queue.moveAllToActiveOrBackoff();
      });
    const nodeName = (n: Node): string => n.metadata?.name ?? '';
    this.nodes
      .onAdd((node) => {
        this.cache.addNode(node);
        this.queue.moveAllToActiveOrBackoff();
      })
      .onUpdate((old, node) => {
        this.cache.updateNode(node);
        if (schedulingRelevant(old) !== schedulingRelevant(node)) this.queue.moveAllToActiveOrBackoff();
      })
      .onDelete((node) => this.cache.removeNode(nodeName(node)));
    const onLease = (lease: Lease): void => {
      const name = lease.metadata?.name ?? '';
      const wasLive = this.cache.getNode(name)?.leaseLive(this.now()) ?? false;
      this.cache.setNodeLease(name, leaseInfo(lease));
      // A node whose agent came back may take the pods that were waiting for it.
      if (!wasLive && this.cache.getNode(name)?.leaseLive(this.now())) this.queue.moveAllToActiveOrBackoff();
    };
    this.leases
      .onAdd(onLease)
      .onUpdate((_old, lease) => onLease(lease))
      .onDelete((lease) => this.cache.setNodeLease(lease.metadata?.name ?? '', undefined));
  }

  private binder(): Binder {
    return {
      bind: async (pod: PodInfo, nodeName: string): Promise<void> => {
        const m = pod.pod.metadata;
        await this.client.bind(m?.namespace ?? '', m?.name ?? '', nodeName, m?.uid ?? '');
      },
    };
  }

  private reporter(): Reporter {
    return {
      scheduled: (pod, nodeName) => {
        void recordEvent(this.client, pod.pod as PodObject, 'Normal', 'Scheduled', `Successfully assigned ${pod.key} to ${nodeName}`, COMPONENT);
      },
      unschedulable: (pod, message, _diagnosis, nomination) => {
        void this.markUnschedulable(pod.key, message, nomination);
        void recordEvent(this.client, pod.pod as PodObject, 'Warning', 'FailedScheduling', message, COMPONENT);
      },
      failed: (pod, message) => {
        this.log(message);
        void recordEvent(this.client, pod.pod as PodObject, 'Warning', 'FailedScheduling', message, COMPONENT);
      },
    };
  }

  /** PodScheduled=False, reason Unschedulable, with the message, and the pod's nomination;
   *  written only when it changed. */
  private async markUnschedulable(key: string, message: string, nomination: Nomination): Promise<void> {
    // Bounded like binds: when thousands of pods fail at once (nodes gone quiet under load),
    // their conditions wait for a later attempt rather than pile onto a slow API server.
    // A nomination is written regardless: other schedulers and users go by it.
    if (this.statusWrites >= MAX_BINDINGS_IN_FLIGHT && nomination === undefined) return;
    this.statusWrites++;
    try {
      await this.updatePodStatus(key, (pod) => {
        if (isAssigned(pod)) return undefined;
        const nominated = withNomination(pod, nomination);
        return withUnschedulableCondition(nominated, message, new Date(this.now())) ?? (nominated === pod ? undefined : nominated);
      });
    } finally {
      this.statusWrites--;
    }
  }

  /** Writes `change(pod)` as the pod's status (nothing when it returns undefined), re-reading
   *  and retrying on a conflict. False when the pod is gone or the write failed. */
  private async updatePodStatus(key: string, change: (pod: PodObject) => PodObject | undefined): Promise<boolean> {
    const [ns, name] = key.split('/') as [string, string];
    try {
      // The first try writes onto the informer's copy; only a conflict costs a read.
      return await retryOnConflict(async (attempt) => {
        const pod = attempt === 0 ? this.pods.get(key) : await this.client.tryGet<PodObject>('pods', ns, name).catch(() => undefined);
        if (!pod) return false;
        const updated = change(pod);
        if (!updated) return true;
        await this.client.updateStatus(updated);
        return true;
      }, 3);
    } catch (e) {
      // NotFound: the pod is gone. Conflict three times over: another writer keeps winning.
      if (!(e instanceof ApiError && (e.reason === 'NotFound' || e.reason === 'Conflict'))) this.log(`updating status of pod ${key}: ${e instanceof ApiError ? e.message : String(e)}`);
      return false;
    }
  }

  // Kubernetes' prepareCandidate, run after the cycle: each victim gets the DisruptionTarget
  // condition (so whoever sees it go knows why), then a graceful delete and a Preempted event;
  // lower-priority pods nominated to the node lose their nomination (and are retried).
  private preemptor(): Preemptor {
    return {
      preempt: (preemptor, nodeName, victims, clearNominated) => {
        void Promise.all([
          ...victims.map((v) => this.preemptVictim(preemptor, nodeName, v)),
          ...clearNominated.map((p) => this.updatePodStatus(p.key, (pod) => {
            const cleared = withNomination(pod, 'clear');
            return cleared === pod ? undefined : cleared;
          })),
        ]);
      },
    };
  }

  private async preemptVictim(preemptor: PodInfo, nodeName: string, victim: PodInfo): Promise<void> {
    const m = victim.pod.metadata;
    // Graceful deletion has started already: another call would change nothing.
    if (m?.deletionTimestamp) return;
    const schedulerName = preemptor.pod.spec?.schedulerName || this.config.profile.schedulerName;
    const marked = await this.updatePodStatus(victim.key, (pod) => withDisruptionTarget(pod, schedulerName, new Date(this.now())));
    if (!marked) return;
    try {
      await this.client.delete('pods', m?.namespace ?? '', m?.name ?? '', m?.uid ? { preconditionUid: m.uid } : {});
    } catch (e) {
      if (!(e instanceof ApiError && (e.reason === 'NotFound' || e.reason === 'Conflict'))) this.log(`preempting pod ${victim.key}: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    void recordEvent(this.client, victim.pod as PodObject, 'Normal', 'Preempted', `Preempted by pod ${preemptor.pod.metadata?.uid ?? ''} on node ${nodeName}`, COMPONENT);
  }
}

/** The pod with status.nominatedNodeName set or cleared as told; the same object when it
 *  already says so. Pure. */
export function withNomination(pod: PodObject, nomination: Nomination): PodObject {
  if (nomination === undefined) return pod;
  const want = nomination === 'clear' ? undefined : nomination.nodeName;
  if ((pod.status?.nominatedNodeName || undefined) === want) return pod;
  const { nominatedNodeName: _old, ...rest } = pod.status ?? {};
  return { ...pod, status: { ...rest, ...(want ? { nominatedNodeName: want } : {}) } };
}

/** The victim with DisruptionTarget=True / PreemptionByScheduler (Kubernetes 1.26+), or
 *  undefined when it has it already. Pure. */
export function withDisruptionTarget(pod: PodObject, schedulerName: string, now: Date): PodObject | undefined {
  const conditions = pod.status?.conditions ?? [];
  const existing = conditions.find((c) => c.type === DISRUPTION_TARGET);
  if (existing?.status === 'True' && existing.reason === PREEMPTION_BY_SCHEDULER) return undefined;
  const condition: PodCondition = {
    type: DISRUPTION_TARGET,
    status: 'True',
    reason: PREEMPTION_BY_SCHEDULER,
    message: `${schedulerName}: preempting to accommodate a higher priority pod`,
    lastTransitionTime: now.toISOString(),
  };
  return { ...pod, status: { ...pod.status, conditions: [...conditions.filter((c) => c.type !== DISRUPTION_TARGET), condition] } };
}

/** The pod with PodScheduled=False/Unschedulable/message, or undefined when it already says so. Pure. */
export function withUnschedulableCondition(pod: PodObject, message: string, now: Date): PodObject | undefined {
  const conditions = pod.status?.conditions ?? [];
  const existing = conditions.find((c) => c.type === 'PodScheduled');
  if (existing && existing.status === 'False' && existing.reason === 'Unschedulable' && existing.message === message) return undefined;
  const condition: PodCondition = {
    type: 'PodScheduled',
    status: 'False',
    reason: 'Unschedulable',
    message,
    lastTransitionTime: existing?.status === 'False' && existing.lastTransitionTime ? existing.lastTransitionTime : now.toISOString(),
  };
  return {
    ...pod,
    status: {
      ...pod.status,
      phase: pod.status?.phase ?? 'Pending',
      conditions: [...conditions.filter((c) => c.type !== 'PodScheduled'), condition],
    },
  };
}

/** How often back-off, parked pods and assumed pods are looked at (kube-scheduler: 1 s). */
const TICK_MS = 1_000;

/** Binds the scheduler has in flight at once; the next cycle waits for one to be answered. */
export const MAX_BINDINGS_IN_FLIGHT = 64;

function classifyBindError(e: unknown): BindFailure {
  // NotFound: the pod was deleted. Conflict: it is bound already (or was recreated).
  return e instanceof ApiError && (e.reason === 'NotFound' || e.reason === 'Conflict') ? 'gone' : 'retry';
}
