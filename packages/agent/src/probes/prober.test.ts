// The prober's schedule with an injected clock (no sleeping) and real probes: tcpSocket and
// httpGet against real servers on 127.0.0.1, so only the timers are simulated.
import test, { type ExecutionContext } from 'ava';
import http from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { computeProbeKills } from '../pods/pod-actions.js';
import { computePodStatus } from '../pods/pod-status.js';
import type { PodObject } from '../pods/pod-util.js';
import { T0, inst, pod } from '../pods/test-fixtures.js';
import type { ContainerInfo } from '../runtimes/runtime.js';
import { Prober } from './prober.js';
import { ManualClock } from '../testing/manual-clock.js';

interface Recorded { changes: string[]; events: string[] }

/** A prober on `clock`, stopped when the test ends. */
function newProber(t: ExecutionContext, clock: ManualClock): { prober: Prober; rec: Recorded } {
  const rec: Recorded = { changes: [], events: [] };
  const prober = new Prober({
    runtime: { name: 'process', exec: () => Promise.reject(new Error('no exec here')) },
    clock,
    onChange: (uid) => rec.changes.push(uid),
    onEvent: (_pod, type, reason, message, container) => rec.events.push(`${type} ${reason} ${container}: ${message}`),
  });
  t.teardown(() => prober.stop());
  return { prober, rec };
}

/** A port to probe, closed when the test ends. */
async function listen(t: ExecutionContext): Promise<{ port: number; open(): Promise<void>; close(): Promise<void> }> {
  let server: Server | undefined;
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const close = async (): Promise<void> => { await new Promise<void>((r) => (server ? server.close(() => r()) : r())); server = undefined; };
  t.teardown(close);
  return {
    port,
    open: async () => {
      server = createServer((s) => s.destroy());
      await new Promise<void>((r) => server?.listen(port, '127.0.0.1', r));
    },
    close,
  };
}

function podWith(container: Record<string, unknown>, extra: Partial<PodObject> = {}): PodObject {
  return pod({ containers: [{ name: 'c', image: 'busybox', ...container }] }, extra);
}

const running: ContainerInfo = inst(0, 'running');
const STARTED = T0 + 1000;

test('readiness: not ready until the first success, then ready; failures are Unhealthy events; status follows', async (t) => {
  const srv = await listen(t);
  const clock = new ManualClock(STARTED);
  const { prober, rec } = newProber(t, clock);
  const p = podWith({ readinessProbe: { tcpSocket: { port: srv.port }, initialDelaySeconds: 2, periodSeconds: 1, failureThreshold: 3 } });
  prober.update(p, [running], '127.0.0.1');
  t.is(prober.result(running.id, 'readiness'), 'failure');
  await clock.advance(1_900, () => prober.idle());
  t.deepEqual(rec.events, [], 'nothing runs before initialDelaySeconds');
  await clock.advance(1_100, () => prober.idle()); // t = +2 s and +3 s
  t.deepEqual(rec.events, [
    `Warning Unhealthy c: Readiness probe failed: dial tcp 127.0.0.1:${srv.port}: connect: connection refused`,
    `Warning Unhealthy c: Readiness probe failed: dial tcp 127.0.0.1:${srv.port}: connect: connection refused`,
  ]);
  const status = () => computePodStatus({ pod: p, containers: [running], waiting: new Map(), runtime: 'process', hostIP: '127.0.0.1', now: new Date(clock.now()), probes: prober });
  t.false(status().containerStatuses?.[0]?.ready);
  t.is(status().conditions?.find((c) => c.type === 'Ready')?.status, 'False');
  t.deepEqual(rec.changes, []);
  await srv.open();
  await clock.advance(1_000, () => prober.idle());
  t.is(prober.result(running.id, 'readiness'), 'success');
  t.deepEqual(rec.changes, ['uid-1'], 'the change asks for a sync');
  t.true(status().containerStatuses?.[0]?.ready);
  t.is(status().conditions?.find((c) => c.type === 'ContainersReady')?.status, 'True');
  // Three failures in a row make it unready again.
  await srv.close();
  await clock.advance(2_000, () => prober.idle());
  t.is(prober.result(running.id, 'readiness'), 'success');
  await clock.advance(1_000, () => prober.idle());
  t.is(prober.result(running.id, 'readiness'), 'failure');
  t.deepEqual(rec.changes, ['uid-1', 'uid-1']);
});

test('liveness: failureThreshold failures make the container one to kill, with kubelet\'s messages; a new instance starts afresh', async (t) => {
  const server = http.createServer((_req, res) => res.writeHead(500).end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as AddressInfo).port;
  const clock = new ManualClock(STARTED);
  const { prober, rec } = newProber(t, clock);
  const p = podWith({ livenessProbe: { httpGet: { port, path: '/healthz' }, periodSeconds: 1, failureThreshold: 2, terminationGracePeriodSeconds: 7 } });
  prober.update(p, [running], '127.0.0.1');
  t.is(prober.result(running.id, 'liveness'), 'success');
  await clock.advance(500, () => prober.idle());
  t.is(prober.result(running.id, 'liveness'), 'success');
  t.deepEqual(computeProbeKills(p, [running], prober), []);
  await clock.advance(1_000, () => prober.idle());
  t.is(prober.result(running.id, 'liveness'), 'failure');
  t.deepEqual(rec.events, Array(2).fill('Warning Unhealthy c: Liveness probe failed: HTTP probe failed with statuscode: 500'));
  t.deepEqual(rec.changes, ['uid-1']);
  t.deepEqual(computeProbeKills(p, [running], prober), [{ name: 'c', id: running.id, message: 'Container c failed liveness probe, will be restarted', graceSeconds: 7 }]);
  const never = { ...p, spec: { ...p.spec!, restartPolicy: 'Never' } } as PodObject;
  t.is(computeProbeKills(never, [running], prober)[0]?.message, 'Container c failed liveness probe');
  // Held: no more runs for the failed instance.
  await clock.advance(5_000, () => prober.idle());
  t.is(rec.events.length, 2);
  // The instance exited and attempt 1 runs: the old worker goes, the new one starts at success.
  const exited = inst(0, 'exited', { exitCode: 143, finishedAt: new Date(clock.now()) });
  const next = inst(1, 'running', { startedAt: new Date(clock.now()) });
  prober.update(p, [next, exited], '127.0.0.1');
  t.is(prober.result(running.id, 'liveness'), undefined);
  t.is(prober.result(next.id, 'liveness'), 'success');
  t.deepEqual(computeProbeKills(p, [next, exited], prober), []);
});

test('startup gates liveness and readiness; the container is started only once it passed', async (t) => {
  const srv = await listen(t);
  const clock = new ManualClock(STARTED);
  const { prober, rec } = newProber(t, clock);
  const p = podWith({
    startupProbe: { tcpSocket: { port: srv.port }, periodSeconds: 1, failureThreshold: 30 },
    livenessProbe: { tcpSocket: { port: srv.port }, periodSeconds: 1, failureThreshold: 1 },
    readinessProbe: { tcpSocket: { port: srv.port }, periodSeconds: 1 },
  });
  const status = () => computePodStatus({ pod: p, containers: [running], waiting: new Map(), runtime: 'process', hostIP: '127.0.0.1', now: new Date(clock.now()), probes: prober }).containerStatuses?.[0];
  prober.update(p, [running], '127.0.0.1');
  await clock.advance(3_000, () => prober.idle());
  t.is(prober.result(running.id, 'startup'), 'unknown');
  t.is(prober.result(running.id, 'liveness'), undefined, 'liveness does not run (and so cannot kill) before startup passes');
  t.is(prober.result(running.id, 'readiness'), undefined);
  t.deepEqual(computeProbeKills(p, [running], prober), []);
  t.like(status(), { started: false, ready: false });
  t.true(rec.events.every((e) => e.includes('Startup probe failed')));
  await srv.open();
  await clock.advance(1_000, () => prober.idle());
  t.is(prober.result(running.id, 'startup'), 'success');
  t.deepEqual(rec.changes, ['uid-1']);
  t.like(status(), { started: true, ready: false });
  // The sync that follows adds the other probes.
  prober.update(p, [running], '127.0.0.1');
  t.is(prober.result(running.id, 'readiness'), 'failure');
  t.is(prober.result(running.id, 'liveness'), 'success');
  await clock.advance(100, () => prober.idle());
  t.is(prober.result(running.id, 'readiness'), 'success');
  t.like(status(), { started: true, ready: true });
});

test('a startup probe that keeps failing kills the container', async (t) => {
  const srv = await listen(t);
  const clock = new ManualClock(STARTED);
  const { prober } = newProber(t, clock);
  const p = podWith({ startupProbe: { tcpSocket: { port: srv.port }, periodSeconds: 1, failureThreshold: 3 } });
  prober.update(p, [running], '127.0.0.1');
  await clock.advance(2_500, () => prober.idle());
  t.is(prober.result(running.id, 'startup'), 'failure');
  t.deepEqual(computeProbeKills(p, [running], prober).map((k) => k.message), ['Container c failed startup probe, will be restarted']);
});

test('a host other than the pod\'s is never contacted: the probe errors with the field named', async (t) => {
  const clock = new ManualClock(STARTED);
  const { prober, rec } = newProber(t, clock);
  const p = podWith({ readinessProbe: { httpGet: { port: 80, host: '192.0.2.7' }, periodSeconds: 1 } });
  prober.update(p, [running], '198.18.0.4');
  await clock.advance(10, () => prober.idle());
  t.deepEqual(rec.events, ['Warning Unhealthy c: Readiness probe errored: readinessProbe.httpGet.host "192.0.2.7" is not allowed: probes reach only the pod\'s own IP (198.18.0.4)']);
});

test('adoption keeps what the stored status says about the same instance; stopped or deleted pods lose their workers', async (t) => {
  const clock = new ManualClock(STARTED);
  const { prober } = newProber(t, clock);
  const spec = { readinessProbe: { tcpSocket: { port: 1 }, periodSeconds: 10 }, startupProbe: { tcpSocket: { port: 1 }, periodSeconds: 10 } };
  const stored = podWith(spec, { status: { containerStatuses: [{ name: 'c', containerID: `process://${running.id}`, ready: true, started: true, restartCount: 0, image: 'busybox', imageID: '' }] } });
  prober.update(stored, [running], '127.0.0.1');
  t.is(prober.result(running.id, 'startup'), 'success');
  prober.update(stored, [running], '127.0.0.1');
  t.is(prober.result(running.id, 'readiness'), 'success');
  // Another instance id in the stored status: nothing carried.
  const other = inst(1, 'running');
  prober.update(stored, [other], '127.0.0.1');
  t.is(prober.result(other.id, 'startup'), 'unknown');
  t.is(prober.result(running.id, 'readiness'), undefined, 'the old instance\'s workers are gone');
  prober.update({ ...stored, metadata: { ...stored.metadata, deletionTimestamp: new Date(T0).toISOString() } }, [other], '127.0.0.1');
  t.is(prober.result(other.id, 'startup'), undefined);
});
