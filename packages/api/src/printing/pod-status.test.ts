import test from 'ava';
import type { ContainerStatus, Pod } from '../types.js';
import { podSummary } from './pod-status.js';

const now = Date.parse('2024-05-01T12:00:00Z');
const cs = (s: Partial<ContainerStatus>): ContainerStatus => ({ name: 'c', image: 'i', imageID: '', ready: false, restartCount: 0, ...s });
const pod = (status: Pod['status'], extra: Partial<Pod> = {}): Pod => ({ metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] }, status, ...extra });

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
