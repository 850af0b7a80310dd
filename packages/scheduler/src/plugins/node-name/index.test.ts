import test from 'ava';
import { cycleState, makeNodeInfo, podInfo } from '../../test-util.js';
import { NodeName, REASON_NODE_NAME } from './index.js';

const plugin = new NodeName();

test('a pod without spec.nodeName skips the filter', (t) => {
  t.is(plugin.preFilter(cycleState(), podInfo('p')).code, 'skip');
});

test('a pod naming a node fits only that node', (t) => {
  const pod = podInfo('p', { nodeName: 'a' });
  t.is(plugin.preFilter(cycleState(), pod).code, 'success');
  t.is(plugin.filter(cycleState(), pod, makeNodeInfo('a')).code, 'success');
  const s = plugin.filter(cycleState(), pod, makeNodeInfo('b'));
  t.is(s.code, 'unresolvable');
  t.deepEqual(s.reasons, [REASON_NODE_NAME]);
});
