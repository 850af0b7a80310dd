// The bare HTTP/2 client of etcd's KV against a real etcd: it must answer exactly what the
// etcd3 package answers for the same request (the storage reads its answers as etcd3's), and
// fail in the words storage/errors.ts classifies.
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import anyTest, { type TestFn } from 'ava';
import { Etcd3 } from 'etcd3';
import { startEtcd, type EtcdHandle } from '@tugboat/test';
import { EtcdUnary } from './etcd-unary.js';
import { toStorageError } from './errors.js';

const test = anyTest as TestFn<{ etcd: EtcdHandle; etcd3: Etcd3; unary: EtcdUnary }>;

test.before(async (t) => {
  const etcd = await startEtcd();
  t.context = { etcd, etcd3: new Etcd3({ hosts: [etcd.endpoint] }), unary: new EtcdUnary({ endpoint: etcd.endpoint }) };
});

test.after.always(async (t) => {
  t.context.unary?.close();
  t.context.etcd3?.close();
  await t.context.etcd?.destroy();
});

const soon = (): number => Date.now() + 5_000;
/** The header's raft_term and member_id are the same for both; the revision may not be. */
const sameRevision = <T extends { header: { revision: string } }>(a: T, b: T): void => { a.header.revision = b.header.revision; };

test.serial('Range answers as etcd3 does: one key, a missing key, a prefix with a limit, count only', async (t) => {
  const { etcd3, unary } = t.context;
  await etcd3.put('/u/a').value('1');
  await etcd3.put('/u/b').value('2');
  await etcd3.put('/u/c').value('3');
  const requests = [
    { key: Buffer.from('/u/b') },
    { key: Buffer.from('/u/none') },
    { key: Buffer.from('/u/'), range_end: Buffer.from('/u0'), limit: 2 },
    { key: Buffer.from('/u/'), range_end: Buffer.from('/u0'), count_only: true },
  ];
  for (const req of requests) {
    const want = await etcd3.kv.range(req);
    const got = await unary.range(req, soon());
    sameRevision(got, want);
    t.deepEqual(got, want, JSON.stringify(req));
  }
  const page = await unary.range(requests[2]!, soon());
  t.deepEqual(page.kvs.map((kv) => kv.key.toString()), ['/u/a', '/u/b']);
  t.true(page.more);
  t.is(page.count, '3');
});

test.serial('Txn: a compare that holds writes (with a lease); one that fails reads back, as etcd3 answers', async (t) => {
  const { etcd3, unary } = t.context;
  const lease = await etcd3.leaseClient.leaseGrant({ TTL: 60 });
  const created = await unary.txn({
    compare: [{ key: Buffer.from('/t/x'), target: 'Create', result: 'Equal', create_revision: 0 }],
    success: [{ request_put: { key: Buffer.from('/t/x'), value: Buffer.from('v1'), lease: lease.ID } }],
    failure: [{ request_range: { key: Buffer.from('/t/x') } }],
  }, soon());
  t.true(created.succeeded);
  const kv = (await etcd3.kv.range({ key: Buffer.from('/t/x') })).kvs[0]!;
  t.is(kv.value.toString(), 'v1');
  t.is(kv.lease, lease.ID);
  t.is(kv.mod_revision, created.header.revision);

  const stale = {
    compare: [{ key: Buffer.from('/t/x'), target: 'Mod' as const, result: 'Equal' as const, mod_revision: Number(kv.mod_revision) - 1 }],
    success: [{ request_delete_range: { key: Buffer.from('/t/x') } }],
    failure: [{ request_range: { key: Buffer.from('/t/x') } }],
  };
  const want = await etcd3.kv.txn(stale);
  const got = await unary.txn(stale, soon());
  t.false(got.succeeded);
  t.deepEqual(got, want);
  t.is(got.responses[0]?.response_range.kvs[0]?.value.toString(), 'v1');
});

test.serial('a read at a compacted revision fails as Expired; one in the future is told apart', async (t) => {
  const { etcd3, unary } = t.context;
  const old = Number((await etcd3.kv.range({ key: Buffer.from('/c'), count_only: true })).header.revision);
  await etcd3.put('/c/1').value('1');
  const now = Number((await etcd3.put('/c/2').value('2').exec()).header.revision);
  await etcd3.kv.compact({ revision: now });
  const err = await t.throwsAsync(unary.range({ key: Buffer.from('/c/1'), revision: old }, soon()));
  t.is(toStorageError(err, 'list').reason, 'Expired', err?.message);
  const future = await t.throwsAsync(unary.range({ key: Buffer.from('/c/1'), revision: now + 1000 }, soon()));
  t.regex(future?.message ?? '', /^11 OUT_OF_RANGE: .*future revision/);
});

test.serial('a member that does not answer runs into the deadline (Timeout); a closed client is Unavailable', async (t) => {
  // An HTTP/2 server that takes the call and never answers.
  const silent = http2.createServer();
  silent.on('stream', () => undefined);
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as AddressInfo).port;
  const client = new EtcdUnary({ endpoint: `http://127.0.0.1:${port}` });
  try {
    const start = Date.now();
    const err = await t.throwsAsync(client.range({ key: Buffer.from('/x') }, Date.now() + 300));
    const took = Date.now() - start;
    t.is(toStorageError(err, 'get').reason, 'Timeout', err?.message);
    t.true(took >= 290 && took < 2_000, `${took} ms`);
  } finally {
    client.close();
    silent.close();
  }
  const closed = await t.throwsAsync(client.range({ key: Buffer.from('/x') }, soon()));
  t.is(toStorageError(closed, 'get').reason, 'Unavailable', closed?.message);
  const refused = new EtcdUnary({ endpoint: `http://127.0.0.1:${port}` });
  const down = await t.throwsAsync(refused.range({ key: Buffer.from('/x') }, soon()));
  refused.close();
  t.is(toStorageError(down, 'get').reason, 'Unavailable', down?.message);
});
