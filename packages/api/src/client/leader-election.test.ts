// The election decision is a pure function of the Lease as read, the local clock and when
// this replica last saw the record change. The loop against a real API server is tested in
// packages/scheduler (two schedulers, one leader).
import test from 'ava';
import { decideElection, LeaderElector, microTime } from './leader-election.js';
import type { TugboatClient } from './client.js';

const T0 = Date.parse('2024-05-01T10:00:00Z');

test('microTime has microseconds, as Kubernetes writes renewTime', (t) => {
  t.is(microTime(T0 + 123), '2024-05-01T10:00:00.123000Z');
});

test('no Lease: create it holding it', (t) => {
  const d = decideElection(undefined, 'a', T0, 0, 15);
  t.is(d.action, 'create');
  if (d.action !== 'create') return;
  t.is(d.spec.holderIdentity, 'a');
  t.is(d.spec.leaseDurationSeconds, 15);
  t.is(d.spec.renewTime, microTime(T0));
  t.is(d.spec.acquireTime, microTime(T0));
  t.is(d.spec.leaseTransitions, 0);
});

test('the holder renews: renewTime moves, acquireTime and transitions stay', (t) => {
  const current = { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: microTime(T0), renewTime: microTime(T0), leaseTransitions: 3 };
  const d = decideElection(current, 'a', T0 + 2000, T0, 15);
  t.is(d.action, 'renew');
  if (d.action !== 'renew') return;
  t.is(d.spec.renewTime, microTime(T0 + 2000));
  t.is(d.spec.acquireTime, microTime(T0));
  t.is(d.spec.leaseTransitions, 3);
});

test('another holder within its lease duration (by our observation): wait', (t) => {
  const current = { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: microTime(T0) };
  t.deepEqual(decideElection(current, 'b', T0 + 14_999, T0, 15), { action: 'wait', holder: 'a' });
});

test('expiry counts from when we observed the record, not the renewTime written by another clock', (t) => {
  // The holder's clock is an hour behind ours: its renewTime looks ancient, but we saw it
  // change just now, so it is alive.
  const current = { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: microTime(T0 - 3_600_000) };
  t.is(decideElection(current, 'b', T0 + 1000, T0, 15).action, 'wait');
});

test('an expired Lease is taken over with leaseTransitions + 1', (t) => {
  const current = { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: microTime(T0), renewTime: microTime(T0), leaseTransitions: 2 };
  const d = decideElection(current, 'b', T0 + 15_000, T0, 15);
  t.is(d.action, 'takeover');
  if (d.action !== 'takeover') return;
  t.is(d.spec.holderIdentity, 'b');
  t.is(d.spec.acquireTime, microTime(T0 + 15_000));
  t.is(d.spec.leaseTransitions, 3);
});

test('a released Lease (no holder) is taken at once', (t) => {
  const current = { holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(T0), leaseTransitions: 2 };
  const d = decideElection(current, 'b', T0, T0, 15);
  t.is(d.action, 'takeover');
  if (d.action !== 'takeover') return;
  t.is(d.spec.leaseTransitions, 2);
  t.is(d.spec.leaseDurationSeconds, 15);
});

test('the lease duration in the record wins over our own default', (t) => {
  const current = { holderIdentity: 'a', leaseDurationSeconds: 60, renewTime: microTime(T0) };
  t.is(decideElection(current, 'b', T0 + 30_000, T0, 15).action, 'wait');
});

test('a renew deadline not shorter than the lease is refused', (t) => {
  const client = {} as unknown as TugboatClient;
  t.throws(() => new LeaderElector(client, { name: 'x', identity: 'a', leaseDurationSeconds: 5, renewDeadlineMs: 5000 }), { message: /must be shorter/ });
});
