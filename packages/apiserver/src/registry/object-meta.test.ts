import test from 'ava';
import type { KubeObject } from '@tugboat/api';
import { decodeObject, encodeObject, sameStoredObject } from './object-meta.js';

const obj = (rv: string | undefined, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'ConfigMap',
  metadata: { name: 'c', namespace: 'n', labels: { a: '1', b: '2' }, ...(rv !== undefined ? { resourceVersion: rv } : {}) },
  ...extra,
});

test('sameStoredObject: equal as stored (resourceVersion, key order and undefined fields aside), and no more', (t) => {
  t.true(sameStoredObject(obj('5', { data: { x: '1' } }), obj('9', { data: { x: '1' } })));
  t.true(sameStoredObject(obj(undefined), obj('3')));
  t.true(sameStoredObject(obj('1', { data: { x: '1', y: '2' } }), obj('1', { data: { y: '2', x: '1' }, binaryData: undefined })));
  t.false(sameStoredObject(obj('1', { data: { x: '1' } }), obj('1', { data: { x: '2' } })));
  t.false(sameStoredObject(obj('1'), { ...obj('1'), metadata: { ...obj('1').metadata, labels: { a: '1' } } }));
  t.false(sameStoredObject(obj('1', { data: { x: [1, 2] } }), obj('1', { data: { x: [2, 1] } })));
  t.false(sameStoredObject(obj('1'), { apiVersion: 'v1', kind: 'ConfigMap' }));
  // What decides it is what etcd would hold: the same as comparing the encodings.
  const a = obj('7', { data: { z: '0' } });
  const b = decodeObject(encodeObject(a), 8);
  t.true(sameStoredObject(a, b));
});
