import test from 'ava';
import { cycleState, makeNodeInfo, podInfo } from '../../test-util.js';
import { NodeUnschedulable, REASON_UNSCHEDULABLE } from './index.js';

const plugin = new NodeUnschedulable();

test('a schedulable node passes', (t) => {
  t.is(plugin.filter(cycleState(), podInfo('p'), makeNodeInfo('n')).code, 'success');
});

test('a cordoned node is rejected, for good until it is uncordoned', (t) => {
  const s = plugin.filter(cycleState(), podInfo('p'), makeNodeInfo('n', { unschedulable: true }));
  t.is(s.code, 'unresolvable');
  t.deepEqual(s.reasons, [REASON_UNSCHEDULABLE]);
  t.is(s.plugin, 'NodeUnschedulable');
});

test('a pod tolerating node.kubernetes.io/unschedulable may go to a cordoned node', (t) => {
  const pod = podInfo('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] });
  t.is(plugin.filter(cycleState(), pod, makeNodeInfo('n', { unschedulable: true })).code, 'success');
});
