// The node lifecycle controller: notices dead nodes and moves their pods away.
//
//   node / lease informers ──▶ ProbeTracker (when did each node last show life, our clock)
//   monitor, every --node-monitor-period (1 s):
//       nodeHealth() per node, disruption() over all ──▶ node queue (names needing a write)
//   node queue sync(name): Ready (and the other conditions) → Unknown when silent past the
//       grace period; NoExecute taint unreachable / not-ready set or removed
//   taint queue sync(name): each pod on a node with NoExecute taints that it does not
//       tolerate (or tolerates for tolerationSeconds, now past) is deleted — at most
//       --node-eviction-rate per second, and not at all in full disruption
//
// Evicted pods stay Terminating until their agent confirms (or the node is deleted and pod
// GC removes them); ReplicaSets do not count them, so replacements start at once.
import { NODE_HEARTBEATS_LABEL, NODE_LEASE_NAMESPACE, SYSTEM_NAMESPACE, objectKey, retryOnConflict, type Informer, type Taint, type TugboatClient } from '@tugboat/api';
import { realClock, type Clock, type Timer } from '@tugboat/api';
import { consoleLogger, describe, isApiError, runWorkers, type Logger } from './controller.js';
import type { EventRecorder } from './events.js';
import type { LeaseObject, NodeObject, PodObject, SharedInformers } from './informers.js';
import type { ControllerMetrics } from './metrics.js';
import {
  DEFAULT_UNHEALTHY_THRESHOLD, ProbeTracker, desiredTaints, healthTaintKey, heartbeatNodes, isHealthTaint, disruption, formatDisruption, nodeHealth, podEvictionDecision,
  unknownConditions, type DisruptionMode, type NodeHealthResult,
} from './node-health.js';
import { updateWithRetry } from './owner-refs.js';
import { isPodReady } from './pod-util.js';
import { noExecuteTaints } from './taints.js';
import { TokenBucket } from './token-bucket.js';
import { WorkQueue } from './workqueue.js';

export const NODE_CONTROLLER = 'node-controller';
export const TAINT_EVICTION_CONTROLLER = 'taint-eviction-controller';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

export interface NodeLifecycleOptions {
  client: TugboatClient;
  informers: SharedInformers;
  /** Events about nodes (NodeNotReady, EvictionsHalted). */
  recorder: EventRecorder;
  /** Events about evicted pods (TaintManagerEviction). */
  evictionRecorder?: EventRecorder;
  clock?: Clock;
  metrics?: ControllerMetrics;
  log?: Logger;
  /** Silence after which a node is Unknown and tainted unreachable (default 10 s). */
  gracePeriodMs?: number;
  /** How often node health is checked (default 1 s). */
  monitorPeriodMs?: number;
  /** Evictions per second (default 10). */
  evictionRate?: number;
  /** Fraction of unhealthy nodes above which evictions stop (default 0.55). */
  unhealthyThreshold?: number;
  workers?: number;
}

export class NodeLifecycleController {
  readonly nodeQueue: WorkQueue;
  readonly taintQueue: WorkQueue;
  readonly probes = new ProbeTracker();
  private readonly client: TugboatClient;
  private readonly nodes: Informer<NodeObject>;
  private readonly pods: Informer<PodObject>;
  private readonly recorder: EventRecorder;
  private readonly evictionRecorder: EventRecorder;
  private readonly clock: Clock;
  private readonly metrics: ControllerMetrics | undefined;
  private readonly log: Logger;
  private readonly gracePeriodMs: number;
  private readonly monitorPeriodMs: number;
  private readonly threshold: number;
  private readonly workers: number;
  private readonly bucket: TokenBucket;
  private readonly podsByNode = new Map<string, Set<string>>();
  private mode: DisruptionMode = 'Normal';
  // After a full disruption ends, nodes come back one renewal at a time: evictions wait one
  // more grace period, so the last nodes to report in are not evicted on the way back.
  private evictionsResumeAt = 0;
  private timer: Timer | undefined;
  private stopped = false;

  constructor(opts: NodeLifecycleOptions) {
    this.client = opts.client;
    this.recorder = opts.recorder;
    this.evictionRecorder = opts.evictionRecorder ?? opts.recorder;
    this.clock = opts.clock ?? realClock;
    this.metrics = opts.metrics;
    this.log = opts.log ?? consoleLogger;
    this.gracePeriodMs = opts.gracePeriodMs ?? 10_000;
    this.monitorPeriodMs = opts.monitorPeriodMs ?? 1_000;
    this.threshold = opts.unhealthyThreshold ?? DEFAULT_UNHEALTHY_THRESHOLD;
    this.workers = opts.workers ?? 2;
    const rate = opts.evictionRate ?? 10;
    this.bucket = new TokenBucket(rate, Math.max(1, Math.ceil(rate)), this.clock);
    const metrics = opts.metrics ? { metrics: opts.metrics } : {};
    this.nodeQueue = new WorkQueue({ name: 'node_lifecycle_controller', clock: this.clock, ...metrics });
    this.taintQueue = new WorkQueue({ name: 'noexec_taint_node', clock: this.clock, ...metrics });
    this.nodes = opts.informers.nodes();
    this.pods = opts.informers.pods();

    this.nodes
      .onAdd((n) => this.nodeObserved(n))
      .onUpdate((_old, n) => this.nodeObserved(n))
      .onDelete((n) => {
        const name = n.metadata?.name ?? '';
        this.probes.forget(name);
        this.podsByNode.delete(name);
      });
    opts.informers.leases()
      .onAdd((l) => this.leaseObserved(l))
      .onUpdate((_old, l) => this.leaseObserved(l));
    this.pods
      .onAdd((p) => this.podObserved(undefined, p))
      .onUpdate((old, p) => this.podObserved(old, p))
      .onDelete((p) => this.unindexPod(p));
  }

  /** Starts the monitor loop and the workers; resolves when stopped. */
  run(): Promise<void> {
    this.scheduleMonitor(0);
    return Promise.all([
      runWorkers(this.nodeQueue, (name) => this.syncNode(name), this.workers, this.log),
      runWorkers(this.taintQueue, (name) => this.syncTaintEvictions(name), this.workers, this.log),
    ]).then(() => undefined);
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.nodeQueue.shutDown();
    this.taintQueue.shutDown();
  }

  disruptionMode(): DisruptionMode {
    return this.mode;
  }

  // ── Handlers ──────────────────────────────────────────────────────────────────────────

  private nodeObserved(n: NodeObject): void {
    const name = n.metadata?.name ?? '';
    const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
    this.probes.observe(name, 'status', ready?.lastHeartbeatTime, this.clock.now());
    if (noExecuteTaints(n.spec?.taints).length) this.taintQueue.add(name);
  }

  private leaseObserved(l: LeaseObject): void {
    const ns = l.metadata?.namespace;
    if (ns === NODE_LEASE_NAMESPACE) {
      this.probes.observe(l.metadata?.name ?? '', 'lease', l.spec?.renewTime ?? undefined, this.clock.now());
      return;
    }
    // An API server's batch of heartbeats (Server/NodeHeartbeat): each version of its Lease
    // is a new sign of life for every node it names.
    if (ns !== SYSTEM_NAMESPACE || l.metadata?.labels?.[NODE_HEARTBEATS_LABEL] !== 'true') return;
    const version = `${l.metadata?.name ?? ''}/${l.metadata?.resourceVersion ?? ''}`;
    const now = this.clock.now();
    for (const node of heartbeatNodes(l)) {
      // Only nodes that exist: the agent of a deleted node may still beat for a while.
      if (this.nodes.get(node)) this.probes.observe(node, 'heartbeat', version, now);
    }
  }

  private podObserved(old: PodObject | undefined, p: PodObject): void {
    const node = p.spec?.nodeName;
    const oldNode = old?.spec?.nodeName;
    if (oldNode && oldNode !== node) this.podsByNode.get(oldNode)?.delete(objectKey(p));
    if (!node) return;
    let set = this.podsByNode.get(node);
    if (!set) {
      set = new Set();
      this.podsByNode.set(node, set);
    }
    set.add(objectKey(p));
    const n = this.nodes.get(node);
    // A pod landing on (or changing tolerations on) a tainted node is judged at once.
    if (noExecuteTaints(n?.spec?.taints).length) this.taintQueue.add(node);
    // A pod seen ready on a node that is not (a mark that lost a race, a controller restart) is
    // marked not ready too (Kubernetes' processPod).
    const nodeReady = n?.status?.conditions?.find((c) => c.type === 'Ready')?.status;
    if (nodeReady !== undefined && nodeReady !== 'True' && isPodReady(p)) this.nodeQueue.add(node);
  }

  private unindexPod(p: PodObject): void {
    const node = p.spec?.nodeName;
    if (node) this.podsByNode.get(node)?.delete(objectKey(p));
  }

  // ── Monitor ───────────────────────────────────────────────────────────────────────────

  private scheduleMonitor(ms: number): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimer(() => {
      try {
        this.monitor();
      } catch (e) {
        this.log.error(`node monitor failed: ${describe(e)}`);
      }
      this.scheduleMonitor(this.monitorPeriodMs);
    }, ms);
  }

  /** One pass over every node: what each needs, and whether evictions may go on. */
  monitor(): void {
    const now = this.clock.now();
    const nodes = this.nodes.list();
    const results = new Map<string, NodeHealthResult>();
    for (const n of nodes) results.set(n.metadata?.name ?? '', this.healthOf(n, now));
    const d = disruption([...results.values()], this.threshold);

    if (d.mode !== this.mode) {
      const previous = this.mode;
      this.mode = d.mode;
      if (d.mode === 'FullDisruption') {
        const message = formatDisruption(d, this.threshold);
        this.log.info(`node lifecycle: ${message}`);
        for (const n of nodes) {
          const r = results.get(n.metadata?.name ?? '');
          if (r && (r.health !== 'Healthy' || r.suspect)) this.recorder.event(n, 'Warning', 'EvictionsHalted', message);
        }
      } else if (previous === 'FullDisruption') {
        this.evictionsResumeAt = now + this.gracePeriodMs;
        const message = `${d.unhealthy} of ${d.total} nodes are unhealthy, no longer over the threshold: evictions resume in ${this.gracePeriodMs / 1000}s`;
        this.log.info(`node lifecycle: ${message}`);
        for (const n of nodes) {
          const r = results.get(n.metadata?.name ?? '');
          if (r && (r.health !== 'Healthy' || r.suspect)) this.recorder.event(n, 'Normal', 'EvictionsResumed', message);
        }
      }
      // Tainted nodes wait for (or stop waiting for) their evictions.
      for (const n of nodes) if (noExecuteTaints(n.spec?.taints).length) this.taintQueue.add(n.metadata?.name ?? '');
    }

    for (const n of nodes) {
      const name = n.metadata?.name ?? '';
      const r = results.get(name);
      if (!r) continue;
      const needsConditions = r.health === 'Unreachable' && unknownConditions(n.status?.conditions, now) !== undefined;
      const needsTaints = desiredTaints(n.spec?.taints, r.health, now) !== undefined;
      if (needsConditions || needsTaints) this.nodeQueue.add(name);
    }
  }

  private healthOf(n: NodeObject, nowMs: number): NodeHealthResult {
    const name = n.metadata?.name ?? '';
    return nodeHealth({
      lastProbeMs: this.probes.lastProbe(name, nowMs),
      ready: n.status?.conditions?.find((c) => c.type === 'Ready'),
    }, nowMs, this.gracePeriodMs);
  }

  // ── Node writes ───────────────────────────────────────────────────────────────────────

  private async syncNode(name: string): Promise<void> {
    const cached = this.nodes.get(name);
    if (!cached) return;
    const now = this.clock.now();
    const { health } = this.healthOf(cached, now);

    let nodeReady = cached.status?.conditions?.find((c) => c.type === 'Ready')?.status;
    if (health === 'Unreachable') {
      const conditions = unknownConditions(cached.status?.conditions, now);
      if (conditions) {
        await this.client.updateStatus<NodeObject>({ ...cached, status: { ...cached.status, conditions } });
        if (nodeReady === 'True') this.recorder.event(cached, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
        nodeReady = conditions.find((c) => c.type === 'Ready')?.status;
      }
    }
    // Right away, not at eviction: Services stop sending traffic to the pods of a node that
    // stopped answering (their endpoints become not ready) within one monitor period.
    if (nodeReady !== undefined && nodeReady !== 'True') await this.markPodsNotReady(name);

    let tainted: Taint[] | undefined;
    await updateWithRetry<NodeObject>(this.client, 'nodes', '', name, cached.metadata?.uid, (n) => {
      const next = desiredTaints(n.spec?.taints, health, now);
      if (!next) return false;
      tainted = next;
      n.spec = { ...n.spec, taints: next };
      if (next.length === 0) delete n.spec.taints;
      return true;
    });
    if (tainted) {
      const keys = noExecuteTaints(tainted).map((t) => t.key).join(', ');
      this.log.info(`node lifecycle: node ${name} is ${health}${keys ? `; NoExecute taints: ${keys}` : '; taints removed'}`);
      if (health === 'NotReady') this.recorder.event(cached, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
    }
  }

  /** Pods of a node that is not ready are not ready either (Kubernetes' MarkPodsNotReady). */
  private async markPodsNotReady(node: string): Promise<void> {
    const now = new Date(this.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    for (const key of [...(this.podsByNode.get(node) ?? [])]) {
      const [ns, name] = key.split('/') as [string, string];
      try {
        // A conflict (the agent or another writer was first) is retried on a fresh read.
        await retryOnConflict(async (attempt) => {
          const pod = attempt === 0 ? this.pods.get(key) : await this.client.tryGet<PodObject>('pods', ns, name).catch(() => undefined);
          if (!pod || pod.spec?.nodeName !== node || !isPodReady(pod)) return;
          const conditions = (pod.status?.conditions ?? []).map((c) => (c.type === 'Ready' ? { ...c, status: 'False', reason: 'NodeNotReady', lastTransitionTime: now } : c));
          await this.client.updateStatus<PodObject>({ ...pod, status: { ...pod.status, conditions } });
        }, 3);
      } catch (e) {
        if (!isApiError(e, 'NotFound', 'Conflict')) this.log.error(`node lifecycle: could not mark pod ${key} not ready: ${describe(e)}`);
      }
    }
  }

  // ── Evictions ─────────────────────────────────────────────────────────────────────────

  private async syncTaintEvictions(name: string): Promise<void> {
    const node = this.nodes.get(name);
    if (!node) return;
    const now = this.clock.now();
    // Our own health taints count only while the node is still unhealthy: a node that has
    // just come back keeps them until the node queue removes them, and evicting in that
    // window would punish the recovery.
    const health = this.healthOf(node, now).health;
    const taints = noExecuteTaints(node.spec?.taints).filter((t) => !isHealthTaint(t) || t.key === healthTaintKey(health));
    if (taints.length === 0) return;
    // In full disruption nothing is evicted; the monitor re-queues tainted nodes when it ends.
    if (this.mode === 'FullDisruption') return;
    if (now < this.evictionsResumeAt) {
      this.taintQueue.addAfter(name, this.evictionsResumeAt - now);
      return;
    }
    let next: number | undefined;
    const failures: unknown[] = [];
    for (const key of [...(this.podsByNode.get(name) ?? [])]) {
      const pod = this.pods.get(key);
      if (!pod || pod.spec?.nodeName !== name) continue;
      const decision = podEvictionDecision(pod, taints, now);
      switch (decision.action) {
        case 'keep':
          break;
        case 'evictAt':
          next = next === undefined ? decision.atMs : Math.min(next, decision.atMs);
          break;
        case 'evict': {
          if (!this.bucket.tryTake()) {
            const at = now + this.bucket.waitMs();
            next = next === undefined ? at : Math.min(next, at);
            break;
          }
          try {
            await this.client.delete('pods', pod.metadata?.namespace ?? '', pod.metadata?.name ?? '', { ...(pod.metadata?.uid ? { preconditionUid: pod.metadata.uid } : {}) });
            this.metrics?.evictions.inc({ zone: node.metadata?.labels?.[ZONE_LABEL] ?? '' });
            this.evictionRecorder.event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
          } catch (e) {
            if (!isApiError(e, 'NotFound', 'Conflict')) failures.push(e);
          }
          break;
        }
      }
    }
    if (next !== undefined) this.taintQueue.addAfter(name, Math.max(1, next - now));
    if (failures.length) throw failures[0];
  }
}
