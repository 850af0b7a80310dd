import test from 'ava';
import type { ProbeKind, ProbeResult, ProbeResults } from '../probes/probe-types.js';
import { initProgress } from './init-containers.js';
import { T0, exited, inst, pod } from './test-fixtures.js';

const withInit = pod({ initContainers: [{ name: 'i1', image: 'busybox' }, { name: 'i2', image: 'busybox' }] });

test('no init containers: initialized from the start', (t) => {
  t.deepEqual(initProgress(pod(), []), { initialized: true, start: [] });
});

test('in order: the first, then each after the previous exited 0, then done', (t) => {
  t.deepEqual(initProgress(withInit, []), { initialized: false, start: [{ name: 'i1' }] });
  t.deepEqual(initProgress(withInit, [inst(0, 'created', {}, 'i1')]), { initialized: false, start: [] });
  t.deepEqual(initProgress(withInit, [inst(0, 'running', {}, 'i1')]), { initialized: false, start: [] });
  t.deepEqual(initProgress(withInit, [exited(0, 0, T0, 'i1')]), { initialized: false, start: [{ name: 'i2' }] });
  t.deepEqual(initProgress(withInit, [exited(0, 0, T0, 'i1'), inst(0, 'running', {}, 'i2')]), { initialized: false, start: [] });
  t.deepEqual(initProgress(withInit, [exited(0, 0, T0, 'i1'), exited(0, 0, T0 + 1_000, 'i2')]), { initialized: true, start: [] });
});

test('a failure: the failed instance; a later success of the same container clears it', (t) => {
  const failed = exited(0, 1, T0, 'i2');
  t.deepEqual(initProgress(withInit, [exited(0, 0, T0, 'i1'), failed]), { initialized: false, start: [], failed: { name: 'i2', instance: failed } });
  t.deepEqual(initProgress(withInit, [exited(0, 0, T0, 'i1'), failed, exited(1, 0, T0 + 5_000, 'i2')]), { initialized: true, start: [] });
  const oom = inst(0, 'exited', { exitCode: 0, reason: 'OOMKilled' }, 'i1');
  t.is(initProgress(withInit, [oom]).failed?.name, 'i1');
});

test('a regular container with an instance means initialized, even when the init instances are gone', (t) => {
  t.deepEqual(initProgress(withInit, [inst(0, 'running')]), { initialized: true, start: [] });
  t.deepEqual(initProgress(withInit, [exited(3, 1, T0)]), { initialized: true, start: [] });
});

// ---- sidecars (restartPolicy: Always) ----

const sidecarPod = (sidecar: Record<string, unknown> = {}) => pod({
  initContainers: [
    { name: 'i1', image: 'busybox' },
    { name: 's1', image: 'busybox', restartPolicy: 'Always', ...sidecar },
    { name: 'i2', image: 'busybox' },
  ],
});

class Verdicts implements ProbeResults {
  constructor(private readonly results: Record<string, ProbeResult> = {}) {}
  result(containerId: string, kind: ProbeKind): ProbeResult | undefined { return this.results[`${containerId}/${kind}`]; }
}

test('a sidecar counts as done once it runs: the next init container starts beside it, and the pod initializes with it running', (t) => {
  const p = sidecarPod();
  const i1 = exited(0, 0, T0, 'i1');
  t.deepEqual(initProgress(p, [i1]), { initialized: false, start: [{ name: 's1' }] });
  t.deepEqual(initProgress(p, [i1, inst(0, 'created', {}, 's1')]), { initialized: false, start: [] }, 'created is not started yet');
  t.deepEqual(initProgress(p, [i1, inst(0, 'running', {}, 's1')]), { initialized: false, start: [{ name: 'i2' }] });
  t.deepEqual(initProgress(p, [i1, inst(0, 'running', {}, 's1'), inst(0, 'running', {}, 'i2')]), { initialized: false, start: [] });
  t.deepEqual(initProgress(p, [i1, inst(0, 'running', {}, 's1'), exited(0, 0, T0 + 2_000, 'i2')]), { initialized: true, start: [] });
});

test('a sidecar with a startup probe is done only once the probe passed', (t) => {
  const p = sidecarPod({ startupProbe: { exec: { command: ['true'] } } });
  const cs = [exited(0, 0, T0, 'i1'), inst(0, 'running', {}, 's1')];
  t.deepEqual(initProgress(p, cs, new Verdicts()), { initialized: false, start: [] });
  t.deepEqual(initProgress(p, cs, new Verdicts({ 'uid-1_s1_0/startup': 'unknown' })), { initialized: false, start: [] });
  t.deepEqual(initProgress(p, cs, new Verdicts({ 'uid-1_s1_0/startup': 'success' })), { initialized: false, start: [{ name: 'i2' }] });
  // Without a prober (a runtime that is not probed) running is enough.
  t.deepEqual(initProgress(p, cs), { initialized: false, start: [{ name: 'i2' }] });
});

test('a sidecar that exits is restarted after its instance, whatever its exit code, before and after initialization', (t) => {
  const p = sidecarPod();
  const crashed = exited(0, 1, T0 + 1_000, 's1');
  t.deepEqual(initProgress(p, [exited(0, 0, T0, 'i1'), crashed]), { initialized: false, start: [{ name: 's1', after: crashed }] }, 'not started: the next waits');
  const done = exited(0, 0, T0 + 3_000, 's1');
  t.deepEqual(initProgress(p, [exited(0, 0, T0, 'i1'), done, inst(0, 'running', {}, 'i2')]), { initialized: false, start: [{ name: 's1', after: done }] },
    'it started once: i2 carries on while s1 restarts');
  t.deepEqual(initProgress(p, [done, inst(0, 'running')]), { initialized: true, start: [{ name: 's1', after: done }] });
  t.deepEqual(initProgress(p, [inst(0, 'running')]), { initialized: true, start: [{ name: 's1' }] }, 'an initialized pod whose sidecar instance is gone starts it again');
  t.deepEqual(initProgress(p, [inst(2, 'running', {}, 's1'), inst(0, 'running')]), { initialized: true, start: [] });
});

test('a failed plain init container after a sidecar: reported, and the sidecar is kept running', (t) => {
  const p = sidecarPod();
  const failed = exited(0, 1, T0 + 2_000, 'i2');
  const s1 = exited(0, 137, T0 + 1_000, 's1');
  t.deepEqual(initProgress(p, [exited(0, 0, T0, 'i1'), s1, failed]), { initialized: false, start: [{ name: 's1', after: s1 }], failed: { name: 'i2', instance: failed } });
});
