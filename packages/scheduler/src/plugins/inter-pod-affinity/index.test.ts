// InterPodAffinity on small clusters, many cases after Kubernetes' filtering_test.go and
// scoring_test.go: nodes and pods in, per-node verdicts and normalized scores out.
import test from 'ava';
import type { Affinity, Labels, Node, Pod } from '@tugboat/api';
import { SchedulerCache } from '../../cache.js';
import type { PodAffinityTerm } from '../../framework/affinity-terms.js';
import { newPodInfo, type PodInfo } from '../../framework/pod-info.js';
import { NO_OBJECTS, type ObjectListers } from '../../framework/snapshot.js';
import { NOW, cycleState, makeListers, makeNode, makePod, type PodSpecLite } from '../../test-util.js';
import { InterPodAffinity, REASON_AFFINITY_RULES, REASON_ANTI_AFFINITY_RULES, REASON_EXISTING_ANTI_AFFINITY_RULES } from './index.js';

const HOST = 'kubernetes.io/hostname';
const REGION = 'region';
const ZONE = 'zone';

interface Cluster { cache: SchedulerCache; plugin: InterPodAffinity }

function cluster(nodes: Node[], placed: Array<[string, Pod]>, listers: ObjectListers = NO_OBJECTS, hardPodAffinityWeight?: number): Cluster {
  const cache = new SchedulerCache({ now: () => NOW });
  for (const n of nodes) cache.addNode(n);
  for (const [nodeName, p] of placed) cache.addPod({ ...p, spec: { ...p.spec!, nodeName } });
  const plugin = new InterPodAffinity({ now: () => NOW, snapshot: cache, listers }, hardPodAffinityWeight === undefined ? {} : { hardPodAffinityWeight });
  return { cache, plugin };
}

/** Each node's verdict: 'ok' or the rejection reason. */
function verdicts(c: Cluster, pod: PodInfo): Record<string, string> {
  const state = cycleState();
  const pre = c.plugin.preFilter(state, pod);
  const out: Record<string, string> = {};
  for (const n of c.cache.nodes()) {
    if (pre.code === 'skip') { out[n.name] = 'ok'; continue; }
    const s = c.plugin.filter(state, pod, n);
    out[n.name] = s.code === 'success' ? 'ok' : `${s.code}: ${s.reasons.join(', ')}`;
  }
  return out;
}

/** Normalized scores of every node, or 'skip'. */
function scores(c: Cluster, pod: PodInfo): Record<string, number> | 'skip' {
  const nodes = c.cache.nodes();
  const state = cycleState();
  if (c.plugin.preScore(state, pod, nodes, nodes.length).code === 'skip') return 'skip';
  const raw = Float64Array.from(nodes.map((n) => c.plugin.score(state, pod, n)));
  c.plugin.normalizeScore(state, pod, raw, raw.length);
  return Object.fromEntries(nodes.map((n, i) => [n.name, raw[i]!]));
}

const node = (name: string, labels: Labels): Node => makeNode(name, { labels });
const term = (matchLabels: Labels, topologyKey: string, extra: Partial<PodAffinityTerm> = {}): PodAffinityTerm => ({ labelSelector: { matchLabels }, topologyKey, ...extra });
const pod = (name: string, o: PodSpecLite = {}): Pod => makePod(name, o);
const required = (kind: 'podAffinity' | 'podAntiAffinity', ...terms: PodAffinityTerm[]): Affinity => ({ [kind]: { requiredDuringSchedulingIgnoredDuringExecution: terms } });
const preferred = (kind: 'podAffinity' | 'podAntiAffinity', ...terms: Array<[number, PodAffinityTerm]>): Affinity => ({
  [kind]: { preferredDuringSchedulingIgnoredDuringExecution: terms.map(([weight, podAffinityTerm]) => ({ weight, podAffinityTerm })) },
});

const OK = 'ok';
const AFFINITY = `unresolvable: ${REASON_AFFINITY_RULES}`;
const ANTI = `unschedulable: ${REASON_ANTI_AFFINITY_RULES}`;
const EXISTING_ANTI = `unschedulable: ${REASON_EXISTING_ANTI_AFFINITY_RULES}`;

test('a pod without terms, and no existing pod with anti-affinity: the filter is skipped', (t) => {
  const c = cluster([node('n1', {})], [['n1', pod('x', { labels: { app: 'x' } })]]);
  t.is(c.plugin.preFilter(cycleState(), newPodInfo(pod('p'))).code, 'skip');
});

test('required affinity: only nodes whose topology domain runs a matching pod', (t) => {
  const nodes = [node('n1', { [REGION]: 'r1' }), node('n2', { [REGION]: 'r1' }), node('n3', { [REGION]: 'r2' }), node('n4', {})];
  const c = cluster(nodes, [['n1', pod('scan', { labels: { service: 'securityscan' } })]]);
  const p = newPodInfo(pod('p', { affinity: required('podAffinity', term({ service: 'securityscan' }, REGION)) }));
  t.deepEqual(verdicts(c, p), { n1: OK, n2: OK, n3: AFFINITY, n4: AFFINITY });
});

test('required affinity with In / NotIn / Exists expressions', (t) => {
  const c = cluster([node('n1', { [HOST]: 'n1' })], [['n1', pod('x', { labels: { service: 'securityscan', version: 'v1' } })]]);
  // The pod carries the label too, so it never passes as "the first of its own group".
  const expr = (operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist', values?: string[]): PodInfo => newPodInfo(pod('p', {
    labels: { service: 'securityscan' },
    affinity: required('podAffinity', { labelSelector: { matchExpressions: [{ key: 'service', operator, ...(values ? { values } : {}) }] }, topologyKey: HOST }),
  }));
  t.is(verdicts(c, expr('In', ['securityscan', 'value2'])).n1, OK);
  t.is(verdicts(c, expr('NotIn', ['securityscan'])).n1, AFFINITY);
  t.is(verdicts(c, expr('Exists')).n1, OK);
  t.is(verdicts(c, expr('DoesNotExist')).n1, AFFINITY);
});

test('required affinity: every term must be met by the same pods; other namespaces do not count', (t) => {
  const c = cluster([node('n1', { [HOST]: 'n1', [ZONE]: 'z1' })], [['n1', pod('x', { labels: { a: '1' }, namespace: 'other' })], ['n1', pod('y', { labels: { b: '1' } })]]);
  // Each term is met by some pod, but no pod meets both (Kubernetes counts pods matching all terms).
  const both = newPodInfo(pod('p', { affinity: required('podAffinity', term({ a: '1' }, HOST, { namespaces: ['other'] }), term({ b: '1' }, ZONE)) }));
  t.is(verdicts(c, both).n1, AFFINITY);
  const sameNs = newPodInfo(pod('p', { affinity: required('podAffinity', term({ a: '1' }, HOST)) }));
  t.is(verdicts(c, sameNs).n1, AFFINITY, 'x is in namespace other, the term looks in default');
  const named = newPodInfo(pod('p', { affinity: required('podAffinity', term({ a: '1' }, HOST, { namespaces: ['other'] })) }));
  t.is(verdicts(c, named).n1, OK);
});

test('required affinity: the first pod of a group with affinity to itself may go anywhere with the topology label', (t) => {
  const nodes = [node('n1', { [ZONE]: 'z1' }), node('n2', {})];
  const c = cluster(nodes, []);
  const self = newPodInfo(pod('p', { labels: { app: 'db' }, affinity: required('podAffinity', term({ app: 'db' }, ZONE)) }));
  t.deepEqual(verdicts(c, self), { n1: OK, n2: AFFINITY });
  const notSelf = newPodInfo(pod('q', { labels: { app: 'web' }, affinity: required('podAffinity', term({ app: 'db' }, ZONE)) }));
  t.deepEqual(verdicts(c, notSelf), { n1: AFFINITY, n2: AFFINITY });
});

test('required anti-affinity on hostname: nodes running a matching pod are refused', (t) => {
  const nodes = ['n1', 'n2', 'n3'].map((n) => node(n, { [HOST]: n }));
  const c = cluster(nodes, [['n1', pod('a', { labels: { app: 'web' } })], ['n3', pod('b', { labels: { app: 'db' } })]]);
  const p = newPodInfo(pod('p', { labels: { app: 'web' }, affinity: required('podAntiAffinity', term({ app: 'web' }, HOST)) }));
  t.deepEqual(verdicts(c, p), { n1: ANTI, n2: OK, n3: OK });
});

test('required anti-affinity by zone keeps the whole zone free', (t) => {
  const nodes = [node('n1', { [ZONE]: 'a' }), node('n2', { [ZONE]: 'a' }), node('n3', { [ZONE]: 'b' }), node('n4', {})];
  const c = cluster(nodes, [['n1', pod('a', { labels: { app: 'web' } })]]);
  const p = newPodInfo(pod('p', { affinity: required('podAntiAffinity', term({ app: 'web' }, ZONE)) }));
  t.deepEqual(verdicts(c, p), { n1: ANTI, n2: ANTI, n3: OK, n4: OK }, 'a node without the key is not in the zone');
});

test("existing pods' required anti-affinity keeps a matching pod away (symmetry)", (t) => {
  const nodes = [node('n1', { [ZONE]: 'a', [HOST]: 'n1' }), node('n2', { [ZONE]: 'a', [HOST]: 'n2' }), node('n3', { [ZONE]: 'b', [HOST]: 'n3' })];
  const c = cluster(nodes, [['n1', pod('guard', { affinity: required('podAntiAffinity', term({ app: 'noisy' }, ZONE)) })]]);
  t.deepEqual(verdicts(c, newPodInfo(pod('p', { labels: { app: 'noisy' } }))), { n1: EXISTING_ANTI, n2: EXISTING_ANTI, n3: OK });
  t.is(c.plugin.preFilter(cycleState(), newPodInfo(pod('q', { labels: { app: 'quiet' } }))).code, 'skip', 'no term names it');
});

test("existing pods' anti-affinity with a namespaceSelector matches by the incoming pod's namespace labels", (t) => {
  const nodes = [node('n1', { [HOST]: 'n1' }), node('n2', { [HOST]: 'n2' })];
  const listers = makeListers({ namespaces: { default: {}, team: { tier: 'batch' } } });
  const guard = pod('guard', { affinity: required('podAntiAffinity', term({ app: 'x' }, HOST, { namespaceSelector: { matchLabels: { tier: 'batch' } } })) });
  const c = cluster(nodes, [['n1', guard]], listers);
  t.deepEqual(verdicts(c, newPodInfo(pod('p', { namespace: 'team', labels: { app: 'x' } }))), { n1: EXISTING_ANTI, n2: OK });
  t.is(c.plugin.preFilter(cycleState(), newPodInfo(pod('p', { labels: { app: 'x' } }))).code, 'skip', 'namespace default is not tier=batch');
});

test("the incoming pod's namespaceSelector is resolved to the matching namespaces; {} means all", (t) => {
  const nodes = [node('n1', { [HOST]: 'n1' }), node('n2', { [HOST]: 'n2' }), node('n3', { [HOST]: 'n3' })];
  const listers = makeListers({ namespaces: { default: {}, prod: { env: 'prod' }, dev: { env: 'dev' } } });
  const c = cluster(nodes, [['n1', pod('a', { namespace: 'prod', labels: { app: 'db' } })], ['n2', pod('b', { namespace: 'dev', labels: { app: 'db' } })]], listers);
  const sel = newPodInfo(pod('p', { affinity: required('podAntiAffinity', term({ app: 'db' }, HOST, { namespaceSelector: { matchLabels: { env: 'prod' } } })) }));
  t.deepEqual(verdicts(c, sel), { n1: ANTI, n2: OK, n3: OK });
  const all = newPodInfo(pod('p', { affinity: required('podAntiAffinity', term({ app: 'db' }, HOST, { namespaceSelector: {} })) }));
  t.deepEqual(verdicts(c, all), { n1: ANTI, n2: ANTI, n3: OK });
});

test('matchLabelKeys and mismatchLabelKeys use the pod\'s own label values', (t) => {
  const nodes = [node('n1', { [HOST]: 'n1' }), node('n2', { [HOST]: 'n2' })];
  const c = cluster(nodes, [['n1', pod('a', { labels: { app: 'web', rev: '1' } })], ['n2', pod('b', { labels: { app: 'web', rev: '2' } })]]);
  const match = newPodInfo(pod('p', { labels: { app: 'web', rev: '2' }, affinity: required('podAntiAffinity', term({ app: 'web' }, HOST, { matchLabelKeys: ['rev'] })) }));
  t.deepEqual(verdicts(c, match), { n1: OK, n2: ANTI }, 'only pods of the same rev repel');
  const mismatch = newPodInfo(pod('p', { labels: { app: 'web', rev: '2' }, affinity: required('podAntiAffinity', term({ app: 'web' }, HOST, { mismatchLabelKeys: ['rev'] })) }));
  t.deepEqual(verdicts(c, mismatch), { n1: ANTI, n2: OK }, 'only pods of another rev repel');
});

test('addPod / removePod update the pre-filter counts as if the pod were there or gone', (t) => {
  const nodes = [node('n1', { [HOST]: 'n1' }), node('n2', { [HOST]: 'n2' })];
  const c = cluster(nodes, [['n1', pod('a', { labels: { app: 'web' } })]]);
  const p = newPodInfo(pod('p', { affinity: required('podAntiAffinity', term({ app: 'web' }, HOST)) }));
  const state = cycleState();
  t.is(c.plugin.preFilter(state, p).code, 'success');
  const [n1, n2] = c.cache.nodes() as [NonNullable<ReturnType<SchedulerCache['getNode']>>, NonNullable<ReturnType<SchedulerCache['getNode']>>];
  const victim = [...n1.pods.values()][0]!;
  t.is(c.plugin.removePod(state, p, victim, n1).code, 'success');
  t.is(c.plugin.filter(state, p, n1).code, 'success', 'with the victim gone n1 fits');
  t.is(c.plugin.addPod(state, p, newPodInfo(pod('b', { labels: { app: 'web' } })), n2).code, 'success');
  t.is(c.plugin.filter(state, p, n2).reasons[0], REASON_ANTI_AFFINITY_RULES);
  // And an added pod whose own anti-affinity names the incoming pod.
  t.is(c.plugin.addPod(state, p, newPodInfo(pod('g', { affinity: required('podAntiAffinity', term({}, HOST)) })), n1).code, 'success');
  t.is(c.plugin.filter(state, p, n1).reasons[0], REASON_EXISTING_ANTI_AFFINITY_RULES);
});

test('preferred affinity: the node whose region runs a matching pod scores 100 (Kubernetes scoring_test)', (t) => {
  const nodes = [node('machine1', { [REGION]: 'China' }), node('machine2', { [REGION]: 'India' }), node('machine3', { az: 'az1' })];
  const c = cluster(nodes, [['machine1', pod('s1', { labels: { security: 'S1' } })], ['machine2', pod('s2', { labels: { security: 'S2' } })]]);
  const p = newPodInfo(pod('p', { affinity: preferred('podAffinity', [5, { labelSelector: { matchExpressions: [{ key: 'security', operator: 'In', values: ['S1'] }] }, topologyKey: REGION }]) }));
  t.deepEqual(scores(c, p), { machine1: 100, machine2: 0, machine3: 0 });
});

test('preferred affinity: the region with more matching pods scores higher', (t) => {
  const nodes = [node('m1', { [REGION]: 'China' }), node('m2', { [REGION]: 'China' }), node('m3', { [REGION]: 'India' }), node('m4', { [REGION]: 'Europe' })];
  const s1 = (n: string): Pod => pod(n, { labels: { security: 'S1' } });
  const c = cluster(nodes, [['m1', s1('a')], ['m2', s1('b')], ['m3', s1('c')]]);
  const p = newPodInfo(pod('p', { affinity: preferred('podAffinity', [5, term({ security: 'S1' }, REGION)]) }));
  // China 2 × 5 = 10, India 5, Europe 0 → min-max to 0..100.
  t.deepEqual(scores(c, p), { m1: 100, m2: 100, m3: 50, m4: 0 });
});

test('preferred anti-affinity: nodes away from matching pods score higher; affinity and anti-affinity add up', (t) => {
  const nodes = [node('m1', { [REGION]: 'China', [HOST]: 'm1' }), node('m2', { [REGION]: 'India', [HOST]: 'm2' }), node('m3', { [REGION]: 'India', [HOST]: 'm3' })];
  const c = cluster(nodes, [['m1', pod('a', { labels: { security: 'S1' } })], ['m2', pod('b', { labels: { security: 'S2' } })]]);
  const anti = newPodInfo(pod('p', { affinity: preferred('podAntiAffinity', [5, term({ security: 'S1' }, REGION)]) }));
  t.deepEqual(scores(c, anti), { m1: 0, m2: 100, m3: 100 });
  const both = newPodInfo(pod('p', { affinity: {
    ...preferred('podAntiAffinity', [5, term({ security: 'S1' }, REGION)]),
    ...preferred('podAffinity', [10, term({ security: 'S2' }, HOST)]),
  } }));
  // m1: -5, m2: +10, m3: 0 → (s - min) / (max - min).
  t.deepEqual(scores(c, both), { m1: 0, m2: 100, m3: 33 });
});

test("existing pods' terms score the incoming pod: their preferred terms, and their required affinity at hardPodAffinityWeight", (t) => {
  const nodes = [node('m1', { [HOST]: 'm1' }), node('m2', { [HOST]: 'm2' }), node('m3', { [HOST]: 'm3' })];
  const placed: Array<[string, Pod]> = [
    ['m1', pod('likes', { affinity: required('podAffinity', term({ app: 'p' }, HOST)) })],
    ['m2', pod('dislikes', { affinity: preferred('podAntiAffinity', [7, term({ app: 'p' }, HOST)]) })],
  ];
  const p = newPodInfo(pod('p', { labels: { app: 'p' } }));
  t.deepEqual(scores(cluster(nodes, placed), p), { m1: 100, m2: 0, m3: 87 }, 'm1 +1, m2 -7, m3 0');
  t.deepEqual(scores(cluster(nodes, placed, NO_OBJECTS, 0), p), { m1: 100, m2: 0, m3: 100 }, 'hardPodAffinityWeight 0 ignores required terms');
  t.is(scores(cluster(nodes, []), p), 'skip', 'no pod with terms anywhere: nothing to score');
});

test('all nodes equal: every score is 0', (t) => {
  const nodes = [node('m1', { [HOST]: 'm1', [REGION]: 'r' }), node('m2', { [HOST]: 'm2', [REGION]: 'r' })];
  const c = cluster(nodes, [['m1', pod('a', { labels: { x: '1' } })]]);
  const p = newPodInfo(pod('p', { affinity: preferred('podAffinity', [3, term({ x: '1' }, REGION)]) }));
  t.deepEqual(scores(c, p), { m1: 0, m2: 0 });
});

test('the cache lists the nodes whose pods have terms and groups anti-affinity terms, following label changes and removals', (t) => {
  const guard = (name: string): Pod => pod(name, { affinity: required('podAntiAffinity', term({ app: 'x' }, ZONE)) });
  const scorer = pod('s', { affinity: preferred('podAffinity', [1, term({ app: 'x' }, ZONE)]) });
  const c = cluster([node('n1', { [ZONE]: 'a' }), node('n2', { [ZONE]: 'a' }), node('n3', {})], [['n1', guard('g1')], ['n2', guard('g2')], ['n3', scorer]]);
  t.deepEqual([...c.cache.nodesWithAffinityPods()].map((n) => n.name), ['n3'], 'only pods whose terms can score');
  t.deepEqual([...c.cache.nodesWithRequiredAntiAffinityPods()].map((n) => n.name).sort(), ['n1', 'n2']);
  const groups = (): Array<[string, Record<string, number>]> => [...c.cache.groupedTerms('requiredAntiAffinity')].map((g) => [g.term.topologyKey, Object.fromEntries(g.counts)]);
  t.deepEqual(groups(), [[ZONE, { a: 2 }]], 'two pods, one distinct term');
  c.cache.updateNode(node('n2', { [ZONE]: 'b' }));
  t.deepEqual(groups(), [[ZONE, { a: 1, b: 1 }]]);
  c.cache.removeNode('n1');
  t.deepEqual(groups(), [[ZONE, { b: 1 }]], 'a node without a Node object does not count');
  c.cache.removePod({ ...guard('g2'), spec: { ...guard('g2').spec!, nodeName: 'n2' } });
  t.deepEqual(groups(), [], 'g1 is still placed on n1, which has no Node object: it does not count');
  c.cache.removePod({ ...guard('g1'), spec: { ...guard('g1').spec!, nodeName: 'n1' } });
  t.deepEqual(groups(), []);
  c.cache.addNode(node('n1', { [ZONE]: 'a' }));
  t.deepEqual(groups(), [], 'and nothing was left behind to come back with the node');
  t.deepEqual([...c.cache.nodesWithRequiredAntiAffinityPods()], []);
});
