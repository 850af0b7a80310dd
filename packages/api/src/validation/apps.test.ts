import test from 'ava';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { formatFieldError } from '../errors.js';
import { validateDeployment, validateReplicaSet, validateSelectorUpdate, validateDeploymentStatus, validateReplicaSetStatus } from './apps.js';

const dep = (spec: Partial<NonNullable<Deployment['spec']>> = {}): Deployment => ({
  metadata: { name: 'd' },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web', tier: 'front' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
    ...spec,
  },
});
const v = (d: Deployment): string[] => validateDeployment(d).map(formatFieldError);

test('valid deployments', (t) => {
  t.deepEqual(v(dep()), []);
  t.deepEqual(v(dep({ selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }] } })), []);
  t.deepEqual(v(dep({ strategy: { type: 'Recreate' } })), []);
  t.deepEqual(v(dep({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } })), []);
});

test('selector rules', (t) => {
  t.deepEqual(v(dep({ selector: {} })), ['spec.selector: Invalid value: {}: empty selector is invalid for deployment']);
  t.deepEqual(v(dep({ selector: { matchLabels: { app: 'api' } } })), ['spec.template.metadata.labels: Invalid value: {"app":"web","tier":"front"}: `selector` does not match template `labels`']);
  t.deepEqual(v(dep({ selector: { matchExpressions: [{ key: 'app', operator: 'Exists', values: ['x'] }] } })), [
    "spec.selector.matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
  ]);
  t.deepEqual(v(dep({ selector: { matchExpressions: [{ key: 'app', operator: 'Like' }] } })), ['spec.selector.matchExpressions[0].operator: Invalid value: "Like": not a valid selector operator']);
  t.deepEqual(v({ metadata: { name: 'd' } }), ['spec.selector: Required value', 'spec.template: Required value']);
});

test('template rules', (t) => {
  const d = dep();
  d.spec!.template.spec!.restartPolicy = 'Never';
  d.spec!.template.spec!.activeDeadlineSeconds = 10;
  t.deepEqual(v(d), [
    'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    'spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported',
  ]);
  const noImage = dep();
  noImage.spec!.template.spec!.containers[0]!.image = '';
  t.deepEqual(v(noImage), ['spec.template.spec.containers[0].image: Required value']);
});

test('replicas, strategy and deadlines', (t) => {
  t.deepEqual(v(dep({ replicas: -1, revisionHistoryLimit: -1, minReadySeconds: -1 })), [
    'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    'spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0',
    'spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0',
  ]);
  t.deepEqual(v(dep({ strategy: { type: 'BlueGreen' } })), ['spec.strategy.type: Unsupported value: "BlueGreen": supported values: "Recreate", "RollingUpdate"']);
  t.deepEqual(v(dep({ strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } })), ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"]);
  t.deepEqual(v(dep({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } } })), ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when `maxSurge` is 0']);
  t.deepEqual(v(dep({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 'lots', maxUnavailable: '150%' } } })), [
    "spec.strategy.rollingUpdate.maxSurge: Invalid value: \"lots\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
    'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "150%": must not be greater than 100%',
  ]);
  t.deepEqual(v(dep({ minReadySeconds: 30, progressDeadlineSeconds: 30 })), ['spec.progressDeadlineSeconds: Invalid value: 30: must be greater than minReadySeconds']);
});

test('replicasets', (t) => {
  const rs: ReplicaSet = { metadata: { name: 'r' }, spec: dep().spec! as ReplicaSet['spec'] & object };
  t.deepEqual(validateReplicaSet(rs), []);
  t.deepEqual(validateReplicaSet({ ...rs, spec: { ...rs.spec!, selector: {} } }).map(formatFieldError), ['spec.selector: Invalid value: {}: empty selector is invalid for replicaset']);
  const { template: _template, ...withoutTemplate } = rs.spec!;
  t.deepEqual(validateReplicaSet({ ...rs, spec: withoutTemplate }).map(formatFieldError), ['spec.template: Required value']);
});

test('selector immutability and status counts', (t) => {
  t.deepEqual(validateSelectorUpdate({ matchLabels: { a: 'b' } }, { matchLabels: { a: 'b' } }), []);
  t.deepEqual(validateSelectorUpdate({ matchLabels: { a: 'c' } }, { matchLabels: { a: 'b' } }).map(formatFieldError), ['spec.selector: Invalid value: {"matchLabels":{"a":"c"}}: field is immutable']);
  t.deepEqual(validateDeploymentStatus({ status: { replicas: 2, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2 } }).map(formatFieldError), ['status.updatedReplicas: Invalid value: 3: cannot be greater than status.replicas']);
  t.deepEqual(validateDeploymentStatus({ status: { replicas: 2, readyReplicas: 1, availableReplicas: 2 } }).map(formatFieldError), ['status.availableReplicas: Invalid value: 2: cannot be greater than readyReplicas']);
  t.deepEqual(validateReplicaSetStatus({ status: { replicas: -1 } }).map(formatFieldError), ['status.replicas: Invalid value: -1: must be greater than or equal to 0']);
  t.deepEqual(validateReplicaSetStatus({ status: { replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 2, availableReplicas: 1, observedGeneration: 4 } }), []);
});
