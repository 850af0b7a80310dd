import test from 'ava';
import { KeyedHeap } from './heap.js';

test('pops in order; update and delete by key keep the order', (t) => {
  const h = new KeyedHeap<{ k: string; v: number }>((x) => x.k, (a, b) => a.v < b.v);
  for (const [k, v] of [['a', 5], ['b', 3], ['c', 8], ['d', 1], ['e', 9]] as const) h.push({ k, v });
  h.push({ k: 'c', v: 0 });
  h.delete('b');
  t.false(h.has('b'));
  const out: string[] = [];
  for (let x = h.pop(); x; x = h.pop()) out.push(x.k);
  t.deepEqual(out, ['c', 'd', 'a', 'e']);
});

test('a random workload matches a sorted array', (t) => {
  const h = new KeyedHeap<{ k: string; v: number }>((x) => x.k, (a, b) => a.v < b.v);
  const ref = new Map<string, number>();
  let seed = 7;
  const rand = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
  for (let i = 0; i < 2000; i++) {
    const k = `k${Math.floor(rand() * 200)}`;
    if (rand() < 0.2) { h.delete(k); ref.delete(k); } else { const v = Math.floor(rand() * 1000); h.push({ k, v }); ref.set(k, v); }
  }
  const got: number[] = [];
  for (let x = h.pop(); x; x = h.pop()) got.push(x.v);
  t.deepEqual(got, [...ref.values()].sort((a, b) => a - b));
});
