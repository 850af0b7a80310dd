import test from 'ava';
import {
  generateName, isConfigMapKey, isDNS1123Label, isDNS1123Subdomain, isEnvVarName, isQualifiedName, isValidIP, isValidLabelValue,
  isValidPortName, isValidPortNum, nameIsDNSLabel, nameIsDNSSubdomain,
} from './names.js';

test('DNS-1123 labels and subdomains', (t) => {
  for (const ok of ['a', 'web', 'my-name', '123-abc', 'a'.repeat(63)]) t.deepEqual(isDNS1123Label(ok), [], ok);
  t.deepEqual(isDNS1123Label('a.b'), ['must not contain dots']);
  t.deepEqual(isDNS1123Label('a'.repeat(64)), ['must be no more than 63 characters']);
  t.deepEqual(isDNS1123Label('Web'), [
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  ]);
  for (const bad of ['', '-a', 'a-', 'a_b', 'é']) t.is(isDNS1123Label(bad).length, 1, bad);
  for (const ok of ['example.com', 'web', 'a.b-c.d', 'a'.repeat(253)]) t.deepEqual(isDNS1123Subdomain(ok), [], ok);
  t.deepEqual(isDNS1123Subdomain('Web'), [
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  ]);
  t.is(isDNS1123Subdomain('a..b').length, 1);
  t.true(isDNS1123Subdomain('a'.repeat(254)).includes('must be no more than 253 characters'));
});

test('qualified names and label values', (t) => {
  for (const ok of ['app', 'MyName', 'my.name', '123-abc', 'example.com/app', 'app.kubernetes.io/name', 'a_b']) t.deepEqual(isQualifiedName(ok), [], ok);
  t.deepEqual(isQualifiedName('/app'), ['prefix part must be non-empty']);
  t.deepEqual(isQualifiedName('example.com/'), ['name part must be non-empty', "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"]);
  t.true(isQualifiedName('Example.com/app')[0]?.startsWith('prefix part a lowercase RFC 1123 subdomain'));
  t.true(isQualifiedName('a/b/c')[0]?.startsWith('a qualified name must consist of'));
  t.true(isQualifiedName('x'.repeat(64)).includes('name part must be no more than 63 characters'));
  t.is(isQualifiedName('bad key').length, 1);
  for (const ok of ['', 'v1', 'my_value', '12345', 'a.b-c']) t.deepEqual(isValidLabelValue(ok), [], ok);
  t.is(isValidLabelValue('-x').length, 1);
  t.is(isValidLabelValue('a b').length, 1);
  t.deepEqual(isValidLabelValue('x'.repeat(64)), ['must be no more than 63 characters']);
});

test('config keys, env names, ports, IPs', (t) => {
  t.deepEqual(isConfigMapKey('config.yaml'), []);
  t.deepEqual(isConfigMapKey('KEY_NAME'), []);
  t.is(isConfigMapKey('a/b').length, 1);
  t.deepEqual(isConfigMapKey('..'), ["must not be '..'"]);
  t.deepEqual(isConfigMapKey('..x'), ["must not start with '..'"]);
  t.deepEqual(isEnvVarName('MY_ENV.NAME'), []);
  t.deepEqual(isEnvVarName('my-env'), []);
  t.is(isEnvVarName('1ABC').length, 1);
  t.is(isEnvVarName('A B').length, 1);
  t.deepEqual(isValidPortName('http'), []);
  t.deepEqual(isValidPortName('web-8080'), []);
  t.deepEqual(isValidPortName('8080'), ['must contain at least one letter (a-z)']);
  t.deepEqual(isValidPortName('a--b'), ['must not contain consecutive hyphens']);
  t.deepEqual(isValidPortName('-ab'), ['must not begin or end with a hyphen']);
  t.deepEqual(isValidPortName('HTTP'), ['must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)', 'must contain at least one letter (a-z)']);
  t.deepEqual(isValidPortName('a'.repeat(16)), ['must be no more than 15 characters']);
  t.deepEqual(isValidPortNum(1), []);
  t.deepEqual(isValidPortNum(65535), []);
  t.deepEqual(isValidPortNum(0), ['must be between 1 and 65535, inclusive']);
  t.deepEqual(isValidPortNum(65536), ['must be between 1 and 65535, inclusive']);
  t.deepEqual(isValidIP('10.0.0.1'), []);
  t.deepEqual(isValidIP('::1'), []);
  t.is(isValidIP('10.0.0').length, 1);
});

test('name validators and generateName', (t) => {
  t.deepEqual(nameIsDNSSubdomain('web-', true), [], 'a generateName may end with a dash');
  t.is(nameIsDNSSubdomain('web-', false).length, 1);
  t.deepEqual(nameIsDNSLabel('ns-', true), []);
  t.is(generateName('web-', () => 0), 'web-bbbbb');
  t.is(generateName('web-', () => 0.999), 'web-99999');
  t.is(generateName('x'.repeat(100), () => 0).length, 63);
  t.regex(generateName('p-'), /^p-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
});
