// The Storage interface on etcd (the etcd3 package; with one member, Range and Txn go through
// etcd-unary.ts). Every conditional write is one etcd transaction comparing the key's mod
// revision (or, for create, that the key does not exist), so two writers that read the same
// revision cannot both win.
import { Etcd3, type IKeyValue, type IOptions, type IRangeRequest, type IRangeResponse, type ITxnRequest, type ITxnResponse, type IWatchResponse, type Watcher } from 'etcd3';
import type { Histogram } from 'prom-client';
import { ApiError, HTTP2_WINDOW_BYTES } from '@tugboat/api';
import { expiredError, isCompactedError, isFutureRevisionError, toStorageError } from './errors.js';
import { AttemptAbandonedError, alreadyApplied, isUnavailable, memberBreaker, retryWithin, RETRY_WINDOW_MS, type Intended } from './etcd-failover.js';
import { etcdTlsMismatch, type EtcdTls } from './etcd-tls.js';
import { EtcdUnary } from './etcd-unary.js';
import { LeaseManager } from './lease-manager.js';
import { prefixEnd, type CommitResult, type KeyOptions, type KeyValue, type ListOptions, type ListPage, type Storage, type StorageEvent, type StorageWatch, type TxnOp, type WatchHandlers, type WriteResult } from './storage.js';

function expected(o: TxnOp): number {
  return o.type === 'create' ? 0 : o.expectedRevision;
}

export interface EtcdStorageOptions {
  /** http://host:port of each etcd member, or https://host:port with `tls`. */
  readonly endpoints: readonly string[];
  /** Mutual TLS: etcd's CA, and the client certificate and key etcd checks (https:// endpoints). */
  readonly tls?: EtcdTls;
  /** Deadline of each unary etcd call; a hung etcd must not hang API requests. */
  readonly requestTimeoutMs?: number;
  readonly requestDuration?: Histogram<'operation'>;
  /** How long a call keeps trying other members while etcd answers Unavailable (default 2 s). */
  readonly retryWindowMs?: number;
}

type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

// etcd3's defaults retry failed calls three times and open a 5 s circuit breaker after three
// failures. The API server wants neither: a write retried after an ambiguous failure can
// report a conflict for a write that succeeded, and /readyz must see etcd come back at once.
// Failures go straight to the caller, who decides.
const passThrough: Policy = {
  _altReturn: undefined as never,
  onSuccess: () => ({ dispose() { /* no listeners kept */ } }),
  onFailure: () => ({ dispose() { /* no listeners kept */ } }),
  async execute(fn, signal) {
    return fn({ signal: signal ?? new AbortController().signal });
  },
};

/** Watch reconnect delays: 100 ms doubling to 2 s (etcd3's default grows to 30 s). */
function watchBackoff(duration = 100): { readonly duration: number; next(): ReturnType<typeof watchBackoff> } {
  return { duration, next: () => watchBackoff(Math.min(duration * 2, 2_000)) };
}

function toKeyValue(kv: IKeyValue): KeyValue {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value.toString('utf8'),
    modRevision: Number(kv.mod_revision),
    createRevision: Number(kv.create_revision),
  };
}

/** After a member went down, calls get this deadline for a while: a hung attempt is retried instead. */
const FAILOVER_DEADLINE_MS = 750;
const FAILOVER_PERIOD_MS = 10_000;

/** etcd3's builders' words for a compare target, as its rpc.proto names the enum. */
function compareOf(o: TxnOp): NonNullable<ITxnRequest['compare']>[number] {
  const key = Buffer.from(o.key);
  return o.type === 'create'
    ? { key, target: 'Create', result: 'Equal', create_revision: 0 }
    : { key, target: 'Mod', result: 'Equal', mod_revision: o.expectedRevision };
}

export class EtcdStorage implements Storage {
  readonly client: Etcd3;
  /**
   * Range and Txn on a bare HTTP/2 session (etcd-unary.ts) when etcd is one member; with
   * several, everything goes through etcd3's pool, which fails over between them.
   */
  private readonly unary: EtcdUnary | undefined;
  private readonly deadline: () => number;
  private readonly watches = new Set<EtcdPrefixWatch>();
  /** Until then, a member went down recently: short deadlines, and a timeout is retried. */
  private failoverUntil = 0;
  /** Attempts in flight, each abandoned (and retried) when a member goes down. */
  private readonly inFlight = new Set<(err: Error) => void>();
  /** Leases shared by keys written with a TTL (Events). */
  private readonly leases = new LeaseManager((ttl) => this.op('lease', async () => String((await this.client.leaseClient.leaseGrant({ TTL: ttl })).ID)));

  constructor(private readonly options: EtcdStorageOptions) {
    const timeout = options.requestTimeoutMs ?? 5_000;
    const deadline = (): number => (Date.now() < this.failoverUntil ? Math.min(timeout, FAILOVER_DEADLINE_MS) : timeout);
    this.deadline = deadline;
    const mismatch = etcdTlsMismatch(options.endpoints, options.tls !== undefined);
    if (mismatch) throw new Error(mismatch);
    this.client = new Etcd3({
      hosts: [...options.endpoints],
      ...(options.tls ? {
        credentials: {
          rootCertificate: Buffer.from(options.tls.caPem),
          privateKey: Buffer.from(options.tls.keyPem),
          certChain: Buffer.from(options.tls.certPem),
        },
      } : {}),
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + deadline() }),
      // HTTP/2's default 64 KB window lets etcd send only a little of the watch stream (and of
      // a list page) per round trip to a busy event loop: under bench:density the watch cache
      // fell 1.4-3 s behind etcd (300-500 revisions), so consistent lists served from memory
      // waited that long. With 16 MB it stays within 0-29 revisions (the API clients' window too).
      grpcOptions: { 'grpc-node.flow_control_window': HTTP2_WINDOW_BYTES },
      // With several members, one that failed a call is skipped for a second (etcd-failover.ts);
      // with one there is nowhere else to go, and /readyz must see it come back at once.
      faultHandling: {
        host: (host) => (options.endpoints.length > 1 ? memberBreaker(host, () => this.memberDown(host)) : passThrough),
        global: passThrough,
        watchBackoff: watchBackoff(),
      },
    });
    const only = options.endpoints.length === 1 ? options.endpoints[0] : undefined;
    this.unary = only === undefined ? undefined : new EtcdUnary({ endpoint: only, ...(options.tls ? { tls: options.tls } : {}) });
  }

  private range(req: IRangeRequest): Promise<IRangeResponse> {
    return this.unary ? this.unary.range(req, Date.now() + this.deadline()) : this.client.kv.range(req);
  }

  private rawTxn(req: ITxnRequest): Promise<ITxnResponse> {
    return this.unary ? this.unary.txn(req, Date.now() + this.deadline()) : this.client.kv.txn(req);
  }

  /**
   * Runs one etcd call, timing it and mapping its failure to an ApiError. An Unavailable
   * answer (a member gone, a leader election) is tried again on another member for up to the
   * retry window; `fn` learns whether an earlier try may have reached etcd.
   */
  private async op<T>(operation: string, fn: (retried: boolean) => Promise<T>): Promise<T> {
    const end = this.options.requestDuration?.startTimer({ operation });
    // While failing over, an attempt that ran out of its short deadline is tried again too.
    const retryable = (e: unknown): boolean => isUnavailable(e) || (Date.now() < this.failoverUntil && /deadline exceeded/i.test(e instanceof Error ? e.message : ''));
    try {
      return await retryWithin((retried) => this.abandonable(fn(retried)), this.options.retryWindowMs ?? RETRY_WINDOW_MS, undefined, retryable);
    } catch (e) {
      const err = toStorageError(e, operation);
      const members = this.options.endpoints.length;
      if (members > 1 && (err.reason === 'Unavailable' || err.reason === 'Timeout')) {
        throw new ApiError(err.reason, `${err.message} (etcd answers only while a majority of its ${members} members is up)`, [], { cause: e });
      }
      throw err;
    } finally {
      end?.();
    }
  }

  /** A member went down: failover deadlines for a while, and attempts in flight are retried. */
  private memberDown(member: string): void {
    this.failoverUntil = Date.now() + FAILOVER_PERIOD_MS;
    const waiting = [...this.inFlight];
    this.inFlight.clear();
    for (const abandon of waiting) abandon(new AttemptAbandonedError(member));
  }

  /** `p`, or AttemptAbandonedError as soon as a member goes down (its answer is then ignored). */
  private abandonable<T>(p: Promise<T>): Promise<T> {
    if (this.options.endpoints.length < 2) return p;
    return new Promise<T>((resolve, reject) => {
      this.inFlight.add(reject);
      p.then(
        (v) => { this.inFlight.delete(reject); resolve(v); },
        (e: unknown) => { this.inFlight.delete(reject); reject(e); },
      );
    });
  }

  /**
   * One conditional transaction: every condition holds and every write is made, or nothing is
   * written and each key is read back. A retry after a try that may have applied (its answer
   * was lost with the member) counts as success when the keys hold exactly what it wrote.
   */
  private async txn(operation: string, ops: readonly TxnOp[]): Promise<{ ok: boolean; revision: number; current: (KeyValue | undefined)[] }> {
    const intended: Intended[] = ops.map((o) => (o.type === 'delete' ? { key: o.key, deleted: true } : { key: o.key, value: o.value }));
    return this.op(operation, async (retried) => {
      const leases = await Promise.all(ops.map((o) => (o.type !== 'delete' && o.ttlSeconds !== undefined ? this.leases.leaseFor(o.ttlSeconds) : undefined)));
      const res = await this.rawTxn({
        compare: ops.map(compareOf),
        success: ops.map((o, i) => {
          if (o.type === 'delete') return { request_delete_range: { key: Buffer.from(o.key) } };
          const lease = leases[i];
          return { request_put: { key: Buffer.from(o.key), value: Buffer.from(o.value), ...(lease !== undefined ? { lease } : {}) } };
        }),
        failure: ops.map((o) => ({ request_range: { key: Buffer.from(o.key) } })),
      });
      const revision = Number(res.header.revision);
      if (res.succeeded) return { ok: true, revision, current: [] };
      const current = ops.map((_o, i) => {
        const kv = res.responses[i]?.response_range.kvs[0];
        return kv ? toKeyValue(kv) : undefined;
      });
      if (retried && alreadyApplied(intended, current.map((c) => c?.value))) {
        // The writes' own revision where a key still carries it; a delete leaves none to read.
        const own = current.find((c) => c !== undefined)?.modRevision;
        return { ok: true, revision: own ?? revision, current: [] };
      }
      return { ok: false, revision, current };
    });
  }

  private async write(operation: string, op: TxnOp): Promise<WriteResult> {
    const res = await this.txn(operation, [op]);
    return res.ok ? { ok: true, revision: res.revision } : { ok: false, current: res.current[0] };
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const res = await this.op('get', () => this.range({ key: Buffer.from(key) }));
    const kv = res.kvs[0];
    return kv ? toKeyValue(kv) : undefined;
  }

  create(key: string, value: string, options: KeyOptions = {}): Promise<WriteResult> {
    return this.write('create', { type: 'create', key, value, ...(options.ttlSeconds !== undefined ? { ttlSeconds: options.ttlSeconds } : {}) });
  }

  update(key: string, value: string, expectedRevision: number, options: KeyOptions = {}): Promise<WriteResult> {
    return this.write('update', { type: 'update', key, value, expectedRevision, ...(options.ttlSeconds !== undefined ? { ttlSeconds: options.ttlSeconds } : {}) });
  }

  delete(key: string, expectedRevision: number): Promise<WriteResult> {
    return this.write('delete', { type: 'delete', key, expectedRevision });
  }

  async commit(ops: readonly TxnOp[]): Promise<CommitResult> {
    if (ops.length === 0) return { ok: true, revision: await this.currentRevision() };
    const res = await this.txn('commit', ops);
    if (res.ok) return { ok: true, revision: res.revision };
    // Which conditions did not hold, from the keys read back.
    const failed = ops.filter((o, i) => {
      const kv = res.current[i];
      return o.type === 'create' ? kv !== undefined : kv === undefined || kv.modRevision !== o.expectedRevision;
    }).map((o) => o.key);
    return { ok: false, failed };
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    const res = await this.op('list', () => this.range({
      key: Buffer.from(options.startKey ?? prefix),
      range_end: prefixEnd(prefix),
      ...(options.limit ? { limit: options.limit } : {}),
      ...(options.revision ? { revision: options.revision } : {}),
    }));
    return { items: res.kvs.map(toKeyValue), revision: Number(res.header.revision), more: res.more, count: Number(res.count) };
  }

  async count(prefix: string): Promise<number> {
    const res = await this.op('count', () => this.range({ key: Buffer.from(prefix), range_end: prefixEnd(prefix), count_only: true }));
    return Number(res.count);
  }

  async currentRevision(): Promise<number> {
    // A range over an empty key range still carries the store's revision in its header.
    const res = await this.op('revision', () => this.range({ key: Buffer.from('/registry-revision-probe'), count_only: true }));
    return Number(res.header.revision);
  }

  /** 'compacted' when `revision` is gone, 'ok' when it can still be read (or is in the future). */
  async probeRevision(revision: number): Promise<'ok' | 'compacted'> {
    const end = this.options.requestDuration?.startTimer({ operation: 'probe' });
    try {
      await this.client.kv.range({ key: Buffer.from('/registry-revision-probe'), count_only: true, revision });
      return 'ok';
    } catch (e) {
      if (isCompactedError(e)) return 'compacted';
      if (isFutureRevisionError(e)) return 'ok';
      throw toStorageError(e, 'probe');
    } finally {
      end?.();
    }
  }

  async healthy(timeoutMs: number): Promise<boolean> {
    try {
      await this.client.kv.range({ key: Buffer.from('health'), count_only: true }, { deadline: Date.now() + timeoutMs });
      return true;
    } catch {
      return false;
    }
  }

  watch(prefix: string, afterRevision: number | undefined, handlers: WatchHandlers): StorageWatch {
    const w = new EtcdPrefixWatch(this, prefix, afterRevision, handlers, () => this.watches.delete(w));
    this.watches.add(w);
    return w;
  }

  async close(): Promise<void> {
    for (const w of [...this.watches]) w.close();
    this.unary?.close();
    this.client.close();
  }
}

/**
 * One watch on a key prefix. etcd3's Watcher reconnects by itself, but it resumes from the
 * revision in the header of its "created" answer, which can skip the catch-up events of a
 * watch that started in the past; so on a lost connection this class drops the Watcher and
 * starts a new one from the last event it delivered, checking for compaction first.
 */
class EtcdPrefixWatch implements StorageWatch {
  readonly started: Promise<number>;
  private resolveStarted!: (rev: number) => void;
  private watcher: Watcher | undefined;
  private closed = false;
  /** The last revision whose changes were all delivered (undefined: not yet established). */
  private seen: number | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay = 100;

  constructor(
    private readonly storage: EtcdStorage,
    private readonly prefix: string,
    afterRevision: number | undefined,
    private readonly handlers: WatchHandlers,
    private readonly onClose: () => void,
  ) {
    this.seen = afterRevision;
    this.started = new Promise((r) => { this.resolveStarted = r; });
    // Nobody need await `started`; a failed watch reports through onError.
    this.started.catch(() => undefined);
    void this.establish();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.dropWatcher();
    this.onClose();
  }

  private fail(err: ApiError): void {
    if (this.closed) return;
    this.close();
    this.handlers.onError(err);
  }

  private dropWatcher(): void {
    const w = this.watcher;
    this.watcher = undefined;
    if (w) {
      w.removeAllListeners();
      // Keep a listener: etcd3 may still emit on a watcher that is being cancelled.
      w.on('error', () => undefined);
      w.cancel().catch(() => undefined);
    }
  }

  private retryLater(): void {
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.establish(), this.retryDelay);
    this.retryDelay = Math.min(this.retryDelay * 2, 2_000);
  }

  private async establish(): Promise<void> {
    if (this.closed) return;
    if (this.seen !== undefined) {
      // etcd answers a watch from a compacted revision with a bare "canceled"; asking for a
      // read at that revision first gives a clear answer.
      try {
        if ((await this.storage.probeRevision(this.seen + 1)) === 'compacted') {
          this.fail(expiredError(this.seen));
          return;
        }
      } catch {
        this.retryLater();
        return;
      }
      if (this.closed) return;
    }
    const builder = this.storage.client.watch().prefix(this.prefix).withPreviousKV();
    if (this.seen !== undefined) builder.startRevision(String(this.seen + 1));
    const w = builder.watcher();
    this.watcher = w;
    let connected = false;
    w.on('connected', (res: IWatchResponse) => {
      if (this.watcher !== w) return;
      connected = true;
      this.retryDelay = 100;
      // Started "from now": everything after the current revision will be delivered.
      if (this.seen === undefined) this.seen = Number(res.header.revision);
      this.resolveStarted(this.seen);
    });
    w.on('data', (res: IWatchResponse) => {
      if (this.watcher !== w) return;
      this.deliver(res);
    });
    w.on('disconnected', () => {
      if (this.watcher !== w) return;
      // Before the first answer etcd3's own retry still carries our start revision; after
      // it, start over from what we delivered.
      if (!connected) return;
      this.dropWatcher();
      this.retryLater();
    });
    w.on('error', () => {
      if (this.watcher !== w) return;
      // etcd cancelled the watch: compaction (checked by establish) or a server-side error.
      this.dropWatcher();
      this.retryLater();
    });
  }

  private deliver(res: IWatchResponse): void {
    const events: StorageEvent[] = [];
    let maxRev = this.seen ?? 0;
    for (const ev of res.events) {
      const revision = Number(ev.kv.mod_revision);
      // A resumed watch may repeat what was already delivered.
      if (this.seen !== undefined && revision <= this.seen) continue;
      const prevValue = ev.prev_kv ? ev.prev_kv.value.toString('utf8') : undefined;
      const key = ev.kv.key.toString('utf8');
      if (ev.type === 'Put') events.push({ type: 'put', key, value: ev.kv.value.toString('utf8'), prevValue, revision });
      else events.push({ type: 'delete', key, prevValue, revision });
      if (revision > maxRev) maxRev = revision;
    }
    // An empty answer is a progress notification: nothing changed up to its header revision.
    // (During catch-up the header runs ahead of the events, so only event revisions count.)
    if (res.events.length === 0) maxRev = Math.max(maxRev, Number(res.header.revision));
    this.seen = maxRev;
    if (events.length) this.handlers.onEvents(events);
    this.handlers.onProgress?.(maxRev);
  }
}
