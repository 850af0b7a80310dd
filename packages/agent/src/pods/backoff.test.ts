import test from 'ava';
import { BackOff, formatGoDuration } from './backoff.js';

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

test('first restart is immediate, then 10s, 20s, 40s … capped at 5 min (kubelet)', (t) => {
  const c = clock();
  const b = new BackOff(10_000, 300_000, c.now);
  const key = 'uid/c';
  // Crash 1: no entry yet, so no back-off; the restart moves it to 10 s.
  t.false(b.isInBackOffSince(key, c.now()));
  b.next(key, c.now());
  t.is(b.get(key), 10_000);
  const seen: number[] = [];
  for (let i = 0; i < 8; i++) {
    c.advance(100); // the container runs briefly and crashes again
    const exitedAt = c.now();
    t.true(b.isInBackOffSince(key, exitedAt));
    const wait = b.remaining(key, exitedAt);
    seen.push(wait);
    c.advance(wait - 1);
    t.true(b.isInBackOffSince(key, exitedAt), 'still waiting 1 ms before the end');
    c.advance(1);
    t.false(b.isInBackOffSince(key, exitedAt));
    b.next(key, exitedAt);
  }
  t.deepEqual(seen, [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
});

test('the back-off resets after the container ran for more than 10 minutes', (t) => {
  const c = clock();
  const b = new BackOff(10_000, 300_000, c.now);
  b.next('k', c.now());
  c.advance(100);
  b.next('k', c.now());
  t.is(b.get('k'), 20_000);
  // Started at the last next(); runs 10 min + 1 ms, then crashes.
  c.advance(600_001);
  t.false(b.isInBackOffSince('k', c.now()));
  b.next('k', c.now());
  t.is(b.get('k'), 10_000);
});

test('keys are independent and forgotten by prefix', (t) => {
  const c = clock();
  const b = new BackOff(10_000, 300_000, c.now);
  b.next('a/x', c.now());
  b.next('b/x', c.now());
  b.deletePrefix('a/');
  t.is(b.get('a/x'), 0);
  t.is(b.get('b/x'), 10_000);
});

test('durations print as Go prints them', (t) => {
  t.is(formatGoDuration(10_000), '10s');
  t.is(formatGoDuration(80_000), '1m20s');
  t.is(formatGoDuration(300_000), '5m0s');
  t.is(formatGoDuration(1_500), '1.5s');
  t.is(formatGoDuration(250), '250ms');
});
