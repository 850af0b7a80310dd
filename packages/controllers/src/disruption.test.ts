// The disruption controller: budget arithmetic as pure functions (Kubernetes' rounding of
// percentages, in-flight evictions, healthy pods), then against a real API server on a real
// etcd with the ReplicaSet and Deployment controllers and a stand-in agent.
import test from 'ava';
import type { OwnerReference, PodDisruptionBudgetObject, PodDisruptionBudgetSpec, TugboatClient } from '@tugboat/api';
import { waitFor } from '@tugboat/test';
import { budgetStatus, countHealthy, expectedAndDesired, liveDisruptedPods, statusCurrent, type ControllerScale } from './disruption.js';
import type { PodObject } from './informers.js';
import { scaledValue } from './rollout.js';
import { etcdAvailable, fakeAgent, startTestCluster, type TestCluster } from './testing/cluster.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const owned = (name: string, rs = 'rs-1', ready = true, extra: Partial<PodObject['metadata']> = {}): PodObject => ({
  metadata: { name, namespace: 'default', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs, uid: rs, controller: true }], ...extra },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const pdb = (spec: PodDisruptionBudgetSpec, generation = 1): PodDisruptionBudgetObject => ({ metadata: { name: 'b', namespace: 'default', generation }, spec });
const scales = (table: Record<string, number>) => (ref: OwnerReference): ControllerScale => (table[ref.name] !== undefined ? { uid: ref.uid, scale: table[ref.name]! } : undefined);

test('percentages round up, as GetScaledValueFromIntOrPercent(…, true)', (t) => {
  t.is(scaledValue('50%', 3, true, 'x'), 2);
  t.is(scaledValue('34%', 3, true, 'x'), 2);
  t.is(scaledValue('33%', 3, true, 'x'), 1);
  t.is(scaledValue('1%', 0, true, 'x'), 0);
  t.is(scaledValue('100%', 7, true, 'x'), 7);
  t.is(scaledValue(2, 7, true, 'x'), 2);
});

test('minAvailable as an int counts the pods; a percentage or maxUnavailable the controllers\' scale', (t) => {
  const pods = [owned('a'), owned('b'), owned('c', 'rs-2')];
  const sc = scales({ 'rs-1': 4, 'rs-2': 2 });
  t.like(expectedAndDesired(pdb({ minAvailable: 2 }), pods, sc), { expectedPods: 3, desiredHealthy: 2 });
  t.like(expectedAndDesired(pdb({ minAvailable: '50%' }), pods, sc), { expectedPods: 6, desiredHealthy: 3 });
  t.like(expectedAndDesired(pdb({ minAvailable: '34%' }), pods, sc), { expectedPods: 6, desiredHealthy: 3 }, '2.04 rounds up');
  t.like(expectedAndDesired(pdb({ maxUnavailable: '25%' }), pods, sc), { expectedPods: 6, desiredHealthy: 4 }, 'maxUnavailable ceil(1.5) = 2');
  t.like(expectedAndDesired(pdb({ maxUnavailable: 10 }), pods, sc), { expectedPods: 6, desiredHealthy: 0 }, 'never below 0');
  t.like(expectedAndDesired(pdb({ maxUnavailable: 1 }), [...pods, { metadata: { name: 'bare' } }], sc), { unmanaged: ['bare'] });
  t.throws(() => expectedAndDesired(pdb({ maxUnavailable: 1 }), [owned('z', 'rs-gone')], sc), { message: 'found no controllers for pod "z"' });
});

test('evictions in flight: kept for 2 minutes unless the pod is being deleted; they do not count as healthy', (t) => {
  const pods = [owned('a'), owned('b'), owned('c', 'rs-1', true, { deletionTimestamp: '2026-01-01T00:00:00Z' }), owned('d', 'rs-1', false)];
  const disrupted = { a: '2026-01-01T00:00:00Z', b: '2025-12-31T23:57:00Z', c: '2026-01-01T00:00:00Z', gone: '2026-01-01T00:00:00Z' };
  const live = liveDisruptedPods(pods, disrupted, T0 + 30_000);
  t.deepEqual(live.disrupted, { a: '2026-01-01T00:00:00Z' });
  t.is(live.recheckAt, T0 + 120_000);
  t.is(countHealthy(pods, live.disrupted, T0 + 30_000), 1, 'b only: a is being evicted, c deleted, d not ready');
});

test('status: allowed = healthy − desired, none while nothing is expected; unchanged status is not rewritten', (t) => {
  const b = pdb({ minAvailable: 2 }, 3);
  const st = budgetStatus(b, { expectedPods: 3, desiredHealthy: 2, unmanaged: [] }, 3, {}, '2026-01-01T00:00:00Z');
  t.like(st, { currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, disruptionsAllowed: 1, observedGeneration: 3 });
  t.like(st.conditions?.[0], { type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods' });
  t.is(budgetStatus(b, { expectedPods: 0, desiredHealthy: 0, unmanaged: [] }, 2, {}, 'now').disruptionsAllowed, 0);
  t.is(budgetStatus(b, { expectedPods: 3, desiredHealthy: 2, unmanaged: [] }, 1, {}, 'now').disruptionsAllowed, 0);
  t.true(statusCurrent({ ...b, status: st }, st));
  t.false(statusCurrent({ ...b, status: st }, { ...st, currentHealthy: 2 }));
});

let cluster: TestCluster | undefined;
let agent: { stop(): void } | undefined;

test.before(async () => {
  if (!etcdAvailable()) return;
  cluster = await startTestCluster({ controllers: ['replicaset', 'deployment', 'disruption'] });
  agent = fakeAgent(cluster.client);
});

test.after.always(async () => {
  agent?.stop();
  await cluster?.stop();
});

function client(): TugboatClient {
  if (!cluster) throw new Error('no cluster');
  return cluster.client;
}

const deployment = (name: string, replicas: number): Record<string, unknown> => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'default' },
  spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { automountServiceAccountToken: false, containers: [{ name: 'c', image: 'busybox' }] } } },
});

async function budgetStatusOf(c: TugboatClient, name: string): Promise<PodDisruptionBudgetObject['status']> {
  return (await c.get<PodDisruptionBudgetObject>('poddisruptionbudgets', 'default', name)).status;
}

test.serial('a budget over a Deployment: counts, percentages against its scale, evictions spent and given back', async (t) => {
  const c = client();
  await c.create(deployment('web', 3));
  await c.create({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web-min', namespace: 'default' }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } } });
  await waitFor('web-min counted', async () => (await budgetStatusOf(c, 'web-min'))?.currentHealthy === 3, 20_000);
  t.like(await budgetStatusOf(c, 'web-min'), { currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, disruptionsAllowed: 1, observedGeneration: 1 });

  // Percentages are of the Deployment's replicas, rounded up: 50% of 3 unavailable → 2.
  await c.create({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'other', namespace: 'default' }, spec: { maxUnavailable: '50%', selector: { matchLabels: { app: 'none' } } } });
  await c.create(deployment('api', 3));
  await c.create({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'api-max', namespace: 'default' }, spec: { maxUnavailable: '50%', selector: { matchLabels: { app: 'api' } } } });
  await waitFor('api-max counted', async () => (await budgetStatusOf(c, 'api-max'))?.currentHealthy === 3, 20_000);
  t.like(await budgetStatusOf(c, 'api-max'), { expectedPods: 3, desiredHealthy: 1, disruptionsAllowed: 2 });
  // Its status may come after api-max's: wait for the controller to have seen it.
  await waitFor('other counted', async () => (await budgetStatusOf(c, 'other'))?.observedGeneration === 1, 20_000);
  t.like(await budgetStatusOf(c, 'other'), { expectedPods: 0, disruptionsAllowed: 0 }, 'a budget over no pods allows nothing');

  // An eviction spends the one disruption; the replacement, once Ready, gives it back.
  const pods = (await c.list<PodObject>('pods', { namespace: 'default', labelSelector: 'app=web' })).items;
  await c.evict('default', pods[0]!.metadata!.name!);
  await t.throwsAsync(c.evict('default', pods[1]!.metadata!.name!), { message: "Cannot evict pod as it would violate the pod's disruption budget." });
  await waitFor('the replacement Ready and counted', async () => {
    const st = await budgetStatusOf(c, 'web-min');
    return st?.currentHealthy === 3 && st.disruptionsAllowed === 1 && Object.keys(st.disruptedPods ?? {}).length === 0;
  }, 20_000);
  const cond = (await budgetStatusOf(c, 'web-min'))?.conditions?.find((x) => x.type === 'DisruptionAllowed');
  t.like(cond, { status: 'True', reason: 'SufficientPods' });

  // Scaling the Deployment down changes what the budget expects.
  const d = await c.get<Record<string, unknown> & { spec: { replicas: number } }>('deployments', 'default', 'api');
  await c.update({ ...d, spec: { ...d.spec, replicas: 1 } });
  // The budget may see the new scale before the ReplicaSet has removed the extra pods.
  await waitFor('api-max follows the scale', async () => {
    const st = await budgetStatusOf(c, 'api-max');
    return st?.expectedPods === 1 && st.currentHealthy === 1;
  }, 20_000);
  t.like(await budgetStatusOf(c, 'api-max'), { expectedPods: 1, desiredHealthy: 0, currentHealthy: 1, disruptionsAllowed: 1 });
});
