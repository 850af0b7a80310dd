// The watch fan-out: ONE etcd watch on /registry/ for the whole API server, a window of recent
// changes per resource, and the subscribers (open Watch streams) each change goes to. A
// change is decoded once whatever the number of watchers, and a watcher resuming from a
// recent resourceVersion is served from the window without asking etcd (kube-apiserver's
// watch cache does the same). A watcher older than the window gets its own etcd watch
// (see watch-service.ts), which is where "expired" comes from when etcd compacted past it.
import type { ApiError } from '@tugboat/api';
import { parseStorageKey, REGISTRY_ROOT } from '../registry/keys.js';
import type { Storage, StorageEvent, StorageWatch } from '../storage/storage.js';
import { Change } from './change.js';

export interface Subscriber {
  readonly resource: string;
  /** Receives changes with revision > the one it subscribed after, in revision order. */
  deliver(change: Change): void;
  /** Every change up to `revision` has been delivered. */
  progress(revision: number): void;
  /** The cache lost its place (etcd compacted while it was disconnected): relist. */
  expire(err: ApiError): void;
}

export interface WatchCacheOptions {
  /** Changes kept per resource for watchers that resume. */
  readonly capacity?: number;
  readonly onError?: (err: ApiError) => void;
}

interface Window {
  /** Every change with revision > start is in `changes` (or still to come). */
  start: number;
  changes: Change[];
}

export class WatchCache {
  private readonly capacity: number;
  private watch: StorageWatch | undefined;
  private ready = false;
  private startRevision = 0;
  private progressRevision = 0;
  private readonly windows = new Map<string, Window>();
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  private stopped = false;
  private readyWaiters: (() => void)[] = [];

  constructor(private readonly storage: Storage, private readonly options: WatchCacheOptions = {}) {
    this.capacity = Math.max(1, options.capacity ?? 1_000);
  }

  /** Starts following etcd (it need not be up: the watch connects when it is). */
  start(): void {
    if (this.stopped || this.watch) return;
    const w = this.storage.watch(REGISTRY_ROOT, undefined, {
      onEvents: (events) => this.onEvents(events),
      onProgress: (rev) => this.onProgress(rev),
      onError: (err) => this.onWatchError(err),
    });
    this.watch = w;
    void w.started.then((rev) => {
      if (this.watch !== w) return;
      this.startRevision = rev;
      this.progressRevision = Math.max(this.progressRevision, rev);
      this.ready = true;
      for (const r of this.readyWaiters.splice(0)) r();
    });
  }

  /**
   * Resolves once the cache follows etcd, so a subscriber that lists after this can follow
   * from the cache (and sees each change in the same order as every other subscriber).
   */
  whenReady(): Promise<void> {
    if (this.ready || this.stopped) return Promise.resolve();
    return new Promise((r) => this.readyWaiters.push(r));
  }

  stop(): void {
    this.stopped = true;
    this.watch?.close();
    this.watch = undefined;
    this.ready = false;
    for (const r of this.readyWaiters.splice(0)) r();
  }

  /** The revision every delivered change is at or below (bookmarks carry it). */
  progress(): number {
    return this.progressRevision;
  }

  /**
   * Subscribes after `afterRevision`: replays what the window holds, then follows. Returns
   * undefined when the window does not reach back that far (or the cache is not following
   * etcd yet); the caller then watches etcd itself.
   */
  subscribe(sub: Subscriber, afterRevision: number): (() => void) | undefined {
    if (!this.ready) return undefined;
    const win = this.windows.get(sub.resource);
    const start = win?.start ?? this.startRevision;
    if (afterRevision < start) return undefined;
    if (win) {
      for (const c of win.changes) if (c.revision > afterRevision) sub.deliver(c);
    }
    let set = this.subscribers.get(sub.resource);
    if (!set) this.subscribers.set(sub.resource, (set = new Set()));
    // Changes at or before afterRevision that are still to come must not reach it.
    const gated: Subscriber = afterRevision > this.progressRevision ? gate(sub, afterRevision) : sub;
    set.add(gated);
    return () => { set.delete(gated); };
  }

  private onEvents(events: readonly StorageEvent[]): void {
    for (const ev of events) {
      const target = parseStorageKey(ev.key);
      if (!target) continue;
      const change = new Change(ev, target);
      const resource = target.info.resource;
      let win = this.windows.get(resource);
      if (!win) this.windows.set(resource, (win = { start: this.startRevision, changes: [] }));
      win.changes.push(change);
      if (win.changes.length > this.capacity) {
        // Drop in blocks so trimming is not a shift per change.
        const drop = win.changes.length - this.capacity + Math.ceil(this.capacity / 10);
        const dropped = win.changes.splice(0, Math.min(drop, win.changes.length - 1));
        win.start = dropped[dropped.length - 1]!.revision;
      }
      const subs = this.subscribers.get(resource);
      if (subs) for (const s of subs) s.deliver(change);
    }
  }

  private onProgress(revision: number): void {
    if (revision <= this.progressRevision) return;
    this.progressRevision = revision;
    for (const subs of this.subscribers.values()) for (const s of subs) s.progress(revision);
  }

  private onWatchError(err: ApiError): void {
    // The cache's own watch only fails when etcd compacted past it while it was away: every
    // subscriber may have missed changes, so each must relist; then start over from now.
    this.options.onError?.(err);
    const subs = [...this.subscribers.values()].flatMap((s) => [...s]);
    this.subscribers.clear();
    this.windows.clear();
    this.watch = undefined;
    this.ready = false;
    for (const s of subs) s.expire(err);
    if (!this.stopped) this.start();
  }
}

/** A subscriber that ignores changes at or before `after` (it subscribed ahead of the cache). */
function gate(sub: Subscriber, after: number): Subscriber {
  return {
    resource: sub.resource,
    deliver: (c) => { if (c.revision > after) sub.deliver(c); },
    progress: (rev) => { if (rev > after) sub.progress(rev); },
    expire: (err) => sub.expire(err),
  };
}
