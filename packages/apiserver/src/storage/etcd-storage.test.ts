// The etcd storage against a real etcd: compare-and-swap writes, pinned-revision lists,
// watch from a revision, compaction → Expired, and a watch surviving an etcd restart.
import anyTest, { type TestFn } from 'ava';
import { ApiError } from '@tugboat/api';
import { startEtcd, waitFor, type EtcdHandle } from '@tugboat/test';
import { EtcdStorage } from './etcd-storage.js';
import type { StorageEvent } from './storage.js';

const test = anyTest as TestFn<{ etcd: EtcdHandle; storage: EtcdStorage }>;

test.before(async (t) => {
  const etcd = await startEtcd();
  t.context = { etcd, storage: new EtcdStorage({ endpoints: [etcd.endpoint] }) };
});

test.after.always(async (t) => {
  await t.context.storage?.close();
  await t.context.etcd?.destroy();
});

test.serial('create only when absent; update and delete only from the revision read', async (t) => {
  const { storage } = t.context;
  const created = await storage.create('/registry/configmaps/default/a', '{"v":1}');
  if (!created.ok) return t.fail();
  const again = await storage.create('/registry/configmaps/default/a', '{"v":2}');
  t.false(again.ok);
  t.is(again.ok ? '' : again.current?.value, '{"v":1}');

  const kv = await storage.get('/registry/configmaps/default/a');
  t.is(kv?.modRevision, created.revision);

  // Two writers from the same revision: exactly one wins.
  const results = await Promise.all([
    storage.update('/registry/configmaps/default/a', '{"v":"x"}', created.revision),
    storage.update('/registry/configmaps/default/a', '{"v":"y"}', created.revision),
  ]);
  t.is(results.filter((r) => r.ok).length, 1);
  const loser = results.find((r) => !r.ok);
  const winner = results.find((r) => r.ok);
  t.truthy(loser && !loser.ok && loser.current && winner?.ok && loser.current.modRevision === winner.revision);

  t.false((await storage.delete('/registry/configmaps/default/a', created.revision)).ok);
  const now = await storage.get('/registry/configmaps/default/a');
  t.true((await storage.delete('/registry/configmaps/default/a', now!.modRevision)).ok);
  t.is(await storage.get('/registry/configmaps/default/a'), undefined);
  t.false((await storage.update('/registry/configmaps/default/a', '{}', now!.modRevision)).ok);
});

test.serial('list pages read one pinned snapshot', async (t) => {
  const { storage } = t.context;
  for (const n of ['a', 'b', 'c', 'd', 'e']) await storage.create(`/registry/secrets/ns1/${n}`, `"${n}"`);
  await storage.create('/registry/secrets/ns2/z', '"z"');
  const first = await storage.list('/registry/secrets/ns1/', { limit: 2 });
  t.deepEqual(first.items.map((i) => i.value), ['"a"', '"b"']);
  t.true(first.more);
  t.is(first.count, 5);
  // A change after the first page is not seen by the later ones.
  await storage.create('/registry/secrets/ns1/bb', '"bb"');
  const second = await storage.list('/registry/secrets/ns1/', { startKey: first.items[1]!.key + '\0', limit: 10, revision: first.revision });
  t.deepEqual(second.items.map((i) => i.value), ['"c"', '"d"', '"e"']);
  t.false(second.more);
  t.is(await storage.count('/registry/secrets/'), 7);
});

function collect(storage: EtcdStorage, prefix: string, after: number | undefined): { events: StorageEvent[]; errors: ApiError[]; close(): void; started: Promise<number> } {
  const events: StorageEvent[] = [];
  const errors: ApiError[] = [];
  const w = storage.watch(prefix, after, { onEvents: (e) => events.push(...e), onError: (e) => errors.push(e) });
  return { events, errors, close: () => w.close(), started: w.started };
}

test.serial('watch from a revision replays what came after it, with previous values', async (t) => {
  const { storage } = t.context;
  const c = await storage.create('/registry/pods/w/p1', '1');
  if (!c.ok) return t.fail();
  const u = await storage.update('/registry/pods/w/p1', '2', c.revision);
  if (!u.ok) return t.fail();
  await storage.delete('/registry/pods/w/p1', u.revision);
  const w = collect(storage, '/registry/pods/w/', c.revision - 1);
  await waitFor('3 events', () => w.events.length >= 3);
  t.deepEqual(w.events.map((e) => [e.type, e.type === 'put' ? e.value : null, e.prevValue]), [
    ['put', '1', undefined], ['put', '2', '1'], ['delete', null, '2'],
  ]);
  w.close();
});

test.serial('a watch from a compacted revision ends with Expired', async (t) => {
  const { storage, etcd } = t.context;
  const c = await storage.create('/registry/pods/x/old', '1');
  if (!c.ok) return t.fail();
  await storage.create('/registry/pods/x/new', '2');
  etcd.etcdctl('compact', String(await storage.currentRevision()));
  const w = collect(storage, '/registry/pods/x/', c.revision - 1);
  await waitFor('the watch to fail', () => w.errors.length > 0);
  t.is(w.errors[0]?.reason, 'Expired');
  t.regex(w.errors[0]!.message, /expired/);
  await t.throwsAsync(storage.list('/registry/pods/', { revision: c.revision }), { instanceOf: ApiError, message: /compacted/ });
});

test.serial('a watch resumes after etcd restarts without losing or repeating changes', async (t) => {
  const { storage, etcd } = t.context;
  const w = collect(storage, '/registry/leases/', undefined);
  await w.started;
  await storage.create('/registry/leases/default/one', '1');
  await waitFor('first event', () => w.events.length === 1);
  await etcd.stop();
  await etcd.restart();
  await waitFor('etcd back', () => storage.healthy(500));
  await storage.create('/registry/leases/default/two', '2');
  await waitFor('second event', () => w.events.length >= 2, 15_000);
  t.deepEqual(w.events.map((e) => e.key), ['/registry/leases/default/one', '/registry/leases/default/two']);
  t.deepEqual(w.errors, []);
  w.close();
});

test.serial('healthy() follows etcd; calls fail with Unavailable while it is down', async (t) => {
  const { storage, etcd } = t.context;
  t.true(await storage.healthy(1_000));
  await etcd.stop();
  try {
    t.false(await storage.healthy(500));
    const err = await t.throwsAsync(storage.get('/registry/pods/default/x'), { instanceOf: ApiError });
    t.true(err?.reason === 'Unavailable' || err?.reason === 'Timeout', err?.message);
  } finally {
    await etcd.restart();
  }
  await waitFor('etcd healthy again', () => storage.healthy(500));
  t.pass();
});

test.serial('commit: every condition holds and every write happens, or nothing is written', async (t) => {
  const { storage } = t.context;
  const ok = await storage.commit([
    { type: 'create', key: '/registry/services/default/s1', value: '{"s":1}' },
    { type: 'create', key: '/registry/ranges/serviceips/198.19.0.10', value: 'default/s1' },
  ]);
  if (!ok.ok) return t.fail();
  t.is((await storage.get('/registry/ranges/serviceips/198.19.0.10'))?.modRevision, ok.revision, 'both at one revision');
  // A second service wanting the same address: the whole commit fails, naming the taken key.
  const clash = await storage.commit([
    { type: 'create', key: '/registry/services/default/s2', value: '{"s":2}' },
    { type: 'create', key: '/registry/ranges/serviceips/198.19.0.10', value: 'default/s2' },
  ]);
  t.deepEqual(clash, { ok: false, failed: ['/registry/ranges/serviceips/198.19.0.10'] });
  t.is(await storage.get('/registry/services/default/s2'), undefined, 'nothing of it was written');
  // Many at once for one address: exactly one wins.
  const racers = await Promise.all(Array.from({ length: 8 }, (_, i) => storage.commit([
    { type: 'create', key: `/registry/services/default/r${i}`, value: '{}' },
    { type: 'create', key: '/registry/ranges/serviceips/198.19.0.11', value: `default/r${i}` },
  ])));
  t.is(racers.filter((r) => r.ok).length, 1);
  // Update and delete conditions too.
  const kv = (await storage.get('/registry/services/default/s1'))!;
  const upd = await storage.commit([
    { type: 'update', key: kv.key, value: '{"s":"1b"}', expectedRevision: kv.modRevision },
    { type: 'delete', key: '/registry/ranges/serviceips/198.19.0.10', expectedRevision: ok.revision },
  ]);
  t.true(upd.ok);
  const stale = await storage.commit([{ type: 'update', key: kv.key, value: '{"s":"stale"}', expectedRevision: kv.modRevision }]);
  t.deepEqual(stale, { ok: false, failed: [kv.key] });
  t.is((await storage.get(kv.key))?.value, '{"s":"1b"}');
});
