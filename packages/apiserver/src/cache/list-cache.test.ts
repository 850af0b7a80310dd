// The list cache against a real etcd: while writes go on, every list it answers is exactly
// what etcd answers at the list's resourceVersion (items, order, continue token, remaining
// count), later pages continue it from the first page's snapshot (or etcd, once that is gone),
// a consistent list sees every write that was
// acknowledged before it, and it steps aside (to etcd) when it is late, switched off, or
// asked for what only etcd has.
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { sleep, type KubeObject } from '@tugboat/api';
import { startEtcd, type EtcdHandle } from '@tugboat/test';
import { ApiServerMetrics } from '../metrics.js';
import { objectStorageKey } from '../registry/keys.js';
import { Registry, type ListRequest, type ListResult } from '../registry/registry.js';
import { EtcdStorage } from '../storage/etcd-storage.js';
import type { StorageWatch, WatchHandlers } from '../storage/storage.js';
import { WatchCache } from '../watch/watch-cache.js';
import { ListCaches, type ListCacheOptions } from './list-cache.js';

interface Context {
  etcd: EtcdHandle;
  storage: EtcdStorage;
  cache: WatchCache;
  registry: Registry;
  lists: ListCaches;
  metrics: ApiServerMetrics;
}

const test = anyTest as TestFn<Context>;

test.before(async (t) => {
  const etcd = await startEtcd();
  const storage = new EtcdStorage({ endpoints: [etcd.endpoint] });
  const cache = new WatchCache(storage);
  cache.start();
  await cache.whenReady();
  const registry = new Registry(storage);
  const metrics = new ApiServerMetrics();
  const lists = new ListCaches(registry, cache, storage, { metrics, retryMs: 100 });
  registry.listCache = lists;
  t.context = { etcd, storage, cache, registry, lists, metrics };
});

test.after.always(async (t) => {
  t.context.lists?.stop();
  t.context.cache?.stop();
  await t.context.storage?.close();
  await t.context.etcd?.destroy();
});

// Namespaces that sort around the '/' ending a namespace in a key ('-' and '.' before it).
const NAMESPACES = ['a', 'a-b', 'a.b', 'ab', 'b'];
const NODES = ['node-1', 'node-2', 'node-3', ''];

function pod(namespace: string, name: string, node: string, app: string, phase: string): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { namespace, name, labels: { app } },
    spec: { ...(node ? { nodeName: node } : {}), containers: [{ name: 'c', image: 'busybox' }] },
    status: { phase },
  };
}
const podKey = (ns: string, name: string): string => `/registry/pods/${ns}/${name}`;
const node = (name: string, unschedulable: boolean): KubeObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { zone: name.endsWith('1') ? 'z1' : 'z2' } }, spec: { unschedulable } });

/** Deterministic "random" numbers, so a failure can be replayed. */
function randomSource(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    // The high bits: an LCG's low bits repeat with a short period.
    return Math.floor((s / 2 ** 31) * n);
  };
}

/**
 * Writes to etcd until stopped, as other clients would: creates, changes of label, node and
 * phase (a pod moving between index values), deletes. Returns the last revision written.
 */
function churn(storage: EtcdStorage, seed: number): { stop(): Promise<number>; writes(): number } {
  const random = randomSource(seed);
  let stopped = false;
  let writes = 0;
  let last = 0;
  const loop = (async () => {
    while (!stopped) {
      const ns = NAMESPACES[random(NAMESPACES.length)]!;
      const name = `p-${random(40)}`;
      const key = podKey(ns, name);
      const value = JSON.stringify(pod(ns, name, NODES[random(NODES.length)]!, random(2) ? 'web' : 'db', random(2) ? 'Running' : 'Pending'));
      const current = await storage.get(key);
      const res = !current ? await storage.create(key, value)
        : random(5) === 0 ? await storage.delete(key, current.modRevision)
          : await storage.update(key, value, current.modRevision);
      if (res.ok) {
        writes++;
        last = res.revision;
      }
    }
  })();
  return { stop: async () => { stopped = true; await loop; return last; }, writes: () => writes };
}

const names = (items: readonly KubeObject[]): string[] => items.map((o) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`);

async function counter(c: ApiServerMetrics['cacheListTotal'] | ApiServerMetrics['storageListTotal'], labels: Record<string, string>): Promise<number> {
  const { values } = await c.get();
  return values.filter((v) => Object.entries(labels).every(([k, want]) => (v.labels as Record<string, string | number | undefined>)[k] === want)).reduce((s, v) => s + v.value, 0);
}

/**
 * A result as etcd's path gives it (items only); for one read from text (pods), its JSON for
 * clients checked to be exactly its items' JSON, resourceVersion included.
 */
function asRead(res: ListResult, t: ExecutionContext<Context>, label: string): ListResult {
  const { encodedItems, ...rest } = res;
  if (encodedItems) t.deepEqual(encodedItems, res.items.map((o) => JSON.stringify(o)), `${label}: the JSON sent`);
  return { ...rest, items: [...res.items] };
}

/**
 * Lists from the cache, checks the answer is etcd's at its resourceVersion, then follows its
 * continue tokens (the first page's snapshot) and checks the pages together are etcd's whole
 * list at that revision.
 */
async function compare(registry: Registry, resource: string, req: ListRequest, t: ExecutionContext<Context>): Promise<ListResult> {
  const first = await registry.list(resource, req);
  const revision = Number(first.resourceVersion);
  const label = `${resource} ${JSON.stringify(req)} at ${revision}`;
  const etcd = await registry.listFromStorage(resource, { ...req, revision });
  t.deepEqual(asRead(first, t, label), etcd, label);
  const all = [...first.items];
  let page = first;
  while (page.continue) {
    page = await registry.list(resource, { ...req, continue: page.continue });
    t.true(page.resourceVersion === first.resourceVersion, `${label}: later pages read the first page's revision`);
    asRead(page, t, label);
    all.push(...page.items);
  }
  const { limit: _limit, ...unlimited } = req;
  const whole = await registry.listFromStorage(resource, { ...unlimited, revision });
  t.deepEqual(names(all), names(whole.items), `${label}: every page together`);
  // A limit the list exactly fills, and one short of it: whether a token follows the last
  // item turns on whether any key (matching or not) follows it.
  const n = first.items.length;
  if (req.limit === undefined && n > 1) {
    await compare(registry, resource, { ...req, limit: n }, t);
    await compare(registry, resource, { ...req, limit: n - 1 }, t);
  }
  return first;
}

const REQUESTS: readonly ListRequest[] = [
  {},
  { namespace: 'a' },
  { namespace: 'a-b', limit: 3 },
  { limit: 7 },
  { limit: 1 },
  { limit: 1_500 },
  { labelSelector: 'app=web' },
  { labelSelector: 'app=web', limit: 4 },
  { namespace: 'ab', labelSelector: 'app in (db)', limit: 2 },
  { fieldSelector: 'spec.nodeName=node-1' },
  { fieldSelector: 'spec.nodeName=node-2', namespace: 'a.b' },
  { fieldSelector: 'spec.nodeName=node-3', limit: 2 },
  { fieldSelector: 'spec.nodeName=' },
  { fieldSelector: 'spec.nodeName!=node-1,status.phase=Running', limit: 5 },
  { fieldSelector: 'spec.nodeName=node-1', labelSelector: 'app=db' },
  { fieldSelector: 'spec.nodeName=node-2,status.phase=Running' },
];

test.serial('while etcd is written to, every list from the cache is etcd\'s answer at its revision, and its pages continue it', async (t) => {
  const { registry, storage, lists, metrics } = t.context;
  // Some to start with, so the first fill has something to read.
  for (let i = 0; i < 30; i++) {
    const ns = NAMESPACES[i % NAMESPACES.length]!;
    await storage.create(podKey(ns, `p-${i}`), JSON.stringify(pod(ns, `p-${i}`, NODES[i % NODES.length]!, i % 2 ? 'web' : 'db', 'Running')));
  }
  await registry.list('pods');
  await lists.synced('pods');
  const writer = churn(storage, 11);
  const cacheBefore = await counter(metrics.cacheListTotal, { resource: 'pods' });
  try {
    const deadline = Date.now() + 6_000;
    let rounds = 0;
    while (Date.now() < deadline || rounds < 3) {
      for (const req of REQUESTS) await compare(registry, 'pods', req, t);
      rounds++;
    }
    t.log(`${rounds} rounds of ${REQUESTS.length} lists during ${writer.writes()} writes`);
  } finally {
    await writer.stop();
  }
  t.true(writer.writes() > 100, 'the lists ran while etcd changed');
  const fromCache = await counter(metrics.cacheListTotal, { resource: 'pods' }) - cacheBefore;
  t.true(fromCache >= REQUESTS.length * 3, `lists answered from the cache: ${fromCache}`);
  t.true(await counter(metrics.cacheListTotal, { resource: 'pods', index: 'spec.nodeName' }) > 0, 'the node index answered the node selectors');
  t.is(await counter(metrics.storageListTotal, { resource: 'pods', reason: 'timeout' }), 0, 'the cache kept up');
});

test.serial('a consistent list sees every write acknowledged before it, and answers at a revision no older', async (t) => {
  const { registry, storage, lists } = t.context;
  await registry.list('configmaps');
  await lists.synced('configmaps');
  for (let i = 0; i < 40; i++) {
    const name = `cm-${i % 7}`;
    const key = objectStorageKey(registry.resolve('configmaps'), 'a', name);
    const current = await storage.get(key);
    const value = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'a', name }, data: { i: String(i) } });
    const res = current && i % 5 === 4 ? await storage.delete(key, current.modRevision)
      : current ? await storage.update(key, value, current.modRevision) : await storage.create(key, value);
    t.true(res.ok);
    if (!res.ok) return;
    // No wait between the write and the list: the list must wait for the cache itself.
    const list = await registry.list('configmaps', { namespace: 'a' });
    t.true(Number(list.resourceVersion) >= res.revision, `list at ${list.resourceVersion} after a write at ${res.revision}`);
    const found = list.items.find((o) => o.metadata?.name === name);
    if (current && i % 5 === 4) t.is(found, undefined, `${name} deleted at ${res.revision}`);
    else t.is((found as { data?: { i?: string } } | undefined)?.data?.i, String(i), `${name} as written at ${res.revision}`);
  }
  t.true(lists.isFollowing('configmaps'));
});

/** etcd, but the watch's news arrive `ms` late (in order): a watch cache that lags behind etcd. */
class LaggingStorage extends EtcdStorage {
  constructor(endpoint: string, private readonly ms: number) {
    super({ endpoints: [endpoint] });
  }

  override watch(prefix: string, after: number | undefined, h: WatchHandlers): StorageWatch {
    return super.watch(prefix, after, {
      onEvents: (events) => setTimeout(() => h.onEvents(events), this.ms),
      onProgress: (revision) => setTimeout(() => h.onProgress?.(revision), this.ms),
      onError: (err) => setTimeout(() => h.onError(err), this.ms),
    });
  }
}

/** A registry and list caches over a watch cache that hears of etcd's changes `ms` late. */
async function laggingServer(t: ExecutionContext<Context>, ms: number, options: ListCacheOptions = {}): Promise<{ registry: Registry; lists: ListCaches; metrics: ApiServerMetrics; stop(): Promise<void> }> {
  const lagging = new LaggingStorage(t.context.etcd.endpoint, ms);
  const cache = new WatchCache(lagging);
  cache.start();
  await cache.whenReady();
  const metrics = new ApiServerMetrics();
  const registry = new Registry(lagging);
  const lists = new ListCaches(registry, cache, lagging, { metrics, ...options });
  registry.listCache = lists;
  return {
    registry, lists, metrics,
    stop: async () => {
      lists.stop();
      cache.stop();
      await lagging.close();
    },
  };
}

test.serial('a consistent list waits for a watch cache that lags behind etcd, and still sees every acknowledged write', async (t) => {
  const { storage } = t.context;
  const { registry, lists, metrics, stop } = await laggingServer(t, 150);
  try {
    await lists.synced('endpoints');
    for (let i = 0; i < 8; i++) {
      const value = JSON.stringify({ apiVersion: 'v1', kind: 'Endpoints', metadata: { namespace: 'a', name: `lr-${i}` } });
      const res = await storage.create(`/registry/endpoints/a/lr-${i}`, value);
      t.true(res.ok);
      const list = await registry.list('endpoints', { namespace: 'a' });
      t.true(names(list.items).includes(`a/lr-${i}`), `lr-${i}, written just before, is in the list`);
      t.true(res.ok && Number(list.resourceVersion) >= res.revision);
    }
    t.is(await counter(metrics.cacheListTotal, { resource: 'endpoints' }), 8, 'every one from the cache, after waiting');
    const waits = (await metrics.cacheReadWait.get()).values.find((v) => v.metricName === 'apiserver_watch_cache_read_wait_seconds_count');
    t.true((waits?.value ?? 0) >= 8);
  } finally {
    await stop();
  }
});

test.serial('a cache found lagging more than maxLagMs is not waited for: lists read etcd at once until it is learnt to have caught up', async (t) => {
  const { storage } = t.context;
  let offset = 0;
  const { registry, lists, metrics, stop } = await laggingServer(t, 1_500, { maxLagMs: 500, now: () => Date.now() + offset });
  const write = async (name: string): Promise<void> => {
    t.true((await storage.create(`/registry/controllerrevisions/a/${name}`, JSON.stringify({ apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { namespace: 'a', name }, revision: 1 }))).ok);
  };
  const listed = async (): Promise<string[]> => names((await registry.list('controllerrevisions', { namespace: 'a' })).items);
  try {
    await lists.synced('controllerrevisions');
    await write('cr-0');
    t.true((await listed()).includes('a/cr-0'));
    t.is(await counter(metrics.cacheListTotal, { resource: 'controllerrevisions' }), 1, 'waited about 1.5 s, then from the cache');
    await sleep(20);
    await write('cr-1');
    t.true((await listed()).includes('a/cr-1'));
    t.is(await counter(metrics.storageListTotal, { resource: 'controllerrevisions', reason: 'lagging' }), 1, 'learnt 1.5 s behind: etcd at once');
    // Ten seconds on, what was learnt is forgotten: the next list waits for the cache again.
    offset += 11_000;
    await write('cr-2');
    t.true((await listed()).includes('a/cr-2'));
    t.is(await counter(metrics.cacheListTotal, { resource: 'controllerrevisions' }), 2);
  } finally {
    await stop();
  }
});

test.serial('cluster-scoped objects list in key order too; resourceVersion "0" is answered at once from what the cache holds', async (t) => {
  const { registry, storage, metrics } = t.context;
  for (const n of ['node-b', 'node-a', 'node-c1', 'node-a1', 'node-1']) await storage.create(`/registry/nodes/${n}`, JSON.stringify(node(n, n === 'node-a')));
  await registry.list('nodes');
  await t.context.lists.synced('nodes');
  for (const req of [{}, { limit: 2 }, { labelSelector: 'zone=z1' }, { fieldSelector: 'spec.unschedulable=true' }, { fieldSelector: 'metadata.name=node-b' }] as ListRequest[]) {
    await compare(registry, 'nodes', req, t);
  }
  const before = await counter(metrics.cacheListTotal, { resource: 'nodes' });
  const any = await registry.list('nodes', { notOlderThan: 0 });
  t.deepEqual(names(any.items), ['/node-1', '/node-a', '/node-a1', '/node-b', '/node-c1']);
  t.is(await counter(metrics.cacheListTotal, { resource: 'nodes' }), before + 1);
});

test.serial('a list the cache cannot reach in time is read from etcd; exact revisions and events always are', async (t) => {
  const { storage, cache } = t.context;
  const metrics = new ApiServerMetrics();
  const registry = new Registry(storage);
  const lists = new ListCaches(registry, cache, storage, { metrics, waitTimeoutMs: 200 });
  registry.listCache = lists;
  try {
    await lists.synced('secrets');
    await storage.create('/registry/secrets/a/s1', JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { namespace: 'a', name: 's1' } }));
    const current = await storage.currentRevision();
    // A revision etcd has not reached: the cache cannot reach it either, and gives up after 200 ms.
    const started = Date.now();
    const late = await registry.list('secrets', { notOlderThan: current + 1_000 });
    t.true(Date.now() - started >= 190);
    t.deepEqual(names(late.items), ['a/s1']);
    t.is(await counter(metrics.storageListTotal, { resource: 'secrets', reason: 'timeout' }), 1);

    // ("0": whatever the cache holds, at once; a consistent list might time out on a busy machine.)
    const first = await registry.list('secrets', { limit: 1, notOlderThan: 0 });
    t.is(await counter(metrics.cacheListTotal, { resource: 'secrets' }), 1);
    await registry.list('secrets', { revision: Number(first.resourceVersion) });
    t.is(await counter(metrics.storageListTotal, { resource: 'secrets', reason: 'exact' }), 1);

    await storage.create('/registry/events/a/e1', JSON.stringify({ apiVersion: 'v1', kind: 'Event', metadata: { namespace: 'a', name: 'e1' } }));
    t.is((await registry.list('events')).items.length, 1);
    t.is(await counter(metrics.storageListTotal, { resource: 'events', reason: 'excluded' }), 1);
    t.false(lists.resources().includes('events'));
  } finally {
    lists.stop();
  }
});

test.serial('switched off (--list-from-cache=false), every list reads etcd and starts no cache', async (t) => {
  const { storage, cache } = t.context;
  const metrics = new ApiServerMetrics();
  const registry = new Registry(storage);
  const lists = new ListCaches(registry, cache, storage, { metrics, enabled: false });
  registry.listCache = lists;
  try {
    const res = await registry.list('pods', { namespace: 'a' });
    t.deepEqual(res, await registry.listFromStorage('pods', { namespace: 'a', revision: Number(res.resourceVersion) }));
    t.is(await counter(metrics.storageListTotal, { resource: 'pods', reason: 'disabled' }), 1);
    t.is(await counter(metrics.cacheListTotal, {}), 0);
    t.deepEqual(lists.resources(), []);
  } finally {
    lists.stop();
  }
});

test.serial('the first list of a resource is read from etcd while its cache fills; the next from the cache', async (t) => {
  const { registry, metrics } = t.context;
  await t.context.storage.create('/registry/serviceaccounts/a/sa', JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { namespace: 'a', name: 'sa' } }));
  const first = await registry.list('serviceaccounts');
  t.is(await counter(metrics.storageListTotal, { resource: 'serviceaccounts', reason: 'not_ready' }), 1);
  await t.context.lists.synced('serviceaccounts');
  // Filled by a list of its own (counted as such), then followed from the watch cache.
  t.is(await counter(metrics.storageListTotal, { resource: 'serviceaccounts', reason: 'fill' }), 1);
  for (let i = 0; i < 50 && !t.context.lists.isFollowing('serviceaccounts'); i++) await sleep(20);
  const second = await registry.list('serviceaccounts');
  t.deepEqual(names(second.items), names(first.items));
  t.is(await counter(metrics.cacheListTotal, { resource: 'serviceaccounts' }), 1);
});

test.serial('later pages come from the first page\'s snapshot while etcd changes; once it has expired, from etcd at the same revision', async (t) => {
  const { storage, cache } = t.context;
  const metrics = new ApiServerMetrics();
  const registry = new Registry(storage);
  let clock = 1_000_000;
  const lists = new ListCaches(registry, cache, storage, { metrics, now: () => clock });
  registry.listCache = lists;
  const cm = (ns: string, name: string, v: string): string => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: ns, name }, data: { v } });
  const key = (ns: string, name: string): string => `/registry/configmaps/${ns}/${name}`;
  try {
    for (const ns of ['snap', 'snap-b']) for (let i = 0; i < 6; i++) await storage.create(key(ns, `c${i}`), cm(ns, `c${i}`, 'old'));
    await lists.synced('configmaps');
    for (const namespace of ['snap', undefined]) {
      const first = await registry.list('configmaps', { ...(namespace ? { namespace } : {}), limit: 4 });
      t.truthy(first.continue);
      // Changes after the first page: later pages must not show them.
      const gone = await storage.get(key('snap', 'c5'));
      await storage.delete(key('snap', 'c5'), gone!.modRevision);
      const changed = await storage.get(key('snap', 'c4'));
      await storage.update(key('snap', 'c4'), cm('snap', 'c4', 'new'), changed!.modRevision);
      await storage.create(key('snap', 'c6'), cm('snap', 'c6', 'new'));
      const cacheBefore = await counter(metrics.cacheListTotal, { resource: 'configmaps' });
      const all = [...first.items];
      for (let page = first; page.continue;) {
        page = await registry.list('configmaps', { ...(namespace ? { namespace } : {}), limit: 4, continue: page.continue });
        t.is(page.resourceVersion, first.resourceVersion);
        all.push(...page.items);
      }
      const etcd = await registry.listFromStorage('configmaps', { ...(namespace ? { namespace } : {}), revision: Number(first.resourceVersion) });
      t.deepEqual(all, etcd.items, `${namespace ?? 'all namespaces'}: the pages are etcd's list at the first page's revision`);
      t.true(all.some((o) => o.metadata?.name === 'c5') && !all.some((o) => o.metadata?.name === 'c6'));
      t.true(await counter(metrics.cacheListTotal, { resource: 'configmaps' }) > cacheBefore, 'later pages from memory');
      t.is(await counter(metrics.storageListTotal, { resource: 'configmaps', reason: 'continue' }), 0);
      // Put things back for the next round.
      await storage.create(key('snap', 'c5'), cm('snap', 'c5', 'old'));
      const extra = await storage.get(key('snap', 'c6'));
      await storage.delete(key('snap', 'c6'), extra!.modRevision);
    }

    // A token for another namespace is refused as etcd's path refuses it.
    const other = await registry.list('configmaps', { namespace: 'snap', limit: 2 });
    await t.throwsAsync(registry.list('configmaps', { namespace: 'snap-b', limit: 2, continue: other.continue }), { message: /belongs to a different list/ });

    // Expired: the same pages, read from etcd.
    const first = await registry.list('configmaps', { namespace: 'snap-b', limit: 4 });
    clock += 31_000;
    const second = await registry.list('configmaps', { namespace: 'snap-b', limit: 4, continue: first.continue });
    t.is(await counter(metrics.storageListTotal, { resource: 'configmaps', reason: 'continue' }), 1);
    t.deepEqual(names([...first.items, ...second.items]), names((await registry.listFromStorage('configmaps', { namespace: 'snap-b', revision: Number(first.resourceVersion) })).items));

    // Cluster-scoped objects: store keys differ from storage keys by a leading '/'.
    for (const n of ['snap-n1', 'snap-n2', 'snap-n3']) await storage.create(`/registry/nodes/${n}`, JSON.stringify(node(n, false)));
    await lists.synced('nodes');
    const nodesFirst = await registry.list('nodes', { limit: 1 });
    const nodeNames = [...names(nodesFirst.items)];
    for (let page = nodesFirst; page.continue;) {
      page = await registry.list('nodes', { limit: 1, continue: page.continue });
      nodeNames.push(...names(page.items));
    }
    t.deepEqual(nodeNames, names((await registry.listFromStorage('nodes', { revision: Number(nodesFirst.resourceVersion) })).items));
    t.is(await counter(metrics.storageListTotal, { resource: 'nodes', reason: 'continue' }), 0);
  } finally {
    lists.stop();
  }
});
