// Integration: the DaemonSet controller and the ReplicationController (the ReplicaSet
// controller on the v1 kind) against a real API server on a real etcd. Stand-ins bind each
// daemon pod to the node its affinity pins it to (as the scheduler's NodeAffinity filter
// leaves it no other), report pods Ready, and finish deletions as an agent would.
import test from 'ava';
import { ApiError, Informer, type KubeObject, type ReplicationController, type TugboatClient } from '@tugboat/api';
import { waitFor } from '@tugboat/test';
import { targetNodeName } from './daemonset-nodes.js';
import type { ControllerRevisionObject, DaemonSetObject, NodeObject, PodObject } from './informers.js';
import { controllerRef } from './owner-refs.js';
import { etcdAvailable, fakeAgent, fakeNode, mutate, startTestCluster, type FakeNode, type TestCluster } from './testing/cluster.js';

let cluster: TestCluster | undefined;
const stoppers: { stop(): void }[] = [];
const nodes: FakeNode[] = [];

/** Binds each unbound pod to its target node (others to n1), and removes deleted pods after `graceMs` (an agent's confirmation). */
function binderAndReaper(client: TugboatClient, graceMs: number): { stop(): void } {
  const inf = new Informer<PodObject>(client, 'pods');
  const seen = (p: PodObject): void => {
    const ns = p.metadata?.namespace ?? '';
    const name = p.metadata?.name ?? '';
    if (p.metadata?.deletionTimestamp) {
      setTimeout(() => void client.delete('pods', ns, name, { gracePeriodSeconds: 0 }).catch(() => undefined), graceMs);
      return;
    }
    // Daemon pods where their affinity pins them; others (an RC's) anywhere.
    const node = targetNodeName(p) ?? 'n1';
    if (!p.spec?.nodeName) void client.bind(ns, name, node).catch(() => undefined);
  };
  inf.onAdd(seen).onUpdate((_o, p) => seen(p));
  void inf.start();
  return { stop: () => inf.stop() };
}

test.before(async () => {
  if (!etcdAvailable()) return;
  cluster = await startTestCluster({ controllers: ['daemonset', 'replicationcontroller', 'garbagecollector'] });
  for (const n of ['n1', 'n2', 'n3']) nodes.push(await fakeNode(cluster.client, n));
  stoppers.push(binderAndReaper(cluster.client, 300), fakeAgent(cluster.client, { boundOnly: true }));
});

test.after.always(async () => {
  for (const s of stoppers) s.stop();
  for (const n of nodes) n.stop();
  await cluster?.stop();
});

const NS = 'default';
const serial = etcdAvailable() ? test.serial : test.serial.skip;
if (!etcdAvailable()) console.log('daemonset.test.ts: skipped: no etcd binary');

function c(): TugboatClient {
  if (!cluster) throw new Error('no cluster');
  return cluster.client;
}

function daemonSet(name: string, spec: Record<string, unknown> = {}, env = 'v1'): DaemonSetObject {
  return {
    apiVersion: 'apps/v1', kind: 'DaemonSet',
    metadata: { name, namespace: NS },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox', env: [{ name: 'V', value: env }] }], ...spec } },
    },
  };
}

async function livePods(app: string): Promise<PodObject[]> {
  const { items } = await c().list<PodObject>('pods', { namespace: NS, labelSelector: `app=${app}` });
  return items.filter((p) => !p.metadata?.deletionTimestamp);
}

const nodesOf = (pods: readonly PodObject[]): string[] => pods.map((p) => p.spec?.nodeName ?? '?').sort();

async function podsOnNodes(app: string, want: string[], timeoutMs = 15_000): Promise<PodObject[]> {
  let last: PodObject[] = [];
  await waitFor(`${app} on ${want.join(',')}`, async () => {
    last = await livePods(app);
    return JSON.stringify(nodesOf(last)) === JSON.stringify(want);
  }, timeoutMs).catch((e: unknown) => { throw new Error(`${String(e)}; pods on ${nodesOf(last).join(',')}`); });
  return last;
}

serial('a DaemonSet runs one pod per node, pinned by node affinity with the default tolerations; a joining node gets one; status counts them', async (t) => {
  await c().create(daemonSet('agent'));
  const pods = await podsOnNodes('agent', ['n1', 'n2', 'n3']);
  const p = pods.find((x) => x.spec?.nodeName === 'n2')!;
  t.deepEqual(p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms,
    [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] }]);
  t.true(p.spec?.tolerations?.some((x) => x.key === 'node.kubernetes.io/unreachable' && x.effect === 'NoExecute' && x.operator === 'Exists'));
  t.truthy(p.metadata?.labels?.['controller-revision-hash']);
  t.is(controllerRef(p)?.kind, 'DaemonSet');

  nodes.push(await fakeNode(c(), 'n4'));
  await podsOnNodes('agent', ['n1', 'n2', 'n3', 'n4']);
  await waitFor('status of 4', async () => {
    const st = (await c().get<DaemonSetObject>('daemonsets', NS, 'agent')).status;
    return st?.desiredNumberScheduled === 4 && st.currentNumberScheduled === 4 && st.numberReady === 4 && st.numberAvailable === 4
      && st.updatedNumberScheduled === 4 && st.numberMisscheduled === 0 && st.observedGeneration === 1;
  });
  const revisions = (await c().list<ControllerRevisionObject>('controllerrevisions', { namespace: NS })).items.filter((r) => controllerRef(r)?.name === 'agent');
  t.is(revisions.length, 1);
  t.is(revisions[0]?.revision, 1);

  // A pod deleted by hand comes back on its node.
  await c().delete('pods', NS, p.metadata?.name ?? '');
  await waitFor('a new pod on n2', async () => (await livePods('agent')).some((x) => x.spec?.nodeName === 'n2' && x.metadata?.name !== p.metadata?.name));
  await c().delete('daemonsets', NS, 'agent');
  await waitFor('pods gone with their DaemonSet', async () => (await livePods('agent')).length === 0);
});

serial('nodeSelector: a node that loses the label loses the pod; one that gains it gets one', async (t) => {
  await mutate<NodeObject>(c(), 'nodes', '', 'n1', (n) => ({ ...n, metadata: { ...n.metadata, labels: { ...n.metadata?.labels, disk: 'ssd' } } }));
  await mutate<NodeObject>(c(), 'nodes', '', 'n2', (n) => ({ ...n, metadata: { ...n.metadata, labels: { ...n.metadata?.labels, disk: 'ssd' } } }));
  await c().create(daemonSet('ssd', { nodeSelector: { disk: 'ssd' } }));
  await podsOnNodes('ssd', ['n1', 'n2']);
  await mutate<NodeObject>(c(), 'nodes', '', 'n2', (n) => ({ ...n, metadata: { ...n.metadata, labels: { 'kubernetes.io/hostname': 'n2' } } }));
  await mutate<NodeObject>(c(), 'nodes', '', 'n3', (n) => ({ ...n, metadata: { ...n.metadata, labels: { ...n.metadata?.labels, disk: 'ssd' } } }));
  await podsOnNodes('ssd', ['n1', 'n3']);
  t.pass();
  await c().delete('daemonsets', NS, 'ssd');
});

serial('a NoSchedule taint keeps the pod off a node unless it is tolerated', async (t) => {
  await mutate<NodeObject>(c(), 'nodes', '', 'n3', (n) => ({ ...n, spec: { ...n.spec, taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] } }));
  await c().create(daemonSet('plain'));
  await c().create(daemonSet('tolerant', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] }));
  await podsOnNodes('plain', ['n1', 'n2', 'n4']);
  await podsOnNodes('tolerant', ['n1', 'n2', 'n3', 'n4']);
  const st = (await c().get<DaemonSetObject>('daemonsets', NS, 'plain')).status;
  t.is(st?.desiredNumberScheduled, 3);
  await mutate<NodeObject>(c(), 'nodes', '', 'n3', (n) => ({ ...n, spec: { ...n.spec, taints: [] } }));
  await podsOnNodes('plain', ['n1', 'n2', 'n3', 'n4']);
  await c().delete('daemonsets', NS, 'plain');
  await c().delete('daemonsets', NS, 'tolerant');
});

serial('a rolling update replaces one node at a time (maxUnavailable 1), records a second revision, and OnDelete waits', async (t) => {
  await c().create(daemonSet('roll'));
  await podsOnNodes('roll', ['n1', 'n2', 'n3', 'n4']);
  await waitFor('all available', async () => (await c().get<DaemonSetObject>('daemonsets', NS, 'roll')).status?.numberAvailable === 4);

  // Every state the pods go through, from a watch: never more than one node without a Ready pod.
  const inf = new Informer<PodObject>(c(), 'pods', { namespace: NS, labelSelector: 'app=roll' });
  let worst = 0;
  let listed = false;
  const check = (): void => {
    if (!listed) return;
    const readyNodes = new Set(inf.list().filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')).map((p) => p.spec?.nodeName));
    worst = Math.max(worst, 4 - readyNodes.size);
  };
  inf.onAdd(check).onUpdate(check).onDelete(check);
  await inf.start();
  listed = true;
  check();
  t.is(worst, 0);
  try {
    await mutate<DaemonSetObject>(c(), 'daemonsets', NS, 'roll', (d) => ({ ...d, spec: { ...d.spec!, template: daemonSet('roll', {}, 'v2').spec!.template } }));
    await waitFor('every pod on v2', async () => {
      const pods = await livePods('roll');
      return pods.length === 4 && pods.every((p) => p.spec?.containers[0]?.env?.[0]?.value === 'v2');
    }, 30_000);
    await waitFor('rolled out', async () => {
      const d = await c().get<DaemonSetObject>('daemonsets', NS, 'roll');
      return d.status?.updatedNumberScheduled === 4 && d.status.numberAvailable === 4 && d.status.observedGeneration === d.metadata?.generation;
    });
  } finally {
    inf.stop();
  }
  t.log(`most nodes without a ready pod during the update: ${worst}`);
  t.is(worst, 1);
  const revisions = (await c().list<ControllerRevisionObject>('controllerrevisions', { namespace: NS })).items.filter((r) => controllerRef(r)?.name === 'roll');
  t.deepEqual(revisions.map((r) => r.revision).sort(), [1, 2]);

  // OnDelete: a new template waits until a pod is deleted by hand.
  await mutate<DaemonSetObject>(c(), 'daemonsets', NS, 'roll', (d) => ({ ...d, spec: { ...d.spec!, updateStrategy: { type: 'OnDelete' }, template: daemonSet('roll', {}, 'v3').spec!.template } }));
  await new Promise((r) => setTimeout(r, 1500));
  t.true((await livePods('roll')).every((p) => p.spec?.containers[0]?.env?.[0]?.value === 'v2'), 'OnDelete leaves running pods alone');
  const one = (await livePods('roll'))[0]!;
  await c().delete('pods', NS, one.metadata?.name ?? '');
  await waitFor('the replacement on v3', async () => (await livePods('roll')).some((p) => p.spec?.nodeName === one.spec?.nodeName && p.spec?.containers[0]?.env?.[0]?.value === 'v3'));
  await c().delete('daemonsets', NS, 'roll');
});

serial('a DaemonSet whose selector does not match its template is refused, naming the field; nothing is stored', async (t) => {
  const bad = daemonSet('bad');
  bad.spec!.selector = { matchLabels: { app: 'other' } };
  const e = await t.throwsAsync(c().create(bad), { instanceOf: ApiError });
  t.regex(e?.message ?? '', /spec\.template\.metadata\.labels: Invalid value: .*`selector` does not match template `labels`/);
  t.is(await c().tryGet('daemonsets', NS, 'bad'), undefined);
});

serial('a ReplicationController keeps its replicas with the ReplicaSet machinery, owns them as v1 ReplicationController, and scales', async (t) => {
  const rc: ReplicationController & KubeObject = {
    apiVersion: 'v1', kind: 'ReplicationController',
    metadata: { name: 'nginx', namespace: NS },
    spec: { replicas: 3, template: { metadata: { labels: { app: 'nginx' } }, spec: { containers: [{ name: 'nginx', image: 'nginx' }] } } },
  };
  const stored = await c().create<ReplicationController & KubeObject>(rc);
  t.deepEqual(stored.spec?.selector, { app: 'nginx' }, 'the selector defaults to the template labels');
  t.deepEqual(stored.metadata?.labels, { app: 'nginx' });
  await waitFor('3 ready replicas', async () => {
    const cur = await c().get<ReplicationController & KubeObject>('replicationcontrollers', NS, 'nginx');
    return cur.status?.replicas === 3 && cur.status.readyReplicas === 3 && cur.status.availableReplicas === 3;
  });
  const pods = await livePods('nginx');
  t.is(pods.length, 3);
  t.true(pods.every((p) => controllerRef(p)?.kind === 'ReplicationController' && controllerRef(p)?.apiVersion === 'v1'));
  await mutate<ReplicationController & KubeObject>(c(), 'replicationcontrollers', NS, 'nginx', (o) => ({ ...o, spec: { ...o.spec, replicas: 1 } }));
  await waitFor('1 replica', async () => (await livePods('nginx')).length === 1
    && (await c().get<ReplicationController & KubeObject>('replicationcontrollers', NS, 'nginx')).status?.replicas === 1);
  await c().delete('replicationcontrollers', NS, 'nginx');
  await waitFor('its pods gone', async () => (await livePods('nginx')).length === 0);
});
