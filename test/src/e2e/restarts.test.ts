// End to end: the controller manager and the scheduler SIGKILLed at arbitrary moments of a
// rollout and of a scale-up, and started again by `tctl cluster up`. Every pod event is
// watched through the API, so the count of live (not terminating) pods is known after each
// change: it must never pass what the rollout allows (replicas + maxSurge), and the
// deployment must end with exactly `replicas` pods of the new template.
import test from 'ava';
import { sleep } from '@tugboat/api';
import { startLocalCluster, type LocalClusterHandle } from '../harness/cluster.js';
import { deployment, eventually, followPods, podsOf } from './helpers.js';

let cluster: LocalClusterHandle;

test.before(async () => {
  cluster = await startLocalCluster({ nodes: 3, runtime: 'process' });
});

test.after.always(async () => {
  await cluster?.destroy();
});

/** SIGKILLs a component, waits until status sees it gone, and starts it again with `up`. */
async function crashAndRestart(name: 'controllers' | 'scheduler'): Promise<void> {
  const before = (await cluster.components()).find((c) => c.name === name);
  if (!before || before.state !== 'running') throw new Error(`${name} is not running`);
  process.kill(before.pid, 'SIGKILL');
  await eventually(`${name} stopped`, async () => (await cluster.components()).find((c) => c.name === name)?.state === 'stopped', 10_000, 50);
  const up = await cluster.tctl(['cluster', 'up']);
  if (up.code !== 0 || !new RegExp(`started ${name}\\s`).test(up.stdout)) throw new Error(`cluster up: ${up.stdout} ${up.stderr}`);
}

/** Watches the pods of `app` and keeps the largest number of live pods seen at once. */
async function watchLivePods(app: string): Promise<{ max: () => number; stop: () => Promise<void> }> {
  let max = 0;
  const follower = await followPods(cluster, `app=${app}`, (pods) => {
    max = Math.max(max, pods.filter((p) => !p.metadata?.deletionTimestamp).length);
  });
  return { max: () => max, stop: follower.stop };
}

async function settled(app: string, replicas: number, version: string): Promise<void> {
  const status = await cluster.tctl(['rollout', 'status', `deployment/${app}`, '--timeout', '90s'], undefined, 120_000);
  if (status.code !== 0) throw new Error(`rollout status: ${status.stdout} ${status.stderr}`);
  await eventually(`exactly ${replicas} running pods of ${app} at ${version}`, async () => {
    const pods = (await podsOf(cluster, `app=${app}`)).filter((p) => !p.metadata.deletionTimestamp);
    return pods.length === replicas && pods.every((p) => p.status.phase === 'Running' && p.spec.containers[0]?.env?.[0]?.value === version);
  });
}

test.serial('controller manager and scheduler SIGKILLed during a rollout and a scale-up: exactly replicas pods at the end, never more than replicas + maxSurge', async (t) => {
  const manifest = (version: string, replicas = 6): string => deployment('steady', { replicas, maxSurge: 1, maxUnavailable: 1, env: version });
  t.is((await cluster.tctl(['apply', '-f', '-'], manifest('v1'))).code, 0);
  await settled('steady', 6, 'v1');

  const watcher = await watchLivePods('steady');
  try {
    // A rollout with crashes at moments spread over it: right after the change, while the
    // new ReplicaSet is being scaled up, and both components at once.
    t.is((await cluster.tctl(['apply', '-f', '-'], manifest('v2'))).stdout, 'deployment.apps/steady configured\n');
    const plan: ReadonlyArray<readonly ('controllers' | 'scheduler')[]> = [['controllers'], ['scheduler'], ['controllers'], ['controllers', 'scheduler']];
    const moments: number[] = [];
    for (const victims of plan) {
      const wait = 100 + Math.floor(Math.random() * 900);
      moments.push(wait);
      await sleep(wait);
      for (const v of victims) await crashAndRestart(v);
    }
    t.log(`rollout: crashes after ${moments.join(', ')} ms pauses (controllers, scheduler, controllers, both)`);
    await settled('steady', 6, 'v2');
    const rolloutMax = watcher.max();
    t.log(`largest number of live pods during the rollout: ${rolloutMax} (replicas 6 + maxSurge 1 = 7)`);
    t.true(rolloutMax <= 7, `live pods reached ${rolloutMax} during the rollout (replicas 6 + maxSurge 1)`);

    // A scale-up interrupted while the ReplicaSet creates pods: no duplicates afterwards.
    t.is((await cluster.tctl(['scale', 'deployment/steady', '--replicas', '9'])).code, 0);
    await sleep(Math.floor(Math.random() * 300));
    await crashAndRestart('controllers');
    await settled('steady', 9, 'v2');
    t.true(watcher.max() <= 9, `live pods reached ${watcher.max()} scaling to 9`);

    // And nothing more happens afterwards: the count holds.
    await sleep(2000);
    const pods = (await podsOf(cluster, 'app=steady')).filter((p) => !p.metadata.deletionTimestamp);
    t.is(pods.length, 9);
    const rs = await cluster.tctl(['get', 'rs', '-l', 'app=steady', '-o', 'jsonpath={range .items[*]}{.spec.replicas}{" "}{end}']);
    t.deepEqual(rs.stdout.trim().split(' ').map(Number).sort(), [0, 9], rs.stderr);
  } finally {
    await watcher.stop();
  }
});

test.serial('a restarted scheduler or controller manager resumes its Lease at once (the local cluster gives each a fixed identity)', async (t) => {
  const leaseSpec = async (): Promise<{ holderIdentity?: string; acquireTime?: string; leaseTransitions?: number }> => {
    const res = await cluster.tctl(['get', 'lease', 'tugboat-scheduler', '-n', 'tugboat-system', '-o', 'jsonpath={.spec}']);
    t.is(res.code, 0, res.stderr);
    return JSON.parse(res.stdout) as { holderIdentity?: string; acquireTime?: string; leaseTransitions?: number };
  };
  const before = await leaseSpec();
  const started = Date.now();
  await crashAndRestart('scheduler');
  t.is((await cluster.tctl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: after-crash\nspec:\n  containers:\n  - name: c\n    image: busybox\n    command: ["sleep", "3600"]\n')).code, 0);
  const wait = await cluster.tctl(['wait', '--for=condition=Ready', 'pod/after-crash', '--timeout', '60s'], undefined, 90_000);
  t.is(wait.code, 0, wait.stderr);
  t.log(`scheduler SIGKILLed, started again, and a new pod Ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  // Resumed, not taken over: a restart under another identity would have waited out the dead
  // holder's 15 s and then taken the Lease, which sets a new acquireTime and counts a
  // transition. The same identity renews the Lease it holds. (Checked on the Lease itself, not
  // on a wall-clock bound that a loaded machine can miss.)
  const after = await leaseSpec();
  t.is(after.holderIdentity, 'tugboat-local-scheduler');
  t.is(after.acquireTime, before.acquireTime);
  t.is(after.leaseTransitions ?? 0, before.leaseTransitions ?? 0);
});
