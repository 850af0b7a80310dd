// The pod manager's periodic work against a real etcd and API server, on the fake runtime
// with a runtime that counts its calls: each pod resynced on its own jittered clock (and no
// more once it is gone), and the relist (PLEG) skipping a runtime that says nothing changed,
// yet noticing at once when something does.
import test from 'ava';
import { sleep, type KubeObject, type Pod, type TugboatClient } from '@tugboat/api';
import { etcdAvailable, startApiServerInProcess, startEtcd, waitFor, type ApiServerHandle, type EtcdHandle } from '@tugboat/test';
import { FakeRuntime } from '../runtimes/fake/fake-runtime.js';
import type { ContainerFilter, ContainerInfo } from '../runtimes/runtime.js';
import { PodManager } from './pod-manager.js';
import { podWatch } from '../testing/pod-watch.js';

type PodObject = Pod & KubeObject;

/** The fake runtime, counting relists (unfiltered lists) and each pod's syncs (lists of one pod). */
class CountingRuntime extends FakeRuntime {
  relists = 0;
  readonly syncs = new Map<string, number>();
  override async listContainers(filter: ContainerFilter = {}): Promise<ContainerInfo[]> {
    if (filter.podUid === undefined) this.relists++;
    else this.syncs.set(filter.podUid, (this.syncs.get(filter.podUid) ?? 0) + 1);
    return super.listContainers(filter);
  }
}

let etcd: EtcdHandle | undefined;
let api: ApiServerHandle | undefined;
let client: TugboatClient;

test.before(async () => {
  if (!etcdAvailable()) return;
  etcd = await startEtcd();
  api = await startApiServerInProcess(etcd.endpoint);
  client = api.client();
});

test.after.always(async () => {
  await api?.stop();
  await etcd?.destroy();
});

const { waitPod } = podWatch(() => client);

async function runPod(name: string, nodeName: string): Promise<PodObject> {
  const pod = await client.create<PodObject>({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  });
  await client.bind('default', name, nodeName);
  return pod;
}

async function manager(nodeName: string, runtime: CountingRuntime, resyncIntervalMs: number): Promise<PodManager> {
  const pm = new PodManager({
    client, nodeName, runtime, hostIP: '127.0.0.1', relistIntervalMs: 50, resyncIntervalMs, backoffInitialMs: 100, backoffMaxMs: 200, log: () => {},
  });
  await pm.start();
  return pm;
}

test.serial('each pod is resynced every 1–1.5 resync intervals, and a pod that is gone is not', async (t) => {
  if (!api) { t.pass('etcd is not installed: skipped'); return; }
  const runtime = new CountingRuntime({ hostIP: '127.0.0.1' });
  const pm = await manager('resync-node', runtime, 400);
  t.teardown(() => pm.stop());
  const pods = await Promise.all(['r1', 'r2', 'r3'].map((n) => runPod(n, 'resync-node')));
  for (const p of pods) await waitPod(p.metadata!.name!, 'Running', (x) => x.status?.phase === 'Running');
  await sleep(500);

  const uids = pods.map((p) => p.metadata!.uid!);
  const before = uids.map((u) => runtime.syncs.get(u) ?? 0);
  await sleep(3_000);
  const counts = uids.map((u, i) => (runtime.syncs.get(u) ?? 0) - before[i]!);
  // 3 s at one sync per 400–600 ms: 5–7 each (a sync caused by an event may add one or two;
  // timers late on a busy machine may take one).
  for (const c of counts) t.true(c >= 3 && c <= 10, `syncs of each pod in 3 s: ${counts.join(', ')}`);

  await client.delete('pods', 'default', 'r1');
  await waitFor('r1 gone', async () => !(await client.tryGet('pods', 'default', 'r1')), 10_000, 50);
  await waitFor('r1 gone from the agent', async () => pm.pod('default', 'r1') === undefined, 10_000, 20);
  // A resync already due when it went still runs once (and finds nothing to keep): past the
  // longest interval (600 ms), nothing more may come.
  await sleep(900);
  const gone = runtime.syncs.get(uids[0]!) ?? 0;
  await sleep(1_500);
  t.is(runtime.syncs.get(uids[0]!) ?? 0, gone, 'a pod that is gone is not resynced');
  t.true((runtime.syncs.get(uids[1]!) ?? 0) > before[1]! + counts[1]!, 'the others still are');
});

test.serial('the relist skips a runtime that changed in nothing, and notices a change at its next tick', async (t) => {
  if (!api) { t.pass('etcd is not installed: skipped'); return; }
  const runtime = new CountingRuntime({ hostIP: '127.0.0.1' });
  // A resync far away: only the relist can notice what the test does behind the agent's back.
  const pm = await manager('relist-node', runtime, 600_000);
  t.teardown(() => pm.stop());
  const pod = await runPod('q1', 'relist-node');
  await waitPod('q1', 'Running', (x) => x.status?.phase === 'Running');
  await sleep(300);

  const quiet = runtime.relists;
  await sleep(1_000);
  t.is(runtime.relists, quiet, 'no relist while nothing changed (20 ticks of 50 ms)');

  // The container "dies" behind the agent's back: the runtime's state moves, the next relist
  // lists, and the pod's worker restarts it (restartPolicy Always, back-off 100 ms).
  const [c] = await runtime.listContainers({ podUid: pod.metadata!.uid! });
  await runtime.stopContainer(c!.id, 0);
  const after = await waitPod('q1', 'restarted', (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 && x.status?.containerStatuses?.[0]?.state?.running !== undefined, 5_000);
  t.is(after.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode, 143);
  t.true(runtime.relists > quiet, 'the relist ran again once the runtime changed');
});

test('the fake runtime\'s state version: moves with each change, holds still otherwise, unknown while a container is starting', async (t) => {
  let now = 1_000;
  const rt = new FakeRuntime({ hostIP: '127.0.0.1', startDelayMs: 500, now: () => new Date(now) });
  const pod = { uid: 'u1', namespace: 'default', name: 'p' };
  const v0 = rt.stateVersion();
  t.is(rt.stateVersion(), v0);
  const sb = await rt.createSandbox({ pod } as Parameters<FakeRuntime['createSandbox']>[0]);
  const v1 = rt.stateVersion();
  t.not(v1, v0);
  const c = await rt.startContainer(sb, { pod, name: 'c', attempt: 0, image: 'busybox', imageRef: 'busybox', resources: {}, annotations: {} } as unknown as Parameters<FakeRuntime['startContainer']>[1]);
  t.is(rt.stateVersion(), undefined, 'created, running only once its delay is over: time alone changes it');
  now += 500;
  await rt.listContainers();
  const v2 = rt.stateVersion();
  t.not(v2, undefined);
  await rt.listContainers();
  t.is(rt.stateVersion(), v2, 'reading changes nothing');
  await rt.stopContainer(c.id, 0);
  const v3 = rt.stateVersion();
  t.not(v3, v2);
  await rt.removeContainer(c.id);
  t.not(rt.stateVersion(), v3);
});
