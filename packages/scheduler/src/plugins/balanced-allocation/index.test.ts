import test from 'ava';
import { cycleState, makeNodeInfo, makePod, podInfo } from '../../test-util.js';
import { BalancedAllocation } from './index.js';

const plugin = new BalancedAllocation();

test('equal cpu and memory fractions score 100', (t) => {
  // cpu 2/4 = 0.5, memory 4Gi/8Gi = 0.5.
  const node = makeNodeInfo('n', { cpu: '4', memory: '8Gi' }, [makePod('a', { cpu: '1', memory: '2Gi' })]);
  t.is(plugin.score(cycleState(), podInfo('p', { cpu: '1', memory: '2Gi' }), node), 100);
});

test('lopsided use scores lower: (1 - |cpu - mem| / 2) * 100', (t) => {
  // cpu 3/4 = 0.75, memory 1Gi/8Gi = 0.125 → std 0.3125 → 68.
  const node = makeNodeInfo('n', { cpu: '4', memory: '8Gi' }, [makePod('a', { cpu: '2', memory: '512Mi' })]);
  t.is(plugin.score(cycleState(), podInfo('p', { cpu: '1', memory: '512Mi' }), node), 68);
});

test('prefers the node the pod balances', (t) => {
  const pod = podInfo('p', { cpu: '1', memory: '256Mi' });
  const memHeavy = makeNodeInfo('mem', { cpu: '4', memory: '8Gi' }, [makePod('a', { cpu: '200m', memory: '4Gi' })]);
  const cpuHeavy = makeNodeInfo('cpu', { cpu: '4', memory: '8Gi' }, [makePod('b', { cpu: '2', memory: '256Mi' })]);
  t.true(plugin.score(cycleState(), pod, memHeavy) > plugin.score(cycleState(), pod, cpuHeavy));
});
