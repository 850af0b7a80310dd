// The service proxy (kube-proxy's job) of one agent: Services and EndpointSlices from informers,
// one nftables table, kept in line with them.
//
//   Services, EndpointSlices ──informers──▶ dirty Service keys ──(30 ms)──▶ sync
//     sync: for each dirty Service: proxyService (service-ports.ts) ─▶ serviceRules (ruleset.ts), cached
//           desiredState ─▶ partialBatch(applied, desired): only changed chains and elements
//                        └▶ fullRuleset: on start, every 5 min, after a failure
//           ─▶ nft -f - (one transaction) ─▶ applied = desired
//     a second later: delete the chains the last batches emptied (staleChainBatch)
//
// Level-triggered like everything else: a sync computes what the table must hold from the
// caches and writes the difference; a failed write makes the next sync a full one.
import { localIPv4Addresses } from '../local-addresses.js';
import type { EndpointSlice, KubeObject, Service, TugboatClient } from '@tugboat/api';
import { Informer, objectKey } from '@tugboat/api';
import { Nft } from './nft.js';
import { resolveNodePortIPs } from './node-facts.js';
import {
  EMPTY_STATE, desiredState, fullRuleset, partialBatch, serviceRules, staleChainBatch,
  type NodeFacts, type RulesetState, type ServiceRules,
} from './ruleset.js';
import { proxyService, sliceServiceKey } from './service-ports.js';
import { ServiceRoute, coveringPrefix } from './service-route.js';

type ServiceObject = Service & KubeObject;
type SliceObject = EndpointSlice & KubeObject;

/** kube-proxy's sync metrics (prom-client's objects fit). */
export interface ProxyMetrics {
  readonly syncDuration: { observe(seconds: number): void };
  readonly lastSyncTimestamp: { set(seconds: number): void };
  readonly endpointChanges: { inc(): void };
  readonly serviceChanges: { inc(): void };
}

export interface ServiceProxyOptions {
  /** A client that may list and watch Services and EndpointSlices (user system:kube-proxy). */
  readonly client: TugboatClient;
  readonly nodeName: string;
  /** The node's address (InternalIP): `primary` NodePorts, the source of host-originated Service traffic. */
  readonly nodeIP: string;
  /** The nftables table (proxyTableName). */
  readonly table: string;
  /** `--nodeport-addresses` values; undefined: every local address except loopback. */
  readonly nodePortAddresses?: readonly string[];
  readonly metrics?: ProxyMetrics;
  readonly log: (line: string) => void;
  /** Test hook: act in this network namespace instead of the agent's own. */
  readonly netns?: string;
  /** Test hook: the host's addresses, for --nodeport-addresses (default: its interfaces'). */
  readonly localAddresses?: () => readonly string[];
  /** How long a burst of changes is gathered before one sync (default 30 ms). */
  readonly debounceMs?: number;
  /** How often the whole table is written again (default 5 min). */
  readonly fullSyncIntervalMs?: number;
  /** How long an emptied chain waits before it is deleted (default 1 s; see partialBatch). */
  readonly staleChainDelayMs?: number;
}

export interface SyncResult {
  readonly full: boolean;
  readonly services: number;
  readonly chainsWritten: number;
  readonly elementsChanged: number;
}

export class ServiceProxy {
  private readonly services: Informer<ServiceObject>;
  private readonly slices: Informer<SliceObject>;
  /** Service key → its slices (by slice key): the join the informers do not do. */
  private readonly slicesByService = new Map<string, Map<string, SliceObject>>();
  private readonly sliceOwner = new Map<string, string>();
  private readonly dirty = new Set<string>();
  /** Service key → what it puts in the table, recomputed only when it or its slices change. */
  private readonly rules = new Map<string, ServiceRules>();
  private readonly clusterIPs = new Map<string, string>();
  private applied: RulesetState = EMPTY_STATE;
  private facts: NodeFacts = {};
  private needFull = true;
  private readonly stale = new Map<string, number>();
  private started = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private staleTimer: NodeJS.Timeout | undefined;
  private fullTimer: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private lastError = '';
  private lastRouteError = '';
  private routePrefix: string | undefined;
  private readonly nft: Nft;
  private readonly route: ServiceRoute;
  private readonly syncListeners: ((r: SyncResult) => void)[] = [];

  constructor(private readonly options: ServiceProxyOptions) {
    this.nft = new Nft(options.netns);
    this.route = new ServiceRoute({ nodeIP: options.nodeIP, log: options.log, ...(options.netns ? { netns: options.netns } : {}) });
    const onError = (what: string) => (e: Error): void => this.note(`service proxy: ${what}: ${e.message} (retrying)`);
    this.services = new Informer<ServiceObject>(options.client, 'services', { onError: onError('watching Services') });
    this.slices = new Informer<SliceObject>(options.client, 'endpointslices', { onError: onError('watching EndpointSlices') });
    const serviceChanged = (s: ServiceObject): void => {
      options.metrics?.serviceChanges.inc();
      this.markDirty(objectKey(s));
    };
    this.services.onAdd(serviceChanged).onUpdate((_, s) => serviceChanged(s)).onDelete(serviceChanged);
    this.slices
      .onAdd((s) => this.sliceChanged(s, false))
      .onUpdate((_, s) => this.sliceChanged(s, false))
      .onDelete((s) => this.sliceChanged(s, true));
  }

  get table(): string { return this.options.table; }

  /** Called after every successful sync (tests, the bench). */
  onSync(listener: (r: SyncResult) => void): void { this.syncListeners.push(listener); }

  /** What the kernel holds since the last successful sync (read from onSync: the bench). */
  get appliedState(): RulesetState { return this.applied; }

  /** Lists Services and EndpointSlices, then writes the whole table; resolves after that first sync. */
  async start(): Promise<void> {
    if (await this.nft.hasTable(this.table).catch(() => false)) this.options.log(`service proxy: table ip ${this.table} is left from an earlier run; the first sync replaces it`);
    await Promise.all([this.services.start(), this.slices.start()]);
    if (this.stopped) return;
    this.started = true;
    const period = this.options.fullSyncIntervalMs ?? 5 * 60_000;
    this.fullTimer = setInterval(() => { this.needFull = true; this.schedule(0); }, period);
    this.fullTimer.unref();
    await this.enqueue(() => this.sync());
  }

  /**
   * Stops watching. With `removeRules` the table and our route go too: a stopped agent's
   * rules would keep sending this node's Service traffic by a picture nobody updates.
   */
  async stop(opts: { removeRules?: boolean } = {}): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.staleTimer);
    clearInterval(this.fullTimer);
    this.services.stop();
    this.slices.stop();
    await this.queue.catch(() => undefined);
    if (opts.removeRules) {
      await this.nft.deleteTable(this.table).catch((e: unknown) => this.options.log(`service proxy: ${(e as Error).message}`));
      await this.route.remove().catch((e: unknown) => this.options.log(`service proxy: ${(e as Error).message}`));
    }
  }

  /** What the kernel has now (`nft list table`), for tests and debugging. */
  listTable(): Promise<string | undefined> { return this.nft.listTable(this.table); }

  private sliceChanged(slice: SliceObject, deleted: boolean): void {
    this.options.metrics?.endpointChanges.inc();
    const key = objectKey(slice);
    const before = this.sliceOwner.get(key);
    const after = deleted ? undefined : sliceServiceKey(slice);
    if (before && before !== after) {
      this.slicesByService.get(before)?.delete(key);
      if (this.slicesByService.get(before)?.size === 0) this.slicesByService.delete(before);
      this.sliceOwner.delete(key);
      this.markDirty(before);
    }
    if (after) {
      let m = this.slicesByService.get(after);
      if (!m) this.slicesByService.set(after, (m = new Map()));
      m.set(key, slice);
      this.sliceOwner.set(key, after);
      this.markDirty(after);
    }
  }

  private markDirty(serviceKey: string): void {
    this.dirty.add(serviceKey);
    this.schedule(this.options.debounceMs ?? 30);
  }

  private note(line: string): void {
    if (line !== this.lastError) this.options.log(line);
    this.lastError = line;
  }

  /** One sync `delayMs` from now, however many changes arrive meanwhile. */
  private schedule(delayMs: number): void {
    if (!this.started || this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.enqueue(() => this.sync()).catch(() => undefined);
    }, delayMs);
  }

  /** Syncs and stale-chain deletions run one at a time, in order. */
  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private nodeFacts(): NodeFacts {
    const spec = this.options.nodePortAddresses;
    if (!spec) return {};
    const local = this.options.localAddresses?.() ?? localIPv4Addresses();
    return { nodePortIPs: resolveNodePortIPs(spec, this.options.nodeIP, local) };
  }

  private recompute(key: string): void {
    const svc = this.services.get(key);
    const info = svc ? proxyService(svc, [...(this.slicesByService.get(key)?.values() ?? [])]) : undefined;
    if (info) {
      this.rules.set(key, serviceRules(info));
      this.clusterIPs.set(key, info.clusterIP);
    } else {
      this.rules.delete(key);
      this.clusterIPs.delete(key);
    }
  }

  /** One pass: recompute what changed, write the difference (or everything) in one batch. */
  private async sync(): Promise<void> {
    if (this.stopped) return;
    const started = performance.now();
    const full = this.needFull;
    try {
      if (full) {
        this.dirty.clear();
        const keys = new Set([...this.services.list().map((s) => objectKey(s)), ...this.rules.keys()]);
        for (const key of keys) this.recompute(key);
      } else {
        const keys = [...this.dirty];
        this.dirty.clear();
        for (const key of keys) this.recompute(key);
      }
      let result: SyncResult;
      if (full) {
        this.facts = this.nodeFacts();
        // Sorted, so the same cluster always gives the same text.
        const desired = desiredState([...this.rules.keys()].sort().map((k) => this.rules.get(k) as ServiceRules));
        await this.nft.apply(fullRuleset(this.table, this.facts, desired, `tugboat service proxy of node ${this.options.nodeName}`));
        this.applied = desired;
        this.stale.clear();
        let elements = 0;
        for (const m of desired.elements.values()) elements += m.size;
        result = { full, services: this.rules.size, chainsWritten: desired.chains.size, elementsChanged: elements };
      } else {
        const desired = desiredState(this.rules.values());
        const batch = partialBatch(this.table, this.applied, desired);
        await this.nft.apply(batch.text);
        this.applied = desired;
        const now = Date.now();
        for (const name of batch.removedChains) this.stale.set(name, now);
        for (const name of this.stale.keys()) if (desired.chains.has(name)) this.stale.delete(name);
        result = { full, services: this.rules.size, chainsWritten: batch.writtenChains, elementsChanged: batch.changedElements };
      }
      this.needFull = false;
      const prefix = coveringPrefix(this.clusterIPs.values());
      if (full || prefix !== this.routePrefix) {
        // Apart from the table: a route that cannot be set must not make every sync a full one.
        try {
          await this.route.ensure(prefix);
          this.routePrefix = prefix;
          this.lastRouteError = '';
        } catch (e) {
          this.routePrefix = undefined;
          const line = `service proxy: ${e instanceof Error ? e.message : String(e)} (the host and process-runtime pods may not reach Services; tried again on the next sync)`;
          if (line !== this.lastRouteError) this.options.log(line);
          this.lastRouteError = line;
        }
      }
      this.options.metrics?.lastSyncTimestamp.set(Date.now() / 1000);
      if (this.lastError) this.options.log('service proxy: rules in line again');
      this.lastError = '';
      if (this.stale.size && !this.staleTimer) this.scheduleStaleDeletion();
      for (const l of this.syncListeners) l(result);
    } catch (e) {
      // The kernel may hold some of what we think it does not: start again from nothing.
      this.needFull = true;
      this.note(`service proxy: sync of table ip ${this.table} failed: ${e instanceof Error ? e.message : String(e)} (a full sync follows in 1s)`);
      if (!this.stopped) setTimeout(() => this.schedule(0), 1_000).unref();
      throw e;
    } finally {
      this.options.metrics?.syncDuration.observe((performance.now() - started) / 1000);
    }
  }

  private scheduleStaleDeletion(): void {
    const delay = this.options.staleChainDelayMs ?? 1_000;
    this.staleTimer = setTimeout(() => {
      this.staleTimer = undefined;
      void this.enqueue(() => this.deleteStale(delay)).catch(() => undefined);
    }, delay + 10);
    this.staleTimer.unref();
  }

  private async deleteStale(delay: number): Promise<void> {
    if (this.stopped || this.needFull) return;
    const due = Date.now() - delay;
    const chains = [...this.stale].filter(([, since]) => since <= due).map(([name]) => name);
    for (const c of chains) this.stale.delete(c);
    try {
      await this.nft.apply(staleChainBatch(this.table, chains));
    } catch (e) {
      // Harmless (empty chains); the next full sync starts from a fresh table anyway.
      this.note(`service proxy: deleting ${chains.length} emptied chains: ${(e as Error).message}`);
    }
    if (this.stale.size) this.scheduleStaleDeletion();
  }
}
