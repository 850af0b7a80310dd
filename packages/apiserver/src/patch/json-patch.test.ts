import test from 'ava';
import { ApiError } from '@tugboat/api';
import { applyJsonPatch, MAX_JSON_PATCH_OPERATIONS } from './json-patch.js';
import type { JsonObject } from './json.js';

const pod = (): JsonObject => ({
  metadata: { name: 'web', labels: { app: 'web', 'a/b': 'x', 'c~d': 'y' } },
  spec: { containers: [{ name: 'a', image: 'nginx' }, { name: 'b', image: 'redis' }] },
});
const patch = (doc: JsonObject, ops: unknown[]): JsonObject => applyJsonPatch(doc, JSON.stringify(ops));

function error(t: import('ava').ExecutionContext, fn: () => unknown): ApiError {
  const err = t.throws(fn);
  if (!(err instanceof ApiError)) throw new Error(`not an ApiError: ${String(err)}`);
  return err;
}

test('add, remove, replace on maps and lists; "-" appends; the input is not modified', (t) => {
  const doc = pod();
  const out = patch(doc, [
    { op: 'add', path: '/metadata/labels/tier', value: 'fe' },
    { op: 'remove', path: '/metadata/labels/app' },
    { op: 'replace', path: '/spec/containers/0/image', value: 'nginx:2' },
    { op: 'add', path: '/spec/containers/-', value: { name: 'c', image: 'busybox' } },
    { op: 'add', path: '/spec/containers/0', value: { name: 'first' } },
  ]);
  t.deepEqual((out['metadata'] as JsonObject)['labels'], { 'a/b': 'x', 'c~d': 'y', tier: 'fe' });
  t.deepEqual((out['spec'] as JsonObject)['containers'], [
    { name: 'first' }, { name: 'a', image: 'nginx:2' }, { name: 'b', image: 'redis' }, { name: 'c', image: 'busybox' },
  ]);
  t.deepEqual(doc, pod());
});

test('JSON pointer escapes: ~1 is "/", ~0 is "~"', (t) => {
  const out = patch(pod(), [
    { op: 'replace', path: '/metadata/labels/a~1b', value: 'X' },
    { op: 'remove', path: '/metadata/labels/c~0d' },
  ]);
  t.deepEqual((out['metadata'] as JsonObject)['labels'], { app: 'web', 'a/b': 'X' });
});

test('move and copy', (t) => {
  const out = patch(pod(), [
    { op: 'copy', from: '/metadata/labels/app', path: '/metadata/labels/copied' },
    { op: 'move', from: '/spec/containers/1', path: '/spec/containers/0' },
  ]);
  t.is(((out['metadata'] as JsonObject)['labels'] as JsonObject)['copied'], 'web');
  t.deepEqual(((out['spec'] as JsonObject)['containers'] as JsonObject[]).map((c) => c['name']), ['b', 'a']);
});

test('a passing test op lets the patch through; a failing one is 422 Invalid worded as Kubernetes words it', (t) => {
  const out = patch(pod(), [{ op: 'test', path: '/metadata/name', value: 'web' }, { op: 'replace', path: '/metadata/name', value: 'w2' }]);
  t.is((out['metadata'] as JsonObject)['name'], 'w2');
  const err = error(t, () => patch(pod(), [{ op: 'test', path: '/metadata/name', value: 'other' }]));
  t.is(err.reason, 'Invalid');
  t.is(err.message, 'testing value /metadata/name failed: test failed');
  // A missing key tests equal to null, as in the library Kubernetes uses.
  t.notThrows(() => patch(pod(), [{ op: 'test', path: '/metadata/namespace', value: null }]));
});

test('Kubernetes quirk: replace of a missing object key adds it; a missing parent or list index fails', (t) => {
  const out = patch(pod(), [{ op: 'replace', path: '/metadata/labels/new', value: 'v' }]);
  t.is(((out['metadata'] as JsonObject)['labels'] as JsonObject)['new'], 'v');
  t.is(error(t, () => patch(pod(), [{ op: 'replace', path: '/spec/nothing/here', value: 1 }])).message,
    'replace operation does not apply: doc is missing path: /spec/nothing/here: missing value');
  t.is(error(t, () => patch(pod(), [{ op: 'replace', path: '/spec/containers/5', value: 1 }])).message,
    'replace operation does not apply: doc is missing key: /spec/containers/5: missing value');
});

test('errors for paths that do not exist', (t) => {
  const remove = error(t, () => patch(pod(), [{ op: 'remove', path: '/metadata/annotations' }]));
  t.is(remove.reason, 'Invalid');
  t.is(remove.message, "error in remove for path: '/metadata/annotations': Unable to remove nonexistent key: annotations: missing value");
  t.is(error(t, () => patch(pod(), [{ op: 'add', path: '/metadata/annotations/x', value: 'y' }])).message,
    'add operation does not apply: doc is missing path: "/metadata/annotations/x": missing value');
  t.is(error(t, () => patch(pod(), [{ op: 'add', path: '/spec/containers/9', value: {} }])).message,
    "error in add for path: '/spec/containers/9': Unable to access invalid index: 9: invalid index referenced");
  t.is(error(t, () => patch(pod(), [{ op: 'frob', path: '/x' }])).message, 'Unexpected kind: frob');
});

test('negative indices count from the end (the library allows them)', (t) => {
  const out = patch(pod(), [{ op: 'remove', path: '/spec/containers/-1' }]);
  t.deepEqual(((out['spec'] as JsonObject)['containers'] as JsonObject[]).map((c) => c['name']), ['a']);
});

test('malformed patches are 400; too many operations 413', (t) => {
  t.is(error(t, () => applyJsonPatch(pod(), '{"op":"add"}')).reason, 'BadRequest');
  t.is(error(t, () => applyJsonPatch(pod(), '[{"op":')).reason, 'BadRequest');
  const many = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({ op: 'test', path: '/metadata/name', value: 'web' }));
  const err = error(t, () => patch(pod(), many));
  t.is(err.reason, 'RequestEntityTooLarge');
  t.is(err.message, `The allowed maximum operations in a JSON patch is 10000, got ${MAX_JSON_PATCH_OPERATIONS + 1}`);
});

test('operations apply in order and the patch is all or nothing', (t) => {
  const doc = pod();
  t.throws(() => patch(doc, [{ op: 'add', path: '/metadata/labels/x', value: '1' }, { op: 'remove', path: '/nope' }]));
  t.deepEqual(doc, pod());
});
