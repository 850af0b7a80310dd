// Integration: the clusterrole-aggregation controller against a real API server on a real etcd.
import test from 'ava';
import type { PolicyRule, TugboatClient } from '@tugboat/api';
import { waitFor } from '@tugboat/test';
import type { ClusterRoleObject } from './clusterrole-aggregation.js';
import { etcdAvailable, mutate, startTestCluster, type TestCluster } from './testing/cluster.js';

let cluster: TestCluster | undefined;

test.before(async () => {
  if (!etcdAvailable()) return;
  cluster = await startTestCluster({ controllers: ['clusterrole-aggregation'] });
});

test.after.always(async () => {
  await cluster?.stop();
});

function client(): TugboatClient {
  if (!cluster) throw new Error('no cluster');
  return cluster.client;
}

const V = 'rbac.authorization.k8s.io/v1';
const rule = (resource: string, verbs = ['get']): PolicyRule => ({ apiGroups: ['example.com'], resources: [resource], verbs });
const role = (name: string, labels: Record<string, string>, rules: PolicyRule[]): ClusterRoleObject =>
  ({ apiVersion: V, kind: 'ClusterRole', metadata: { name, labels }, rules });
const rulesOf = async (name: string): Promise<PolicyRule[]> => (await client().get<ClusterRoleObject>('clusterroles', '', name)).rules ?? [];
const same = (a: PolicyRule[], b: PolicyRule[]): boolean => JSON.stringify(a) === JSON.stringify(b);

test.serial('an aggregated role follows the roles its selector matches as they come, change and go', async (t) => {
  const c = client();
  await c.create<ClusterRoleObject>({
    apiVersion: V, kind: 'ClusterRole', metadata: { name: 'widgets-all' },
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'example.com/aggregate-to-widgets': 'true' } }] },
  });
  await c.create(role('b-widgets-write', { 'example.com/aggregate-to-widgets': 'true' }, [rule('widgets', ['create', 'update'])]));
  await c.create(role('a-widgets-read', { 'example.com/aggregate-to-widgets': 'true' }, [rule('widgets'), rule('gadgets')]));
  await c.create(role('unrelated', { other: 'true' }, [rule('secrets')]));
  // By name: a-widgets-read's rules first.
  await waitFor('rules gathered', async () => same(await rulesOf('widgets-all'), [rule('widgets'), rule('gadgets'), rule('widgets', ['create', 'update'])]));

  await mutate<ClusterRoleObject>(c, 'clusterroles', '', 'a-widgets-read', (r) => ({ ...r, rules: [rule('widgets', ['get', 'list'])] }));
  await waitFor('a changed rule followed', async () => same(await rulesOf('widgets-all'), [rule('widgets', ['get', 'list']), rule('widgets', ['create', 'update'])]));

  await c.delete('clusterroles', '', 'b-widgets-write');
  await waitFor('a deleted role\'s rules gone', async () => same(await rulesOf('widgets-all'), [rule('widgets', ['get', 'list'])]));

  // Rules written into an aggregated role by hand do not last.
  await mutate<ClusterRoleObject>(c, 'clusterroles', '', 'widgets-all', (r) => ({ ...r, rules: [rule('everything', ['*'])] }));
  await waitFor('hand-written rules replaced', async () => same(await rulesOf('widgets-all'), [rule('widgets', ['get', 'list'])]));
  t.deepEqual(await rulesOf('unrelated'), [rule('secrets')]);
});

test.serial('aggregation chains: a role gathered by another brings what it gathered', async (t) => {
  const c = client();
  await c.create<ClusterRoleObject>({
    apiVersion: V, kind: 'ClusterRole', metadata: { name: 'outer' },
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: { tier: 'outer' } }] },
  });
  await c.create<ClusterRoleObject>({
    apiVersion: V, kind: 'ClusterRole', metadata: { name: 'inner', labels: { tier: 'outer' } },
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: { tier: 'inner' } }] },
  });
  await c.create(role('leaf', { tier: 'inner' }, [rule('leaves')]));
  await waitFor('outer gathers inner\'s gathered rules', async () => same(await rulesOf('outer'), [rule('leaves')]));
  t.pass();
});
