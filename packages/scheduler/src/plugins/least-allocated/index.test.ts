import test from 'ava';
import { cycleState, makeNodeInfo, makePod, podInfo } from '../../test-util.js';
import { LeastAllocated, leastRequestedScore } from './index.js';

const plugin = new LeastAllocated();

test('the one-line formula: (allocatable - requested) * 100 / allocatable', (t) => {
  t.is(leastRequestedScore(0, 4000), 100);
  t.is(leastRequestedScore(1000, 4000), 75);
  t.is(leastRequestedScore(4000, 4000), 0);
  t.is(leastRequestedScore(5000, 4000), 0);
  t.is(leastRequestedScore(100, 0), 0);
});

test('averaged over cpu and memory, counting the pod itself', (t) => {
  // cpu: (4000 - 1000) / 4000 = 75; memory: (8Gi - 4Gi) / 8Gi = 50.
  const node = makeNodeInfo('n', { cpu: '4', memory: '8Gi' }, [makePod('a', { cpu: '500m', memory: '2Gi' })]);
  t.is(plugin.score(cycleState(), podInfo('p', { cpu: '500m', memory: '2Gi' }), node), 62);
});

test('the least-loaded node scores highest', (t) => {
  const pod = podInfo('p', { cpu: '100m', memory: '100Mi' });
  const empty = makeNodeInfo('empty');
  const busy = makeNodeInfo('busy', {}, [makePod('a', { cpu: '2', memory: '4Gi' })]);
  const bigger = makeNodeInfo('bigger', { cpu: '16', memory: '32Gi' }, [makePod('b', { cpu: '2', memory: '4Gi' })]);
  const s = (n: typeof empty): number => plugin.score(cycleState(), pod, n);
  t.true(s(empty) > s(busy));
  t.true(s(bigger) > s(busy));
});

test('pods without requests count as 100m / 200Mi for scoring', (t) => {
  const a = makeNodeInfo('a', { cpu: '1', memory: '1Gi' }, [makePod('x')]);
  const b = makeNodeInfo('b', { cpu: '1', memory: '1Gi' });
  t.true(plugin.score(cycleState(), podInfo('p'), a) < plugin.score(cycleState(), podInfo('p'), b));
});
