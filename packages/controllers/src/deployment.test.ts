import test from 'ava';
import { rfc3339, type PodTemplateSpec } from '@tugboat/api';
import { calculateStatus, updateProgressing } from './deployment.js';
import {
  deploymentTimedOut, equalIgnoreHash, findNewReplicaSet, lastRevision, maxRevision, newCondition, setCondition,
  setNewReplicaSetAnnotations,
} from './deployment-util.js';
import type { DeploymentObject, ReplicaSetObject } from './informers.js';
import { computeHash, fnv32a } from './pod-template-hash.js';

const T0 = Date.UTC(2024, 0, 1);

const template: PodTemplateSpec = {
  metadata: { labels: { app: 'web', tier: 'fe' } },
  spec: { containers: [{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }] }] },
};

test('fnv32a matches the reference vectors', (t) => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  t.is(fnv32a(enc('')), 0x811c9dc5);
  t.is(fnv32a(enc('a')), 0xe40c292c);
  t.is(fnv32a(enc('foobar')), 0xbf9cf968);
});

test('pod-template-hash is stable: same template, same hash, whatever the key order', (t) => {
  const reordered: PodTemplateSpec = {
    spec: { containers: [{ env: [{ value: '1', name: 'A' }], ports: [{ containerPort: 80 }], image: 'nginx:1.25', name: 'web' }] },
    metadata: { labels: { tier: 'fe', app: 'web' } },
  };
  const h = computeHash(template);
  t.is(computeHash(structuredClone(template)), h);
  t.is(computeHash(reordered), h);
  t.regex(h, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  // A known value pins the algorithm: a change here renames every ReplicaSet on upgrade.
  t.is(h, '7ccf6b487c');
});

test('pod-template-hash changes with the template and with the collision count', (t) => {
  const h = computeHash(template);
  const changed = structuredClone(template);
  if (changed.spec?.containers[0]) changed.spec.containers[0].image = 'nginx:1.26';
  t.not(computeHash(changed), h);
  t.not(computeHash(template, 1), h);
  t.not(computeHash(template, 1), computeHash(template, 2));
  t.is(computeHash(template, 1), computeHash(template, 1));
});

function rs(name: string, revision: number | undefined, tmpl: PodTemplateSpec, createdOffset = 0): ReplicaSetObject {
  return {
    metadata: {
      name, namespace: 'default', uid: `${name}-uid`, creationTimestamp: new Date(T0 + createdOffset).toISOString(),
      ...(revision !== undefined ? { annotations: { 'deployment.kubernetes.io/revision': String(revision) } } : {}),
    },
    spec: { replicas: 1, selector: {}, template: tmpl },
  };
}

const withHash = (tmpl: PodTemplateSpec, hash: string): PodTemplateSpec => ({ ...tmpl, metadata: { ...tmpl.metadata, labels: { ...tmpl.metadata?.labels, 'pod-template-hash': hash } } });

const deployment: DeploymentObject = {
  metadata: { name: 'web', namespace: 'default', uid: 'd', generation: 2, annotations: { 'kubernetes.io/change-cause': 'v2' } },
  spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template },
};

test('the new ReplicaSet is the one with the template, ignoring the hash label; the oldest if several', (t) => {
  const other = structuredClone(template);
  if (other.spec?.containers[0]) other.spec.containers[0].image = 'nginx:1.24';
  const a = rs('web-a', 1, withHash(other, 'a'));
  const b = rs('web-b', 2, withHash(template, 'b'), 2000);
  const c = rs('web-c', undefined, withHash(template, 'c'), 1000);
  t.true(equalIgnoreHash(b.spec?.template, template));
  t.false(equalIgnoreHash(a.spec?.template, template));
  t.is(findNewReplicaSet(deployment, [a, b, c])?.metadata?.name, 'web-c');
  t.is(findNewReplicaSet(deployment, [a]), undefined);
});

test('revisions: max, and the previous one for undo', (t) => {
  const list = [rs('a', 1, template), rs('b', 4, template), rs('c', 3, template), rs('d', undefined, template)];
  t.is(maxRevision(list), 4);
  t.is(lastRevision(list), 3);
  t.is(lastRevision([rs('a', 1, template)]), 0);
});

test('new ReplicaSet annotations: revision raised, history kept, user annotations copied', (t) => {
  const r = rs('web-a', 2, template);
  t.true(setNewReplicaSetAnnotations(deployment, r, 5));
  t.is(r.metadata?.annotations?.['deployment.kubernetes.io/revision'], '5');
  t.is(r.metadata?.annotations?.['deployment.kubernetes.io/revision-history'], '2');
  t.is(r.metadata?.annotations?.['kubernetes.io/change-cause'], 'v2');
  t.false(setNewReplicaSetAnnotations(deployment, r, 5), 'nothing left to change');
});

test('conditions: same status and reason keep the condition; same status keeps the transition time', (t) => {
  const status = {};
  setCondition(status, newCondition('Progressing', 'True', 'ReplicaSetUpdated', 'x', T0));
  setCondition(status, newCondition('Progressing', 'True', 'ReplicaSetUpdated', 'y', T0 + 5000));
  const c1 = (status as { conditions: { message: string; lastTransitionTime: string; lastUpdateTime: string }[] }).conditions[0];
  t.is(c1?.message, 'x');
  setCondition(status, newCondition('Progressing', 'True', 'NewReplicaSetAvailable', 'z', T0 + 9000));
  const c2 = (status as { conditions: { message: string; lastTransitionTime: string; lastUpdateTime: string }[] }).conditions[0];
  t.is(c2?.message, 'z');
  t.is(c2?.lastTransitionTime, rfc3339(T0));
  t.is(c2?.lastUpdateTime, rfc3339(T0 + 9000));
});

function statusRS(name: string, spec: number, replicas: number, ready: number, available: number): ReplicaSetObject {
  return { metadata: { name, namespace: 'default', uid: name }, spec: { replicas: spec, selector: {} }, status: { replicas, readyReplicas: ready, availableReplicas: available } };
}

test('status sums the ReplicaSets and sets Available against replicas - maxUnavailable', (t) => {
  const d: DeploymentObject = { ...deployment, spec: { ...deployment.spec, selector: {}, template, replicas: 4 } };
  const old = statusRS('old', 2, 2, 2, 2);
  const fresh = statusRS('new', 3, 3, 2, 1);
  const s = calculateStatus(d, [old, fresh], fresh, T0);
  t.like(s, { observedGeneration: 2, replicas: 5, updatedReplicas: 3, readyReplicas: 4, availableReplicas: 3, unavailableReplicas: 2 });
  // 4 replicas: maxUnavailable 1 → 3 available is enough.
  t.like(s.conditions?.find((c) => c.type === 'Available'), { status: 'True', reason: 'MinimumReplicasAvailable' });
  const low = calculateStatus(d, [statusRS('new', 4, 4, 1, 1)], undefined, T0);
  t.like(low.conditions?.find((c) => c.type === 'Available'), { status: 'False', reason: 'MinimumReplicasUnavailable' });
});

test('Progressing: ReplicaSetUpdated while moving, NewReplicaSetAvailable when complete', (t) => {
  const d: DeploymentObject = { ...deployment, spec: { ...deployment.spec, selector: {}, template, replicas: 2 }, status: { replicas: 2, updatedReplicas: 0, availableReplicas: 2 } };
  const fresh = statusRS('web-new', 1, 1, 0, 0);
  const moving = calculateStatus(d, [statusRS('old', 2, 2, 2, 2), fresh], fresh, T0);
  updateProgressing(d, moving, fresh, T0);
  t.like(moving.conditions?.find((c) => c.type === 'Progressing'), { status: 'True', reason: 'ReplicaSetUpdated', message: 'ReplicaSet "web-new" is progressing.' });
  const done = statusRS('web-new', 2, 2, 2, 2);
  const complete = calculateStatus({ ...d, status: moving }, [done], done, T0 + 1000);
  updateProgressing({ ...d, status: moving }, complete, done, T0 + 1000);
  t.like(complete.conditions?.find((c) => c.type === 'Progressing'), { status: 'True', reason: 'NewReplicaSetAvailable' });
});

test('Progressing: ProgressDeadlineExceeded once nothing moved for progressDeadlineSeconds', (t) => {
  const base: DeploymentObject = { ...deployment, spec: { ...deployment.spec, selector: {}, template, replicas: 2, progressDeadlineSeconds: 30 } };
  const stuck = statusRS('web-new', 2, 2, 0, 0);
  const prev = calculateStatus(base, [stuck], stuck, T0);
  setCondition(prev, newCondition('Progressing', 'True', 'ReplicaSetUpdated', 'ReplicaSet "web-new" is progressing.', T0));
  const d = { ...base, status: prev };
  const at = (ms: number): string | undefined => {
    const s = calculateStatus(d, [stuck], stuck, ms);
    updateProgressing(d, s, stuck, ms);
    return s.conditions?.find((c) => c.type === 'Progressing')?.reason;
  };
  t.is(at(T0 + 29_000), 'ReplicaSetUpdated');
  t.is(at(T0 + 31_000), 'ProgressDeadlineExceeded');
  t.false(deploymentTimedOut(d, prev, T0 + 30_000));
  t.true(deploymentTimedOut(d, prev, T0 + 30_001));
});
