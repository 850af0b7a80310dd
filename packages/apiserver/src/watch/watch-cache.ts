// The watch fan-out: ONE etcd watch on /registry/ for the whole API server, a window of recent
// changes per resource, and the subscribers (open Watch streams) each change goes to. A
// change is decoded once whatever the number of watchers, and a watcher resuming from a
// recent resourceVersion is served from the window without asking etcd (kube-apiserver's
// watch cache does the same). A watcher older than the window gets its own etcd watch
// (see watch-service.ts), which is where "expired" comes from when etcd compacted past it.
import type { ApiError } from '@tugboat/api';
import { parseStorageKey, REGISTRY_ROOT } from '../registry/keys.js';
import type { Storage, StorageEvent, StorageWatch } from '../storage/storage.js';
import { Change, fieldsOf } from './change.js';

export interface Subscriber {
  readonly resource: string;
  /**
   * The watcher's selector requires field = value: it is only handed changes whose object
   * (before or after) has that value — kube-apiserver's watch cache indexes pod watchers by
   * spec.nodeName the same way, so a pod event costs one agent, not all of them.
   */
  readonly index?: { readonly field: string; readonly value: string };
  /** Receives changes with revision > the one it subscribed after, in revision order. */
  deliver(change: Change): void;
  /**
   * Every change up to `revision` has been delivered. Optional: calling every watcher on each
   * etcd answer cost a fifth of the server's time with a thousand node watches, so a watcher
   * that only needs it for its next bookmark reads WatchCache.progress() then instead.
   */
  progress?(revision: number): void;
  /** The cache lost its place (etcd compacted while it was disconnected): relist. */
  expire(err: ApiError): void;
}

export interface WatchCacheOptions {
  /** Changes kept per resource for watchers that resume, however old (default 1,000). */
  readonly capacity?: number;
  /**
   * Changes younger than this are kept beyond `capacity` (default 75 s, Kubernetes' watch
   * cache eventFreshDuration): a client whose connection dropped for a few seconds resumes
   * from the cache whatever the write rate. At fleet scale a count alone held a few seconds
   * of pod changes, so every resuming watcher fell through to a watch on etcd from its old
   * revision, and hundreds of those at once (hollow nodes reconnecting) left etcd replaying
   * history: the API stalled for minutes (bench:density, 2026-12-06).
   */
  readonly retentionMs?: number;
  /** Never more than this many changes per resource (default 50,000), fresh or not. */
  readonly maxCapacity?: number;
  readonly now?: () => number;
  readonly onError?: (err: ApiError) => void;
}

/** How often quiet windows are trimmed (at most the retention). */
const SWEEP_MS = 5_000;

interface Window {
  /** Every change with revision > start is in `changes` (or still to come). */
  start: number;
  changes: Change[];
  /** When each change arrived (ms), parallel to `changes`. */
  arrived: number[];
  /** changes[0 .. released) have released their decoded objects. */
  released: number;
  /** The newest change of each key in `changes`: its value is the next change's prevValue. */
  latest: Map<string, Change>;
}

export class WatchCache {
  private readonly capacity: number;
  private readonly retentionMs: number;
  private readonly maxCapacity: number;
  private readonly now: () => number;
  private watch: StorageWatch | undefined;
  private ready = false;
  private startRevision = 0;
  private progressRevision = 0;
  private readonly windows = new Map<string, Window>();
  private readonly subscribers = new Map<string, Subscribers>();
  /** The subscribers that want every progress revision pushed (the server's informers). */
  private readonly progressSubscribers = new Set<Subscriber>();
  private stopped = false;
  private readyWaiters: (() => void)[] = [];
  /** Trims windows that no new change would trim (see sweep()). */
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly storage: Storage, private readonly options: WatchCacheOptions = {}) {
    this.capacity = Math.max(1, options.capacity ?? 1_000);
    this.retentionMs = options.retentionMs ?? 75_000;
    this.maxCapacity = Math.max(this.capacity, options.maxCapacity ?? 50_000);
    this.now = options.now ?? Date.now;
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
    if (this.retentionMs > 0 && !this.sweeper) {
      this.sweeper = setInterval(() => this.sweep(), Math.min(this.retentionMs, SWEEP_MS));
      this.sweeper.unref();
    }
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
    clearInterval(this.sweeper);
    this.sweeper = undefined;
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
    let subs = this.subscribers.get(sub.resource);
    if (!subs) this.subscribers.set(sub.resource, (subs = new Subscribers()));
    // Changes at or before afterRevision that are still to come must not reach it.
    const gated: Subscriber = afterRevision > this.progressRevision ? gate(sub, afterRevision) : sub;
    const set = subs;
    set.add(gated);
    if (gated.progress) this.progressSubscribers.add(gated);
    return () => {
      set.delete(gated);
      this.progressSubscribers.delete(gated);
    };
  }

  private onEvents(events: readonly StorageEvent[]): void {
    // One batch of etcd's watch arrives at once.
    const now = this.now();
    for (const ev of events) {
      const target = parseStorageKey(ev.key);
      if (!target) continue;
      const resource = target.info.resource;
      let win = this.windows.get(resource);
      if (!win) this.windows.set(resource, (win = { start: this.startRevision, changes: [], arrived: [], released: 0, latest: new Map() }));
      const change = new Change(sharePrevious(ev, win.latest.get(ev.key)), target);
      win.latest.set(ev.key, change);
      win.changes.push(change);
      win.arrived.push(now);
      if (win.changes.length > this.capacity) this.trim(win, now);
      this.subscribers.get(resource)?.deliver(change);
    }
  }

  /**
   * Keeps the newest `capacity` changes and any younger than `retentionMs`, at most
   * `maxCapacity`. Drops in blocks (a second's worth, or a tenth of the capacity) so trimming
   * is not a shift per change; changes past the newest `capacity` keep only etcd's bytes.
   */
  private trim(win: Window, now: number): void {
    const n = win.changes.length;
    let drop = 0;
    if (n > this.maxCapacity) drop = n - this.maxCapacity + Math.ceil(this.maxCapacity / 10);
    else if (this.retentionMs === 0) drop = n - this.capacity + Math.ceil(this.capacity / 10);
    else if (now - win.arrived[0]! > this.retentionMs + 1_000) {
      const limit = n - this.capacity;
      while (drop < limit && now - win.arrived[drop]! > this.retentionMs) drop++;
    }
    drop = Math.min(drop, n - 1);
    if (drop > 0) {
      const dropped = win.changes.splice(0, drop);
      win.arrived.splice(0, drop);
      for (const c of dropped) if (win.latest.get(c.key) === c) win.latest.delete(c.key);
      win.start = dropped[dropped.length - 1]!.revision;
      win.released = Math.max(0, win.released - drop);
    }
    const keepDecoded = win.changes.length - this.capacity;
    for (; win.released < keepDecoded; win.released++) win.changes[win.released]!.release();
  }

  /**
   * A window is trimmed when a change arrives; one whose resource then goes quiet would keep
   * its burst for good (10,000 pods started, then nothing: 30,000 changes, 90 MB, held while
   * the pods ran). Every few seconds each window older than the retention is trimmed too.
   */
  sweep(now = this.now()): void {
    for (const win of this.windows.values()) if (win.changes.length > this.capacity) this.trim(win, now);
  }

  private onProgress(revision: number): void {
    if (revision <= this.progressRevision) return;
    this.progressRevision = revision;
    for (const s of this.progressSubscribers) s.progress?.(revision);
  }

  private onWatchError(err: ApiError): void {
    // The cache's own watch only fails when etcd compacted past it while it was away: every
    // subscriber may have missed changes, so each must relist; then start over from now.
    this.options.onError?.(err);
    const subs = [...this.subscribers.values()].flatMap((s) => [...s.all()]);
    this.subscribers.clear();
    this.windows.clear();
    this.watch = undefined;
    this.ready = false;
    for (const s of subs) s.expire(err);
    if (!this.stopped) this.start();
  }
}

/** One resource's subscribers: those that take every change, and those indexed by a field's value. */
export class Subscribers {
  private readonly plain = new Set<Subscriber>();
  /** field → value → subscribers. */
  private readonly indexed = new Map<string, Map<string, Set<Subscriber>>>();

  add(s: Subscriber): void {
    if (!s.index) {
      this.plain.add(s);
      return;
    }
    let byValue = this.indexed.get(s.index.field);
    if (!byValue) this.indexed.set(s.index.field, (byValue = new Map()));
    let set = byValue.get(s.index.value);
    if (!set) byValue.set(s.index.value, (set = new Set()));
    set.add(s);
  }

  delete(s: Subscriber): void {
    if (!s.index) {
      this.plain.delete(s);
      return;
    }
    const byValue = this.indexed.get(s.index.field);
    const set = byValue?.get(s.index.value);
    set?.delete(s);
    if (set && set.size === 0) byValue!.delete(s.index.value);
  }

  *all(): Iterable<Subscriber> {
    yield* this.plain;
    for (const byValue of this.indexed.values()) for (const set of byValue.values()) yield* set;
  }

  deliver(change: Change): void {
    for (const s of this.plain) s.deliver(change);
    if (this.indexed.size === 0) return;
    const now = change.object();
    const before = change.previous();
    for (const [field, byValue] of this.indexed) {
      // A delete whose last state etcd no longer had: no value to look up, so everyone
      // indexed on this field hears of it (an extra DELETED is harmless, a missed one is not).
      if (change.event.type === 'delete' && !before) {
        for (const set of byValue.values()) for (const s of set) s.deliver(change);
        continue;
      }
      const a = now ? fieldsOf(now)[field] ?? '' : undefined;
      const b = before ? fieldsOf(before)[field] ?? '' : undefined;
      if (a !== undefined) for (const s of byValue.get(a) ?? []) s.deliver(change);
      if (b !== undefined && b !== a) for (const s of byValue.get(b) ?? []) s.deliver(change);
    }
  }
}

/**
 * The event with its previous value taken from the key's change before it, when that one is
 * still held and says the same: etcd sends each update's old value as a copy of its own, and
 * at fleet scale those copies were half the history (50,000 pods: a few hundred MB kept 75 s).
 */
function sharePrevious(ev: StorageEvent, prior: Change | undefined): StorageEvent {
  if (ev.prevValue === undefined || prior === undefined || prior.event.type !== 'put') return ev;
  const held = prior.event.value;
  return held === ev.prevValue ? { ...ev, prevValue: held } : ev;
}

/** A subscriber that ignores changes at or before `after` (it subscribed ahead of the cache). */
function gate(sub: Subscriber, after: number): Subscriber {
  return {
    resource: sub.resource,
    ...(sub.index ? { index: sub.index } : {}),
    deliver: (c) => { if (c.revision > after) sub.deliver(c); },
    ...(sub.progress ? { progress: (rev: number) => { if (rev > after) sub.progress?.(rev); } } : {}),
    expire: (err) => sub.expire(err),
  };
}
