import test from 'ava';
import { ApiError, type KubeObject } from '@tugboat/api';
import { applyPatch } from './index.js';

const pod = (): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', labels: { app: 'web' } },
  spec: { containers: [{ name: 'a', image: 'nginx' }] },
});

test('applyPatch dispatches on the content type; kubectl label/annotate send merge or strategic patches', (t) => {
  const body = JSON.stringify({ metadata: { labels: { tier: 'fe' } }, spec: { containers: [{ name: 'b', image: 'redis' }] } });
  const smp = applyPatch('Pod', pod(), 'application/strategic-merge-patch+json', body);
  t.is((smp['spec'] as { containers: unknown[] }).containers.length, 2);
  const merge = applyPatch('Pod', pod(), 'application/merge-patch+json', body);
  t.is((merge['spec'] as { containers: unknown[] }).containers.length, 1);
  t.deepEqual(merge.metadata?.labels, { app: 'web', tier: 'fe' });
  const json = applyPatch('Pod', pod(), 'application/json-patch+json', '[{"op":"add","path":"/metadata/labels/x","value":"1"}]');
  t.deepEqual(json.metadata?.labels, { app: 'web', x: '1' });
});

test('errors are ApiErrors with Kubernetes\' reasons', (t) => {
  const bad = t.throws(() => applyPatch('Pod', pod(), 'application/merge-patch+json', '{'));
  t.true(bad instanceof ApiError && bad.reason === 'BadRequest');
  const failed = t.throws(() => applyPatch('Pod', pod(), 'application/json-patch+json', '[{"op":"test","path":"/metadata/name","value":"x"}]'));
  t.true(failed instanceof ApiError && failed.reason === 'Invalid');
});
