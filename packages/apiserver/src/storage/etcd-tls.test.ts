// etcd over mutual TLS, against a real etcd that demands client certificates: the storage
// reads, writes and watches over it, real connections without TLS or without a client
// certificate are refused by etcd itself, and the API server (in process and as the binary,
// with Kubernetes' flags) runs on it with Secrets encrypted at rest.
import anyTest, { type TestFn } from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError, type KubeObject, type WatchEvent } from '@tugboat/api';
import { startApiServerInProcess, startApiServerProcess, startEtcd, waitFor, type EtcdHandle } from '@tugboat/test';
import { parseEncryptionConfig } from './encryption/config.js';
import { EtcdStorage } from './etcd-storage.js';
import { etcdTlsMismatch, loadEtcdTls } from './etcd-tls.js';
import type { StorageEvent } from './storage.js';

const test = anyTest as TestFn<{ etcd: EtcdHandle; storage: EtcdStorage }>;

test.before(async (t) => {
  const etcd = await startEtcd({ tls: true });
  t.context = { etcd, storage: new EtcdStorage({ endpoints: [etcd.endpoint], tls: etcd.tls! }) };
});

test.after.always(async (t) => {
  await t.context.storage?.close();
  await t.context.etcd?.destroy();
});

test.serial('the storage reads, writes and watches over mutual TLS', async (t) => {
  const { etcd, storage } = t.context;
  t.true(etcd.endpoint.startsWith('https://127.0.0.1:'));
  t.true(await storage.healthy(2_000));
  const events: StorageEvent[] = [];
  const w = storage.watch('/registry/configmaps/', undefined, { onEvents: (e) => events.push(...e), onError: (e) => t.fail(e.message) });
  t.teardown(() => w.close());
  await w.started;
  const created = await storage.create('/registry/configmaps/default/tls', '{"v":1}');
  if (!created.ok) return t.fail();
  t.is((await storage.get('/registry/configmaps/default/tls'))?.value, '{"v":1}');
  t.true((await storage.update('/registry/configmaps/default/tls', '{"v":2}', created.revision)).ok);
  t.is((await storage.list('/registry/configmaps/')).items.length, 1);
  await waitFor('both events', () => events.length === 2);
  t.is(etcd.etcdctl('get', '/registry/configmaps/default/tls', '--print-value-only').trim(), '{"v":2}');
});

function etcdctlWith(endpoint: string, ...args: string[]): { status: number | null; stderr: string } {
  const res = spawnSync('etcdctl', ['--endpoints', endpoint, '--dial-timeout', '1s', '--command-timeout', '2s', ...args, 'get', '/registry/', '--prefix', '--keys-only'],
    { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
  return { status: res.status, stderr: res.stderr };
}

test.serial('etcd refuses a plaintext client and a TLS client without a client certificate', (t) => {
  const { etcd } = t.context;
  const tls = etcd.tls!;
  // The control: etcdctl with the certificate gets in.
  t.is(etcdctlWith(etcd.endpoint, '--cacert', tls.caFile, '--cert', tls.certFile, '--key', tls.keyFile).status, 0);
  // Plaintext gRPC to the TLS port.
  const plain = etcdctlWith(etcd.endpoint.replace('https://', 'http://'));
  t.not(plain.status, 0, plain.stderr);
  // TLS that trusts etcd's CA but presents no certificate of its own.
  const noCert = etcdctlWith(etcd.endpoint, '--cacert', tls.caFile);
  t.not(noCert.status, 0, noCert.stderr);
});

test.serial('etcd refuses an https request without a client certificate, and answers one with it', async (t) => {
  const { etcd } = t.context;
  const tls = etcd.tls!;
  const get = (withCert: boolean): Promise<number | string> => new Promise((resolve) => {
    const req = httpsRequest(`${etcd.endpoint}/health`, { ca: tls.caPem, ...(withCert ? { cert: tls.certPem, key: tls.keyPem } : {}), timeout: 3_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => resolve((e as NodeJS.ErrnoException).code ?? e.message));
    req.end();
  });
  t.is(await get(true), 200);
  const refused = await get(false);
  t.is(typeof refused, 'string', `etcd answered ${refused} without a client certificate`);
});

test.serial('the storage without a client certificate cannot read', async (t) => {
  const { etcd } = t.context;
  const tls = etcd.tls!;
  // A certificate from another CA is no better than none.
  const { createCa, issueCertificate } = await import('@tugboat/api/pki');
  const stranger = await issueCertificate(await createCa('not-etcds-ca'), { commonName: 'intruder', usage: 'client' });
  const storage = new EtcdStorage({ endpoints: [etcd.endpoint], tls: { caPem: tls.caPem, certPem: stranger.certPem, keyPem: stranger.keyPem }, requestTimeoutMs: 3_000 });
  try {
    t.false(await storage.healthy(2_000));
    const err = await t.throwsAsync(storage.get('/registry/configmaps/default/tls'), { instanceOf: ApiError });
    t.true(err.reason === 'Unavailable' || err.reason === 'Timeout', err.message);
  } finally {
    await storage.close();
  }
});

test('endpoints and credentials must agree; files that are not PEM name their flag', (t) => {
  t.is(etcdTlsMismatch(['https://a:2379'], true), undefined);
  t.is(etcdTlsMismatch(['http://a:2379'], false), undefined);
  t.is(etcdTlsMismatch(['https://a:2379'], false), 'https:// etcd endpoints need a CA, client certificate and key');
  t.is(etcdTlsMismatch(['http://a:2379'], true), 'etcd TLS credentials were given but the endpoints are http://; use https://');
  t.is(etcdTlsMismatch(['http://a:2379', 'https://b:2379'], true), 'etcd endpoints mix http:// and https://; use one scheme for all');
  t.throws(() => new EtcdStorage({ endpoints: ['https://127.0.0.1:1'] }), { message: /need a CA, client certificate and key/ });

  const dir = mkdtempSync(join(tmpdir(), 'tugboat-etcd-tls-'));
  try {
    const notPem = join(dir, 'x.pem');
    writeFileSync(notPem, 'hello');
    const tls = t.context.etcd.tls!;
    const read = (path: string): string => readFileSync(path, 'utf8');
    t.deepEqual(loadEtcdTls(tls, read), { caPem: tls.caPem, certPem: tls.certPem, keyPem: tls.keyPem });
    t.throws(() => loadEtcdTls({ caFile: tls.caFile, certFile: notPem, keyFile: tls.keyFile }, read), { message: `--etcd-certfile ${notPem}: not a PEM certificate` });
    t.throws(() => loadEtcdTls({ caFile: tls.caFile, certFile: tls.certFile, keyFile: tls.certFile }, read), { message: `--etcd-keyfile ${tls.certFile}: not a PEM private key` });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const ENCRYPTION_CONFIG = `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
      - aesgcm: { keys: [{ name: key1, secret: ${Buffer.alloc(32, 4).toString('base64')} }] }
      - identity: {}
`;

test.serial('the API server on etcd over TLS keeps Secrets encrypted; clients and watchers see plaintext', async (t) => {
  const { etcd } = t.context;
  const server = await startApiServerInProcess(etcd.endpoint, { etcdTls: etcd.tls!, encryptionConfig: parseEncryptionConfig(ENCRYPTION_CONFIG, 'enc.yaml') });
  t.teardown(() => server.stop());
  const client = server.client();
  await waitFor('the built-in namespaces', async () => (await client.list('namespaces')).items.length >= 3, 15_000);
  const seen: WatchEvent[] = [];
  const w = client.watch('secrets', { namespace: 'default' });
  t.teardown(() => w.close());
  void (async () => { for await (const e of w) seen.push(e); })().catch(() => undefined);
  await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'default' }, stringData: { password: 'hunter2-in-process' } });
  await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain', namespace: 'default' }, data: { k: 'visible' } });

  const stored = etcd.etcdctl('get', '/registry/secrets/default/db', '--print-value-only');
  t.true(stored.startsWith('k8s:enc:aesgcm:v1:key1:'), stored);
  t.false(stored.includes('hunter2'));
  t.false(stored.includes(Buffer.from('hunter2-in-process').toString('base64')));
  t.regex(etcd.etcdctl('get', '/registry/configmaps/default/plain', '--print-value-only'), /"visible"/);

  const got = await client.get<KubeObject & { data?: Record<string, string> }>('secrets', 'default', 'db');
  t.is(Buffer.from(got.data?.['password'] ?? '', 'base64').toString(), 'hunter2-in-process');
  await waitFor('the watch event', () => seen.some((e) => e.type === 'ADDED' && e.object.metadata?.name === 'db'));
  const added = seen.find((e) => e.type === 'ADDED' && e.object.metadata?.name === 'db')!.object as KubeObject & { data?: Record<string, string> };
  t.is(Buffer.from(added.data?.['password'] ?? '', 'base64').toString(), 'hunter2-in-process');
});

test.serial('tugboat-apiserver with --etcd-cafile/--etcd-certfile/--etcd-keyfile and --encryption-provider-config', async (t) => {
  const { etcd } = t.context;
  const tls = etcd.tls!;
  const dir = mkdtempSync(join(tmpdir(), 'tugboat-enc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'enc.yaml');
  writeFileSync(config, ENCRYPTION_CONFIG);
  const server = await startApiServerProcess(etcd.endpoint, {
    extraArgs: ['--etcd-cafile', tls.caFile, '--etcd-certfile', tls.certFile, '--etcd-keyfile', tls.keyFile, '--encryption-provider-config', config],
  });
  t.teardown(() => server.stop());
  const client = server.client();
  await waitFor('ready', async () => (await server.http('/readyz')).status === 200, 15_000);
  await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'from-binary', namespace: 'default' }, stringData: { token: 'hunter2-binary' } });
  const stored = etcd.etcdctl('get', '/registry/secrets/default/from-binary', '--print-value-only');
  t.true(stored.startsWith('k8s:enc:aesgcm:v1:key1:'), stored);
  const got = await client.get<KubeObject & { data?: Record<string, string> }>('secrets', 'default', 'from-binary');
  t.is(Buffer.from(got.data?.['token'] ?? '', 'base64').toString(), 'hunter2-binary');
});
