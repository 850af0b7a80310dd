// The node's side of the control plane:
//
//   register (create the Node, or bring an existing one in line) ──▶ Node
//   every --lease-interval (2 s): a heartbeat (Server/NodeHeartbeat), which the API server
//   group-commits with other nodes' ──▶ its heartbeat Lease in tugboat-system; and every
//   --lease-renew-interval (10 s): renew Lease <node> in tugboat-node-lease ──▶ Lease
//   (against an API server without NodeHeartbeat: the Lease every --lease-interval, as before)
//   every 10 s: read the Node; usage annotations, then status (Ready heartbeat, capacity,
//   addresses), each written only when it changed, or 5 min have passed ──▶ Node
//   (kubelet's nodeStatusUpdateFrequency and nodeStatusReportFrequency: the Lease is the
//   heartbeat, so an unchanged status need not be a write every 10 s. The Node is read each
//   time, as kubelet reads it, so a Ready condition the node lifecycle controller set to
//   Unknown is put right within an interval; but not when a heartbeat answered within the
//   interval says the API server holds the very version this agent last wrote or read:
//   then nothing changed it, and 5,000 nodes spare the API server 500 reads a second.)
//
// Failures are logged and retried on the next tick: an unreachable API server must never
// stop the pods that already run here.
import { ApiError, NODE_LEASE_NAMESPACE, microTime, recordEvent, type KubeObject, type Lease, type TugboatClient } from '@tugboat/api';
import type { Runtime } from '../runtimes/runtime.js';
import { AGENT_COMPONENT } from '../version.js';
import {
  POD_USAGE_ANNOTATION, USAGE_ANNOTATION, becameReady, newNode, nodeStatus, reconcileNode, statusChanged, type NodeConfig, type NodeObject,
} from './node-object.js';
import { UsageCollector, formatUsage, usageAnnotations } from './usage.js';

type LeaseObject = Lease & KubeObject;

type Loop = 'heartbeat' | 'lease' | 'node status';
const LOOP_DOING: Readonly<Record<Loop, string>> = {
  heartbeat: 'sending the heartbeat of',
  lease: 'renewing the lease of',
  'node status': 'reporting the status of',
};

/**
 * Unchanged usage is written again after this long at most: the metrics API serves a Ready
 * node's report for 6 minutes (another node's for 3; resource-metrics.ts).
 */
const USAGE_REFRESH_MS = 5 * 60_000;

export interface NodeAgentOptions {
  client: TugboatClient;
  config: NodeConfig;
  runtime: Runtime;
  /** How often the node says it is alive (--lease-interval): a heartbeat, or a Lease renewal. */
  leaseIntervalMs?: number;
  /**
   * How often the Lease itself is renewed while the API server takes heartbeats
   * (--lease-renew-interval; default a quarter of the lease duration, kubelet's 10 s).
   */
  leaseRenewIntervalMs?: number;
  /**
   * Lease spec.leaseDurationSeconds: Kubernetes' 40 by default, or four renew intervals when
   * those are longer than 10 s, so a Lease renewed on time never looks expired.
   */
  leaseDurationSeconds?: number;
  /** How often status and usage are computed (and written when they changed). */
  statusIntervalMs?: number;
  /** How often an unchanged status and usage are written all the same (default 5 min). */
  statusReportIntervalMs?: number;
  /** Node usage from /proc ('host') or as the sum of the pods' (hollow nodes). */
  usageSource: 'host' | 'pods';
  now?: () => number;
  log?: (msg: string) => void;
}

export class NodeAgent {
  private node: NodeObject | undefined;
  private lease: LeaseObject | undefined;
  /** The lease and status loops' timers (clearTimeout ends an interval too). */
  private readonly timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private readonly now: () => number;
  private readonly log: (msg: string) => void;
  private readonly usage: UsageCollector;
  private leaseBusy = false;
  private beatBusy = false;
  /** Whether the API server takes heartbeats; 'lease' after it answered that it does not. */
  private heartbeatMode: 'heartbeat' | 'lease' = 'heartbeat';
  private leaseRenewedAt = Number.NEGATIVE_INFINITY;
  private statusBusy = false;
  /** The last heartbeat's answer: the Node's resourceVersion the API server held, and when. */
  private heard: { nodeVersion: string | undefined; at: number } | undefined;
  private podCIDRTaken = false;
  private podCIDRTimer: NodeJS.Timeout | undefined;
  private podCIDRDelayMs = 250;
  /** When status and usage were last written (ms), and the usage then, its timestamp left out. */
  private statusWrittenAt = Number.NEGATIVE_INFINITY;
  private usageWrittenAt = Number.NEGATIVE_INFINITY;
  private usageWritten: string | undefined;
  /** The last failure said, per loop: repeats are not logged again until it recovers. */
  private readonly failing = new Map<string, string>();

  constructor(private readonly options: NodeAgentOptions) {
    this.now = options.now ?? Date.now;
    this.log = options.log ?? ((m) => console.error(m));
    this.usage = new UsageCollector(options.runtime, options.usageSource, Number(options.config.capacity.cpu ?? 1) || 1);
  }

  get name(): string { return this.options.config.nodeName; }

  /** Registers (retrying until the API server answers), takes the Lease, then keeps both current. */
  async start(): Promise<void> {
    let delay = 200;
    for (;;) {
      try {
        await this.register();
        break;
      } catch (e) {
        if (this.stopped) return;
        this.log(`registering node ${this.name}: ${e instanceof Error ? e.message : String(e)} (retrying)`);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5_000);
      }
    }
    await this.renewLease();
    if (this.stopped) return;
    // Each loop's next tick comes at a random point of its interval, then every interval: nodes
    // that registered together (hollow nodes, or a fleet reconnecting after an API outage)
    // would otherwise renew and report in lockstep, a burst of thousands of writes every
    // interval instead of a steady rate. (client-go's lease controller jitters its renewals too.)
    // No gap between two renewals is longer than the interval.
    const every = (ms: number, tick: () => void): void => {
      this.timers.push(setTimeout(() => {
        if (this.stopped) return;
        tick();
        this.timers.push(setInterval(tick, ms));
      }, Math.floor(Math.random() * ms)));
    };
    every(this.options.leaseIntervalMs ?? 2_000, () => { void this.beat(); });
    every(this.options.statusIntervalMs ?? 10_000, () => { void this.reportStatus(); });
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    clearTimeout(this.podCIDRTimer);
  }

  private async register(): Promise<void> {
    const { client, config } = this.options;
    let node = await client.tryGet<NodeObject>('nodes', '', config.nodeName);
    if (!node) {
      try {
        node = await client.create<NodeObject>(newNode(config));
        this.log(`registered node ${config.nodeName}`);
      } catch (e) {
        if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) throw e;
        node = await client.get<NodeObject>('nodes', '', config.nodeName);
      }
    } else {
      const reconciled = reconcileNode(node, config);
      if (reconciled) node = await client.update<NodeObject>(reconciled);
      this.log(`node ${config.nodeName} exists: updating it`);
    }
    this.node = node;
    this.event('Normal', 'Starting', `Starting ${AGENT_COMPONENT}.`);
    await this.writeStatus(true);
    this.podNetwork();
  }

  /**
   * Hands the Node's pod CIDR to the runtime (only one with a pod network asks). Every status
   * write returns the Node, so a CIDR set later is seen within a status interval; the node
   * IPAM controller sets it right after registration, so until then the Node is also read
   * again after 250 ms, 500 ms, … — the first pods wait a moment, not a status interval, and a
   * node whose cluster hands out no CIDRs stops asking once the delay reaches that interval.
   */
  private podNetwork(): void {
    const runtime = this.options.runtime;
    if (!runtime.setPodCIDR || this.podCIDRTaken) return;
    const cidr = this.node?.spec?.podCIDR;
    if (cidr) {
      this.podCIDRTaken = runtime.setPodCIDR(cidr);
      if (this.podCIDRTaken) return;
    }
    if (this.podCIDRTimer || this.stopped || this.podCIDRDelayMs >= (this.options.statusIntervalMs ?? 10_000)) return;
    this.podCIDRTimer = setTimeout(() => {
      this.podCIDRTimer = undefined;
      void this.options.client.tryGet<NodeObject>('nodes', '', this.options.config.nodeName)
        .then((n) => { if (n) this.node = n; })
        .catch(() => undefined)
        .finally(() => this.podNetwork());
    }, this.podCIDRDelayMs);
    this.podCIDRDelayMs *= 2;
  }

  /**
   * Status with a fresh heartbeat; re-reads the Node on conflicts; re-registers if it was
   * deleted. Unless `force`d, a status that only differs in its heartbeat times is not written
   * until the report interval has passed.
   */
  private async writeStatus(force: boolean): Promise<void> {
    const { client, config } = this.options;
    for (let attempt = 0; attempt < 5; attempt++) {
      const node = this.node ?? await client.tryGet<NodeObject>('nodes', '', config.nodeName);
      if (!node) { await this.register(); return; }
      const wasReady = !becameReady(node.status);
      const status = nodeStatus(config, node.status, new Date(this.now()));
      if (!force && !statusChanged(node.status, status) && this.now() - this.statusWrittenAt < this.reportIntervalMs()) return;
      try {
        this.node = await client.updateStatus<NodeObject>({ ...node, status });
        this.statusWrittenAt = this.now();
        if (!wasReady) this.event('Normal', 'NodeReady', `Node ${config.nodeName} status is now: NodeReady`);
        this.podNetwork();
        return;
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        if (e.reason === 'Conflict') { this.node = undefined; continue; }
        if (e.reason === 'NotFound') { this.node = undefined; await this.register(); return; }
        throw e;
      }
    }
  }

  private reportIntervalMs(): number {
    return this.options.statusReportIntervalMs ?? 300_000;
  }

  private async reportStatus(): Promise<void> {
    if (this.statusBusy || this.stopped) return;
    this.statusBusy = true;
    try {
      // The Node as stored now (kubelet reads it each time too): what the control plane changed
      // since our last write (a Ready condition set to Unknown, a pod CIDR) is seen here.
      const node = this.nodeUnchanged() ? this.node : await this.options.client.tryGet<NodeObject>('nodes', '', this.options.config.nodeName);
      if (!node) {
        this.node = undefined;
        await this.register();
        return;
      }
      this.node = node;
      this.podNetwork();
      await this.publishUsage();
      await this.writeStatus(false);
      this.recovered('node status');
    } catch (e) {
      this.failed('node status', e);
    } finally {
      this.statusBusy = false;
    }
  }

  /**
   * Whether the Node this agent holds is the one stored: a heartbeat answered within the last
   * status interval named its resourceVersion. (The answer comes from the server's cache, which
   * may lag by a moment: then the versions differ and the Node is read, or a change is seen at
   * the next interval.)
   */
  private nodeUnchanged(): boolean {
    const version = this.node?.metadata?.resourceVersion;
    const heard = this.heard;
    return !!version && !!heard && heard.nodeVersion === version && this.now() - heard.at <= (this.options.statusIntervalMs ?? 10_000);
  }

  /** Usage as annotations on the Node (see README: tugboat.io/usage, tugboat.io/pod-usage). */
  private async publishUsage(): Promise<void> {
    const { client, config } = this.options;
    const report = await this.usage.collect(await this.options.runtime.listContainers());
    // Unchanged usage (a hollow node's) is written again only after a while (its timestamp
    // alone is no change): the report interval, at most 5 minutes, since the metrics API stops
    // serving a Ready node's report older than 6 minutes.
    const ann = usageAnnotations(report, new Date(this.now()));
    const key = `${JSON.stringify(formatUsage(report.node))}\n${ann.pods}`;
    if (key === this.usageWritten && this.now() - this.usageWrittenAt < Math.min(this.reportIntervalMs(), USAGE_REFRESH_MS)) return;
    for (let attempt = 0; attempt < 5; attempt++) {
      const node = this.node ?? await client.tryGet<NodeObject>('nodes', '', config.nodeName);
      if (!node) return;
      const annotations = { ...(node.metadata?.annotations ?? {}), [USAGE_ANNOTATION]: ann.node, [POD_USAGE_ANNOTATION]: ann.pods };
      try {
        this.node = await client.update<NodeObject>({ ...node, metadata: { ...node.metadata, annotations } });
        this.usageWritten = key;
        this.usageWrittenAt = this.now();
        return;
      } catch (e) {
        if (e instanceof ApiError && e.reason === 'Conflict') { this.node = undefined; continue; }
        throw e;
      }
    }
  }

  /**
   * One sign of life: a heartbeat, which asks the API server to renew the Lease too when its
   * renewal is due (that is news of life too); the Lease renewed here instead when the server
   * did not (an older one), when this agent holds no copy of it yet (it is created or read
   * first), and every time against an API server that takes no heartbeats.
   */
  private async beat(): Promise<void> {
    if (this.beatBusy || this.stopped) return;
    this.beatBusy = true;
    try {
      const intervalMs = this.options.leaseIntervalMs ?? 2_000;
      const renewEvery = this.options.leaseRenewIntervalMs ?? this.leaseDurationSeconds() * 250;
      // At the beat nearest to when it is due (beats are an interval apart, give or take).
      const renewDue = this.now() - this.leaseRenewedAt + intervalMs / 2 >= renewEvery;
      if (this.heartbeatMode === 'lease' || (renewDue && !this.lease)) {
        await this.renewLease();
        return;
      }
      try {
        const answer = await this.options.client.nodeHeartbeat(this.name, renewDue ? { renewLeaseSeconds: this.leaseDurationSeconds() } : {});
        this.heard = { nodeVersion: answer.nodeResourceVersion, at: this.now() };
        this.recovered('heartbeat');
        if (renewDue) await this.renewedByServer(answer.leaseResourceVersion);
      } catch (e) {
        if (!(e instanceof ApiError && e.reason === 'MethodNotAllowed')) {
          this.failed('heartbeat', e);
          // The Lease is news of life by itself: renewed the old way when heartbeats fail.
          if (renewDue) await this.renewLease();
          return;
        }
        this.heartbeatMode = 'lease';
        this.log(`node ${this.name}: the API server takes no heartbeats (an older version): renewing the Lease every interval instead`);
        await this.renewLease();
      }
    } finally {
      this.beatBusy = false;
    }
  }

  /** After a heartbeat that asked for the Lease's renewal: done by the server, or to do here. */
  private async renewedByServer(leaseVersion: string | undefined): Promise<void> {
    if (leaseVersion === undefined || !this.lease) {
      await this.renewLease();
      return;
    }
    // The server changed only the renewal fields: the copy held stays good for a later
    // renewal of our own (a conflict would re-read it anyway).
    this.lease = { ...this.lease, metadata: { ...this.lease.metadata, resourceVersion: leaseVersion } };
    this.leaseRenewedAt = this.now();
    this.recovered('lease');
  }

  private leaseDurationSeconds(): number {
    return this.options.leaseDurationSeconds ?? Math.max(40, Math.ceil((this.options.leaseRenewIntervalMs ?? 0) * 4 / 1000));
  }

  private async renewLease(): Promise<void> {
    if (this.leaseBusy || this.stopped) return;
    this.leaseBusy = true;
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          await this.renewOnce();
          this.leaseRenewedAt = this.now();
          this.recovered('lease');
          return;
        } catch (e) {
          if (e instanceof ApiError && (e.reason === 'Conflict' || e.reason === 'NotFound' || e.reason === 'AlreadyExists')) {
            this.lease = undefined;
            continue;
          }
          throw e;
        }
      }
    } catch (e) {
      this.failed('lease', e);
    } finally {
      this.leaseBusy = false;
    }
  }

  private async renewOnce(): Promise<void> {
    const { client, config } = this.options;
    const now = microTime(this.now());
    const spec = { holderIdentity: config.nodeName, leaseDurationSeconds: this.leaseDurationSeconds(), renewTime: now };
    this.lease ??= await client.tryGet<LeaseObject>('leases', NODE_LEASE_NAMESPACE, config.nodeName);
    if (!this.lease) {
      const uid = this.node?.metadata?.uid;
      this.lease = await client.create<LeaseObject>({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name: config.nodeName,
          namespace: NODE_LEASE_NAMESPACE,
          // As kubelet does: the Lease goes when its Node is deleted.
          ...(uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: config.nodeName, uid }] } : {}),
        },
        spec: { ...spec, acquireTime: now },
      });
      return;
    }
    this.lease = await client.update<LeaseObject>({ ...this.lease, spec: { ...this.lease.spec, ...spec } });
  }

  private failed(loop: Loop, e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    if (this.failing.get(loop) === msg) return;
    this.failing.set(loop, msg);
    this.log(`${LOOP_DOING[loop]} ${this.name}: ${msg} (retrying)`);
  }

  private recovered(loop: Loop): void {
    if (!this.failing.delete(loop)) return;
    this.log(`${loop} of ${this.name}: working again`);
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    const node = this.node ?? { metadata: { name: this.name } };
    void recordEvent(this.options.client, { ...node, apiVersion: 'v1', kind: 'Node' }, type, reason, message, AGENT_COMPONENT, { host: this.name });
  }
}
