import test from 'ava';
import { GapDetector, confirmPod } from './gap-detector.js';

function clock(start = 5_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

test('ticks on time, or a little late (a busy event loop), are no gap', (t) => {
  const c = clock();
  const g = new GapDetector(c.now, 1_000, 2_000);
  for (const late of [1_000, 1_000, 2_900, 1_000, 3_000]) {
    c.advance(late);
    t.false(g.tick());
  }
  t.is(g.lastGap(), undefined);
});

test('a tick 30 s late (SIGSTOP) is a gap, remembered until the next one', (t) => {
  const c = clock();
  const g = new GapDetector(c.now, 1_000, 2_000);
  c.advance(1_000);
  g.tick();
  c.advance(30_000);
  t.true(g.tick());
  const first = g.lastGap();
  t.is(first, c.now());
  c.advance(1_000);
  t.false(g.tick());
  t.is(g.lastGap(), first);
  c.advance(10_000);
  t.true(g.tick());
  t.true(g.lastGap()! > first!);
});

test('an overdue tick is a gap already, before the timer has run (just resumed)', (t) => {
  const c = clock();
  const g = new GapDetector(c.now, 1_000, 2_000);
  c.advance(30_000);
  t.is(g.sinceLastTick(), 30_000);
  t.is(g.lastGap(), c.now());
  // The late timer then finds nothing new.
  t.false(g.tick());
});

test('a fresh read decides: bound here, deleting, gone (or another pod of that name), bound elsewhere', (t) => {
  const pod = (uid: string, nodeName: string, deleting = false): { metadata: { uid: string; deletionTimestamp?: string }; spec: { nodeName: string } } => ({
    metadata: { uid, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) }, spec: { nodeName },
  });
  t.is(confirmPod(pod('u1', 'node-1'), 'u1', 'node-1'), 'bound here');
  t.is(confirmPod(pod('u1', 'node-1', true), 'u1', 'node-1'), 'deleting');
  t.is(confirmPod(undefined, 'u1', 'node-1'), 'gone');
  t.is(confirmPod(pod('u2', 'node-1'), 'u1', 'node-1'), 'gone');
  t.is(confirmPod(pod('u1', 'node-2'), 'u1', 'node-1'), 'bound elsewhere');
});
