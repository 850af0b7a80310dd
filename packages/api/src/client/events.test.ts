import test from 'ava';
import { aggregationKey, involvedReference, newEvent } from './events.js';

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
