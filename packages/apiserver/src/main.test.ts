// The tugboat-apiserver binary as a child process: flags and exit codes, starting before
// etcd, /readyz following etcd, SIGKILL and restart losing nothing, SIGTERM.
import anyTest, { type TestFn } from 'ava';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { ApiError, BUILTIN_NAMESPACES, type KubeObject } from '@tugboat/api';
import { APISERVER_BIN, freePort, securityFlags, startApiServerProcess, startEtcd, testPki, waitFor, type ApiServerProcess, type EtcdHandle } from '@tugboat/test';

const test = anyTest as TestFn<{ etcd: EtcdHandle; server: ApiServerProcess }>;

test.before(async (t) => {
  const etcd = await startEtcd();
  // Start the API server while etcd is down: it must serve, say it is not ready, and recover.
  await etcd.stop();
  const server = await startApiServerProcess(etcd.endpoint);
  t.context = { etcd, server };
});

test.after.always(async (t) => {
  await t.context.server?.stop();
  await t.context.etcd?.destroy();
});

test.serial('started before etcd: serves, not ready, then ready with the built-in namespaces', async (t) => {
  const { server, etcd } = t.context;
  t.is((await server.http('/healthz')).status, 200);
  t.is((await server.http('/readyz')).status, 503);
  const err = await t.throwsAsync(server.client().list('pods'));
  t.true(err instanceof ApiError && (err.reason === 'Unavailable' || err.reason === 'Timeout'), String(err));
  await etcd.restart();
  await waitFor('ready', async () => (await server.http('/readyz')).status === 200, 15_000);
  const client = server.client();
  await waitFor('built-in namespaces', async () => (await client.list('namespaces')).items.length === BUILTIN_NAMESPACES.length, 15_000);
  t.deepEqual((await client.list('namespaces')).items.map((n) => n.metadata?.name).sort(), [...BUILTIN_NAMESPACES].sort());
});

test.serial('/readyz turns non-200 when etcd stops and 200 again when it is back', async (t) => {
  const { server, etcd } = t.context;
  t.is((await server.http('/readyz')).status, 200);
  await etcd.stop();
  try {
    await waitFor('not ready', async () => (await server.http('/readyz')).status === 503);
    t.is((await server.http('/healthz')).status, 200);
  } finally {
    await etcd.restart();
  }
  await waitFor('ready again', async () => (await server.http('/readyz')).status === 200, 15_000);
  t.pass();
});

test.serial('SIGKILL and restart loses nothing, and a namespace left Terminating is finished', async (t) => {
  const { server } = t.context;
  const client = server.client();
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'keep' } });
  for (let i = 0; i < 10; i++) {
    await client.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'keep' }, data: { i: String(i) } });
  }
  const p = await client.create<KubeObject>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'keep' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  await client.bind('keep', 'p', 'node-1');
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'going' } });
  // A finalizer holds the namespace's content, so it is still Terminating when we kill.
  await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', namespace: 'going', finalizers: ['test/hold'] } });
  await client.delete('namespaces', '', 'going');
  const before = {
    cms: (await client.list('configmaps', { namespace: 'keep' })).items,
    pod: await client.get('pods', 'keep', p.metadata?.name ?? ''),
  };

  const exit = await server.kill('SIGKILL');
  t.is(exit.signal, 'SIGKILL');
  await server.restart();
  const after = server.client();
  // gRPC channels back off their reconnects for a moment after the server went away.
  await waitFor('the restarted server to answer', async () => { await after.list('namespaces'); return true; }, 10_000, 200);
  t.deepEqual((await after.list('configmaps', { namespace: 'keep' })).items, before.cms);
  t.deepEqual(await after.get('pods', 'keep', 'p'), before.pod);
  // The restarted server goes on with the Terminating namespace once the finalizer is gone.
  let held: KubeObject | undefined;
  await waitFor('the namespace controller to delete its content', async () => {
    held = await after.get<KubeObject>('configmaps', 'going', 'held');
    return !!held.metadata?.deletionTimestamp;
  }, 10_000);
  if (!held) return;
  await after.update({ ...held, metadata: { ...held.metadata, finalizers: [] } });
  await waitFor('namespace removed', async () => (await after.tryGet('namespaces', '', 'going')) === undefined, 10_000);
});

test.serial('SIGTERM stops it cleanly with exit code 0', async (t) => {
  const { server } = t.context;
  const exit = await server.kill('SIGTERM');
  t.is(exit.code, 0);
  t.regex(server.output(), /serving gRPC on 127\.0\.0\.1:\d+, HTTP on 127\.0\.0\.1:\d+/);
  await server.restart();
});

test('a bad flag is one line on stderr and exit code 2', (t) => {
  const res = spawnSync(process.execPath, [APISERVER_BIN, '--etcd-servers', 'http://127.0.0.1:1', '--bogus'], { encoding: 'utf8' });
  t.is(res.status, 2);
  t.is(res.stderr.trim().split('\n').length, 1);
  t.regex(res.stderr, /unknown flag --bogus/);
  const help = spawnSync(process.execPath, [APISERVER_BIN, '--help'], { encoding: 'utf8' });
  t.is(help.status, 0);
  t.regex(help.stdout, /--etcd-servers/);
});

test('a port that is taken is one clear line and a non-zero exit', async (t) => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as { port: number }).port;
  try {
    const tls = securityFlags(await testPki());
    const res = spawnSync(process.execPath, [APISERVER_BIN, '--etcd-servers', t.context.etcd.endpoint, '--listen', `127.0.0.1:${port}`, '--http-listen', `127.0.0.1:${await freePort()}`, ...tls], { encoding: 'utf8', timeout: 15_000 });
    t.is(res.status, 1);
    t.is(res.stderr.trim().split('\n').length, 1, res.stderr);
    t.regex(res.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}`));
    const http = spawnSync(process.execPath, [APISERVER_BIN, '--etcd-servers', t.context.etcd.endpoint, '--listen', `127.0.0.1:${await freePort()}`, '--http-listen', `127.0.0.1:${port}`, ...tls], { encoding: 'utf8', timeout: 15_000 });
    t.is(http.status, 1);
    t.regex(http.stderr, /cannot listen on 127\.0\.0\.1:\d+ \(HTTP\): address already in use/);
  } finally {
    blocker.close();
  }
});
