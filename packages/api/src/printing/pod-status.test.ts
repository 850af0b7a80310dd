import test from 'ava';
import type { ContainerStatus, Pod } from '../types.js';
import { podSummary } from './pod-status.js';

const now = Date.parse('2024-05-01T12:00:00Z');
const cs = (s: Partial<ContainerStatus>): ContainerStatus => ({ name: 'c', image: 'i', imageID: '', ready: false, restartCount: 0, ...s });
const pod = (status: Pod['status'], extra: Partial<Pod> = {}): Pod => ({ metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] }, ...(status ? { status } : {}), ...extra });

test('a pod without status is Pending', (t) => {
  t.deepEqual(podSummary(pod(undefined), now), { ready: '0/1', status: 'Pending', restarts: '0', restartCount: 0 });
});

test('running and ready', (t) => {
  const s = podSummary(pod({ phase: 'Running', containerStatuses: [cs({ ready: true, state: { running: {} } })] }), now);
  t.is(s.ready, '1/1');
  t.is(s.status, 'Running');
});

test('a waiting reason wins: CrashLoopBackOff with restarts and when the last one was', (t) => {
  const s = podSummary(pod({
    phase: 'Running',
    containerStatuses: [cs({ restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: new Date(now - 90_000).toISOString() } } })],
  }), now);
  t.is(s.status, 'CrashLoopBackOff');
  t.is(s.restarts, '4 (90s ago)');
  t.is(s.restartCount, 4);
});

test('terminated without a reason shows the exit code; Completed stays', (t) => {
  t.is(podSummary(pod({ phase: 'Failed', containerStatuses: [cs({ state: { terminated: { exitCode: 1 } } })] }), now).status, 'ExitCode:1');
  t.is(podSummary(pod({ phase: 'Succeeded', containerStatuses: [cs({ state: { terminated: { exitCode: 0, reason: 'Completed' } } })] }), now).status, 'Completed');
});

test('a pod being deleted is Terminating unless it has finished', (t) => {
  const deleting = { metadata: { name: 'p', deletionTimestamp: new Date(now).toISOString() } };
  t.is(podSummary(pod({ phase: 'Running' }, deleting), now).status, 'Terminating');
  t.is(podSummary(pod({ phase: 'Succeeded' }, deleting), now).status, 'Succeeded');
});

test('init containers: progress and failures', (t) => {
  const spec = { spec: { initContainers: [{ name: 'i1' }, { name: 'i2' }], containers: [{ name: 'c' }] } };
  t.is(podSummary(pod({ phase: 'Pending', initContainerStatuses: [cs({ name: 'i1', state: { terminated: { exitCode: 0 } } }), cs({ name: 'i2', state: { running: {} } })] }, spec), now).status, 'Init:1/2');
  t.is(podSummary(pod({ phase: 'Pending', initContainerStatuses: [cs({ name: 'i1', state: { terminated: { exitCode: 2 } } })] }, spec), now).status, 'Init:ExitCode:2');
});

test('sidecars count in READY as kubectl counts them: one main and one sidecar is 2/2; their restarts add up', (t) => {
  const spec = { spec: { initContainers: [{ name: 'init' }, { name: 'log', restartPolicy: 'Always' }], containers: [{ name: 'c' }] } };
  const initialized = { type: 'Initialized', status: 'True' };
  const done = cs({ name: 'init', state: { terminated: { exitCode: 0, reason: 'Completed' } } });
  const log = (s: Partial<ContainerStatus>) => cs({ name: 'log', started: true, ready: true, state: { running: {} }, ...s });
  const running = podSummary(pod({
    phase: 'Running', conditions: [initialized, { type: 'Ready', status: 'True' }],
    initContainerStatuses: [done, log({ restartCount: 2, lastState: { terminated: { exitCode: 1, finishedAt: new Date(now - 60_000).toISOString() } } })],
    containerStatuses: [cs({ ready: true, restartCount: 1, state: { running: {} } })],
  }, spec), now);
  t.deepEqual(running, { ready: '2/2', status: 'Running', restarts: '3 (60s ago)', restartCount: 3 });
  const unready = podSummary(pod({
    phase: 'Running', conditions: [initialized],
    initContainerStatuses: [done, log({ ready: false })],
    containerStatuses: [cs({ ready: true, state: { running: {} } })],
  }, spec), now);
  t.is(unready.ready, '1/2');
  // Not started yet: still initializing.
  const starting = podSummary(pod({ phase: 'Pending', initContainerStatuses: [done, log({ started: false, ready: false })], containerStatuses: [cs({ state: { waiting: { reason: 'PodInitializing' } } })] }, spec), now);
  t.deepEqual([starting.ready, starting.status], ['0/2', 'Init:1/2']);
});
