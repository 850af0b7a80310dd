// Key rotation against a real etcd over TLS: reencrypt moves every secret (plaintext ones and
// those under the old key) to the key that writes now, keeps a concurrent write, and the
// `tugboat-apiserver reencrypt` command does the same with Kubernetes' flags.
import anyTest, { type TestFn } from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APISERVER_BIN, startEtcd, type EtcdHandle } from '@tugboat/test';
import { EtcdStorage } from '../etcd-storage.js';
import type { Storage } from '../storage.js';
import { parseEncryptionConfig } from './config.js';
import { EncryptingStorage } from './encrypting-storage.js';
import { formatReencryption, reencrypt } from './reencrypt.js';

const test = anyTest as TestFn<{ etcd: EtcdHandle; raw: EtcdStorage; dir: string }>;

const KEY1 = Buffer.alloc(32, 1).toString('base64');
const KEY2 = Buffer.alloc(32, 2).toString('base64');
const KEY3 = Buffer.alloc(16, 3).toString('base64');

function configText(providers: string): string {
  return `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers: ${providers}
`;
}

const config = (providers: string) => parseEncryptionConfig(configText(providers), 'test.yaml');
const key1First = config(`[{ aesgcm: { keys: [{ name: key1, secret: "${KEY1}" }] } }, { identity: {} }]`);
const key2First = config(`[{ aesgcm: { keys: [{ name: key2, secret: "${KEY2}" }, { name: key1, secret: "${KEY1}" }] } }, { identity: {} }]`);
const key2Only = config(`[{ aesgcm: { keys: [{ name: key2, secret: "${KEY2}" }] } }]`);

const secret = (name: string, v = 'x'): string => JSON.stringify({ kind: 'Secret', metadata: { name }, stringData: { v } });

test.before(async (t) => {
  const etcd = await startEtcd({ tls: true });
  const tls = etcd.tls!;
  t.context = { etcd, raw: new EtcdStorage({ endpoints: [etcd.endpoint], tls }), dir: mkdtempSync(join(tmpdir(), 'tugboat-reencrypt-')) };
});

test.after.always(async (t) => {
  await t.context.raw?.close();
  await t.context.etcd?.destroy();
  if (t.context.dir) rmSync(t.context.dir, { recursive: true, force: true });
});

test.serial('reencrypt moves every secret to the key that writes now, and reads still work', async (t) => {
  const { etcd, raw } = t.context;
  for (const n of ['p1', 'p2']) await raw.create(`/registry/secrets/a/${n}`, secret(n)); // from before encryption
  const old = new EncryptingStorage(raw, { config: key1First });
  for (const n of ['e1', 'e2', 'e3']) await old.create(`/registry/secrets/b/${n}`, secret(n));
  await raw.create('/registry/configmaps/a/cm', '{"kind":"ConfigMap"}');

  const [result, ...rest] = await reencrypt(raw, key2First, { pageSize: 2 });
  t.is(rest.length, 0);
  t.deepEqual(result, { resource: 'secrets', writes: 'aesgcm key "key2"', total: 5, rewritten: 5, failures: [] });
  t.is(formatReencryption(result!), 're-encrypted 5 of 5 secrets with aesgcm key "key2"');

  const stored = etcd.etcdctl('get', '/registry/secrets/', '--prefix', '--print-value-only').split('\n').filter(Boolean);
  t.is(stored.length, 5);
  t.true(stored.every((v) => v.startsWith('k8s:enc:aesgcm:v1:key2:')), stored.join('\n'));
  t.is(etcd.etcdctl('get', '/registry/configmaps/a/cm', '--print-value-only').trim(), '{"kind":"ConfigMap"}');

  // The old key can go: everything reads with key2 alone.
  const next = new EncryptingStorage(raw, { config: key2Only });
  t.deepEqual((await next.list('/registry/secrets/')).items.map((i) => i.value), ['p1', 'p2', 'e1', 'e2', 'e3'].map((n) => secret(n)));

  const again = await reencrypt(raw, key2First);
  t.is(formatReencryption(again[0]!), 're-encrypted 0 of 5 secrets with aesgcm key "key2"');
});

test.serial('a write racing the rewrite wins, and the object is rewritten from it', async (t) => {
  const { raw } = t.context;
  const key = '/registry/secrets/race/s';
  await new EncryptingStorage(raw, { config: key1First }).create(key, secret('s', 'before'));
  // An API server (still on key1) writes between reencrypt's read and its compare-and-swap.
  let raced = false;
  const racing: Storage = Object.assign(Object.create(raw) as EtcdStorage, {
    update: async (k: string, value: string, rev: number) => {
      if (!raced && k === key) {
        raced = true;
        const other = new EncryptingStorage(raw, { config: key1First });
        const cur = await other.get(key);
        await other.update(key, secret('s', 'during'), cur!.modRevision);
      }
      return raw.update(k, value, rev);
    },
  });
  const [r] = await reencrypt(racing, key2First);
  t.true(raced);
  t.is(r?.failures.length, 0);
  t.is((await new EncryptingStorage(raw, { config: key2Only }).get(key))?.value, secret('s', 'during'));
});

test.serial('tugboat-apiserver reencrypt: Kubernetes flags, one line per resource, exit 0; an unreadable secret exits 1', (t) => {
  const { etcd, dir } = t.context;
  const tls = etcd.tls!;
  const file = join(dir, 'enc.yaml');
  writeFileSync(file, configText(`[{ aesgcm: { keys: [{ name: key3, secret: "${KEY3}" }, { name: key2, secret: "${KEY2}" }, { name: key1, secret: "${KEY1}" }] } }]`));
  // grpc-js sets the TLS ServerName to an IP target (grpc/grpc-node#1919) and Node warns once
  // (DEP0123); the certificate is still checked against the IP SAN, so the warning is noise.
  const run = () => spawnSync(process.execPath, ['--disable-warning=DEP0123', APISERVER_BIN, 'reencrypt', '--etcd-servers', etcd.endpoint,
    '--etcd-cafile', tls.caFile, '--etcd-certfile', tls.certFile, '--etcd-keyfile', tls.keyFile,
    '--encryption-provider-config', file], { encoding: 'utf8' });
  const ok = run();
  t.is(ok.stderr, '');
  t.is(ok.status, 0);
  t.is(ok.stdout, 're-encrypted 6 of 6 secrets with aesgcm key "key3"\n');

  etcd.etcdctl('put', '/registry/secrets/z/plain', secret('plain'));
  const bad = run();
  t.is(bad.status, 1);
  t.is(bad.stdout, 're-encrypted 0 of 7 secrets with aesgcm key "key3"\n');
  t.is(bad.stderr, 'tugboat-apiserver reencrypt: /registry/secrets/z/plain: cannot decrypt: the stored value is not encrypted and identity is not among the providers\n');
});
