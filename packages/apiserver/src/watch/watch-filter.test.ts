import test from 'ava';
import type { KubeObject } from '@tugboat/api';
import { decideWatchEvent } from './watch-filter.js';

const pod = (node?: string): KubeObject => ({ kind: 'Pod', metadata: { name: 'p' }, spec: node ? { nodeName: node } : {} });
const onNode1 = (o: KubeObject): boolean => (o.spec as { nodeName?: string }).nodeName === 'node-1';

test('create: ADDED only when it matches', (t) => {
  t.deepEqual(decideWatchEvent({ type: 'put', object: pod('node-1'), previous: undefined }, onNode1), { type: 'ADDED', send: 'object' });
  t.is(decideWatchEvent({ type: 'put', object: pod(), previous: undefined }, onNode1), undefined);
});

test('starting to match is ADDED, still matching MODIFIED, stopping DELETED with the old state', (t) => {
  t.deepEqual(decideWatchEvent({ type: 'put', object: pod('node-1'), previous: pod() }, onNode1), { type: 'ADDED', send: 'object' });
  t.deepEqual(decideWatchEvent({ type: 'put', object: pod('node-1'), previous: pod('node-1') }, onNode1), { type: 'MODIFIED', send: 'object' });
  t.deepEqual(decideWatchEvent({ type: 'put', object: pod('node-2'), previous: pod('node-1') }, onNode1), { type: 'DELETED', send: 'prev' });
  t.is(decideWatchEvent({ type: 'put', object: pod('node-2'), previous: pod() }, onNode1), undefined);
});

test('delete: DELETED when the last state matched, or when it is unknown', (t) => {
  t.deepEqual(decideWatchEvent({ type: 'delete', object: undefined, previous: pod('node-1') }, onNode1), { type: 'DELETED', send: 'prev' });
  t.is(decideWatchEvent({ type: 'delete', object: undefined, previous: pod('node-2') }, onNode1), undefined);
  t.deepEqual(decideWatchEvent({ type: 'delete', object: undefined, previous: undefined }, onNode1), { type: 'DELETED', send: 'prev' });
});
