import test from 'ava';
import { SchedulerCache } from '../../cache.js';
import { NodeInfo } from '../../framework/node-info.js';
import { newPodInfo } from '../../framework/pod-info.js';
import { cycleState, makeNode, makeNodeInfo, makePod, podInfo, usageAnnotations } from '../../test-util.js';
import { leastAllocatedScore } from '../least-allocated/index.js';
import { NodeResourcesLoadAware, loadAwareScore } from './index.js';

const plugin = new NodeResourcesLoadAware();
const pod = podInfo('p', { cpu: '100m', memory: '128Mi' });
const running = [makePod('a', { cpu: '500m', memory: '1Gi' }), makePod('b', { cpu: '500m', memory: '1Gi' })];

test('without a usage report it is LeastAllocated', (t) => {
  const node = makeNodeInfo('n', { cpu: '4', memory: '8Gi' }, running);
  t.is(node.usage, undefined);
  t.is(loadAwareScore(pod, node), leastAllocatedScore(pod, node));
});

test('a pod using more than it requested counts its use; one using less counts its request', (t) => {
  // a burns 2500m of its 500m (and 512Mi of its 1Gi); b is idle.
  const report = usageAnnotations({ 'default/a': { cpu: '2500m', memory: '512Mi' }, 'default/b': { cpu: '1m', memory: '4Mi' } });
  const node = makeNodeInfo('n', { cpu: '4', memory: '8Gi', annotations: report }, running);
  t.is(node.loadCpuMilli, 3000);
  t.is(node.loadMemory, 2 * 2 ** 30);
  // cpu: (4000 - 3100) / 4000 = 22; memory: (8Gi - 2Gi - 128Mi) / 8Gi = 73.
  t.is(loadAwareScore(pod, node), Math.floor((22 + 73) / 2));
  t.true(loadAwareScore(pod, node) < leastAllocatedScore(pod, node));
});

test('the busy node scores below an idle one with the same requests', (t) => {
  const busy = makeNodeInfo('busy', { annotations: usageAnnotations({ 'default/a': { cpu: '2', memory: '1Gi' } }) }, running);
  const idle = makeNodeInfo('idle', { annotations: usageAnnotations({ 'default/a': { cpu: '10m', memory: '100Mi' } }) }, running);
  t.is(leastAllocatedScore(pod, busy), leastAllocatedScore(pod, idle));
  t.true(plugin.score(cycleState(), pod, busy) < plugin.score(cycleState(), pod, idle));
});

test('pods placed after the report count their requests, and leave no trace when removed', (t) => {
  const node = makeNodeInfo('n', { annotations: usageAnnotations({ 'default/a': { cpu: '2', memory: '1Gi' } }) }, running);
  const before = { cpu: node.loadCpuMilli, mem: node.loadMemory };
  node.addPod(newPodInfo(makePod('late', { cpu: '300m', memory: '256Mi' })));
  t.deepEqual([node.loadCpuMilli, node.loadMemory], [before.cpu + 300, before.mem + 256 * 2 ** 20]);
  node.addPod(newPodInfo(makePod('unset')));
  t.is(node.loadCpuMilli, before.cpu + 400, 'no request: the non-zero default, 100m');
  node.removePod('default/unset');
  node.removePod('default/late');
  node.removePod('default/a');
  node.removePod('default/b');
  t.deepEqual([node.loadCpuMilli, node.loadMemory], [0, 0]);
});

test('a new report recomputes the load of the pods already there; a copy keeps it', (t) => {
  const node = makeNodeInfo('n', {}, running);
  t.is(node.loadCpuMilli, 1000);
  node.setNode(makeNode('n', { annotations: usageAnnotations({ 'default/b': { cpu: '3', memory: '1Mi' } }) }));
  t.is(node.loadCpuMilli, 3500);
  t.is(node.clone().loadCpuMilli, 3500);
  node.setNode(makeNode('n', { labels: { a: 'b' } }));
  t.is(node.usage, undefined, 'the report was taken off the Node');
  t.is(node.loadCpuMilli, 1000);
});

test('PreScore skips the plugin when no feasible node has a report', (t) => {
  const plain = makeNodeInfo('a');
  const reported = makeNodeInfo('b', { annotations: usageAnnotations({}) });
  t.is(plugin.preScore(cycleState(), pod, [plain, plain], 2).code, 'skip');
  t.is(plugin.preScore(cycleState(), pod, [plain, reported], 2).code, 'success');
  t.is(plugin.preScore(cycleState(), pod, [plain, reported], 1).code, 'skip', 'only the first `count` nodes are feasible');
});

test('a garbled report is ignored (requests alone) and logged once per node', (t) => {
  const lines: string[] = [];
  const cache = new SchedulerCache({ log: (l) => lines.push(l) });
  const garbled = { 'tugboat.io/pod-usage': '{not json' };
  cache.addNode(makeNode('n', { annotations: garbled }));
  cache.updateNode(makeNode('n', { annotations: garbled, labels: { x: 'y' } }));
  cache.updateNode(makeNode('n', { annotations: { 'tugboat.io/pod-usage': '{"default/a": 7}' } }));
  const info = cache.getNode('n') as NodeInfo;
  t.is(info.usage, undefined);
  t.is(lines.length, 1, lines.join('\n'));
  t.is(lines[0], 'node n: metadata.annotations[tugboat.io/pod-usage]: Invalid value: not JSON; its usage report is ignored (NodeResourcesLoadAware scores it on requests)');
  // Readable again, then garbled again: a new line.
  cache.updateNode(makeNode('n', { annotations: usageAnnotations({}) }));
  t.truthy(info.usage);
  cache.updateNode(makeNode('n', { annotations: garbled }));
  t.is(lines.length, 2);
});
