// `tctl cluster up --apiservers 2` (issue 12, HA API servers): each API server in turn is
// SIGKILLed while tctl, the scheduler, the controllers, the agent, a `tctl get -w` and an
// informer keep working through the other one. A pod applied during each outage is scheduled
// and Running on the process-runtime node; the informer watches on from its last
// resourceVersion and never lists again; `cluster up` brings the dead one back.
import test from 'ava';
import { join } from 'node:path';
import { Informer, loadKubeconfig, type KubeObject, type TugboatClient } from '@tugboat/api';
import { etcdAvailable } from '../harness/etcd.js';
import { startLocalCluster, type LocalClusterHandle, type TctlProcess } from '../harness/cluster.js';
import { eventually, type PodItem } from './helpers.js';
import { counterWriter, killComponent, restartDead, windowFigures, type ConfigMap } from './fault-load.js';

const skipped = !etcdAvailable();
let cluster: LocalClusterHandle;
let client: TugboatClient;
let watcher: TctlProcess | undefined;

const pod = (name: string): string => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: {app: ha}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: main, image: busybox, command: [sleep, '3600'], resources: {requests: {cpu: 10m, memory: 8Mi}}}
`;

test.before(async (t) => {
  if (skipped) return;
  t.timeout(180_000);
  cluster = await startLocalCluster({ nodes: 1, runtime: 'process', args: ['--apiservers', '2'] });
  client = cluster.client();
});

test.after.always(async () => {
  await watcher?.stop();
  client?.close();
  await cluster?.destroy();
});

test.serial('cluster up --apiservers 2: two API servers on their own ports, every kubeconfig lists both', async (t) => {
  if (skipped) { t.log('etcd is not installed: skipped'); t.pass(); return; }
  const apis = (await cluster.components()).filter((c) => c.role === 'apiserver');
  t.deepEqual(apis.map((c) => [c.name, c.state]), [['apiserver', 'running'], ['apiserver-2', 'running']]);
  t.not(apis[0]!.addresses['grpc'], apis[1]!.addresses['grpc']);
  t.not(apis[0]!.addresses['http'], apis[1]!.addresses['http']);
  const list = apis.map((c) => c.addresses['grpc']).join(',');
  for (const kc of ['admin', 'scheduler', 'controllers', join('nodes', 'node-1')]) {
    t.is(loadKubeconfig(join(cluster.pkiDir, `${kc}.kubeconfig`)).server, list, kc);
  }
  // Each instance's own certificate check: a client of that address alone.
  for (const a of apis) {
    const res = await cluster.tctl(['--server', a.addresses['grpc']!, 'version']);
    t.is(res.code, 0, res.stderr);
  }
});

test.serial('each API server SIGKILLed in turn: tctl, scheduling, a watch and an informer carry on through the other', async (t) => {
  if (skipped) { t.log('etcd is not installed: skipped'); t.pass(); return; }
  t.timeout(240_000);
  const informer = new Informer<PodItem & KubeObject>(client, 'pods', { namespace: 'default', backoffMs: 100, maxBackoffMs: 1_000 });
  await informer.start();
  watcher = cluster.spawnTctl(['get', 'pods', '-w', '-l', 'app=ha', '--output-watch-events']);
  // Compare-and-swap increments all along: what each kill costs a client that writes.
  await client.create<ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ha-counter', namespace: 'default' }, data: { counter: '0' } });
  const writer = counterWriter(client, 'ha-counter', 100);
  const figures: string[] = [];
  try {
    const apis = (await cluster.components()).filter((c) => c.role === 'apiserver');
    for (const api of apis) {
      await killComponent(cluster, api.name);
      const name = `during-${api.name}`;
      const killedAt = Date.now();
      // tctl with one instance down.
      const get = await cluster.tctl(['get', 'nodes']);
      t.is(get.code, 0, get.stderr);
      t.regex(get.stdout, /node-1\s+Ready/);
      const getMs = Date.now() - killedAt;
      const apply = await cluster.tctl(['apply', '-f', '-'], pod(name));
      t.is(apply.code, 0, apply.stderr);
      // Scheduled and Running through the other API server, as the informer sees it.
      await eventually(`${name} to be Running`, async () => informer.get(`default/${name}`)?.status?.phase === 'Running', 60_000, 200);
      const runningMs = Date.now() - killedAt;
      await watcher.waitForOutput(new RegExp(`MODIFIED\\s+${name}\\s+1/1\\s+Running`), 30_000);
      await restartDead(cluster);
      const w = windowFigures(writer.current(), killedAt, Date.now());
      figures.push(`${api.name} killed: tctl get nodes answered in ${getMs} ms, a pod applied then was Running after ${(runningMs / 1000).toFixed(1)} s; `
        + `${w.failures} increments failed until it was back, longest time without an acknowledged write ${w.longestGapMs} ms`);
      t.true((await cluster.components()).filter((c) => c.role === 'apiserver').every((c) => c.state === 'running'));
    }
    for (const f of figures) t.log(f);
    console.log(`[e2e] ha-apiservers: ${figures.join('; ')}; informer lists ${informer.listCount()}`);
    t.is(informer.listCount(), 1, 'the informer watched on from its resourceVersion, never listing again');
    t.is(watcher.process.exitCode, null, `tctl get -w still runs: ${watcher.stderr()}`);
  } finally {
    informer.stop();
    await writer.stop();
  }
});
