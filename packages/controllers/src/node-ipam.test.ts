// Node IPAM against a real API server on a real etcd: allocation in order, CIDRs already on
// Nodes (an agent's --pod-cidr) respected, a restart that hands out nothing twice, a full
// range reported, and a deleted Node's block given to the next one waiting.
import test from 'ava';
import type { KubeObject, TugboatClient } from '@tugboat/api';
import { waitFor } from '@tugboat/test';
import { silentLogger } from './controller.js';
import type { NodeObject } from './informers.js';
import { ControllerManager } from './manager.js';
import { nodePodCIDR } from './node-ipam.js';
import { etcdAvailable, startTestCluster, type TestCluster } from './testing/cluster.js';

let cluster: TestCluster | undefined;

test.before(async () => {
  if (!etcdAvailable()) return;
  // The cluster's own manager runs nothing; each test starts node IPAM as it needs.
  cluster = await startTestCluster({ controllers: [] });
});

test.after.always(async () => {
  await cluster?.stop();
});

const skipWithoutEtcd = etcdAvailable() ? test : test.skip;

async function ipam(c: TestCluster, errors: string[]): Promise<ControllerManager> {
  const client = c.api.client(c.api.pki.credentials(await c.api.pki.user('system:kube-controller-manager')));
  const m = new ControllerManager({
    client,
    controllers: ['nodeipam'],
    allocateNodeCidrs: true,
    clusterCidr: '198.18.0.0/22',
    nodeCidrMaskSize: 24,
    log: { ...silentLogger, error: (e) => errors.push(e) },
  });
  await m.start();
  return m;
}

async function node(c: TugboatClient, name: string, podCIDR?: string): Promise<void> {
  await c.create<NodeObject>({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {} });
}

async function cidrOf(c: TugboatClient, name: string): Promise<string | undefined> {
  const n = await c.tryGet<NodeObject>('nodes', '', name);
  return n ? nodePodCIDR(n) : undefined;
}

skipWithoutEtcd('allocation, restart, full range and release', async (t) => {
  const tc = cluster!;
  const c = tc.client;
  const errors: string[] = [];
  // Before the controller starts: one Node with its agent's --pod-cidr, one without.
  await node(c, 'ipam-agent', '198.18.1.0/24');
  await node(c, 'ipam-a');
  let m = await ipam(tc, errors);
  await waitFor('ipam-a gets the first free block', async () => (await cidrOf(c, 'ipam-a')) === '198.18.0.0/24');
  const a = await c.get<NodeObject>('nodes', '', 'ipam-a');
  t.deepEqual(a.spec?.podCIDRs, ['198.18.0.0/24']);
  t.is(await cidrOf(c, 'ipam-agent'), '198.18.1.0/24', 'a pod CIDR already set is kept');

  await node(c, 'ipam-b');
  await waitFor('ipam-b skips the agent\'s block', async () => (await cidrOf(c, 'ipam-b')) === '198.18.2.0/24');

  // A restart remembers every block on the Nodes.
  await m.stop();
  await node(c, 'ipam-c');
  m = await ipam(tc, errors);
  await waitFor('ipam-c after the restart', async () => (await cidrOf(c, 'ipam-c')) === '198.18.3.0/24');

  // The range (4 blocks) is full.
  await node(c, 'ipam-d');
  await waitFor('CIDRNotAvailable recorded', async () => {
    const { items } = await c.list<KubeObject & { reason?: string; involvedObject?: { name?: string } }>('events', { namespace: 'default' });
    return items.some((e) => e.reason === 'CIDRNotAvailable' && e.involvedObject?.name === 'ipam-d');
  });
  t.is(await cidrOf(c, 'ipam-d'), undefined);

  // A deleted Node's block goes to the Node waiting for one.
  await c.delete('nodes', '', 'ipam-b');
  await waitFor('ipam-d gets the released block', async () => (await cidrOf(c, 'ipam-d')) === '198.18.2.0/24');
  await m.stop();
  t.deepEqual(errors.filter((e) => !e.includes('no free /24')), []);
});
