// Priority admission: the pure decision, then through the real API server on a real etcd —
// built-in classes made at start, a pod's priority resolved from its class or the global
// default, a missing class refused in one line with nothing stored, one global default at most.
import { ApiError, type KubeObject, type Pod, type PriorityClassObject } from '@tugboat/api';
import { waitFor } from '@tugboat/test';
import { decidePodPriority, keepPodPriority, pickDefaultClass } from './priority-admission.js';
import { testWithApiServer } from '../testing/server-test.js';

const test = testWithApiServer();
type PodObject = Pod & KubeObject;

const cls = (name: string, value: number, extra: Partial<PriorityClassObject> = {}): PriorityClassObject =>
  ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, preemptionPolicy: 'PreemptLowerPriority', ...extra });
const pod = (name: string, spec: Partial<NonNullable<Pod['spec']>> = {}): PodObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox' }], automountServiceAccountToken: false, ...spec } });

test('decision: the named class, else the global default, else 0', (t) => {
  const high = cls('high', 1000, { preemptionPolicy: 'Never' });
  const named = decidePodPriority(pod('a', { priorityClassName: 'high' }), high, undefined);
  t.true(named.ok);
  if (named.ok) t.like(named.pod.spec, { priority: 1000, preemptionPolicy: 'Never', priorityClassName: 'high' });
  const byDefault = decidePodPriority(pod('b'), undefined, cls('normal', 50, { globalDefault: true }));
  if (byDefault.ok) t.like(byDefault.pod.spec, { priority: 50, priorityClassName: 'normal', preemptionPolicy: 'PreemptLowerPriority' });
  else t.fail();
  const none = decidePodPriority(pod('c'), undefined, undefined);
  if (none.ok) {
    t.like(none.pod.spec, { priority: 0, preemptionPolicy: 'PreemptLowerPriority' });
    t.is(none.pod.spec?.priorityClassName, undefined);
  } else t.fail();
});

test('decision: a missing class, or a priority the pod set that differs, is refused', (t) => {
  t.deepEqual(decidePodPriority(pod('a', { priorityClassName: 'foo' }), undefined, undefined), { ok: false, message: 'no PriorityClass with name foo was found' });
  t.deepEqual(decidePodPriority(pod('a', { priorityClassName: 'high', priority: 5 }), cls('high', 1000), undefined), {
    ok: false, message: 'the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name',
  });
  t.true(decidePodPriority(pod('a', { priorityClassName: 'high', priority: 1000 }), cls('high', 1000), undefined).ok, 'the same value is fine');
  t.false(decidePodPriority(pod('a', { preemptionPolicy: 'Never' }), undefined, undefined).ok);
});

test('of two global defaults the lowest value wins; an update keeps the priority create resolved', (t) => {
  t.is(pickDefaultClass([cls('a', 10, { globalDefault: true }), cls('b', 5, { globalDefault: true }), cls('c', 1)])?.metadata?.name, 'b');
  t.is(pickDefaultClass([cls('c', 1)]), undefined);
  const kept = keepPodPriority(pod('a'), pod('a', { priority: 7, preemptionPolicy: 'Never' })) as PodObject;
  t.like(kept.spec, { priority: 7, preemptionPolicy: 'Never' });
});

test.serial('the API server makes the built-in classes at start', async (t) => {
  const c = t.context.client;
  await waitFor('system classes', async () => (await c.tryGet('priorityclasses', '', 'system-node-critical')) !== undefined);
  t.like(await c.get('priorityclasses', '', 'system-node-critical'), { value: 2_000_001_000, preemptionPolicy: 'PreemptLowerPriority' });
  t.like(await c.get('priorityclasses', '', 'system-cluster-critical'), { value: 2_000_000_000 });
  const crit = await c.create<PodObject>(pod('critical', { priorityClassName: 'system-cluster-critical' }));
  t.is(crit.spec?.priority, 2_000_000_000);
});

test.serial('a pod naming a class that does not exist is refused in one line, with nothing stored', async (t) => {
  const c = t.context.client;
  const e = (await t.throwsAsync(c.create(pod('x', { priorityClassName: 'foo' })), { instanceOf: ApiError }))!;
  t.is(e.reason, 'Forbidden');
  t.is(e.message, 'pods "x" is forbidden: no PriorityClass with name foo was found');
  t.is(await c.tryGet('pods', 'default', 'x'), undefined);
});

test.serial('classes resolve at create; the global default applies to pods that name none; one default at most', async (t) => {
  const c = t.context.client;
  await c.create(cls('batch-low', 100, { preemptionPolicy: 'Never' }));
  // Made a moment ago: the informer may not have it yet, so admission asks etcd.
  const p = await c.create<PodObject>(pod('low', { priorityClassName: 'batch-low' }));
  t.like(p.spec, { priority: 100, preemptionPolicy: 'Never' });
  t.is((await c.create<PodObject>(pod('plain'))).spec?.priority, 0);
  await c.create(cls('normal', 500, { globalDefault: true }));
  await waitFor('the default class in the informer', async () => {
    const q = await c.create<PodObject>(pod(`probe-${Date.now()}`));
    await c.delete('pods', 'default', q.metadata?.name ?? '');
    return q.spec?.priority === 500;
  });
  const d = await c.create<PodObject>(pod('defaulted'));
  t.like(d.spec, { priority: 500, priorityClassName: 'normal' });
  const second = (await t.throwsAsync(c.create(cls('other', 1, { globalDefault: true })), { instanceOf: ApiError }))!;
  t.is(second.message, 'priorityclasses.scheduling.k8s.io "other" is forbidden: PriorityClass normal is marked as default. Only one default can exist');
  t.is(await c.tryGet('priorityclasses', '', 'other'), undefined);
  const own = (await t.throwsAsync(c.create(pod('own', { priority: 7 })), { instanceOf: ApiError }))!;
  t.regex(own.message, /^pods "own" is forbidden: the integer value of priority \(7\) must not be provided in pod spec/);
  // Updating a pod (labels) keeps the priority admission set.
  const cur = await c.get<PodObject>('pods', 'default', 'defaulted');
  const updated = await c.update<PodObject>({ ...cur, metadata: { ...cur.metadata, labels: { x: 'y' } } });
  t.is(updated.spec?.priority, 500);
  // The value is fixed once made.
  const pcNow = await c.get<PriorityClassObject>('priorityclasses', '', 'batch-low');
  const changed = (await t.throwsAsync(c.update({ ...pcNow, value: 101 }), { instanceOf: ApiError }))!;
  t.is(changed.message, 'PriorityClass "batch-low" is invalid: value: Forbidden: may not be changed in an update.');
});
