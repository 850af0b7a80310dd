// PodDisruptionBudget and PriorityClass validation with Kubernetes' messages, through admission
// as the API server runs it.
import test from 'ava';
import { admitObject } from '../admission.js';
import { ApiError, formatFieldError } from '../errors.js';
import { budgetCoversPod, withDisruptionAllowedCondition } from '../disruption-budget.js';

const errorsOf = (obj: unknown, old?: Record<string, unknown>): string[] => {
  const r = admitObject(obj, old as never);
  return r.ok ? [] : r.errors.map(formatFieldError);
};

const pdb = (spec: Record<string, unknown>): Record<string, unknown> => ({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web' }, spec });

test('a budget takes minAvailable or maxUnavailable, never both', (t) => {
  t.deepEqual(errorsOf(pdb({ minAvailable: 2, selector: { matchLabels: { app: 'web' } } })), []);
  t.deepEqual(errorsOf(pdb({ maxUnavailable: '25%', selector: { matchLabels: { app: 'web' } } })), []);
  const both = admitObject(pdb({ minAvailable: 2, maxUnavailable: 1, selector: { matchLabels: { app: 'web' } } }));
  t.false(both.ok);
  if (both.ok) return;
  const err = ApiError.invalid('PodDisruptionBudget', 'web', both.errors);
  t.is(err.message.split('\n').length, 1);
  t.regex(err.message, /^PodDisruptionBudget "web" is invalid: spec: Invalid value: .*: minAvailable and maxUnavailable cannot be both set$/);
});

test('budget values: non-negative ints or percentages up to 100%', (t) => {
  t.deepEqual(errorsOf(pdb({ minAvailable: -1 })), ['spec.minAvailable: Invalid value: -1: must be greater than or equal to 0']);
  t.deepEqual(errorsOf(pdb({ maxUnavailable: '101%' })), ['spec.maxUnavailable: Invalid value: "101%": must not be greater than 100%']);
  t.regex(errorsOf(pdb({ minAvailable: 'half' }))[0] ?? '', /^spec\.minAvailable: Invalid value: "half": a valid percent string must be/);
  t.deepEqual(errorsOf(pdb({ minAvailable: '100%', unhealthyPodEvictionPolicy: 'Sometimes' })), [
    'spec.unhealthyPodEvictionPolicy: Unsupported value: "Sometimes": supported values: "AlwaysAllow", "IfHealthyBudget"',
  ]);
  t.deepEqual(errorsOf(pdb({ minAvailable: 1, selector: { matchExpressions: [{ key: 'app', operator: 'In' }] } })), [
    "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
  ]);
});

test('a new budget allows nothing until the controller has counted', (t) => {
  const r = admitObject(pdb({ minAvailable: 1, selector: {} }));
  t.true(r.ok);
  if (r.ok) t.deepEqual(r.object['status'], { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 });
});

test('policy/v1 selectors: none covers nothing, an empty one the whole namespace', (t) => {
  const pod = { metadata: { name: 'p', namespace: 'a', labels: { app: 'web' } } };
  const b = (selector: unknown, namespace = 'a'): never => ({ metadata: { name: 'b', namespace }, spec: selector === undefined ? {} : { selector } }) as never;
  t.false(budgetCoversPod(b(undefined), pod));
  t.true(budgetCoversPod(b({}), pod));
  t.true(budgetCoversPod(b({ matchLabels: { app: 'web' } }), pod));
  t.false(budgetCoversPod(b({ matchLabels: { app: 'db' } }), pod));
  t.false(budgetCoversPod(b({}, 'other'), pod), 'another namespace');
});

test('the DisruptionAllowed condition follows disruptionsAllowed; its time moves only when it flips', (t) => {
  const base = { currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, observedGeneration: 1 };
  const allowed = withDisruptionAllowedCondition({ ...base, disruptionsAllowed: 1 }, 't1');
  t.like(allowed.conditions?.[0], { type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', lastTransitionTime: 't1', observedGeneration: 1 });
  const same = withDisruptionAllowedCondition({ ...allowed, disruptionsAllowed: 2 }, 't2');
  t.is(same.conditions?.[0]?.lastTransitionTime, 't1');
  const none = withDisruptionAllowedCondition({ ...allowed, disruptionsAllowed: 0 }, 't3');
  t.like(none.conditions?.[0], { status: 'False', reason: 'InsufficientPods', lastTransitionTime: 't3' });
  t.is(none.conditions?.length, 1);
});

const pc = (name: string, value: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, ...extra });

test('PriorityClass: user values up to 1e9, system- names reserved, preemptionPolicy defaulted and checked', (t) => {
  const ok = admitObject(pc('high', 1_000_000_000));
  t.true(ok.ok);
  if (ok.ok) t.is(ok.object['preemptionPolicy'], 'PreemptLowerPriority');
  t.deepEqual(errorsOf(pc('higher', 1_000_000_001)), ['value: Forbidden: maximum allowed value of a user defined priority is 1000000000']);
  t.deepEqual(errorsOf(pc('system-mine', 5)), ["metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class"]);
  t.deepEqual(errorsOf(pc('system-node-critical', 5)), ["metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: value of system-node-critical PriorityClass must be 2000001000"]);
  t.deepEqual(errorsOf(pc('system-cluster-critical', 2_000_000_000)), []);
  t.deepEqual(errorsOf(pc('p', 1, { preemptionPolicy: 'Always' })), ['preemptionPolicy: Unsupported value: "Always": supported values: "Never", "PreemptLowerPriority"']);
  t.deepEqual(errorsOf({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'v' } }), ['value: Required value']);
});

test('PriorityClass: value and preemptionPolicy are fixed once made', (t) => {
  const old = { ...pc('high', 10), preemptionPolicy: 'Never', metadata: { name: 'high', uid: 'u', resourceVersion: '1' } };
  t.deepEqual(errorsOf({ ...old, value: 11 }, old), ['value: Forbidden: may not be changed in an update.']);
  t.deepEqual(errorsOf({ ...old, preemptionPolicy: 'PreemptLowerPriority' }, old), ['preemptionPolicy: Invalid value: "PreemptLowerPriority": field is immutable']);
  t.deepEqual(errorsOf({ ...old, description: 'now described', globalDefault: true }, old), []);
});
