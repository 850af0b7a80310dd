// The service proxy for real: a real etcd and API server (Node + RBAC authorizers), the proxy
// as user system:kube-proxy, and real nftables in network namespaces made here (netns-lab.ts):
// a node with pods on a bridge and an outside link. Services and EndpointSlices are written
// through the API as the controllers would, and clients in the pods, the outside and the node
// itself connect to ClusterIPs and NodePorts.
// Addresses: pods 198.18.2xx.0/25, the node's link 198.18.2xx.128/30, ClusterIPs
// 198.19.1xx.0/24 (inside the API server's default range), all distinct per process.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import type { EndpointPort, EndpointSlice, KubeObject, Service, ServicePort, TugboatClient } from '@tugboat/api';
import { USER_KUBE_PROXY } from '@tugboat/api';
import { etcdAvailable, startApiServerInProcess, startEtcd, waitFor, type ApiServerHandle } from '@tugboat/test';
import { AgentMetrics } from '../../metrics.js';
import { nftBinary } from './nft.js';
import { NetnsLab, labUnavailable, type Pod, type Reply } from './netns-lab.js';
import { ServiceProxy, type SyncResult } from './proxier.js';
import { proxyTableName } from './ruleset.js';
import { SERVICE_ROUTE_PROTO } from './service-route.js';

const skip = labUnavailable() ?? (!etcdAvailable() ? 'etcd is not installed' : undefined);
if (skip) console.log(`service proxy network tests skipped: ${skip}`);
const maybe = skip ? test.skip : test.serial;

const CIP = `198.19.${100 + (process.pid % 27)}`;
const NODE_PORT = 30000 + (process.pid % 2000);

interface World {
  lab: NetnsLab;
  api: ApiServerHandle;
  admin: TugboatClient;
  proxy: ServiceProxy;
  metrics: AgentMetrics;
  syncs: SyncResult[];
  logs: string[];
  client: Pod;
  e: Pod[];
  stopEtcd(): Promise<void>;
}
let world: World | undefined;
const w = (): World => {
  if (!world) throw new Error('the lab is not up');
  return world;
};

test.before(async () => {
  if (skip) return;
  const lab = new NetnsLab().create();
  try {
    const e = [lab.addPod('e1'), lab.addPod('e2'), lab.addPod('e3')];
    const client = lab.addPod('client');
    for (const [i, p] of e.entries()) {
      await lab.serve(p.ns, 'tcp', '0.0.0.0', 8080, `e${i + 1}`);
      await lab.serve(p.ns, 'udp', '0.0.0.0', 5353, `e${i + 1}`);
    }
    // Process-runtime pods: host processes on the node, their pod IP the node's address (or loopback).
    await lab.serve(lab.node, 'tcp', lab.nodeIP, 9000, 'host');
    await lab.serve(lab.node, 'tcp', '127.0.0.1', 9001, 'host-lo');
    const etcd = await startEtcd();
    const api = await startApiServerInProcess(etcd.endpoint);
    const cert = await api.pki.user(USER_KUBE_PROXY);
    const metrics = new AgentMetrics({ defaultMetrics: false });
    const logs: string[] = [];
    const proxy = new ServiceProxy({
      client: api.client(api.pki.credentials(cert)), nodeName: 'lab-node', nodeIP: lab.nodeIP,
      table: proxyTableName('lab-node', String(process.pid)), metrics: metrics.proxy, log: (l) => logs.push(l), netns: lab.node,
    });
    const syncs: SyncResult[] = [];
    proxy.onSync((r) => syncs.push(r));
    await proxy.start();
    world = { lab, api, admin: api.client(), proxy, metrics, syncs, logs, client, e, stopEtcd: () => etcd.destroy() };
  } catch (err) {
    lab.destroy();
    throw err;
  }
});

test.after.always(async () => {
  if (!world) return;
  await world.proxy.stop({ removeRules: true });
  world.lab.destroy();
  await world.api.stop();
  await world.stopEtcd();
});

const service = (name: string, ip: string, ports: ServicePort[], type: 'ClusterIP' | 'NodePort' = 'ClusterIP'): Service & KubeObject => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { type, clusterIP: ip, ports },
});

const slice = (svc: string, ips: string[], ports: EndpointPort[]): EndpointSlice & KubeObject => ({
  apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
  metadata: { name: `${svc}-abcde`, namespace: 'default', labels: { 'kubernetes.io/service-name': svc } },
  endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
  ports,
});

const TCP_8080 = [{ name: 'http', port: 8080, protocol: 'TCP' }];

const names = (replies: readonly Reply[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const r of replies) out[r.what] = (out[r.what] ?? 0) + 1;
  return out;
};

/** Waits until a request from `pod` gets an answer (the rules for a new Service are in). */
async function reachable(ns: string, kind: 'tcp' | 'udp', host: string, port: number): Promise<void> {
  await waitFor(`${kind} ${host}:${port} from ${ns}`, async () => (await w().lab.request(ns, kind, host, port, 1))[0]?.ok === true, 5_000, 50);
}

maybe('a pod reaches a ClusterIP, and connections spread over every ready endpoint, with the client\'s own address', async (t) => {
  const { lab, admin, client, e, proxy } = w();
  await admin.create(service('web', `${CIP}.10`, [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }]));
  await admin.create(slice('web', e.map((p) => p.ip), TCP_8080));
  await reachable(client.ns, 'tcp', `${CIP}.10`, 80);
  const replies = await lab.request(client.ns, 'tcp', `${CIP}.10`, 80, 60);
  const seen = names(replies);
  t.deepEqual(Object.keys(seen).sort(), ['e1', 'e2', 'e3'], JSON.stringify(seen));
  t.true(replies.every((r) => r.ok && r.source === client.ip), 'pod to pod through a Service keeps the pod\'s address');
  const table = await proxy.listTable() ?? '';
  t.regex(table, /numgen random mod 3 vmap/);
  t.regex(table, new RegExp(`${CIP.replace(/\./g, '\\.')}\\.10 \\. tcp \\. 80 : goto svc-default/web/tcp/http`));
});

maybe('an endpoint taken out of the slice stops getting connections within a second; its chain is deleted soon after', async (t) => {
  const { lab, admin, client, e, proxy, syncs } = w();
  const replies: Reply[] = [];
  const stream = lab.stream(client.ns, 'tcp', `${CIP}.10`, 80, 5, (r) => replies.push(r));
  try {
    await waitFor('e3 answering', () => replies.some((r) => r.what === 'e3'), 5_000);
    const current = await admin.get<EndpointSlice & KubeObject>('endpointslices', 'default', 'web-abcde');
    const before = syncs.length;
    await admin.update({ ...current, endpoints: current.endpoints.filter((ep) => ep.addresses[0] !== e[2]?.ip) });
    const changedAt = Date.now();
    await new Promise((r) => setTimeout(r, 1_500));
    const late = replies.filter((r) => r.what === 'e3' && r.at > changedAt + 1_000);
    t.deepEqual(late, [], 'no connection reached e3 later than 1 s after the change');
    const lastE3 = Math.max(...replies.filter((r) => r.what === 'e3').map((r) => r.at));
    t.log(`last connection to e3 ${lastE3 - changedAt} ms after the slice changed`);
    t.true(replies.filter((r) => r.at > changedAt + 1_000).some((r) => r.what === 'e1'), 'the others still answer');
    t.true(replies.every((r) => r.ok), JSON.stringify(replies.filter((r) => !r.ok).slice(0, 3)));
    const partial = syncs.slice(before).find((s) => !s.full && s.chainsWritten > 0);
    t.is(partial?.chainsWritten, 1, 'only the Service chain was written again');
    t.is(partial?.elementsChanged, 0);
  } finally {
    stream.stop();
  }
  await waitFor('the emptied endpoint chain to be deleted', async () => !((await proxy.listTable()) ?? '').includes(`__${e[2]?.ip}/8080`), 5_000);
  t.pass();
});

maybe('UDP: datagrams to a ClusterIP reach every endpoint', async (t) => {
  const { lab, admin, client, e } = w();
  await admin.create(service('dns', `${CIP}.11`, [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 5353 }]));
  await admin.create(slice('dns', [e[0]!.ip, e[1]!.ip], [{ name: 'dns', port: 5353, protocol: 'UDP' }]));
  await reachable(client.ns, 'udp', `${CIP}.11`, 53);
  const seen = names(await lab.request(client.ns, 'udp', `${CIP}.11`, 53, 40));
  t.deepEqual(Object.keys(seen).sort(), ['e1', 'e2'], JSON.stringify(seen));
});

maybe('NodePort: from outside the node, its address and the node port reach the Service, masqueraded', async (t) => {
  const { lab, admin, client, e } = w();
  await admin.create(service('front', `${CIP}.12`, [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, nodePort: NODE_PORT }], 'NodePort'));
  await admin.create(slice('front', [e[0]!.ip, e[1]!.ip], TCP_8080));
  await reachable(lab.outside, 'tcp', lab.nodeIP, NODE_PORT);
  const replies = await lab.request(lab.outside, 'tcp', lab.nodeIP, NODE_PORT, 30);
  t.deepEqual(Object.keys(names(replies)).sort(), ['e1', 'e2']);
  // Masqueraded to the node's address on the pods' bridge, so replies come back through the node.
  t.true(replies.every((r) => r.source === lab.gatewayIP), JSON.stringify(replies[0]));
  // A pod may use the node's address and node port too; the ClusterIP works as well.
  t.true((await lab.request(client.ns, 'tcp', lab.nodeIP, NODE_PORT, 3)).every((r) => r.ok));
  t.true((await lab.request(client.ns, 'tcp', `${CIP}.12`, 80, 3)).every((r) => r.ok));
});

maybe('no endpoints: TCP and UDP are refused at once; so are ports a ClusterIP does not serve, and a NodePort without endpoints', async (t) => {
  const { lab, admin, client } = w();
  await admin.create(service('empty', `${CIP}.13`, [
    { name: 'http', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' },
  ]));
  await admin.create(service('empty-np', `${CIP}.14`, [{ name: 'http', port: 80, protocol: 'TCP', nodePort: NODE_PORT + 1 }], 'NodePort'));
  await waitFor('the refusal', async () => (await lab.request(client.ns, 'tcp', `${CIP}.13`, 80, 1))[0]?.what === 'ECONNREFUSED', 5_000);
  const started = Date.now();
  t.deepEqual(names(await lab.request(client.ns, 'tcp', `${CIP}.13`, 80, 5)), { ECONNREFUSED: 5 });
  t.true(Date.now() - started < 1_500, 'refused, not timed out');
  t.deepEqual(names(await lab.request(client.ns, 'udp', `${CIP}.13`, 53, 3)), { ECONNREFUSED: 3 });
  t.deepEqual(names(await lab.request(client.ns, 'tcp', `${CIP}.10`, 81, 2)), { ECONNREFUSED: 2 }, 'a port web does not serve');
  t.deepEqual(names(await lab.request(lab.outside, 'tcp', lab.nodeIP, NODE_PORT + 1, 2)), { ECONNREFUSED: 2 });
  t.deepEqual(names(await lab.request(lab.node, 'tcp', `${CIP}.13`, 80, 2)), { ECONNREFUSED: 2 }, 'from the host too');
});

maybe('process-runtime pods (host processes): a Service reaches them at the node\'s address or loopback, from the host and from pods', async (t) => {
  const { lab, admin, client } = w();
  await admin.create(service('host', `${CIP}.15`, [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 9000 }]));
  await admin.create(slice('host', [lab.nodeIP], [{ name: 'http', port: 9000, protocol: 'TCP' }]));
  await admin.create(service('host-lo', `${CIP}.16`, [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 9001 }]));
  await admin.create(slice('host-lo', ['127.0.0.1'], [{ name: 'http', port: 9001, protocol: 'TCP' }]));
  // The lab's node has no default route: host-originated traffic needs the proxy's route.
  // ClusterIPs .10 to .16 so far: the smallest prefix over them is .0/27.
  const route = (): string => lab.ip(lab.node, '-4', 'route', 'show', 'proto', String(SERVICE_ROUTE_PROTO));
  await waitFor('the proxy\'s route for ClusterIPs', () => route().includes(`${CIP}.0/27 dev lo`), 5_000);
  t.regex(route(), new RegExp(`^${CIP.replace(/\./g, '\\.')}\\.0/27 dev lo .*src ${lab.nodeIP.replace(/\./g, '\\.')}`));
  await reachable(lab.node, 'tcp', `${CIP}.15`, 80);
  t.deepEqual(names(await lab.request(lab.node, 'tcp', `${CIP}.15`, 80, 3)), { host: 3 }, 'host process to host process (output hook)');
  t.deepEqual(names(await lab.request(client.ns, 'tcp', `${CIP}.15`, 80, 3)), { host: 3 }, 'pod to host process');
  t.deepEqual(names(await lab.request(lab.node, 'tcp', `${CIP}.16`, 80, 3)), { 'host-lo': 3 }, 'host to a loopback endpoint');
  const toPods = await lab.request(lab.node, 'tcp', `${CIP}.10`, 80, 20);
  t.deepEqual(Object.keys(names(toPods)).sort(), ['e1', 'e2'], 'host to pods');
  t.true(toPods.every((r) => r.source === lab.nodeIP), 'from the node\'s address, the route\'s source');
});

maybe('hairpin: a pod reaching itself through its Service gets the answer, masqueraded', async (t) => {
  const { lab, admin, e } = w();
  await admin.create(service('self', `${CIP}.17`, [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }]));
  await admin.create(slice('self', [e[0]!.ip], TCP_8080));
  await reachable(e[0]!.ns, 'tcp', `${CIP}.17`, 80);
  const replies = await lab.request(e[0]!.ns, 'tcp', `${CIP}.17`, 80, 3);
  t.deepEqual(names(replies), { e1: 3 });
  t.true(replies.every((r) => r.source === lab.gatewayIP));
});

maybe('a Service deleted: its elements and chains go, and its ClusterIP answers no more', async (t) => {
  const { lab, admin, client, proxy } = w();
  await admin.delete('services', 'default', 'self');
  await waitFor('self to go', async () => !((await proxy.listTable()) ?? '').includes('svc-default/self/'), 5_000);
  // Its slice is still there (the controller would delete it): no Service, no rules.
  t.false((await lab.request(client.ns, 'tcp', `${CIP}.17`, 80, 1)).some((r) => r.ok));
});

maybe('metrics: kube-proxy\'s sync metrics on the agent\'s registry', async (t) => {
  const text = await w().metrics.registry.metrics();
  const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  t.true(value('kubeproxy_sync_proxy_rules_duration_seconds_count') >= 5);
  t.true(value('kubeproxy_sync_proxy_rules_last_timestamp_seconds') > Date.now() / 1000 - 60);
  t.true(value('kubeproxy_sync_proxy_rules_endpoint_changes_total') >= 7);
  t.true(value('kubeproxy_sync_proxy_rules_service_changes_total') >= 8);
});

maybe('two agents in one namespace keep a table each (one with --nodeport-addresses primary); a table changed by hand is rewritten by the next full sync; stop removes only its own', async (t) => {
  const { lab, api, proxy, client } = w();
  const cert = await api.pki.user(USER_KUBE_PROXY);
  const logs: string[] = [];
  const second = new ServiceProxy({
    client: api.client(api.pki.credentials(cert)), nodeName: 'lab-node-2', nodeIP: lab.nodeIP,
    table: proxyTableName('lab-node-2', String(process.pid)), log: (l) => logs.push(l), netns: lab.node, fullSyncIntervalMs: 500,
    nodePortAddresses: ['primary'],
  });
  await second.start();
  const listed = (await second.listTable()) ?? '';
  t.regex(listed, /svc-default\/web\/tcp\/http/);
  t.regex(listed, new RegExp(`set nodeport-ips \\{[^}]*elements = \\{ ${lab.nodeIP.replace(/\./g, '\\.')} \\}`));
  t.regex(listed, /ip daddr @nodeport-ips meta l4proto \. th dport vmap @service-nodeports/);
  t.not(second.table, proxy.table);
  spawnNft(lab.node, ['flush', 'chain', 'ip', second.table, 'services']);
  await waitFor('the full sync to restore the chain', async () => ((await second.listTable()) ?? '').includes('vmap @service-ips'), 3_000);
  await second.stop({ removeRules: true });
  t.is(await second.listTable(), undefined);
  t.truthy(await proxy.listTable(), 'the first agent\'s table stays');
  t.true((await lab.request(client.ns, 'tcp', `${CIP}.10`, 80, 3)).every((r) => r.ok));
});

function spawnNft(ns: string, args: string[]): void {
  const r = spawnSync('ip', ['netns', 'exec', ns, nftBinary() ?? 'nft', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nft ${args.join(' ')}: ${r.stderr}`);
}
