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

test.serial('an index follows adds, changes and deletes, and the relist after an expired watch', async (t) => {
  const { server } = t.context;
  const client = server.client();
  await waitFor('default namespace', async () => (await client.tryGet('namespaces', '', 'default')) !== undefined);
  const byColour = (o: KubeObject): readonly string[] => {
    const colour = (o as KubeObject & { data?: Record<string, string> }).data?.['colour'];
    return colour ? [colour] : [];
  };
  const painted = (name: string, colour: string): KubeObject => ({ ...cm(name), data: { colour } });
  await client.create(painted('ix-a', 'red'));
  const informer = new Informer<KubeObject>(client, 'configmaps', { namespace: 'default' });
  await informer.start();
  // Added after the first list: what is cached is filed at once.
  informer.addIndex('colour', byColour);
  const names = (colour: string): string[] => informer.byIndex('colour', colour).map((o) => o.metadata?.name ?? '').filter((n) => n.startsWith('ix-')).sort();
  try {
    t.deepEqual(names('red'), ['ix-a']);
    await client.create(painted('ix-b', 'red'));
    await client.create(painted('ix-c', 'blue'));
    await waitFor('b and c', async () => names('red').length === 2 && names('blue').length === 1);
    const b = await client.get<KubeObject>('configmaps', 'default', 'ix-b');
    await client.update({ ...b, data: { colour: 'blue' } });
    await waitFor('b blue', async () => names('blue').length === 2);
    t.deepEqual(names('red'), ['ix-a']);
    await client.delete('configmaps', 'default', 'ix-a');
    await waitFor('a gone', async () => names('red').length === 0);
    // Past the watch cache (2 changes): the informer relists, and the index follows the list.
    for (let i = 0; i < 5; i++) await client.create(cm(`ix-filler-${i}`));
    await client.delete('configmaps', 'default', 'ix-c');
    await waitFor('c gone', async () => names('blue').length === 1);
    t.deepEqual(names('blue'), ['ix-b']);
    t.throws(() => informer.byIndex('size', 'x'), { message: /no index "size"/ });
  } finally {
    informer.stop();
  }
});
