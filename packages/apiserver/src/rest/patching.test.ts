// The PATCH path with the real patch module: read → applyPatch → write with the read
// resourceVersion, redone after a Conflict unless the patch asked for a resourceVersion.
import test from 'ava';
import { ApiError, type KubeObject } from '@tugboat/api';
import type { WriteResult } from '../registry/registry.js';
import { PATCHING } from './patching.js';
import { patchLoop } from './resource-handlers.js';
import { route, type ResourceRoute } from './router.js';

const r = route('PATCH', '/api/v1/namespaces/a/configmaps/c', new URLSearchParams()) as ResourceRoute;
const cm = (rv: string, data: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'a', resourceVersion: rv }, data } as KubeObject);

test('a merge patch is written with the resourceVersion it was computed from, and redone after a conflict', async (t) => {
  const patching = PATCHING;
  const reads = [cm('5', { a: '1' }), cm('6', { a: '1', b: '2' })];
  const writes: KubeObject[] = [];
  const res = await patchLoop(r, async () => reads.shift()!, (cur) => patching.applyPatch('ConfigMap', cur, 'application/merge-patch+json', '{"data":{"x":"9"}}'), async (next): Promise<WriteResult> => {
    writes.push(next);
    if (writes.length === 1) throw new ApiError('Conflict', 'Operation cannot be fulfilled on configmaps "c": the object has been modified');
    return { object: next, warnings: [] };
  });
  t.deepEqual(writes.map((w) => w.metadata?.resourceVersion), ['5', '6']);
  t.deepEqual((res.object as { data?: unknown }).data, { a: '1', b: '2', x: '9' });
});

test('a patch that names a resourceVersion is a precondition: its conflict is the caller\'s', async (t) => {
  const patching = PATCHING;
  let writes = 0;
  const err = await t.throwsAsync(patchLoop(r, async () => cm('6', {}), (cur) => patching.applyPatch('ConfigMap', cur, 'application/json-patch+json', '[{"op":"add","path":"/metadata/resourceVersion","value":"5"}]'), async (next) => {
    writes++;
    t.is(next.metadata?.resourceVersion, '5');
    throw new ApiError('Conflict', 'stale');
  }));
  t.is((err as ApiError).reason, 'Conflict');
  t.is(writes, 1);
});

test('a patch may not rename the object', async (t) => {
  const patching = PATCHING;
  await t.throwsAsync(patchLoop(r, async () => cm('6', {}), (cur) => patching.applyPatch('ConfigMap', cur, 'application/merge-patch+json', '{"metadata":{"name":"d"}}'), async (next) => ({ object: next, warnings: [] })), { message: 'the name of the object (d) does not match the name on the URL (c)' });
});
