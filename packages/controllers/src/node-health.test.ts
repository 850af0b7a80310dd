import test from 'ava';
import type { NodeCondition, Pod, Taint, Toleration } from '@tugboat/api';
import {
  ProbeTracker, desiredTaints, disruption, formatDisruption, nodeHealth, podEvictionDecision, unknownConditions,
  type NodeHealthResult,
} from './node-health.js';
import { tolerates } from './taints.js';

const T0 = Date.UTC(2024, 0, 1);
const GRACE = 10_000;
const ready = (status: string, reason = 'KubeletReady'): NodeCondition => ({ type: 'Ready', status, reason, lastHeartbeatTime: new Date(T0).toISOString() });

test('a node is unreachable only once silent for longer than the grace period', (t) => {
  t.is(nodeHealth({ lastProbeMs: T0, ready: ready('True') }, T0 + GRACE, GRACE).health, 'Healthy');
  t.is(nodeHealth({ lastProbeMs: T0, ready: ready('True') }, T0 + GRACE + 1, GRACE).health, 'Unreachable');
});

test('an agent reporting Ready=False makes the node NotReady; our own Unknown does not outlive a renewed lease', (t) => {
  t.is(nodeHealth({ lastProbeMs: T0, ready: ready('False') }, T0 + 1000, GRACE).health, 'NotReady');
  t.is(nodeHealth({ lastProbeMs: T0, ready: ready('Unknown', 'NodeStatusUnknown') }, T0 + 1000, GRACE).health, 'Healthy');
  t.is(nodeHealth({ lastProbeMs: T0, ready: undefined }, T0 + 1000, GRACE).health, 'Healthy', 'a node that never posted gets its grace');
});

test('silent for over half the grace period: healthy but suspect', (t) => {
  t.false(nodeHealth({ lastProbeMs: T0, ready: ready('True') }, T0 + 5000, GRACE).suspect);
  t.true(nodeHealth({ lastProbeMs: T0, ready: ready('True') }, T0 + 5001, GRACE).suspect);
});

const h = (health: NodeHealthResult['health'], suspect = false): NodeHealthResult => ({ health, suspect, silentMs: 0 });

test('full disruption above 55% unhealthy: 2 of 3 halts, 1 of 3 does not', (t) => {
  t.is(disruption([h('Unreachable'), h('Healthy'), h('Healthy')]).mode, 'Normal');
  const two = disruption([h('Unreachable'), h('Unreachable'), h('Healthy')]);
  t.is(two.mode, 'FullDisruption');
  t.is(formatDisruption(two), '2 of 3 nodes (67%) are unhealthy, over the 55% threshold: evictions are halted (full disruption)');
  t.is(disruption([h('Unreachable')]).mode, 'FullDisruption', 'a one-node cluster that lost its node evicts nothing');
  t.is(disruption([]).mode, 'Normal');
  t.is(disruption([h('NotReady'), h('Unreachable'), h('Healthy'), h('Healthy')]).mode, 'Normal', '50% is not over 55%');
});

test('two nodes failing together are seen together even if their leases lapse seconds apart', (t) => {
  // node-a crossed the grace period; node-b, stopped at the same moment, renewed 2 s later.
  const a = nodeHealth({ lastProbeMs: T0, ready: ready('True') }, T0 + 10_500, GRACE);
  const b = nodeHealth({ lastProbeMs: T0 + 2000, ready: ready('True') }, T0 + 10_500, GRACE);
  const c = nodeHealth({ lastProbeMs: T0 + 10_000, ready: ready('True') }, T0 + 10_500, GRACE);
  t.is(a.health, 'Unreachable');
  t.is(b.health, 'Healthy');
  t.is(disruption([a, b, c]).mode, 'FullDisruption');
});

test('taints follow health: unreachable, not-ready, and removed when healthy again', (t) => {
  const unreachable = desiredTaints(undefined, 'Unreachable', T0);
  t.deepEqual(unreachable, [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2024-01-01T00:00:00Z' }]);
  t.is(desiredTaints(unreachable, 'Unreachable', T0 + 5000), undefined, 'already right: no write');
  const user: Taint = { key: 'dedicated', value: 'db', effect: 'NoSchedule' };
  const swapped = desiredTaints([user, ...(unreachable ?? [])], 'NotReady', T0);
  t.deepEqual(swapped?.map((x) => x.key), ['dedicated', 'node.kubernetes.io/not-ready']);
  t.deepEqual(desiredTaints(swapped, 'Healthy', T0), [user], 'user taints are kept');
  t.is(desiredTaints([user], 'Healthy', T0), undefined);
});

test('a silent node: every posted condition becomes Unknown once', (t) => {
  const conds: NodeCondition[] = [ready('True'), { type: 'MemoryPressure', status: 'False' }];
  const next = unknownConditions(conds, T0);
  t.deepEqual(next?.map((c) => [c.type, c.status, c.reason]), [['Ready', 'Unknown', 'NodeStatusUnknown'], ['MemoryPressure', 'Unknown', 'NodeStatusUnknown']]);
  t.is(next?.[0]?.message, 'Kubelet stopped posting node status.');
  t.is(next?.[0]?.lastHeartbeatTime, conds[0]?.lastHeartbeatTime, 'the last heartbeat stays what it was');
  t.is(unknownConditions(next, T0 + 1000), undefined);
  t.deepEqual(unknownConditions([], T0)?.map((c) => [c.type, c.reason]), [['Ready', 'NodeStatusNeverUpdated']]);
});

function pod(tolerations: Toleration[] = [], extra: { deleting?: boolean; phase?: string } = {}): Pod {
  return {
    metadata: { name: 'p', namespace: 'default', ...(extra.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
    spec: { containers: [], tolerations, nodeName: 'n' },
    status: { phase: extra.phase ?? 'Running' },
  };
}

const unreachable: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: new Date(T0).toISOString() };

test('tolerations match as Kubernetes matches them', (t) => {
  t.true(tolerates({ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }, unreachable));
  t.true(tolerates({ operator: 'Exists' }, unreachable), 'empty key with Exists tolerates everything');
  t.false(tolerates({ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }, unreachable));
  t.true(tolerates({ key: 'k', operator: 'Equal', value: 'v' }, { key: 'k', value: 'v', effect: 'NoExecute' }));
  t.false(tolerates({ key: 'k', value: 'w' }, { key: 'k', value: 'v', effect: 'NoExecute' }));
});

test('eviction: at once without a toleration; after tolerationSeconds from the taint; never if tolerated forever', (t) => {
  t.deepEqual(podEvictionDecision(pod(), [unreachable], T0), { action: 'evict' });
  const tol30: Toleration = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 };
  t.deepEqual(podEvictionDecision(pod([tol30]), [unreachable], T0 + 10_000), { action: 'evictAt', atMs: T0 + 30_000 });
  t.deepEqual(podEvictionDecision(pod([tol30]), [unreachable], T0 + 30_000), { action: 'evict' });
  const forever: Toleration = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' };
  t.deepEqual(podEvictionDecision(pod([forever]), [unreachable], T0 + 1e9), { action: 'keep' });
  // Two tolerations used for one taint: the shortest wins.
  const tol5: Toleration = { operator: 'Exists', tolerationSeconds: 5 };
  t.deepEqual(podEvictionDecision(pod([tol30, tol5]), [unreachable], T0), { action: 'evictAt', atMs: T0 + 5000 });
});

test('eviction: NoSchedule taints do not evict; pods already deleting or finished are left alone', (t) => {
  t.deepEqual(podEvictionDecision(pod(), [{ key: 'x', effect: 'NoSchedule' }], T0), { action: 'keep' });
  t.deepEqual(podEvictionDecision(pod([], { deleting: true }), [unreachable], T0), { action: 'keep' });
  t.deepEqual(podEvictionDecision(pod([], { phase: 'Succeeded' }), [unreachable], T0), { action: 'keep' });
});

test('probe tracker: a new node gets a full grace period; only a changed lease or heartbeat counts as life', (t) => {
  const p = new ProbeTracker();
  p.observe('n1', 'lease', 'renew-1', T0);
  t.is(p.lastProbe('n1', T0 + 5000), T0, 'first sight starts the clock; the value itself may be old');
  p.observe('n1', 'lease', 'renew-1', T0 + 6000);
  t.is(p.lastProbe('n1', T0 + 7000), T0, 'the same renewTime again is no news');
  p.observe('n1', 'lease', 'renew-2', T0 + 8000);
  t.is(p.lastProbe('n1', T0 + 9000), T0 + 8000);
  p.observe('n1', 'status', 'hb-1', T0 + 9000);
  p.observe('n1', 'status', 'hb-2', T0 + 9500);
  t.is(p.lastProbe('n1', T0 + 9600), T0 + 9500);
  t.is(p.lastProbe('unseen', T0 + 100), T0 + 100);
});
