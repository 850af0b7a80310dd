import test from 'ava';
import type { Pod } from '@tugboat/api';
import { backoffDelay, backoffRecord, MAX_JOB_BACKOFF_MS, remainingBackoff } from './job-backoff.js';

const T0 = Date.UTC(2024, 0, 1);
const finished = (phase: 'Succeeded' | 'Failed', at: number): Pod => ({
  metadata: { name: `${phase}-${at}`, creationTimestamp: new Date(T0).toISOString() },
  spec: { containers: [] },
  status: { phase, containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: phase === 'Failed' ? 1 : 0, finishedAt: new Date(at).toISOString() } } }] },
});

test('the delay doubles from the base and stops at the cap', (t) => {
  t.is(backoffDelay(0, 10_000), 0);
  t.is(backoffDelay(1, 10_000), 10_000);
  t.is(backoffDelay(2, 10_000), 20_000);
  t.is(backoffDelay(3, 10_000), 40_000);
  t.is(backoffDelay(6, 10_000), 320_000);
  t.is(backoffDelay(7, 10_000), MAX_JOB_BACKOFF_MS, '640 s is capped at 6 min');
  t.is(backoffDelay(5000, 10_000), MAX_JOB_BACKOFF_MS, 'no overflow');
});

test('only failures after the last success count, from the last failure', (t) => {
  const pods = [finished('Failed', T0 + 1000), finished('Succeeded', T0 + 2000), finished('Failed', T0 + 3000), finished('Failed', T0 + 5000)];
  const rec = backoffRecord(pods.filter((p) => p.status?.phase === 'Succeeded'), pods.filter((p) => p.status?.phase === 'Failed'));
  t.deepEqual(rec, { failuresAfterLastSuccess: 2, lastFailureTime: T0 + 5000 });
  t.is(remainingBackoff(rec, T0 + 5000, 10_000), 20_000);
  t.is(remainingBackoff(rec, T0 + 24_000, 10_000), 1_000);
  t.is(remainingBackoff(rec, T0 + 60_000, 10_000), 0);
});

test('no failures: no wait', (t) => {
  t.is(remainingBackoff(backoffRecord([], []), T0, 10_000), 0);
});
