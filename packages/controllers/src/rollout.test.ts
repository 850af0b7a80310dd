import test from 'ava';
import type { DeploymentObject, ReplicaSetObject } from './informers.js';
import {
  findActiveOrLatest, maxSurge, maxUnavailable, newReplicaSetReplicas, planOldScaleDown, planProportionalScale,
  reconcileNewReplicaSetTarget, resolveFenceposts, scaledValue, strategyError, type IntOrPercent,
} from './rollout.js';

const T0 = Date.UTC(2024, 0, 1);

function deployment(replicas: number, surge?: IntOrPercent, unavailable?: IntOrPercent, type: 'RollingUpdate' | 'Recreate' = 'RollingUpdate'): DeploymentObject {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'd-uid', generation: 1 },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'v1' }] } },
      strategy: type === 'Recreate' ? { type } : { type, rollingUpdate: { ...(surge !== undefined ? { maxSurge: surge } : {}), ...(unavailable !== undefined ? { maxUnavailable: unavailable } : {}) } },
    },
  };
}

function rs(name: string, spec: number, available: number, ageSeconds: number, annotations: Record<string, string> = {}): ReplicaSetObject {
  return {
    metadata: { name, namespace: 'default', uid: `${name}-uid`, creationTimestamp: new Date(T0 - ageSeconds * 1000).toISOString(), annotations },
    spec: { replicas: spec, selector: { matchLabels: { app: 'web' } } },
    status: { replicas: spec, availableReplicas: available, readyReplicas: available },
  };
}

test('percentages: surge rounds up, unavailability rounds down', (t) => {
  t.is(scaledValue('25%', 10, true, 'f'), 3);
  t.is(scaledValue('25%', 10, false, 'f'), 2);
  t.is(scaledValue(4, 10, true, 'f'), 4);
  t.is(scaledValue('0%', 10, true, 'f'), 0);
  t.throws(() => scaledValue('25', 10, true, 'spec.strategy.rollingUpdate.maxSurge'), { message: /spec\.strategy\.rollingUpdate\.maxSurge: Invalid value: "25"/ });
  t.throws(() => scaledValue(-1, 10, true, 'f'));
});

test('defaults are 25% / 25%', (t) => {
  const d = deployment(10);
  t.is(maxSurge(d), 3);
  t.is(maxUnavailable(d), 2);
  // 25% of 3: surge 1, unavailable 0.
  t.is(maxSurge(deployment(3)), 1);
  t.is(maxUnavailable(deployment(3)), 0);
});

test('fenceposts that both round to zero allow one unavailable pod', (t) => {
  t.deepEqual(resolveFenceposts('0%', '10%', 5), { surge: 0, unavailable: 1 });
  t.deepEqual(resolveFenceposts(0, 1, 5), { surge: 0, unavailable: 1 });
});

test('maxUnavailable is capped by replicas; Recreate has neither surge nor unavailability', (t) => {
  t.is(maxUnavailable(deployment(2, 0, 5)), 2);
  t.is(maxUnavailable(deployment(0, 1, 1)), 0);
  t.is(maxSurge(deployment(4, undefined, undefined, 'Recreate')), 0);
  t.is(maxUnavailable(deployment(4, undefined, undefined, 'Recreate')), 0);
});

test('both limits 0 is an invalid strategy, named by field', (t) => {
  t.regex(strategyError(deployment(3, 0, 0)) ?? '', /^spec\.strategy\.rollingUpdate\.maxUnavailable: Invalid value: 0: may not be 0 when maxSurge is 0/);
  t.truthy(strategyError(deployment(3, '0%', '0%')));
  t.regex(strategyError(deployment(3, 1, '150%')) ?? '', /must not be greater than 100%/);
  t.regex(strategyError(deployment(3, 'lots', 1)) ?? '', /maxSurge/);
  t.is(strategyError(deployment(3, 0, 1)), undefined);
  t.is(strategyError(deployment(3)), undefined);
});

test('new ReplicaSet scales up to replicas + maxSurge in total', (t) => {
  const d = deployment(10, 3, 2);
  const old = rs('old', 10, 10, 100);
  const fresh = rs('new', 0, 0, 0);
  t.is(newReplicaSetReplicas(d, [old, fresh], fresh), 3);
  // Already at the surge limit: no more.
  const old2 = rs('old', 10, 10, 100);
  const fresh2 = rs('new', 3, 0, 0);
  t.is(newReplicaSetReplicas(d, [old2, fresh2], fresh2), 3);
  // Never beyond the desired count for the new ReplicaSet itself.
  const old3 = rs('old', 1, 1, 100);
  const fresh3 = rs('new', 8, 8, 0);
  t.is(newReplicaSetReplicas(d, [old3, fresh3], fresh3), 10);
  // Recreate: straight to the desired count.
  t.is(newReplicaSetReplicas(deployment(4, undefined, undefined, 'Recreate'), [fresh], fresh), 4);
});

test('the new ReplicaSet waits for an old ReplicaSet\'s pods to go before surging again', (t) => {
  // 4 replicas, maxSurge 1. "old" was just scaled 4 → 3 and its fourth pod still exists
  // (status.replicas 4): scaling "new" to 2 now would run 6 pods.
  const d = deployment(4, 1, 1);
  const fresh = rs('new', 1, 1, 0);
  const old = { ...rs('old', 3, 3, 100), status: { replicas: 4, availableReplicas: 4, readyReplicas: 4 } };
  t.is(newReplicaSetReplicas(d, [old, fresh], fresh), 1);
  // Once the ReplicaSet controller reports the pod gone, the surge may continue.
  t.is(newReplicaSetReplicas(d, [rs('old', 3, 3, 100), fresh], fresh), 2);
});

test('a new ReplicaSet above the desired count is scaled down to it', (t) => {
  const d = deployment(3, 1, 0);
  const fresh = rs('new', 5, 5, 0);
  t.is(reconcileNewReplicaSetTarget(d, [fresh], fresh), 3);
});

test('old ReplicaSets scale down only as far as minimum availability allows', (t) => {
  // 6 replicas, surge 2 (25% of 6 → 2), unavailable 1 (25% of 6 → 1).
  const d = deployment(6);
  const old = rs('old', 6, 6, 100);
  const fresh = rs('new', 2, 0, 0);
  // New pods not available yet: 8 total, min available 5, new unavailable 2 → may drop 1.
  t.deepEqual(planOldScaleDown(d, [old, fresh], [old], fresh).map((s) => [s.rs.metadata?.name, s.replicas]), [['old', 5]]);
  // Both new pods available: availability 8, min 5 → drop 3.
  const fresh2 = rs('new', 2, 2, 0);
  t.deepEqual(planOldScaleDown(d, [old, fresh2], [old], fresh2).map((s) => [s.rs.metadata?.name, s.replicas]), [['old', 3]]);
});

test('unhealthy old pods are removed first, oldest ReplicaSet first', (t) => {
  const d = deployment(4, 1, 0);
  const oldest = rs('oldest', 2, 0, 300);
  const older = rs('older', 2, 2, 200);
  const fresh = rs('new', 1, 1, 0);
  // Total 5, min available 4, new unavailable 0 → max scaled down 1: an unhealthy pod of
  // "oldest" goes (it costs no availability); then availability 3 ≤ 4 → nothing else.
  const plan = planOldScaleDown(d, [oldest, older, fresh], [oldest, older], fresh);
  t.deepEqual(plan.map((s) => [s.rs.metadata?.name, s.replicas]), [['oldest', 1]]);
});

test('a stale status right after a scale-down cannot take availability below the minimum', (t) => {
  const d = deployment(3, 1, 0);
  // "old" was just scaled 3 → 2 but its status still says 3 available.
  const old = rs('old', 2, 3, 100);
  const fresh = rs('new', 2, 2, 0);
  const plan = planOldScaleDown(d, [old, fresh], [old], fresh);
  // Trusting the status would see 5 available and remove both old pods; at most 1 may go.
  t.deepEqual(plan.map((s) => [s.rs.metadata?.name, s.replicas]), [['old', 1]]);
});

test('no old replicas: nothing to scale down', (t) => {
  const d = deployment(3);
  const old = rs('old', 0, 0, 100);
  const fresh = rs('new', 3, 3, 0);
  t.deepEqual(planOldScaleDown(d, [old, fresh], [old], fresh), []);
});

test('a rollout never plans below replicas - maxUnavailable available (simulated to the end)', (t) => {
  const d = deployment(10, '25%', '25%');
  let old = rs('old', 10, 10, 100);
  let fresh = rs('new', 0, 0, 0);
  const minAvailable = 10 - maxUnavailable(d);
  for (let step = 0; step < 50; step++) {
    const target = reconcileNewReplicaSetTarget(d, [old, fresh], fresh);
    if (target !== fresh.spec?.replicas) fresh = rs('new', target, fresh.status?.availableReplicas ?? 0, 0);
    for (const s of planOldScaleDown(d, [old, fresh], [old], fresh)) old = rs('old', s.replicas, Math.min(s.replicas, old.status?.availableReplicas ?? 0), 100);
    t.true(Math.min(old.status?.availableReplicas ?? 0, old.spec?.replicas ?? 0) + (fresh.status?.availableReplicas ?? 0) >= minAvailable);
    t.true((old.spec?.replicas ?? 0) + (fresh.spec?.replicas ?? 0) <= 10 + maxSurge(d));
    // The new pods become available before the next step.
    fresh = rs('new', fresh.spec?.replicas ?? 0, fresh.spec?.replicas ?? 0, 0);
  }
  t.is(fresh.spec?.replicas, 10);
  t.is(old.spec?.replicas, 0);
});

test('findActiveOrLatest: the single active ReplicaSet, the newest when none is active, none when several', (t) => {
  const a = rs('a', 0, 0, 300);
  const b = rs('b', 3, 3, 200);
  const c = rs('c', 0, 0, 100);
  t.is(findActiveOrLatest(c, [a, b])?.metadata?.name, 'b');
  t.is(findActiveOrLatest(undefined, [a, c])?.metadata?.name, 'c');
  t.is(findActiveOrLatest(rs('n', 1, 0, 0), [b]), undefined);
});

test('proportional scaling mid-rollout shares new replicas by size and gives the rest to the largest', (t) => {
  // Was 10 (max 13), now 20 (max 25) while old has 8 and new 5.
  const d = deployment(20, 3, 2);
  const ann = { 'deployment.kubernetes.io/desired-replicas': '10', 'deployment.kubernetes.io/max-replicas': '13' };
  const old = rs('old', 8, 8, 100, ann);
  const fresh = rs('new', 5, 0, 0, ann);
  d.spec = { ...d.spec, selector: d.spec?.selector ?? {}, template: d.spec?.template ?? {}, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } };
  // maxSurge of 20 at 25% = 5 → allowed 25, to add 12.
  const plan = planProportionalScale(d, fresh, [old]);
  const sizes = Object.fromEntries(plan.map((s) => [s.rs.metadata?.name, s.replicas]));
  t.is((sizes.old ?? 8) + (sizes.new ?? 5), 25);
  // 8·25/13 = 15.4 → 15; 5·25/13 = 9.6 → 10.
  t.deepEqual(sizes, { old: 15, new: 10 });
});

test('proportional scaling: a single active ReplicaSet simply takes the new count', (t) => {
  const d = deployment(9);
  const only = rs('only', 6, 6, 10, { 'deployment.kubernetes.io/desired-replicas': '6' });
  t.deepEqual(planProportionalScale(d, only, []).map((s) => [s.rs.metadata?.name, s.replicas]), [['only', 9]]);
  t.deepEqual(planProportionalScale(deployment(6), only, []), []);
});

test('a scaling event that moves no replica still gives every ReplicaSet the new annotations, so the rollout goes on', (t) => {
  // Seen in the faults e2e: 5 → 4 replicas (surge 1, unavailable 1) with old 2 + new 3. The
  // total is already 4 + 1, so no size changes; the annotations still say 5.
  const d = deployment(4, 1, 1);
  const ann = { 'deployment.kubernetes.io/desired-replicas': '5', 'deployment.kubernetes.io/max-replicas': '6' };
  const old = rs('old', 2, 2, 100, ann);
  const fresh = rs('new', 3, 3, 0, ann);
  const plan = planProportionalScale(d, fresh, [old]);
  t.deepEqual(plan.map((s) => [s.rs.metadata?.name, s.replicas]).sort(), [['new', 3], ['old', 2]]);
  // Once annotated, it is no longer a scaling event: nothing more to plan.
  const now = { 'deployment.kubernetes.io/desired-replicas': '4', 'deployment.kubernetes.io/max-replicas': '5' };
  t.deepEqual(planProportionalScale(d, rs('new', 3, 3, 0, now), [rs('old', 2, 2, 100, now)]), []);
  // A single active ReplicaSet already at the count, with an old desired-replicas: annotated.
  t.deepEqual(planProportionalScale(deployment(6), rs('only', 6, 6, 10, { 'deployment.kubernetes.io/desired-replicas': '5' }), []).map((s) => s.replicas), [6]);
});

test('proportional scaling down mid-rollout never goes negative', (t) => {
  const d = deployment(0);
  const ann = { 'deployment.kubernetes.io/max-replicas': '13' };
  const old = rs('old', 8, 8, 100, ann);
  const fresh = rs('new', 5, 0, 0, ann);
  const sizes = Object.fromEntries(planProportionalScale(d, fresh, [old]).map((s) => [s.rs.metadata?.name, s.replicas]));
  t.deepEqual(sizes, { old: 0, new: 0 });
});
