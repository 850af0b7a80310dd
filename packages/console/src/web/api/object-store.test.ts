import test from 'ava';
import type { KubeObject } from '@tugboat/api';
import { applyWatchLine, keyOf } from './object-store.js';
import { LineSplitter, parseWatchLine } from './watch-lines.js';

test('LineSplitter keeps a line cut across chunks until it is whole', (t) => {
  const s = new LineSplitter();
  t.deepEqual(s.push('{"a":1}\n{"b"'), ['{"a":1}']);
  t.deepEqual(s.push(':2}\n\n{"c":3}'), ['{"b":2}']);
  t.deepEqual(s.push('\n'), ['{"c":3}']);
});

test('parseWatchLine takes watch events and skips anything else', (t) => {
  t.deepEqual(parseWatchLine('{"type":"ADDED","object":{"metadata":{"name":"a"}}}'), { type: 'ADDED', object: { metadata: { name: 'a' } } });
  t.is(parseWatchLine('{"type":"NOPE","object":{}}'), undefined);
  t.is(parseWatchLine('not json'), undefined);
});

test('applyWatchLine: added, modified, deleted, bookmarks move the resourceVersion, ERROR relists', (t) => {
  const store = new Map<string, KubeObject>();
  const obj = (name: string, rv: string, ns = 'demo'): KubeObject => ({ metadata: { name, namespace: ns, resourceVersion: rv } });
  t.deepEqual(applyWatchLine(store, { type: 'ADDED', object: obj('a', '5') }), { type: 'changed', resourceVersion: '5' });
  applyWatchLine(store, { type: 'MODIFIED', object: { ...obj('a', '6'), spec: { x: 1 } } });
  t.deepEqual(store.get('demo/a')?.['spec'], { x: 1 });
  applyWatchLine(store, { type: 'DELETED', object: obj('a', '7') });
  t.is(store.size, 0);
  t.deepEqual(applyWatchLine(store, { type: 'BOOKMARK', object: obj('', '9') }), { type: 'progress', resourceVersion: '9' });
  t.deepEqual(applyWatchLine(store, { type: 'ERROR', object: { message: 'too old resource version: 1 (9)' } }), { type: 'relist', message: 'too old resource version: 1 (9)' });
  t.is(keyOf({ metadata: { name: 'node-1' } }), 'node-1');
});
