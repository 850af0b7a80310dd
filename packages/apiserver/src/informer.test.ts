// The shared Informer (@tugboat/api) against a real API server: when its watch gets
// "expired" (etcd compacted past its revision) it relists and carries on; when the API
// server is killed and restarted it recovers too.
import anyTest, { type TestFn } from 'ava';
import { Informer, type ApiError, type KubeObject } from '@tugboat/api';
import { startApiServerProcess, startEtcd, waitFor, type ApiServerProcess, type EtcdHandle } from '@tugboat/test';

const test = anyTest as TestFn<{ etcd: EtcdHandle; server: ApiServerProcess }>;

test.before(async (t) => {
  const etcd = await startEtcd();
  // A watch cache of 2 changes per resource (however fresh), so a handful of changes pushes a revision out of it.
  const server = await startApiServerProcess(etcd.endpoint, { extraArgs: ['--watch-cache-size', '2', '--watch-cache-retention', '0'] });
  t.context = { etcd, server };
});

test.after.always(async (t) => {
  await t.context.server?.stop();
  await t.context.etcd?.destroy();
});

const cm = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { n: name } });

function blockFor(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

test.serial('an informer whose watch gets "expired" relists and goes on', async (t) => {
  const { etcd, server } = t.context;
  const client = server.client();
  await waitFor('default namespace', async () => (await client.tryGet('namespaces', '', 'default')) !== undefined);
  await client.create(cm('seed'));

  const errors: ApiError[] = [];
  const informer = new Informer<KubeObject>(client, 'configmaps', { namespace: 'default', onError: (e) => errors.push(e) });
  let injected = false;
  informer.onAdd(() => {
    if (injected) return;
    injected = true;
    // Handlers run between the informer's list and its watch. Here, synchronously: changes
    // it has not seen (more than the API server's watch cache keeps), then a compaction, so
    // its watch from the listed revision cannot be served and gets "expired".
    for (let i = 0; i < 5; i++) etcd.etcdctl('put', `/registry/configmaps/default/behind-${i}`, JSON.stringify(cm(`behind-${i}`)));
    const status = JSON.parse(etcd.etcdctl('endpoint', 'status', '-w', 'json')) as { Status: { header: { revision: number } } }[];
    etcd.etcdctl('compact', String(status[0]!.Status.header.revision));
    // The API server (its own process) takes those changes in meanwhile.
    blockFor(500);
  });
  await informer.start();
  try {
    await waitFor('the informer to relist', () => informer.list().length === 6, 10_000);
    t.true(errors.some((e) => e.reason === 'Expired'), errors.map((e) => `${e.reason}: ${e.message}`).join('\n'));
    t.true(informer.listCount() >= 2);
    // And it follows changes again.
    await client.create(cm('after'));
    await waitFor('the new object', () => informer.get('default/after') !== undefined);
    t.pass();
  } finally {
    informer.stop();
  }
});

test.serial('an informer recovers when the API server is killed and started again', async (t) => {
  const { server } = t.context;
  const client = server.client();
  const informer = new Informer<KubeObject>(client, 'configmaps', { namespace: 'default', backoffMs: 100, maxBackoffMs: 500 });
  const deleted: string[] = [];
  informer.onDelete((o) => deleted.push(o.metadata?.name ?? ''));
  await informer.start();
  try {
    const before = informer.list().length;
    await server.kill('SIGKILL');
    await server.restart();
    // gRPC channels back off their reconnects for a moment after the server went away, so
    // the first call may still fail; the informer retries on its own.
    await waitFor('a write after the restart', async () => { await client.create(cm('post-restart')); return true; }, 10_000, 200);
    await client.delete('configmaps', 'default', 'seed');
    await waitFor('the informer to catch up', () => informer.get('default/post-restart') !== undefined && informer.get('default/seed') === undefined, 15_000);
    t.is(informer.list().length, before);
    t.deepEqual(deleted, ['seed']);
  } finally {
    informer.stop();
  }
});
