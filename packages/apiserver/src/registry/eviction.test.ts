// The eviction subresource: the pure budget arithmetic, then through the real API server on a
// real etcd over gRPC (tctl's path) and REST (kubectl's): a budget with room is charged (the pod
// recorded in disruptedPods) and the pod deleted; one without room answers 429 with
// Kubernetes' message and DisruptionBudget cause and deletes nothing; pods not Running go
// without a budget; two budgets over one pod are an error; racing evictions never overspend.
import { request } from 'node:https';
import { ApiError, type KubeObject, type Pod, type PodDisruptionBudgetObject, type TugboatClient } from '@tugboat/api';
import { budgetCheck, canIgnoreBudget, chargeBudget } from './eviction.js';
import { testWithApiServer } from '../testing/server-test.js';

const test = testWithApiServer();
type PodObject = Pod & KubeObject;

const budget = (status: Partial<NonNullable<PodDisruptionBudgetObject['status']>>, extra: Partial<PodDisruptionBudgetObject> = {}): PodDisruptionBudgetObject => ({
  apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: 'default', generation: 1 },
  spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } },
  status: { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, observedGeneration: 1, ...status },
  ...extra,
});
const ready = (phase = 'Running', isReady = true): PodObject => ({
  metadata: { name: 'p', namespace: 'default', labels: { app: 'web' } },
  status: { phase, conditions: [{ type: 'Ready', status: isReady ? 'True' : 'False' }] },
});

function thrown(fn: () => unknown): ApiError {
  try { fn(); } catch (e) { if (e instanceof ApiError) return e; throw e; }
  throw new Error('expected an error');
}

test('charging a budget: one fewer disruption allowed, the pod recorded; none left is 429', (t) => {
  const after = chargeBudget(budget({}), 'p', '2026-01-01T00:00:00Z', false);
  t.is(after.status?.disruptionsAllowed, 0);
  t.deepEqual(after.status?.disruptedPods, { p: '2026-01-01T00:00:00Z' });
  t.like(after.status?.conditions?.[0], { type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods' });
  t.is(chargeBudget(budget({}), 'p', 'now', true).status?.disruptedPods, undefined, 'a dry run records nothing');
  const e = thrown(() => chargeBudget(after, 'q', 'now', false));
  t.is(e.reason, 'TooManyRequests');
  t.is(e.message, "Cannot evict pod as it would violate the pod's disruption budget.");
  t.deepEqual(e.causes, [{ reason: 'DisruptionBudget', message: 'The disruption budget web needs 2 healthy pods and has 3 currently' }]);
  const stale = thrown(() => chargeBudget(budget({ observedGeneration: 1 }, { metadata: { name: 'web', generation: 2 } }), 'p', 'now', false));
  t.is(stale.causes[0]?.message, 'The disruption budget web is still being processed by the server.');
  t.is(thrown(() => chargeBudget(budget({ disruptionsAllowed: -1 }), 'p', 'now', false)).reason, 'Forbidden');
});

test('which pods skip the budget, and unready pods that cost nothing', (t) => {
  t.true(canIgnoreBudget(ready('Pending')));
  t.true(canIgnoreBudget(ready('Succeeded')));
  t.true(canIgnoreBudget(ready('Failed')));
  t.false(canIgnoreBudget(ready('Running')));
  t.deepEqual(budgetCheck(ready(), budget({})), { kind: 'charge' });
  t.deepEqual(budgetCheck(ready('Running', false), budget({})), { kind: 'free' }, 'healthy enough without it');
  t.deepEqual(budgetCheck(ready('Running', false), budget({ currentHealthy: 1 })), { kind: 'charge' });
  t.deepEqual(budgetCheck(ready('Running', false), budget({ currentHealthy: 1 }, { spec: { unhealthyPodEvictionPolicy: 'AlwaysAllow' } })), { kind: 'free' });
});

/** A Running, Ready pod (its status written as an agent would). */
async function runningPod(c: TugboatClient, name: string, labels: Record<string, string>, phase = 'Running'): Promise<PodObject> {
  const p = await c.create<PodObject>({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels }, spec: { containers: [{ name: 'c', image: 'busybox' }], automountServiceAccountToken: false } });
  return c.updateStatus<PodObject>({ ...p, status: { phase, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }] } });
}

/** A budget with the status a disruption controller would have written. */
async function budgetWithStatus(c: TugboatClient, name: string, app: string, allowed: number): Promise<void> {
  const b = await c.create<PodDisruptionBudgetObject>({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: 'default' }, spec: { minAvailable: 1, selector: { matchLabels: { app } } } });
  await c.updateStatus({ ...b, status: { disruptionsAllowed: allowed, currentHealthy: 1 + allowed, desiredHealthy: 1, expectedPods: 1 + allowed, observedGeneration: 1 } });
}

test.serial('gRPC: a budget with room is charged and the pod goes; without room, 429 and the pod stays', async (t) => {
  const c = t.context.client;
  await runningPod(c, 'a1', { app: 'a' });
  await runningPod(c, 'a2', { app: 'a' });
  await budgetWithStatus(c, 'a-budget', 'a', 1);
  await c.evict('default', 'a1', { gracePeriodSeconds: 0 });
  t.is(await c.tryGet('pods', 'default', 'a1'), undefined, 'an unbound pod is removed at once');
  const b = await c.get<PodDisruptionBudgetObject>('poddisruptionbudgets', 'default', 'a-budget');
  t.is(b.status?.disruptionsAllowed, 0);
  t.deepEqual(Object.keys(b.status?.disruptedPods ?? {}), ['a1']);
  const refused = (await t.throwsAsync(c.evict('default', 'a2'), { instanceOf: ApiError }))!;
  t.is(refused.reason, 'TooManyRequests');
  t.is(refused.message, "Cannot evict pod as it would violate the pod's disruption budget.");
  t.deepEqual(refused.causes, [{ reason: 'DisruptionBudget', message: 'The disruption budget a-budget needs 1 healthy pods and has 2 currently' }]);
  t.truthy(await c.tryGet('pods', 'default', 'a2'));
  t.is((await t.throwsAsync(c.evict('default', 'nope'), { instanceOf: ApiError }))?.reason, 'NotFound');
});

test.serial('pods not Running are evicted without a budget; two budgets over a pod are an error', async (t) => {
  const c = t.context.client;
  await runningPod(c, 'b1', { app: 'b' }, 'Succeeded');
  await budgetWithStatus(c, 'b-budget', 'b', 0);
  await c.evict('default', 'b1');
  t.is(await c.tryGet('pods', 'default', 'b1'), undefined);
  await runningPod(c, 'b2', { app: 'b', tier: 'x' });
  await budgetWithStatus(c, 'b-second', 'b', 1);
  const two = (await t.throwsAsync(c.evict('default', 'b2'), { instanceOf: ApiError }))!;
  t.is(two.message, 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  t.truthy(await c.tryGet('pods', 'default', 'b2'));
});

test.serial('racing evictions never spend more than the budget allows', async (t) => {
  const c = t.context.client;
  const names = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'];
  for (const n of names) await runningPod(c, n, { app: 'race' });
  await budgetWithStatus(c, 'race-budget', 'race', 2);
  const results = await Promise.allSettled(names.map((n) => c.evict('default', n)));
  t.is(results.filter((r) => r.status === 'fulfilled').length, 2);
  for (const r of results) if (r.status === 'rejected') t.is((r.reason as ApiError).reason, 'TooManyRequests');
  const b = await c.get<PodDisruptionBudgetObject>('poddisruptionbudgets', 'default', 'race-budget');
  t.is(b.status?.disruptionsAllowed, 0);
  t.is(Object.keys(b.status?.disruptedPods ?? {}).length, 2);
});

test.serial('REST: 429 with the DisruptionBudget cause, as kubectl drain expects', async (t) => {
  const c = t.context.client;
  await runningPod(c, 'k1', { app: 'k' });
  await budgetWithStatus(c, 'k-budget', 'k', 0);
  const { pki, address } = t.context.server;
  const [host, port] = address.split(':');
  const body = JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'k1', namespace: 'default' } });
  const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request({
      host, port: Number(port), method: 'POST', path: '/api/v1/namespaces/default/pods/k1/eviction',
      ca: pki.ca.certPem, cert: pki.admin.certPem, key: pki.admin.keyPem,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (r) => {
      let text = '';
      r.on('data', (d: Buffer) => { text += d.toString(); });
      r.on('end', () => resolve({ status: r.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
  t.is(res.status, 429);
  t.like(JSON.parse(res.text), {
    kind: 'Status', status: 'Failure', reason: 'TooManyRequests', code: 429,
    message: "Cannot evict pod as it would violate the pod's disruption budget.",
    details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget k-budget needs 1 healthy pods and has 1 currently' }] },
  });
});
