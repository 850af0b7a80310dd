import test from 'ava';
import type { Pod } from '@tugboat/api';
import type { ReplicaSetObject } from './informers.js';
import { podFromTemplate, podsToDelete, replicaSetStatus } from './replicaset.js';
import { slowStartBatch, slowStartBatchSizes } from './slow-start.js';

const T0 = Date.UTC(2024, 0, 1);
const iso = (ms: number): string => new Date(ms).toISOString();

function pod(name: string, opts: { node?: string; phase?: string; ready?: boolean; readySince?: number; created?: number; restarts?: number; cost?: number; labels?: Record<string, string> } = {}): Pod {
  return {
    metadata: {
      name,
      namespace: 'default',
      creationTimestamp: iso(opts.created ?? T0),
      ...(opts.labels ? { labels: opts.labels } : {}),
      ...(opts.cost !== undefined ? { annotations: { 'controller.kubernetes.io/pod-deletion-cost': String(opts.cost) } } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'busybox' }], ...(opts.node ? { nodeName: opts.node } : {}) },
    status: {
      phase: opts.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True', lastTransitionTime: iso(opts.readySince ?? T0) }],
      containerStatuses: [{ name: 'c', image: 'busybox', imageID: '', ready: opts.ready !== false, restartCount: opts.restarts ?? 0 }],
    },
  };
}

const names = (pods: Pod[]): string[] => pods.map((p) => p.metadata?.name ?? '');

test('surplus: unscheduled pods go first', (t) => {
  const pods = [pod('on-node', { node: 'n1' }), pod('unscheduled', { phase: 'Pending', ready: false })];
  t.deepEqual(names(podsToDelete(pods, pods, 1)), ['unscheduled']);
});

test('surplus: pending before unknown before running; not ready before ready', (t) => {
  const pods = [
    pod('running-ready', { node: 'n1' }),
    pod('running-not-ready', { node: 'n1', ready: false }),
    pod('unknown', { node: 'n1', phase: 'Unknown', ready: false }),
    pod('pending', { node: 'n1', phase: 'Pending', ready: false }),
  ];
  t.deepEqual(names(podsToDelete(pods, pods, 4)), names(pods), 'deleting all keeps the order given');
  t.deepEqual(names(podsToDelete(pods, pods, 3)), ['pending', 'unknown', 'running-not-ready']);
});

test('surplus: among equals, the newest pod goes first', (t) => {
  const pods = [pod('old', { node: 'n1', created: T0 }), pod('newest', { node: 'n1', created: T0 + 2000 }), pod('mid', { node: 'n1', created: T0 + 1000 })];
  t.deepEqual(names(podsToDelete(pods, pods, 2)), ['newest', 'mid']);
});

test('surplus: pods on crowded nodes go before pods alone on theirs', (t) => {
  const pods = [pod('a1', { node: 'a', created: T0 + 5000 }), pod('b1', { node: 'b' }), pod('b2', { node: 'b' })];
  const [first] = podsToDelete(pods, pods, 1);
  t.is(first?.spec?.nodeName, 'b', 'scale-down keeps the spread even though a1 is the newest');
});

test('surplus: ready for less time goes first, then more restarts, then deletion cost overrides', (t) => {
  const fresh = pod('ready-recently', { node: 'n1', readySince: T0 + 1000 });
  const long = pod('ready-long', { node: 'n1', readySince: T0 });
  t.deepEqual(names(podsToDelete([long, fresh], [], 1)), ['ready-recently']);
  const flaky = pod('flaky', { node: 'n1', restarts: 5 });
  const steady = pod('steady', { node: 'n1' });
  t.deepEqual(names(podsToDelete([steady, flaky], [], 1)), ['flaky']);
  const cheap = pod('cheap', { node: 'n1', cost: -10, created: T0 });
  const newer = pod('newer', { node: 'n1', created: T0 + 9000 });
  t.deepEqual(names(podsToDelete([newer, cheap], [], 1)), ['cheap']);
});

const rs: ReplicaSetObject = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'web-abc', namespace: 'default', uid: 'rs-uid', generation: 3 },
  spec: {
    replicas: 3,
    minReadySeconds: 10,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web', tier: 'fe' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
  },
};

test('status counts replicas, fully labeled, ready and available (minReadySeconds)', (t) => {
  const pods = [
    pod('a', { labels: { app: 'web', tier: 'fe' }, readySince: T0 }),
    pod('b', { labels: { app: 'web' }, readySince: T0 + 5000 }),
    pod('c', { labels: { app: 'web', tier: 'fe' }, ready: false }),
  ];
  const s = replicaSetStatus(rs, pods, undefined, T0 + 10_000);
  t.deepEqual(s, { replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1, observedGeneration: 3 });
  t.is(replicaSetStatus(rs, pods, undefined, T0 + 15_000).availableReplicas, 2);
});

test('status: a failed create sets ReplicaFailure, a clean sync removes it', (t) => {
  const failed = replicaSetStatus(rs, [], { reason: 'FailedCreate', message: 'quota' }, T0);
  t.is(failed.conditions?.[0]?.type, 'ReplicaFailure');
  t.is(failed.conditions?.[0]?.reason, 'FailedCreate');
  const healed = replicaSetStatus({ ...rs, status: failed }, [], undefined, T0);
  t.is(healed.conditions, undefined);
});

test('pods from the template: generated name, labels, controller reference', (t) => {
  const p = podFromTemplate(rs, rs.spec?.template ?? {}, 'x2b4z');
  t.is(p.metadata?.name, 'web-abc-x2b4z');
  t.is(p.metadata?.generateName, 'web-abc-');
  t.deepEqual(p.metadata?.labels, { app: 'web', tier: 'fe' });
  t.deepEqual(p.metadata?.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }]);
  t.not(p.spec, rs.spec?.template?.spec, 'the spec is a copy');
});

test('slow start: batches of 1, 2, 4, … up to the count', (t) => {
  t.deepEqual(slowStartBatchSizes(10), [1, 2, 4, 3]);
  t.deepEqual(slowStartBatchSizes(1), [1]);
  t.deepEqual(slowStartBatchSizes(0), []);
  t.deepEqual(slowStartBatchSizes(7), [1, 2, 4]);
});

test('slow start: a broken template costs one call, not all of them', async (t) => {
  let calls = 0;
  const res = await slowStartBatch(100, 1, async () => { calls++; throw new Error('invalid image'); });
  t.is(calls, 1);
  t.is(res.successes, 0);
  t.is((res.error as Error).message, 'invalid image');
});

test('slow start: stops after the first failing batch and counts its successes', async (t) => {
  let calls = 0;
  const res = await slowStartBatch(20, 1, async () => {
    calls++;
    // Calls 1..3 (batches of 1 and 2) succeed, the 5th fails inside the batch of 4.
    if (calls === 5) throw new Error('quota');
  });
  t.is(calls, 7);
  t.is(res.successes, 6);
  t.truthy(res.error);
});
