// End to end on `tctl cluster up --nodes 2 --runtime process`, as a user: two pods on node-1
// burn cpu while requesting 10m each, two idle pods on node-2 request the same. Once the agents have
// reported that (usage every second here, --node-status-interval), 100 small pods are created:
// NodeResourcesLoadAware (issue 11) sends clearly more of them to node-2. By requests alone the
// nodes are equal and the pods would split about evenly.
import test from 'ava';
import { parseNodeUsage, type KubeObject, type Node, type Pod, type TugboatClient } from '@tugboat/api';
import { startLocalCluster, type LocalClusterHandle } from '../harness/cluster.js';
import { eventually, podsOf } from './helpers.js';

const SMALL_PODS = 100;
let cluster: LocalClusterHandle;
let client: TugboatClient;

test.before(async () => {
  cluster = await startLocalCluster({
    nodes: 2, runtime: 'process',
    // Both agents run on this one machine: the same capacity for each whatever its size (one
    // core: on a shared machine the loops get a fraction of a core, which must show), and
    // usage reported every second rather than every 10 s.
    args: ['--agent-arg=--node-status-interval=1s', '--agent-arg=--capacity=cpu=1,memory=8Gi,pods=110'],
  });
  client = cluster.client();
});

test.after.always(async () => {
  client?.close();
  await cluster?.destroy();
});

function pod(name: string, nodeName: string | undefined, command: string[], cpu: string, labels: Record<string, string> = {}): Pod & KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'default', labels },
    spec: {
      ...(nodeName ? { nodeName } : {}),
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'main', image: 'busybox', command, resources: { requests: { cpu, memory: '8Mi' } } }],
    },
  };
}

/** What node's agent last reported for a pod, millicores. */
async function reportedCpu(node: string, key: string): Promise<number | undefined> {
  const n = await client.get<Node & KubeObject>('nodes', '', node);
  const parsed = parseNodeUsage(n.metadata?.annotations);
  return parsed && 'report' in parsed ? parsed.report.pods.get(key)?.cpuMilli : undefined;
}

test.serial('the node whose pods burn cpu beyond their requests gets clearly fewer of 100 new pods than an idle node with the same requests', async (t) => {
  // Waiting for two usage reports and placing 100 pods takes a while on a busy machine.
  t.timeout(300_000);
  await eventually('2 nodes', async () => (await client.list<Node & KubeObject>('nodes')).items.length === 2, 120_000);
  for (const i of [1, 2]) {
    await client.create(pod(`burn-${i}`, 'node-1', ['sh', '-c', 'while :; do :; done'], '10m'));
    await client.create(pod(`idle-${i}`, 'node-2', ['sleep', '3600'], '10m'));
  }
  // The machine is shared: the loops get what the other processes leave them. 100m between
  // them is five times what they requested, which is the point.
  const burning = await eventually('node-1 reports the burning pods', async () => {
    const cpu = ((await reportedCpu('node-1', 'default/burn-1')) ?? 0) + ((await reportedCpu('node-1', 'default/burn-2')) ?? 0);
    return cpu >= 100 ? cpu : undefined;
  }, 120_000, 1_000);
  await eventually('node-2 reports the idle pods', async () => (await reportedCpu('node-2', 'default/idle-2')) !== undefined, 60_000);

  for (let i = 0; i < SMALL_PODS; i += 20) {
    await Promise.all(Array.from({ length: 20 }, (_, j) => client.create(pod(`small-${i + j + 1}`, undefined, ['sleep', '3600'], '2m', { app: 'small' }))));
  }
  const placed = await eventually(`${SMALL_PODS} pods placed`, async () => {
    const nodes = (await podsOf(cluster, 'app=small')).map((p) => p.spec.nodeName).filter((n): n is string => !!n);
    return nodes.length === SMALL_PODS ? nodes : undefined;
  }, 120_000);
  const on = (node: string): number => placed.filter((n) => n === node).length;
  t.log(`burning pods reported at ${burning}m (requests 20m); of ${SMALL_PODS} pods node-1 got ${on('node-1')}, node-2 got ${on('node-2')}`);
  t.true(on('node-2') >= on('node-1') + 10, `node-2 (idle) ${on('node-2')}, node-1 (busy) ${on('node-1')}`);
  await cluster.tctl(['delete', 'pod', 'burn-1', 'burn-2']);
});
