import test from 'ava';
import type { Job, JobSpec, JobStatus, Pod } from '@tugboat/api';
import { countUncounted, ensureCondition, JOB_TRACKING_FINALIZER, pastBackoffLimitOnFailure, planTracking, recordedFinish } from './job-tracking.js';
import { completionsReached, jobPodFromTemplate, wantActive, type JobObject } from './job.js';

const job = (spec: JobSpec, status: JobStatus = {}): Job => ({ metadata: { name: 'j', namespace: 'ns', uid: 'job-uid' }, spec, status });
const pod = (uid: string, phase: string, opts: { finalizer?: boolean; index?: number; deleting?: boolean } = {}): Pod => ({
  metadata: {
    name: uid, namespace: 'ns', uid,
    ...(opts.finalizer !== false ? { finalizers: [JOB_TRACKING_FINALIZER] } : {}),
    ...(opts.index !== undefined ? { annotations: { 'batch.kubernetes.io/job-completion-index': String(opts.index) } } : {}),
    ...(opts.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}),
  },
  spec: { containers: [] },
  status: { phase },
});
const NONE = new Set<string>();
const spec = { completions: 3, parallelism: 2, template: { spec: { containers: [], restartPolicy: 'Never' } } };

test('step 1: finished pods are listed as uncounted and only then lose their finalizer', (t) => {
  const plan = planTracking({ job: job(spec), pods: [pod('a', 'Succeeded'), pod('b', 'Failed'), pod('c', 'Running')], expectedRemoved: NONE, failing: false });
  t.true(plan.flush);
  t.deepEqual(plan.status.uncountedTerminatedPods, { succeeded: ['a'], failed: ['b'] });
  t.is(plan.status.succeeded, undefined, 'counters move only in step 3');
  t.deepEqual(plan.removeFinalizer.map((p) => p.metadata?.uid), ['a', 'b'], 'running pods keep theirs');
});

test('killed after step 1: listed pods are not listed again, only their finalizers go', (t) => {
  const j = job(spec, { uncountedTerminatedPods: { succeeded: ['a'] } });
  const plan = planTracking({ job: j, pods: [pod('a', 'Succeeded')], expectedRemoved: NONE, failing: false });
  t.false(plan.flush);
  t.deepEqual(plan.status.uncountedTerminatedPods, { succeeded: ['a'] });
  t.deepEqual(plan.removeFinalizer.map((p) => p.metadata?.uid), ['a']);
});

test('killed after step 2: a listed pod without finalizer (or gone) is counted once', (t) => {
  const j = job(spec, { succeeded: 1, uncountedTerminatedPods: { succeeded: ['a'], failed: ['gone'] } });
  const plan = planTracking({ job: j, pods: [pod('a', 'Succeeded', { finalizer: false })], expectedRemoved: NONE, failing: false });
  t.true(plan.flush);
  t.is(plan.status.succeeded, 2);
  t.is(plan.status.failed, 1);
  t.deepEqual(plan.status.uncountedTerminatedPods, {});
  t.deepEqual(plan.removeFinalizer, []);
});

test('after step 3: a pod without finalizer is never counted again', (t) => {
  const j = job(spec, { succeeded: 2, uncountedTerminatedPods: {} });
  const plan = planTracking({ job: j, pods: [pod('a', 'Succeeded', { finalizer: false })], expectedRemoved: NONE, failing: false });
  t.false(plan.flush);
  t.is(plan.status.succeeded, 2);
});

test('a removal in flight (stale cache still shows the finalizer) is not counted twice', (t) => {
  const j = job(spec, { succeeded: 1, uncountedTerminatedPods: {} });
  const plan = planTracking({ job: j, pods: [pod('a', 'Succeeded')], expectedRemoved: new Set(['a']), failing: false });
  t.false(plan.flush);
  t.deepEqual(plan.removeFinalizer, []);
});

test('Indexed: a succeeded index is recorded at once and counts once, whatever number of pods ran it', (t) => {
  const indexed = { ...spec, completionMode: 'Indexed', completions: 5 };
  const j = job(indexed, { completedIndexes: '0-1', succeeded: 2 });
  const pods = [pod('a', 'Succeeded', { index: 1 }), pod('b', 'Succeeded', { index: 3 }), pod('c', 'Succeeded', { index: 3 }), pod('d', 'Succeeded', { index: 7 })];
  const plan = planTracking({ job: j, pods, expectedRemoved: NONE, failing: false });
  t.is(plan.status.completedIndexes, '0-1,3');
  t.is(plan.status.succeeded, 3);
  t.deepEqual(plan.status.uncountedTerminatedPods, {}, 'indexes need no uids');
  t.is(plan.removeFinalizer.length, 4);
});

test('a failing Job counts its unfinished pods as failed; deleted pods count as failed by default', (t) => {
  const plan = planTracking({ job: job(spec), pods: [pod('r', 'Running')], expectedRemoved: NONE, failing: true });
  t.deepEqual(plan.status.uncountedTerminatedPods, { failed: ['r'] });
  const deleted = planTracking({ job: job(spec), pods: [pod('d', 'Running', { deleting: true })], expectedRemoved: NONE, failing: false });
  t.deepEqual(deleted.status.uncountedTerminatedPods, { failed: ['d'] });
  const onlyFailed = planTracking({ job: job({ ...spec, podReplacementPolicy: 'Failed' }), pods: [pod('d', 'Running', { deleting: true })], expectedRemoved: NONE, failing: false });
  t.deepEqual(onlyFailed.removeFinalizer, [], 'podReplacementPolicy Failed waits for the pod to fail');
});

test('an ignored failure (podFailurePolicy Ignore) loses its finalizer without being counted', (t) => {
  const j = job({ ...spec, podFailurePolicy: { rules: [{ action: 'Ignore', onExitCodes: { operator: 'In', values: [3] } }] } });
  const p: Pod = { ...pod('x', 'Failed'), status: { phase: 'Failed', containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 3 } } }] } };
  const plan = planTracking({ job: j, pods: [p], expectedRemoved: NONE, failing: false });
  t.deepEqual(plan.status.uncountedTerminatedPods, {});
  t.deepEqual(plan.removeFinalizer.map((q) => q.metadata?.uid), ['x']);
});

test('countUncounted moves only uids whose pods lost the finalizer', (t) => {
  const { status, changed } = countUncounted({ succeeded: 1, uncountedTerminatedPods: { succeeded: ['a', 'b'] } }, new Set(['b']));
  t.true(changed);
  t.is(status.succeeded, 2);
  t.deepEqual(status.uncountedTerminatedPods, { succeeded: ['b'] });
});

test('conditions: the transition time moves only with the status; False is not written for a condition never set', (t) => {
  const a = ensureCondition(undefined, 'Suspended', 'False', 'JobResumed', 'Job resumed', 't0');
  t.false(a.changed);
  const b = ensureCondition(undefined, 'Suspended', 'True', 'JobSuspended', 'Job suspended', 't1');
  const c = ensureCondition(b.conditions, 'Suspended', 'False', 'JobResumed', 'Job resumed', 't2');
  t.is(c.conditions[0]?.lastTransitionTime, 't2');
  const d = ensureCondition(c.conditions, 'Suspended', 'False', 'JobResumed', 'Job resumed', 't3');
  t.false(d.changed);
});

test('an interim condition is remembered as the decided finish', (t) => {
  t.deepEqual(recordedFinish(job(spec, { conditions: [{ type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded', message: 'm' }] })), { outcome: 'Failed', reason: 'BackoffLimitExceeded', message: 'm' });
  t.is(recordedFinish(job(spec)), undefined);
});

test('wantActive: parallelism, remaining completions, and work queues', (t) => {
  t.is(wantActive(job({ ...spec, completions: 5, parallelism: 2 }), 0, 0), 2);
  t.is(wantActive(job({ ...spec, completions: 5, parallelism: 2 }), 4, 2), 1);
  t.is(wantActive(job({ ...spec, completions: 5, parallelism: 2 }), 5, 0), 0);
  const queue = job({ parallelism: 3, template: {} });
  t.is(wantActive(queue, 0, 0), 3);
  t.is(wantActive(queue, 1, 2), 2, 'after a success no pod is added');
  t.true(completionsReached(queue, 1, 0));
  t.false(completionsReached(job(spec), 3, 1));
  t.true(completionsReached(job(spec), 3, 0));
});

test('OnFailure: container restarts count against backoffLimit', (t) => {
  const j = job({ ...spec, backoffLimit: 2, template: { spec: { containers: [], restartPolicy: 'OnFailure' } } });
  const running = (restarts: number): Pod => ({ metadata: { name: 'r' }, spec: { containers: [] }, status: { phase: 'Running', containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: true, restartCount: restarts }] } });
  t.false(pastBackoffLimitOnFailure(j, [running(1)]));
  t.true(pastBackoffLimitOnFailure(j, [running(2)]));
});

test('an Indexed pod carries its index in annotation, label, env and hostname, and the tracking finalizer', (t) => {
  const j: JobObject = {
    apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'idx', namespace: 'ns', uid: 'u1' },
    spec: { completionMode: 'Indexed', completions: 5, template: { metadata: { labels: { app: 'x' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
  };
  const p = jobPodFromTemplate(j, 3, 'abcde');
  t.is(p.metadata?.name, 'idx-3-abcde');
  t.is(p.metadata?.generateName, 'idx-3-');
  t.is(p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index'], '3');
  t.is(p.metadata?.labels?.['batch.kubernetes.io/job-completion-index'], '3');
  t.is(p.spec?.hostname, 'idx-3');
  t.deepEqual(p.spec?.containers[0]?.env, [{ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } }]);
  t.deepEqual(p.metadata?.finalizers, [JOB_TRACKING_FINALIZER]);
  t.deepEqual(p.metadata?.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'Job', name: 'idx', uid: 'u1', controller: true, blockOwnerDeletion: true }]);
  t.is(j.spec?.template?.spec?.containers[0]?.env, undefined, 'the template is not changed');
});
