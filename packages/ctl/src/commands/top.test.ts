import test from 'ava';
import { podUsageFromNodes, usageOf } from './top.js';

test('usage from the annotation or status.usage; none when not reported', (t) => {
  t.deepEqual(usageOf({ metadata: { annotations: { 'tugboat.io/usage': '{"cpu":"250m","memory":"64Mi"}' } } }), { cpuMilli: 250, memory: 64 * 2 ** 20 });
  t.deepEqual(usageOf({ status: { usage: { cpu: '1', memory: '1Gi', containers: [{ name: 'c', cpu: '1', memory: '1Gi' }] } } }), {
    cpuMilli: 1000, memory: 2 ** 30, containers: [{ name: 'c', cpuMilli: 1000, memory: 2 ** 30 }],
  });
  t.is(usageOf({ metadata: { name: 'x' } }), undefined);
  t.is(usageOf({ metadata: { annotations: { 'tugboat.io/usage': 'not json' } } }), undefined);
});

test('pod usage comes from the annotation on its node', (t) => {
  const node = { metadata: { name: 'n', annotations: { 'tugboat.io/pod-usage': JSON.stringify({ 'default/web': { cpu: '5m', memory: '10Mi', containers: { c: { cpu: '5m', memory: '10Mi' } } } }) } } };
  const m = podUsageFromNodes([node, { metadata: { annotations: { 'tugboat.io/pod-usage': '{' } } }]);
  t.deepEqual(m.get('default/web'), { cpuMilli: 5, memory: 10 * 2 ** 20, containers: [{ name: 'c', cpuMilli: 5, memory: 10 * 2 ** 20 }] });
  t.is(m.size, 1);
});
