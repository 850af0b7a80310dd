// An informer: list, then watch from the list's resourceVersion, keeping a local cache and
// calling handlers on add / update / delete. Shared by the scheduler, controllers and agents.
//
// As client-go's reflector: when a watch ends (the server closed it, restarted, or died and
// the client moved on to another API server) it watches again from the last resourceVersion
// it saw, so nothing is missed or seen twice and nothing is listed again. Only when the
// server says that revision is gone (Expired: etcd compacted past it) does it relist, and
// replays the difference as events, so handlers see a consistent sequence whatever was missed.
import { ApiError } from '../errors.js';
import { sharedStrings } from '../shared-strings.js';
import { sleep } from '../sleep.js';
import { objectKey, type KubeObject } from '../types.js';
import type { TugboatClient } from './client.js';

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** First delay after a failed list or watch; doubles to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Called when the list or watch fails (it is retried regardless). */
  onError?: (err: ApiError) => void;
}

type AddHandler<T> = (obj: T) => void;
type UpdateHandler<T> = (oldObj: T, newObj: T) => void;
type DeleteHandler<T> = (obj: T) => void;

/** Values an object is filed under in an index (client-go's IndexFunc). */
export type IndexFunc<T> = (obj: T) => readonly string[];

interface Index<T> {
  readonly fn: IndexFunc<T>;
  /** value → (key → object) */
  readonly buckets: Map<string, Map<string, T>>;
}

export class Informer<T extends KubeObject> {
  private readonly store = new Map<string, T>();
  private readonly indexes = new Map<string, Index<T>>();
  private readonly addHandlers: AddHandler<T>[] = [];
  private readonly updateHandlers: UpdateHandler<T>[] = [];
  private readonly deleteHandlers: DeleteHandler<T>[] = [];
  private synced = false;
  private stopped = false;
  private watch: { close(): void } | undefined;
  private lastResourceVersion = '';
  private relists = 0;
  private syncWaiters: (() => void)[] = [];

  constructor(
    private readonly client: TugboatClient,
    readonly resource: string,
    private readonly options: InformerOptions = {},
  ) {}

  onAdd(h: AddHandler<T>): this { this.addHandlers.push(h); return this; }
  onUpdate(h: UpdateHandler<T>): this { this.updateHandlers.push(h); return this; }
  onDelete(h: DeleteHandler<T>): this { this.deleteHandlers.push(h); return this; }

  /** Starts the list/watch loop; resolves once the first list is in the cache. */
  start(): Promise<void> {
    void this.run();
    return this.waitForSync();
  }

  stop(): void {
    this.stopped = true;
    this.watch?.close();
  }

  hasSynced(): boolean { return this.synced; }

  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  list(): T[] { return [...this.store.values()]; }

  /**
   * Files every cached object (and each one to come) under `fn`'s values, so that `byIndex`
   * answers without a scan: a controller syncing one of 50 ReplicaSets over 50,000 pods looks
   * at its own pods, not all of them. Adding an index twice under one name keeps the first.
   */
  addIndex(name: string, fn: IndexFunc<T>): this {
    if (this.indexes.has(name)) return this;
    const index: Index<T> = { fn, buckets: new Map() };
    this.indexes.set(name, index);
    for (const [key, obj] of this.store) file(index, key, obj);
    return this;
  }

  /** The cached objects filed under `value` in index `name` (which must have been added). */
  byIndex(name: string, value: string): T[] {
    const index = this.indexes.get(name);
    if (!index) throw new Error(`informer ${this.resource}: no index ${JSON.stringify(name)}`);
    const bucket = index.buckets.get(value);
    return bucket ? [...bucket.values()] : [];
  }
  /** The cached objects without copying them (hot paths that only scan); iterable again each time. */
  items(): Iterable<T> { return { [Symbol.iterator]: () => this.store.values() }; }
  get(key: string): T | undefined { return this.store.get(key); }
  /** The revision the cache reflects. */
  resourceVersion(): string { return this.lastResourceVersion; }
  /** How many times the informer has listed (1 after the first sync); grows on each recovery. */
  listCount(): number { return this.relists; }

  private put(key: string, obj: T): void {
    const old = this.store.get(key);
    this.store.set(key, obj);
    for (const index of this.indexes.values()) {
      if (old) unfile(index, key, old);
      file(index, key, obj);
    }
  }

  private remove(key: string): void {
    const old = this.store.get(key);
    if (!old) return;
    this.store.delete(key);
    for (const index of this.indexes.values()) unfile(index, key, old);
  }

  private async run(): Promise<void> {
    const firstDelay = this.options.backoffMs ?? 200;
    const maxDelay = this.options.maxBackoffMs ?? 5_000;
    let delay = firstDelay;
    let list = true;
    while (!this.stopped) {
      let delivered = false;
      let failure: ApiError | undefined;
      try {
        if (list) {
          await this.relist();
          list = false;
          delay = firstDelay;
        }
        delivered = await this.watchFrom(this.lastResourceVersion, () => { delivered = true; });
      } catch (e) {
        if (this.stopped) return;
        failure = e instanceof ApiError ? e : new ApiError('Internal', String(e), [], { cause: e });
        this.options.onError?.(failure);
      }
      if (this.stopped) return;
      const step = afterWatch(failure, delivered, list);
      switch (step) {
        case 'relist':
          list = true;
          break;
        case 'watch':
          delay = firstDelay;
          break;
        case 'back-off':
          await sleep(delay);
          delay = Math.min(delay * 2, maxDelay);
          break;
      }
    }
  }

  private async relist(): Promise<void> {
    const { items, resourceVersion } = await this.client.listAll<T>(this.resource, {
      ...(this.options.namespace ? { namespace: this.options.namespace } : {}),
      ...(this.options.labelSelector ? { labelSelector: this.options.labelSelector } : {}),
      ...(this.options.fieldSelector ? { fieldSelector: this.options.fieldSelector } : {}),
    });
    if (this.stopped) return;
    const seen = new Set<string>();
    for (const obj of items) {
      // Kept for as long as it is current: one copy of each short value across the cache.
      sharedStrings.shareAll(obj);
      const key = objectKey(obj);
      seen.add(key);
      const old = this.store.get(key);
      this.put(key, obj);
      if (!old) this.emitAdd(obj);
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.emitUpdate(old, obj);
    }
    for (const [key, old] of this.store) {
      if (!seen.has(key)) {
        this.remove(key);
        this.emitDelete(old);
      }
    }
    this.lastResourceVersion = resourceVersion;
    this.relists++;
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  /** Watches until the stream ends; true when it delivered anything (`onEvent` says so as it happens). */
  private async watchFrom(resourceVersion: string, onEvent: () => void): Promise<boolean> {
    const w = this.client.watch<T>(this.resource, {
      resourceVersion,
      allowBookmarks: true,
      ...(this.options.namespace ? { namespace: this.options.namespace } : {}),
      ...(this.options.labelSelector ? { labelSelector: this.options.labelSelector } : {}),
      ...(this.options.fieldSelector ? { fieldSelector: this.options.fieldSelector } : {}),
    });
    this.watch = w;
    if (this.stopped) { w.close(); return false; }
    let delivered = false;
    for await (const ev of w) {
      delivered = true;
      onEvent();
      const obj = ev.object;
      const rv = obj.metadata?.resourceVersion;
      if (rv) this.lastResourceVersion = rv;
      const key = objectKey(obj);
      switch (ev.type) {
        case 'BOOKMARK':
          break;
        case 'ADDED':
        case 'MODIFIED': {
          sharedStrings.shareAll(obj);
          const old = this.store.get(key);
          this.put(key, obj);
          if (old) this.emitUpdate(old, obj);
          else this.emitAdd(obj);
          break;
        }
        case 'DELETED': {
          const old = this.store.get(key);
          this.remove(key);
          this.emitDelete(old ?? obj);
          break;
        }
      }
    }
    // The server closed the stream (restart, shutdown, a timeout): the loop watches again.
    return delivered;
  }

  private emitAdd(obj: T): void { for (const h of this.addHandlers) safe(() => h(obj)); }
  private emitUpdate(old: T, obj: T): void { for (const h of this.updateHandlers) safe(() => h(old, obj)); }
  private emitDelete(obj: T): void { for (const h of this.deleteHandlers) safe(() => h(obj)); }
}

/**
 * What the list/watch loop does after a watch (or the list before it) ended. Pure.
 * - Expired: the revision is gone from etcd, so only a new list can catch up.
 * - The list failed: try it again after a pause.
 * - A watch that delivered something and then ended: watch again at once from where it
 *   got to (the server closed it, or died and the client moved on to the next server).
 * - Otherwise (it failed, or ended before delivering anything): pause, then watch again from
 *   the same resourceVersion, backing off while it keeps failing.
 */
export function afterWatch(failure: ApiError | undefined, delivered: boolean, listPending: boolean): 'relist' | 'watch' | 'back-off' {
  if (failure?.reason === 'Expired') return 'relist';
  if (listPending) return 'back-off';
  if (delivered) return 'watch';
  return 'back-off';
}

// A handler's bug must not stop the informer feeding every other handler.
function safe(fn: () => void): void {
  try { fn(); } catch (e) { console.error('informer handler failed:', e); }
}

function file<T>(index: Index<T>, key: string, obj: T): void {
  for (const value of index.fn(obj)) {
    let bucket = index.buckets.get(value);
    if (!bucket) index.buckets.set(value, (bucket = new Map()));
    bucket.set(key, obj);
  }
}

function unfile<T>(index: Index<T>, key: string, obj: T): void {
  for (const value of index.fn(obj)) {
    const bucket = index.buckets.get(value);
    if (!bucket) continue;
    bucket.delete(key);
    if (bucket.size === 0) index.buckets.delete(value);
  }
}
