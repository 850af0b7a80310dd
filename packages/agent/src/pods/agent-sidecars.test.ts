// Sidecars (init containers with restartPolicy: Always) end to end on the process runtime: a
// real etcd + API server, the built tugboat-agent, pods bound to its node with Bind, every
// container a real host process. The same pure decisions run the oci runtime's pods
// (test/src/e2e/sidecars-oci.test.ts does it on runc).
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject, Pod } from '@tugboat/api';
import { waitFor } from '@tugboat/test';
import { useProcessNode } from '../testing/process-node.js';
import { podWatch } from '../testing/pod-watch.js';

type PodObject = Pod & KubeObject;

const { node, maybe } = useProcessNode(test, 'sidecar');
const { waitPod, eventsOf } = podWatch(() => node().client, { context: () => node().agent.output() });

const sh = (script: string, env: { name: string; value: string }[] = []): Record<string, unknown> => ({ image: 'busybox', command: ['sh', '-c', script], env });

async function runPod(name: string, spec: Record<string, unknown>): Promise<void> {
  await node().client.create<PodObject>({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [], ...spec } });
  await node().client.bind('default', name, node().nodeName);
}

maybe('under restartPolicy Never a sidecar that exits is restarted; the main container starts once it runs; deletion stops main first', async (t) => {
  const dir = node().work;
  const env = [{ name: 'DIR', value: dir }];
  await runPod('sidecar-never', {
    restartPolicy: 'Never',
    terminationGracePeriodSeconds: 10,
    initContainers: [
      { name: 'prep', ...sh('echo prep >> "$DIR/started"', env) },
      // The first instance exits 1 after a second; the next keeps running and records its SIGTERM.
      {
        name: 'side', restartPolicy: 'Always',
        ...sh('echo side >> "$DIR/started"; if [ ! -e "$DIR/crashed" ]; then touch "$DIR/crashed"; sleep 1; exit 1; fi; '
          + 'trap \'echo side >> "$DIR/stopped"; exit 0\' TERM; while true; do sleep 0.2; done', env),
      },
    ],
    // Slow to stop: were both stopped at once, the sidecar's line would come first.
    containers: [{ name: 'main', ...sh('echo main >> "$DIR/started"; trap \'sleep 1; echo main >> "$DIR/stopped"; exit 0\' TERM; while true; do sleep 0.2; done', env) }],
  });
  const restarted = await waitPod('sidecar-never', 'Running with the sidecar restarted once', (p) => {
    const side = p.status?.initContainerStatuses?.[1];
    return p.status?.phase === 'Running' && side?.restartCount === 1 && !!side.state?.running && !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  });
  t.like(restarted.status?.initContainerStatuses?.[1], { name: 'side', started: true, ready: true, lastState: { terminated: { exitCode: 1 } } });
  t.like(restarted.status?.initContainerStatuses?.[0], { name: 'prep', ready: true, state: { terminated: { exitCode: 0 } } });
  t.like(restarted.status?.containerStatuses?.[0], { name: 'main', ready: true, restartCount: 0 });
  // prep, then the sidecar, then main beside it; the sidecar's second instance later.
  t.deepEqual(readFileSync(join(dir, 'started'), 'utf8').trim().split('\n').slice(0, 3), ['prep', 'side', 'main']);

  await node().client.delete('pods', 'default', 'sidecar-never');
  await waitFor('the pod to go', async () => !(await node().client.tryGet<PodObject>('pods', 'default', 'sidecar-never')), 20_000);
  t.is(readFileSync(join(dir, 'stopped'), 'utf8'), 'main\nside\n');
  const killing = (await eventsOf('sidecar-never')).filter((e) => e.reason === 'Killing').map((e) => e.involvedObject?.fieldPath);
  // (The events' own order is not the list's: the file above shows the order.)
  t.deepEqual(killing.sort(), ['spec.containers{main}', 'spec.initContainers{side}']);
});

maybe('a pod whose main container finished under Never: the sidecar is stopped and the pod Succeeded, not restarted', async (t) => {
  await runPod('sidecar-job', {
    restartPolicy: 'Never',
    terminationGracePeriodSeconds: 5,
    initContainers: [{ name: 'side', restartPolicy: 'Always', ...sh('trap "exit 0" TERM; while true; do sleep 0.2; done') }],
    containers: [{ name: 'main', ...sh('sleep 1; echo done') }],
  });
  const done = await waitPod('sidecar-job', 'Succeeded', (p) => p.status?.phase === 'Succeeded');
  t.like(done.status?.containerStatuses?.[0], { state: { terminated: { exitCode: 0, reason: 'Completed' } } });
  t.like(done.status?.initContainerStatuses?.[0], { name: 'side', restartCount: 0, ready: false });
  t.truthy(done.status?.initContainerStatuses?.[0]?.state?.terminated, JSON.stringify(done.status?.initContainerStatuses));
  await new Promise((r) => setTimeout(r, 1_500));
  const later = await node().client.get<PodObject>('pods', 'default', 'sidecar-job');
  t.is(later.status?.phase, 'Succeeded');
  t.is(later.status?.initContainerStatuses?.[0]?.restartCount, 0, 'the sidecar was not started again');
});
