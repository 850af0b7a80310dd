import test from 'ava';
import { parseDuration, rfc3339 } from './time.js';

test('rfc3339 drops milliseconds, from a Date or epoch milliseconds', (t) => {
  t.is(rfc3339(new Date('2026-12-06T02:03:04.999Z')), '2026-12-06T02:03:04Z');
  t.is(rfc3339(Date.UTC(2026, 11, 6, 2, 3, 4, 1)), '2026-12-06T02:03:04Z');
});

test('parseDuration reads Go durations and bare seconds; anything else names the flag', (t) => {
  t.is(parseDuration('1m30s'), 90_000);
  t.is(parseDuration('500ms'), 500);
  t.is(parseDuration('1.5h'), 5_400_000);
  t.is(parseDuration('250us'), 0.25);
  t.is(parseDuration('2'), 2000);
  t.throws(() => parseDuration('10 s', '--lease-interval'), { message: '--lease-interval: invalid duration "10 s" (expected e.g. 30s, 500ms or 1m30s)' });
  t.throws(() => parseDuration(''), { message: /^invalid duration ""/ });
  t.throws(() => parseDuration('5d'), { message: /invalid duration "5d"/ });
});
