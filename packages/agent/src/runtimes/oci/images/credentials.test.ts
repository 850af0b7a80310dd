import test from 'ava';
import type { Secret } from '@tugboat/api';
import { parseDockerConfig, keychainFromSecret, findCredential, CredentialError } from './credentials.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

test('reads auth, username/password and tokens; Docker Hub keys mean docker.io', (t) => {
  const entries = parseDockerConfig(JSON.stringify({
    auths: {
      'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pass') },
      'registry.example.com:5000': { username: 'u', password: 'p' },
      'ghcr.io': { identitytoken: 'refresh-me' },
      'http://private.example.com/team': { auth: b64('team:secret') },
    },
  }));
  t.deepEqual(findCredential(entries, 'docker.io', 'library/busybox'), { username: 'hubuser', password: 'hub:pass' });
  t.deepEqual(findCredential(entries, 'registry.example.com:5000', 'x/y'), { username: 'u', password: 'p' });
  t.is(findCredential(entries, 'registry.example.com', 'x/y'), undefined, 'the port is part of the host');
  t.deepEqual(findCredential(entries, 'ghcr.io', 'o/r'), { identityToken: 'refresh-me' });
  t.deepEqual(findCredential(entries, 'private.example.com', 'team/app'), { username: 'team', password: 'secret' });
  t.is(findCredential(entries, 'private.example.com', 'teamx/app'), undefined, 'a path prefix matches whole components');
});

test('the most specific entry wins; a wildcard stands for one DNS label', (t) => {
  const entries = parseDockerConfig(JSON.stringify({
    auths: {
      '*.example.com': { auth: b64('wild:1') },
      'a.example.com': { auth: b64('exact:2') },
      'a.example.com/special': { auth: b64('special:3') },
    },
  }));
  t.is(findCredential(entries, 'a.example.com', 'special/app')?.username, 'special');
  t.is(findCredential(entries, 'a.example.com', 'other/app')?.username, 'exact');
  t.is(findCredential(entries, 'b.example.com', 'app')?.username, 'wild');
  t.is(findCredential(entries, 'x.b.example.com', 'app'), undefined);
  t.is(findCredential(entries, 'example.com', 'app'), undefined);
});

test('imagePullSecrets of both Kubernetes types', (t) => {
  const json = JSON.stringify({ auths: { '127.0.0.1:5000': { auth: b64('me:pw') } } });
  const secret: Secret = { metadata: { name: 'regcred', namespace: 'default' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64(json) } };
  t.is(findCredential(keychainFromSecret(secret), '127.0.0.1:5000', 'a/b')?.password, 'pw');
  const legacy: Secret = { metadata: { name: 'old' }, type: 'kubernetes.io/dockercfg', data: { '.dockercfg': b64(JSON.stringify({ 'quay.io': { auth: b64('q:w') } })) } };
  t.is(findCredential(keychainFromSecret(legacy), 'quay.io', 'a/b')?.username, 'q');
});

test('a bad secret is one clear error naming it', (t) => {
  const wrongType: Secret = { metadata: { name: 'x', namespace: 'ns' }, type: 'Opaque', data: {} };
  t.throws(() => keychainFromSecret(wrongType), { instanceOf: CredentialError, message: 'Secret "ns/x": type "Opaque" is not kubernetes.io/dockerconfigjson' });
  const noKey: Secret = { metadata: { name: 'x', namespace: 'ns' }, type: 'kubernetes.io/dockerconfigjson', data: {} };
  t.throws(() => keychainFromSecret(noKey), { message: /data\[.dockerconfigjson\] is missing/ });
  const badJson: Secret = { metadata: { name: 'x', namespace: 'ns' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64('{') } };
  t.throws(() => keychainFromSecret(badJson), { message: /is not valid JSON/ });
});
