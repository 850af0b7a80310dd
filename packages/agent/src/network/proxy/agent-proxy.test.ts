// The agent's service proxy as an operator gets it: when it stays off and says why (pure), and
// the built tugboat-agent with --proxy-kubeconfig, run inside a node network namespace made
// here (netns-lab.ts), reaching a real API server in this namespace over a veth link. A
// process-runtime pod (a host process in the node's namespace) is reached through its Service
// from the host and from a pod; SIGTERM takes the table and the route away.
// Addresses: 198.18.2xx.x per process (netns-lab.ts), ClusterIP 198.19.1xx.40.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { USER_KUBE_PROXY, renderKubeconfig, type EndpointSlice, type KubeObject, type Pod } from '@tugboat/api';
import { etcdAvailable, startApiServerInProcess, startEtcd, testPki, waitFor } from '@tugboat/test';
import { killContainers } from '../../runtimes/process/kill-containers.js';
import { startAgentProxy } from './agent-proxy.js';
import { Nft } from './nft.js';
import { NetnsLab, labUnavailable } from './netns-lab.js';
import { proxyTableName } from './ruleset.js';
import { SERVICE_ROUTE_PROTO } from './service-route.js';

test('the proxy stays off, saying why once: no --proxy-kubeconfig, hollow nodes, --proxy-mode off', (t) => {
  const logs: string[] = [];
  const base = { hollow: 0, nodeName: 'n1', dataDir: '/d', proxyMode: 'auto' as const, internalIP: '127.0.0.1', podNetwork: false, log: (l: string) => logs.push(l) };
  const creds = { server: '127.0.0.1:6443', credentials: {}, source: 'x' };
  t.is(startAgentProxy(base), undefined);
  t.is(startAgentProxy({ ...base, hollow: 3, proxyClient: creds }), undefined);
  t.is(startAgentProxy({ ...base, proxyMode: 'off', proxyClient: creds }), undefined);
  t.deepEqual(logs, [
    'service proxy: off (no --proxy-kubeconfig)',
    'service proxy: off (hollow nodes run nothing to proxy to)',
    'service proxy: off (--proxy-mode off)',
  ]);
});

const AGENT_BIN = fileURLToPath(new URL('../../../bin/tugboat-agent.js', import.meta.url));
const skip = labUnavailable() ?? (!etcdAvailable() ? 'etcd is not installed' : undefined);
if (skip) console.log(`agent service proxy test skipped: ${skip}`);

(skip ? test.skip : test.serial)('an agent with --proxy-kubeconfig serves a process-runtime pod through its Service, and SIGTERM removes its rules', async (t) => {
  const lab = new NetnsLab(`tba${process.pid}`).create();
  const work = mkdtempSync(join(tmpdir(), 'tugboat-agent-proxy-'));
  const dataDir = join(work, 'data');
  let agent: ChildProcess | undefined;
  t.teardown(() => {
    agent?.kill('SIGKILL');
    // Containers outlive their agent by design; the pod's process goes with the test.
    killContainers(dataDir);
    lab.destroy();
    rmSync(work, { recursive: true, force: true });
  });
  const { rootIP, nodeIP } = lab.linkToRoot();
  const etcd = await startEtcd();
  const api = await startApiServerInProcess(etcd.endpoint, { listen: `${rootIP}:0` });
  t.teardown(async () => { await api.stop(); await etcd.destroy(); });
  const pki = await testPki();
  // The test API server's certificate names localhost, not the link's address.
  const adminCreds = pki.credentials();
  const admin = api.client({ ...adminCreds, tls: { ...adminCreds.tls!, serverName: 'localhost' } });
  const nodeName = `proxy-node-${process.pid}`;
  const node = await pki.node(nodeName);
  const kubeconfig = (cert: { certPem: string; keyPem: string }, user: string): string => {
    const path = join(work, `${user}.kubeconfig`);
    writeFileSync(path, renderKubeconfig({ server: api.address, caPem: pki.ca.certPem, user, certPem: cert.certPem, keyPem: cert.keyPem, serverName: 'localhost' }), { mode: 0o600 });
    return path;
  };
  const proxyCert = await pki.user(USER_KUBE_PROXY);
  let out = '';
  agent = spawn('ip', ['netns', 'exec', lab.node, process.execPath, AGENT_BIN,
    '--kubeconfig', kubeconfig(node.client, 'node'), '--proxy-kubeconfig', kubeconfig(proxyCert, 'kube-proxy'),
    '--tls-cert-file', node.files.servingCertFile, '--tls-private-key-file', node.files.servingKeyFile, '--client-ca-file', pki.files.caFile,
    '--node-name', nodeName, '--runtime', 'process', '--listen', `${nodeIP}:0`, '--http-listen', '127.0.0.1:0', '--data-dir', dataDir,
  ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TUGBOAT_HOME: join(work, 'home') } });
  agent.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  agent.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  const table = proxyTableName(nodeName, dataDir);
  await waitFor('the agent\'s first proxy sync', () => /service proxy: \d+ Services/.test(out), 20_000).catch((e: unknown) => { throw new Error(`${String(e)}\n${out}`); });
  t.regex(out, new RegExp(`service proxy: nftables, table ip ${table}, NodePorts on every local address but loopback`));

  // A process-runtime pod: a host process in the node's namespace; its pod IP is the node's.
  const server = `require('net').createServer((s) => s.end('process-pod ' + s.remoteAddress + '\\n')).listen(9100, '0.0.0.0')`;
  await admin.create<Pod & KubeObject>({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: { nodeName, containers: [{ name: 'web', image: 'none', command: [process.execPath, '-e', server], ports: [{ containerPort: 9100 }] }] },
  });
  await waitFor('the pod to run', async () => (await admin.get<Pod & KubeObject>('pods', 'default', 'web')).status?.podIP === nodeIP, 20_000, 100);
  const CIP = `198.19.${100 + (process.pid % 27)}.40`;
  await admin.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: CIP, selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 9100, protocol: 'TCP' }] } });
  // What the EndpointSlice controller writes for it: the pod's IP (the node's) and its container port.
  await admin.create<EndpointSlice & KubeObject>({
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
    metadata: { name: 'web-x1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
    endpoints: [{ addresses: [nodeIP], conditions: { ready: true }, nodeName, targetRef: { kind: 'Pod', namespace: 'default', name: 'web' } }],
    ports: [{ name: 'http', port: 9100, protocol: 'TCP' }],
  });
  const fromHost = async (): Promise<boolean> => (await lab.request(lab.node, 'tcp', CIP, 80, 1))[0]?.what === 'process-pod';
  await waitFor('the Service from the host', fromHost, 5_000).catch((e: unknown) => { throw new Error(`${String(e)}\n${out}`); });
  const client = lab.addPod('client');
  const replies = await lab.request(client.ns, 'tcp', CIP, 80, 3);
  t.deepEqual(replies.map((r) => [r.what, r.source]), Array(3).fill(['process-pod', client.ip]), 'from a pod, with its own address');
  t.regex(lab.ip(lab.node, '-4', 'route', 'show', 'proto', String(SERVICE_ROUTE_PROTO)), new RegExp(`^${CIP.replace(/\./g, '\\.')} dev lo`), 'the node has no default route: the proxy added one for the ClusterIP');

  agent.kill('SIGTERM');
  await new Promise((r) => agent?.once('exit', r));
  t.is(await new Nft(lab.node).listTable(table), undefined, 'SIGTERM removes the table');
  t.is(lab.ip(lab.node, '-4', 'route', 'show', 'proto', String(SERVICE_ROUTE_PROTO)), '', 'and the route');
});
