// Probes end to end: a real etcd + API server, the built tugboat-agent binary with the
// process runtime, pods bound to its node with Bind, their containers real node processes
// serving HTTP on 127.0.0.1 (the pod IP of process-runtime pods).
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject, Pod } from '@tugboat/api';
import { freePort } from '@tugboat/test';
import { useProcessNode } from '../testing/process-node.js';
import { podWatch } from '../testing/pod-watch.js';

type PodObject = Pod & KubeObject;

const { node, maybe } = useProcessNode(test, 'probes');

/** A container that serves HTTP on 127.0.0.1:PORT: 200 while the file OK_FILE exists, else 500. */
const SERVER = `require('http').createServer((q, r) => { r.writeHead(require('fs').existsSync(process.env.OK_FILE) ? 200 : 500); r.end(); })
  .listen(+process.env.PORT, '127.0.0.1');
process.on('SIGTERM', () => process.exit(143));`;

async function httpContainer(port: number, okFile: string, more: Record<string, unknown>): Promise<Record<string, unknown>> {
  return {
    command: [process.execPath, '-e', SERVER],
    env: [{ name: 'PORT', value: String(port) }, { name: 'OK_FILE', value: okFile }],
    ports: [{ name: 'http', containerPort: port }],
    ...more,
  };
}

async function runPod(name: string, container: Record<string, unknown>, spec: Record<string, unknown> = {}): Promise<void> {
  await node().client.create<PodObject>({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'c', image: 'busybox', ...container }], terminationGracePeriodSeconds: 2, ...spec },
  });
  await node().client.bind('default', name, node().nodeName);
}

const { waitPod, eventsOf, waitEvent } = podWatch(() => node().client);

const condition = (p: PodObject, type: string): string | undefined => p.status?.conditions?.find((c) => c.type === type)?.status;

maybe('a failing readiness probe keeps a Running pod out of Ready', async (t) => {
  const name = 'probe-never-ready';
  await runPod(name, { command: ['sleep', '600'], readinessProbe: { exec: { command: ['sh', '-c', 'echo not yet; exit 1'] }, periodSeconds: 1 } });
  await waitPod(name, 'Running', (p) => p.status?.phase === 'Running');
  // Several periods of failures, not just a first one.
  const ev = await waitEvent(name, 'three Readiness failures', (e) => e.reason === 'Unhealthy' && (e.count ?? 0) >= 3);
  t.is(ev.type, 'Warning');
  t.is(ev.message, 'Readiness probe failed: not yet\n');
  t.is(ev.involvedObject?.fieldPath, 'spec.containers{c}');
  const p = await waitPod(name, 'status written', (x) => !!x.status?.containerStatuses?.[0]?.started);
  t.is(p.status?.phase, 'Running');
  t.like(p.status?.containerStatuses?.[0], { ready: false, started: true, restartCount: 0 });
  t.is(condition(p, 'Ready'), 'False');
  t.is(condition(p, 'ContainersReady'), 'False');
  t.is(p.status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'ContainersNotReady');
  await node().client.delete('pods', 'default', name, { gracePeriodSeconds: 0 });
});

maybe('a pod whose httpGet readiness probe starts passing becomes Ready', async (t) => {
  const name = 'probe-becomes-ready';
  const okFile = join(node().work, 'ready');
  const port = await freePort();
  await runPod(name, await httpContainer(port, okFile, { readinessProbe: { httpGet: { port: 'http', path: '/ready' }, periodSeconds: 1 } }));
  await waitEvent(name, 'a 500 from the readiness probe', (e) => e.reason === 'Unhealthy' && e.message === 'Readiness probe failed: HTTP probe failed with statuscode: 500');
  const before = await waitPod(name, 'Running', (p) => p.status?.phase === 'Running');
  t.is(condition(before, 'Ready'), 'False');
  t.false(before.status?.containerStatuses?.[0]?.ready);
  writeFileSync(okFile, '');
  const after = await waitPod(name, 'Ready', (p) => condition(p, 'Ready') === 'True');
  t.is(condition(after, 'ContainersReady'), 'True');
  t.like(after.status?.containerStatuses?.[0], { ready: true, restartCount: 0 });
  await node().client.delete('pods', 'default', name, { gracePeriodSeconds: 0 });
});

maybe('a failing liveness probe restarts the container: Unhealthy, then Killing, restartCount grows', async (t) => {
  const name = 'probe-liveness';
  const port = await freePort();
  await runPod(name, await httpContainer(port, join(node().work, 'never'), {
    livenessProbe: { httpGet: { port, path: '/healthz' }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 2 },
  }));
  const p = await waitPod(name, 'restarted twice', (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2, 40_000);
  const cs = p.status?.containerStatuses?.[0];
  t.truthy(cs?.lastState?.terminated, JSON.stringify(cs));
  t.is(p.status?.phase, 'Running');
  const unhealthy = await waitEvent(name, 'Unhealthy with the status code', (e) => e.reason === 'Unhealthy' && e.message === 'Liveness probe failed: HTTP probe failed with statuscode: 500');
  const killing = await waitEvent(name, 'Killing', (e) => e.reason === 'Killing');
  t.is(unhealthy.type, 'Warning');
  t.is(killing.type, 'Normal');
  t.is(killing.message, 'Container c failed liveness probe, will be restarted');
  t.true(Date.parse(unhealthy.firstTimestamp ?? '') <= Date.parse(killing.firstTimestamp ?? ''), 'Unhealthy comes first');
  t.true((killing.count ?? 0) >= 2, 'one Killing per restart');
  // Each run is counted on the agent's /metrics, with kubelet's label values.
  const metrics = await (await fetch(`http://127.0.0.1:${node().agent.httpPort()}/metrics`)).text();
  const failed = Number(/^prober_probe_total\{probe_type="Liveness",result="failed"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
  t.true(failed >= 4, `two restarts need at least 4 failed liveness probes; /metrics says ${failed}`);
  await node().client.delete('pods', 'default', name, { gracePeriodSeconds: 0 });
});

maybe('a startup probe holds liveness back until it passes; then the failing liveness probe restarts the container', async (t) => {
  const name = 'probe-startup';
  const started = join(node().work, 'started');
  await runPod(name, {
    command: ['sleep', '600'],
    startupProbe: { exec: { command: ['test', '-f', started] }, periodSeconds: 1, failureThreshold: 60 },
    livenessProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 1 },
  });
  await waitEvent(name, 'startup failures', (e) => e.reason === 'Unhealthy' && e.message?.startsWith('Startup probe failed') === true && (e.count ?? 0) >= 3);
  const waiting = await waitPod(name, 'Running', (p) => p.status?.phase === 'Running');
  t.like(waiting.status?.containerStatuses?.[0], { started: false, ready: false, restartCount: 0 });
  t.false((await eventsOf(name)).some((e) => e.reason === 'Killing'), 'no liveness kill before startup passed');
  writeFileSync(started, '');
  await waitPod(name, 'restarted by its liveness probe', (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
  await waitEvent(name, 'Killing', (e) => e.reason === 'Killing' && e.message === 'Container c failed liveness probe, will be restarted');
  await node().client.delete('pods', 'default', name, { gracePeriodSeconds: 0 });
});
