// The serviceaccount controller: pure decisions, then against a real API server on a real etcd.
import test from 'ava';
import type { KubeObject, TugboatClient } from '@tugboat/api';
import { waitFor } from '@tugboat/test';
import { namespaceActive, type NamespaceObject } from './serviceaccounts.js';
import { etcdAvailable, startTestCluster, type TestCluster } from './testing/cluster.js';

test('a namespace marked for deletion or Terminating is not active', (t) => {
  const ns = (extra: Partial<NamespaceObject>): NamespaceObject => ({ metadata: { name: 'n' }, ...extra });
  t.true(namespaceActive(ns({ status: { phase: 'Active' } })));
  t.true(namespaceActive(ns({})));
  t.false(namespaceActive(ns({ status: { phase: 'Terminating' } })));
  t.false(namespaceActive(ns({ metadata: { name: 'n', deletionTimestamp: '2024-01-01T00:00:00Z' }, status: { phase: 'Active' } })));
});

let cluster: TestCluster | undefined;
const errors: string[] = [];

test.before(async () => {
  if (!etcdAvailable()) return;
  cluster = await startTestCluster({ controllers: ['serviceaccount'], log: { info: () => {}, error: (m) => errors.push(m) } });
});

test.after.always(async () => {
  await cluster?.stop();
});

function client(): TugboatClient {
  if (!cluster) throw new Error('no cluster');
  return cluster.client;
}

const hasDefault = async (c: TugboatClient, ns: string): Promise<boolean> => (await c.tryGet('serviceaccounts', ns, 'default')) !== undefined;

test.serial('every namespace gets a default ServiceAccount, made again when deleted', async (t) => {
  const c = client();
  for (const ns of ['default', 'tugboat-system', 'tugboat-node-lease']) await waitFor(`default account in ${ns}`, () => hasDefault(c, ns));
  await c.create<KubeObject>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sa-test' } });
  await waitFor('default account in a new namespace', () => hasDefault(c, 'sa-test'));
  const first = await c.get('serviceaccounts', 'sa-test', 'default');
  await c.delete('serviceaccounts', 'sa-test', 'default');
  await waitFor('made again', async () => {
    const sa = await c.tryGet('serviceaccounts', 'sa-test', 'default');
    return !!sa && sa.metadata?.uid !== first.metadata?.uid;
  });
  // Other accounts are the users' own: deleting one is final.
  await c.create<KubeObject>({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'builder', namespace: 'sa-test' } });
  await c.delete('serviceaccounts', 'sa-test', 'builder');
  await new Promise((r) => setTimeout(r, 300));
  t.is(await c.tryGet('serviceaccounts', 'sa-test', 'builder'), undefined);
});

test.serial('a namespace being deleted is left to go', async (t) => {
  const c = client();
  await c.create<KubeObject>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sa-going' } });
  await waitFor('default account', () => hasDefault(c, 'sa-going'));
  await c.delete('namespaces', '', 'sa-going');
  await waitFor('the namespace gone', async () => (await c.tryGet('namespaces', '', 'sa-going')) === undefined, 15_000);
  t.deepEqual(errors.filter((e) => e.includes('sa-going')), [], 'no create failed on the way');
});
