// What a projected volume holds, from its sources (lookups over in-memory objects; tokens
// and the whole volume for real in agent-oci.test.ts), and the errors kubelet would give.
import test from 'ava';
import { serviceAccountTokenVolume, type ConfigMap, type Secret, type TokenRequestSpec, type Volume } from '@tugboat/api';
import { VolumeError } from '../runtime.js';
import { downwardApiField, formatMap, projectVolume, type ProjectionPod } from './projected-volume.js';
import type { ObjectLookup } from './volume-data.js';

const pod: ProjectionPod = {
  uid: 'uid-1', namespace: 'prod', name: 'web', serviceAccountName: 'builder',
  labels: { app: 'shop', tier: 'front' }, annotations: { note: 'say "hi"\nbye' },
};

function lookup(objects: { configMaps?: Record<string, ConfigMap>; secrets?: Record<string, Secret>; accounts?: string[] } = {}): ObjectLookup & { requests: TokenRequestSpec[] } {
  const requests: TokenRequestSpec[] = [];
  return {
    requests,
    configMap: async (ns, name) => objects.configMaps?.[`${ns}/${name}`],
    secret: async (ns, name) => objects.secrets?.[`${ns}/${name}`],
    serviceAccountToken: async (ns, name, request) => {
      if (!(objects.accounts ?? []).includes(`${ns}/${name}`)) throw new Error(`serviceaccounts "${name}" not found`);
      requests.push(request);
      return { token: `token-for-${name}`, expirationTimestamp: new Date(Date.UTC(2024, 4, 1, 1, 0, 0)).toISOString() };
    },
  };
}

/** The ServiceAccount admission's volume, as the API server adds it. */
const apiAccess: Volume = serviceAccountTokenVolume('kube-api-access-x2b4c');

const text = (files: { path: string; content: Buffer; mode: number }[]): Record<string, string> =>
  Object.fromEntries(files.map((f) => [f.path, `${f.content.toString()} (${f.mode.toString(8)})`]));

test('the kube-api-access volume: a token bound to the pod, the cluster CA, the namespace', async (t) => {
  const l = lookup({ configMaps: { 'prod/kube-root-ca.crt': { data: { 'ca.crt': 'CA PEM', other: 'x' } } }, accounts: ['prod/builder'] });
  const now = Date.UTC(2024, 4, 1, 0, 0, 0);
  const p = await projectVolume(apiAccess, 3, pod, l, () => now);
  t.deepEqual(text(p.files), { token: 'token-for-builder (644)', 'ca.crt': 'CA PEM (644)', namespace: 'prod (644)' });
  t.deepEqual(l.requests, [{ expirationSeconds: 3607, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web', uid: 'uid-1' } }]);
  // Issued as far back as the lifetime asked for (kubelet's reckoning), never in the future.
  t.deepEqual(p.tokens, [{ issuedAt: Date.UTC(2024, 4, 1, 1, 0, 0) - 3607_000, expiresAt: Date.UTC(2024, 4, 1, 1, 0, 0) }]);
});

test('secret keys, items with modes, an audience, labels and annotations as kubelet formats them', async (t) => {
  const l = lookup({ secrets: { 'prod/creds': { data: { user: Buffer.from('admin').toString('base64'), pass: Buffer.from('s3cret').toString('base64') } } }, accounts: ['prod/builder'] });
  const p = await projectVolume({
    name: 'all',
    projected: {
      defaultMode: 0o440,
      sources: [
        { secret: { name: 'creds', items: [{ key: 'pass', path: 'db/password', mode: 0o400 }] } },
        { downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'notes', fieldRef: { fieldPath: 'metadata.annotations' } }, { path: 'app', fieldRef: { fieldPath: "metadata.labels['app']" } }] } },
        { serviceAccountToken: { audience: 'vault', path: 'vault-token' } },
        { configMap: { name: 'absent', optional: true } },
      ],
    },
  }, 0, pod, l);
  t.deepEqual(text(p.files), {
    'db/password': 's3cret (400)',
    labels: 'app="shop"\ntier="front" (440)',
    notes: 'note="say \\"hi\\"\\nbye" (440)',
    app: 'shop (440)',
    'vault-token': 'token-for-builder (440)',
  });
  t.deepEqual(l.requests[0]?.audiences, ['vault']);
  t.is(l.requests[0]?.expirationSeconds, 3607, 'kubelet\'s default lifetime');
  t.is(formatMap({}), '');
  t.is(downwardApiField(pod, 'metadata.uid'), 'uid-1');
  t.throws(() => downwardApiField(pod, 'spec.nodeName'), { message: 'unsupported fieldPath: spec.nodeName' });
});

test('what is missing is a VolumeError naming the volume, in kubelet\'s words; every source\'s error at once', async (t) => {
  const missingCa = await t.throwsAsync(projectVolume(apiAccess, 2, pod, lookup({ accounts: ['prod/builder'] })), { instanceOf: VolumeError });
  t.is(missingCa?.volume, 'kube-api-access-x2b4c');
  t.is(missingCa?.detail, 'configmap "kube-root-ca.crt" not found');
  t.is(missingCa?.message, 'spec.volumes[2].projected: configmap "kube-root-ca.crt" not found');
  const both = await t.throwsAsync(projectVolume(apiAccess, 2, pod, lookup()), { instanceOf: VolumeError });
  t.is(both?.detail, '[failed to fetch token: serviceaccounts "builder" not found, configmap "kube-root-ca.crt" not found]');
  const badKey = await t.throwsAsync(projectVolume({
    name: 'v', projected: { sources: [{ configMap: { name: 'cm', items: [{ key: 'nope', path: 'x' }] } }] },
  }, 0, pod, lookup({ configMaps: { 'prod/cm': { data: { a: '1' } } } })), { instanceOf: VolumeError });
  t.is(badKey?.detail, 'configmap "cm" has no key "nope"');
});
