// The scheduler against a real API server on a real etcd: leader election between two
// replicas, binding through the API, the Unschedulable condition and events, retry on node
// add, cordon, and the binary itself.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_LEASE_NAMESPACE, type Event, type KubeObject, type Lease, type Node, type Pod, type TugboatClient } from '@tugboat/api';
import { etcdAvailable, startApiServerInProcess, startEtcd, waitFor, type ApiServerHandle, type EtcdHandle } from '@tugboat/test';
import { LEASE_NAME, Scheduler } from './scheduler.js';
import { SchedulerMetrics } from './metrics.js';
import { createNodeWithLease, makeNode, makePod } from './test-util.js';

type PodObject = Pod & KubeObject;
type NodeObject = Node & KubeObject;

const serial = etcdAvailable() ? test.serial : test.serial.skip;
const BIN = fileURLToPath(new URL('../bin/tugboat-scheduler.js', import.meta.url));

let etcd: EtcdHandle | undefined;
let api: ApiServerHandle | undefined;
let client: TugboatClient;
/** The schedulers' own identity, system:kube-scheduler, so its default RBAC role is tested. */
let schedulerClient: TugboatClient;
const schedulers: Scheduler[] = [];
const logs: string[] = [];

function newScheduler(identity: string): Scheduler {
  const s = new Scheduler({
    client: schedulerClient,
    identity,
    leaseDurationSeconds: 2,
    renewIntervalMs: 200,
    renewDeadlineMs: 1_000,
    metrics: new SchedulerMetrics({ defaultMetrics: false }),
    log: (line) => logs.push(`${identity}: ${line}`),
  });
  schedulers.push(s);
  return s;
}

async function addNode(node: Node): Promise<void> {
  await createNodeWithLease(client, node);
}

async function pod(name: string): Promise<PodObject> {
  return client.get<PodObject>('pods', 'default', name);
}

async function boundTo(name: string): Promise<string> {
  let node = '';
  await waitFor(`pod ${name} to be bound`, async () => { node = (await pod(name)).spec?.nodeName ?? ''; return node !== ''; }, 15_000);
  return node;
}

async function events(involved: string, reason: string): Promise<Event[]> {
  const { items } = await client.list<Event & KubeObject>('events', { namespace: 'default' });
  return items.filter((e) => e.involvedObject.name === involved && e.reason === reason);
}

test.before(async () => {
  if (!etcdAvailable()) return;
  etcd = await startEtcd();
  api = await startApiServerInProcess(etcd.endpoint);
  client = api.client();
  schedulerClient = api.client(api.pki.credentials(await api.pki.user('system:kube-scheduler')));
  // The API server creates its built-in namespaces right after it starts serving.
  for (const ns of [NODE_LEASE_NAMESPACE, 'tugboat-system', 'default']) {
    await waitFor(`namespace ${ns}`, async () => (await client.tryGet('namespaces', '', ns)) !== undefined, 15_000);
  }
  for (const name of ['node-1', 'node-2', 'node-3']) await addNode(makeNode(name, { cpu: '2', memory: '4Gi' }));
});

test.after.always(async () => {
  for (const s of schedulers) await s.stop().catch(() => undefined);
  await api?.stop();
  await etcd?.destroy();
});

serial('two replicas: exactly one leads, and it holds the Lease', async (t) => {
  const a = newScheduler('sched-a');
  const b = newScheduler('sched-b');
  await Promise.all([a.start(), b.start()]);
  await waitFor('a leader', () => a.isLeader() || b.isLeader(), 10_000, 20);
  // Watch for a while: never two leaders at once.
  for (let i = 0; i < 40; i++) {
    t.false(a.isLeader() && b.isLeader(), 'both lead');
    await new Promise((r) => setTimeout(r, 25));
  }
  const leader = a.isLeader() ? a : b;
  const lease = await client.get<Lease & KubeObject>('leases', 'tugboat-system', LEASE_NAME);
  t.is(lease.spec?.holderIdentity, leader.identity);
  t.is(lease.spec?.leaseDurationSeconds, 2);
});

serial('the leader binds 6 pods of 100m on 3 equal nodes, 2 per node, with Scheduled events', async (t) => {
  for (let i = 1; i <= 6; i++) await client.create(makePod(`web-${i}`, { cpu: '100m' }) as PodObject);
  const perNode: Record<string, number> = {};
  for (let i = 1; i <= 6; i++) {
    const n = await boundTo(`web-${i}`);
    perNode[n] = (perNode[n] ?? 0) + 1;
  }
  t.deepEqual(perNode, { 'node-1': 2, 'node-2': 2, 'node-3': 2 });
  await waitFor('a Scheduled event', async () => (await events('web-1', 'Scheduled')).length === 1);
  const [ev] = await events('web-1', 'Scheduled');
  t.regex(ev!.message ?? '', /^Successfully assigned default\/web-1 to node-\d$/);
});

serial('a pod that fits nowhere stays Pending with PodScheduled=False, the message and an event; a new node takes it at once', async (t) => {
  await client.create(makePod('huge', { cpu: '3' }) as PodObject);
  const message = '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.';
  await waitFor('the Unschedulable condition', async () => {
    const c = (await pod('huge')).status?.conditions?.find((x) => x.type === 'PodScheduled');
    return c?.status === 'False' && c.reason === 'Unschedulable' && c.message === message;
  }, 10_000);
  t.is((await pod('huge')).status?.phase, 'Pending');
  await waitFor('a FailedScheduling event', async () => (await events('huge', 'FailedScheduling')).length > 0);
  const [ev] = await events('huge', 'FailedScheduling');
  t.is(ev!.type, 'Warning');
  t.is(ev!.message, message);
  t.is(ev!.source?.component, 'default-scheduler');

  // Adding a node that fits moves the parked pod back at once (no 60 s wait).
  await addNode(makeNode('node-big', { cpu: '8', memory: '16Gi' }));
  t.is(await boundTo('huge'), 'node-big');
});

serial('a cordoned node gets no new pods; a nodeSelector is honoured', async (t) => {
  const n1 = await client.get<NodeObject>('nodes', '', 'node-1');
  await client.update({ ...n1, spec: { ...n1.spec, unschedulable: true } });
  const n2 = await client.get<NodeObject>('nodes', '', 'node-2');
  await client.update({ ...n2, metadata: { ...n2.metadata, labels: { ...n2.metadata?.labels, disktype: 'ssd' } } });
  // Let the informers see both changes before the pods arrive.
  await new Promise((r) => setTimeout(r, 300));
  for (let i = 1; i <= 4; i++) await client.create(makePod(`api-${i}`, { cpu: '100m' }) as PodObject);
  await client.create(makePod('db', { cpu: '100m', nodeSelector: { disktype: 'ssd' } }) as PodObject);
  for (let i = 1; i <= 4; i++) t.not(await boundTo(`api-${i}`), 'node-1');
  t.is(await boundTo('db'), 'node-2');
});

serial('stopping the leader hands over: the other replica leads and schedules', async (t) => {
  const leader = schedulers.find((s) => s.isLeader())!;
  const other = schedulers.find((s) => s !== leader)!;
  await leader.stop();
  // The Lease is released on stop, so the other takes it within a retry interval (200 ms),
  // well before the 2 s lease would have expired.
  await waitFor('the other replica to lead', () => other.isLeader(), 1_500, 20);
  await client.create(makePod('after-handover', { cpu: '100m' }) as PodObject);
  t.truthy(await boundTo('after-handover'));
  const lease = await client.get<Lease & KubeObject>('leases', 'tugboat-system', LEASE_NAME);
  t.is(lease.spec?.holderIdentity, other.identity);
});

serial('the binary: --config picks its pods by schedulerName, serves /metrics and /healthz, exits 0 on SIGTERM', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sched-bin-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(config, 'schedulerName: second-scheduler\nplugins:\n  score:\n    - { name: LeastAllocated, weight: 1 }\n');
  const kubeconfig = api!.pki.kubeconfig(api!.address, await api!.pki.user('system:kube-scheduler'), 'scheduler');
  const proc = spawn(process.execPath, [BIN, '--kubeconfig', kubeconfig, '--config', config, '--http-listen', '127.0.0.1:0', '--leader-elect=false', '--id', 'bin-1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  try {
    let http = '';
    await waitFor('the binary to serve HTTP', () => {
      if (proc.exitCode !== null) throw new Error(`exited ${proc.exitCode}: ${err}`);
      http = /serving \/metrics and \/healthz on (\S+);/.exec(err)?.[1] ?? '';
      return http !== '';
    }, 10_000);
    await client.create(makePod('second', { cpu: '100m', schedulerName: 'second-scheduler' }) as PodObject);
    t.truthy(await boundTo('second'));
    t.is((await fetch(`http://${http}/healthz`)).status, 200);
    const metrics = await (await fetch(`http://${http}/metrics`)).text();
    t.regex(metrics, /scheduler_schedule_attempts_total\{result="scheduled",profile="second-scheduler"\} [1-9]/, "the profile label is the profile's schedulerName");
    t.regex(metrics, /leader_election_master_status\{name="tugboat-scheduler"\} 1/);
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    proc.kill('SIGTERM');
    t.is(await exited, 0);
  } finally {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
