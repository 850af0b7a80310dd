// Encryption at rest as a layer of the Storage interface: wrapped around the etcd storage, it
// encrypts the values of the configured resources (keys /registry/<resource>/…) on the way in
// and decrypts them on every way out (get, list, the `current` of a failed write, watch
// events), so the registry, the watch cache and every client above it only ever see plaintext
// and etcd (its data files, backups, anyone with etcdctl) only ever sees ciphertext. Keys of
// other resources pass through untouched, as do revisions and conditions.
//
// A stored value that cannot be decrypted fails the read with ApiError Internal naming the
// key and the reason. Watch events are the exception: the server follows ALL of /registry/
// with one watch, and failing it would stop every watcher of every resource over one bad
// Secret; so such an event goes to `onWatchError` (the server logs it) and is left out (a
// put), or loses its previous value (which a watcher then cannot compare against).
import { ApiError } from '@tugboat/api';
import { Counter, type Registry } from 'prom-client';
import { REGISTRY_ROOT } from '../../registry/keys.js';
import type { CommitResult, KeyOptions, KeyValue, ListOptions, ListPage, Storage, StorageEvent, StorageWatch, TxnOp, WatchHandlers, WriteResult } from '../storage.js';
import type { EncryptionConfig } from './config.js';
import { TransformError, ValueTransformer } from './transformer.js';

export type TransformationCounter = Counter<'transformation_type' | 'transformer_prefix' | 'status'>;

/** Kubernetes' counter of encryptions and decryptions, registered in `registry` if given. */
export function transformationOperationsCounter(registry?: Registry): TransformationCounter {
  return new Counter({
    name: 'apiserver_storage_transformation_operations_total',
    help: 'Values encrypted (to_storage) and decrypted (from_storage), by provider prefix and status (OK or Internal).',
    labelNames: ['transformation_type', 'transformer_prefix', 'status'] as const,
    registers: registry ? [registry] : [],
  });
}

export interface EncryptingStorageOptions {
  readonly config: EncryptionConfig;
  readonly operations?: TransformationCounter;
  /** A watch event that could not be decrypted (see the header); default: dropped silently. */
  readonly onWatchError?: (err: ApiError) => void;
}

export class EncryptingStorage implements Storage {
  private readonly transformers = new Map<string, ValueTransformer>();

  constructor(private readonly inner: Storage, private readonly options: EncryptingStorageOptions) {
    for (const [resource, providers] of options.config.resources) this.transformers.set(resource, new ValueTransformer(providers));
  }

  /** The transformer for the resource `key` belongs to; undefined: stored as is. */
  private transformerFor(key: string): ValueTransformer | undefined {
    if (!key.startsWith(REGISTRY_ROOT)) return undefined;
    const resource = key.slice(REGISTRY_ROOT.length).split('/', 1)[0];
    return resource ? this.transformers.get(resource) : undefined;
  }

  private record(type: 'to_storage' | 'from_storage', prefix: string, status: 'OK' | 'Internal'): void {
    this.options.operations?.inc({ transformation_type: type, transformer_prefix: prefix, status });
  }

  private encrypt(key: string, value: string): string {
    const t = this.transformerFor(key);
    if (!t) return value;
    try {
      const stored = t.toStorage(value, key);
      this.record('to_storage', t.writeLabel, 'OK');
      return stored;
    } catch (e) {
      this.record('to_storage', t.writeLabel, 'Internal');
      throw new ApiError('Internal', `cannot encrypt ${key} with ${t.writes}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Plaintext of a value stored at `key`; throws ApiError Internal when it cannot be read. */
  private decrypt(key: string, stored: string): string {
    const t = this.transformerFor(key);
    if (!t) return stored;
    try {
      const read = t.fromStorage(stored, key);
      this.record('from_storage', read.label, 'OK');
      return read.value;
    } catch (e) {
      if (!(e instanceof TransformError)) throw e;
      this.record('from_storage', e.label, 'Internal');
      throw new ApiError('Internal', `cannot decrypt ${key}: ${e.message}`);
    }
  }

  private decryptKv(kv: KeyValue): KeyValue {
    return { ...kv, value: this.decrypt(kv.key, kv.value) };
  }

  private decryptResult(key: string, r: WriteResult): WriteResult {
    return r.ok || !r.current ? r : { ok: false, current: this.decryptKv(r.current) };
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const kv = await this.inner.get(key);
    return kv && this.decryptKv(kv);
  }

  async create(key: string, value: string, options?: KeyOptions): Promise<WriteResult> {
    return this.decryptResult(key, await this.inner.create(key, this.encrypt(key, value), options));
  }

  async update(key: string, value: string, expectedRevision: number, options?: KeyOptions): Promise<WriteResult> {
    return this.decryptResult(key, await this.inner.update(key, this.encrypt(key, value), expectedRevision, options));
  }

  commit(ops: readonly TxnOp[]): Promise<CommitResult> {
    return this.inner.commit(ops.map((o) => (o.type === 'delete' ? o : { ...o, value: this.encrypt(o.key, o.value) })));
  }

  async delete(key: string, expectedRevision: number): Promise<WriteResult> {
    return this.decryptResult(key, await this.inner.delete(key, expectedRevision));
  }

  async list(prefix: string, options?: ListOptions): Promise<ListPage> {
    const page = await this.inner.list(prefix, options);
    return { ...page, items: page.items.map((kv) => this.decryptKv(kv)) };
  }

  watch(prefix: string, afterRevision: number | undefined, handlers: WatchHandlers): StorageWatch {
    return this.inner.watch(prefix, afterRevision, {
      ...handlers,
      onEvents: (events) => {
        const out = events.flatMap((ev) => this.decryptEvent(ev));
        if (out.length) handlers.onEvents(out);
      },
    });
  }

  private decryptEvent(ev: StorageEvent): StorageEvent[] {
    const report = (e: unknown): void => {
      if (e instanceof ApiError) this.options.onWatchError?.(e);
      else throw e;
    };
    let prevValue: string | undefined;
    try {
      prevValue = ev.prevValue === undefined ? undefined : this.decrypt(ev.key, ev.prevValue);
    } catch (e) {
      report(e);
    }
    if (ev.type === 'delete') return [{ ...ev, prevValue }];
    try {
      return [{ ...ev, value: this.decrypt(ev.key, ev.value), prevValue }];
    } catch (e) {
      report(e);
      return [];
    }
  }

  count(prefix: string): Promise<number> {
    return this.inner.count(prefix);
  }

  currentRevision(): Promise<number> {
    return this.inner.currentRevision();
  }

  healthy(timeoutMs: number): Promise<boolean> {
    return this.inner.healthy(timeoutMs);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
