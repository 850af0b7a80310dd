import test from 'ava';
import { goArch, newNode, nodeStatus, reconcileNode, statusChanged, type NodeConfig, type NodeObject } from './node-object.js';

const cfg: NodeConfig = {
  nodeName: 'node-1',
  labels: { tier: 'edge' },
  taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
  capacity: { cpu: '2', memory: '1024Ki', pods: '110' },
  allocatable: { cpu: '2', memory: '1024Ki', pods: '110' },
  internalIP: '127.0.0.1',
  port: 10250,
  nodeInfo: {
    machineID: 'm', systemUUID: 's', bootID: 'b', kernelVersion: '6.1', osImage: 'Debian', containerRuntimeVersion: 'process://0.1.0',
    kubeletVersion: 'v0.1.0', kubeProxyVersion: '', operatingSystem: 'linux', architecture: 'amd64',
  },
};

test('a new Node: Kubernetes labels plus ours, taints', (t) => {
  const n = newNode(cfg);
  t.deepEqual(n.metadata?.labels, { 'kubernetes.io/hostname': 'node-1', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', tier: 'edge' });
  t.deepEqual(n.spec?.taints, cfg.taints);
});

test('status: capacity, addresses, daemon endpoint, Ready with a fresh heartbeat and a kept transition time', (t) => {
  const s1 = nodeStatus(cfg, undefined, new Date('2024-05-01T10:00:00.500Z'));
  t.deepEqual(s1.addresses, [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: 'node-1' }]);
  t.deepEqual(s1.daemonEndpoints, { kubeletEndpoint: { Port: 10250 } });
  const ready = s1.conditions?.find((c) => c.type === 'Ready');
  t.like(ready, { status: 'True', reason: 'KubeletReady', lastHeartbeatTime: '2024-05-01T10:00:00Z', lastTransitionTime: '2024-05-01T10:00:00Z' });
  const s2 = nodeStatus(cfg, s1, new Date('2024-05-01T10:00:10Z'));
  t.like(s2.conditions?.find((c) => c.type === 'Ready'), { lastHeartbeatTime: '2024-05-01T10:00:10Z', lastTransitionTime: '2024-05-01T10:00:00Z' });
  // The node lifecycle controller marked it Unknown: coming back is a transition.
  const unknown = { ...s2, conditions: (s2.conditions ?? []).map((c) => (c.type === 'Ready' ? { ...c, status: 'Unknown' } : c)) };
  t.like(nodeStatus(cfg, unknown, new Date('2024-05-01T10:05:00Z')).conditions?.find((c) => c.type === 'Ready'), { status: 'True', lastTransitionTime: '2024-05-01T10:05:00Z' });
});

test('an existing Node: our labels and taints added; others\' taints and cordon untouched', (t) => {
  const existing: NodeObject = {
    metadata: { name: 'node-1', uid: 'u', labels: { 'kubernetes.io/hostname': 'node-1', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', team: 'x' } },
    spec: { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] },
  };
  const r = reconcileNode(existing, cfg);
  t.deepEqual(r?.metadata?.labels, { ...existing.metadata?.labels, tier: 'edge' });
  t.deepEqual(r?.spec?.taints, [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }, ...cfg.taints]);
  t.true(r?.spec?.unschedulable);
  t.is(reconcileNode(r as NodeObject, cfg), undefined, 'nothing left to change');
});

test('GOARCH names', (t) => {
  t.is(goArch('x64'), 'amd64');
  t.is(goArch('arm64'), 'arm64');
});

test('statusChanged: heartbeat times and key order are no change; a condition, capacity or address is', (t) => {
  const first = nodeStatus(cfg, undefined, new Date('2026-01-01T00:00:00Z'));
  const later = nodeStatus(cfg, first, new Date('2026-01-01T00:00:10Z'));
  t.false(statusChanged(first, later));
  // As stored: through JSON, keys in another order.
  const reordered = JSON.parse(JSON.stringify({ nodeInfo: first.nodeInfo, ...first, conditions: first.conditions?.map((c) => ({ message: c.message, ...c })) })) as typeof first;
  t.false(statusChanged(reordered, later));
  const unknown = { ...first, conditions: (first.conditions ?? []).map((c) => (c.type === 'Ready' ? { ...c, status: 'Unknown' } : c)) };
  t.true(statusChanged(unknown, nodeStatus(cfg, unknown, new Date('2026-01-01T00:00:10Z'))));
  t.true(statusChanged(first, nodeStatus({ ...cfg, capacity: { ...cfg.capacity, cpu: '8' } }, first, new Date())));
  t.true(statusChanged(first, nodeStatus({ ...cfg, internalIP: '198.18.0.9' }, first, new Date())));
  t.true(statusChanged(undefined, first));
});
