// The list cache in a whole API server on a real etcd, through both front doors: tctl's
// paged gRPC list (limit 500 and continue) gets its first page from the cache and the rest
// from that page's snapshot, and together they are etcd's list at its revision; the REST API's
// resourceVersion "0", NotOlderThan and Exact take the paths Kubernetes gives them; and
// --list-from-cache=false sends every list to etcd, as /metrics shows.
import anyTest, { type TestFn } from 'ava';
import { request } from 'node:https';
import { startApiServerInProcess, startApiServerProcess, startEtcd, waitFor, type EtcdHandle } from '@tugboat/test';
import { EtcdStorage } from '../storage/etcd-storage.js';

type Server = Awaited<ReturnType<typeof startApiServerInProcess>>;
const test = anyTest as TestFn<{ etcd: EtcdHandle; server: Server; storage: EtcdStorage }>;

const NS = 'paging';
const COUNT = 1_234;

test.before(async (t) => {
  const etcd = await startEtcd();
  const server = await startApiServerInProcess(etcd.endpoint);
  const storage = new EtcdStorage({ endpoints: [etcd.endpoint] });
  t.context = { etcd, server, storage };
  // Written straight to etcd (quicker than 1,234 creates); names in an order etcd sorts otherwise.
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < COUNT; i++) {
    const name = `cm-${(i * 7919) % COUNT}`;
    writes.push(storage.create(`/registry/configmaps/${NS}/${name}`, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: NS, name, labels: { even: String(i % 2 === 0) } }, data: { i: String(i) } })));
    if (writes.length >= 100) await Promise.all(writes.splice(0));
  }
  await Promise.all(writes);
});

test.after.always(async (t) => {
  await t.context.storage?.close();
  await t.context.server?.stop();
  await t.context.etcd?.destroy();
});

/** The value of a counter on /metrics with exactly these labels (0 when absent). */
async function metric(http: Server['http'], name: string, labels: Record<string, string>): Promise<number> {
  const text = (await http('/metrics')).body;
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort();
  for (const line of text.split('\n')) {
    const m = /^(\w+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = m[2]!.split(',').sort();
    if (got.length === want.length && got.every((l, i) => l === want[i])) return Number(m[3]);
  }
  return 0;
}

function restGet(server: Server, path: string): Promise<{ status: number; body: { metadata?: { resourceVersion?: string; continue?: string }; items?: { metadata?: { name?: string } }[] } }> {
  const [host, port] = server.address.split(':');
  return new Promise((resolve, reject) => {
    const req = request({ host, port: Number(port), method: 'GET', path, ca: server.pki.ca.certPem, cert: server.pki.admin.certPem, key: server.pki.admin.keyPem }, (r) => {
      let text = '';
      r.on('data', (d: Buffer) => { text += d.toString(); });
      r.on('end', () => resolve({ status: r.statusCode ?? 0, body: JSON.parse(text) as never }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Lists until one is answered from the cache (the first ones start and fill it). */
async function warm(server: Server, resource: string): Promise<void> {
  const client = server.client();
  await waitFor(`the ${resource} list cache`, async () => {
    const before = await metric(server.http, 'apiserver_cache_list_total', { resource, index: '' });
    await client.list(resource, { namespace: NS, limit: 1 });
    return (await metric(server.http, 'apiserver_cache_list_total', { resource, index: '' })) > before;
  }, 10_000, 50);
}

test.serial('tctl\'s paged list: every page from the cache (the first page\'s snapshot), together etcd\'s list at its revision', async (t) => {
  const { server, storage } = t.context;
  await warm(server, 'configmaps');
  const cacheBefore = await metric(server.http, 'apiserver_cache_list_total', { resource: 'configmaps', index: '' });
  const continuesBefore = await metric(server.http, 'apiserver_storage_list_total', { resource: 'configmaps', reason: 'continue' });
  const paged = await server.client().listAll('configmaps', { namespace: NS });
  t.is(paged.items.length, COUNT);
  t.is(await metric(server.http, 'apiserver_cache_list_total', { resource: 'configmaps', index: '' }), cacheBefore + 3, '1,234 in pages of 500');
  t.is(await metric(server.http, 'apiserver_storage_list_total', { resource: 'configmaps', reason: 'continue' }), continuesBefore, 'no page read etcd');
  const etcd = await storage.list(`/registry/configmaps/${NS}/`, { revision: Number(paged.resourceVersion) });
  t.deepEqual(paged.items.map((o) => o.metadata?.name), etcd.items.map((kv) => kv.key.slice(kv.key.lastIndexOf('/') + 1)));
});

test.serial('REST: resourceVersion "0" and NotOlderThan from the cache, Exact from etcd, a limit\'s continue from the cache', async (t) => {
  const { server } = t.context;
  await warm(server, 'configmaps');
  const base = `/api/v1/namespaces/${NS}/configmaps`;
  const count = (labels: Record<string, string>): Promise<number> => metric(server.http, labels['reason'] ? 'apiserver_storage_list_total' : 'apiserver_cache_list_total', { resource: 'configmaps', ...labels });

  const cache0 = await count({ index: '' });
  const any = await restGet(server, `${base}?resourceVersion=0&labelSelector=even%3Dtrue`);
  t.is(any.status, 200);
  t.is(any.body.items?.length, COUNT / 2);
  const rv = any.body.metadata?.resourceVersion ?? '';
  const notOlder = await restGet(server, `${base}?resourceVersion=${rv}&resourceVersionMatch=NotOlderThan`);
  t.is(notOlder.body.items?.length, COUNT);
  t.true(Number(notOlder.body.metadata?.resourceVersion) >= Number(rv));
  t.is(await count({ index: '' }), cache0 + 2);

  const exact0 = await count({ reason: 'exact' });
  const exact = await restGet(server, `${base}?resourceVersion=${rv}&resourceVersionMatch=Exact&limit=10`);
  t.is(exact.body.metadata?.resourceVersion, rv);
  t.is(await count({ reason: 'exact' }), exact0 + 1);

  const first = await restGet(server, `${base}?limit=1000`);
  t.is(first.body.items?.length, 1000);
  t.is(await count({ index: '' }), cache0 + 3);
  const token = encodeURIComponent(first.body.metadata?.continue ?? '');
  const second = await restGet(server, `${base}?limit=1000&continue=${token}`);
  t.is(second.body.items?.length, COUNT - 1000);
  t.is(second.body.metadata?.resourceVersion, first.body.metadata?.resourceVersion, 'the continue reads the first page\'s revision');
  t.is(await count({ index: '' }), cache0 + 4);
});

test.serial('REST: a list of pods from the cache (held as text, spliced into the list) is the list etcd gives at that revision', async (t) => {
  const { server } = t.context;
  const client = server.client();
  const ns = 'text-pods';
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  for (const [i, name] of ['b', 'a', 'c'].entries()) {
    await client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels: { n: String(i) } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  }
  const base = `/api/v1/namespaces/${ns}/pods`;
  await waitFor('the pods list cache', async () => {
    const before = await metric(server.http, 'apiserver_cache_list_total', { resource: 'pods', index: '' });
    const res = await restGet(server, base);
    return res.body.items?.length === 3 && (await metric(server.http, 'apiserver_cache_list_total', { resource: 'pods', index: '' })) > before;
  }, 10_000, 50);
  for (const query of ['', '?limit=2']) {
    const cached = await restGet(server, `${base}${query}${query ? '&' : '?'}resourceVersion=0`);
    const rv = cached.body.metadata?.resourceVersion ?? '';
    const etcd = await restGet(server, `${base}?resourceVersion=${rv}&resourceVersionMatch=Exact${query ? '&limit=2' : ''}`);
    t.is(cached.status, 200);
    t.deepEqual(cached.body.items, etcd.body.items, query);
    t.is(cached.body.items?.length, query ? 2 : 3);
    t.is(Boolean(cached.body.metadata?.continue), Boolean(query));
  }
});

test.serial('--list-from-cache=false: every list is read from etcd', async (t) => {
  const server = await startApiServerProcess(t.context.etcd.endpoint, { extraArgs: ['--list-from-cache=false'] });
  try {
    const client = server.client();
    await waitFor('the server to answer', async () => (await client.list('configmaps', { namespace: NS, limit: 1 }).then(() => true, () => false)), 10_000, 100);
    const before = await metric(server.http, 'apiserver_storage_list_total', { resource: 'configmaps', reason: 'disabled' });
    const all = await client.listAll('configmaps', { namespace: NS });
    t.is(all.items.length, COUNT);
    // Every page, the continues included: nothing is asked of a cache that is off.
    t.is(await metric(server.http, 'apiserver_storage_list_total', { resource: 'configmaps', reason: 'disabled' }), before + 3);
    t.is(await metric(server.http, 'apiserver_cache_list_total', { resource: 'configmaps', index: '' }), 0);
  } finally {
    await server.stop();
  }
});
