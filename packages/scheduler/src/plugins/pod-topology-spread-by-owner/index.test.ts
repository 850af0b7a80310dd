import test from 'ava';
import { cycleState, makeNodeInfo, makePod, podInfo } from '../../test-util.js';
import { PodTopologySpreadByOwner } from './index.js';

const plugin = new PodTopologySpreadByOwner();

test('pods without an owner are not scored', (t) => {
  const nodes = [makeNodeInfo('a', {}, [makePod('x', { owner: 'web' })])];
  t.is(plugin.preScore(cycleState(), podInfo('p'), nodes, 1).code, 'skip');
});

test('no feasible node has a pod of the owner yet: not scored (all would be equal)', (t) => {
  const nodes = [makeNodeInfo('a', {}, [makePod('x', { owner: 'db' })]), makeNodeInfo('b')];
  t.is(plugin.preScore(cycleState(), podInfo('p', { owner: 'web' }), nodes, 2).code, 'skip');
});

test('fewer pods of the same owner score higher; other owners do not count', (t) => {
  const pod = podInfo('p', { owner: 'web' });
  const nodes = [
    makeNodeInfo('none', {}, [makePod('x', { owner: 'db' }), makePod('y', { owner: 'db' })]),
    makeNodeInfo('one', {}, [makePod('a', { owner: 'web' })]),
    makeNodeInfo('two', {}, [makePod('b', { owner: 'web' }), makePod('c', { owner: 'web' })]),
  ];
  const state = cycleState();
  t.is(plugin.preScore(state, pod, nodes, nodes.length).code, 'success');
  const scores = Float64Array.from(nodes.map((n) => plugin.score(state, pod, n)));
  t.deepEqual([...scores], [0, 1, 2]);
  plugin.normalizeScore(state, pod, scores, scores.length);
  t.deepEqual([...scores], [100, 50, 0]);
});
