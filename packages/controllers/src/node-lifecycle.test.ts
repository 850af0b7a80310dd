// Integration: node failure handling against a real API server on a real etcd. Three fake
// nodes renew their Leases; the test stops and restarts those heartbeats. A stand-in
// scheduler binds pods to nodes that are up, a stand-in agent reports them Ready.
import test from 'ava';
import type { KubeObject, TugboatClient } from '@tugboat/api';
import { waitFor } from '@tugboat/test';
import type { NodeObject, PodObject } from './informers.js';
import { etcdAvailable, fakeAgent, fakeNode, fakeScheduler, podsOf, replicaSet, startTestCluster, type FakeNode, type TestCluster } from './testing/cluster.js';

const NS = 'default';
const GRACE_MS = 1500;
let cluster: TestCluster | undefined;
const nodes: FakeNode[] = [];
const down = new Set<string>();
const helpers: { stop(): void }[] = [];

test.before(async () => {
  if (!etcdAvailable()) return;
  cluster = await startTestCluster({ nodeMonitorGracePeriodMs: GRACE_MS, nodeMonitorPeriodMs: 200, podGcPeriodMs: 300, nodeEvictionRate: 100 });
  const c = cluster.client;
  // node-2 says it is alive by heartbeats only (its Lease is never renewed), the others by
  // their Leases: the controller must hear both.
  for (const name of ['node-1', 'node-2', 'node-3']) nodes.push(await fakeNode(c, name, 150, name === 'node-2' ? 'heartbeat' : 'lease'));
  helpers.push(fakeScheduler(c, () => nodes.map((n) => n.name).filter((n) => !down.has(n))));
  helpers.push(fakeAgent(c, { boundOnly: true, skipNodes: () => down }));
});

test.after.always(async () => {
  for (const h of helpers) h.stop();
  for (const n of nodes) n.stop();
  await cluster?.stop();
});

const serial = etcdAvailable() ? test.serial : test.skip;

function node(name: string): FakeNode {
  const n = nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name}`);
  return n;
}

function stopNode(name: string): void {
  down.add(name);
  node(name).pause();
}

function startNode(name: string): void {
  down.delete(name);
  node(name).resume();
}

const taintKeys = (n: NodeObject): string[] => (n.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute').map((t) => t.key);
const readyStatus = (n: NodeObject): string | undefined => n.status?.conditions?.find((c) => c.type === 'Ready')?.status;

type EventObj = KubeObject & { reason?: string; message?: string; involvedObject?: { name?: string; kind?: string } };
async function events(c: TugboatClient, reason: string): Promise<EventObj[]> {
  return (await c.list<EventObj>('events', { namespace: NS })).items.filter((e) => e.reason === reason);
}

const runningReady = (p: PodObject): boolean => !p.metadata?.deletionTimestamp && !!p.spec?.nodeName
  && !!p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');

serial('two of three nodes lost at once: nothing is evicted and an Event says why', async (t) => {
  const c = cluster!.client;
  await c.create(replicaSet('halt', 3));
  await waitFor('3 pods running', async () => (await podsOf(c, 'halt')).filter(runningReady).length === 3, 15_000);

  stopNode('node-1');
  stopNode('node-3');
  await waitFor('both tainted unreachable', async () => {
    const [a, b] = await Promise.all([c.get<NodeObject>('nodes', '', 'node-1'), c.get<NodeObject>('nodes', '', 'node-3')]);
    return taintKeys(a).includes('node.kubernetes.io/unreachable') && taintKeys(b).includes('node.kubernetes.io/unreachable')
      && readyStatus(a) === 'Unknown' && readyStatus(b) === 'Unknown';
  }, 15_000);
  await waitFor('EvictionsHalted event', async () => (await events(c, 'EvictionsHalted')).length > 0, 10_000);
  // node-2, alive by heartbeats alone, is not among the lost.
  const n2 = await c.get<NodeObject>('nodes', '', 'node-2');
  t.deepEqual(taintKeys(n2), []);
  t.is(readyStatus(n2), 'True');
  const halted = await events(c, 'EvictionsHalted');
  t.regex(halted[0]?.message ?? '', /2 of 3 nodes \(67%\) are unhealthy, over the 55% threshold/);
  // Several monitor periods later, still nothing deleted.
  await new Promise((r) => setTimeout(r, 1000));
  t.true((await podsOf(c, 'halt')).every((p) => !p.metadata?.deletionTimestamp), 'no pod evicted in full disruption');
  t.is((await events(c, 'TaintManagerEviction')).length, 0);

  startNode('node-1');
  startNode('node-3');
  await waitFor('taints removed, Ready again', async () => {
    const [a, b] = await Promise.all([c.get<NodeObject>('nodes', '', 'node-1'), c.get<NodeObject>('nodes', '', 'node-3')]);
    return taintKeys(a).length === 0 && taintKeys(b).length === 0 && readyStatus(a) === 'True' && readyStatus(b) === 'True';
  }, 15_000);
  t.true((await podsOf(c, 'halt')).every((p) => !p.metadata?.deletionTimestamp));
  await c.delete('replicasets', NS, 'halt');
});

serial('a lost node is tainted, its pods are evicted and replaced elsewhere; tolerationSeconds is honoured', async (t) => {
  const c = cluster!.client;
  await c.create(replicaSet('web', 6));
  await waitFor('6 pods running, some on node-2', async () => {
    const ps = (await podsOf(c, 'web')).filter(runningReady);
    return ps.length === 6 && ps.some((p) => p.spec?.nodeName === 'node-2');
  }, 15_000);
  const onNode2 = (await podsOf(c, 'web')).filter((p) => p.spec?.nodeName === 'node-2').map((p) => p.metadata?.name);
  // A pod that tolerates unreachability for 4 s goes later than the others.
  await c.create<PodObject>({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'patient', namespace: NS, labels: { app: 'patient' } },
    spec: {
      nodeName: 'node-2',
      containers: [{ name: 'app', image: 'busybox' }],
      tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 4 }],
    },
  });
  await waitFor('patient running', async () => runningReady(await c.get<PodObject>('pods', NS, 'patient')), 10_000);

  stopNode('node-2');
  await waitFor('node-2 Unknown and tainted unreachable', async () => {
    const n = await c.get<NodeObject>('nodes', '', 'node-2');
    const ready = n.status?.conditions?.find((x) => x.type === 'Ready');
    return readyStatus(n) === 'Unknown' && ready?.reason === 'NodeStatusUnknown' && taintKeys(n).includes('node.kubernetes.io/unreachable');
  }, 15_000);
  await waitFor('node-2 pods evicted and replaced on other nodes', async () => {
    const ps = await podsOf(c, 'web');
    const evicted = ps.filter((p) => onNode2.includes(p.metadata?.name)).every((p) => !!p.metadata?.deletionTimestamp);
    const live = ps.filter(runningReady);
    return evicted && live.length === 6 && live.every((p) => p.spec?.nodeName !== 'node-2');
  }, 15_000);
  // The evictions happened while the tolerating pod still had time left.
  const patientThen = await c.get<PodObject>('pods', NS, 'patient');
  const evictions = await events(c, 'TaintManagerEviction');
  t.true(evictions.length >= onNode2.length);
  await waitFor('patient evicted after its toleration', async () => !!(await c.get<PodObject>('pods', NS, 'patient')).metadata?.deletionTimestamp, 10_000);
  t.falsy(patientThen.metadata?.deletionTimestamp, 'the tolerating pod outlived the immediate evictions');
  t.true((await events(c, 'NodeNotReady')).some((e) => e.involvedObject?.name === 'node-2'));
  const metrics = await cluster!.metrics.registry.metrics();
  const evicted = Number(/node_collector_evictions_total\{zone=""\} (\d+)/.exec(metrics)?.[1] ?? '0');
  t.true(evicted >= onNode2.length + 1, `node_collector_evictions_total is ${evicted}`);

  // Evicted pods stay Terminating (no agent confirms) until the node comes back or is deleted.
  t.true((await podsOf(c, 'web')).some((p) => p.spec?.nodeName === 'node-2' && !!p.metadata?.deletionTimestamp));

  startNode('node-2');
  await waitFor('node-2 untainted and Ready', async () => {
    const n = await c.get<NodeObject>('nodes', '', 'node-2');
    return taintKeys(n).length === 0 && readyStatus(n) === 'True';
  }, 15_000);
});

serial('pods bound to a deleted node are removed by pod GC', async (t) => {
  const c = cluster!.client;
  const stuck = (await podsOf(c, 'web')).filter((p) => p.spec?.nodeName === 'node-2' && p.metadata?.deletionTimestamp);
  t.true(stuck.length > 0, 'terminating pods of node-2 from the previous test');
  node('node-2').stop();
  down.add('node-2');
  await c.delete('nodes', '', 'node-2');
  await waitFor('pods of node-2 gone', async () => (await c.list<PodObject>('pods', { namespace: NS })).items.every((p) => p.spec?.nodeName !== 'node-2'), 15_000);
  t.is((await podsOf(c, 'web')).filter(runningReady).length, 6);
});
