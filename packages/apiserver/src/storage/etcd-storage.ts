// The Storage interface on etcd (the etcd3 package). Every conditional write is one etcd
// transaction comparing the key's mod revision (or, for create, that the key does not exist),
// so two writers that read the same revision cannot both win.
import { Etcd3, type IKeyValue, type IOptions, type IWatchResponse, type Watcher } from 'etcd3';
import type { Histogram } from 'prom-client';
import type { ApiError } from '@tugboat/api';
import { expiredError, isCompactedError, isFutureRevisionError, toStorageError } from './errors.js';
import { etcdTlsMismatch, type EtcdTls } from './etcd-tls.js';
import { prefixEnd, type CommitResult, type KeyValue, type ListOptions, type ListPage, type Storage, type StorageEvent, type StorageWatch, type TxnOp, type WatchHandlers, type WriteResult } from './storage.js';

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

export class EtcdStorage implements Storage {
  readonly client: Etcd3;
  private readonly watches = new Set<EtcdPrefixWatch>();

  constructor(private readonly options: EtcdStorageOptions) {
    const timeout = options.requestTimeoutMs ?? 5_000;
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
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
      faultHandling: { host: () => passThrough, global: passThrough, watchBackoff: watchBackoff() },
    });
  }

  /** Runs one etcd call, timing it and mapping its failure to an ApiError. */
  private async op<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    const end = this.options.requestDuration?.startTimer({ operation });
    try {
      return await fn();
    } catch (e) {
      throw toStorageError(e, operation);
    } finally {
      end?.();
    }
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const res = await this.op('get', () => this.client.get(key).exec());
    const kv = res.kvs[0];
    return kv ? toKeyValue(kv) : undefined;
  }

  async create(key: string, value: string): Promise<WriteResult> {
    const res = await this.op('create', () =>
      this.client.if(key, 'Create', '==', 0).then(this.client.put(key).value(value)).else(this.client.get(key)).commit());
    if (res.succeeded) return { ok: true, revision: Number(res.header.revision) };
    const kv = res.responses[0]?.response_range.kvs[0];
    return { ok: false, current: kv ? toKeyValue(kv) : undefined };
  }

  async update(key: string, value: string, expectedRevision: number): Promise<WriteResult> {
    const res = await this.op('update', () =>
      this.client.if(key, 'Mod', '==', expectedRevision).then(this.client.put(key).value(value)).else(this.client.get(key)).commit());
    if (res.succeeded) return { ok: true, revision: Number(res.header.revision) };
    const kv = res.responses[0]?.response_range.kvs[0];
    return { ok: false, current: kv ? toKeyValue(kv) : undefined };
  }

  async delete(key: string, expectedRevision: number): Promise<WriteResult> {
    const res = await this.op('delete', () =>
      this.client.if(key, 'Mod', '==', expectedRevision).then(this.client.delete().key(key)).else(this.client.get(key)).commit());
    if (res.succeeded) return { ok: true, revision: Number(res.header.revision) };
    const kv = res.responses[0]?.response_range.kvs[0];
    return { ok: false, current: kv ? toKeyValue(kv) : undefined };
  }

  async commit(ops: readonly TxnOp[]): Promise<CommitResult> {
    if (ops.length === 0) return { ok: true, revision: await this.currentRevision() };
    const res = await this.op('commit', async () => {
      let txn = this.client.if(ops[0]!.key, ops[0]!.type === 'create' ? 'Create' : 'Mod', '==', ops[0]!.type === 'create' ? 0 : expected(ops[0]!));
      for (const o of ops.slice(1)) txn = txn.and(o.key, o.type === 'create' ? 'Create' : 'Mod', '==', o.type === 'create' ? 0 : expected(o));
      const writes = ops.map((o) => (o.type === 'delete' ? this.client.delete().key(o.key) : this.client.put(o.key).value(o.value)));
      // On failure, read every key back to say which condition did not hold.
      return txn.then(...writes).else(...ops.map((o) => this.client.get(o.key))).commit();
    });
    if (res.succeeded) return { ok: true, revision: Number(res.header.revision) };
    const failed: string[] = [];
    ops.forEach((o, i) => {
      const kv = res.responses[i]?.response_range.kvs[0];
      const holds = o.type === 'create' ? !kv : !!kv && Number(kv.mod_revision) === o.expectedRevision;
      if (!holds) failed.push(o.key);
    });
    return { ok: false, failed };
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    const res = await this.op('list', () => this.client.kv.range({
      key: Buffer.from(options.startKey ?? prefix),
      range_end: prefixEnd(prefix),
      ...(options.limit ? { limit: options.limit } : {}),
      ...(options.revision ? { revision: options.revision } : {}),
    }));
    return { items: res.kvs.map(toKeyValue), revision: Number(res.header.revision), more: res.more, count: Number(res.count) };
  }

  async count(prefix: string): Promise<number> {
    const res = await this.op('count', () => this.client.kv.range({ key: Buffer.from(prefix), range_end: prefixEnd(prefix), count_only: true }));
    return Number(res.count);
  }

  async currentRevision(): Promise<number> {
    // A range over an empty key range still carries the store's revision in its header.
    const res = await this.op('revision', () => this.client.kv.range({ key: Buffer.from('/registry-revision-probe'), count_only: true }));
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
