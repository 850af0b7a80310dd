import test from 'ava';
import {
  parseImageReference, parseRegistryReference, formatReference, familiarReference, isLoopbackDomain,
  defaultPullPolicy, registryApiHost, InvalidReferenceError,
} from './reference.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

const normalized: Array<[string, string]> = [
  ['busybox', 'docker.io/library/busybox:latest'],
  ['busybox:1.36', 'docker.io/library/busybox:1.36'],
  ['library/busybox', 'docker.io/library/busybox:latest'],
  ['me/app', 'docker.io/me/app:latest'],
  ['me/group/app:v2', 'docker.io/me/group/app:v2'],
  ['index.docker.io/busybox', 'docker.io/library/busybox:latest'],
  ['docker.io/busybox:musl', 'docker.io/library/busybox:musl'],
  ['localhost/app', 'localhost/app:latest'],
  ['localhost:5000/app:1', 'localhost:5000/app:1'],
  ['127.0.0.1:5000/test/busybox:1', '127.0.0.1:5000/test/busybox:1'],
  ['quay.io/coreos/etcd', 'quay.io/coreos/etcd:latest'],
  ['[::1]:5000/app', '[::1]:5000/app:latest'],
  [`busybox@${DIGEST}`, `docker.io/library/busybox@${DIGEST}`],
  [`busybox:1@${DIGEST}`, `docker.io/library/busybox:1@${DIGEST}`],
  ['registry.example.com:443/a/b-c_d.e__f:tag.1-x', 'registry.example.com:443/a/b-c_d.e__f:tag.1-x'],
  ['oci:/var/images/busybox', 'oci:/var/images/busybox'],
  ['oci:/var/images/busybox:1', 'oci:/var/images/busybox:1'],
  ['oci-archive:/tmp/b.tar:v1', 'oci-archive:/tmp/b.tar:v1'],
  ['oci-archive:./rel/b.tar', 'oci-archive:./rel/b.tar'],
];

for (const [input, want] of normalized) {
  test(`normalizes ${input}`, (t) => {
    t.is(formatReference(parseImageReference(input)), want);
  });
}

test('splits domain, path, tag and digest', (t) => {
  t.deepEqual(parseRegistryReference('127.0.0.1:5000/test/busybox:1'), {
    kind: 'registry', domain: '127.0.0.1:5000', path: 'test/busybox', tag: '1',
  });
  t.deepEqual(parseRegistryReference(`busybox@${DIGEST}`), {
    kind: 'registry', domain: 'docker.io', path: 'library/busybox', digest: DIGEST,
  });
  t.deepEqual(parseImageReference('oci:/a/b:c'), { kind: 'oci-layout', dir: '/a/b', tag: 'c' });
  t.deepEqual(parseImageReference('oci:/a:b/c'), { kind: 'oci-layout', dir: '/a:b/c' });
});

test('the familiar form drops docker.io and library/', (t) => {
  t.is(familiarReference(parseImageReference('docker.io/library/busybox:latest')), 'busybox:latest');
  t.is(familiarReference(parseImageReference('me/app:1')), 'me/app:1');
  t.is(familiarReference(parseImageReference('localhost:5000/app:1')), 'localhost:5000/app:1');
});

const invalid: Array<[string, RegExp]> = [
  ['', /empty/],
  ['Busybox', /lowercase/],
  ['docker.io/Me/app', /lowercase/],
  ['busybox:', /tag/],
  ['busybox:-bad', /tag/],
  [`busybox:${'t'.repeat(129)}`, /tag/],
  ['busybox@sha256:abc', /digest/],
  [`busybox@sha256:${'A'.repeat(64)}`, /sha256/],
  ['a//b', /component/],
  ['a/-b', /component/],
  ['host:port/app', /registry host/],
  [' busybox', /whitespace/],
  ['oci:', /path/],
];

for (const [input, reason] of invalid) {
  test(`rejects ${JSON.stringify(input)}`, (t) => {
    const err = t.throws(() => parseImageReference(input), { instanceOf: InvalidReferenceError });
    t.regex(err?.message ?? '', reason);
  });
}

test('loopback registries are insecure by default', (t) => {
  t.true(isLoopbackDomain('127.0.0.1:5000'));
  t.true(isLoopbackDomain('127.5.6.7'));
  t.true(isLoopbackDomain('localhost:5000'));
  t.true(isLoopbackDomain('[::1]:5000'));
  t.false(isLoopbackDomain('docker.io'));
  t.false(isLoopbackDomain('10.0.0.1:5000'));
  t.false(isLoopbackDomain('127.0.0.1.example.com'));
});

test('pull policy defaults as Kubernetes', (t) => {
  t.is(defaultPullPolicy('busybox'), 'Always');
  t.is(defaultPullPolicy('busybox:latest'), 'Always');
  t.is(defaultPullPolicy('busybox:1.36'), 'IfNotPresent');
  t.is(defaultPullPolicy(`busybox@${DIGEST}`), 'IfNotPresent');
  t.is(defaultPullPolicy('oci:/images/x'), 'IfNotPresent');
});

test('docker.io is served by registry-1.docker.io', (t) => {
  t.is(registryApiHost('docker.io'), 'registry-1.docker.io');
  t.is(registryApiHost('quay.io'), 'quay.io');
});
