import test from 'ava';
import { FOREGROUND_DELETION_FINALIZER, ORPHAN_FINALIZER, PROPAGATION_POLICY_ANNOTATION, type KubeObject } from '@tugboat/api';
import { planDeletion, readyToRemove } from './deletion.js';

const now = new Date('2030-01-01T00:00:00Z');
const pod = (extra: { nodeName?: string; phase?: string; grace?: number; meta?: Record<string, unknown> } = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', ...(extra.meta ?? {}) },
  spec: { containers: [{ name: 'c', image: 'i' }], ...(extra.nodeName ? { nodeName: extra.nodeName } : {}), ...(extra.grace !== undefined ? { terminationGracePeriodSeconds: extra.grace } : {}) },
  status: { phase: extra.phase ?? 'Running' },
});

test('an unbound pod without finalizers is removed at once', (t) => {
  t.deepEqual(planDeletion(pod(), {}, now), { action: 'remove' });
});

test('a bound running pod is marked with its grace period', (t) => {
  const plan = planDeletion(pod({ nodeName: 'n1', grace: 10 }), {}, now);
  if (plan.action !== 'mark') return t.fail();
  t.is(plan.object.metadata?.deletionTimestamp, '2030-01-01T00:00:10Z');
  t.is(plan.object.metadata?.deletionGracePeriodSeconds, 10);
  t.is(plan.object.metadata?.annotations?.[PROPAGATION_POLICY_ANNOTATION], 'Background');
});

test('the default grace period is 30 s; the request overrides it', (t) => {
  const a = planDeletion(pod({ nodeName: 'n1' }), {}, now);
  const b = planDeletion(pod({ nodeName: 'n1' }), { gracePeriodSeconds: 5 }, now);
  t.is(a.action === 'mark' ? a.object.metadata?.deletionGracePeriodSeconds : -1, 30);
  t.is(b.action === 'mark' ? b.object.metadata?.deletionGracePeriodSeconds : -1, 5);
});

test('grace 0 and finished pods are removed at once', (t) => {
  t.is(planDeletion(pod({ nodeName: 'n1' }), { gracePeriodSeconds: 0 }, now).action, 'remove');
  t.is(planDeletion(pod({ nodeName: 'n1', phase: 'Succeeded' }), {}, now).action, 'remove');
  t.is(planDeletion(pod({ nodeName: 'n1', phase: 'Failed' }), {}, now).action, 'remove');
});

test('a second delete only shortens the grace period', (t) => {
  const marked = planDeletion(pod({ nodeName: 'n1', grace: 30 }), {}, now);
  if (marked.action !== 'mark') return t.fail();
  t.is(planDeletion(marked.object, { gracePeriodSeconds: 60 }, now).action, 'unchanged');
  const shorter = planDeletion(marked.object, { gracePeriodSeconds: 5 }, now);
  t.is(shorter.action === 'mark' ? shorter.object.metadata?.deletionGracePeriodSeconds : -1, 5);
});

test('finalizers keep the object, marked, until they are gone', (t) => {
  const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', finalizers: ['x'] } };
  const plan = planDeletion(cm, {}, now);
  if (plan.action !== 'mark') return t.fail();
  t.is(plan.object.metadata?.deletionTimestamp, '2030-01-01T00:00:00Z');
  t.false(readyToRemove(plan.object));
  t.is(planDeletion(plan.object, {}, now).action, 'unchanged');
  t.true(readyToRemove({ ...plan.object, metadata: { ...plan.object.metadata, finalizers: [] } }));
});

test('Foreground and Orphan add their finalizer and record the policy', (t) => {
  const rs: KubeObject = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'r' } };
  const fg = planDeletion(rs, { propagationPolicy: 'Foreground' }, now);
  const or = planDeletion(rs, { propagationPolicy: 'Orphan' }, now);
  if (fg.action !== 'mark' || or.action !== 'mark') return t.fail();
  t.deepEqual(fg.object.metadata?.finalizers, [FOREGROUND_DELETION_FINALIZER]);
  t.is(fg.object.metadata?.annotations?.[PROPAGATION_POLICY_ANNOTATION], 'Foreground');
  t.deepEqual(or.object.metadata?.finalizers, [ORPHAN_FINALIZER]);
  t.is(planDeletion(rs, { propagationPolicy: 'Background' }, now).action, 'remove');
});

test('a namespace goes Terminating and is never removed by an update', (t) => {
  const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' }, status: { phase: 'Active' } };
  const plan = planDeletion(ns, {}, now);
  if (plan.action !== 'mark') return t.fail();
  t.deepEqual(plan.object.status, { phase: 'Terminating' });
  t.false(readyToRemove(plan.object));
});
