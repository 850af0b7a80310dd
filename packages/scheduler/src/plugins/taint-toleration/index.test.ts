import test from 'ava';
import type { Taint } from '@tugboat/api';
import { cycleState, makeNodeInfo, podInfo } from '../../test-util.js';
import { TaintToleration } from './index.js';
import { tolerates } from './tolerations.js';

const plugin = new TaintToleration();
const GPU: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };

test('an untolerated NoSchedule taint rejects the node with Kubernetes\' message', (t) => {
  const s = plugin.filter(cycleState(), podInfo('p'), makeNodeInfo('n', { taints: [GPU] }));
  t.is(s.code, 'unresolvable');
  t.deepEqual(s.reasons, ['node(s) had untolerated taint {dedicated: gpu}']);
});

test('NoExecute rejects too; PreferNoSchedule does not', (t) => {
  t.is(plugin.filter(cycleState(), podInfo('p'), makeNodeInfo('n', { taints: [{ key: 'k', effect: 'NoExecute' }] })).code, 'unresolvable');
  t.is(plugin.filter(cycleState(), podInfo('p'), makeNodeInfo('n', { taints: [{ key: 'k', effect: 'PreferNoSchedule' }] })).code, 'success');
});

test('a matching toleration lets the pod on', (t) => {
  const pod = podInfo('p', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] });
  t.is(plugin.filter(cycleState(), pod, makeNodeInfo('n', { taints: [GPU] })).code, 'success');
});

test('toleration rules: Exists, empty key, empty effect, value mismatch', (t) => {
  t.true(tolerates({ key: 'dedicated', operator: 'Exists' }, GPU));
  t.true(tolerates({ operator: 'Exists' }, GPU));
  t.true(tolerates({ key: 'dedicated', value: 'gpu' }, GPU));
  t.false(tolerates({ key: 'dedicated', value: 'cpu' }, GPU));
  t.false(tolerates({ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, GPU));
  t.false(tolerates({ key: 'other', operator: 'Exists' }, GPU));
});

test('every hard taint must be tolerated; the first untolerated one is reported', (t) => {
  const pod = podInfo('p', { tolerations: [{ key: 'dedicated', operator: 'Exists' }] });
  const s = plugin.filter(cycleState(), pod, makeNodeInfo('n', { taints: [GPU, { key: 'team', value: 'a', effect: 'NoSchedule' }] }));
  t.deepEqual(s.reasons, ['node(s) had untolerated taint {team: a}']);
});

test('PreferNoSchedule taints lower the score; tolerated ones do not', (t) => {
  const soft = (key: string): Taint => ({ key, value: 'x', effect: 'PreferNoSchedule' });
  const nodes = [makeNodeInfo('clean'), makeNodeInfo('one', { taints: [soft('a')] }), makeNodeInfo('two', { taints: [soft('a'), soft('b')] })];
  const pod = podInfo('p', { tolerations: [{ key: 'b', operator: 'Exists' }] });
  const state = cycleState();
  t.is(plugin.preScore(state, pod, nodes, nodes.length).code, 'success');
  const scores = Float64Array.from(nodes.map((n) => plugin.score(state, pod, n)));
  t.deepEqual([...scores], [0, 1, 1]);
  plugin.normalizeScore(state, pod, scores, scores.length);
  t.deepEqual([...scores], [100, 0, 0]);
});

test('no soft taints on any feasible node: scoring is skipped', (t) => {
  const nodes = [makeNodeInfo('a'), makeNodeInfo('b', { taints: [GPU] })];
  t.is(plugin.preScore(cycleState(), podInfo('p'), nodes, nodes.length).code, 'skip');
});
