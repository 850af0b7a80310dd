import test from 'ava';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { StringTable } from './shared-strings.js';

// Whether two equal strings are one copy shows only in memory: collect garbage on demand.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const decoded = (i: number): unknown => JSON.parse(JSON.stringify({
  metadata: { name: `pod-${i}`, namespace: 'density', labels: { app: 'web' } },
  spec: { schedulerName: 'default-scheduler'.padEnd(60, '-'), containers: [{ terminationMessagePath: '/dev/termination-log'.padEnd(60, '-') }], dnsPolicy: 'ClusterFirst'.padEnd(60, '-') },
  status: { conditions: [{ type: 'PodScheduled'.padEnd(60, '-'), status: 'True' }], message: 'x'.repeat(100) + i },
}));

function heapGrowth(keep: (i: number) => unknown, n: number): number {
  const kept: unknown[] = [];
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) kept.push(keep(i));
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  if (kept.length !== n) throw new Error('unreachable');
  return grown;
}

test('objects decoded apart hold one copy of each short value once shared', (t) => {
  const n = 20_000;
  const table = new StringTable();
  const plain = heapGrowth((i) => decoded(i), n);
  const shared = heapGrowth((i) => table.shareAll(decoded(i)), n);
  // Four 60-character values per object: about 80 bytes each when every object has its own.
  const saved = plain - shared;
  t.true(saved > n * 4 * 60, `sharing saved ${(saved / 1048576).toFixed(1)} MB of ${(plain / 1048576).toFixed(1)} MB`);
});

test('sharing keeps every value and leaves long ones alone', (t) => {
  const table = new StringTable();
  const obj = decoded(7);
  const copy = structuredClone(obj);
  t.is(table.shareAll(obj), obj);
  t.deepEqual(obj, copy);
  t.is(table.shareAll(null), null);
  t.is(table.shareAll('plain'), 'plain');
  t.deepEqual(table.shareAll([['a', 1], { b: [true, null, 'c'] }]), [['a', 1], { b: [true, null, 'c'] }]);
  const long = 'y'.repeat(65);
  t.is(table.share(long), long);
  // pod-7, density, web, four padded values, True; a, c. Not the 107-character message, nor a
  // bare string given to shareAll (it has no place to put the shared copy).
  t.is(table.size, 10, 'only values of 64 characters or fewer are held');
});

test('the table stays bounded however many distinct values pass through it, and keeps the ones that repeat', (t) => {
  const table = new StringTable(1_000);
  for (let i = 0; i < 100_000; i++) {
    table.share(`uid-${i}`);
    if (i % 10 === 0) table.share('Running');
  }
  t.true(table.size <= 2_000, `${table.size} values held`);
  // A value that keeps coming back is in the newer generation, not lost at each turn.
  const before = table.size;
  table.share('Running');
  t.is(table.size, before, 'Running was already held');
});
