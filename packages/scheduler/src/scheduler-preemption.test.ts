// Preemption against a real API server on a real etcd, with the scheduler's own identity (so its
// RBAC role is tested): two fake nodes of 2 cpu filled with low-priority pods. The test plays
// the node agent where one is needed: it finishes the graceful deletion of terminating pods.
import test from 'ava';
import { FakeClock, NODE_LEASE_NAMESPACE, type Event, type KubeObject, type Node, type Pod, type PodDisruptionBudget, type PriorityClass, type TugboatClient } from '@tugboat/api';
import { etcdAvailable, startApiServerInProcess, startEtcd, waitFor, type ApiServerHandle, type EtcdHandle } from '@tugboat/test';
import { Scheduler } from './scheduler.js';
import { SchedulerMetrics } from './metrics.js';
import { createNodeWithLease, makeNode, makePod } from './test-util.js';

type PodObject = Pod & KubeObject;

const serial = etcdAvailable() ? test.serial : test.serial.skip;
if (!etcdAvailable()) console.log('scheduler-preemption: etcd not installed, skipping');

let etcd: EtcdHandle | undefined;
let api: ApiServerHandle | undefined;
let client: TugboatClient;
let schedulerClient: TugboatClient;
let scheduler: Scheduler | undefined;
const metrics = new SchedulerMetrics({ defaultMetrics: false });
const logs: string[] = [];

async function addNode(node: Node): Promise<void> {
  await createNodeWithLease(client, node);
}

function pod(name: string, cls: string, o: { cpu?: string; labels?: Record<string, string>; node?: string } = {}): PodObject {
  const p = makePod(name, { cpu: o.cpu ?? '1', ...(o.labels ? { labels: o.labels } : {}), ...(o.node ? { nodeSelector: { 'kubernetes.io/hostname': o.node } } : {}) });
  return { ...p, spec: { ...p.spec!, priorityClassName: cls } } as PodObject;
}

const get = (name: string): Promise<PodObject | undefined> => client.tryGet<PodObject>('pods', 'default', name);

async function boundTo(name: string): Promise<string> {
  let node = '';
  await waitFor(`pod ${name} to be bound`, async () => { node = (await get(name))?.spec?.nodeName ?? ''; return node !== ''; }, 20_000);
  return node;
}

async function events(involved: string, reason: string): Promise<Event[]> {
  const { items } = await client.list<Event & KubeObject>('events', { namespace: 'default' });
  return items.filter((e) => e.involvedObject.name === involved && e.reason === reason);
}

/** What an agent does for a pod being deleted: stop it and confirm (grace 0). Returns the pods it finished. */
async function finishTerminating(seen: Map<string, PodObject>): Promise<void> {
  const { items } = await client.list<PodObject>('pods', { namespace: 'default' });
  for (const p of items) {
    if (!p.metadata!.deletionTimestamp) continue;
    seen.set(p.metadata!.name!, p);
    await client.delete('pods', 'default', p.metadata!.name!, { gracePeriodSeconds: 0 }).catch(() => undefined);
  }
}

async function deleteAllPods(): Promise<void> {
  const { items } = await client.list<PodObject>('pods', { namespace: 'default' });
  await Promise.all(items.map((p) => client.delete('pods', 'default', p.metadata!.name!, { gracePeriodSeconds: 0 }).catch(() => undefined)));
  await waitFor('no pods left', async () => (await client.list('pods', { namespace: 'default' })).items.length === 0, 15_000);
}

test.before(async () => {
  if (!etcdAvailable()) return;
  etcd = await startEtcd();
  api = await startApiServerInProcess(etcd.endpoint);
  client = api.client();
  for (const ns of [NODE_LEASE_NAMESPACE, 'tugboat-system', 'default']) {
    await waitFor(`namespace ${ns}`, async () => (await client.tryGet('namespaces', '', ns)) !== undefined, 15_000);
  }
  const classes: Array<[string, number, 'Never' | 'PreemptLowerPriority']> = [['low', 10, 'PreemptLowerPriority'], ['high', 1000, 'PreemptLowerPriority'], ['high-never', 1000, 'Never']];
  for (const [name, value, preemptionPolicy] of classes) {
    await client.create({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, preemptionPolicy } as PriorityClass & KubeObject);
  }
  for (const name of ['node-a', 'node-b']) await addNode(makeNode(name, { cpu: '2', memory: '4Gi' }));
  schedulerClient = api.client(api.pki.credentials(await api.pki.user('system:kube-scheduler')));
  scheduler = new Scheduler({ client: schedulerClient, leaderElect: false, metrics, log: (l) => logs.push(l) });
  await scheduler.start();
});

test.after.always(async () => {
  await scheduler?.stop().catch(() => undefined);
  await api?.stop();
  await etcd?.destroy();
});

test.afterEach.always(async () => {
  if (etcdAvailable()) await deleteAllPods();
});

serial('a high-priority pod preempts low-priority pods on a full cluster and runs; the victims get DisruptionTarget and Preempted events', async (t) => {
  for (let i = 1; i <= 4; i++) await client.create(pod(`low-${i}`, 'low'));
  const placed = new Map<string, string>();
  for (let i = 1; i <= 4; i++) placed.set(`low-${i}`, await boundTo(`low-${i}`));
  t.deepEqual([...placed.values()].sort(), ['node-a', 'node-a', 'node-b', 'node-b']);

  const high = await client.create(pod('high', 'high', { cpu: '2' }));
  let nominated = '';
  const terminated = new Map<string, PodObject>();
  await waitFor('the preemptor to be nominated and its victims to terminate', async () => {
    nominated ||= (await get('high'))?.status?.nominatedNodeName ?? '';
    await finishTerminating(terminated);
    return nominated !== '' && terminated.size === 2;
  }, 20_000, 25);
  t.true(nominated === 'node-a' || nominated === 'node-b');
  t.is(await boundTo('high'), nominated);

  const victims = [...placed].filter(([, n]) => n === nominated).map(([name]) => name).sort();
  t.deepEqual([...terminated.keys()].sort(), victims);
  for (const v of terminated.values()) {
    const c = v.status?.conditions?.find((x) => x.type === 'DisruptionTarget');
    t.like(c, { status: 'True', reason: 'PreemptionByScheduler', message: 'default-scheduler: preempting to accommodate a higher priority pod' });
  }
  for (const v of victims) t.is(await get(v), undefined, `${v} is gone`);
  for (const [name, n] of placed) if (n !== nominated) t.truthy(await get(name), `${name} on the other node stays`);
  await waitFor('Preempted events', async () => (await Promise.all(victims.map((v) => events(v, 'Preempted')))).every((e) => e.length === 1));
  const [ev] = await events(victims[0]!, 'Preempted');
  t.is(ev!.message, `Preempted by pod ${high.metadata!.uid} on node ${nominated}`);
  t.is(ev!.type, 'Normal');
  const text = await metrics.registry.metrics();
  t.regex(text, /scheduler_preemption_attempts_total [1-9]/);
  t.regex(text, /scheduler_preemption_victims_sum 2/);
});

serial('a disruption budget that would be broken steers preemption to the other node', async (t) => {
  for (const [name, node, app] of [['db-1', 'node-a', 'db'], ['db-2', 'node-a', 'db'], ['web-1', 'node-b', 'web'], ['web-2', 'node-b', 'web']] as const) {
    await client.create(pod(name, 'low', { node, labels: { app } }));
  }
  for (const name of ['db-1', 'db-2', 'web-1', 'web-2']) await boundTo(name);
  // Without the budget node-a would win: its victims started last (Kubernetes' final tie-break).
  const start = (name: string, iso: string) => get(name).then((p) => client.updateStatus({ ...p!, status: { ...p!.status, startTime: iso } }));
  for (const n of ['web-1', 'web-2']) await start(n, new Date(Date.now() - 3_600_000).toISOString());
  for (const n of ['db-1', 'db-2']) await start(n, new Date().toISOString());
  const pdb = await client.create({
    apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'db', namespace: 'default' },
    spec: { minAvailable: 2, selector: { matchLabels: { app: 'db' } } },
  } as PodDisruptionBudget & KubeObject);
  // No disruption controller runs here: write the status it would.
  await client.updateStatus({ ...pdb, status: { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2, expectedPods: 2, observedGeneration: 1 } });
  await new Promise((r) => setTimeout(r, 300)); // the scheduler's informers see the budget and the start times

  await client.create(pod('high', 'high', { cpu: '2' }));
  const terminated = new Map<string, PodObject>();
  await waitFor('the preemptor to run', async () => {
    await finishTerminating(terminated);
    return (await get('high'))?.spec?.nodeName !== undefined;
  }, 20_000, 25);
  t.is((await get('high'))?.spec?.nodeName, 'node-b');
  t.deepEqual([...terminated.keys()].sort(), ['web-1', 'web-2']);
  t.truthy(await get('db-1'));
  t.truthy(await get('db-2'));
  await client.delete('poddisruptionbudgets', 'default', 'db');
});

/** scheduler_schedule_attempts_total{result="unschedulable"} so far. */
async function unschedulableAttempts(): Promise<number> {
  const m = await metrics.registry.getSingleMetric('scheduler_schedule_attempts_total')?.get();
  return m?.values.find((v) => v.labels.result === 'unschedulable')?.value ?? 0;
}

serial('a pod whose class says preemptionPolicy Never stays Pending and preempts nothing, when tried again too', async (t) => {
  // A scheduler on a FakeClock, so the parked pod's next try (after 60 s parked, or its
  // back-off) comes from moving the clock, not from sleeping.
  await scheduler?.stop();
  const clock = new FakeClock(Date.now());
  scheduler = new Scheduler({ client: schedulerClient, leaderElect: false, metrics, clock, log: (l) => logs.push(l) });
  await scheduler.start();
  for (let i = 1; i <= 4; i++) await client.create(pod(`low-${i}`, 'low'));
  for (let i = 1; i <= 4; i++) await boundTo(`low-${i}`);
  await client.create(pod('polite', 'high-never', { cpu: '2' }));
  await waitFor('a FailedScheduling event', async () => (await events('polite', 'FailedScheduling')).length > 0);
  const [ev] = await events('polite', 'FailedScheduling');
  t.is(ev!.message, '0/2 nodes are available: 2 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.');
  const tried = await unschedulableAttempts();
  clock.advance(61_000);
  await waitFor('the parked pod to be tried again', async () => (await unschedulableAttempts()) > tried);
  const p = await get('polite');
  t.is(p?.spec?.nodeName, undefined);
  t.is(p?.status?.nominatedNodeName, undefined);
  const { items } = await client.list<PodObject>('pods', { namespace: 'default' });
  t.is(items.filter((x) => x.metadata!.deletionTimestamp).length, 0, 'nothing was preempted');
  t.is(items.length, 5);
});
