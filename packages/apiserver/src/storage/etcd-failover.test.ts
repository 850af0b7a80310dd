// The pure parts of riding out an etcd member's death: the per-member breaker, the retry window
// and deciding whether a lost write applied.
import test from 'ava';
import { ApiError } from '@tugboat/api';
import { alreadyApplied, isUnavailable, memberBreaker, MemberDownError, retryWithin, type RetryClock } from './etcd-failover.js';

function fakeClock(): RetryClock & { t: number; slept: number[] } {
  const c = { t: 0, slept: [] as number[], now: () => c.t, sleep: async (ms: number) => { c.slept.push(ms); c.t += ms; } };
  return c;
}

const unavailable = (): Error => new Error('14 UNAVAILABLE: No connection established');

test('a member that failed a call is skipped for a moment, then tried again', async (t) => {
  let now = 0;
  let downs = 0;
  const breaker = memberBreaker('127.0.0.1:1', () => downs++, 1_000, () => now);
  await t.throwsAsync(breaker.execute(() => { throw unavailable(); }), { message: /UNAVAILABLE/ });
  t.is(downs, 1, 'told once, when it went down');
  let called = false;
  await t.throwsAsync(breaker.execute(() => { called = true; return 1; }), { instanceOf: MemberDownError });
  t.false(called, 'refused without calling through, so etcd3 moves to the next member');
  now = 1_001;
  t.is(await breaker.execute(() => 2), 2);
  // Other failures (a compacted revision, an election going on) say nothing against the member.
  await t.throwsAsync(breaker.execute(() => { throw new Error('required revision has been compacted'); }));
  await t.throwsAsync(breaker.execute(() => { throw new Error('14 UNAVAILABLE: etcdserver: no leader'); }));
  t.is(await breaker.execute(() => 3), 3);
  t.is(downs, 1);
});

test('Unavailable is retried until the window closes; other errors at once', async (t) => {
  const clock = fakeClock();
  let n = 0;
  t.is(await retryWithin(async () => { if (++n < 4) throw unavailable(); return 'ok'; }, 2_000, clock), 'ok');
  t.deepEqual(clock.slept, [25, 50, 100]);

  const c2 = fakeClock();
  let tries = 0;
  await t.throwsAsync(retryWithin(async () => { tries++; throw new Error('etcdserver: no leader'); }, 2_000, c2), { message: 'etcdserver: no leader' });
  t.true(c2.t <= 2_000, `gave up by the window's end (${c2.t} ms)`);
  t.true(tries >= 6);

  let once = 0;
  await t.throwsAsync(retryWithin(async () => { once++; throw new ApiError('Conflict', 'no'); }, 2_000, fakeClock()));
  t.is(once, 1);
});

test('a write is told when an earlier try may have reached etcd (not when a breaker refused it)', async (t) => {
  const seen: boolean[] = [];
  let n = 0;
  await retryWithin(async (retried) => {
    seen.push(retried);
    n++;
    if (n === 1) throw new MemberDownError('a');
    if (n === 2) throw new Error('14 UNAVAILABLE: Connection dropped');
    return 0;
  }, 2_000, fakeClock());
  t.deepEqual(seen, [false, false, true]);
});

test('a lost write applied when every key holds what it wrote and its deletes are gone', (t) => {
  t.true(alreadyApplied([{ key: 'a', value: 'v' }, { key: 'b', deleted: true }], ['v', undefined]));
  t.false(alreadyApplied([{ key: 'a', value: 'v' }], ['w']));
  t.false(alreadyApplied([{ key: 'a', value: 'v' }, { key: 'b', deleted: true }], ['v', 'still here']));
  t.false(alreadyApplied([{ key: 'a', value: 'v' }], [undefined]));
});

test('what counts as Unavailable', (t) => {
  t.true(isUnavailable(new ApiError('Unavailable', 'etcd is unavailable')));
  t.true(isUnavailable(new Error('etcdserver: leader changed')));
  t.false(isUnavailable(new ApiError('Timeout', 'etcd did not answer')));
  t.false(isUnavailable(new Error('etcdserver: mvcc: required revision has been compacted')));
});
