import test from 'ava';
import type { DaemonSet, Node, Pod, Taint } from '@tugboat/api';
import { daemonPodSpec, daemonPodTolerations, nodeShouldRunDaemonPod, pinToNode, targetNodeName } from './daemonset-nodes.js';

const node = (name: string, opts: { labels?: Record<string, string>; taints?: Taint[] } = {}): Node => ({
  metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(opts.labels ?? {}) } },
  spec: { ...(opts.taints ? { taints: opts.taints } : {}) },
});

const ds = (spec: Partial<NonNullable<DaemonSet['spec']>['template']['spec']> = {}): DaemonSet => ({
  metadata: { name: 'agent', namespace: 'default' },
  spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } } },
});

const place = (d: DaemonSet, n: Node): [boolean, boolean] => {
  const p = nodeShouldRunDaemonPod(n, daemonPodSpec(d));
  return [p.shouldRun, p.shouldContinueRunning];
};

test('every node without constraints runs the pod', (t) => {
  t.deepEqual(place(ds(), node('n1')), [true, true]);
});

test('nodeSelector and required node affinity pick the nodes', (t) => {
  const sel = ds({ nodeSelector: { disk: 'ssd' } });
  t.deepEqual(place(sel, node('n1', { labels: { disk: 'ssd' } })), [true, true]);
  t.deepEqual(place(sel, node('n2')), [false, false], 'a pod there goes when the label goes');
  const aff = ds({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } } });
  t.deepEqual(place(aff, node('n1', { labels: { zone: 'a' } })), [true, true]);
  t.deepEqual(place(aff, node('n1', { labels: { zone: 'b' } })), [false, false]);
  t.deepEqual(place(ds({ nodeName: 'n2' }), node('n1')), [false, false]);
});

test('taints: NoSchedule keeps new pods off but lets one stay; NoExecute removes it; a toleration lets it on', (t) => {
  const noSchedule = node('n1', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] });
  t.deepEqual(place(ds(), noSchedule), [false, true]);
  const noExecute = node('n1', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }] });
  t.deepEqual(place(ds(), noExecute), [false, false]);
  t.deepEqual(place(ds({ tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] }), noSchedule), [true, true]);
  t.deepEqual(place(ds({ tolerations: [{ key: 'dedicated', operator: 'Exists' }] }), noExecute), [true, true]);
  const prefer = node('n1', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] });
  t.deepEqual(place(ds(), prefer), [true, true], 'PreferNoSchedule is no bar');
});

test('the default tolerations: cordoned, under pressure, not ready and unreachable nodes keep their daemon pod', (t) => {
  for (const [key, effect] of [
    ['node.kubernetes.io/unschedulable', 'NoSchedule'], ['node.kubernetes.io/disk-pressure', 'NoSchedule'],
    ['node.kubernetes.io/memory-pressure', 'NoSchedule'], ['node.kubernetes.io/pid-pressure', 'NoSchedule'],
    ['node.kubernetes.io/not-ready', 'NoExecute'], ['node.kubernetes.io/unreachable', 'NoExecute'],
  ] as const) {
    t.deepEqual(place(ds(), node('n1', { taints: [{ key, effect }] })), [true, true], key);
  }
  const netless = node('n1', { taints: [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }] });
  t.deepEqual(place(ds(), netless), [false, true]);
  t.deepEqual(place(ds({ hostNetwork: true }), netless), [true, true], 'a host-network pod needs no pod network');
});

test('default tolerations replace a user toleration of the same key and effect, and keep the others', (t) => {
  const tol = daemonPodTolerations({ containers: [], tolerations: [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
    { key: 'mine', operator: 'Exists' },
  ] });
  t.is(tol.filter((x) => x.key === 'node.kubernetes.io/not-ready').length, 1);
  t.is(tol.find((x) => x.key === 'node.kubernetes.io/not-ready')?.tolerationSeconds, undefined);
  t.truthy(tol.find((x) => x.key === 'mine'));
  t.is(tol.length, 7);
});

test('pinToNode: matchFields metadata.name In [node] in every term, replacing matchFields, keeping expressions', (t) => {
  const pin = { key: 'metadata.name', operator: 'In', values: ['n1'] };
  t.deepEqual(pinToNode(undefined, 'n1'), { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [pin] }] } } });
  const expr = { key: 'zone', operator: 'In', values: ['a'] };
  const before = { nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [expr], matchFields: [{ key: 'metadata.name', operator: 'In', values: ['other'] }] }, {}] },
    preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [expr] } }],
  } };
  const after = pinToNode(before, 'n1');
  t.deepEqual(after.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms, [{ matchExpressions: [expr], matchFields: [pin] }]);
  t.is(after.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length, 1);
  t.is(before.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.length, 2, 'the input is not changed');
});

test('targetNodeName: the bound node, else the node the affinity pins', (t) => {
  const pod: Pod = { spec: { containers: [], affinity: pinToNode(undefined, 'n3') } };
  t.is(targetNodeName(pod), 'n3');
  t.is(targetNodeName({ spec: { containers: [], nodeName: 'n1', affinity: pinToNode(undefined, 'n3') } }), 'n1');
  t.is(targetNodeName({ spec: { containers: [] } }), undefined);
});
