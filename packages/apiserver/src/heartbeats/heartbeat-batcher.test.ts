import test from 'ava';
import { HeartbeatBatcher } from './heartbeat-batcher.js';

function recording(fail?: (n: number) => Error | undefined) {
  const writes: string[][] = [];
  let inFlight = 0;
  let overlapped = false;
  const batcher = new HeartbeatBatcher({
    flushIntervalMs: 20,
    write: async (nodes) => {
      inFlight++;
      if (inFlight > 1) overlapped = true;
      writes.push([...nodes]);
      await new Promise((r) => setTimeout(r, 30));
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
