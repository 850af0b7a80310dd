import test from 'ava';
import type { ContainerInfo } from '../runtimes/runtime.js';
import { canonicalJson, computePodStatus, podPhase, qosClass, type StatusInput } from './pod-status.js';
import type { PodObject } from './pod-util.js';
import { T0, exited, inst, pod } from './test-fixtures.js';

function input(p: PodObject, containers: ContainerInfo[], waiting = new Map<string, { reason: string; message: string }>()): StatusInput {
  return { pod: p, containers, waiting, runtime: 'process', hostIP: '10.0.0.5', podIP: '10.0.0.5', now: new Date(T0 + 5_000) };
}

test('status of a running pod: Running, ready, conditions, IPs, containerID', (t) => {
  const s = computePodStatus(input(pod(), [inst(0, 'running')]));
  t.is(s.phase, 'Running');
  t.is(s.hostIP, '10.0.0.5');
  t.deepEqual(s.podIPs, [{ ip: '10.0.0.5' }]);
  t.is(s.startTime, '2024-05-01T10:00:05Z');
  const cs = s.containerStatuses?.[0];
  t.deepEqual(cs, {
    name: 'c', image: 'busybox', imageID: 'busybox', ready: true, restartCount: 0, started: true,
    state: { running: { startedAt: '2024-05-01T10:00:01Z' } }, lastState: {}, containerID: 'process://uid-1_c_0',
  });
  t.deepEqual(s.conditions?.map((c) => `${c.type}=${c.status}`), ['Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True']);
  t.is(s.qosClass, 'BestEffort');
});

test('status while starting: Pending, ContainerCreating, not ready with the reason', (t) => {
  const s = computePodStatus(input(pod(), []));
  t.is(s.phase, 'Pending');
  t.deepEqual(s.containerStatuses?.[0]?.state, { waiting: { reason: 'ContainerCreating' } });
  const ready = s.conditions?.find((c) => c.type === 'Ready');
  t.is(ready?.status, 'False');
  t.is(ready?.reason, 'ContainersNotReady');
  t.is(ready?.message, 'containers with unready status: [c]');
});

test('status in a crash loop: waiting CrashLoopBackOff, lastState terminated, restartCount = attempt, phase Running', (t) => {
  const waiting = new Map([['c', { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container=c pod=web_default(uid-1)' }]]);
  const s = computePodStatus(input(pod(), [exited(2, 1, T0 + 3_000), exited(1, 1, T0 + 1_000)], waiting));
  const cs = s.containerStatuses?.[0];
  t.is(s.phase, 'Running');
  t.is(cs?.restartCount, 2);
  t.deepEqual(cs?.state, { waiting: waiting.get('c') });
  t.is(cs?.lastState?.terminated?.exitCode, 1);
  t.is(cs?.lastState?.terminated?.reason, 'Error');
  t.is(cs?.lastState?.terminated?.containerID, 'process://uid-1_c_2');
});

test('restartPolicy Never: a failure ends Failed with the exit code; success Succeeded; terminal phases stick', (t) => {
  const failed = computePodStatus(input(pod({ restartPolicy: 'Never' }), [exited(0, 1, T0 + 1_000)]));
  t.is(failed.phase, 'Failed');
  t.is(failed.containerStatuses?.[0]?.state?.terminated?.exitCode, 1);
  t.is(failed.conditions?.find((c) => c.type === 'Ready')?.reason, 'PodCompleted');
  const ok = computePodStatus(input(pod({ restartPolicy: 'Never' }), [exited(0, 0, T0 + 1_000)]));
  t.is(ok.phase, 'Succeeded');
  t.is(ok.containerStatuses?.[0]?.state?.terminated?.reason, 'Completed');
  const again = computePodStatus(input(pod({ restartPolicy: 'Always' }, { status: { phase: 'Failed' } }), [inst(1, 'running')]));
  t.is(again.phase, 'Failed');
});

test('a StartError instance shows its message', (t) => {
  const s = computePodStatus(input(pod({ restartPolicy: 'Never' }), [inst(0, 'exited', {
    exitCode: 128, reason: 'StartError', message: 'failed to start container "c": exec: "x": executable file not found in $PATH', finishedAt: new Date(T0),
  })]));
  t.is(s.phase, 'Failed');
  t.is(s.containerStatuses?.[0]?.state?.terminated?.reason, 'StartError');
  t.regex(s.containerStatuses?.[0]?.state?.terminated?.message ?? '', /executable file not found/);
});

test('phase rules of kubelet getPhase for several containers', (t) => {
  const two = pod({ restartPolicy: 'OnFailure', containers: [{ name: 'a' }, { name: 'b' }] });
  t.is(podPhase(two, [{ name: 'a', image: '', imageID: '', ready: true, restartCount: 0, state: { running: {} } }, { name: 'b', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0 } } }], false), 'Running');
  t.is(podPhase(two, [{ name: 'a', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0 } } }, { name: 'b', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0 } } }], false), 'Succeeded');
  t.is(podPhase(two, [{ name: 'a', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 143 } } }], true), 'Failed', 'a deleted pod whose container was killed');
});

test('an unchanged pod yields an identical status (no write); transition times are kept', (t) => {
  const first = computePodStatus(input(pod(), [inst(0, 'running')]));
  const later: StatusInput = { ...input(pod({}, { status: first }), [inst(0, 'running')]), now: new Date(T0 + 600_000) };
  const second = computePodStatus(later);
  t.is(canonicalJson(second), canonicalJson(first));
});

test('QoS classes', (t) => {
  t.is(qosClass([{ name: 'a' }]), 'BestEffort');
  t.is(qosClass([{ name: 'a', resources: { requests: { cpu: '100m' } } }]), 'Burstable');
  t.is(qosClass([{ name: 'a', resources: { limits: { cpu: '1', memory: '1Gi' } } }]), 'Guaranteed');
  t.is(qosClass([{ name: 'a', resources: { requests: { cpu: '1000m', memory: '1Gi' }, limits: { cpu: '1', memory: '1024Mi' } } }]), 'Guaranteed');
  t.is(qosClass([{ name: 'a', resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } }]), 'Burstable');
});

test('probes: readiness decides ready and the Ready conditions, startup decides started; without a prober every running container is both', (t) => {
  const p = pod({ containers: [{ name: 'c', image: 'busybox', readinessProbe: { exec: { command: ['true'] } }, startupProbe: { exec: { command: ['true'] } } }] });
  const results = (startup?: 'success' | 'unknown', readiness?: 'success' | 'failure') => ({
    result: (_id: string, kind: string) => (kind === 'startup' ? startup : kind === 'readiness' ? readiness : undefined),
  });
  const of = (probes?: ReturnType<typeof results>) => computePodStatus({ ...input(p, [inst(0, 'running')]), ...(probes ? { probes } : {}) });
  const conds = (s: ReturnType<typeof of>) => s.conditions?.filter((c) => c.type === 'Ready' || c.type === 'ContainersReady').map((c) => `${c.type}=${c.status}`);
  t.like(of().containerStatuses?.[0], { started: true, ready: true });
  t.like(of(results()).containerStatuses?.[0], { started: false, ready: false });
  t.like(of(results('unknown', 'success')).containerStatuses?.[0], { started: false, ready: false });
  t.like(of(results('success', 'failure')).containerStatuses?.[0], { started: true, ready: false });
  t.is(of(results('success', 'failure')).phase, 'Running');
  t.deepEqual(conds(of(results('success', 'failure'))), ['Ready=False', 'ContainersReady=False']);
  t.like(of(results('success', 'success')).containerStatuses?.[0], { started: true, ready: true });
  t.deepEqual(conds(of(results('success', 'success'))), ['Ready=True', 'ContainersReady=True']);
});

const initPod = (spec: Record<string, unknown> = {}, extra: Partial<PodObject> = {}) =>
  pod({ initContainers: [{ name: 'i1', image: 'alpine' }, { name: 'i2', image: 'alpine' }], ...spec }, extra);
const initialized = (s: ReturnType<typeof computePodStatus>) => s.conditions?.find((c) => c.type === 'Initialized');

test('while an init container runs: Pending, its status running, the rest waiting PodInitializing, Initialized False naming the incomplete ones', (t) => {
  const s = computePodStatus(input(initPod(), [inst(0, 'running', {}, 'i1')]));
  t.is(s.phase, 'Pending');
  t.like(s.initContainerStatuses?.[0], { name: 'i1', image: 'alpine', ready: false, started: true, restartCount: 0, containerID: 'process://uid-1_i1_0' });
  t.truthy(s.initContainerStatuses?.[0]?.state?.running);
  t.deepEqual(s.initContainerStatuses?.[1]?.state, { waiting: { reason: 'PodInitializing' } });
  t.deepEqual(s.containerStatuses?.[0]?.state, { waiting: { reason: 'PodInitializing' } });
  t.like(initialized(s), { status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [i1 i2]' });
  const half = computePodStatus(input(initPod(), [exited(0, 0, T0 + 1_000, 'i1'), inst(0, 'created', {}, 'i2')]));
  t.is(half.phase, 'Pending');
  t.like(half.initContainerStatuses?.[0], { ready: true, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
  t.deepEqual(half.initContainerStatuses?.[1]?.state, { waiting: { reason: 'ContainerCreating' } });
  t.is(initialized(half)?.message, 'containers with incomplete status: [i2]');
});

test('all init containers completed: Initialized True, their statuses terminated Completed and ready, the pod Running', (t) => {
  const s = computePodStatus(input(initPod(), [exited(0, 0, T0 + 1_000, 'i1'), exited(0, 0, T0 + 2_000, 'i2'), inst(0, 'running')]));
  t.is(s.phase, 'Running');
  t.deepEqual(s.initContainerStatuses?.map((c) => [c.name, c.ready, c.state?.terminated?.exitCode, c.state?.terminated?.reason]), [['i1', true, 0, 'Completed'], ['i2', true, 0, 'Completed']]);
  t.deepEqual(initialized(s), { type: 'Initialized', status: 'True', lastTransitionTime: '2024-05-01T10:00:05Z' });
  t.is(s.containerStatuses?.[0]?.ready, true);
});

test('a failing init container under Always: waiting CrashLoopBackOff, lastState Error, restartCount, the pod Pending', (t) => {
  const waiting = new Map([['i1', { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=i1 pod=web_default(uid-1)' }]]);
  const s = computePodStatus(input(initPod({ restartPolicy: 'Always' }), [exited(1, 1, T0 + 3_000, 'i1'), exited(0, 1, T0 + 1_000, 'i1')], waiting));
  t.is(s.phase, 'Pending');
  const ics = s.initContainerStatuses?.[0];
  t.deepEqual(ics?.state, { waiting: waiting.get('i1') });
  t.like(ics?.lastState?.terminated, { exitCode: 1, reason: 'Error' });
  t.is(ics?.restartCount, 1);
  t.false(ics?.ready);
  t.deepEqual(s.containerStatuses?.[0]?.state, { waiting: { reason: 'PodInitializing' } });
  t.is(initialized(s)?.status, 'False');
});

test('a failed init container under Never: the pod Failed, the regular containers never ran', (t) => {
  const s = computePodStatus(input(initPod({ restartPolicy: 'Never' }), [exited(0, 2, T0 + 1_000, 'i1')]));
  t.is(s.phase, 'Failed');
  t.like(s.initContainerStatuses?.[0]?.state?.terminated, { exitCode: 2, reason: 'Error' });
  t.deepEqual(s.containerStatuses?.[0]?.state, { waiting: { reason: 'PodInitializing' } });
  t.like(initialized(s), { status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [i1 i2]' });
  t.is(s.conditions?.find((c) => c.type === 'Ready')?.reason, 'PodCompleted');
});

test('an initialized pod whose init instances are gone keeps their stored terminated statuses', (t) => {
  const first = computePodStatus(input(initPod(), [exited(0, 0, T0 + 1_000, 'i1'), exited(0, 0, T0 + 2_000, 'i2'), inst(0, 'running')]));
  const later = computePodStatus(input(initPod({}, { status: first }), [inst(0, 'running')]));
  t.deepEqual(later.initContainerStatuses, first.initContainerStatuses);
  t.is(initialized(later)?.status, 'True');
  t.is(later.phase, 'Running');
  // Nothing stored either: they completed all the same (the regular containers ran).
  const bare = computePodStatus(input(initPod(), [inst(0, 'running')]));
  t.deepEqual(bare.initContainerStatuses?.map((c) => [c.ready, c.state?.terminated?.reason]), [[true, 'Completed'], [true, 'Completed']]);
  t.is(initialized(bare)?.status, 'True');
});

test('a pod without init containers has no initContainerStatuses and its containers wait in ContainerCreating', (t) => {
  const s = computePodStatus(input(pod(), []));
  t.false('initContainerStatuses' in s);
  t.deepEqual(s.containerStatuses?.[0]?.state, { waiting: { reason: 'ContainerCreating' } });
});

// ---- sidecars (init containers with restartPolicy: Always) ----

const sidecarPod = (spec: Record<string, unknown> = {}, sidecar: Record<string, unknown> = {}) => pod({
  initContainers: [{ name: 'i1', image: 'alpine' }, { name: 'log', image: 'alpine', restartPolicy: 'Always', ...sidecar }],
  ...spec,
});
const cond = (s: ReturnType<typeof computePodStatus>, type: string) => s.conditions?.find((c) => c.type === type);

test('a running sidecar: started, ready, in initContainerStatuses; Initialized True; Ready counts it; the pod Running', (t) => {
  const s = computePodStatus(input(sidecarPod(), [exited(0, 0, T0, 'i1'), inst(0, 'running', {}, 'log'), inst(0, 'running')]));
  t.is(s.phase, 'Running');
  t.like(s.initContainerStatuses?.[1], { name: 'log', started: true, ready: true, restartCount: 0, state: { running: { startedAt: '2024-05-01T10:00:01Z' } } });
  t.like(s.initContainerStatuses?.[0], { name: 'i1', ready: true });
  t.is(cond(s, 'Initialized')?.status, 'True');
  t.is(cond(s, 'Ready')?.status, 'True');
});

test('while the sidecar starts: Pending, Initialized False naming it, the regular container PodInitializing', (t) => {
  const p = sidecarPod({}, { startupProbe: { exec: { command: ['true'] } } });
  const s = computePodStatus({ ...input(p, [exited(0, 0, T0, 'i1'), inst(0, 'running', {}, 'log')]), probes: { result: () => 'unknown' } });
  t.is(s.phase, 'Pending');
  t.like(s.initContainerStatuses?.[1], { started: false, ready: false });
  t.like(cond(s, 'Initialized'), { status: 'False', message: 'containers with incomplete status: [log]' });
  t.deepEqual(s.containerStatuses?.[0]?.state, { waiting: { reason: 'PodInitializing' } });
  const started = computePodStatus({ ...input(p, [exited(0, 0, T0, 'i1'), inst(0, 'running', {}, 'log')]), probes: { result: () => 'success' } });
  t.is(cond(started, 'Initialized')?.status, 'True');
});

test('a sidecar failing readiness keeps the pod out of Ready, named first; a crashing sidecar restarts without touching the phase', (t) => {
  const p = sidecarPod({}, { readinessProbe: { exec: { command: ['true'] } } });
  const cs = [exited(0, 0, T0, 'i1'), inst(0, 'running', {}, 'log'), inst(0, 'running')];
  const s = computePodStatus({ ...input(p, cs), probes: { result: (_id: string, kind: string) => (kind === 'readiness' ? 'failure' : undefined) } });
  t.is(s.phase, 'Running');
  t.like(s.initContainerStatuses?.[1], { started: true, ready: false });
  t.like(cond(s, 'Ready'), { status: 'False', message: 'containers with unready status: [log]' });
  const waiting = new Map([['log', { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=log pod=web_default(uid-1)' }]]);
  const crash = computePodStatus(input(sidecarPod({ restartPolicy: 'Never' }), [exited(0, 0, T0, 'i1'), exited(3, 1, T0 + 2_000, 'log'), inst(0, 'running')], waiting));
  t.is(crash.phase, 'Running');
  t.like(crash.initContainerStatuses?.[1], { restartCount: 3, ready: false, state: { waiting: waiting.get('log') }, lastState: { terminated: { exitCode: 1 } } });
  t.is(cond(crash, 'Initialized')?.status, 'True', 'the pod was initialized: a restarting sidecar does not undo it');
  t.like(cond(crash, 'Ready'), { status: 'False', message: 'containers with unready status: [log]' });
});

test('Job-style completion: the main container done and the sidecar stopped: Succeeded or Failed from the main container alone', (t) => {
  for (const [policy, code, phase] of [['Never', 0, 'Succeeded'], ['Never', 1, 'Failed'], ['OnFailure', 0, 'Succeeded']] as const) {
    const s = computePodStatus(input(sidecarPod({ restartPolicy: policy }), [exited(0, 0, T0, 'i1'), exited(0, 143, T0 + 3_000, 'log'), exited(0, code, T0 + 2_000)]));
    t.is(s.phase, phase, `${policy}, exit ${code}`);
    t.like(s.initContainerStatuses?.[1], { ready: false, state: { terminated: { exitCode: 143 } } });
  }
  // Still running beside a finished main container (before it is stopped): Running, as kubelet.
  const s = computePodStatus(input(sidecarPod({ restartPolicy: 'Never' }), [exited(0, 0, T0, 'i1'), inst(0, 'running', {}, 'log'), exited(0, 0, T0 + 2_000)]));
  t.is(s.phase, 'Running');
  // A stale back-off reason does not turn a stopped sidecar of a finished pod into Waiting.
  const stale = new Map([['log', { reason: 'CrashLoopBackOff', message: 'x' }]]);
  const done = computePodStatus(input(sidecarPod({ restartPolicy: 'Never' }), [exited(0, 0, T0, 'i1'), exited(1, 143, T0 + 3_000, 'log'), exited(0, 0, T0 + 2_000)], stale));
  t.truthy(done.initContainerStatuses?.[1]?.state?.terminated);
  t.is(done.phase, 'Succeeded');
});

test('deletion: the sidecar stopped after the main container does not make the pod fail', (t) => {
  const deleting = { metadata: { name: 'web', namespace: 'default', uid: 'uid-1', deletionTimestamp: '2024-05-01T10:00:00Z' } };
  const s = computePodStatus(input(sidecarPod({}, {}), [exited(0, 0, T0, 'i1'), exited(0, 137, T0 + 3_000, 'log'), exited(0, 0, T0 + 2_000)]));
  t.is(s.phase, 'Running', 'restartPolicy Always, not deleted: restarting');
  const d = computePodStatus(input(pod({ initContainers: [{ name: 'i1' }, { name: 'log', restartPolicy: 'Always' }] }, deleting), [exited(0, 0, T0, 'i1'), exited(0, 137, T0 + 3_000, 'log'), exited(0, 0, T0 + 2_000)]));
  t.is(d.phase, 'Succeeded');
});

test('canonicalJson: JSON.stringify with sorted keys, whatever order the keys came in', (t) => {
  const a = { b: [1, { z: 1, y: undefined, x: 'é"\n' }, undefined, null], a: { d: new Date(0), c: true }, u: undefined };
  const b = { a: { c: true, d: new Date(0) }, b: [1, { x: 'é"\n', z: 1 }, undefined, null] };
  t.is(canonicalJson(a), '{"a":{"c":true,"d":"1970-01-01T00:00:00.000Z"},"b":[1,{"x":"é\\"\\n","z":1},null,null]}');
  t.is(canonicalJson(b), canonicalJson(a));
  t.is(canonicalJson({ a: 1 }) === canonicalJson({ a: '1' }), false);
  // Anything without a sorted form comes out as JSON.stringify gives it.
  for (const v of [null, 0, 'x', [1, 'a', null], { k: [] }, {}]) t.is(canonicalJson(v), JSON.stringify(v));
});
