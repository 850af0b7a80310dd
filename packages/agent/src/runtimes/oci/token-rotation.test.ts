// Token rotation on an injected clock: kubelet's rule (80% of the lifetime, at most 24 h),
// retries with back-off while the old token still works, and no refresh after stop.
import test from 'ava';
import { ManualClock } from '../../testing/manual-clock.js';
import { TOKEN_MAX_TTL_MS, TokenRotation, tokenRefreshAt, type TokenLifetime } from './token-rotation.js';

const HOUR = 3600_000;
const T0 = Date.UTC(2024, 4, 1);

test('the refresh is due at 80% of the lifetime, and after 24 h at most', (t) => {
  t.is(tokenRefreshAt({ issuedAt: T0, expiresAt: T0 + 3607_000 }), T0 + Math.floor(3607_000 * 0.8));
  t.is(tokenRefreshAt({ issuedAt: T0, expiresAt: T0 + 48 * HOUR }), T0 + TOKEN_MAX_TTL_MS);
  t.is(tokenRefreshAt({ issuedAt: T0, expiresAt: T0 - 1 }), T0, 'an expired token is renewed at once');
});

test('one timer per pod, at the earliest of its tokens; each refresh schedules the next', async (t) => {
  const clock = new ManualClock(T0);
  const calls: number[] = [];
  const rotation = new TokenRotation(async () => {
    calls.push(clock.now());
    return [{ issuedAt: clock.now(), expiresAt: clock.now() + HOUR }];
  }, clock);
  rotation.track('pod-a', [{ issuedAt: T0, expiresAt: T0 + 2 * HOUR }, { issuedAt: T0, expiresAt: T0 + HOUR }]);
  t.is(rotation.nextRefresh('pod-a'), T0 + 0.8 * HOUR);
  t.is(clock.pending(), 1);
  await clock.advance(0.8 * HOUR - 1);
  t.deepEqual(calls, []);
  await clock.advance(1);
  t.deepEqual(calls, [T0 + 0.8 * HOUR]);
  t.is(rotation.nextRefresh('pod-a'), T0 + 1.6 * HOUR);
  await clock.advance(0.8 * HOUR);
  t.is(calls.length, 2);
  t.is(clock.pending(), 1);
});

test('a failed refresh is retried with back-off; a pod with no tokens left is forgotten', async (t) => {
  const clock = new ManualClock(T0);
  let fail = 2;
  const calls: number[] = [];
  const logs: string[] = [];
  const rotation = new TokenRotation(async () => {
    calls.push(clock.now() - T0);
    if (fail-- > 0) throw new Error('failed to fetch token: serviceaccounts "default" not found');
    return [];
  }, clock, (m) => logs.push(m));
  rotation.track('pod-a', [{ issuedAt: T0, expiresAt: T0 + 10_000 }]);
  await clock.advance(8_000);
  t.deepEqual(calls, [8_000]);
  await clock.advance(5_000);
  t.deepEqual(calls, [8_000, 13_000]);
  await clock.advance(10_000);
  t.deepEqual(calls, [8_000, 13_000, 23_000]);
  t.regex(logs[0] ?? '', /pod-a: failed to fetch token: serviceaccounts "default" not found \(retrying in 5s\)/);
  t.false(rotation.has('pod-a'));
  t.is(clock.pending(), 0);
});

test('stop: no refresh after, even for one that was running', async (t) => {
  const clock = new ManualClock(T0);
  let release!: (v: TokenLifetime[]) => void;
  let calls = 0;
  const rotation = new TokenRotation(() => { calls++; return new Promise<TokenLifetime[]>((r) => { release = r; }); }, clock);
  rotation.track('pod-a', [{ issuedAt: T0, expiresAt: T0 + HOUR }]);
  rotation.track('pod-b', [{ issuedAt: T0, expiresAt: T0 + HOUR }]);
  rotation.stop('pod-b');
  await clock.advance(0.8 * HOUR);
  t.is(calls, 1, 'only pod-a');
  rotation.stop('pod-a');
  release([{ issuedAt: clock.now(), expiresAt: clock.now() + HOUR }]);
  for (let i = 0; i < 10; i++) await Promise.resolve();
  t.false(rotation.has('pod-a'));
  t.is(clock.pending(), 0);
});
