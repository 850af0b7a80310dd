// End to end, deployments on three nodes: spread, scale, a rolling update that never drops
// below `replicas - maxUnavailable` ready pods (watched through the API), rollout undo,
// a node crash whose pods are replaced elsewhere within 20 s, and cascading deletion.
import test from 'ava';
import type { KubeObject } from '@tugboat/api';
import { startLocalCluster, type LocalClusterHandle } from '../harness/cluster.js';
import { deployment, eventually, followPods, podsOf, processesOf, type PodItem, type PodView } from './helpers.js';

let cluster: LocalClusterHandle;

test.before(async () => {
  cluster = await startLocalCluster({ nodes: 3, runtime: 'process' });
});

test.after.always(async () => {
  await cluster?.destroy();
});

const perNode = (pods: readonly PodView[]): Record<string, number> => {
  const m: Record<string, number> = {};
  for (const p of pods) m[p.spec.nodeName ?? '<none>'] = (m[p.spec.nodeName ?? '<none>'] ?? 0) + 1;
  return m;
};

async function settled(app: string, replicas: number): Promise<PodView[]> {
  const status = await cluster.tctl(['rollout', 'status', `deployment/${app}`, '--timeout', '60s']);
  if (status.code !== 0) throw new Error(`rollout status: ${status.stdout} ${status.stderr}`);
  return eventually(`${replicas} running pods of ${app}`, async () => {
    const pods = (await podsOf(cluster, `app=${app}`)).filter((p) => !p.metadata.deletionTimestamp);
    return pods.length === replicas && pods.every((p) => p.status.phase === 'Running') ? pods : undefined;
  });
}

test.serial('a deployment of 6 on 3 nodes: 2 pods per node, all Running; scale to 9 and to 3', async (t) => {
  const apply = await cluster.tctl(['apply', '-f', '-'], deployment('spread', { replicas: 6 }));
  t.is(apply.stdout, 'deployment.apps/spread created\n', apply.stderr);
  t.deepEqual(perNode(await settled('spread', 6)), { 'node-1': 2, 'node-2': 2, 'node-3': 2 });
  const table = await cluster.tctl(['get', 'deploy', 'spread']);
  t.regex(table.stdout, /^spread\s+6\/6\s+6\s+6\s+\S+$/m);

  t.is((await cluster.tctl(['scale', 'deployment/spread', '--replicas', '9'])).stdout, 'deployment.apps/spread scaled\n');
  t.deepEqual(perNode(await settled('spread', 9)), { 'node-1': 3, 'node-2': 3, 'node-3': 3 });
  t.is((await cluster.tctl(['scale', 'deploy', 'spread', '--replicas', '3'])).code, 0);
  const three = await settled('spread', 3);
  t.is(three.length, 3);
  t.is((await cluster.tctl(['delete', 'deploy', 'spread'])).stdout, 'deployment.apps "spread" deleted\n');
});

test.serial('a rolling update never has fewer than replicas - maxUnavailable ready pods; rollout undo returns to the old template', async (t) => {
  t.is((await cluster.tctl(['apply', '-f', '-'], deployment('roll', { replicas: 6, maxSurge: 1, maxUnavailable: 1, env: 'v1' }))).code, 0);
  await settled('roll', 6);

  // Watch every pod of the deployment through the API while the template changes.
  const isReady = (p: PodItem): boolean => !p.metadata?.deletionTimestamp && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  let minReady = Infinity;
  const follower = await followPods(cluster, 'app=roll', (pods) => { minReady = Math.min(minReady, pods.filter(isReady).length); });
  t.is(minReady, 6);
  try {
    const update = await cluster.tctl(['apply', '-f', '-'], deployment('roll', { replicas: 6, maxSurge: 1, maxUnavailable: 1, env: 'v2' }));
    t.is(update.stdout, 'deployment.apps/roll configured\n', update.stderr);
    const status = await cluster.tctl(['rollout', 'status', 'deploy/roll', '--timeout', '90s']);
    t.is(status.code, 0, status.stderr);
    t.regex(status.stdout, /deployment "roll" successfully rolled out\n$/);
    const after = await settled('roll', 6);
    t.true(after.every((p) => p.spec.containers[0]?.env?.[0]?.value === 'v2'));
  } finally {
    await follower.stop();
  }
  t.log(`fewest ready pods during the rollout: ${minReady} (replicas 6, maxUnavailable 1)`);
  t.true(minReady >= 5, `ready pods fell to ${minReady}`);

  const history = await cluster.tctl(['rollout', 'history', 'deployment/roll']);
  t.regex(history.stdout, /^REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>$/m);
  const undo = await cluster.tctl(['rollout', 'undo', 'deployment/roll']);
  t.is(undo.stdout, 'deployment.apps/roll rolled back\n', undo.stderr);
  const back = await settled('roll', 6);
  t.true(back.every((p) => p.spec.containers[0]?.env?.[0]?.value === 'v1'));
  const template = await cluster.tctl(['get', 'deploy', 'roll', '-o', 'jsonpath={.spec.template.spec.containers[0].env[0].value}']);
  t.is(template.stdout, 'v1');
});

test.serial('a crashed node\'s pods have Running replacements on the other nodes within 20 s; it comes back with none of its old containers', async (t) => {
  const before = await settled('roll', 6);
  const lost = before.filter((p) => p.spec.nodeName === 'node-2');
  t.true(lost.length > 0);
  const lostPids = lost.flatMap((p) => processesOf(p.metadata.uid));
  t.true(lostPids.length > 0, 'the pods on node-2 have processes');

  const start = Date.now();
  t.is((await cluster.tctl(['cluster', 'stop-node', 'node-2'])).code, 0);
  await eventually('replacements on healthy nodes', async () => {
    const pods = (await podsOf(cluster, 'app=roll')).filter((p) => !p.metadata.deletionTimestamp && p.spec.nodeName !== 'node-2');
    return pods.filter((p) => p.status.phase === 'Running').length >= 6 ? pods : undefined;
  }, 40_000);
  const seconds = (Date.now() - start) / 1000;
  t.log(`pods of a stopped node replaced in ${seconds.toFixed(1)} s (default node-monitor-grace-period)`);
  console.log(`[e2e] node failure: ${lost.length} pods of node-2 replaced on node-1/node-3 in ${seconds.toFixed(1)} s (default settings)`);
  t.true(seconds < 20, `took ${seconds} s`);

  const back = await cluster.tctl(['cluster', 'start-node', 'node-2']);
  t.is(back.code, 0, back.stderr);
  t.regex((await cluster.tctl(['get', 'node', 'node-2'])).stdout, /^node-2\s+Ready\s/m);
  // The evicted pods go away once their agent confirms, and none of their containers run.
  await eventually('the evicted pods to be gone', async () => {
    const names = (await podsOf(cluster, 'app=roll')).map((p) => p.metadata.name);
    return lost.every((p) => !names.includes(p.metadata.name)) || undefined;
  }, 30_000);
  for (const p of lost) t.deepEqual(processesOf(p.metadata.uid), [], `${p.metadata.name} has no process`);
});

test.serial('drain cordons a node and moves its pods away; a bare pod needs --force', async (t) => {
  t.is((await cluster.tctl(['apply', '-f', '-'], deployment('drained', { replicas: 3, cpu: '10m' }))).code, 0);
  await settled('drained', 3);
  const bare = await cluster.tctl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: bare\nspec:\n  nodeSelector: {kubernetes.io/hostname: node-1}\n  terminationGracePeriodSeconds: 1\n  containers:\n  - name: c\n    image: busybox\n    command: [sleep, "3600"]\n');
  t.is(bare.code, 0, bare.stderr);
  await cluster.tctl(['wait', '--for=condition=Ready', 'pod/bare', '--timeout', '30s']);
  const refused = await cluster.tctl(['drain', 'node-1']);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /cannot delete pods that declare no controller \(use --force to override\): default\/bare/);
  const drain = await cluster.tctl(['drain', 'node-1', '--force']);
  t.is(drain.code, 0, drain.stderr);
  t.regex(drain.stdout, /^node\/node-1 already cordoned\n/);
  t.regex(drain.stdout, /^evicting pod default\/bare$/m);
  t.regex(drain.stdout, /^pod\/bare evicted$/m);
  t.regex(drain.stdout, /node\/node-1 drained\n$/);
  const pods = await settled('drained', 3);
  t.true(pods.every((p) => p.spec.nodeName !== 'node-1'));
  t.regex((await cluster.tctl(['get', 'nodes'])).stdout, /^node-1\s+Ready,SchedulingDisabled/m);
  t.is((await cluster.tctl(['uncordon', 'node-1'])).stdout, 'node/node-1 uncordoned\n');
  t.is((await cluster.tctl(['delete', 'deploy', 'drained'])).code, 0);
});

test.serial('deleting a deployment removes its replica sets and pods; --cascade=orphan keeps them', async (t) => {
  const del = await cluster.tctl(['delete', 'deployment', 'roll']);
  t.is(del.stdout, 'deployment.apps "roll" deleted\n', del.stderr);
  await eventually('replica sets and pods of roll to go', async () => {
    const rs = await cluster.tctl(['get', 'rs', '-l', 'app=roll', '-o', 'name']);
    const pods = await podsOf(cluster, 'app=roll');
    return rs.stdout === '' && pods.length === 0 || undefined;
  }, 30_000);

  t.is((await cluster.tctl(['apply', '-f', '-'], deployment('kept', { replicas: 2 }))).code, 0);
  await settled('kept', 2);
  const orphan = await cluster.tctl(['delete', 'deployment', 'kept', '--cascade=orphan']);
  t.is(orphan.code, 0, orphan.stderr);
  t.is((await cluster.tctl(['get', 'deploy', 'kept'])).code, 1);
  await new Promise((r) => setTimeout(r, 2000));
  const rs = await cluster.tctl(['get', 'rs', '-l', 'app=kept', '-o', 'json']);
  const items = (JSON.parse(rs.stdout) as { items: KubeObject[] }).items;
  t.is(items.length, 1);
  t.deepEqual(items[0]!.metadata?.ownerReferences ?? [], []);
  t.is((await podsOf(cluster, 'app=kept')).filter((p) => !p.metadata.deletionTimestamp).length, 2);
});
