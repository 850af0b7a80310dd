import test from 'ava';
import { FakeClock } from '@tugboat/api';
import { ControllerMetrics } from './metrics.js';
import { ExponentialBackoffRateLimiter, WorkQueue } from './workqueue.js';
import { runWorkers, silentLogger } from './controller.js';

function queue(clock = new FakeClock(), metrics?: ControllerMetrics): WorkQueue {
  return new WorkQueue({ name: 'test', clock, ...(metrics ? { metrics } : {}) });
}

test('duplicates collapse into one item', async (t) => {
  const q = queue();
  q.add('a');
  q.add('b');
  q.add('a');
  t.is(q.len(), 2);
  t.is(await q.get(), 'a');
  t.is(await q.get(), 'b');
  t.is(q.len(), 0);
});

test('a key being processed is not handed out again until done', async (t) => {
  const q = queue();
  q.add('a');
  const first = await q.get();
  t.is(first, 'a');
  q.add('a');
  // Not queued while processing: a second worker must not get it.
  t.is(q.len(), 0);
  let second: string | undefined;
  void q.get().then((k) => { second = k; });
  await Promise.resolve();
  t.is(second, undefined);
  q.done('a');
  await Promise.resolve();
  t.is(second, 'a');
});

test('a key re-added while processing runs once more afterwards, not twice', async (t) => {
  const q = queue();
  q.add('a');
  const k = await q.get();
  q.add('a');
  q.add('a');
  q.done(k as string);
  t.is(q.len(), 1);
  const again = await q.get();
  t.is(again, 'a');
  q.done('a');
  t.is(q.len(), 0);
});

test('done without a re-add does not queue the key', async (t) => {
  const q = queue();
  q.add('a');
  q.done(await q.get() as string);
  t.is(q.len(), 0);
});

test('waiting getters are served in order as keys arrive', async (t) => {
  const q = queue();
  const got: string[] = [];
  const p1 = q.get().then((k) => { got.push(`1:${k}`); });
  const p2 = q.get().then((k) => { got.push(`2:${k}`); });
  q.add('x');
  q.add('y');
  await Promise.all([p1, p2]);
  t.deepEqual(got, ['1:x', '2:y']);
});

test('addAfter adds when the clock reaches the delay; the soonest delay wins', async (t) => {
  const clock = new FakeClock();
  const q = queue(clock);
  q.addAfter('a', 1000);
  q.addAfter('a', 300);
  q.addAfter('a', 2000);
  t.is(q.len(), 0);
  clock.advance(299);
  t.is(q.len(), 0);
  clock.advance(1);
  t.is(q.len(), 1);
  t.is(q.delayedCount(), 0);
  clock.advance(5000);
  t.is(q.len(), 1, 'the later delays were dropped, not queued as well');
});

test('addAfter with no delay adds at once', (t) => {
  const q = queue();
  q.addAfter('a', 0);
  t.is(q.len(), 1);
});

test('rate-limited re-adds back off exponentially from 5 ms to 1000 s, and forget resets', async (t) => {
  const clock = new FakeClock();
  const q = queue(clock);
  const delays: number[] = [];
  for (let i = 0; i < 4; i++) {
    q.addRateLimited('a');
    const start = clock.now();
    while (q.len() === 0) clock.advance(1);
    delays.push(clock.now() - start);
    q.done(await q.get() as string);
  }
  t.deepEqual(delays, [5, 10, 20, 40]);
  t.is(q.numRequeues('a'), 4);
  q.forget('a');
  t.is(q.numRequeues('a'), 0);
  const limiter = new ExponentialBackoffRateLimiter();
  let last = 0;
  for (let i = 0; i < 40; i++) last = limiter.when('k');
  t.is(last, 1_000_000);
});

test('back-off is per key', (t) => {
  const limiter = new ExponentialBackoffRateLimiter();
  limiter.when('a');
  limiter.when('a');
  t.is(limiter.when('a'), 20);
  t.is(limiter.when('b'), 5);
});

test('shutDown releases waiting getters and ignores later adds', async (t) => {
  const clock = new FakeClock();
  const q = queue(clock);
  const p = q.get();
  q.addAfter('later', 100);
  q.shutDown();
  t.is(await p, undefined);
  q.add('a');
  t.is(await q.get(), undefined);
  t.is(clock.pending(), 0);
});

test('workers never process one key concurrently, and every add after a start is seen', async (t) => {
  const q = queue();
  const active = new Set<string>();
  let overlaps = 0;
  const runs = new Map<string, number>();
  const keys = ['a', 'b', 'c'];
  const sync = async (key: string): Promise<void> => {
    if (active.has(key)) overlaps++;
    active.add(key);
    runs.set(key, (runs.get(key) ?? 0) + 1);
    // Yield a few times so other workers get a chance to pick the same key.
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    active.delete(key);
  };
  const done = runWorkers(q, sync, 4, silentLogger);
  for (let round = 0; round < 50; round++) {
    for (const k of keys) q.add(k);
    await new Promise((r) => setImmediate(r));
  }
  // Let everything drain, then stop.
  while (q.len() > 0 || keys.some((k) => q.isProcessing(k))) await new Promise((r) => setImmediate(r));
  q.shutDown();
  await done;
  t.is(overlaps, 0);
  for (const k of keys) t.true((runs.get(k) ?? 0) >= 2, `${k} ran ${runs.get(k)} times`);
});

test('a failing sync is retried with back-off until it succeeds, then forgotten', async (t) => {
  const clock = new FakeClock();
  const q = queue(clock);
  let calls = 0;
  const sync = async (): Promise<void> => {
    calls++;
    if (calls < 3) throw new Error('boom');
  };
  const done = runWorkers(q, sync, 1, silentLogger);
  q.add('a');
  const settle = async (): Promise<void> => { for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r)); };
  await settle();
  t.is(calls, 1);
  t.is(q.delayedCount(), 1);
  clock.advance(5);
  await settle();
  t.is(calls, 2);
  clock.advance(9);
  await settle();
  t.is(calls, 2, 'second back-off is 10 ms');
  clock.advance(1);
  await settle();
  t.is(calls, 3);
  t.is(q.numRequeues('a'), 0);
  q.shutDown();
  await done;
});

test('metrics: depth, adds and work duration are reported under the queue name', async (t) => {
  const clock = new FakeClock();
  const metrics = new ControllerMetrics();
  const q = queue(clock, metrics);
  q.add('a');
  q.add('b');
  q.add('a');
  let text = await metrics.registry.metrics();
  t.regex(text, /workqueue_depth\{name="test"\} 2/);
  t.regex(text, /workqueue_adds_total\{name="test"\} 3/);
  const k = await q.get() as string;
  clock.advance(250);
  q.done(k);
  text = await metrics.registry.metrics();
  t.regex(text, /workqueue_depth\{name="test"\} 1/);
  t.regex(text, /workqueue_work_duration_seconds_sum\{name="test"\} 0\.25/);
  t.regex(text, /workqueue_work_duration_seconds_count\{name="test"\} 1/);
});
