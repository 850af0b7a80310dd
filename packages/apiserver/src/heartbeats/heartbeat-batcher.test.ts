import test from 'ava';
import { HeartbeatBatcher } from './heartbeat-batcher.js';

/** A batcher (20 ms interval) whose writes take `writeMs` and are recorded. */
function recording(fail?: (n: number) => Error | undefined, writeMs = 30) {
  const writes: string[][] = [];
  let inFlight = 0;
  let overlapped = false;
  const batcher = new HeartbeatBatcher({
    flushIntervalMs: 20,
    write: async (nodes) => {
      inFlight++;
      if (inFlight > 1) overlapped = true;
      writes.push([...nodes]);
      await new Promise((r) => setTimeout(r, writeMs));
      inFlight--;
      const err = fail?.(writes.length);
      if (err) throw err;
    },
  });
  return { batcher, writes, overlapped: () => overlapped };
}

test('heartbeats heard within one interval are one write, and each is answered only after it', async (t) => {
  const { batcher, writes } = recording();
  let answered = 0;
  const beats = ['a', 'b', 'c', 'a'].map((n) => batcher.beat(n).then(() => { answered++; }));
  t.is(batcher.size, 3);
  await new Promise((r) => setTimeout(r, 35)); // the write has started, not finished
  t.is(writes.length, 1);
  t.is(answered, 0, 'nothing is acknowledged before its write is');
  await Promise.all(beats);
  t.deepEqual(writes, [['a', 'b', 'c']]);
  t.is(answered, 4);
});

test('batches are written one at a time, in order; a failed write fails only its own callers', async (t) => {
  const { batcher, writes, overlapped } = recording((n) => (n === 1 ? new Error('etcd is away') : undefined));
  const first = batcher.beat('a');
  await new Promise((r) => setTimeout(r, 25)); // first batch is being written
  const second = batcher.beat('b');
  await t.throwsAsync(first, { message: 'etcd is away' });
  await second;
  t.deepEqual(writes, [['a'], ['b']]);
  t.false(overlapped());
});

test('close writes what is pending and refuses later heartbeats', async (t) => {
  const { batcher, writes } = recording();
  const beat = batcher.beat('a');
  await batcher.close();
  await beat;
  t.deepEqual(writes, [['a']]);
  await t.throwsAsync(batcher.beat('b'), { message: /shutting down/ });
});

test('a write slower than the interval: what arrives meanwhile goes into the next write, which starts as it ends — no queue of writes', async (t) => {
  // etcd under load: 5 intervals per write.
  const { batcher, writes, overlapped } = recording(undefined, 100);
  const waits: number[] = [];
  const beats: Promise<void>[] = [];
  for (let i = 0; i < 60; i++) {
    const sent = performance.now();
    beats.push(batcher.beat(`n${i}`).then(() => { waits.push(performance.now() - sent); }));
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(beats);
  t.false(overlapped());
  // 60 beats over about 300 ms at 100 ms a write: 3–5 writes, not one per 20 ms interval (15,
  // queued one behind another, the last beats waiting well over a second).
  t.true(writes.length >= 3 && writes.length <= 5, `${writes.length} writes`);
  t.deepEqual(writes.flat().sort(), Array.from({ length: 60 }, (_, i) => `n${i}`).sort());
  const worst = Math.max(...waits);
  t.true(worst < 330, `the longest wait ${worst.toFixed(0)} ms: at most the write in flight, its own, and an interval`);
});

test('a quick write: batches still collect for an interval (not one write per beat once one ends)', async (t) => {
  const { batcher, writes } = recording(undefined, 2);
  const beats: Promise<void>[] = [];
  for (let i = 0; i < 20; i++) {
    beats.push(batcher.beat(`q${i}`));
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(beats);
  // About 110 ms of beats, one write per 20 ms interval: 4–7 writes, not 20.
  t.true(writes.length >= 4 && writes.length <= 7, `${writes.length} writes`);
  t.is(writes.flat().length, 20);
});
