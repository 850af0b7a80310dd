import test from 'ava';
import type { OwnerReference, Pod, StatefulSet } from '@tugboat/api';
import { CONTROLLER_REVISION_HASH_LABEL } from './controller-history.js';
import {
  POD_INDEX_LABEL, STATEFULSET_POD_NAME_LABEL, claimOwnerRefs, claimsFor, newStatefulSetPod, parentAndOrdinal, planStatefulSet,
  statefulSetStatus, type Revisions, type StatefulAction,
} from './statefulset-plan.js';

const T0 = Date.UTC(2024, 0, 1);
const NOW = T0 + 60_000;
const iso = (ms: number): string => new Date(ms).toISOString();
const REF: OwnerReference = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'set-uid', controller: true, blockOwnerDeletion: true };
const template = { metadata: { labels: { app: 'nginx' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1' }] } };
const template2 = { metadata: { labels: { app: 'nginx' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:2' }] } };
const REVS: Revisions = { current: { name: 'web-old', template }, update: { name: 'web-new', template: template2 } };
const SAME: Revisions = { current: { name: 'web-new', template: template2 }, update: { name: 'web-new', template: template2 } };

function set(spec: Partial<NonNullable<StatefulSet['spec']>> = {}): StatefulSet {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'set-uid', generation: 3 },
    spec: {
      serviceName: 'web', replicas: 3, selector: { matchLabels: { app: 'nginx' } }, template: template2,
      podManagementPolicy: 'OrderedReady', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      ...spec,
    },
  };
}

function pod(ordinal: number, o: { rev?: string; ready?: boolean; phase?: string; deleting?: boolean; readySince?: number } = {}): Pod {
  return {
    metadata: {
      name: `web-${ordinal}`, namespace: 'default', uid: `pod-${ordinal}`,
      labels: { app: 'nginx', [STATEFULSET_POD_NAME_LABEL]: `web-${ordinal}`, [POD_INDEX_LABEL]: String(ordinal), [CONTROLLER_REVISION_HASH_LABEL]: o.rev ?? 'web-new' },
      ...(o.deleting ? { deletionTimestamp: iso(T0) } : {}),
    },
    spec: { containers: [] },
    status: {
      phase: o.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: iso(o.readySince ?? T0) }],
    },
  };
}

/** "create web-1", "delete web-2": the plan's pod operations in order. */
function ops(actions: readonly StatefulAction<Pod>[]): string[] {
  return actions.flatMap((a) => {
    switch (a.type) {
      case 'create': return [`create ${a.pod.metadata?.name ?? ''}`];
      case 'delete': return [`delete ${a.pod.metadata?.name ?? ''}`];
      case 'relabel': return [`relabel ${a.pod.metadata?.name ?? ''}`];
      case 'ensureClaims':
      case 'claimOwners':
        return [];
    }
  });
}

test('names: <set>-<ordinal> pods and <template>-<set>-<ordinal> claims with the selector labels', (t) => {
  t.deepEqual(parentAndOrdinal('web-12'), { parent: 'web', ordinal: 12 });
  t.deepEqual(parentAndOrdinal('my-web-0'), { parent: 'my-web', ordinal: 0 });
  t.is(parentAndOrdinal('web').ordinal, -1);
  const claims = claimsFor(set(), 2);
  t.is(claims[0]?.metadata?.name, 'www-web-2');
  t.deepEqual(claims[0]?.metadata?.labels, { app: 'nginx' });
  t.deepEqual(claims[0]?.spec?.accessModes, ['ReadWriteOnce']);
});

test('a new pod: stable identity, hostname + subdomain, its claim as a volume, the revision label', (t) => {
  const p = newStatefulSetPod(set(), template2, 'web-new', 1, REF);
  t.is(p.metadata?.name, 'web-1');
  t.like(p.metadata?.labels, { app: 'nginx', [STATEFULSET_POD_NAME_LABEL]: 'web-1', [POD_INDEX_LABEL]: '1', [CONTROLLER_REVISION_HASH_LABEL]: 'web-new' });
  t.is(p.spec?.hostname, 'web-1');
  t.is(p.spec?.subdomain, 'web');
  t.deepEqual(p.spec?.volumes, [{ name: 'www', persistentVolumeClaim: { claimName: 'www-web-1' } }]);
  t.deepEqual(p.metadata?.ownerReferences, [REF]);
});

test('OrderedReady: one pod at a time, in ordinal order, each once the one before is Running and Ready', (t) => {
  t.deepEqual(ops(planStatefulSet(set(), [], SAME, REF, NOW).actions), ['create web-0']);
  const waiting = planStatefulSet(set(), [pod(0, { ready: false })], SAME, REF, NOW);
  t.deepEqual(ops(waiting.actions), []);
  t.is(waiting.waitingFor, 'web-0 to be Running and Ready');
  t.deepEqual(ops(planStatefulSet(set(), [pod(0, { phase: 'Pending', ready: false })], SAME, REF, NOW).actions), []);
  t.deepEqual(ops(planStatefulSet(set(), [pod(0)], SAME, REF, NOW).actions), ['create web-1']);
  t.deepEqual(ops(planStatefulSet(set(), [pod(0), pod(1)], SAME, REF, NOW).actions), ['create web-2']);
  t.deepEqual(ops(planStatefulSet(set(), [pod(0), pod(1), pod(2)], SAME, REF, NOW).actions), []);
  // minReadySeconds: ready is not enough until it has lasted.
  const fresh = planStatefulSet(set({ minReadySeconds: 30 }), [pod(0, { readySince: NOW - 10_000 })], SAME, REF, NOW);
  t.is(fresh.waitingFor, 'web-0 to be available');
  t.deepEqual(ops(planStatefulSet(set({ minReadySeconds: 30 }), [pod(0, { readySince: NOW - 40_000 })], SAME, REF, NOW).actions), ['create web-1']);
  // ordinals.start moves the names.
  t.deepEqual(ops(planStatefulSet(set({ ordinals: { start: 5 } }), [], SAME, REF, NOW).actions), ['create web-5']);
});

test('a pod that is gone or failed comes back under its own name; a pending one gets its claims', (t) => {
  t.deepEqual(ops(planStatefulSet(set(), [pod(0), pod(2)], SAME, REF, NOW).actions), ['create web-1']);
  t.deepEqual(ops(planStatefulSet(set(), [pod(0), pod(1, { phase: 'Failed' }), pod(2)], SAME, REF, NOW).actions), ['delete web-1']);
  // Still terminating: wait, the name is taken until it is gone.
  t.deepEqual(ops(planStatefulSet(set(), [pod(0), pod(1, { deleting: true }), pod(2)], SAME, REF, NOW).actions), []);
  const pending = planStatefulSet(set(), [pod(0, { phase: 'Pending', ready: false })], SAME, REF, NOW);
  t.deepEqual(pending.actions.map((a) => a.type), ['ensureClaims']);
});

test('Parallel: every missing pod at once, and no waiting on readiness', (t) => {
  const par = set({ podManagementPolicy: 'Parallel' });
  t.deepEqual(ops(planStatefulSet(par, [], SAME, REF, NOW).actions), ['create web-0', 'create web-1', 'create web-2']);
  t.deepEqual(ops(planStatefulSet(par, [pod(0, { ready: false })], SAME, REF, NOW).actions), ['create web-1', 'create web-2']);
  t.deepEqual(ops(planStatefulSet({ ...par, spec: { ...par.spec!, replicas: 1 } }, [pod(0), pod(1), pod(2)], SAME, REF, NOW).actions), ['delete web-2', 'delete web-1']);
});

test('scale down: highest ordinal first, one at a time, only while the rest is healthy', (t) => {
  const one = set({ replicas: 1 });
  t.deepEqual(ops(planStatefulSet(one, [pod(0), pod(1), pod(2)], SAME, REF, NOW).actions), ['delete web-2']);
  t.deepEqual(ops(planStatefulSet(one, [pod(0), pod(1), pod(2, { deleting: true })], SAME, REF, NOW).actions), []);
  t.deepEqual(ops(planStatefulSet(one, [pod(0), pod(1)], SAME, REF, NOW).actions), ['delete web-1']);
  // web-0 not ready: nothing is deleted (it must recover first).
  t.deepEqual(ops(planStatefulSet(one, [pod(0, { ready: false }), pod(1)], SAME, REF, NOW).actions), []);
  // The first unhealthy pod itself may go.
  t.deepEqual(ops(planStatefulSet(one, [pod(0), pod(1, { ready: false })], SAME, REF, NOW).actions), ['delete web-1']);
});

test('RollingUpdate: highest ordinal first, one at a time, waiting for each; partition holds the lower ones', (t) => {
  const old = [pod(0, { rev: 'web-old' }), pod(1, { rev: 'web-old' }), pod(2, { rev: 'web-old' })];
  const first = planStatefulSet(set(), old, REVS, REF, NOW);
  t.deepEqual(ops(first.actions), ['delete web-2']);
  t.is(first.deletedForUpdate, 1);
  // web-2 back at the new revision but not ready yet: OrderedReady waits for it.
  t.deepEqual(ops(planStatefulSet(set(), [old[0]!, old[1]!, pod(2, { ready: false })], REVS, REF, NOW).actions), []);
  t.deepEqual(ops(planStatefulSet(set(), [old[0]!, old[1]!, pod(2)], REVS, REF, NOW).actions), ['delete web-1']);
  t.deepEqual(ops(planStatefulSet(set(), [old[0]!, pod(1), pod(2)], REVS, REF, NOW).actions), ['delete web-0']);
  t.deepEqual(ops(planStatefulSet(set(), [pod(0), pod(1), pod(2)], REVS, REF, NOW).actions), []);
  // A pod made again below the partition is at the current revision; at or above it, the update one.
  const part = set({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } });
  t.deepEqual(ops(planStatefulSet(part, [old[0]!, old[1]!, pod(2)], REVS, REF, NOW).actions), []);
  const remade = planStatefulSet(part, [old[0]!, old[2]!], REVS, REF, NOW).actions[0];
  t.is(remade?.type === 'create' ? remade.pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] : '', 'web-old');
  // OnDelete: nothing but status.
  t.deepEqual(ops(planStatefulSet(set({ updateStrategy: { type: 'OnDelete' } }), old, REVS, REF, NOW).actions), []);
});

test('status: counts, revisions, and the update revision becoming current once all are updated and ready', (t) => {
  const s = set();
  const mid = statefulSetStatus(s, [pod(0, { rev: 'web-old' }), pod(1, { rev: 'web-old' }), pod(2, { ready: false })], REVS, 0, 0, NOW);
  t.like(mid, { replicas: 3, readyReplicas: 2, availableReplicas: 2, currentReplicas: 2, updatedReplicas: 1, currentRevision: 'web-old', updateRevision: 'web-new', observedGeneration: 3, collisionCount: 0 });
  const done = statefulSetStatus(s, [pod(0), pod(1), pod(2)], REVS, 0, 0, NOW);
  t.like(done, { replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3, currentRevision: 'web-new', updateRevision: 'web-new' });
});

test('claim owners follow persistentVolumeClaimRetentionPolicy', (t) => {
  const setRef = (r: OwnerReference): boolean => r.kind === 'StatefulSet' && r.uid === 'set-uid';
  const podRef = (r: OwnerReference): boolean => r.kind === 'Pod' && r.uid === 'pod-2';
  // Retain/Retain: no owner, so nothing to do for a claim without one.
  t.is(claimOwnerRefs([], set({ replicas: 1 }), pod(2)), undefined);
  // whenDeleted Delete: the set owns the claims of its replicas.
  const whenDeleted = set({ persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' } });
  const d = claimOwnerRefs([], whenDeleted, pod(2));
  t.true(!!d && d.length === 1 && setRef(d[0]!) && d[0]!.controller === true);
  t.is(claimOwnerRefs(d!, whenDeleted, pod(2)), undefined);
  // whenScaled Delete: the pod owns the claim once its ordinal is condemned, not before.
  const whenScaled = set({ replicas: 1, persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Delete' } });
  const sc = claimOwnerRefs([], whenScaled, pod(2));
  t.true(!!sc && sc.length === 1 && podRef(sc[0]!));
  t.is(claimOwnerRefs([], whenScaled, pod(0)), undefined);
  // Both: the set while in range, the pod once condemned.
  const both = set({ replicas: 1, persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' } });
  t.true(setRef(claimOwnerRefs([], both, pod(0))![0]!));
  const moved = claimOwnerRefs(claimOwnerRefs([], { ...both, spec: { ...both.spec!, replicas: 3 } }, pod(2))!, both, pod(2));
  t.true(!!moved && moved.length === 1 && podRef(moved[0]!));
  // Back to Retain: our references go.
  t.deepEqual(claimOwnerRefs(d!, set(), pod(2)), []);
  // Another controller's claim, or a stale reference to an earlier set of that name, is left alone.
  const other: OwnerReference = { apiVersion: 'v1', kind: 'Thing', name: 'x', uid: 'other', controller: true };
  t.is(claimOwnerRefs([other], whenDeleted, pod(2)), undefined);
  t.is(claimOwnerRefs([{ ...REF, uid: 'old-set' }], whenDeleted, pod(2)), undefined);
});
