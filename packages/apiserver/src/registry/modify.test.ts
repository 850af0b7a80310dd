// Registry.modify, the read-modify-write under PATCH, server-side apply, scale and REST
// updates, against a real etcd: one read per attempt, the write a compare-and-swap on it, a
// race with another writer redone on a fresh read, and a resourceVersion the mutation names
// kept as the caller's precondition.
import anyTest, { type TestFn } from 'ava';
import { ApiError, type KubeObject } from '@tugboat/api';
import { startEtcd, type EtcdHandle } from '@tugboat/test';
import { EtcdStorage } from '../storage/etcd-storage.js';
import { encodeObject } from './object-meta.js';
import { Registry } from './registry.js';

const test = anyTest as TestFn<{ etcd: EtcdHandle; storage: EtcdStorage; registry: Registry }>;

test.before(async (t) => {
  const etcd = await startEtcd();
  const storage = new EtcdStorage({ endpoints: [etcd.endpoint] });
  const registry = new Registry(storage);
  await registry.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'm' } });
  t.context = { etcd, storage, registry };
});

test.after.always(async (t) => {
  await t.context.storage?.close();
  await t.context.etcd?.destroy();
});

type Cm = KubeObject & { data?: Record<string, string> };
const cm = (name: string, data: Record<string, string>): Cm => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'm' }, data });

test('a mutation that lost a race to another writer is redone on a fresh read, and nothing is lost', async (t) => {
  const { registry } = t.context;
  await registry.create(cm('race', { a: '1' }));
  const seen: string[] = [];
  let raced = false;
  const res = await registry.modify('configmaps', 'm', 'race', async (current) => {
    const c = current as Cm;
    seen.push(c.metadata!.resourceVersion!);
    if (!raced) {
      // Another writer gets in between this read and the write.
      raced = true;
      await registry.update({ ...c, data: { ...c.data, b: '2' } });
    }
    return { ...c, data: { ...c.data, x: '9' } };
  });
  t.is(seen.length, 2, 'read again after the conflict');
  t.not(seen[0], seen[1]);
  t.deepEqual((res.object as Cm).data, { a: '1', b: '2', x: '9' });
  t.deepEqual((await registry.get('configmaps', 'm', 'race') as Cm).data, { a: '1', b: '2', x: '9' });
});

test('a resourceVersion the mutation names is a precondition: Conflict, nothing written, no retry', async (t) => {
  const { registry } = t.context;
  const created = await registry.create(cm('pinned', { a: '1' }));
  await registry.update({ ...created.object, data: { a: '2' } } as Cm);
  let calls = 0;
  const err = await t.throwsAsync(registry.modify('configmaps', 'm', 'pinned', (current) => {
    calls++;
    return { ...current, metadata: { ...current.metadata, resourceVersion: created.object.metadata!.resourceVersion }, data: { a: '3' } } as Cm;
  }), { instanceOf: ApiError });
  t.is(err?.reason, 'Conflict');
  t.is(calls, 1);
  t.deepEqual((await registry.get('configmaps', 'm', 'pinned') as Cm).data, { a: '2' });
});

test('status: only the status is taken from the mutation; a kind without status is refused', async (t) => {
  const { registry } = t.context;
  await registry.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'st' } });
  const res = await registry.modify('namespaces', '', 'st', (current) => ({ ...current, metadata: { ...current.metadata, labels: { ignored: 'yes' } }, status: { phase: 'Active' } }), { status: true });
  t.is(res.object.metadata?.labels?.['ignored'], undefined);
  const err = await t.throwsAsync(registry.modify('configmaps', 'm', 'pinned', (c) => c, { status: true }), { instanceOf: ApiError });
  t.is(err?.reason, 'BadRequest');
  const missing = await t.throwsAsync(registry.modify('configmaps', 'm', 'nope', (c) => c), { instanceOf: ApiError });
  t.is(missing?.reason, 'NotFound');
});

type CacheForm = 'objects' | 'text';

/**
 * A registry whose object cache holds what `held` says (a copy that may be behind etcd, as the
 * server's informers can be), counting etcd reads. `form`: the cache gives objects, or text
 * (as the list cache holds pods).
 */
function withCache(t: { context: { storage: EtcdStorage } }, held: Map<string, KubeObject>, form: CacheForm): { registry: Registry; reads: () => number } {
  let reads = 0;
  const storage = t.context.storage;
  const counting = Object.create(storage) as EtcdStorage;
  counting.get = (key: string) => { reads++; return storage.get(key); };
  const registry = new Registry(counting);
  if (form === 'objects') {
    registry.objectCache = (resource, namespace, name) => held.get(`${resource}/${namespace}/${name}`);
  } else {
    // As the list cache holds pods: etcd's text and its revision.
    registry.storedCache = (resource, namespace, name) => {
      const o = held.get(`${resource}/${namespace}/${name}`);
      return o && { value: encodeObject(o), revision: Number(o.metadata?.resourceVersion) };
    };
  }
  return { registry, reads: () => reads };
}

for (const form of ['objects', 'text'] as const) {
  const x = form === 'objects' ? '' : '-t';
  test(`a cached copy (${form}) that is current: a PATCH and a binding write from it without reading etcd`, async (t) => {
    const { registry: plain } = t.context;
    const held = new Map<string, KubeObject>();
    const { registry, reads } = withCache(t, held, form);
    const created = await plain.create(cm(`cached${x}`, { a: '1' }));
    held.set(`configmaps/m/cached${x}`, created.object);
    const res = await registry.modify('configmaps', 'm', `cached${x}`, (c) => ({ ...c, data: { a: '2' } } as Cm));
    t.deepEqual((res.object as Cm).data, { a: '2' });
    t.is(reads(), 0);

    const pod = await plain.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `bind-cached${x}`, namespace: 'm' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    held.set(`pods/m/bind-cached${x}`, pod.object);
    const bound = await registry.bind('m', `bind-cached${x}`, 'node-1');
    t.is((bound.spec as { nodeName?: string }).nodeName, 'node-1');
    t.is(reads(), 0);
  });

  test(`a cached copy (${form}) behind etcd: a PATCH is redone on etcd's object, a no-op is not taken for done, a refusal is decided again`, async (t) => {
    const { registry: plain } = t.context;
    const held = new Map<string, KubeObject>();
    const { registry } = withCache(t, held, form);

    // The copy says a=2 already; etcd has moved on to a=3. Patching a=2 must still write it.
    const v1 = await plain.create(cm(`stale${x}`, { a: '2' }));
    held.set(`configmaps/m/stale${x}`, v1.object);
    await plain.update({ ...v1.object, data: { a: '3' } } as Cm);
    const res = await registry.modify('configmaps', 'm', `stale${x}`, (c) => ({ ...c, data: { ...(c as Cm).data, a: '2' } } as Cm));
    t.deepEqual((await plain.get('configmaps', 'm', `stale${x}`) as Cm).data, { a: '2' });
    t.not(res.object.metadata?.resourceVersion, v1.object.metadata?.resourceVersion);

    // An update naming the copy's version, changing nothing, while etcd has moved on: Conflict, as from etcd.
    const s1 = await plain.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `status-stale${x}`, namespace: 'm' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    held.set(`pods/m/status-stale${x}`, s1.object);
    await plain.updateStatus({ ...s1.object, status: { phase: 'Running' } });
    const err = await t.throwsAsync(registry.updateStatus(s1.object), { instanceOf: ApiError });
    t.is(err?.reason, 'Conflict');

    // The copy says unbound; etcd has the pod bound already: the binding is refused as etcd says.
    const p = await plain.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `bind-stale${x}`, namespace: 'm' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    held.set(`pods/m/bind-stale${x}`, p.object);
    await plain.bind('m', `bind-stale${x}`, 'node-a');
    await t.throwsAsync(registry.bind('m', `bind-stale${x}`, 'node-b'), { message: /already assigned to node "node-a"/ });

    // The copy says bound (etcd: the pod was deleted and made again, unbound): the binding goes through.
    const old = await plain.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `bind-again${x}`, namespace: 'm' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    held.set(`pods/m/bind-again${x}`, { ...old.object, spec: { ...(old.object.spec as object), nodeName: 'gone' } });
    await plain.delete('pods', 'm', `bind-again${x}`, { gracePeriodSeconds: 0 });
    await plain.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `bind-again${x}`, namespace: 'm' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    const rebound = await registry.bind('m', `bind-again${x}`, 'node-c');
    t.is((rebound.spec as { nodeName?: string }).nodeName, 'node-c');
  });
}
