import test from 'ava';
import type { KubeObject, OwnerReference } from '@tugboat/api';
import { OwnerGraph, decideAttemptToDelete, decideDeletingDependents, ownerState, type ItemFacts } from './gc-graph.js';

function ref(uid: string, block = true): OwnerReference {
  return { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: uid, uid, controller: true, blockOwnerDeletion: block };
}

function obj(uid: string, owners: OwnerReference[] = [], extra: { deleting?: boolean; finalizers?: string[] } = {}): KubeObject {
  return {
    metadata: {
      name: uid, namespace: 'default', uid, ownerReferences: owners,
      ...(extra.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}),
      ...(extra.finalizers ? { finalizers: extra.finalizers } : {}),
    },
  };
}

const plain: ItemFacts = { beingDeleted: false, finalizers: [], hasDependents: false, dependentDeletingDependents: false };

test('graph: dependents are indexed by owner uid, including owners not seen yet', (t) => {
  const g = new OwnerGraph();
  const c1 = g.upsert(obj('pod-1', [ref('rs')]), 'pods');
  t.deepEqual(c1?.unseenOwners, ['rs']);
  g.upsert(obj('pod-2', [ref('rs')]), 'pods');
  t.deepEqual(g.dependents('rs').map((n) => n.uid).sort(), ['pod-1', 'pod-2']);
  t.is(g.observed('rs'), undefined, 'a virtual node until the owner is observed');
  const c2 = g.upsert(obj('rs'), 'replicasets');
  t.truthy(g.observed('rs'));
  t.deepEqual(c2?.unseenOwners, []);
  t.is(g.dependents('rs').length, 2);
});

test('graph: dropping a reference releases the owner and unlinks the dependent', (t) => {
  const g = new OwnerGraph();
  g.upsert(obj('rs'), 'replicasets');
  g.upsert(obj('pod', [ref('rs')]), 'pods');
  const c = g.upsert(obj('pod', []), 'pods');
  t.deepEqual(c?.releasedOwners, ['rs']);
  t.is(g.dependents('rs').length, 0);
  // Clearing blockOwnerDeletion also releases a foreground wait.
  g.upsert(obj('pod', [ref('rs', true)]), 'pods');
  t.deepEqual(g.upsert(obj('pod', [ref('rs', false)]), 'pods')?.releasedOwners, ['rs']);
  t.is(g.blockingDependents('rs').length, 0);
  t.is(g.dependents('rs').length, 1);
});

test('graph: removing an owner keeps its dependents findable; virtual nodes vanish with their last dependent', (t) => {
  const g = new OwnerGraph();
  g.upsert(obj('rs'), 'replicasets');
  g.upsert(obj('pod', [ref('rs')]), 'pods');
  const removed = g.remove('rs');
  t.deepEqual([...(removed?.dependents ?? [])], ['pod']);
  t.is(g.observed('rs'), undefined);
  t.is(g.dependents('rs').length, 1);
  g.remove('pod');
  t.is(g.get('rs'), undefined);
  t.is(g.size(), 0);
});

test('graph: transitions into foreground deletion and orphaning are reported once', (t) => {
  const g = new OwnerGraph();
  g.upsert(obj('d'), 'deployments');
  const fg = g.upsert(obj('d', [], { deleting: true, finalizers: ['foregroundDeletion'] }), 'deployments');
  t.true(fg?.startedDeletingDependents);
  t.false(g.upsert(obj('d', [], { deleting: true, finalizers: ['foregroundDeletion'] }), 'deployments')?.startedDeletingDependents);
  g.upsert(obj('o'), 'deployments');
  t.true(g.upsert(obj('o', [], { deleting: true, finalizers: ['orphan'] }), 'deployments')?.startedOrphaning);
});

test('owner states: gone is dangling, foreground-deleting is waiting, anything else is solid', (t) => {
  t.is(ownerState({ exists: false }), 'dangling');
  t.is(ownerState({ exists: true, beingDeleted: true, finalizers: ['foregroundDeletion'] }), 'waiting');
  t.is(ownerState({ exists: true, beingDeleted: true, finalizers: ['orphan'] }), 'solid');
  t.is(ownerState({ exists: true }), 'solid');
});

test('all owners gone: delete in the background', (t) => {
  t.deepEqual(decideAttemptToDelete(plain, [{ uid: 'a', state: 'dangling' }]), { action: 'delete', policy: 'Background', unblockUids: [] });
});

test('one live owner left: keep the object, drop the dead references', (t) => {
  t.deepEqual(
    decideAttemptToDelete(plain, [{ uid: 'a', state: 'dangling' }, { uid: 'b', state: 'solid' }, { uid: 'c', state: 'waiting' }]),
    { action: 'removeOwnerReferences', uids: ['a', 'c'] },
  );
  t.deepEqual(decideAttemptToDelete(plain, [{ uid: 'b', state: 'solid' }]), { action: 'none' });
});

test('an owner waiting in the foreground: dependents with dependents go in the foreground too', (t) => {
  t.deepEqual(decideAttemptToDelete({ ...plain, hasDependents: true }, [{ uid: 'd', state: 'waiting' }]), { action: 'delete', policy: 'Foreground', unblockUids: [] });
  t.deepEqual(decideAttemptToDelete(plain, [{ uid: 'd', state: 'waiting' }]), { action: 'delete', policy: 'Background', unblockUids: [] });
  t.deepEqual(
    decideAttemptToDelete({ ...plain, hasDependents: true, dependentDeletingDependents: true }, [{ uid: 'd', state: 'waiting' }]),
    { action: 'delete', policy: 'Foreground', unblockUids: ['d'] },
    'a cycle is broken by unblocking the waiting owner',
  );
});

test('the item\'s own finalizers choose the policy; items already being deleted or without owners are left alone', (t) => {
  t.like(decideAttemptToDelete({ ...plain, finalizers: ['orphan'] }, [{ uid: 'a', state: 'dangling' }]), { action: 'delete', policy: 'Orphan' });
  t.like(decideAttemptToDelete({ ...plain, finalizers: ['foregroundDeletion'] }, [{ uid: 'a', state: 'dangling' }]), { action: 'delete', policy: 'Foreground' });
  t.deepEqual(decideAttemptToDelete({ ...plain, beingDeleted: true }, [{ uid: 'a', state: 'dangling' }]), { action: 'none' });
  t.deepEqual(decideAttemptToDelete(plain, []), { action: 'none' });
});

test('foreground owner: waits for blocking dependents, then drops its finalizer', (t) => {
  const g = new OwnerGraph();
  g.upsert(obj('rs', [], { deleting: true, finalizers: ['foregroundDeletion'] }), 'replicasets');
  g.upsert(obj('blocking', [ref('rs', true)]), 'pods');
  g.upsert(obj('non-blocking', [ref('rs', false)]), 'pods');
  g.upsert(obj('child-fg', [ref('rs', true)], { deleting: true, finalizers: ['foregroundDeletion'] }), 'replicasets');
  t.deepEqual(decideDeletingDependents(g.blockingDependents('rs')), { action: 'deleteDependents', uids: ['blocking'] });
  g.remove('blocking');
  g.remove('child-fg');
  t.deepEqual(decideDeletingDependents(g.blockingDependents('rs')), { action: 'removeFinalizer' });
});
