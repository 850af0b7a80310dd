import test from 'ava';
import { LEASE_MAX_KEYS, LeaseManager, canReuse, reuseMarginSeconds } from './lease-manager.js';

test('the margin is 5% of the TTL, at most 60 s', (t) => {
  t.is(reuseMarginSeconds(3600), 60);
  t.is(reuseMarginSeconds(600), 30);
  t.is(reuseMarginSeconds(10), 0);
});

test('a lease is reused while it outlives the TTL by no more than the margin, and has room', (t) => {
  const lease = { id: '1', expiresAt: 630_000, attached: 1 };
  // ttl 600 s, margin 30 s: a key written at 0..29.999 s must live until 600..629.999 s.
  t.true(canReuse(lease, 600, 30_000 - 1));
  t.false(canReuse(lease, 600, 30_000), 'the lease would expire before the key is due');
  t.false(canReuse({ ...lease, expiresAt: 700_000 }, 600, 0), 'the key would outlive its TTL by more than the margin');
  t.false(canReuse({ ...lease, attached: LEASE_MAX_KEYS }, 600, 0), 'full');
  t.false(canReuse(undefined, 600, 0));
});

test('writes within the margin share one grant, concurrent ones too; later ones get a new lease', async (t) => {
  let now = 0;
  const grants: number[] = [];
  const m = new LeaseManager(async (ttl) => { grants.push(ttl); await new Promise((r) => setTimeout(r, 5)); return String(grants.length); }, () => now);
  const ids = await Promise.all(Array.from({ length: 10 }, () => m.leaseFor(3600)));
  t.deepEqual([...new Set(ids)], ['1']);
  t.deepEqual(grants, [3660], 'granted once, for the TTL and its 60 s margin');
  now = 59_000;
  t.is(await m.leaseFor(3600), '1');
  now = 60_000;
  t.is(await m.leaseFor(3600), '2', 'the first lease no longer outlives a key written now');
  t.deepEqual(grants, [3660, 3660]);
});

test('a short TTL (no margin) gets a lease per write, and a failed grant fails only its write', async (t) => {
  let fail = false;
  let n = 0;
  const m = new LeaseManager(async () => { if (fail) throw new Error('etcd is unavailable'); return String(++n); }, () => 0);
  t.is(await m.leaseFor(2), '1');
  t.is(await m.leaseFor(2), '2');
  fail = true;
  await t.throwsAsync(m.leaseFor(2), { message: 'etcd is unavailable' });
  fail = false;
  t.is(await m.leaseFor(2), '3');
});
