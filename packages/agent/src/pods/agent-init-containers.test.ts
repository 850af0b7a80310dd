// Init containers end to end: a real etcd + API server, the built tugboat-agent binary with
// the process runtime (so it can be SIGKILLed and started again), pods bound to its node with
// Bind, init containers and regular containers as real host processes sharing a temp dir.
import test from 'ava';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject, Pod } from '@tugboat/api';
import { waitFor } from '@tugboat/test';
import { isSameProcessAlive } from '../system/proc.js';
import { containerDir, readJson, recordPath, type PidRecord } from '../runtimes/process/records.js';
import { useProcessNode } from '../testing/process-node.js';
import { podWatch } from '../testing/pod-watch.js';

type PodObject = Pod & KubeObject;

const { node, maybe } = useProcessNode(test, 'init');

const sh = (script: string): Record<string, unknown> => ({ image: 'busybox', command: ['sh', '-c', script] });

async function runPod(name: string, initContainers: ({ name: string } & Record<string, unknown>)[], main: Record<string, unknown>, spec: Record<string, unknown> = {}): Promise<PodObject> {
  const pod = await node().client.create<PodObject>({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
    spec: { initContainers, containers: [{ name: 'main', ...main }], terminationGracePeriodSeconds: 2, ...spec },
  });
  await node().client.bind('default', name, node().nodeName);
  return pod;
}

const { waitPod, eventsOf } = podWatch(() => node().client, { context: () => node().agent.output() });

function pidOf(pod: PodObject, container: string, attempt: number): PidRecord | undefined {
  return readJson<PidRecord>(recordPath(containerDir(node().dataDir, pod.metadata?.uid ?? '', container), attempt, 'pid'));
}

/** Whether the runtime ever had an instance of this container (its records directory). */
function everStarted(pod: PodObject, container: string): boolean {
  return existsSync(containerDir(node().dataDir, pod.metadata?.uid ?? '', container));
}

maybe('two init containers run in order, each to completion, before the main container; then Initialized and Running', async (t) => {
  const file = join(node().work, 'order');
  const seen = join(node().work, 'seen');
  const env = [{ name: 'FILE', value: file }, { name: 'SEEN', value: seen }];
  // The first one is slow: run side by side, "two" would be written first.
  const pod = await runPod('ordered', [
    { name: 'one', ...sh('sleep 1; echo one >> "$FILE"; echo init-one-done'), env },
    { name: 'two', ...sh('echo two >> "$FILE"'), env },
  ], { ...sh('cp "$FILE" "$SEEN"; exec sleep 1000'), env });
  const initializing = await waitPod('ordered', 'running its first init container', (p) => !!p.status?.initContainerStatuses?.[0]?.state?.running);
  t.is(initializing.status?.phase, 'Pending');
  t.deepEqual(initializing.status?.initContainerStatuses?.[1]?.state, { waiting: { reason: 'PodInitializing' } });
  t.deepEqual(initializing.status?.containerStatuses?.[0]?.state, { waiting: { reason: 'PodInitializing' } });
  t.like(initializing.status?.conditions?.find((c) => c.type === 'Initialized'), {
    status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [one two]',
  });
  t.false(everStarted(pod, 'main'));

  const running = await waitPod('ordered', 'Running', (p) => p.status?.phase === 'Running' && !!p.status.containerStatuses?.[0]?.ready);
  t.is(readFileSync(seen, 'utf8'), 'one\ntwo\n', 'the main container saw both lines, in order');
  for (const s of running.status?.initContainerStatuses ?? []) {
    t.like(s, { ready: true, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }, s.name);
    t.regex(s.containerID ?? '', /^process:\/\//);
  }
  t.is(running.status?.initContainerStatuses?.length, 2);
  t.is(running.status?.conditions?.find((c) => c.type === 'Initialized')?.status, 'True');

  // tctl logs -c one, through the API server.
  let logs = '';
  for await (const c of node().client.logs('default', 'ordered', { container: 'one' })) logs += c.data.toString();
  t.is(logs, 'init-one-done\n');
  // Events name the init container by its field path, as kubelet's do.
  await waitFor('Started events', async () => {
    const started = (await eventsOf('ordered')).filter((e) => e.reason === 'Started').map((e) => e.involvedObject?.fieldPath);
    return ['spec.initContainers{one}', 'spec.initContainers{two}', 'spec.containers{main}'].every((f) => started.includes(f));
  }, 5_000);

  // SIGKILL the agent, drop the init containers' instances (as garbage collection would) and
  // restart it: it adopts the running pod and never runs its init containers again.
  const mainPid = pidOf(running, 'main', 0);
  await node().agent.kill('SIGKILL');
  for (const name of ['one', 'two']) rmSync(containerDir(node().dataDir, pod.metadata?.uid ?? '', name), { recursive: true, force: true });
  await node().agent.restart();
  await new Promise((r) => setTimeout(r, 2_500));
  t.false(everStarted(pod, 'one'), 'init container one was not run again');
  t.is(readFileSync(file, 'utf8'), 'one\ntwo\n');
  const adopted = await waitPod('ordered', 'still Running', (p) => p.status?.phase === 'Running');
  t.true(isSameProcessAlive(mainPid?.pid ?? 0, mainPid?.startTime));
  t.is(adopted.status?.conditions?.find((c) => c.type === 'Initialized')?.status, 'True');
  t.deepEqual(adopted.status?.initContainerStatuses, running.status?.initContainerStatuses, 'the stored terminated statuses stand');
});

maybe('an init container that fails under restartPolicy Never: the pod Failed, the next init and the main container never start', async (t) => {
  const pod = await runPod('init-never', [{ name: 'fail', ...sh('echo nope; exit 1') }, { name: 'after', ...sh('true') }], sh('sleep 1000'), { restartPolicy: 'Never' });
  const failed = await waitPod('init-never', 'Failed', (p) => p.status?.phase === 'Failed');
  t.like(failed.status?.initContainerStatuses?.[0], { restartCount: 0, ready: false, state: { terminated: { exitCode: 1, reason: 'Error' } } });
  t.deepEqual(failed.status?.containerStatuses?.[0]?.state, { waiting: { reason: 'PodInitializing' } });
  t.like(failed.status?.conditions?.find((c) => c.type === 'Initialized'), { status: 'False', message: 'containers with incomplete status: [fail after]' });
  await new Promise((r) => setTimeout(r, 1_500));
  t.false(everStarted(pod, 'after'));
  t.false(everStarted(pod, 'main'));
  t.is((await node().client.get<PodObject>('pods', 'default', 'init-never')).status?.initContainerStatuses?.[0]?.restartCount, 0);
});

maybe('an init container that fails under restartPolicy Always: restarted with back-off (CrashLoopBackOff), the pod Pending', async (t) => {
  const pod = await runPod('init-always', [{ name: 'crash', ...sh('exit 3') }], sh('sleep 1000'), { restartPolicy: 'Always' });
  const looping = await waitPod('init-always', 'in CrashLoopBackOff after 2 restarts', (p) => {
    const s = p.status?.initContainerStatuses?.[0];
    return (s?.restartCount ?? 0) >= 2 && s?.state?.waiting?.reason === 'CrashLoopBackOff';
  });
  const s = looping.status?.initContainerStatuses?.[0];
  t.regex(s?.state?.waiting?.message ?? '', /^back-off \ds restarting failed container=crash pod=init-always_default\(/);
  t.like(s?.lastState?.terminated, { exitCode: 3, reason: 'Error' });
  t.is(looping.status?.phase, 'Pending');
  t.deepEqual(looping.status?.containerStatuses?.[0]?.state, { waiting: { reason: 'PodInitializing' } });
  t.false(everStarted(pod, 'main'));
  await waitFor('a BackOff event', async () => (await eventsOf('init-always')).some((e) => e.reason === 'BackOff' && e.involvedObject?.fieldPath === 'spec.initContainers{crash}'), 5_000);
});

maybe('deleting a pod while an init container runs stops it within the grace period', async (t) => {
  const pod = await runPod('init-delete', [{ name: 'slow', ...sh('sleep 1000') }], sh('sleep 1000'));
  const p = await waitPod('init-delete', 'running its init container', (x) => !!x.status?.initContainerStatuses?.[0]?.state?.running);
  const rec = pidOf(p, 'slow', 0);
  t.true(isSameProcessAlive(rec?.pid ?? 0, rec?.startTime));
  await node().client.delete('pods', 'default', 'init-delete');
  await waitFor('the pod to go', async () => !(await node().client.tryGet<PodObject>('pods', 'default', 'init-delete')), 10_000);
  t.false(isSameProcessAlive(rec?.pid ?? 0, rec?.startTime));
  t.false(everStarted(pod, 'main'));
});
