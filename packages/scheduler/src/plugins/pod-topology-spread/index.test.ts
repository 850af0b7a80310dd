// PodTopologySpread on small clusters, cases after Kubernetes' podtopologyspread
// filtering_test.go and scoring_test.go.
import test from 'ava';
import type { Labels, Node, Pod, Service } from '@tugboat/api';
import { SchedulerCache } from '../../cache.js';
import { newPodInfo, type PodInfo } from '../../framework/pod-info.js';
import { NO_OBJECTS, type ObjectListers } from '../../framework/snapshot.js';
import { NOW, cycleState, makeListers, makeNode, makePod, makeReplicaSet, type PodSpecLite } from '../../test-util.js';
import type { TopologySpreadConstraint } from './common.js';
import { PodTopologySpread, REASON_CONSTRAINTS_NOT_MATCH, REASON_NODE_LABEL_NOT_MATCH } from './index.js';

const HOST = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';
const OK = 'ok';
const SKEW = `unschedulable: ${REASON_CONSTRAINTS_NOT_MATCH}`;
const NO_LABEL = `unresolvable: ${REASON_NODE_LABEL_NOT_MATCH}`;

interface Cluster { cache: SchedulerCache; plugin: PodTopologySpread }

function cluster(nodes: Node[], placed: Array<[string, Pod]>, listers: ObjectListers = NO_OBJECTS): Cluster {
  const cache = new SchedulerCache({ now: () => NOW });
  for (const n of nodes) cache.addNode(n);
  for (const [nodeName, p] of placed) cache.addPod({ ...p, spec: { ...p.spec!, nodeName } });
  return { cache, plugin: new PodTopologySpread({ now: () => NOW, snapshot: cache, listers }) };
}

function verdicts(c: Cluster, pod: PodInfo): Record<string, string> {
  const state = cycleState();
  const pre = c.plugin.preFilter(state, pod);
  return Object.fromEntries(c.cache.nodes().map((n) => {
    if (pre.code === 'skip') return [n.name, OK];
    const s = c.plugin.filter(state, pod, n);
    return [n.name, s.code === 'success' ? OK : `${s.code}: ${s.reasons.join(', ')}`];
  }));
}

function scores(c: Cluster, pod: PodInfo, feasible = c.cache.nodes()): Record<string, number> | 'skip' {
  const state = cycleState();
  if (c.plugin.preScore(state, pod, feasible, feasible.length).code === 'skip') return 'skip';
  const raw = Float64Array.from(feasible.map((n) => c.plugin.score(state, pod, n)));
  c.plugin.normalizeScore(state, pod, raw, raw.length);
  return Object.fromEntries(feasible.map((n, i) => [n.name, raw[i]!]));
}

const node = (name: string, zone?: string, o: { taint?: boolean; labels?: Labels } = {}): Node => makeNode(name, {
  labels: { ...(zone ? { [ZONE]: zone } : {}), ...o.labels },
  ...(o.taint ? { taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] } : {}),
});
const FOO = { foo: '' };
const foo = (name: string, o: PodSpecLite = {}): Pod => makePod(name, { labels: FOO, ...o });
const spread = (topologyKey: string, maxSkew: number, o: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint => ({
  maxSkew, topologyKey, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchExpressions: [{ key: 'foo', operator: 'Exists' }] }, ...o,
});
const incoming = (constraints: TopologySpreadConstraint[], o: PodSpecLite = {}): PodInfo => newPodInfo(foo('p', { topologySpreadConstraints: constraints, ...o }));
const fourNodes = (): Node[] => [node('node-a', 'zone1'), node('node-b', 'zone1'), node('node-x', 'zone2'), node('node-y', 'zone2')];
const pods = (spec: Record<string, number>, o: PodSpecLite = {}): Array<[string, Pod]> =>
  Object.entries(spec).flatMap(([n, count]) => Array.from({ length: count }, (_, i): [string, Pod] => [n, foo(`${n}-${i}`, o)]));

test('no constraints of its own and no owner: skipped', (t) => {
  const c = cluster(fourNodes(), []);
  t.is(c.plugin.preFilter(cycleState(), newPodInfo(makePod('p'))).code, 'skip');
  t.is(c.plugin.preScore(cycleState(), newPodInfo(makePod('p')), c.cache.nodes(), 4).code, 'skip');
});

test('no existing pods: every node fits', (t) => {
  t.deepEqual(verdicts(cluster(fourNodes(), []), incoming([spread(ZONE, 1)])), { 'node-a': OK, 'node-b': OK, 'node-x': OK, 'node-y': OK });
});

test('pods spread 3/3 over the zones: every node fits', (t) => {
  const c = cluster(fourNodes(), pods({ 'node-a': 2, 'node-b': 1, 'node-x': 2, 'node-y': 1 }));
  t.deepEqual(verdicts(c, incoming([spread(ZONE, 1)])), { 'node-a': OK, 'node-b': OK, 'node-x': OK, 'node-y': OK });
});

test('a node without the topology label is refused for good; its pods do not count', (t) => {
  const c = cluster([node('node-a', 'zone1'), node('node-b'), node('node-x', 'zone2'), node('node-y', 'zone2')], pods({ 'node-a': 1, 'node-b': 2, 'node-x': 1, 'node-y': 1 }));
  t.deepEqual(verdicts(c, incoming([spread(ZONE, 1)])), { 'node-a': OK, 'node-b': NO_LABEL, 'node-x': SKEW, 'node-y': SKEW });
});

test('pods spread 2/1/0/3 over hosts: maxSkew 1 leaves node-x, maxSkew 2 node-b and node-x', (t) => {
  const c = cluster(fourNodes(), pods({ 'node-a': 2, 'node-b': 1, 'node-y': 3 }));
  t.deepEqual(verdicts(c, incoming([spread(HOST, 1)])), { 'node-a': SKEW, 'node-b': SKEW, 'node-x': OK, 'node-y': SKEW });
  t.deepEqual(verdicts(c, incoming([spread(HOST, 2)])), { 'node-a': SKEW, 'node-b': OK, 'node-x': OK, 'node-y': SKEW });
});

test('a pod that does not match its own selector does not add itself to the skew', (t) => {
  const c = cluster(fourNodes(), pods({ 'node-a': 1 }));
  const p = newPodInfo(makePod('p', { labels: { other: '1' }, topologySpreadConstraints: [spread(HOST, 1)] }));
  t.deepEqual(verdicts(c, p), { 'node-a': OK, 'node-b': OK, 'node-x': OK, 'node-y': OK });
});

test('pods in other namespaces and terminating pods do not count', (t) => {
  const c = cluster(fourNodes(), [...pods({ 'node-a': 3 }, { namespace: 'other' }), ...pods({ 'node-b': 3 }, { deleting: true })]);
  t.deepEqual(verdicts(c, incoming([spread(HOST, 1)])), { 'node-a': OK, 'node-b': OK, 'node-x': OK, 'node-y': OK });
});

test('two constraints: both must hold', (t) => {
  // zone1: 3 pods (a 2, b 1); zone2: 1 (y 1).
  const c = cluster(fourNodes(), pods({ 'node-a': 2, 'node-b': 1, 'node-y': 1 }));
  t.deepEqual(verdicts(c, incoming([spread(ZONE, 1), spread(HOST, 1)])), { 'node-a': SKEW, 'node-b': SKEW, 'node-x': OK, 'node-y': SKEW });
});

test('minDomains: fewer domains than asked makes the global minimum 0', (t) => {
  const c = cluster(fourNodes(), pods({ 'node-a': 2, 'node-x': 1 }));
  t.deepEqual(verdicts(c, incoming([spread(ZONE, 1, { minDomains: 3 })])), { 'node-a': SKEW, 'node-b': SKEW, 'node-x': SKEW, 'node-y': SKEW });
  t.deepEqual(verdicts(c, incoming([spread(ZONE, 1, { minDomains: 2 })])), { 'node-a': SKEW, 'node-b': SKEW, 'node-x': OK, 'node-y': OK });
});

test('nodeAffinityPolicy: Honor leaves out the pods of nodes the pod cannot go to, Ignore counts them', (t) => {
  const nodes = [node('node-a', 'zone1', { labels: { pool: 'x' } }), node('node-x', 'zone2', { labels: { pool: 'x' } }), node('node-z', 'zone3')];
  const c = cluster(nodes, pods({ 'node-a': 1, 'node-x': 1 }));
  const honor = incoming([spread(ZONE, 1)], { nodeSelector: { pool: 'x' } });
  t.deepEqual(verdicts(c, honor), { 'node-a': OK, 'node-x': OK, 'node-z': OK }, 'zone3 is not a domain: minimum 1');
  const ignore = incoming([spread(ZONE, 1, { nodeAffinityPolicy: 'Ignore' })], { nodeSelector: { pool: 'x' } });
  t.deepEqual(verdicts(c, ignore), { 'node-a': SKEW, 'node-x': SKEW, 'node-z': OK }, 'zone3 counts with 0 pods');
});

test('nodeTaintsPolicy: Honor leaves out nodes with a taint the pod does not tolerate', (t) => {
  const nodes = [node('node-a', 'zone1'), node('node-x', 'zone2'), node('node-t', 'zone3', { taint: true })];
  const c = cluster(nodes, pods({ 'node-a': 1, 'node-x': 1 }));
  t.deepEqual(verdicts(c, incoming([spread(ZONE, 1)])), { 'node-a': SKEW, 'node-x': SKEW, 'node-t': OK }, 'Ignore (default): zone3 counts');
  t.deepEqual(verdicts(c, incoming([spread(ZONE, 1, { nodeTaintsPolicy: 'Honor' })])), { 'node-a': OK, 'node-x': OK, 'node-t': OK });
});

test('matchLabelKeys narrows the selector to pods with the same value', (t) => {
  const c = cluster(fourNodes(), pods({ 'node-a': 2 }, { labels: { foo: '', rev: '1' } }));
  const p = incoming([spread(HOST, 1, { matchLabelKeys: ['rev'] })], { labels: { foo: '', rev: '2' } });
  t.deepEqual(verdicts(c, p), { 'node-a': OK, 'node-b': OK, 'node-x': OK, 'node-y': OK });
});

test('maxSkew 1 over 3 zones: 7 pods placed one by one come out 3/2/2', (t) => {
  const nodes = [node('a1', 'a'), node('b1', 'b'), node('c1', 'c')];
  const c = cluster(nodes, []);
  for (let i = 0; i < 7; i++) {
    const p = newPodInfo(foo(`p${i}`, { topologySpreadConstraints: [spread(ZONE, 1)] }));
    const v = verdicts(c, p);
    // The first node that fits, as a worst case for spreading.
    const first = Object.keys(v).find((n) => v[n] === OK)!;
    c.cache.addPod({ ...p.pod, spec: { ...p.pod.spec!, nodeName: first } });
  }
  t.deepEqual(nodes.map((n) => c.cache.getNode(n.metadata!.name!)!.podCount), [3, 2, 2]);
});

test('addPod / removePod move the counts and the global minimum', (t) => {
  const c = cluster(fourNodes(), pods({ 'node-a': 1, 'node-x': 1 }));
  const p = incoming([spread(ZONE, 1)]);
  const state = cycleState();
  c.plugin.preFilter(state, p);
  const a = c.cache.getNode('node-a')!;
  t.is(c.plugin.addPod(state, p, newPodInfo(foo('extra')), a).code, 'success');
  t.is(c.plugin.filter(state, p, a).code, 'unschedulable', 'zone1 has 2, zone2 1');
  t.is(c.plugin.removePod(state, p, [...a.pods.values()][0]!, a).code, 'success');
  t.is(c.plugin.removePod(state, p, newPodInfo(foo('extra')), a).code, 'success');
  t.is(c.plugin.filter(state, p, c.cache.getNode('node-x')!).code, 'unschedulable', 'zone1 0, zone2 1');
});

test('score: one constraint on hosts, 1/2/0/3 matching pods (Kubernetes scoring_test)', (t) => {
  const nodes = [node('node-a', 'zone1'), node('node-b', 'zone1'), node('node-c', 'zone2'), node('node-d', 'zone2')];
  const c = cluster(nodes, pods({ 'node-a': 1, 'node-b': 2, 'node-d': 3 }));
  t.deepEqual(scores(c, incoming([spread(HOST, 1, { whenUnsatisfiable: 'ScheduleAnyway' })])), { 'node-a': 60, 'node-b': 20, 'node-c': 100, 'node-d': 0 });
});

test('score: no matching pods, or all equal: 100 everywhere', (t) => {
  const c = cluster(fourNodes(), []);
  t.deepEqual(scores(c, incoming([spread(HOST, 1, { whenUnsatisfiable: 'ScheduleAnyway' })])), { 'node-a': 100, 'node-b': 100, 'node-x': 100, 'node-y': 100 });
});

test('score: zones count the pods of every node in the zone, not only the feasible ones', (t) => {
  const c = cluster(fourNodes(), pods({ 'node-a': 3, 'node-x': 1 }));
  const feasible = [c.cache.getNode('node-b')!, c.cache.getNode('node-y')!];
  // zone1 3 pods, zone2 1, weight log(2 + 2): raw 4 and 1 → 100 × (max + min - s) / max.
  t.deepEqual(scores(c, incoming([spread(ZONE, 1, { whenUnsatisfiable: 'ScheduleAnyway' })]), feasible), { 'node-b': 25, 'node-y': 100 });
});

test("score: a node without the pod's own topology key scores 0", (t) => {
  const c = cluster([node('node-a', 'zone1'), node('node-b')], pods({ 'node-a': 1 }));
  t.deepEqual(scores(c, incoming([spread(ZONE, 1, { whenUnsatisfiable: 'ScheduleAnyway' })])), { 'node-a': 100, 'node-b': 0 });
});

test('default constraints: replicas of one ReplicaSet spread by host and zone; nodes without a zone still spread by host', (t) => {
  const nodes = [node('node-a', 'zone1'), node('node-b', 'zone1'), node('node-c')];
  const web = (name: string): Pod => makePod(name, { owner: 'web', labels: { app: 'web' } });
  const listers = makeListers({ replicaSets: [makeReplicaSet('web')] });
  const c = cluster(nodes, [['node-a', web('w1')], ['node-a', web('w2')], ['node-b', makePod('other', { labels: { app: 'db' } })]], listers);
  const p = newPodInfo(web('w3'));
  t.is(c.plugin.preFilter(cycleState(), p).code, 'skip', 'the defaults are ScheduleAnyway: nothing to filter');
  const s = scores(c, p);
  t.not(s, 'skip');
  const r = s as Record<string, number>;
  t.true(r['node-a']! < r['node-b']! && r['node-b']! <= r['node-c']!, JSON.stringify(r));
  t.is(scores(cluster(nodes, [], NO_OBJECTS), p), 'skip', 'the ReplicaSet is unknown: no selector, no default spreading');
});

test('default constraints take the selector of the Services that select the pod', (t) => {
  const svc: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' } } };
  const nodes = [node('node-a', 'zone1'), node('node-b', 'zone1')];
  const c = cluster(nodes, [['node-a', makePod('w1', { labels: { app: 'web' } })]], makeListers({ services: [svc] }));
  // host (maxSkew 3): a 1 × log 4 + 2, b 2; zone (maxSkew 5): both 1 × log 3 + 4 → raw 8 and 7.
  t.deepEqual(scores(c, newPodInfo(makePod('w2', { labels: { app: 'web', extra: 'x' } }))), { 'node-a': 87, 'node-b': 100 });
  t.is(scores(c, newPodInfo(makePod('db', { labels: { app: 'db' } }))), 'skip', 'not selected by the Service');
});
