import test from 'ava';
import { NODE_USAGE_ANNOTATION, POD_USAGE_ANNOTATION, parseNodeUsage } from './node-usage.js';

test('no annotations: no report', (t) => {
  t.is(parseNodeUsage(undefined), undefined);
  t.is(parseNodeUsage({ other: 'x' }), undefined);
});

test("the agent's format: node usage with its timestamp, and each pod's", (t) => {
  const parsed = parseNodeUsage({
    [NODE_USAGE_ANNOTATION]: '{"cpu":"1250m","memory":"512Mi","timestamp":"2024-05-01T10:00:00.000Z"}',
    [POD_USAGE_ANNOTATION]: '{"default/burn":{"cpu":"900m","memory":"64Mi","containers":{"main":{"cpu":"900m","memory":"64Mi"}}},"default/idle":{"cpu":"0","memory":"1Mi"}}',
  });
  if (!parsed || !('report' in parsed)) return t.fail(JSON.stringify(parsed));
  const r = parsed.report;
  t.deepEqual(r.node, { cpuMilli: 1250, memory: 512 * 2 ** 20 });
  t.is(r.timestampMs, Date.parse('2024-05-01T10:00:00Z'));
  t.deepEqual(r.pods.get('default/burn'), { cpuMilli: 900, memory: 64 * 2 ** 20, containers: new Map([['main', { cpuMilli: 900, memory: 64 * 2 ** 20 }]]) });
  t.deepEqual(r.pods.get('default/idle'), { cpuMilli: 0, memory: 2 ** 20 });
  t.is(r.pods.size, 2);
});

test('either annotation alone is a report', (t) => {
  const onlyPods = parseNodeUsage({ [POD_USAGE_ANNOTATION]: '{}' });
  t.true(onlyPods !== undefined && 'report' in onlyPods && onlyPods.report.node === undefined && Number.isNaN(onlyPods.report.timestampMs));
  const onlyNode = parseNodeUsage({ [NODE_USAGE_ANNOTATION]: '{"cpu":"1","memory":"1Gi"}' });
  t.true(onlyNode !== undefined && 'report' in onlyNode && onlyNode.report.pods.size === 0);
});

test('garbled annotations: one line naming the field', (t) => {
  const error = (a: Record<string, string>): string | undefined => {
    const p = parseNodeUsage(a);
    return p && 'error' in p ? p.error : undefined;
  };
  t.is(error({ [NODE_USAGE_ANNOTATION]: 'not json' }), 'metadata.annotations[tugboat.io/usage]: Invalid value: not JSON');
  t.is(error({ [NODE_USAGE_ANNOTATION]: '{"cpu":"lots"}' })?.startsWith('metadata.annotations[tugboat.io/usage].cpu: '), true);
  t.is(error({ [NODE_USAGE_ANNOTATION]: '{"cpu":"1","timestamp":"yesterday"}' }), 'metadata.annotations[tugboat.io/usage].timestamp: must be an RFC 3339 time');
  t.is(error({ [POD_USAGE_ANNOTATION]: '[1]' }), 'metadata.annotations[tugboat.io/pod-usage]: must be an object keyed by namespace/name');
  t.is(error({ [POD_USAGE_ANNOTATION]: '{"ns/p":{"memory":true}}' }), 'metadata.annotations[tugboat.io/pod-usage][ns/p].memory: must be a quantity');
});
