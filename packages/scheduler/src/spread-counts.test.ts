// The cache's live counts for PodTopologySpread against a recount by walking, as pods and
// nodes come, go and change.
import test from 'ava';
import { selectorFromSet } from '@tugboat/api';
import { SchedulerCache } from './cache.js';
import { newPodInfo } from './framework/pod-info.js';
import { makeNode, makePod } from './test-util.js';
import { computeSpreadPreFilterState, walkSpreadPreFilterState } from './plugins/pod-topology-spread/filtering.js';
import { filterConstraints } from './plugins/pod-topology-spread/common.js';

const ZONE = 'topology.kubernetes.io/zone';
const web = selectorFromSet({ app: 'web' });
const view = (m: ReadonlyMap<unknown, number>): Record<string, number> =>
  Object.fromEntries([...m].map(([k, v]) => [typeof k === 'string' ? k : (k as { name: string }).name, v]));

function cluster(): SchedulerCache {
  const cache = new SchedulerCache();
  cache.addNode(makeNode('a1', { labels: { [ZONE]: 'a' } }));
  cache.addNode(makeNode('a2', { labels: { [ZONE]: 'a' } }));
  cache.addNode(makeNode('b1', { labels: { [ZONE]: 'b' } }));
  cache.addNode(makeNode('nozone'));
  return cache;
}

test('counts per zone and per node follow pods placed, confirmed, marked for deletion and removed', (t) => {
  const cache = cluster();
  cache.addPod(makePod('w1', { labels: { app: 'web' }, nodeName: 'a1' }));
  const live = cache.spreadCounts('default', web, ZONE, [ZONE]);
  t.deepEqual(view(live.nodesByValue), { a: 2, b: 1 }, 'domains: nodes with the key');
  t.deepEqual(view(live.podsByValue), { a: 1 });
  // Kept up to date from here on, without a rebuild.
  cache.assumePod(newPodInfo(makePod('w2', { labels: { app: 'web' } })), 'b1');
  cache.addPod(makePod('other', { labels: { app: 'db' }, nodeName: 'b1' }));
  cache.addPod(makePod('w3', { labels: { app: 'web' }, namespace: 'elsewhere', nodeName: 'b1' }));
  cache.addPod(makePod('w4', { labels: { app: 'web' }, nodeName: 'nozone' }));
  t.deepEqual(view(live.podsByValue), { a: 1, b: 1 });
  t.deepEqual(view(live.podsByNode), { a1: 1, b1: 1, nozone: 1 });
  cache.addPod(makePod('w2', { labels: { app: 'web' }, nodeName: 'b1' }));
  t.deepEqual(view(live.podsByValue), { a: 1, b: 1 }, 'confirming the assumed pod changes nothing');
  cache.updatePod(makePod('w1', { labels: { app: 'web' }, nodeName: 'a1', deleting: true }));
  t.deepEqual(view(live.podsByValue), { b: 1 }, 'a pod being deleted does not count');
  cache.forgetPod('default/w2');
  cache.removePod(makePod('w2', { labels: { app: 'web' }, nodeName: 'b1' }));
  t.deepEqual(view(live.podsByValue), {});
  t.deepEqual(view(live.podsByNode), { nozone: 1 });
  t.is(cache.spreadCounts('default', web, ZONE, [ZONE]), live, 'the same live entry');
});

test('without the key required, nodes lacking it count as the domain ""', (t) => {
  const cache = cluster();
  cache.addPod(makePod('w', { labels: { app: 'web' }, nodeName: 'nozone' }));
  t.deepEqual(view(cache.spreadCounts('default', web, ZONE, []).podsByValue), { '': 1 });
  t.deepEqual(view(cache.spreadCounts('default', web, ZONE, [ZONE]).podsByValue), {});
});

test('a relabelled, added or removed node rebuilds the counts', (t) => {
  const cache = cluster();
  cache.addPod(makePod('w1', { labels: { app: 'web' }, nodeName: 'a2' }));
  t.deepEqual(view(cache.spreadCounts('default', web, ZONE, [ZONE]).podsByValue), { a: 1 });
  cache.updateNode(makeNode('a2', { labels: { [ZONE]: 'c' } }));
  let live = cache.spreadCounts('default', web, ZONE, [ZONE]);
  t.deepEqual([view(live.nodesByValue), view(live.podsByValue)], [{ a: 1, b: 1, c: 1 }, { c: 1 }]);
  cache.updateNode(makeNode('a2', { labels: { [ZONE]: 'c' }, annotations: { heartbeat: 'x' } }));
  t.is(cache.spreadCounts('default', web, ZONE, [ZONE]), live, 'a status update keeps the entry');
  cache.removeNode('a2');
  live = cache.spreadCounts('default', web, ZONE, [ZONE]);
  t.deepEqual([view(live.nodesByValue), view(live.podsByValue)], [{ a: 1, b: 1 }, {}], 'pods on a node without a Node object do not count');
  cache.addNode(makeNode('a2', { labels: { [ZONE]: 'a' } }));
  live = cache.spreadCounts('default', web, ZONE, [ZONE]);
  t.deepEqual([view(live.nodesByValue), view(live.podsByValue)], [{ a: 2, b: 1 }, { a: 1 }]);
});

test("PreFilter's state from the live counts equals the walk's, minDomains included", (t) => {
  const cache = cluster();
  const pods = [['a1', 'web'], ['a1', 'web'], ['b1', 'web'], ['a2', 'db'], ['nozone', 'web']] as const;
  pods.forEach(([node, app], i) => cache.addPod(makePod(`p${i}`, { labels: { app }, nodeName: node })));
  for (const minDomains of [1, 3]) {
    const pod = newPodInfo(makePod('new', { labels: { app: 'web' } }));
    const constraints = filterConstraints([{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } }, minDomains }], { app: 'web' }, 'DoNotSchedule');
    const live = computeSpreadPreFilterState(pod, constraints, cache);
    t.deepEqual(live, walkSpreadPreFilterState(pod, constraints, cache, undefined));
    t.deepEqual(view(live.counts[0]!), { a: 2, b: 1 });
    t.is(live.minimums[0], minDomains === 1 ? 1 : 0);
  }
});
