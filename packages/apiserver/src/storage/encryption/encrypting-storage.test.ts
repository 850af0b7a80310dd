// Encryption at rest against a real etcd: what etcdctl sees is ciphertext, what the storage
// returns is plaintext, other resources are untouched, plaintext from before encryption still
// reads through identity, a wrong key is a clear error, and watches deliver plaintext.
import anyTest, { type TestFn } from 'ava';
import { Registry } from 'prom-client';
import { ApiError } from '@tugboat/api';
import { startEtcd, waitFor, type EtcdHandle } from '@tugboat/test';
import { EtcdStorage } from '../etcd-storage.js';
import type { StorageEvent } from '../storage.js';
import { parseEncryptionConfig } from './config.js';
import { EncryptingStorage, transformationOperationsCounter } from './encrypting-storage.js';

const test = anyTest as TestFn<{ etcd: EtcdHandle; raw: EtcdStorage }>;

const KEY1 = Buffer.alloc(32, 1).toString('base64');
const OTHER = Buffer.alloc(32, 2).toString('base64');
const PASSWORD = 'correct-horse-battery-staple';

function secret(name: string, password = PASSWORD): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: { password } });
}

function encrypted(providers: string, options: { registry?: Registry; onWatchError?: (e: ApiError) => void } = {}): (raw: EtcdStorage) => EncryptingStorage {
  const config = parseEncryptionConfig(`apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers: ${providers}
`, 'test.yaml');
  return (raw) => new EncryptingStorage(raw, {
    config,
    ...(options.registry ? { operations: transformationOperationsCounter(options.registry) } : {}),
    ...(options.onWatchError ? { onWatchError: options.onWatchError } : {}),
  });
}

const withKey1 = encrypted(`[{ aesgcm: { keys: [{ name: key1, secret: "${KEY1}" }] } }, { identity: {} }]`);

test.before(async (t) => {
  const etcd = await startEtcd();
  t.context = { etcd, raw: new EtcdStorage({ endpoints: [etcd.endpoint] }) };
});

test.after.always(async (t) => {
  await t.context.raw?.close();
  await t.context.etcd?.destroy();
});

test.serial('secrets are ciphertext in etcd and plaintext through the storage', async (t) => {
  const { etcd, raw } = t.context;
  const registry = new Registry();
  const storage = encrypted(`[{ aesgcm: { keys: [{ name: key1, secret: "${KEY1}" }] } }]`, { registry })(raw);
  const key = '/registry/secrets/ns1/db';
  const created = await storage.create(key, secret('db'));
  if (!created.ok) return t.fail();

  const inEtcd = etcd.etcdctl('get', key, '--print-value-only');
  t.true(inEtcd.startsWith('k8s:enc:aesgcm:v1:key1:'), inEtcd);
  t.false(inEtcd.includes(PASSWORD));
  t.false(inEtcd.includes('"kind"'));

  t.is((await storage.get(key))?.value, secret('db'));
  t.deepEqual((await storage.list('/registry/secrets/ns1/')).items.map((i) => i.value), [secret('db')]);

  // The losing side of a compare-and-swap sees the plaintext it lost to.
  const again = await storage.create(key, secret('db', 'x'));
  t.true(!again.ok && again.current?.value === secret('db'));
  const stale = await storage.update(key, secret('db', 'y'), created.revision - 1);
  t.true(!stale.ok && stale.current?.value === secret('db'));
  const updated = await storage.update(key, secret('db', 'z'), created.revision);
  t.true(updated.ok);
  t.false(etcd.etcdctl('get', key, '--print-value-only').includes('"z"'));
  t.is((await storage.get(key))?.value, secret('db', 'z'));
  const del = await storage.delete(key, created.revision);
  t.true(!del.ok && del.current?.value === secret('db', 'z'));

  const text = await registry.metrics();
  t.regex(text, /apiserver_storage_transformation_operations_total\{transformation_type="to_storage",transformer_prefix="k8s:enc:aesgcm:v1:",status="OK"\} 4/); // every write attempt encrypts, won or lost
  t.regex(text, /apiserver_storage_transformation_operations_total\{transformation_type="from_storage",transformer_prefix="k8s:enc:aesgcm:v1:",status="OK"\} \d+/);
});

test.serial('other resources pass through untouched', async (t) => {
  const { etcd, raw } = t.context;
  const storage = withKey1(raw);
  const value = JSON.stringify({ kind: 'ConfigMap', data: { password: PASSWORD } });
  await storage.create('/registry/configmaps/ns1/cm', value);
  t.is(etcd.etcdctl('get', '/registry/configmaps/ns1/cm', '--print-value-only').trim(), value);
  t.is((await storage.get('/registry/configmaps/ns1/cm'))?.value, value);
});

test.serial('plaintext stored before encryption reads through identity, and only through it', async (t) => {
  const { raw } = t.context;
  const key = '/registry/secrets/ns2/old';
  await raw.create(key, secret('old'));
  t.is((await withKey1(raw).get(key))?.value, secret('old'));
  const strict = encrypted(`[{ aesgcm: { keys: [{ name: key1, secret: "${KEY1}" }] } }]`)(raw);
  const err = await t.throwsAsync(strict.get(key), { instanceOf: ApiError });
  t.is(err.reason, 'Internal');
  t.is(err.message, `cannot decrypt ${key}: the stored value is not encrypted and identity is not among the providers`);
  // A list fails as a whole rather than leaving the object out.
  await t.throwsAsync(strict.list('/registry/secrets/ns2/'), { message: /cannot decrypt \/registry\/secrets\/ns2\/old/ });
});

test.serial('a different secret under the same key name is a clear error', async (t) => {
  const { raw } = t.context;
  const key = '/registry/secrets/ns3/s';
  await withKey1(raw).create(key, secret('s'));
  const impostor = encrypted(`[{ aesgcm: { keys: [{ name: key1, secret: "${OTHER}" }] } }, { identity: {} }]`)(raw);
  const err = await t.throwsAsync(impostor.get(key), { instanceOf: ApiError });
  t.is(err.reason, 'Internal');
  t.is(err.message, `cannot decrypt ${key}: aesgcm key "key1" cannot authenticate it (a different secret under that key name, a corrupted value, or one copied from another etcd key)`);
  const unlisted = encrypted(`[{ aesgcm: { keys: [{ name: key2, secret: "${KEY1}" }] } }]`)(raw);
  await t.throwsAsync(unlisted.get(key), { message: `cannot decrypt ${key}: it was written with aesgcm key "key1", which the encryption config does not list` });
});

test.serial('a watch delivers plaintext values and previous values; an unreadable event is reported, not fatal', async (t) => {
  const { raw } = t.context;
  const reported: string[] = [];
  const storage = encrypted(`[{ aesgcm: { keys: [{ name: key1, secret: "${KEY1}" }] } }]`, { onWatchError: (e) => reported.push(e.message) })(raw);
  const events: StorageEvent[] = [];
  const w = storage.watch('/registry/secrets/ns4/', undefined, { onEvents: (evs) => events.push(...evs), onError: (e) => t.fail(e.message) });
  t.teardown(() => w.close());
  await w.started;
  const key = '/registry/secrets/ns4/w';
  const c = await storage.create(key, secret('w', 'one'));
  if (!c.ok) return t.fail();
  const u = await storage.update(key, secret('w', 'two'), c.revision);
  if (!u.ok) return t.fail();
  // Written behind the storage's back with another secret: this one event cannot be read.
  await encrypted(`[{ aesgcm: { keys: [{ name: key1, secret: "${OTHER}" }] } }]`)(raw).create('/registry/secrets/ns4/bad', secret('bad'));
  await storage.delete(key, u.revision);
  await waitFor('the delete event', () => events.some((e) => e.type === 'delete'));
  t.deepEqual(events.map((e) => [e.type, e.key, e.type === 'put' ? e.value : '', e.prevValue ?? '']), [
    ['put', key, secret('w', 'one'), ''],
    ['put', key, secret('w', 'two'), secret('w', 'one')],
    ['delete', key, '', secret('w', 'two')],
  ]);
  t.deepEqual(reported, [`cannot decrypt /registry/secrets/ns4/bad: aesgcm key "key1" cannot authenticate it (a different secret under that key name, a corrupted value, or one copied from another etcd key)`]);
});
