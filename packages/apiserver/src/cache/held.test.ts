import test from 'ava';
import type { KubeObject } from '@tugboat/api';
import { decodeObject, encodeObject } from '../registry/object-meta.js';
import { HOLD_OBJECTS, holdText, metadataBody, withResourceVersion } from './held.js';
import { OrderedStore } from './ordered-store.js';

const nodeIndex = { field: 'spec.nodeName', value: (o: KubeObject): string => (o.spec as { nodeName?: string } | undefined)?.nodeName ?? '' };

test('the resourceVersion spliced into stored text is exactly what decoding and encoding would give', (t) => {
  const objects: KubeObject[] = [
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'n', labels: { app: 'x' } }, spec: { nodeName: 'node-1' } },
    // metadata last, after values holding braces, brackets, commas and quotes in strings
    { kind: 'ConfigMap', data: { 'a}': '{"metadata":{}}', b: '[,]\\"' }, list: [1, [2, { c: null }], 'x'], n: -1.5e3, ok: true, metadata: { name: 'b' } } as KubeObject,
    // an empty metadata
    { apiVersion: 'v1', kind: 'Thing', metadata: {} } as KubeObject,
    // a name with escapes and characters beyond ASCII
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'q', annotations: { 'x"y': 'é\u2028\\' } } },
  ];
  for (const obj of objects) {
    const value = encodeObject(obj);
    // The very text decoding and encoding would give, key order included.
    t.is(withResourceVersion(value, 42), JSON.stringify(decodeObject(value, 42)), value);
  }
});

test('text without a top-level metadata object is decoded and encoded instead of spliced', (t) => {
  t.is(metadataBody('{"kind":"X"}'), -1);
  t.is(metadataBody('{"metadata":null}'), -1);
  t.is(metadataBody('[1]'), -1);
  t.is(metadataBody('{"a":"unterminated'), -1);
  // A nested "metadata" is not the top-level one.
  const nested = '{"spec":{"metadata":{"name":"inner"}},"metadata":{"name":"outer"}}';
  t.is(nested.slice(metadataBody(nested)), '"name":"outer"}}');
  t.deepEqual(JSON.parse(withResourceVersion('{"kind":"X"}', 7)), { kind: 'X', metadata: { resourceVersion: '7' } });
});

test('a store holding text gives out copies decoded at their revision, the text it was given, and its index', (t) => {
  const store = new OrderedStore(holdText(nodeIndex), nodeIndex);
  const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n', labels: { app: 'web' }, resourceVersion: '5' }, spec: { nodeName: 'node-1' } };
  const value = encodeObject(pod);
  store.put(pod, { value, revision: 5 });
  t.is(store.holdsObjects, false);
  t.is(store.stored('n', 'p')?.value, value, 'the very text given');
  const a = store.get('n', 'p')!;
  t.deepEqual(a, pod);
  t.not(a, pod);
  t.not(store.get('n', 'p'), a, 'a new copy each time');
  t.deepEqual(store.held.labels(store.byKey('n/p')!), { app: 'web' });
  t.deepEqual(store.keysWithValue('node-1'), ['n/p']);
  // Moved to another node, without its text (as a relist gives it): encoded here.
  const moved = { ...pod, metadata: { ...pod.metadata, resourceVersion: '9' }, spec: { nodeName: 'node-2' } };
  store.put(moved);
  t.deepEqual(store.keysWithValue('node-1'), []);
  t.deepEqual(store.keysWithValue('node-2'), ['n/p']);
  t.is(store.stored('n', 'p')?.value, encodeObject(moved));
  t.is(store.stored('n', 'p')?.revision, 9);
  t.deepEqual(store.remove('n', 'p'), moved);
  t.is(store.size, 0);
  t.deepEqual(store.keysWithValue('node-2'), []);
  // A store of objects gives no text: its objects are read as they are.
  const objects = new OrderedStore(HOLD_OBJECTS, nodeIndex);
  objects.put(pod);
  t.is(objects.stored('n', 'p'), undefined);
  t.is(objects.get('n', 'p'), pod);
});
