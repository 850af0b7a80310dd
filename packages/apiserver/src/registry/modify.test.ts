// Registry.modify, the read-modify-write under PATCH, server-side apply, scale and REST
// updates, against a real etcd: one read per attempt, the write a compare-and-swap on it, a
// race with another writer redone on a fresh read, and a resourceVersion the mutation names
// kept as the caller's precondition.
import anyTest, { type TestFn } from 'ava';
import { ApiError, type KubeObject } from '@tugboat/api';
import { startEtcd, type EtcdHandle } from '@tugboat/test';
import { EtcdStorage } from '../storage/etcd-storage.js';
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
