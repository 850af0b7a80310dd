import test from 'ava';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import type { ApiError } from '@tugboat/api';
import { parseStorageKey } from '../registry/keys.js';
import type { Storage, StorageEvent, WatchHandlers } from '../storage/storage.js';
import { Change } from './change.js';
import { Subscribers, WatchCache, type Subscriber } from './watch-cache.js';

const pod = (node: string, phase = 'Running'): string => JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { nodeName: node }, status: { phase } });
// The memory test below collects garbage on demand.
setFlagsFromString('--expose-gc');
const KEY = '/registry/pods/default/p';
const change = (ev: StorageEvent): Change => new Change(ev, parseStorageKey(ev.key)!);

function recorder(index?: { field: string; value: string }): Subscriber & { got: number[] } {
  const got: number[] = [];
  return { resource: 'pods', ...(index ? { index } : {}), got, deliver: (c) => got.push(c.revision), progress: () => undefined, expire: (_e: ApiError) => undefined };
}

test('watchers indexed by a field get only the changes whose object had or has their value; the rest get everything', (t) => {
  const subs = new Subscribers();
  const all = recorder();
  const n1 = recorder({ field: 'spec.nodeName', value: 'node-1' });
  const n2 = recorder({ field: 'spec.nodeName', value: 'node-2' });
  const running = recorder({ field: 'status.phase', value: 'Running' });
  const unscheduled = recorder({ field: 'spec.nodeName', value: '' });
  for (const s of [all, n1, n2, running, unscheduled]) subs.add(s);
  subs.deliver(change({ type: 'put', key: KEY, value: pod(''), prevValue: undefined, revision: 1 }));
  subs.deliver(change({ type: 'put', key: KEY, value: pod('node-1'), prevValue: pod(''), revision: 2 }));
  subs.deliver(change({ type: 'put', key: KEY, value: pod('node-1', 'Succeeded'), prevValue: pod('node-1'), revision: 3 }));
  subs.deliver(change({ type: 'delete', key: KEY, prevValue: pod('node-1', 'Succeeded'), revision: 4 }));
  // A delete whose last state is gone: every indexed watcher hears of it.
  subs.deliver(change({ type: 'delete', key: KEY, prevValue: undefined, revision: 5 }));
  t.deepEqual(all.got, [1, 2, 3, 4, 5]);
  t.deepEqual(n1.got, [2, 3, 4, 5]);
  t.deepEqual(n2.got, [5]);
  t.deepEqual(running.got, [1, 2, 3, 5], 'both the state it left and the one it came to count');
  t.deepEqual(unscheduled.got, [1, 2, 5]);
  subs.delete(n1);
  subs.delete(all);
  subs.deliver(change({ type: 'put', key: KEY, value: pod('node-1'), prevValue: undefined, revision: 6 }));
  t.deepEqual(n1.got, [2, 3, 4, 5]);
  t.deepEqual(all.got, [1, 2, 3, 4, 5]);
  t.is([...subs.all()].length, 3);
});

/** A WatchCache on a storage whose only use is the one watch the cache opens; `push` feeds it. */
function cacheOnStub(options: ConstructorParameters<typeof WatchCache>[1]): { cache: WatchCache; push(ev: StorageEvent): void; ready: Promise<void> } {
  let handlers: WatchHandlers | undefined;
  const storage = {
    watch: (_prefix: string, _after: number | undefined, h: WatchHandlers) => {
      handlers = h;
      return { started: Promise.resolve(1), close: () => undefined };
    },
  } as unknown as Storage;
  const cache = new WatchCache(storage, options);
  cache.start();
  return { cache, push: (ev) => handlers!.onEvents([ev]), ready: cache.whenReady() };
}

test('the watch cache keeps fresh changes beyond its size, so a watcher that drops for a few seconds resumes from it', async (t) => {
  let now = 0;
  const { cache, push, ready } = cacheOnStub({ capacity: 10, retentionMs: 75_000, now: () => now });
  await ready;
  // 1,000 changes within a minute: all fresh, all kept although the size is 10.
  for (let rev = 2; rev <= 1001; rev++) { now += 60; push({ type: 'put', key: KEY, value: pod('node-1'), prevValue: undefined, revision: rev }); }
  const early = recorder();
  t.truthy(cache.subscribe(early, 5), 'a revision a minute old resumes from the cache');
  t.is(early.got.length, 1001 - 5);
  // Two minutes later, one more change: only the newest 10 are kept, older ones are gone.
  now += 120_000;
  push({ type: 'put', key: KEY, value: pod('node-1'), prevValue: undefined, revision: 1002 });
  t.is(cache.subscribe(recorder(), 5), undefined, 'a revision older than the window goes to etcd');
  const recent = recorder();
  t.truthy(cache.subscribe(recent, 992));
  t.deepEqual(recent.got, [993, 994, 995, 996, 997, 998, 999, 1000, 1001, 1002]);
});

test('the watch cache never holds more than maxCapacity changes, fresh or not', async (t) => {
  const { cache, push, ready } = cacheOnStub({ capacity: 10, retentionMs: 75_000, maxCapacity: 100, now: () => 0 });
  await ready;
  for (let rev = 2; rev <= 500; rev++) push({ type: 'put', key: KEY, value: pod('node-1'), prevValue: undefined, revision: rev });
  t.is(cache.subscribe(recorder(), 100), undefined);
  const r = recorder();
  t.truthy(cache.subscribe(r, 450));
  t.is(r.got.length, 50);
});

test("an update's previous value is held once: the key's change before it already holds the same text", async (t) => {
  // etcd sends each update's old value as a copy of its own; only memory tells one copy from two.
  const gc = runInNewContext('gc') as () => void;
  const { cache, push, ready } = cacheOnStub({ capacity: 1_000, retentionMs: 0 });
  await ready;
  const size = 256 * 1024;
  // A fresh, flat string each call: equal text, separate memory, as etcd's decoded bytes are.
  const text = (i: number): string => Buffer.alloc(size, `pod-${i}|`).toString('latin1');
  gc();
  const before = process.memoryUsage().heapUsed;
  const changes = 200;
  for (let rev = 2; rev < 2 + changes; rev++) {
    push({ type: 'put', key: KEY, value: text(rev), prevValue: rev === 2 ? undefined : text(rev - 1), revision: rev });
  }
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  const r = recorder();
  t.truthy(cache.subscribe(r, 1), 'every change is still held');
  t.is(r.got.length, changes);
  // One copy per change: 200 × 256 KB = 50 MB. Two copies would be 100 MB.
  t.true(grown < changes * size * 1.4, `history grew by ${(grown / 1048576).toFixed(1)} MB for ${(changes * size / 1048576).toFixed(0)} MB of values`);
});

test('a previous value that differs from what the cache held is kept as etcd sent it', async (t) => {
  const { cache, push, ready } = cacheOnStub({ capacity: 10 });
  await ready;
  push({ type: 'put', key: KEY, value: pod('node-1'), prevValue: undefined, revision: 2 });
  push({ type: 'put', key: KEY, value: pod('node-2'), prevValue: pod('node-9'), revision: 3 });
  push({ type: 'delete', key: KEY, prevValue: pod('node-2'), revision: 4 });
  const got: Change[] = [];
  t.truthy(cache.subscribe({ ...recorder(), deliver: (c) => got.push(c) }, 1));
  t.deepEqual(got.map((c) => (c.previous()?.spec as { nodeName?: string } | undefined)?.nodeName), [undefined, 'node-9', 'node-2']);
});

test('a burst is let go once it is older than the retention, even when no change follows it', async (t) => {
  let now = 0;
  const { cache, push, ready } = cacheOnStub({ capacity: 10, retentionMs: 75_000, now: () => now });
  await ready;
  for (let rev = 2; rev <= 501; rev++) push({ type: 'put', key: KEY, value: pod('node-1'), prevValue: undefined, revision: rev });
  now += 60_000;
  cache.sweep();
  t.truthy(cache.subscribe(recorder(), 1), 'a minute on, the burst is still fresh');
  now += 60_000;
  cache.sweep();
  t.is(cache.subscribe(recorder(), 1), undefined, 'two minutes on, only the newest changes are kept');
  const r = recorder();
  t.truthy(cache.subscribe(r, 491));
  t.is(r.got.length, 10);
  cache.stop();
});
