import test from 'ava';
import type { KubeObject, Pod } from '@tugboat/api';
import { admitServiceAccount, podServiceAccountName } from './service-account-admission.js';

type PodObject = Pod & KubeObject;
const pod = (spec: Partial<NonNullable<Pod['spec']>> = {}): PodObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'a' },
  spec: { containers: [{ name: 'c', image: 'busybox' }, { name: 'd', image: 'busybox', volumeMounts: [{ name: 'own', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }] }], ...spec },
});

test('the pod runs as its account, default "default"; the token volume goes into every container that has nothing there', (t) => {
  const out = admitServiceAccount(pod({ initContainers: [{ name: 'i', image: 'busybox' }] }), true, () => 0);
  t.is(out.spec?.serviceAccountName, 'default');
  t.deepEqual(out.spec?.volumes?.map((v) => v.name), ['kube-api-access-bbbbb']);
  const sources = out.spec?.volumes?.[0]?.projected?.sources ?? [];
  t.deepEqual(sources.map((s) => Object.keys(s)[0]), ['serviceAccountToken', 'configMap', 'downwardAPI']);
  t.deepEqual(sources[0]?.serviceAccountToken, { expirationSeconds: 3607, path: 'token' });
  t.deepEqual(out.spec?.containers[0]?.volumeMounts, [{ name: 'kube-api-access-bbbbb', readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
  t.deepEqual(out.spec?.containers[1]?.volumeMounts?.map((m) => m.name), ['own'], 'a container mounting something there keeps it');
  t.is(out.spec?.initContainers?.[0]?.volumeMounts?.[0]?.name, 'kube-api-access-bbbbb');
});

test('opting out, on the pod or its account; a named account; a pod that has the volume already', (t) => {
  t.is(admitServiceAccount(pod({ automountServiceAccountToken: false }), true).spec?.volumes, undefined);
  t.is(admitServiceAccount(pod(), false).spec?.volumes, undefined);
  t.is(admitServiceAccount(pod({ automountServiceAccountToken: true }), false).spec?.volumes?.length, 1, 'the pod overrides its account');
  t.is(podServiceAccountName(pod({ serviceAccountName: 'robot' })), 'robot');
  t.is(podServiceAccountName(pod({ serviceAccount: 'legacy' })), 'legacy');
  const once = admitServiceAccount(pod(), true);
  t.deepEqual(admitServiceAccount(once, true), once);
});
