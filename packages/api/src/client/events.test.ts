import test from 'ava';
import { AGGREGATE_MAX_EVENTS, EVENT_AGGREGATION_WINDOW_MS, SPAM_BURST, SPAM_REFILL_MS, aggregate, aggregationKey, involvedReference, newEvent, spamCheck } from './events.js';

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'prod', uid: 'u-1', resourceVersion: '7' } };
const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', uid: 'n-1' } };

test('a new event is named <involved-name>.<16 hex> in the involved namespace', (t) => {
  const now = new Date('2024-05-01T10:00:00Z');
  const ev = newEvent(pod, 'Warning', 'BackOff', 'back-off 10s restarting failed container=c pod=web', 'agent', now, { host: 'node-1', fieldPath: 'spec.containers{c}' });
  t.regex(ev.metadata.name ?? '', /^web\.[0-9a-f]{16}$/);
  t.is(ev.metadata.namespace, 'prod');
  t.deepEqual(ev.involvedObject, { apiVersion: 'v1', kind: 'Pod', name: 'web', namespace: 'prod', uid: 'u-1', resourceVersion: '7', fieldPath: 'spec.containers{c}' });
  t.is(ev.type, 'Warning');
  t.is(ev.reason, 'BackOff');
  t.deepEqual(ev.source, { component: 'agent', host: 'node-1' });
  t.is(ev.firstTimestamp, '2024-05-01T10:00:00.000Z');
  t.is(ev.lastTimestamp, ev.firstTimestamp);
  t.is(ev.count, 1);
});

test('events about cluster-scoped objects go to the default namespace', (t) => {
  const ev = newEvent(node, 'Normal', 'NodeReady', 'Node node-1 status is now: NodeReady', 'agent', new Date());
  t.is(ev.metadata.namespace, 'default');
  t.is(ev.involvedObject.namespace, undefined);
  t.regex(ev.metadata.name ?? '', /^node-1\.[0-9a-f]{16}$/);
});

test('two new events get different names', (t) => {
  const a = newEvent(pod, 'Normal', 'Started', 'x', 'agent', new Date());
  const b = newEvent(pod, 'Normal', 'Started', 'x', 'agent', new Date());
  t.not(a.metadata.name, b.metadata.name);
});

test('repeats share an aggregation key; any difference separates them', (t) => {
  const k = aggregationKey(pod, 'Warning', 'BackOff', 'm', 'agent');
  t.is(aggregationKey(pod, 'Warning', 'BackOff', 'm', 'agent'), k);
  t.not(aggregationKey(pod, 'Warning', 'BackOff', 'other', 'agent'), k);
  t.not(aggregationKey(pod, 'Normal', 'BackOff', 'm', 'agent'), k);
  t.not(aggregationKey(pod, 'Warning', 'BackOff', 'm', 'scheduler'), k);
  t.not(aggregationKey({ ...pod, metadata: { ...pod.metadata, uid: 'u-2' } }, 'Warning', 'BackOff', 'm', 'agent'), k);
});

test('involvedReference leaves out what the object does not have', (t) => {
  t.deepEqual(involvedReference({ kind: 'Node', metadata: { name: 'n' } }), { kind: 'Node', name: 'n' });
});

test('similar events with different messages are combined from the tenth on, within the window', (t) => {
  let record: ReturnType<typeof aggregate>['record'] | undefined;
  const combined: boolean[] = [];
  for (let i = 0; i < 12; i++) {
    const r = aggregate(record, `Created pod: web-${i}`, 1_000 + i);
    record = r.record;
    combined.push(r.combined);
  }
  t.deepEqual(combined, [...Array(AGGREGATE_MAX_EVENTS - 1).fill(false), true, true, true]);
  // The same message again is not a new one; the set never grows past the threshold.
  t.true(record!.messages.size < AGGREGATE_MAX_EVENTS);
  // After a quiet window the count starts again.
  t.false(aggregate(record, 'Created pod: web-99', 1_000 + EVENT_AGGREGATION_WINDOW_MS + 20).combined);
});

test('a repeated message is never combined', (t) => {
  let record: ReturnType<typeof aggregate>['record'] | undefined;
  for (let i = 0; i < 50; i++) {
    const r = aggregate(record, 'Back-off restarting failed container', i);
    t.false(r.combined);
    record = r.record;
  }
});

test('the spam filter lets 25 events through, then one per 5 minutes', (t) => {
  let bucket: ReturnType<typeof spamCheck>['bucket'] | undefined;
  let allowed = 0;
  for (let i = 0; i < 40; i++) {
    const r = spamCheck(bucket, 0);
    bucket = r.bucket;
    if (r.allowed) allowed++;
  }
  t.is(allowed, SPAM_BURST);
  t.false(spamCheck(bucket, SPAM_REFILL_MS - 1).allowed);
  const later = spamCheck(bucket, SPAM_REFILL_MS);
  t.true(later.allowed);
  t.false(spamCheck(later.bucket, SPAM_REFILL_MS + 1).allowed);
});
