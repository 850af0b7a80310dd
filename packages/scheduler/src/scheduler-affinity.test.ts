// InterPodAffinity and PodTopologySpread in the whole scheduler, against a real API server on a
// real etcd, with the scheduler's own identity (so its RBAC role covers the namespaces,
// Services and ReplicaSets it now watches): anti-affinity leaves the 4th replica Pending with
// Kubernetes' message, a namespaceSelector is resolved from Namespace labels, a ReplicaSet's
// replicas are spread, and a pod waiting for an affinity partner is placed once the partner is.
import test from 'ava';
import { NODE_LEASE_NAMESPACE, type Event, type KubeObject, type Node, type Pod, type ReplicaSet, type TugboatClient } from '@tugboat/api';
import { etcdAvailable, startApiServerInProcess, startEtcd, waitFor, type ApiServerHandle, type EtcdHandle } from '@tugboat/test';
import { Scheduler } from './scheduler.js';
import { createNodeWithLease, makeNode, makePod, makeReplicaSet, type PodSpecLite } from './test-util.js';

type PodObject = Pod & KubeObject;

const serial = etcdAvailable() ? test.serial : test.serial.skip;
if (!etcdAvailable()) console.log('scheduler-affinity: skipped, no etcd binary on this machine');

let etcd: EtcdHandle | undefined;
let api: ApiServerHandle | undefined;
let client: TugboatClient;
let scheduler: Scheduler | undefined;

async function addNode(node: Node): Promise<void> {
  await createNodeWithLease(client, node);
}

async function create(name: string, o: PodSpecLite): Promise<void> {
  await client.create(makePod(name, { cpu: '10m', ...o }) as PodObject);
}

async function boundTo(name: string, namespace = 'default'): Promise<string> {
  let node = '';
  await waitFor(`pod ${name} to be bound`, async () => {
    node = (await client.get<PodObject>('pods', namespace, name)).spec?.nodeName ?? '';
    return node !== '';
  }, 15_000);
  return node;
}

test.before(async () => {
  if (!etcdAvailable()) return;
  etcd = await startEtcd();
  api = await startApiServerInProcess(etcd.endpoint);
  client = api.client();
  const schedulerClient = api.client(api.pki.credentials(await api.pki.user('system:kube-scheduler')));
  for (const ns of [NODE_LEASE_NAMESPACE, 'default']) {
    await waitFor(`namespace ${ns}`, async () => (await client.tryGet('namespaces', '', ns)) !== undefined, 15_000);
  }
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', labels: { tier: 'batch' } } } as KubeObject);
  const zones = ['a', 'b', 'c'];
  for (let i = 1; i <= 3; i++) await addNode(makeNode(`node-${i}`, { cpu: '8', memory: '16Gi', labels: { 'topology.kubernetes.io/zone': zones[i - 1]! } }));
  scheduler = new Scheduler({ client: schedulerClient, leaderElect: false, log: () => {} });
  await scheduler.start();
});

test.after.always(async () => {
  await scheduler?.stop().catch(() => undefined);
  await api?.stop();
  await etcd?.destroy();
});

serial('required anti-affinity on hostname: 3 of 4 replicas placed, the 4th Pending with the message and an event', async (t) => {
  const anti: PodSpecLite = {
    labels: { app: 'web' },
    affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }] } },
  };
  for (let i = 1; i <= 4; i++) await create(`web-${i}`, anti);
  const message = "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.";
  let pending = '';
  await waitFor('three bound and one Unschedulable', async () => {
    const { items } = await client.list<PodObject>('pods', { namespace: 'default', labelSelector: 'app=web' });
    const unsched = items.filter((p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False' && c.message === message));
    pending = unsched[0]?.metadata?.name ?? '';
    return items.filter((p) => p.spec?.nodeName).length === 3 && unsched.length === 1;
  }, 15_000);
  const { items } = await client.list<PodObject>('pods', { namespace: 'default', labelSelector: 'app=web' });
  t.deepEqual(items.map((p) => p.spec?.nodeName).filter(Boolean).sort(), ['node-1', 'node-2', 'node-3']);
  await waitFor('a FailedScheduling event', async () => {
    const ev = await client.list<Event & KubeObject>('events', { namespace: 'default' });
    return ev.items.some((e) => e.involvedObject.name === pending && e.reason === 'FailedScheduling' && e.message === message);
  });
  t.pass();
});

serial("a namespaceSelector matches by the Namespace's labels", async (t) => {
  await client.create(makePod('batch-db', { namespace: 'team', nodeName: 'node-2', labels: { app: 'batch-db' } }) as PodObject);
  await create('near-db', { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [
    { labelSelector: { matchLabels: { app: 'batch-db' } }, namespaceSelector: { matchLabels: { tier: 'batch' } }, topologyKey: 'kubernetes.io/hostname' },
  ] } } });
  t.is(await boundTo('near-db'), 'node-2');
});

serial('a pod with required affinity waits for its partner and follows it', async (t) => {
  await create('follower', { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'cache' } }, topologyKey: 'topology.kubernetes.io/zone' }] } } });
  await waitFor('follower to be Unschedulable', async () => {
    const p = await client.get<PodObject>('pods', 'default', 'follower');
    return p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.message === "0/3 nodes are available: 3 node(s) didn't match pod affinity rules. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.") ?? false;
  }, 10_000);
  await create('cache', { labels: { app: 'cache' }, nodeName: 'node-3' });
  t.is(await boundTo('follower'), 'node-3');
});

serial("a ReplicaSet's replicas are spread over the nodes by the default constraints", async (t) => {
  await client.create(makeReplicaSet('spread') as ReplicaSet & KubeObject);
  // Two replicas already on node-1, which fillers on the others make by far the least loaded:
  // without spreading the next replicas would go there.
  for (const n of ['s-1', 's-2']) await create(n, { owner: 'spread', labels: { app: 'spread' }, nodeName: 'node-1' });
  for (const n of ['node-2', 'node-3']) await create(`filler-${n}`, { cpu: '2', nodeName: n });
  await new Promise((r) => setTimeout(r, 300));
  for (const n of ['s-3', 's-4']) await create(n, { owner: 'spread', labels: { app: 'spread' } });
  t.not(await boundTo('s-3'), 'node-1');
  t.not(await boundTo('s-4'), 'node-1');
});
