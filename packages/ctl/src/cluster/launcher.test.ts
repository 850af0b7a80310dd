import test from 'ava';
import { createServer } from 'node:net';
import { spawn } from 'node:child_process';
import { apiServerList, componentArgs, ownsPorts } from './launcher.js';
import { NETWORK_SLOTS, clusterNetwork, hostOf, inNetns } from './network.js';
import { ClusterPkiLayout } from './pki.js';
import { PortAllocator, isPortFree } from './ports.js';
import { isAddressInUse, isRunning, listeningPorts, stopProcess } from './processes.js';

const wiring = { etcdUrl: 'https://127.0.0.1:2379', apiServer: '127.0.0.1:6443', runtime: 'process' as const, extraArgs: { agent: ['--lease-interval', '1s'] }, pki: new ClusterPkiLayout('/h') };

test('component command lines follow the flag contract, TLS everywhere', (t) => {
  const api = componentArgs('apiserver', 'apiserver', { grpc: 6443, http: 6480 }, undefined, wiring);
  t.deepEqual(api.args, [
    '--etcd-servers', 'https://127.0.0.1:2379', '--etcd-cafile', '/h/pki/etcd/ca.crt', '--etcd-certfile', '/h/pki/apiserver-etcd-client.crt', '--etcd-keyfile', '/h/pki/apiserver-etcd-client.key',
    '--listen', '127.0.0.1:6443', '--http-listen', '127.0.0.1:6480',
    '--tls-cert-file', '/h/pki/apiserver.crt', '--tls-private-key-file', '/h/pki/apiserver.key', '--client-ca-file', '/h/pki/ca.crt',
    '--service-account-key-file', '/h/pki/sa.pub', '--service-account-signing-key-file', '/h/pki/sa.key',
    '--kubelet-client-certificate', '/h/pki/apiserver-kubelet-client.crt', '--kubelet-client-key', '/h/pki/apiserver-kubelet-client.key',
    '--kubelet-certificate-authority', '/h/pki/ca.crt', '--encryption-provider-config', '/h/pki/encryption-config.yaml',
  ]);
  t.deepEqual(api.addresses, { grpc: '127.0.0.1:6443', http: '127.0.0.1:6480' });
  // oci pods reach the API server through their bridge: it listens on every address, and clients still use loopback.
  const ociApi = componentArgs('apiserver', 'apiserver', { grpc: 6443, http: 6480 }, undefined, { ...wiring, runtime: 'oci' });
  t.is(ociApi.args[ociApi.args.indexOf('--listen') + 1], '0.0.0.0:6443');
  t.deepEqual(ociApi.addresses, { grpc: '127.0.0.1:6443', http: '127.0.0.1:6480' });
  const agent = componentArgs('agent', 'node-2', { grpc: 10251, http: 10351 }, '/h/nodes/node-2', wiring);
  t.deepEqual(agent.args, [
    '--kubeconfig', '/h/pki/nodes/node-2.kubeconfig', '--node-name', 'node-2', '--runtime', 'process',
    '--listen', '127.0.0.1:10251', '--http-listen', '127.0.0.1:10351', '--data-dir', '/h/nodes/node-2',
    '--tls-cert-file', '/h/pki/nodes/node-2-serving.crt', '--tls-private-key-file', '/h/pki/nodes/node-2-serving.key', '--client-ca-file', '/h/pki/ca.crt',
    '--proxy-kubeconfig', '/h/pki/kube-proxy.kubeconfig',
    '--lease-interval', '1s',
  ]);
  const etcd = componentArgs('etcd', 'etcd', { client: 2379, peer: 2380 }, '/h/etcd', wiring);
  t.deepEqual(etcd.addresses, { client: '127.0.0.1:2379', peer: '127.0.0.1:2380' });
  t.true(etcd.args.includes('--data-dir') && etcd.args.includes('/h/etcd'));
  t.is(etcd.args[etcd.args.indexOf('--listen-client-urls') + 1], 'https://127.0.0.1:2379');
  for (const f of ['--client-cert-auth', '--peer-client-cert-auth']) t.true(etcd.args.includes(f), f);
  t.is(etcd.args[etcd.args.indexOf('--trusted-ca-file') + 1], '/h/pki/etcd/ca.crt', 'etcd trusts its own CA, not the cluster CA');
  t.deepEqual(componentArgs('scheduler', 'scheduler', { http: 10259 }, undefined, wiring).args, ['--kubeconfig', '/h/pki/scheduler.kubeconfig', '--http-listen', '127.0.0.1:10259', '--id', 'tugboat-local-scheduler']);
  t.deepEqual(componentArgs('controllers', 'controllers', { http: 10257 }, undefined, wiring).args, ['--kubeconfig', '/h/pki/controllers.kubeconfig', '--http-listen', '127.0.0.1:10257', '--id', 'tugboat-local-controllers', '--root-ca-file', '/h/pki/ca.crt']);
  const dns = componentArgs('dns', 'dns', { dns: 10053, http: 9153 }, undefined, wiring);
  t.deepEqual(dns.args, ['--kubeconfig', '/h/pki/kube-dns.kubeconfig', '--listen', '127.0.0.1:10053', '--http-listen', '127.0.0.1:9153', '--advertise-address', '127.0.0.1']);
});

test('--apiservers N: the list clients get is every API server\'s gRPC address, in the order they were made', (t) => {
  const rec = (name: string, role: 'apiserver' | 'etcd', grpc: string) => ({ name, role, pid: 1, addresses: { grpc }, command: 'x', args: [], logFile: 'l', startedAt: '' });
  t.is(apiServerList([rec('etcd', 'etcd', '-'), rec('apiserver', 'apiserver', '127.0.0.1:6443'), rec('apiserver-2', 'apiserver', '127.0.0.1:6453')]), '127.0.0.1:6443,127.0.0.1:6453');
  t.is(apiServerList([rec('apiserver', 'apiserver', '127.0.0.1:6443')]), '127.0.0.1:6443');
});

test('an oci cluster\'s network slot: its own pod, service and host ranges, passed to the components; --hosts agents at their servers\' addresses', (t) => {
  const net = clusterNetwork(2);
  t.like(net, { clusterCIDR: '198.18.32.0/20', serviceRange: '198.19.32.0/20', dnsIP: '198.19.32.10', bridge: 'tbhost2', bridgeAddress: '198.19.242.1' });
  t.deepEqual(hostOf(net, 'node-3'), { netns: 'tugboat-2-node-3', address: '198.19.242.13', veth: 'tbh2n3' });
  t.throws(() => hostOf(net, 'worker'), { message: /node-1 … node-200/ });
  t.throws(() => clusterNetwork(NETWORK_SLOTS));
  // Every slot inside 198.18.0.0/15 and apart from the others and from the tests' own ranges.
  const all = Array.from({ length: NETWORK_SLOTS }, (_, i) => clusterNetwork(i));
  t.is(new Set(all.map((n) => n.clusterCIDR)).size, NETWORK_SLOTS);
  for (const n of all) {
    t.regex(n.clusterCIDR, /^198\.18\.(\d+)\.0\/20$/);
    t.true(Number(n.clusterCIDR.split('.')[2]) + 16 <= 100, `${n.clusterCIDR} stays below 198.18.100.0, the oci unit tests' pod CIDRs`);
    t.regex(n.serviceRange, /^198\.19\.\d+\.0\/20$/);
  }
  const oci = { ...wiring, runtime: 'oci' as const, network: net, hosts: true, extraArgs: {} };
  const api = componentArgs('apiserver', 'apiserver', { grpc: 6443, http: 6480 }, undefined, oci).args;
  t.is(api[api.indexOf('--service-cluster-ip-range') + 1], '198.19.32.0/20');
  const cm = componentArgs('controllers', 'controllers', { http: 10257 }, undefined, oci).args;
  t.deepEqual(cm.slice(cm.indexOf('--allocate-node-cidrs')), ['--allocate-node-cidrs', '--cluster-cidr', '198.18.32.0/20', '--node-cidr-mask-size', '24']);
  const dns = componentArgs('dns', 'dns', { dns: 10053, http: 9153 }, undefined, oci);
  t.deepEqual(dns.addresses, { dns: '198.19.242.1:10053', http: '198.19.242.1:9153' });
  t.is(dns.args[dns.args.indexOf('--service-ip') + 1], '198.19.32.10');
  const agent = componentArgs('agent', 'node-3', { grpc: 10250, http: 10350 }, '/h/nodes/node-3', oci);
  t.deepEqual(agent.addresses, { grpc: '198.19.242.13:10250', http: '198.19.242.13:10350' });
  const flag = (f: string): string | undefined => agent.args[agent.args.indexOf(f) + 1];
  t.is(flag('--server'), '198.19.242.1:6443', 'across the bridge to the API server');
  // --apiservers 2: every API server, across the bridge.
  const two = componentArgs('agent', 'node-3', { grpc: 10250, http: 10350 }, '/h/nodes/node-3', { ...oci, apiServer: '127.0.0.1:6443,127.0.0.1:6453' }).args;
  t.is(two[two.indexOf('--server') + 1], '198.19.242.1:6443,198.19.242.1:6453');
  t.is(flag('--cluster-dns'), '198.19.32.10');
  t.is(flag('--insecure-registry'), '198.19.242.1/32');
  t.deepEqual(inNetns('tugboat-2-node-3', '/usr/bin/node', ['a.js', '--x']), { command: 'nsenter', args: ['--net=/run/netns/tugboat-2-node-3', '--', '/usr/bin/node', 'a.js', '--x'] });
  t.deepEqual(inNetns(undefined, '/usr/bin/node', ['a.js']), { command: '/usr/bin/node', args: ['a.js'] });
});

test('ports: the default when free, another when it is taken, never the same twice', async (t) => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => blocker.close());
  const taken = (blocker.address() as { port: number }).port;
  t.false(await isPortFree(taken));
  const ports = new PortAllocator();
  const other = await ports.pick(taken);
  t.not(other, taken);
  const free = await ports.pick(undefined);
  t.not(free, other);
  t.not(await ports.pick(other), other, 'a port handed out once is not handed out again');
  const random = new PortAllocator(true);
  t.not(await random.pick(free), free, 'random mode ignores the preferred port');
});

test('bind failures are recognised in Node, Go and gRPC logs', (t) => {
  t.true(isAddressInUse('Error: listen EADDRINUSE: address already in use 127.0.0.1:6443'));
  t.true(isAddressInUse('{"level":"fatal","msg":"listen tcp 127.0.0.1:2379: bind: address already in use"}'));
  t.true(isAddressInUse('No address added out of total 1 resolved'));
  t.false(isAddressInUse('listening on 127.0.0.1:6443'));
});

test('a process is running only with the exact arguments it was started with; stop ends it', async (t) => {
  const args = ['-e', 'setInterval(() => {}, 1000)', 'tctl-test-marker'];
  const child = spawn(process.execPath, args, { stdio: 'ignore', detached: true });
  t.teardown(() => { try { process.kill(child.pid!, 'SIGKILL'); } catch { /* gone */ } });
  const exited = new Promise((r) => child.once('exit', r));
  await new Promise((r) => setTimeout(r, 100));
  t.true(isRunning(child.pid!, process.execPath, args));
  t.false(isRunning(child.pid!, process.execPath, [...args.slice(0, 2), 'other-marker']));
  t.false(isRunning(999_999_999, process.execPath, args));
  const how = stopProcess(child.pid!, process.execPath, args, 2000);
  await exited;
  t.is(await how, 'stopped');
});

test('a port counts as a component\'s only when that very process listens on it (another cluster\'s answer does not)', async (t) => {
  const child = spawn(process.execPath, ['-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>console.log(s.address().port));setTimeout(()=>{},60000)"], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => { child.kill('SIGKILL'); });
  const port = await new Promise<number>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  const theirs = listeningPorts(child.pid!);
  t.true(theirs?.has(port), `child ${child.pid} listens on ${port}: ${[...(theirs ?? [])].join(',')}`);
  t.false(listeningPorts(process.pid)?.has(port), 'this process does not');
  t.true(ownsPorts({ name: 'x', role: 'scheduler', pid: child.pid!, addresses: { http: `127.0.0.1:${port}` }, command: '', args: [], logFile: '', startedAt: '' }));
  t.false(ownsPorts({ name: 'x', role: 'scheduler', pid: process.pid, addresses: { http: `127.0.0.1:${port}` }, command: '', args: [], logFile: '', startedAt: '' }));
});
