// The EncryptionConfiguration parser: Kubernetes' format accepted as is, and every mistake one
// line naming the file and the field path.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEncryptionConfig, parseEncryptionConfig } from './config.js';

const KEY32 = Buffer.alloc(32, 7).toString('base64');
const KEY16 = Buffer.alloc(16, 1).toString('base64');

function config(body: string): string {
  return `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n${body}`;
}

test('a Kubernetes EncryptionConfiguration: providers in order, group-qualified names, entries merged per resource', (t) => {
  const c = parseEncryptionConfig(config(`
resources:
  - resources: [secrets, deployments.apps]
    providers:
      - aesgcm:
          keys:
            - { name: key2, secret: ${KEY32} }
            - { name: key1, secret: ${KEY16} }
      - aescbc: { keys: [{ name: old, secret: ${KEY16} }] }
      - identity: {}
  - resources: [secrets]
    providers: [{ identity: {} }]
`), '/etc/enc.yaml');
  t.is(c.source, '/etc/enc.yaml');
  t.deepEqual([...c.resources.keys()], ['secrets', 'deployments']);
  const secrets = c.resources.get('secrets')!;
  t.deepEqual(secrets.map((p) => p.type), ['aesgcm', 'aescbc', 'identity', 'identity']);
  const gcm = secrets[0]!;
  t.true(gcm.type === 'aesgcm' && gcm.keys.map((k) => `${k.name}:${k.secret.length}`).join(',') === 'key2:32,key1:16');
});

test('JSON is YAML too', (t) => {
  const c = parseEncryptionConfig(JSON.stringify({
    apiVersion: 'apiserver.config.k8s.io/v1', kind: 'EncryptionConfiguration',
    resources: [{ resources: ['configmaps'], providers: [{ aescbc: { keys: [{ name: 'a', secret: KEY32 }] } }] }],
  }), 'x.json');
  t.is(c.resources.get('configmaps')?.[0]?.type, 'aescbc');
});

const cases: [string, string, string][] = [
  ['secret of the wrong size', `resources: [{ resources: [secrets], providers: [{ aesgcm: { keys: [{ name: k, secret: ${Buffer.alloc(20).toString('base64')} }] } }] }]`,
    'encryption config /x.yaml: resources[0].providers[0].aesgcm.keys[0].secret: must be 16, 24 or 32 bytes after base64 decoding, got 20'],
  ['secret not base64', 'resources: [{ resources: [secrets], providers: [{ identity: {} }, { aescbc: { keys: [{ name: k, secret: "not base64!" }] } }] }]',
    'encryption config /x.yaml: resources[0].providers[1].aescbc.keys[0].secret: must be base64 (the secret itself is not shown)'],
  ['secretbox', `resources: [{ resources: [secrets], providers: [{ secretbox: { keys: [{ name: k, secret: ${KEY32} }] } }] }]`,
    'encryption config /x.yaml: resources[0].providers[0].secretbox: the secretbox provider is not supported (supported: aesgcm, aescbc, identity)'],
  ['kms', 'resources: [{ resources: [secrets], providers: [{ kms: { name: x, endpoint: "unix:///k.sock" } }] }]',
    'encryption config /x.yaml: resources[0].providers[0].kms: the kms provider is not supported (supported: aesgcm, aescbc, identity)'],
  ['two providers in one element', `resources: [{ resources: [secrets], providers: [{ identity: {}, aesgcm: { keys: [] } }] }]`,
    'encryption config /x.yaml: resources[0].providers[0]: more than one provider in one element (identity, aesgcm); give each its own list element'],
  ['no keys', 'resources: [{ resources: [secrets], providers: [{ aesgcm: { keys: [] } }] }]',
    'encryption config /x.yaml: resources[0].providers[0].aesgcm.keys: at least one key is required'],
  ['key without a name', `resources: [{ resources: [secrets], providers: [{ aesgcm: { keys: [{ secret: ${KEY32} }] } }] }]`,
    'encryption config /x.yaml: resources[0].providers[0].aesgcm.keys[0].name: required'],
  ['a colon in a key name', `resources: [{ resources: [secrets], providers: [{ aesgcm: { keys: [{ name: "a:b", secret: ${KEY32} }] } }] }]`,
    'encryption config /x.yaml: resources[0].providers[0].aesgcm.keys[0].name: "a:b": must not contain ":"'],
  ['two keys with one name', `resources: [{ resources: [secrets], providers: [{ aesgcm: { keys: [{ name: a, secret: ${KEY32} }, { name: a, secret: ${KEY16} }] } }] }]`,
    'encryption config /x.yaml: resources[0].providers[0].aesgcm.keys[1].name: "a": two keys of one provider cannot share a name'],
  ['unknown resource', 'resources: [{ resources: [secret], providers: [{ identity: {} }] }]',
    'encryption config /x.yaml: resources[0].resources[0]: "secret": unknown resource'],
  ['wrong group', 'resources: [{ resources: [deployments], providers: [{ identity: {} }] }]',
    'encryption config /x.yaml: resources[0].resources[0]: "deployments": deployments is in group apps; write "deployments.apps"'],
  ['wildcard', 'resources: [{ resources: ["*.*"], providers: [{ identity: {} }] }]',
    'encryption config /x.yaml: resources[0].resources[0]: "*.*": wildcards are not supported; list each resource (e.g. secrets)'],
  ['capitals', 'resources: [{ resources: [Secrets], providers: [{ identity: {} }] }]',
    'encryption config /x.yaml: resources[0].resources[0]: "Secrets": resource names are lower-case plurals (e.g. secrets)'],
  ['duplicate resource', 'resources: [{ resources: [secrets, secrets], providers: [{ identity: {} }] }]',
    'encryption config /x.yaml: resources[0].resources[1]: "secrets": the same resource cannot be listed twice'],
  ['no providers', 'resources: [{ resources: [secrets] }]',
    'encryption config /x.yaml: resources[0].providers: at least one provider is required'],
  ['unknown provider', 'resources: [{ resources: [secrets], providers: [{ aesctr: {} }] }]',
    'encryption config /x.yaml: resources[0].providers[0]: unknown provider "aesctr" (supported: aesgcm, aescbc, identity)'],
  ['identity with fields', 'resources: [{ resources: [secrets], providers: [{ identity: { keys: [] } }] }]',
    'encryption config /x.yaml: resources[0].providers[0].identity: expected {}'],
  ['unknown field', 'resources: [{ resources: [secrets], provider: [] }]',
    'encryption config /x.yaml: resources[0].provider: unknown field (expected resources, providers)'],
  ['no resources', 'resources: []', 'encryption config /x.yaml: resources: at least one entry is required'],
];

for (const [what, body, message] of cases) {
  test(`error: ${what}`, (t) => {
    t.throws(() => parseEncryptionConfig(config(body), '/x.yaml'), { name: 'EncryptionConfigError', message });
  });
}

test('errors: header, empty file, YAML syntax, unreadable file', (t) => {
  t.throws(() => parseEncryptionConfig('apiVersion: v1\nkind: EncryptionConfiguration\nresources: []', 'a.yaml'),
    { message: 'encryption config a.yaml: apiVersion: must be apiserver.config.k8s.io/v1, got "v1"' });
  t.throws(() => parseEncryptionConfig('apiVersion: apiserver.config.k8s.io/v1\nkind: Config\n', 'a.yaml'),
    { message: 'encryption config a.yaml: kind: must be EncryptionConfiguration, got "Config"' });
  t.throws(() => parseEncryptionConfig('  \n', 'a.yaml'), { message: 'encryption config a.yaml: the file is empty' });
  const syntax = t.throws(() => parseEncryptionConfig('resources: [\n', 'a.yaml'));
  t.regex(syntax.message, /^encryption config a\.yaml: not valid YAML: [^\n]+$/);
  t.throws(() => loadEncryptionConfig('/nonexistent/enc.yaml'), { message: 'encryption config /nonexistent/enc.yaml: cannot read: no such file' });
});

test('loadEncryptionConfig reads the file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tugboat-enc-'));
  try {
    const file = join(dir, 'enc.yaml');
    writeFileSync(file, config(`resources: [{ resources: [secrets], providers: [{ aesgcm: { keys: [{ name: k, secret: ${KEY32} }] } }] }]`));
    t.is(loadEncryptionConfig(file).resources.get('secrets')?.[0]?.type, 'aesgcm');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
