import test from 'ava';
import type { Pod, PodFailurePolicy } from '@tugboat/api';
import { matchPodFailurePolicy } from './job-pod-failure-policy.js';

const failedPod = (codes: Record<string, number>, conditions: { type: string; status: string }[] = []): Pod => ({
  metadata: { name: 'p', namespace: 'ns' },
  spec: { containers: [] },
  status: {
    phase: 'Failed',
    conditions,
    containerStatuses: Object.entries(codes).map(([name, exitCode]) => ({ name, image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode } } })),
  },
});

const policy: PodFailurePolicy = {
  rules: [
    { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } },
    { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
    { action: 'Count', onExitCodes: { operator: 'NotIn', values: [1, 2] } },
  ],
};

test('no policy: every failure counts', (t) => {
  t.deepEqual(matchPodFailurePolicy(undefined, failedPod({ main: 42 })), { action: undefined, countFailed: true });
});

test('FailJob on an exit code, with Kubernetes\' message', (t) => {
  const m = matchPodFailurePolicy(policy, failedPod({ main: 42 }));
  t.is(m.action, 'FailJob');
  t.is(m.message, 'Container main for pod ns/p failed with exit code 42 matching FailJob rule at index 0');
});

test('containerName restricts the rule; rules apply in order', (t) => {
  t.is(matchPodFailurePolicy(policy, failedPod({ sidecar: 42 })).action, 'Count', 'NotIn [1,2] matches 42 on another container');
  t.deepEqual(matchPodFailurePolicy(policy, failedPod({ main: 1 })), { action: undefined, countFailed: true }, 'no rule matches exit code 1');
});

test('Ignore on a pod condition does not count the failure', (t) => {
  const m = matchPodFailurePolicy(policy, failedPod({ main: 1 }, [{ type: 'DisruptionTarget', status: 'True' }]));
  t.deepEqual(m, { action: 'Ignore', countFailed: false });
  t.is(matchPodFailurePolicy(policy, failedPod({ main: 1 }, [{ type: 'DisruptionTarget', status: 'False' }])).action, undefined);
});

test('exit code 0 never matches, not even NotIn', (t) => {
  t.is(matchPodFailurePolicy({ rules: [{ action: 'FailJob', onExitCodes: { operator: 'NotIn', values: [5] } }] }, failedPod({ main: 0 })).action, undefined);
});
