import test from 'ava';
import { BackOff } from './backoff.js';
import { computePodActions } from './pod-actions.js';
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
