// End to end on `tctl cluster up --nodes 2 --runtime fake`, as a user (issue 11's acceptance for
// preemption): PriorityClasses low and high, a Deployment of low-priority pods that fills both
// nodes, then a high-priority pod: it preempts, runs, its victims are gone, and `tctl get
// events` shows Preempted. The victims' replacements stay Pending: the room is the nominee's.
import test from 'ava';
import type { KubeObject, Node, TugboatClient } from '@tugboat/api';
import { parseQuantity } from '@tugboat/api';
import { startLocalCluster, type LocalClusterHandle } from '../harness/cluster.js';
import { applyManifest, eventually, podsOf } from './helpers.js';

let cluster: LocalClusterHandle;
let client: TugboatClient;

test.before(async () => {
  cluster = await startLocalCluster({ nodes: 2, runtime: 'fake' });
  client = cluster.client();
});

test.after.always(async () => {
  client?.close();
  await cluster?.destroy();
});

const apply = (manifest: string): Promise<void> => applyManifest(cluster, manifest);

test('a high-priority pod preempts a Deployment of low-priority pods on full nodes and runs', async (t) => {
  const nodes = await eventually('2 nodes', async () => {
    const { items } = await client.list<Node & KubeObject>('nodes');
    return items.length === 2 ? items : undefined;
  });
  // Sized from what the nodes report: two low pods fill a node (40% each, a third does not
  // fit), and the high pod (70%) fits only where both low pods are gone.
  const cpuMilli = Math.min(...nodes.map((n) => parseQuantity(n.status?.allocatable?.['cpu'] ?? '1').milliValue()));
  const lowCpu = `${Math.floor(cpuMilli * 0.4)}m`;
  const highCpu = `${Math.floor(cpuMilli * 0.7)}m`;
  await apply(`apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: low}
value: 100
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 10000
`);
  await apply(`apiVersion: apps/v1
kind: Deployment
metadata: {name: filler}
spec:
  replicas: 4
  selector: {matchLabels: {app: filler}}
  template:
    metadata: {labels: {app: filler}}
    spec:
      priorityClassName: low
      terminationGracePeriodSeconds: 1
      containers:
      - {name: main, image: busybox, command: [sleep, "3600"], resources: {requests: {cpu: ${lowCpu}, memory: 8Mi}}}
`);
  const fillers = await eventually('4 filler pods Running, 2 per node', async () => {
    const pods = await podsOf(cluster, 'app=filler');
    const running = pods.filter((p) => p.status.phase === 'Running' && !p.metadata.deletionTimestamp);
    return running.length === 4 ? running : undefined;
  });
  const before = new Map(fillers.map((p) => [p.metadata.name, p.spec.nodeName ?? '']));
  t.deepEqual([...before.values()].sort(), [...nodes.map((n) => n.metadata!.name!), ...nodes.map((n) => n.metadata!.name!)].sort());

  await apply(`apiVersion: v1
kind: Pod
metadata: {name: urgent, labels: {app: urgent}}
spec:
  priorityClassName: high
  terminationGracePeriodSeconds: 1
  containers:
  - {name: main, image: busybox, command: [sleep, "3600"], resources: {requests: {cpu: ${highCpu}, memory: 8Mi}}}
`);
  const [urgent] = await eventually('the high-priority pod Running', async () => {
    const pods = await podsOf(cluster, 'app=urgent');
    return pods[0]?.status.phase === 'Running' ? pods : undefined;
  }, 90_000);
  const node = urgent!.spec.nodeName!;
  const victims = [...before].filter(([, n]) => n === node).map(([name]) => name).sort();
  t.is(victims.length, 2);
  const after = await podsOf(cluster, 'app=filler');
  for (const v of victims) t.false(after.some((p) => p.metadata.name === v), `victim ${v} is gone`);
  for (const [name, n] of before) if (n !== node) t.true(after.some((p) => p.metadata.name === name && p.status.phase === 'Running'), `${name} on the other node still runs`);
  // The ReplicaSet replaced the victims; they fit nowhere and must not take the nominee's room.
  t.is(after.filter((p) => p.spec.nodeName === node).length, 0);

  const events = await eventually('Preempted events in tctl get events', async () => {
    const res = await cluster.tctl(['get', 'events']);
    return victims.every((v) => res.stdout.split('\n').some((l) => l.includes('Preempted') && l.includes(v))) ? res.stdout : undefined;
  });
  t.regex(events, new RegExp(`Preempted by pod ${(await client.get<KubeObject>('pods', 'default', 'urgent')).metadata!.uid} on node ${node}`));
});
