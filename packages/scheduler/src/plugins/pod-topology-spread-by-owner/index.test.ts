import test from 'ava';
import { cycleState, makeNodeInfo, makePod, podInfo } from '../../test-util.js';
import { PodTopologySpreadByOwner } from './index.js';

const plugin = new PodTopologySpreadByOwner();

test('pods without an owner are not scored', (t) => {
  t.is(plugin.preScore(cycleState(), podInfo('p')), plugin.preScore(cycleState(), podInfo('q')));
  t.is(plugin.preScore(cycleState(), podInfo('p')).code, 'skip');
});

test('fewer pods of the same owner score higher; other owners do not count', (t) => {
  const pod = podInfo('p', { owner: 'web' });
  const nodes = [
    makeNodeInfo('none', {}, [makePod('x', { owner: 'db' }), makePod('y', { owner: 'db' })]),
    makeNodeInfo('one', {}, [makePod('a', { owner: 'web' })]),
    makeNodeInfo('two', {}, [makePod('b', { owner: 'web' }), makePod('c', { owner: 'web' })]),
  ];
  const state = cycleState();
  t.is(plugin.preScore(state, pod).code, 'success');
  const scores = Float64Array.from(nodes.map((n) => plugin.score(state, pod, n)));
  t.deepEqual([...scores], [0, 1, 2]);
  plugin.normalizeScore(state, pod, scores, scores.length);
  t.deepEqual([...scores], [100, 50, 0]);
});
