import test from 'ava';
import type { NodeSelectorRequirement } from '@tugboat/api';
import { cycleState, makeNodeInfo, podInfo } from '../../test-util.js';
import { NodeAffinity, REASON_AFFINITY } from './index.js';
import { compileNodeSelector } from './node-selector.js';

const plugin = new NodeAffinity();

function fits(pod: ReturnType<typeof podInfo>, labels: Record<string, string>): boolean {
  const state = cycleState();
  const pre = plugin.preFilter(state, pod);
  if (pre.code === 'skip') return true;
  return plugin.filter(state, pod, makeNodeInfo('n', { labels })).code === 'success';
}

const req = (r: NodeSelectorRequirement): ReturnType<typeof podInfo> =>
  podInfo('p', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [r] }] } } } });

test('no selector and no affinity: the filter is skipped', (t) => {
  t.is(plugin.preFilter(cycleState(), podInfo('p')).code, 'skip');
});

test('nodeSelector: every label must match', (t) => {
  const pod = podInfo('p', { nodeSelector: { disktype: 'ssd', zone: 'a' } });
  t.true(fits(pod, { disktype: 'ssd', zone: 'a', other: 'x' }));
  t.false(fits(pod, { disktype: 'ssd' }));
  t.false(fits(pod, { disktype: 'hdd', zone: 'a' }));
});

test('a rejected node says why, for good', (t) => {
  const pod = podInfo('p', { nodeSelector: { disktype: 'ssd' } });
  const state = cycleState();
  plugin.preFilter(state, pod);
  const s = plugin.filter(state, pod, makeNodeInfo('n'));
  t.is(s.code, 'unresolvable');
  t.deepEqual(s.reasons, [REASON_AFFINITY]);
});

test('In, NotIn, Exists, DoesNotExist', (t) => {
  t.true(fits(req({ key: 'zone', operator: 'In', values: ['a', 'b'] }), { zone: 'b' }));
  t.false(fits(req({ key: 'zone', operator: 'In', values: ['a', 'b'] }), { zone: 'c' }));
  t.false(fits(req({ key: 'zone', operator: 'In', values: ['a'] }), {}));
  t.true(fits(req({ key: 'zone', operator: 'NotIn', values: ['a'] }), { zone: 'c' }));
  t.true(fits(req({ key: 'zone', operator: 'NotIn', values: ['a'] }), {}));
  t.false(fits(req({ key: 'zone', operator: 'NotIn', values: ['a'] }), { zone: 'a' }));
  t.true(fits(req({ key: 'gpu', operator: 'Exists' }), { gpu: '' }));
  t.false(fits(req({ key: 'gpu', operator: 'Exists' }), {}));
  t.true(fits(req({ key: 'gpu', operator: 'DoesNotExist' }), {}));
  t.false(fits(req({ key: 'gpu', operator: 'DoesNotExist' }), { gpu: 'x' }));
});

test('Gt and Lt compare integers; a missing or non-integer label does not match', (t) => {
  t.true(fits(req({ key: 'cores', operator: 'Gt', values: ['8'] }), { cores: '16' }));
  t.false(fits(req({ key: 'cores', operator: 'Gt', values: ['8'] }), { cores: '8' }));
  t.true(fits(req({ key: 'cores', operator: 'Lt', values: ['8'] }), { cores: '4' }));
  t.false(fits(req({ key: 'cores', operator: 'Lt', values: ['8'] }), { cores: 'four' }));
  t.false(fits(req({ key: 'cores', operator: 'Gt', values: ['8'] }), {}));
  t.false(fits(req({ key: 'cores', operator: 'Gt', values: ['x'] }), { cores: '16' }));
});

test('terms are ORed, requirements within a term ANDed, an empty term matches nothing', (t) => {
  const m = compileNodeSelector({ nodeSelectorTerms: [
    { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }, { key: 'ssd', operator: 'Exists' }] },
    { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] },
  ] });
  t.true(m({ zone: 'a', ssd: '1' }, 'n'));
  t.false(m({ zone: 'a' }, 'n'));
  t.true(m({ zone: 'b' }, 'n'));
  t.false(compileNodeSelector({ nodeSelectorTerms: [{}] })({ zone: 'a' }, 'n'));
});

test('matchFields metadata.name', (t) => {
  const m = compileNodeSelector({ nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] });
  t.true(m({}, 'n1'));
  t.false(m({}, 'n2'));
});

test('nodeSelector and required affinity must both match', (t) => {
  const pod = podInfo('p', {
    nodeSelector: { disktype: 'ssd' },
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } },
  });
  t.true(fits(pod, { disktype: 'ssd', zone: 'a' }));
  t.false(fits(pod, { disktype: 'ssd', zone: 'b' }));
  t.false(fits(pod, { zone: 'a' }));
});

test('preferred terms: the matching weights, normalized to 0..100', (t) => {
  const pod = podInfo('p', { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [
    { weight: 10, preference: { matchExpressions: [{ key: 'ssd', operator: 'Exists' }] } },
    { weight: 30, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
  ] } } });
  const nodes = [makeNodeInfo('both', { labels: { ssd: '1', zone: 'a' } }), makeNodeInfo('zone', { labels: { zone: 'a' } }), makeNodeInfo('ssd', { labels: { ssd: '1' } }), makeNodeInfo('none')];
  const state = cycleState();
  t.is(plugin.preScore(state, pod).code, 'success');
  const scores = Float64Array.from(nodes.map((n) => plugin.score(state, pod, n)));
  t.deepEqual([...scores], [40, 30, 10, 0]);
  plugin.normalizeScore(state, pod, scores, scores.length);
  t.deepEqual([...scores], [100, 75, 25, 0]);
});

test('no preferred terms: scoring is skipped', (t) => {
  t.is(plugin.preScore(cycleState(), podInfo('p')).code, 'skip');
});
