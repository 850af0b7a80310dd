import test from 'ava';
import { BackOff } from './backoff.js';
import { computePodActions, computeProbeKills } from './pod-actions.js';
import { T0, exited, inst, pod } from './test-fixtures.js';

test('a new pod: start every container at attempt 0', (t) => {
  const p = pod({ containers: [{ name: 'a' }, { name: 'b' }] });
  const a = computePodActions(p, [], new BackOff(10_000, 300_000, () => T0));
  t.deepEqual(a.start, [{ name: 'a', attempt: 0 }, { name: 'b', attempt: 0 }]);
});

test('running and starting containers are left alone (adoption)', (t) => {
  const a = computePodActions(pod(), [inst(3, 'running')], new BackOff(10_000, 300_000, () => T0));
  t.deepEqual(a.start, []);
  t.is(a.backingOff.size, 0);
});

test('crash loop: immediate first restart, then CrashLoopBackOff with the Kubernetes message and a requeue', (t) => {
  let now = T0;
  const b = new BackOff(10_000, 300_000, () => now);
  const first = computePodActions(pod(), [exited(0, 1, T0)], b);
  t.deepEqual(first.start, [{ name: 'c', attempt: 1 }]);
  now = T0 + 2_000;
  const second = computePodActions(pod(), [exited(1, 1, T0 + 1_000), exited(0, 1, T0)], b);
  t.deepEqual(second.start, []);
  t.deepEqual(second.backingOff.get('c'), { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=c pod=web_default(uid-1)' });
  t.is(second.requeueAfterMs, 9_000);
  now = T0 + 11_000;
  const third = computePodActions(pod(), [exited(1, 1, T0 + 1_000)], b);
  t.deepEqual(third.start, [{ name: 'c', attempt: 2 }]);
});

test('restart policies: Never never, OnFailure only after a failure, Always always', (t) => {
  const b = (): BackOff => new BackOff(10_000, 300_000, () => T0 + 60_000);
  t.deepEqual(computePodActions(pod({ restartPolicy: 'Never' }), [exited(0, 1, T0)], b()).start, []);
  t.deepEqual(computePodActions(pod({ restartPolicy: 'OnFailure' }), [exited(0, 0, T0)], b()).start, []);
  t.deepEqual(computePodActions(pod({ restartPolicy: 'OnFailure' }), [exited(0, 2, T0)], b()).start, [{ name: 'c', attempt: 1 }]);
  t.deepEqual(computePodActions(pod({ restartPolicy: 'Always' }), [exited(0, 0, T0)], b()).start, [{ name: 'c', attempt: 1 }]);
});

test('finished or terminating pods start nothing', (t) => {
  const b = new BackOff(10_000, 300_000, () => T0);
  t.deepEqual(computePodActions(pod({}, { status: { phase: 'Failed' } }), [exited(0, 1, T0)], b).start, []);
  t.deepEqual(computePodActions(pod({}, { metadata: { name: 'web', namespace: 'default', uid: 'uid-1', deletionTimestamp: '2024-05-01T10:00:00Z' } }), [], b).start, []);
});

const initPod = (spec: Record<string, unknown> = {}) => pod({ initContainers: [{ name: 'i1', image: 'busybox' }, { name: 'i2', image: 'busybox' }], ...spec });

test('init containers: one at a time in order, none while one runs, the regular ones only after all succeeded', (t) => {
  const b = new BackOff(10_000, 300_000, () => T0 + 60_000);
  t.deepEqual(computePodActions(initPod(), [], b).start, [{ name: 'i1', attempt: 0 }]);
  t.deepEqual(computePodActions(initPod(), [inst(0, 'running', {}, 'i1')], b).start, []);
  t.deepEqual(computePodActions(initPod(), [inst(0, 'created', {}, 'i1')], b).start, []);
  t.deepEqual(computePodActions(initPod(), [exited(0, 0, T0, 'i1')], b).start, [{ name: 'i2', attempt: 0 }]);
  t.deepEqual(computePodActions(initPod(), [exited(0, 0, T0, 'i1'), inst(0, 'running', {}, 'i2')], b).start, []);
  t.deepEqual(computePodActions(initPod(), [exited(0, 0, T0, 'i1'), exited(0, 0, T0, 'i2')], b).start, [{ name: 'c', attempt: 0 }]);
  // Under Always a completed init container is not restarted (it runs to completion once).
  t.deepEqual(computePodActions(initPod({ restartPolicy: 'Always' }), [exited(0, 0, T0, 'i1'), exited(0, 0, T0, 'i2'), inst(0, 'running')], b).start, []);
});

for (const policy of ['Always', 'OnFailure'] as const) {
  test(`a failed init container under ${policy}: restarted with the crash-loop back-off; nothing after it starts`, (t) => {
    let now = T0;
    const b = new BackOff(10_000, 300_000, () => now);
    const p = initPod({ restartPolicy: policy });
    const first = computePodActions(p, [exited(0, 0, T0 - 5_000, 'i1'), exited(0, 1, T0, 'i2')], b);
    t.deepEqual(first.start, [{ name: 'i2', attempt: 1 }]);
    now = T0 + 2_000;
    const second = computePodActions(p, [exited(0, 0, T0 - 5_000, 'i1'), exited(1, 1, T0 + 1_000, 'i2'), exited(0, 1, T0, 'i2')], b);
    t.deepEqual(second.start, []);
    t.deepEqual(second.backingOff.get('i2'), { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=i2 pod=web_default(uid-1)' });
    t.is(second.requeueAfterMs, 9_000);
    now = T0 + 11_000;
    t.deepEqual(computePodActions(p, [exited(0, 0, T0 - 5_000, 'i1'), exited(1, 1, T0 + 1_000, 'i2')], b).start, [{ name: 'i2', attempt: 2 }]);
  });
}

test('a failed init container under Never: nothing more starts (the pod fails)', (t) => {
  const a = computePodActions(initPod({ restartPolicy: 'Never' }), [exited(0, 1, T0, 'i1')], new BackOff(10_000, 300_000, () => T0 + 60_000));
  t.deepEqual(a.start, []);
  t.is(a.backingOff.size, 0);
  t.is(a.requeueAfterMs, undefined);
});

test('an initialized pod never runs its init containers again, even with their instances gone', (t) => {
  const b = new BackOff(10_000, 300_000, () => T0 + 60_000);
  t.deepEqual(computePodActions(initPod(), [inst(0, 'running')], b).start, [], 'adopted after an agent restart');
  t.deepEqual(computePodActions(initPod(), [exited(0, 1, T0)], b).start, [{ name: 'c', attempt: 1 }], 'a crashing regular container restarts alone');
});

// ---- sidecars (init containers with restartPolicy: Always) ----

const sidecarPod = (spec: Record<string, unknown> = {}, sidecar: Record<string, unknown> = {}) => pod({
  initContainers: [
    { name: 'i1', image: 'busybox' },
    { name: 's1', image: 'busybox', restartPolicy: 'Always', ...sidecar },
    { name: 's2', image: 'busybox', restartPolicy: 'Always' },
  ],
  containers: [{ name: 'c', image: 'busybox' }],
  ...spec,
});

test('sidecars start in order, each once the one before runs; the regular containers once every sidecar started', (t) => {
  const b = new BackOff(10_000, 300_000, () => T0 + 60_000);
  const p = sidecarPod();
  const i1 = exited(0, 0, T0, 'i1');
  t.deepEqual(computePodActions(p, [], b).start, [{ name: 'i1', attempt: 0 }]);
  t.deepEqual(computePodActions(p, [i1], b).start, [{ name: 's1', attempt: 0 }]);
  t.deepEqual(computePodActions(p, [i1, inst(0, 'created', {}, 's1')], b).start, []);
  t.deepEqual(computePodActions(p, [i1, inst(0, 'running', {}, 's1')], b).start, [{ name: 's2', attempt: 0 }]);
  const all = [i1, inst(0, 'running', {}, 's1'), inst(0, 'running', {}, 's2')];
  t.deepEqual(computePodActions(p, all, b).start, [{ name: 'c', attempt: 0 }]);
  t.deepEqual(computePodActions(p, [...all, inst(0, 'running')], b), { start: [], backingOff: new Map(), stopPod: false });
});

test('a sidecar with a startup probe holds the next container until the probe passed', (t) => {
  const b = new BackOff(10_000, 300_000, () => T0 + 60_000);
  const p = sidecarPod({}, { startupProbe: { exec: { command: ['true'] } } });
  const cs = [exited(0, 0, T0, 'i1'), inst(0, 'running', {}, 's1')];
  const verdict = (r: 'success' | 'unknown') => ({ result: (id: string, kind: string) => (id === 'uid-1_s1_0' && kind === 'startup' ? r : undefined) });
  t.deepEqual(computePodActions(p, cs, b, verdict('unknown')).start, []);
  t.deepEqual(computePodActions(p, cs, b, verdict('success')).start, [{ name: 's2', attempt: 0 }]);
});

for (const policy of ['Always', 'OnFailure', 'Never'] as const) {
  test(`a sidecar that exits is restarted with the crash-loop back-off under restartPolicy ${policy}, exit 0 too`, (t) => {
    let now = T0;
    const b = new BackOff(10_000, 300_000, () => now);
    const p = sidecarPod({ restartPolicy: policy });
    const base = [exited(0, 0, T0 - 10_000, 'i1'), inst(0, 'running', {}, 's2'), inst(0, 'running')];
    const first = computePodActions(p, [...base, exited(0, 0, T0, 's1')], b);
    t.deepEqual(first.start, [{ name: 's1', attempt: 1 }]);
    t.false(first.stopPod);
    now = T0 + 2_000;
    const second = computePodActions(p, [...base, exited(1, 1, T0 + 1_000, 's1')], b);
    t.deepEqual(second.start, []);
    t.deepEqual(second.backingOff.get('s1'), { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=s1 pod=web_default(uid-1)' });
    t.is(second.requeueAfterMs, 9_000);
    now = T0 + 11_000;
    t.deepEqual(computePodActions(p, [...base, exited(1, 1, T0 + 1_000, 's1')], b).start, [{ name: 's1', attempt: 2 }]);
  });
}

test('a sidecar that exits during initialization restarts; the next init container waits only if it had not started', (t) => {
  const b = new BackOff(10_000, 300_000, () => T0 + 60_000);
  const p = sidecarPod();
  const i1 = exited(0, 0, T0, 'i1');
  t.deepEqual(computePodActions(p, [i1, exited(0, 1, T0 + 1_000, 's1')], b).start, [{ name: 's1', attempt: 1 }]);
  t.deepEqual(computePodActions(p, [i1, exited(0, 1, T0 + 1_000, 's1'), inst(0, 'running', {}, 's2')], b).start, [{ name: 's1', attempt: 1 }, { name: 'c', attempt: 0 }]);
});

test('Job-style completion: the regular containers finished for good, so the sidecars are stopped and nothing restarts', (t) => {
  const b = new BackOff(10_000, 300_000, () => T0 + 60_000);
  const sidecars = [exited(0, 0, T0 - 10_000, 'i1'), inst(0, 'running', {}, 's1'), exited(0, 137, T0, 's2')];
  for (const [policy, code] of [['Never', 0], ['Never', 1], ['OnFailure', 0]] as const) {
    const a = computePodActions(sidecarPod({ restartPolicy: policy }), [...sidecars, exited(0, code, T0)], b);
    t.deepEqual(a, { start: [], backingOff: new Map(), stopPod: true }, `${policy}, exit ${code}`);
  }
  // OnFailure after a failure: the regular container restarts, the sidecars stay.
  const retry = computePodActions(sidecarPod({ restartPolicy: 'OnFailure' }), [...sidecars, exited(0, 1, T0)], b);
  t.false(retry.stopPod);
  t.deepEqual(retry.start, [{ name: 's2', attempt: 1 }, { name: 'c', attempt: 1 }]);
  // Always: never finished.
  t.false(computePodActions(sidecarPod({ restartPolicy: 'Always' }), [...sidecars, exited(0, 0, T0)], b).stopPod);
  // Two regular containers: one still running keeps the pod.
  const two = sidecarPod({ restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }, { name: 'd', image: 'busybox' }] });
  t.false(computePodActions(two, [...sidecars, exited(0, 0, T0), inst(0, 'running', {}, 'd')], b).stopPod);
});

test('a failed plain init container under Never starts nothing, not even an exited sidecar', (t) => {
  const p = pod({ restartPolicy: 'Never', initContainers: [{ name: 's1', image: 'busybox', restartPolicy: 'Always' }, { name: 'i1', image: 'busybox' }] });
  const a = computePodActions(p, [exited(0, 1, T0, 's1'), exited(0, 2, T0 + 1_000, 'i1')], new BackOff(10_000, 300_000, () => T0 + 60_000));
  t.deepEqual(a.start, []);
});

test('a sidecar failing its liveness probe is killed with kubelet\'s init-container message', (t) => {
  const p = sidecarPod({}, { livenessProbe: { exec: { command: ['false'] }, terminationGracePeriodSeconds: 3 } });
  const probes = { result: (id: string, kind: string) => (id === 'uid-1_s1_0' && kind === 'liveness' ? 'failure' as const : undefined) };
  const kills = computeProbeKills(p, [exited(0, 0, T0, 'i1'), inst(0, 'running', {}, 's1'), inst(0, 'running')], probes);
  t.deepEqual(kills, [{ name: 's1', id: 'uid-1_s1_0', message: 'Init container s1 failed liveness probe', graceSeconds: 3 }]);
});
