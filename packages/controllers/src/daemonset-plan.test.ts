import test from 'ava';
import type { ControllerRevision, DaemonSet, Node, Pod } from '@tugboat/api';
import { pinToNode } from './daemonset-nodes.js';
import {
  CONTROLLER_REVISION_HASH_LABEL, daemonSetHash, daemonSetStatus, placementFor, planNodes, planRollingUpdate, podsByNode,
  revisionData, revisionMatches, revisionsToDelete, rollingUpdateLimits,
} from './daemonset-plan.js';
import { daemonPodSpec } from './daemonset-nodes.js';

const T0 = Date.UTC(2024, 0, 1);
const iso = (ms: number): string => new Date(ms).toISOString();

function pod(name: string, node: string, opts: { hash?: string; ready?: boolean; phase?: string; created?: number; deleting?: boolean; bound?: boolean } = {}): Pod {
  return {
    metadata: {
      name, namespace: 'default', creationTimestamp: iso(opts.created ?? T0),
      labels: { app: 'agent', [CONTROLLER_REVISION_HASH_LABEL]: opts.hash ?? 'new' },
      ...(opts.deleting ? { deletionTimestamp: iso(T0) } : {}),
    },
    spec: { containers: [], affinity: pinToNode(undefined, node), ...(opts.bound === false ? {} : { nodeName: node }) },
    status: { phase: opts.phase ?? 'Running', conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True', lastTransitionTime: iso(T0) }] },
  };
}

const nodes = (...names: string[]): Node[] => names.map((name) => ({ metadata: { name }, spec: {} }));
const ds: DaemonSet = {
  metadata: { name: 'agent', namespace: 'default', generation: 2 },
  spec: {
    selector: { matchLabels: { app: 'agent' } },
    template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
  },
};
const all = placementFor(daemonPodSpec(ds));
const names = (ps: readonly Pod[]): string[] => ps.map((p) => p.metadata?.name ?? '').sort();
const NOW = T0 + 60_000;

test('planNodes: a pod for each node without one; extras, finished pods and pods on gone nodes go', (t) => {
  const byNode = podsByNode([
    pod('a1', 'a'), pod('b1', 'b', { created: T0 }), pod('b2', 'b', { created: T0 + 1000 }),
    pod('c1', 'c', { phase: 'Failed' }), pod('gone', 'zz', { bound: false }),
  ]);
  const plan = planNodes(nodes('a', 'b', 'c', 'd'), all, byNode, 'new', false, 0, NOW);
  t.deepEqual(plan.nodesNeedingPods, ['d']);
  t.deepEqual(names(plan.podsToDelete), ['b2', 'c1', 'gone'], 'the newer of two goes; the failed pod is replaced');
  t.is(plan.failedOn.get('c')?.metadata?.name, 'c1');
});

test('planNodes: a pod being deleted still holds its node (no replacement until it is gone)', (t) => {
  const plan = planNodes(nodes('a'), all, podsByNode([pod('a1', 'a', { deleting: true })]), 'new', false, 0, NOW);
  t.deepEqual(plan.nodesNeedingPods, []);
  t.deepEqual(plan.podsToDelete, []);
});

test('planNodes: a node that should not run the pod loses it', (t) => {
  const sel = placementFor(daemonPodSpec({ ...ds, spec: { ...ds.spec!, template: { ...ds.spec!.template, spec: { containers: [], nodeSelector: { role: 'x' } } } } }));
  const plan = planNodes(nodes('a'), sel, podsByNode([pod('a1', 'a')]), 'new', false, 0, NOW);
  t.deepEqual(names(plan.podsToDelete), ['a1']);
});

test('planNodes with surge: old and new share a node until the new one is available', (t) => {
  const waiting = podsByNode([pod('old', 'a', { hash: 'old' }), pod('new', 'a', { created: T0 + 1, ready: false })]);
  t.deepEqual(planNodes(nodes('a'), all, waiting, 'new', true, 0, NOW).podsToDelete, []);
  const up = podsByNode([pod('old', 'a', { hash: 'old' }), pod('new', 'a', { created: T0 + 1 })]);
  t.deepEqual(names(planNodes(nodes('a'), all, up, 'new', true, 0, NOW).podsToDelete), ['old']);
});

test('rolling update, maxUnavailable 1: one old pod at a time, none while a node is unavailable', (t) => {
  const limits = rollingUpdateLimits(ds, 3);
  t.deepEqual(limits, { maxSurge: 0, maxUnavailable: 1, desired: 3 });
  const old3 = podsByNode([pod('a1', 'a', { hash: 'old' }), pod('b1', 'b', { hash: 'old' }), pod('c1', 'c', { hash: 'old' })]);
  const step = planRollingUpdate(old3, 'new', limits, () => true, 0, NOW);
  t.is(step.podsToDelete.length, 1);
  t.deepEqual(step.nodesToCreate, []);
  const midway = podsByNode([pod('a2', 'a', { ready: false }), pod('b1', 'b', { hash: 'old' }), pod('c1', 'c', { hash: 'old' })]);
  t.deepEqual(planRollingUpdate(midway, 'new', limits, () => true, 0, NOW).podsToDelete, [], 'the new pod on a is not available yet');
  const brokenOld = podsByNode([pod('a2', 'a', { ready: false }), pod('b1', 'b', { hash: 'old', ready: false }), pod('c1', 'c', { hash: 'old' })]);
  t.deepEqual(names(planRollingUpdate(brokenOld, 'new', limits, () => true, 0, NOW).podsToDelete), ['b1'], 'an unavailable old pod is replaced anyway');
});

test('rolling update, maxUnavailable 50% of 4 nodes: two at a time; minReadySeconds counts', (t) => {
  const limits = rollingUpdateLimits({ ...ds, spec: { ...ds.spec!, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '50%', maxSurge: 0 } } } }, 4);
  t.is(limits.maxUnavailable, 2);
  const old4 = podsByNode(['a', 'b', 'c', 'd'].map((n) => pod(`${n}1`, n, { hash: 'old' })));
  t.is(planRollingUpdate(old4, 'new', limits, () => true, 0, NOW).podsToDelete.length, 2);
  t.is(planRollingUpdate(old4, 'new', limits, () => true, 120, NOW).podsToDelete.length, 4, 'not yet available for 120 s: each may be replaced');
});

test('rolling update with maxSurge 1: a new pod next to an old one, then the old one goes', (t) => {
  const limits = rollingUpdateLimits({ ...ds, spec: { ...ds.spec!, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } } }, 2);
  t.deepEqual(limits, { maxSurge: 1, maxUnavailable: 0, desired: 2 });
  const old2 = podsByNode([pod('a1', 'a', { hash: 'old' }), pod('b1', 'b', { hash: 'old' })]);
  const first = planRollingUpdate(old2, 'new', limits, () => true, 0, NOW);
  t.deepEqual(first, { podsToDelete: [], nodesToCreate: ['a'] });
  const surging = podsByNode([pod('a1', 'a', { hash: 'old' }), pod('a2', 'a', { ready: false }), pod('b1', 'b', { hash: 'old' })]);
  t.deepEqual(planRollingUpdate(surging, 'new', limits, () => true, 0, NOW), { podsToDelete: [], nodesToCreate: [] });
  const ready = podsByNode([pod('a1', 'a', { hash: 'old' }), pod('a2', 'a'), pod('b1', 'b', { hash: 'old' })]);
  const next = planRollingUpdate(ready, 'new', limits, () => true, 0, NOW);
  t.deepEqual(names(next.podsToDelete), ['a1']);
  t.deepEqual(next.nodesToCreate, ['b']);
});

test('both limits zero still make progress one node at a time', (t) => {
  const zero = { ...ds, spec: { ...ds.spec!, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } } };
  t.is(rollingUpdateLimits(zero, 3).maxUnavailable, 1);
});

test('status: desired, current, ready, available, updated and misscheduled per node', (t) => {
  const sel = placementFor(daemonPodSpec({ ...ds, spec: { ...ds.spec!, template: { ...ds.spec!.template, spec: { containers: [], nodeSelector: { run: 'yes' } } } } }));
  const ns: Node[] = [
    { metadata: { name: 'a', labels: { run: 'yes' } } }, { metadata: { name: 'b', labels: { run: 'yes' } } },
    { metadata: { name: 'c', labels: { run: 'yes' } } }, { metadata: { name: 'd' } },
  ];
  const byNode = podsByNode([pod('a1', 'a'), pod('b1', 'b', { hash: 'old', ready: false }), pod('d1', 'd')]);
  const st = daemonSetStatus(ds, ns, sel, byNode, 'new', NOW);
  t.deepEqual(st, {
    currentNumberScheduled: 2, numberMisscheduled: 1, desiredNumberScheduled: 3, numberReady: 1, observedGeneration: 2,
    updatedNumberScheduled: 1, numberAvailable: 1, numberUnavailable: 2,
  });
});

test('history: a revision records the template as a replace patch; the hash follows the template', (t) => {
  const cr: ControllerRevision = { metadata: { name: 'agent-x' }, data: revisionData(ds), revision: 1 };
  t.deepEqual(cr.data, { spec: { template: { ...ds.spec!.template, $patch: 'replace' } } });
  t.true(revisionMatches(ds, cr));
  const changed: DaemonSet = { ...ds, spec: { ...ds.spec!, template: { ...ds.spec!.template, metadata: { labels: { app: 'agent', v: '2' } } } } };
  t.false(revisionMatches(changed, cr));
  t.not(daemonSetHash(changed), daemonSetHash(ds));
  t.is(daemonSetHash(ds), daemonSetHash(structuredClone(ds)));
  t.not(daemonSetHash({ ...ds, status: { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0, collisionCount: 1 } }), daemonSetHash(ds));
});

test('history: the oldest revisions beyond the limit go, unless a live pod was made from one', (t) => {
  const rev = (n: number, hash: string): ControllerRevision => ({ metadata: { name: `r${n}`, labels: { [CONTROLLER_REVISION_HASH_LABEL]: hash } }, revision: n });
  const old = [rev(3, 'h3'), rev(1, 'h1'), rev(2, 'h2')];
  t.deepEqual(revisionsToDelete(old, 1, new Set()).map((r) => r.revision), [1, 2]);
  t.deepEqual(revisionsToDelete(old, 1, new Set(['h1'])).map((r) => r.revision), [2, 3]);
  t.deepEqual(revisionsToDelete(old, 10, new Set()), []);
});
