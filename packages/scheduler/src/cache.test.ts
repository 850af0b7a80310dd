import test from 'ava';
import { FakeClock } from '@tugboat/api';
import { SchedulerCache, leaseInfo } from './cache.js';
import { NOW, makeNode, makePod, podInfo } from './test-util.js';

function setup(): { clock: FakeClock; cache: SchedulerCache } {
  const clock = new FakeClock(NOW);
  const cache = new SchedulerCache({ now: () => clock.now(), assumedPodTtlMs: 30_000 });
  cache.addNode(makeNode('n1', { cpu: '2' }));
  cache.addNode(makeNode('n2', { cpu: '2' }));
  return { clock, cache };
}

const bound = (name: string, node: string, cpu = '500m') => makePod(name, { cpu, nodeName: node });

test('assume takes the resources at once; forget frees them', (t) => {
  const { cache } = setup();
  cache.assumePod(podInfo('a', { cpu: '500m' }), 'n1');
  t.is(cache.getNode('n1')!.requestedCpuMilli, 500);
  t.true(cache.isAssumed('default/a'));
  cache.forgetPod('default/a');
  t.is(cache.getNode('n1')!.requestedCpuMilli, 0);
  t.is(cache.podCount(), 0);
});

test('the informer showing the bound pod confirms the assumption (counted once)', (t) => {
  const { cache } = setup();
  cache.assumePod(podInfo('a', { cpu: '500m' }), 'n1');
  cache.finishBinding('default/a');
  cache.addPod(bound('a', 'n1'));
  t.false(cache.isAssumed('default/a'));
  t.is(cache.getNode('n1')!.requestedCpuMilli, 500);
  t.is(cache.getNode('n1')!.podCount, 1);
});

test('an assumed pod never confirmed expires after the TTL once binding finished', (t) => {
  const { clock, cache } = setup();
  cache.assumePod(podInfo('a', { cpu: '500m' }), 'n1');
  clock.advance(60_000);
  t.deepEqual(cache.cleanupExpiredAssumedPods(), [], 'binding still in flight: kept');
  cache.finishBinding('default/a');
  clock.advance(29_999);
  t.deepEqual(cache.cleanupExpiredAssumedPods(), []);
  clock.advance(1);
  t.deepEqual(cache.cleanupExpiredAssumedPods(), ['default/a']);
  t.is(cache.getNode('n1')!.requestedCpuMilli, 0);
});

test('confirmed pods never expire', (t) => {
  const { clock, cache } = setup();
  cache.assumePod(podInfo('a', { cpu: '500m' }), 'n1');
  cache.finishBinding('default/a');
  cache.addPod(bound('a', 'n1'));
  clock.advance(120_000);
  t.deepEqual(cache.cleanupExpiredAssumedPods(), []);
  t.is(cache.podCount(), 1);
});

test('a pod bound elsewhere than assumed moves to the node the API server says', (t) => {
  const { cache } = setup();
  cache.assumePod(podInfo('a', { cpu: '500m' }), 'n1');
  cache.addPod(bound('a', 'n2'));
  t.is(cache.getNode('n1')!.requestedCpuMilli, 0);
  t.is(cache.getNode('n2')!.requestedCpuMilli, 500);
});

test('finished and deleted pods free their node', (t) => {
  const { cache } = setup();
  cache.addPod(bound('a', 'n1'));
  cache.addPod(bound('b', 'n1'));
  const done = { ...bound('a', 'n1'), status: { phase: 'Succeeded' } };
  cache.updatePod(done);
  cache.removePod(bound('b', 'n1'));
  t.is(cache.getNode('n1')!.requestedCpuMilli, 0);
  t.is(cache.podCount(), 0);
});

test('pods on a node not yet known are kept and counted once the node appears', (t) => {
  const { cache } = setup();
  cache.addPod(bound('a', 'n3'));
  t.is(cache.nodeCount(), 2, 'a node without its Node object is not offered');
  cache.addNode(makeNode('n3'));
  t.is(cache.nodeCount(), 3);
  t.is(cache.getNode('n3')!.requestedCpuMilli, 500);
});

test('removing a node takes it out of the list; updating keeps its pods', (t) => {
  const { cache } = setup();
  cache.addPod(bound('a', 'n1'));
  cache.updateNode(makeNode('n1', { cpu: '8', unschedulable: true }));
  t.is(cache.getNode('n1')!.allocatableCpuMilli, 8000);
  t.true(cache.getNode('n1')!.unschedulable);
  t.is(cache.getNode('n1')!.requestedCpuMilli, 500);
  cache.removeNode('n1');
  t.deepEqual(cache.nodes().map((n) => n.name), ['n2']);
});

test('a lease seen before its node is applied when the node arrives', (t) => {
  const { cache } = setup();
  const lease = leaseInfo({ spec: { holderIdentity: 'n3', renewTime: '2024-05-01T10:00:00.000000Z', leaseDurationSeconds: 40 } });
  t.deepEqual(lease, { renewTimeMs: Date.parse('2024-05-01T10:00:00Z'), durationMs: 40_000 });
  cache.setNodeLease('n3', lease);
  cache.addNode(makeNode('n3'));
  t.deepEqual(cache.getNode('n3')!.lease, lease);
});

test('assuming a pod twice is a bug and says so', (t) => {
  const { cache } = setup();
  cache.assumePod(podInfo('a'), 'n1');
  t.throws(() => cache.assumePod(podInfo('a'), 'n2'), { message: /already in the scheduler cache/ });
});
