// Lists answered from memory (issue 15), as Kubernetes answers them from its watch cache, and
// since 1.31 consistent ones too (KEP-2340, ConsistentListFromCache): each listed resource's
// objects are kept in etcd's order and current from the shared watch cache, so a list costs
// a walk over memory and, when it must be consistent, one small etcd request (the current
// revision) instead of reading and decoding every object.
//
//   Registry.list ─▶ ListCaches.list ── exact revision, events, flag off, an expired page ──▶ etcd
//                      │ the first list of a resource starts its cache and is read from etcd;
//                      │ so is every list while a cache (re)fills
//                      │ resourceVersion unset (consistent): etcd's current revision R, then
//                      │   wait until the cache has seen R (≤ 3 s; else ──▶ etcd, counted);
//                      │   a cache lately > 1 s behind is not waited for ──▶ etcd (lagging)
//                      │ resourceVersion "0": at once · N, NotOlderThan: wait for N likewise
//                      ▼
//                    OrderedStore: a namespace's range, or the pods of one node (index)
//                    ─▶ selectors ─▶ limit ─▶ items in key order; resourceVersion = the
//                       revision the cache reached (≥ R); a truncated first page gets a
//                       continue token at that revision and a snapshot of the store (pointers,
//                       kept 30 s), so later pages read exactly that state from memory, or,
//                       once it is gone, from etcd at that revision
//
// The cache at revision V is etcd's state at V: every change up to V has been applied, none
// after (changes arrive in revision order, a revision's changes in one batch), and a progress
// revision only says nothing of this resource changed since. That is why a list's pages may
// come from memory or from etcd at V alike, and why both paths give the same answer.
//
// Which resources: any, started lazily by its first list (the server's own informers list
// pods, nodes, namespaces, leases and RBAC at start; clients list what they watch), except
// Events: the most numerous and short-lived objects, listed rarely and with selectors that no
// index serves (Kubernetes can size their cache to 0 for the same reason).
import { FIELD_LABELS, objectFields, type KindInfo, type KubeObject } from '@tugboat/api';
import type { ApiServerMetrics } from '../metrics.js';
import { decodeContinue, encodeContinue } from '../registry/continue-token.js';
import { objectStorageKey, resourcePrefix } from '../registry/keys.js';
import type { ListCacheHook, ListRequest, ListResult, ListSelectors, Registry } from '../registry/registry.js';
import type { Storage } from '../storage/storage.js';
import type { WatchCache } from '../watch/watch-cache.js';
import { HOLD_OBJECTS, holdText, type FieldIndex, type Held } from './held.js';
import { OrderedStore, type OrderedView } from './ordered-store.js';
import { ServerInformer } from './server-informer.js';

/** Why a list was read from etcd: the `reason` of apiserver_storage_list_total. */
export type StorageListReason = 'disabled' | 'excluded' | 'not_ready' | 'continue' | 'exact' | 'timeout' | 'lagging' | 'fill';

/** How long a background probe follows the cache towards a revision a list asked for. */
const LAG_PROBE_MS = 10_000;
/** A lag learnt longer ago than this no longer sends lists to etcd: the next one waits and learns anew. */
const LAG_MEMORY_MS = 10_000;

/**
 * How long the state a truncated first page was read from stays, for its later pages, and how
 * many such states a resource keeps: tctl and kubectl fetch a whole list's pages within
 * seconds; a slower client's later pages read etcd at the same revision instead.
 */
const SNAPSHOT_TTL_MS = 30_000;
const MAX_SNAPSHOTS = 4;

/** Resources never cached (see the header). */
export const LIST_CACHE_EXCLUDED: ReadonlySet<string> = new Set(['events']);

/** Kubernetes' watch cache indexes pods by node: every agent lists the pods on its node. */
const FIELD_INDEXES: Readonly<Record<string, FieldIndex>> = {
  Pod: { field: 'spec.nodeName', value: FIELD_LABELS['Pod']!['spec.nodeName']! },
};

/**
 * Resources held as etcd's text rather than decoded (held.ts): the numerous ones that nothing
 * in the server reads object by object on every request (the authorizers read roles,
 * bindings, nodes and namespaces).
 */
const HELD_AS_TEXT: ReadonlySet<string> = new Set(['pods']);

export interface ListCacheOptions {
  /** false: every list reads etcd, as before (--list-from-cache=false). Default true. */
  readonly enabled?: boolean;
  /** How long a list waits for the cache to reach the revision it needs (default 3 s, Kubernetes'). */
  readonly waitTimeoutMs?: number;
  /**
   * A cache found this far (ms) behind the revisions lists ask for, within the last 10 s, is
   * not waited for: the lists read etcd at once (default 1 s). See `lagging`.
   */
  readonly maxLagMs?: number;
  readonly now?: () => number;
  readonly metrics?: Pick<ApiServerMetrics, 'cacheListTotal' | 'storageListTotal' | 'cacheReadWait'>;
  readonly log?: (line: string) => void;
  /** Between attempts to fill a cache while etcd does not answer (default 1 s). */
  readonly retryMs?: number;
}

/** A store's lists, whatever form it holds its entries in. */
interface Listable {
  list(info: KindInfo, req: ListRequest, selectors: ListSelectors, revision: number, after?: string): { result: ListResult; index: string };
  /** The current state, for a truncated list's later pages (see OrderedSnapshot). */
  snapshot(): Listable;
}

function listable<E>(view: OrderedView<E>, snapshot: () => OrderedView<E>): Listable {
  return {
    list: (info, req, selectors, revision, after) => listStore(view, info, req, selectors, revision, after),
    snapshot: () => {
      const frozen = snapshot();
      return listable(frozen, () => frozen);
    },
  };
}

/** A store and its lists. */
function withLists<E>(store: OrderedStore<E>): [OrderedStore<E>, Listable] {
  return [store, listable(store, () => store.snapshot())];
}

/** One resource's cache: the store and the informer that keeps it. */
interface ResourceCache {
  readonly store: Listable;
  readonly informer: ServerInformer;
  /** How long the cache last took to reach a revision a list asked for, and when that was learnt. */
  lag: { ms: number; at: number };
  /** A probe is following the cache (one at a time: every waiter costs each change a look). */
  probing: boolean;
  /** The store at the revisions of truncated first pages, for their later pages; oldest first. */
  readonly snapshots: Map<number, { readonly view: Listable; readonly expires: number }>;
}

export class ListCaches implements ListCacheHook {
  private readonly caches = new Map<string, ResourceCache>();
  /** Informers handed out while the cache is off (see informer()). */
  private readonly standalone: ServerInformer[] = [];
  private readonly enabled: boolean;
  private readonly waitTimeoutMs: number;
  private readonly maxLagMs: number;
  private readonly now: () => number;
  private stopped = false;

  constructor(
    private readonly registry: Registry,
    private readonly watchCache: WatchCache,
    private readonly storage: Storage,
    private readonly options: ListCacheOptions = {},
  ) {
    this.enabled = options.enabled ?? true;
    this.waitTimeoutMs = options.waitTimeoutMs ?? 3_000;
    this.maxLagMs = options.maxLagMs ?? 1_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * The server's one informer of `resource`, for the registry's object cache and the
   * authorizers as well as for lists: a second informer of a listed resource would keep a
   * second copy current from every change (leases alone change 100 times a second at 1,000
   * nodes). Started, and owned here: stop() stops it. With the cache off, or for a resource it
   * never holds, an informer of the caller's own per call (its objects kept unless
   * `keep` is 'handlers', for the pods the Node graph only needs events of).
   */
  informer(resource: string, keep: 'objects' | 'handlers' = 'objects'): ServerInformer {
    const info = this.registry.resolve(resource);
    if (this.holdsResolved(info)) return this.cacheFor(info).informer;
    const informer = new ServerInformer(info.resource, this.registry, this.watchCache, this.storage, this.options.log ? { log: this.options.log } : {});
    informer.keepObjects = keep === 'objects';
    this.standalone.push(informer);
    if (!this.stopped) informer.start();
    return informer;
  }

  /** Whether informer(resource) is the list cache's own, which keeps every object (true unless off or excluded). */
  holds(resource: string): boolean {
    return this.holdsResolved(this.registry.resolve(resource));
  }

  private holdsResolved(info: KindInfo): boolean {
    return this.enabled && !LIST_CACHE_EXCLUDED.has(info.resource);
  }

  /** The resources with a cache (started, filled or not). */
  resources(): string[] {
    return [...this.caches.keys()];
  }

  /** Whether `resource`'s cache holds a full list and follows the watch (tests, metrics). */
  isFollowing(resource: string): boolean {
    return this.caches.get(resource)?.informer.isFollowing() ?? false;
  }

  /** Resolves once `resource`'s cache is filled (starting it if need be). */
  async synced(resource: string): Promise<void> {
    await this.cacheFor(this.registry.resolve(resource)).informer.hasSynced;
  }

  stop(): void {
    this.stopped = true;
    for (const c of this.caches.values()) c.informer.stop();
    for (const i of this.standalone) i.stop();
    this.caches.clear();
    this.standalone.length = 0;
  }

  async list(info: KindInfo, req: ListRequest, selectors: ListSelectors): Promise<ListResult | undefined> {
    const why = this.etcdOnly(info, req);
    if (why === 'continue') {
      const page = this.fromSnapshot(info, req, selectors);
      if (page) return page;
    }
    if (why) return this.fromEtcd(info, why);
    const cache = this.cacheFor(info);
    if (!cache.informer.isFollowing()) return this.fromEtcd(info, 'not_ready');
    // Consistent: the state etcd has now, which only a read of etcd can tell (its current
    // revision: a range over no keys, so nothing is read or decoded).
    const wanted = req.notOlderThan ?? await this.storage.currentRevision();
    if (cache.informer.seenRevision() < wanted) {
      this.probeLag(cache, wanted);
      if (this.lagging(cache)) return this.fromEtcd(info, 'lagging');
      const end = this.options.metrics?.cacheReadWait.startTimer({ resource: info.resource });
      await cache.informer.waitForRevision(wanted, this.waitTimeoutMs);
      end?.();
      // Kubernetes answers a consistent list from etcd when its cache is late, too.
      if (cache.informer.seenRevision() < wanted) return this.fromEtcd(info, 'timeout');
    } else {
      cache.lag = { ms: 0, at: this.now() };
    }
    // It may have lost its place while this list waited: its store is then older than etcd.
    if (!cache.informer.isFollowing()) return this.fromEtcd(info, 'not_ready');
    const revision = cache.informer.seenRevision();
    const { result, index } = cache.store.list(info, req, selectors, revision);
    if (result.continue) this.keepSnapshot(cache, revision);
    this.options.metrics?.cacheListTotal.inc({ resource: info.resource, index });
    return result;
  }

  /**
   * A later page, from the state its first page was read from (Kubernetes 1.33 serves them
   * from snapshots of its watch cache likewise); undefined when that state is no longer kept.
   */
  private fromSnapshot(info: KindInfo, req: ListRequest, selectors: ListSelectors): ListResult | undefined {
    const cache = this.caches.get(info.resource);
    if (!cache || !req.continue) return undefined;
    // The same checks, and the same errors, as the etcd path's.
    const token = decodeContinue(req.continue, resourcePrefix(info, req.namespace));
    const kept = cache.snapshots.get(token.revision);
    if (!kept || kept.expires <= this.now()) return undefined;
    // Storage key → store key: a cluster-scoped object's store key has an empty namespace.
    const suffix = token.startKey.slice(resourcePrefix(info).length);
    const after = info.namespaced ? suffix : `/${suffix}`;
    const { result } = kept.view.list(info, req, selectors, token.revision, after);
    this.options.metrics?.cacheListTotal.inc({ resource: info.resource, index: '' });
    return result;
  }

  private keepSnapshot(cache: ResourceCache, revision: number): void {
    const now = this.now();
    for (const [rev, kept] of cache.snapshots) if (kept.expires <= now) cache.snapshots.delete(rev);
    if (cache.snapshots.has(revision)) return;
    if (cache.snapshots.size >= MAX_SNAPSHOTS) cache.snapshots.delete(cache.snapshots.keys().next().value!);
    cache.snapshots.set(revision, { view: cache.store.snapshot(), expires: now + SNAPSHOT_TTL_MS });
  }

  /**
   * Learns, in the background, how long the cache takes to reach `wanted`: the lists that do
   * not wait for it (lagging) still tell when it has caught up again.
   */
  private probeLag(cache: ResourceCache, wanted: number): void {
    if (cache.probing) return;
    cache.probing = true;
    const asked = this.now();
    void cache.informer.waitForRevision(wanted, LAG_PROBE_MS).then(() => {
      const reached = cache.informer.seenRevision() >= wanted;
      cache.lag = { ms: reached ? this.now() - asked : LAG_PROBE_MS, at: this.now() };
      cache.probing = false;
    });
  }

  /**
   * The cache was lately more than maxLagMs behind the revisions lists asked for: its watch is
   * not keeping up (bench:density on a loaded machine saw 2–3 s, with the API server's event
   * loop starved and etcd's watch throttled by the HTTP/2 window). Waiting would cost each list
   * up to the timeout and then the etcd read anyway, so it reads etcd at once, as every list
   * did before the cache. (Kubernetes fails such lists rather than risk a cascade onto etcd;
   * here a list that times out falls back to etcd all the same.)
   */
  private lagging(cache: ResourceCache): boolean {
    return cache.lag.ms > this.maxLagMs && this.now() - cache.lag.at < LAG_MEMORY_MS;
  }

  /** Why this list must be read from etcd whatever the cache holds; undefined when it need not. */
  private etcdOnly(info: KindInfo, req: ListRequest): StorageListReason | undefined {
    if (!this.enabled || this.stopped) return 'disabled';
    if (LIST_CACHE_EXCLUDED.has(info.resource)) return 'excluded';
    // A later page: from its first page's snapshot when one is kept (fromSnapshot), else etcd.
    if (req.continue) return 'continue';
    if (req.revision !== undefined) return 'exact';
    return undefined;
  }

  private fromEtcd(info: KindInfo, reason: StorageListReason): undefined {
    this.options.metrics?.storageListTotal.inc({ resource: info.resource, reason });
    return undefined;
  }

  private cacheFor(info: KindInfo): ResourceCache {
    let cache = this.caches.get(info.resource);
    if (cache) return cache;
    const index = FIELD_INDEXES[info.kind];
    const [store, lists] = HELD_AS_TEXT.has(info.resource) ? withLists(new OrderedStore(holdText(index), index)) : withLists(new OrderedStore(HOLD_OBJECTS, index));
    const informer = new ServerInformer(info.resource, this.registry, this.watchCache, this.storage, {
      store,
      list: () => {
        this.options.metrics?.storageListTotal.inc({ resource: info.resource, reason: 'fill' });
        return this.registry.listFromStorage(info.resource);
      },
      ...(this.options.log ? { log: this.options.log } : {}),
      ...(this.options.retryMs !== undefined ? { retryMs: this.options.retryMs } : {}),
    });
    cache = { store: lists, informer, lag: { ms: 0, at: 0 }, probing: false, snapshots: new Map() };
    this.caches.set(info.resource, cache);
    if (!this.stopped) informer.start();
    return cache;
  }
}

/**
 * A list as etcd would answer it at `revision` (Registry.readList): the objects of the
 * namespace (or all) in key order that match the selectors, at most `limit`, and when the
 * limit cut it short while keys follow, a continue token after the last one and, without
 * selectors, how many follow. `index` names the field index used ('' for none).
 */
export function listStore<E>(
  store: OrderedView<E>,
  info: KindInfo,
  req: ListRequest,
  { labels, fields }: ListSelectors,
  revision: number,
  /** A later page: the store key to start at (the continue token's). */
  after?: string,
): { result: ListResult; index: string } {
  const namespace = info.namespaced ? req.namespace ?? '' : '';
  const limit = req.limit && req.limit > 0 ? req.limit : 0;
  const filtered = !labels.isEmpty() || !fields.isEmpty();
  const keys = store.keys();
  const [start, to] = store.range(namespace);
  const from = after === undefined ? start : Math.max(start, store.lowerBound(after));
  // A selector that pins the indexed field to a value: only the keys holding that value.
  const pinned = store.index ? fields.requirements.find((r) => r.operator === '=' && r.field === store.index!.field) : undefined;
  const candidates = pinned
    ? store.keysWithValue(pinned.value)!.filter((k) => (!namespace || k.startsWith(`${namespace}/`)) && (after === undefined || k >= after))
    : undefined;

  const { held } = store;
  // The index answers the pinned requirement; only others need the object's fields (a pod held
  // as text is decoded for them).
  const checkFields = !fields.isEmpty() && !(pinned && fields.requirements.length === 1);
  const entries: E[] = [];
  let last: string | undefined;
  const consider = (key: string): boolean => {
    const e = store.byKey(key);
    if (e === undefined) return false;
    if (filtered && !(labels.matches(held.labels(e)) && (!checkFields || fields.matches(objectFields(held.object(e)))))) return false;
    entries.push(e);
    last = key;
    return limit > 0 && entries.length >= limit;
  };
  if (candidates) {
    for (const key of candidates) if (consider(key)) break;
  } else {
    for (let i = from; i < to; i++) if (consider(keys[i]!)) break;
  }

  let token = '';
  let remaining = 0;
  if (limit > 0 && entries.length >= limit && last !== undefined) {
    // etcd's rule: a token whenever any key of the range follows the last item, matching or not.
    const at = store.lowerBound(last);
    if (at + 1 < to) {
      // Store key (namespace/name, '' for cluster-scoped) → storage key.
      const slash = last.indexOf('/');
      const startKey = `${objectStorageKey(info, last.slice(0, slash), last.slice(slash + 1))}\0`;
      token = encodeContinue({ revision, startKey });
      remaining = filtered ? 0 : to - at - 1;
    }
  }
  return {
    result: listResult(held, entries, { resourceVersion: String(revision), continue: token, remainingItemCount: remaining }),
    index: pinned ? pinned.field : '',
  };
}

/**
 * The result of a list of entries: the objects themselves, or, for entries held as text, their
 * JSON for clients (encodedItems: spliced, not encoded) and the objects decoded only if asked
 * for (a REST list, a Table, the server's own lists).
 */
function listResult<E>(held: Held<E>, entries: readonly E[], meta: Omit<ListResult, 'items'>): ListResult {
  const json = held.json;
  if (!json) return { ...meta, items: entries.map((e) => held.object(e)) };
  let items: KubeObject[] | undefined;
  let encoded: string[] | undefined;
  return {
    ...meta,
    get items() { return (items ??= entries.map((e) => held.object(e))); },
    get encodedItems() { return (encoded ??= entries.map((e) => json(e))); },
  };
}
