import test from 'ava';
import { LAST_APPLIED_ANNOTATION, type KubeObject } from '@tugboat/api';
import { cleanManifest, computeApply } from './apply.js';

const manifest = (labels: Record<string, string>): KubeObject => ({
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'default', labels }, data: { a: '1' },
});

test('a new object records the manifest it was applied from', (t) => {
  const out = computeApply(manifest({ app: 'x' }), undefined);
  t.deepEqual(JSON.parse(out.metadata!.annotations![LAST_APPLIED_ANNOTATION]!), manifest({ app: 'x' }));
});

test('server-owned metadata, status and an old annotation are not part of the manifest', (t) => {
  const m: KubeObject = {
    ...manifest({}),
    metadata: { name: 'cfg', resourceVersion: '5', uid: 'u', creationTimestamp: 'x', generation: 3, annotations: { [LAST_APPLIED_ANNOTATION]: '{}' } },
    status: { phase: 'x' },
  };
  t.deepEqual(cleanManifest(m), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: '1' } });
});

test('re-applying the same manifest yields the live object unchanged', (t) => {
  const first = computeApply(manifest({ app: 'x' }), undefined);
  const live: KubeObject = { ...first, metadata: { ...first.metadata, uid: 'u1', resourceVersion: '7' } };
  t.deepEqual(computeApply(manifest({ app: 'x' }), live), live);
});

test('reordered keys keep the recorded text', (t) => {
  const first = computeApply(manifest({ a: '1', b: '2' }), undefined);
  const again = computeApply(manifest({ b: '2', a: '1' }), first);
  t.is(again.metadata!.annotations![LAST_APPLIED_ANNOTATION], first.metadata!.annotations![LAST_APPLIED_ANNOTATION]);
});

test('a dropped label is removed, a label added by someone else is kept', (t) => {
  const first = computeApply(manifest({ app: 'x', tier: 'y' }), undefined);
  const live: KubeObject = { ...first, metadata: { ...first.metadata, labels: { ...first.metadata!.labels, other: 'z' } } };
  const next = computeApply(manifest({ app: 'x' }), live);
  t.deepEqual(next.metadata!.labels, { app: 'x', other: 'z' });
});
