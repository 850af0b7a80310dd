import test from 'ava';
import { age, humanDuration } from './age.js';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

test('ages read as kubectl prints them', (t) => {
  const cases: [number, string][] = [
    [0, '0s'], [-1500, '0s'], [-3000, '<invalid>'], [5 * s, '5s'], [119 * s, '119s'],
    [2 * m, '2m'], [3 * m + 2 * s, '3m2s'], [9 * m + 59 * s, '9m59s'], [10 * m + 30 * s, '10m'],
    [179 * m, '179m'], [3 * h, '3h'], [4 * h, '4h'], [5 * h + 30 * m, '5h30m'], [8 * h + 5 * m, '8h'],
    [47 * h, '47h'], [2 * d, '2d'], [3 * d + 4 * h, '3d4h'], [8 * d, '8d'], [400 * d, '400d'],
    [730 * d, '2y'], [3 * 365 * d + 20 * d, '3y20d'], [9 * 365 * d, '9y'],
  ];
  for (const [ms, want] of cases) t.is(humanDuration(ms), want, `${ms} ms`);
});

test('age from a timestamp', (t) => {
  const now = Date.parse('2024-05-01T12:00:00Z');
  t.is(age('2024-05-01T11:56:58Z', now), '3m2s');
  t.is(age(undefined, now), '<unknown>');
  t.is(age('not a time', now), '<unknown>');
});
