// An informer inside the API server: the objects of one resource, listed once and then kept
// current from the shared watch cache (no etcd watch of its own), so authorizers and token
// validation answer from memory instead of asking etcd on every request. Kubernetes' Node
// authorizer and RBAC read their graph and roles the same way.
//
//   registry.list ─▶ store.replace ─▶ watch cache subscription (after the list's revision)
//        ▲                                  │ every change: store.put/remove, handlers
//        └──── relist when the cache expires (etcd compacted while it was away)
import type { KubeObject } from '@tugboat/api';
import { parseStorageKey, resourcePrefix } from '../registry/keys.js';
import type { Registry } from '../registry/registry.js';
import type { Storage } from '../storage/storage.js';
import { Change } from '../watch/change.js';
import type { WatchCache } from '../watch/watch-cache.js';
import { MemoryStore, type InformerStore } from './object-store.js';

export interface InformerHandlers<T extends KubeObject> {
  /** A new or changed object; `old` is its previous state when known. */
  onUpsert?(obj: T, old: T | undefined): void;
  onDelete?(obj: T): void;
  /** After a (re)list replaced everything. */
  onReplace?(objects: readonly T[]): void;
}

export interface ServerInformerOptions<T extends KubeObject> {
  readonly retryMs?: number;
  readonly log?: (line: string) => void;
  /** Where the objects are kept (default: a MemoryStore of its own; the list cache's keeps etcd's order). */
  readonly store?: InformerStore<T>;
  /**
   * How it (re)lists (default Registry.list). The list cache fills itself from etcd: a list
   * through Registry.list would be answered by the very cache being filled.
   */
  readonly list?: () => Promise<{ readonly items: readonly KubeObject[]; readonly resourceVersion: string }>;
}

export class ServerInformer<T extends KubeObject = KubeObject> {
  readonly store: InformerStore<T>;
  /** False: handlers only, no copy of the objects (the pods informer feeds a compact graph). */
  keepObjects = true;
  private readonly handlers: InformerHandlers<T>[] = [];
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private started = false;
  private synced = false;
  private revision = 0;
  private readonly waiters = new Set<{ revision: number; resolve: () => void }>();
  private resolveSynced!: () => void;
  /** Resolves once the first list is in the store. */
  readonly hasSynced: Promise<void>;

  constructor(
    readonly resource: string,
    private readonly registry: Registry,
    private readonly cache: WatchCache,
    private readonly storage: Storage,
    private readonly options: ServerInformerOptions<T> = {},
  ) {
    this.store = options.store ?? new MemoryStore<T>();
    this.hasSynced = new Promise((r) => { this.resolveSynced = r; });
  }

  addHandlers(h: InformerHandlers<T>): void {
    this.handlers.push(h);
  }

  isSynced(): boolean {
    return this.synced;
  }

  /**
   * Synced and following the watch: the store is etcd's state at seenRevision(). False while
   * it relists after losing its place, when the store is older than that and stays so.
   */
  isFollowing(): boolean {
    return this.synced && !this.stopped && this.unsubscribe !== undefined;
  }

  /** The revision up to which every change of the store's resource has been applied. */
  seenRevision(): number {
    return this.revision;
  }

  /** Resolves once the store has applied every change up to `revision` (or after `timeoutMs`). */
  waitForRevision(revision: number, timeoutMs: number): Promise<void> {
    if (this.revision >= revision) return Promise.resolve();
    return new Promise((resolve) => {
      const w = { revision, resolve: () => { clearTimeout(t); this.waiters.delete(w); resolve(); } };
      const t = setTimeout(w.resolve, timeoutMs);
      t.unref();
      this.waiters.add(w);
    });
  }

  /** Starts listing and following; once only (a second call does nothing). */
  start(): void {
    if (this.stopped || this.started) return;
    this.started = true;
    void this.relist();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const w of [...this.waiters]) w.resolve();
  }

  private advance(revision: number): void {
    if (revision <= this.revision) return;
    this.revision = revision;
    for (const w of [...this.waiters]) if (w.revision <= revision) w.resolve();
  }

  private retry(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.timer = undefined; void this.relist(); }, this.options.retryMs ?? 1_000);
    this.timer.unref();
  }

  private async relist(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    let items: readonly KubeObject[];
    let rv: number;
    // List once the cache follows etcd: then the changes after the list come from the cache,
    // in the order every watcher sees them (the Node authorizer relies on learning of a pod
    // before the node's own watch does).
    await this.cache.whenReady();
    if (this.stopped) return;
    try {
      const res = await (this.options.list?.() ?? this.registry.list(this.resource));
      items = res.items;
      rv = Number(res.resourceVersion);
    } catch (e) {
      // etcd away: the store keeps what it had; try again.
      if (!this.synced) this.options.log?.(`informer ${this.resource}: waiting for etcd: ${e instanceof Error ? e.message : String(e)}`);
      this.retry();
      return;
    }
    if (this.stopped) return;
    const objects = items as T[];
    if (this.keepObjects) this.store.replace(objects);
    this.advance(rv);
    for (const h of this.handlers) h.onReplace?.(objects);
    if (!this.synced) {
      this.synced = true;
      this.resolveSynced();
    }
    this.follow(rv);
  }

  private follow(after: number): void {
    const info = this.registry.resolve(this.resource);
    const deliver = (change: Change): void => {
      if (this.stopped) return;
      const obj = change.object() as T | undefined;
      // The previous state is for handlers: without any (the list cache), it is not decoded.
      const prev = this.handlers.length ? change.previous() as T | undefined : undefined;
      if (change.event.type === 'put' && obj) {
        if (this.keepObjects) this.store.put(obj, { value: change.event.value, revision: change.revision });
        for (const h of this.handlers) h.onUpsert?.(obj, prev);
      } else if (change.event.type === 'delete') {
        const { namespace, name } = change.target;
        const old = (this.keepObjects ? this.store.remove(namespace, name) : undefined) ?? prev;
        if (old) for (const h of this.handlers) h.onDelete?.(old);
      }
      this.advance(change.revision);
    };
    const expire = (): void => {
      this.unsubscribe?.();
      this.unsubscribe = undefined;
      this.retry();
    };
    const fromCache = this.cache.subscribe({
      resource: info.resource,
      deliver,
      progress: (rev) => this.advance(rev),
      expire,
    }, after);
    if (fromCache) {
      this.unsubscribe = fromCache;
      return;
    }
    // The cache is not following etcd yet (or its window starts later): watch etcd directly.
    const w = this.storage.watch(resourcePrefix(info), after, {
      onEvents: (events) => {
        for (const ev of events) {
          const target = parseStorageKey(ev.key);
          if (target && target.info === info) deliver(new Change(ev, target));
        }
      },
      onProgress: (rev) => this.advance(rev),
      onError: expire,
    });
    this.unsubscribe = () => w.close();
  }
}
