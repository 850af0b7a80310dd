// host-gw routes: what a host needs from the Nodes (pure), and the router keeping a real
// network namespace's routes and masquerade table in line with Nodes in a real API server.
// Network: a namespace made here, with 198.19.254.x on a veth link, routes to 198.18.24x.0/24.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import type { KubeObject, Node } from '@tugboat/api';
import { etcdAvailable, startApiServerInProcess, startEtcd, waitFor } from '@tugboat/test';
import { nftBinary } from '../proxy/nft.js';
import { desiredRoutes, masqueradeRuleset, routeChanges, tableName } from './host-gw.js';
import { HostGwRouter } from './router.js';

const node = (name: string, ip: string | undefined, cidr: string | undefined): Node & KubeObject => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name },
  spec: cidr ? { podCIDR: cidr, podCIDRs: [cidr] } : {},
  status: ip ? { addresses: [{ type: 'InternalIP', address: ip }] } : {},
});

test('a route per other node with a pod CIDR, via its address; none for our own or for nodes on this host', (t) => {
  const nodes = [
    node('n1', '198.19.254.11', '198.18.241.0/24'),
    node('n2', '198.19.254.12', '198.18.242.0/24'),
    node('n3', '127.0.0.1', '198.18.243.0/24'), // shares our network: its bridge is here
    node('n4', '198.19.254.14', undefined), // no pod network yet
    node('n5', undefined, '198.18.245.0/24'), // no address yet
  ];
  t.deepEqual(desiredRoutes(nodes, 'n1', new Set(['127.0.0.1', '198.19.254.11'])), [{ cidr: '198.18.242.0/24', via: '198.19.254.12', node: 'n2' }]);
  const changes = routeChanges(new Map([['198.18.242.0/24', '198.19.254.99'], ['198.18.249.0/24', '198.19.254.19']]), [{ cidr: '198.18.242.0/24', via: '198.19.254.12', node: 'n2' }]);
  t.deepEqual(changes, { replace: [{ cidr: '198.18.242.0/24', via: '198.19.254.12', node: 'n2' }], remove: ['198.18.249.0/24'] });
  t.deepEqual(routeChanges(new Map([['198.18.242.0/24', '198.19.254.12']]), [{ cidr: '198.18.242.0/24', via: '198.19.254.12', node: 'n2' }]), { replace: [], remove: [] });
});

test('the masquerade table: pod traffic to anything outside the pod networks; replaced whole', (t) => {
  const text = masqueradeRuleset('tugboat-net-x', '198.18.241.0/24', ['198.18.242.0/24', '198.18.241.0/24']);
  t.true(text.startsWith('table ip tugboat-net-x {}\ndelete table ip tugboat-net-x\n'));
  t.regex(text, /elements = \{ 198\.18\.241\.0\/24, 198\.18\.242\.0\/24 \}/);
  t.regex(text, /ip saddr 198\.18\.241\.0\/24 ip daddr != @pod-networks masquerade/);
  t.notRegex(masqueradeRuleset('tugboat-net-x', undefined, []), /masquerade/, 'no pod network: the table goes');
  t.regex(tableName('node-1'), /^tugboat-net-[0-9a-f]{8}$/);
});

const ns = `tbr-${process.pid}`;
const skip = process.getuid?.() !== 0 ? 'not root' : !etcdAvailable() ? 'etcd is not installed'
  : nftBinary() === undefined ? 'nft (nftables) is not installed' : undefined;
if (skip) console.log(`host-gw router test skipped: ${skip}`);

(skip ? test.skip : test.serial)('the router adds, changes and removes routes in a network namespace as Nodes come and go', async (t) => {
  const sh = (...args: string[]): string => {
    const r = spawnSync('ip', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  sh('netns', 'add', ns);
  t.teardown(() => { spawnSync('ip', ['netns', 'del', ns]); });
  // A link to put the lab subnet on (a veth pair: this kernel may have no dummy links).
  sh('-n', ns, 'link', 'add', 'lab0', 'type', 'veth', 'peer', 'name', 'lab1');
  sh('-n', ns, 'addr', 'add', '198.19.254.1/24', 'dev', 'lab0');
  sh('-n', ns, 'link', 'set', 'lab0', 'up');
  sh('-n', ns, 'link', 'set', 'lab1', 'up');
  const etcd = await startEtcd();
  const api = await startApiServerInProcess(etcd.endpoint);
  t.teardown(async () => { await api.stop(); await etcd.destroy(); });
  const admin = api.client();
  await admin.create(node('me', '198.19.254.1', '198.18.240.0/24'));
  await admin.create(node('peer-a', '198.19.254.2', '198.18.241.0/24'));
  const logs: string[] = [];
  // The router's own identity in a cluster is system:kube-proxy; the test's admin stands in.
  const router = new HostGwRouter({ client: api.client(), nodeName: 'me', log: (l) => logs.push(l), netns: ns, localAddresses: () => new Set(['127.0.0.1', '198.19.254.1']) });
  t.teardown(async () => { await router.stop(); });
  await router.start();
  const routes = (): string => sh('-n', ns, '-4', 'route', 'show', 'proto', '84');
  await waitFor('the route to peer-a', () => routes().includes('198.18.241.0/24 via 198.19.254.2'), 5_000);
  const table = (): string => spawnSync('ip', ['netns', 'exec', ns, nftBinary() ?? 'nft', 'list', 'table', 'ip', tableName('me')], { encoding: 'utf8' }).stdout;
  await waitFor('the masquerade table', () => table().includes('masquerade'), 5_000);
  t.regex(table(), /ip saddr 198\.18\.240\.0\/24 ip daddr != @pod-networks masquerade/);

  // A new node; one that moves; one that goes.
  await admin.create(node('peer-b', '198.19.254.3', '198.18.242.0/24'));
  await waitFor('the route to peer-b', () => routes().includes('198.18.242.0/24 via 198.19.254.3'), 5_000);
  const a = await admin.get<Node & KubeObject>('nodes', '', 'peer-a');
  await admin.updateStatus({ ...a, status: { addresses: [{ type: 'InternalIP', address: '198.19.254.4' }] } });
  await waitFor('peer-a\'s route to follow its address', () => routes().includes('198.18.241.0/24 via 198.19.254.4'), 5_000);
  await admin.delete('nodes', '', 'peer-b');
  await waitFor('peer-b\'s route to go', () => !routes().includes('198.18.242.0/24'), 5_000);
  // Only our routes are touched: one of someone else's stays.
  sh('-n', ns, 'route', 'add', '198.18.250.0/24', 'via', '198.19.254.9');
  await admin.create(node('peer-c', '198.19.254.5', '198.18.243.0/24'));
  await waitFor('the route to peer-c', () => routes().includes('198.18.243.0/24'), 5_000);
  t.regex(sh('-n', ns, '-4', 'route'), /198\.18\.250\.0\/24 via 198\.19\.254\.9/);
  t.true(logs.some((l) => l.includes('route to node peer-a')), logs.join('\n'));
});
