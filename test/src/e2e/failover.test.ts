// Node failure with a short grace period (`tctl cluster up --node-monitor-grace-period 2s`):
// replacements before the default grace period would have expired (the 8 s goal is
// bench:failover's); and when 2 of 3 nodes stop at once (over the 55% line) nothing
// is evicted, and an Event says why.
import test from 'ava';
import { Informer, type KubeObject, type Pod } from '@tugboat/api';
import { startLocalCluster, type LocalClusterHandle } from '../harness/cluster.js';
import { deployment, eventually, podsOf } from './helpers.js';

let cluster: LocalClusterHandle;

test.before(async () => {
  cluster = await startLocalCluster({ nodes: 3, runtime: 'process', args: ['--node-monitor-grace-period', '2s'] });
});

test.after.always(async () => {
  await cluster?.destroy();
});

async function running(app: string, replicas: number): Promise<void> {
  const status = await cluster.tctl(['rollout', 'status', `deployment/${app}`, '--timeout', '60s']);
  if (status.code !== 0) throw new Error(status.stderr);
  await eventually(`${replicas} running pods`, async () => {
    const pods = (await podsOf(cluster, `app=${app}`)).filter((p) => !p.metadata.deletionTimestamp && p.status.phase === 'Running');
    return pods.length === replicas || undefined;
  });
}

test.serial('with a 2 s grace period a crashed node\'s pods run elsewhere long before the default grace period (10 s) would even have expired', async (t) => {
  t.is((await cluster.tctl(['apply', '-f', '-'], deployment('fast', { replicas: 6 }))).code, 0);
  await running('fast', 6);
  const lost = (await podsOf(cluster, 'app=fast')).filter((p) => p.spec.nodeName === 'node-2');
  t.true(lost.length > 0);
  // The replacements are seen through a watch, not by polling tctl: each tctl call costs a
  // second or more of start-up on a loaded machine, which would be counted as failover time.
  const client = cluster.client();
  const pods = new Informer<Pod & KubeObject>(client, 'pods', { namespace: 'default', labelSelector: 'app=fast' });
  let replacedAt = 0;
  let armed = false;
  const check = (): void => {
    const live = pods.list().filter((p) => !p.metadata?.deletionTimestamp && p.spec?.nodeName !== 'node-2' && p.status?.phase === 'Running');
    if (armed && !replacedAt && live.length >= 6) replacedAt = Date.now();
  };
  pods.onAdd(check).onUpdate(check).onDelete(check);
  await pods.start();
  let commandAt = 0;
  let stoppedAt = 0;
  try {
    armed = true;
    commandAt = Date.now();
    t.is((await cluster.tctl(['cluster', 'stop-node', 'node-2'])).code, 0);
    stoppedAt = Date.now();
    await eventually('replacements', async () => replacedAt || undefined, 30_000, 50);
  } finally {
    pods.stop();
    client.close();
  }
  const seconds = (replacedAt - stoppedAt) / 1000;
  const withCommand = (replacedAt - commandAt) / 1000;
  t.log(`replaced ${seconds.toFixed(1)} s after stop-node returned (${withCommand.toFixed(1)} s from the command's start)`);
  console.log(`[e2e] node failure: ${lost.length} pods of node-2 replaced in ${seconds.toFixed(1)} s after stop-node (node-monitor-grace-period 2s)`);
  // The 8 s goal is bench:failover's, measured alone. Here, beside the other tests, the bound
  // is what shows the flag was obeyed: under the default 10 s the node would not even be
  // unreachable yet.
  t.true(seconds < 10, `took ${seconds} s`);
  t.is((await cluster.tctl(['cluster', 'start-node', 'node-2'])).code, 0);
  await running('fast', 6);
});

test.serial('stopping 2 of 3 nodes at once evicts nothing and says so in an Event', async (t) => {
  const before = (await podsOf(cluster, 'app=fast')).filter((p) => !p.metadata.deletionTimestamp);
  const stranded = before.filter((p) => p.spec.nodeName === 'node-1' || p.spec.nodeName === 'node-3');
  t.true(stranded.length > 0);
  // A name that is not a node stops nothing, not even the names before it.
  const wrong = await cluster.tctl(['cluster', 'stop-node', 'node-1', 'node-9']);
  t.not(wrong.code, 0);
  t.regex(wrong.stderr, /no node named "node-9"/);
  t.true((await cluster.components()).some((c) => c.name === 'node-1' && c.state === 'running'), 'node-1 still runs');
  // One command, so both die together: two commands can be more than the grace period apart
  // on a loaded machine, and then the first node is rightly evicted alone.
  const stop = await cluster.tctl(['cluster', 'stop-node', 'node-1', 'node-3']);
  t.is(stop.code, 0, stop.stderr);
  const event = await eventually('an EvictionsHalted event', async () => {
    const ev = await cluster.tctl(['get', 'events', '-A', '--field-selector', 'reason=EvictionsHalted', '-o', 'name']);
    if (ev.code === 0 && ev.stdout.trim()) return ev.stdout;
    const all = await cluster.tctl(['get', 'events', '-A']);
    return /EvictionsHalted/.test(all.stdout) ? all.stdout : undefined;
  }, 30_000);
  t.truthy(event);
  // Well past the grace period: still nothing evicted.
  await new Promise((r) => setTimeout(r, 4000));
  const after = await podsOf(cluster, 'app=fast');
  for (const p of stranded) {
    const now = after.find((x) => x.metadata.name === p.metadata.name);
    t.truthy(now, `${p.metadata.name} still exists`);
    t.falsy(now?.metadata.deletionTimestamp, `${p.metadata.name} was not evicted`);
  }
  for (const n of ['node-1', 'node-3']) t.is((await cluster.tctl(['cluster', 'start-node', n])).code, 0);
});
