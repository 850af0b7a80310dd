// End to end on `tctl cluster up --nodes 3 --runtime fake`, as a user: zones set as node labels
// through the API, then Deployments and pods with pod affinity, anti-affinity and topology
// spread constraints applied with tctl (issue 11's acceptance for these two plugins).
import test from 'ava';
import type { Event, KubeObject, Node, TugboatClient } from '@tugboat/api';
import { startLocalCluster, type LocalClusterHandle } from '../harness/cluster.js';
import { applyManifest, eventually, podsOf, type PodView } from './helpers.js';

let cluster: LocalClusterHandle;
let client: TugboatClient;
const ZONES = ['zone-a', 'zone-b', 'zone-c'];
const zoneOf = new Map<string, string>();

test.before(async () => {
  cluster = await startLocalCluster({ nodes: 3, runtime: 'fake' });
  client = cluster.client();
  const nodes = await eventually('3 nodes', async () => {
    const { items } = await client.list<Node & KubeObject>('nodes');
    return items.length === 3 ? items : undefined;
  });
  nodes.sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1)).forEach((n, i) => zoneOf.set(n.metadata!.name!, ZONES[i]!));
  for (const [name, zone] of zoneOf) {
    await eventually(`zone label on ${name}`, async () => {
      const n = await client.get<Node & KubeObject>('nodes', '', name);
      await client.update({ ...n, metadata: { ...n.metadata, labels: { ...n.metadata?.labels, 'topology.kubernetes.io/zone': zone } } });
      return true;
    });
  }
});

test.after.always(async () => {
  client?.close();
  await cluster?.destroy();
});

const apply = (manifest: string): Promise<void> => applyManifest(cluster, manifest);

function deployment(name: string, replicas: number, affinity: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      terminationGracePeriodSeconds: 1
${affinity}
      containers:
      - {name: main, image: busybox, command: [sleep, "3600"], resources: {requests: {cpu: 10m, memory: 8Mi}}}
`;
}

const placedOn = (pods: PodView[]): string[] => pods.map((p) => p.spec.nodeName ?? '').filter(Boolean);

test.serial('required anti-affinity on hostname: 4 replicas on 3 nodes place 3, the 4th stays Pending with the message and an event', async (t) => {
  await apply(deployment('solo', 4, `      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector: {matchLabels: {app: solo}}
            topologyKey: kubernetes.io/hostname`));
  const message = "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.";
  const pending = await eventually('3 placed and 1 Unschedulable', async () => {
    const pods = await podsOf(cluster, 'app=solo');
    const waiting = pods.filter((p) => p.status.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable' && c.message === message));
    return pods.length === 4 && placedOn(pods).length === 3 && waiting.length === 1 ? waiting[0] : undefined;
  });
  const pods = await podsOf(cluster, 'app=solo');
  t.deepEqual(placedOn(pods).sort(), [...zoneOf.keys()].sort(), 'one per node');
  t.is(pending.status.phase, 'Pending');
  const event = await eventually('a FailedScheduling event', async () => {
    const { items } = await client.list<Event & KubeObject>('events', { namespace: 'default' });
    return items.find((e) => e.involvedObject.name === pending.metadata.name && e.reason === 'FailedScheduling');
  });
  t.is(event.message, message);
  t.is(event.type, 'Warning');
  await cluster.tctl(['delete', 'deployment', 'solo']);
});

test.serial('preferred anti-affinity spreads the replicas but places all 4', async (t) => {
  await apply(deployment('pref', 4, `      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 100
            podAffinityTerm:
              labelSelector: {matchLabels: {app: pref}}
              topologyKey: kubernetes.io/hostname`));
  const nodes = await eventually('4 placed', async () => {
    const placed = placedOn(await podsOf(cluster, 'app=pref'));
    return placed.length === 4 ? placed : undefined;
  });
  t.is(new Set(nodes).size, 3, `spread over every node: ${nodes.join(', ')}`);
  await cluster.tctl(['delete', 'deployment', 'pref']);
});

test.serial("required affinity to app=cache lands on the cache's node", async (t) => {
  await apply(`apiVersion: v1
kind: Pod
metadata: {name: cache, labels: {app: cache}}
spec:
  containers: [{name: main, image: busybox, command: [sleep, "3600"]}]
`);
  const cacheNode = await eventually('cache placed', async () => (await podsOf(cluster, 'app=cache'))[0]?.spec.nodeName);
  await apply(`apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  affinity:
    podAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - labelSelector: {matchLabels: {app: cache}}
        topologyKey: kubernetes.io/hostname
  containers: [{name: main, image: busybox, command: [sleep, "3600"]}]
`);
  t.is(await eventually('web placed', async () => (await podsOf(cluster, 'app=web'))[0]?.spec.nodeName), cacheNode);
});

test.serial('maxSkew 1 over 3 zones: 7 pods come out 3/2/2', async (t) => {
  await apply(deployment('zoned', 7, `      topologySpreadConstraints:
      - maxSkew: 1
        topologyKey: topology.kubernetes.io/zone
        whenUnsatisfiable: DoNotSchedule
        labelSelector: {matchLabels: {app: zoned}}`));
  const placed = await eventually('7 placed', async () => {
    const p = placedOn(await podsOf(cluster, 'app=zoned'));
    return p.length === 7 ? p : undefined;
  });
  const perZone = new Map<string, number>();
  for (const n of placed) perZone.set(zoneOf.get(n)!, (perZone.get(zoneOf.get(n)!) ?? 0) + 1);
  t.deepEqual([...perZone.values()].sort(), [2, 2, 3]);
});

test.serial('maxSkew 0 is refused at apply with one line naming the field, and nothing is stored', async (t) => {
  const res = await cluster.tctl(['apply', '-f', '-'], `apiVersion: v1
kind: Pod
metadata: {name: skewless}
spec:
  topologySpreadConstraints:
  - {maxSkew: 0, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule}
  containers: [{name: main, image: busybox}]
`);
  t.not(res.code, 0);
  const lines = res.stderr.trim().split('\n');
  t.is(lines.length, 1, res.stderr);
  t.regex(lines[0]!, /spec\.topologySpreadConstraints\[0\]\.maxSkew: Invalid value: 0: must be greater than zero/);
  t.is(await client.tryGet('pods', 'default', 'skewless'), undefined);
});
