// The tugboat-controllers binary against a real API server: HTTP endpoints, leader election
// through the Lease, hand-over on SIGTERM, clean exit.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SYSTEM_NAMESPACE, type KubeObject, type Lease } from '@tugboat/api';
import { etcdAvailable, freePort, startApiServerInProcess, startEtcd, waitFor, type ApiServerHandle, type EtcdHandle } from '@tugboat/test';
import type { ReplicaSetObject, PodObject } from './informers.js';
import { mutate } from './testing/cluster.js';

const BIN = fileURLToPath(new URL('../bin/tugboat-controllers.js', import.meta.url));

let etcd: EtcdHandle | undefined;
let api: ApiServerHandle | undefined;
const procs: ChildProcess[] = [];

test.before(async () => {
  if (!etcdAvailable()) return;
  etcd = await startEtcd();
  api = await startApiServerInProcess(etcd.endpoint);
});

test.after.always(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await api?.stop();
  await etcd?.destroy();
});

interface Running { proc: ChildProcess; http: string; output: () => string; exited: Promise<number | null> }

async function startBinary(id: string): Promise<Running> {
  const http = `127.0.0.1:${await freePort()}`;
  const kubeconfig = api!.pki.kubeconfig(api!.address, await api!.pki.user('system:kube-controller-manager'), 'controllers');
  const proc = spawn(process.execPath, [BIN, '--kubeconfig', kubeconfig, '--http-listen', http, '--id', id, '--node-monitor-grace-period', '2s'], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(proc);
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  await waitFor(`${id} to serve HTTP`, () => out.includes('serving HTTP on'), 10_000);
  return { proc, http, output: () => out, exited };
}

async function metric(http: string, name: string): Promise<string> {
  const text = await (await fetch(`http://${http}/metrics`)).text();
  return text.split('\n').find((l) => l.startsWith(name)) ?? '';
}

const serial = etcdAvailable() ? test.serial : test.skip;

serial('one replica leads through the Lease, the other takes over when it stops, and both exit cleanly', async (t) => {
  const c = api!.client();
  const a = await startBinary('cm-a');
  t.is(await (await fetch(`http://${a.http}/healthz`)).text(), 'ok\n');
  await waitFor('cm-a leads', async () => (await metric(a.http, 'leader_election_master_status')).endsWith(' 1'), 15_000);
  const lease = await c.get<Lease & KubeObject>('leases', SYSTEM_NAMESPACE, 'tugboat-controllers');
  t.is(lease.spec?.holderIdentity, 'cm-a');
  t.regex(await metric(a.http, 'workqueue_depth{name="replicaset"}'), /^workqueue_depth\{name="replicaset"\} \d+/);

  // The leader acts: a ReplicaSet gets its pods.
  await c.create<ReplicaSetObject>({
    apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'bin-rs', namespace: 'default' },
    spec: { replicas: 2, selector: { matchLabels: { app: 'bin-rs' } }, template: { metadata: { labels: { app: 'bin-rs' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
  });
  await waitFor('2 pods', async () => (await c.list<PodObject>('pods', { namespace: 'default', labelSelector: 'app=bin-rs' })).items.length === 2, 15_000);

  const b = await startBinary('cm-b');
  await new Promise((r) => setTimeout(r, 500));
  t.regex(await metric(b.http, 'leader_election_master_status'), / 0$/, 'a second replica waits');

  // SIGTERM releases the Lease: the other replica takes over without waiting for it to expire.
  a.proc.kill('SIGTERM');
  t.is(await a.exited, 0);
  await waitFor('cm-b leads', async () => (await metric(b.http, 'leader_election_master_status')).endsWith(' 1'), 15_000);
  t.is((await c.get<Lease & KubeObject>('leases', SYSTEM_NAMESPACE, 'tugboat-controllers')).spec?.holderIdentity, 'cm-b');

  // The new leader converges on the same state: no duplicate pods.
  await mutate<ReplicaSetObject>(c, 'replicasets', 'default', 'bin-rs', (rs) => ({ ...rs, spec: { replicas: 3, selector: { matchLabels: { app: 'bin-rs' } }, template: { metadata: { labels: { app: 'bin-rs' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } }));
  await waitFor('3 pods', async () => (await c.list<PodObject>('pods', { namespace: 'default', labelSelector: 'app=bin-rs' })).items.length === 3, 15_000);
  await new Promise((r) => setTimeout(r, 500));
  t.is((await c.list<PodObject>('pods', { namespace: 'default', labelSelector: 'app=bin-rs' })).items.length, 3);

  b.proc.kill('SIGINT');
  t.is(await b.exited, 0);
});

serial('a bad flag is one line on stderr and exit 2', async (t) => {
  const proc = spawn(process.execPath, [BIN, '--node-monitor-grace-period', 'soon'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  const code = await new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  t.is(code, 2);
  t.is(err, 'tugboat-controllers: --node-monitor-grace-period: invalid duration "soon" (expected e.g. 30s, 500ms or 1m30s) (see --help)\n');
});
