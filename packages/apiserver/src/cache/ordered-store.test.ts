import test from 'ava';
import type { KubeObject } from '@tugboat/api';
import { HOLD_OBJECTS } from './held.js';
import { OrderedStore } from './ordered-store.js';

const pod = (namespace: string, name: string, node: string): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace, name }, spec: { nodeName: node } } as KubeObject);
const nodeOf = (o: KubeObject): string => (o.spec as { nodeName?: string } | undefined)?.nodeName ?? '';

// Namespaces whose names sort around the '/' that ends a namespace in a key: '-' and '.' come
// before it, letters and digits after, so a prefix scan on "a" alone would take in "a-b" and "ab".
const NAMESPACES = ['a', 'a-b', 'a.b', 'ab', 'a0', 'b'];

test('keys stay in etcd order through puts, moves between index values and removals; a namespace is one range', (t) => {
  const store = new OrderedStore(HOLD_OBJECTS, { field: 'spec.nodeName', value: nodeOf });
  const reference = new Map<string, KubeObject>();
  let seed = 7;
  const random = (n: number): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    // The high bits: an LCG's low bits repeat with a short period.
    return Math.floor((seed / 2 ** 31) * n);
  };
  for (let step = 0; step < 3_000; step++) {
    const ns = NAMESPACES[random(NAMESPACES.length)]!;
    const name = `p-${random(60)}`;
    const key = `${ns}/${name}`;
    if (random(4) === 0) {
      t.is(store.remove(ns, name) !== undefined, reference.delete(key));
    } else {
      const obj = pod(ns, name, `node-${random(5)}`);
      store.put(obj);
      reference.set(key, obj);
    }
    if (step === 1_500) {
      // A relist in the middle: everything replaced at once.
      store.replace([...reference.values()]);
    }
  }
  const sorted = [...reference.keys()].sort();
  t.deepEqual([...store.keys()], sorted);
  for (const ns of NAMESPACES) {
    const [from, to] = store.range(ns);
    t.deepEqual(store.keys().slice(from, to), sorted.filter((k) => k.startsWith(`${ns}/`)), ns);
  }
  t.deepEqual(store.range(), [0, sorted.length]);
  for (let n = 0; n < 5; n++) {
    const expected = sorted.filter((k) => nodeOf(reference.get(k)!) === `node-${n}`);
    t.deepEqual(store.keysWithValue(`node-${n}`), expected);
  }
  t.deepEqual(store.keysWithValue('node-none'), []);
  for (const k of sorted) t.is(store.byKey(k), reference.get(k), 'the very object given, not a copy');
});

test('without an index, keysWithValue says so', (t) => {
  const store = new OrderedStore(HOLD_OBJECTS);
  store.put(pod('a', 'x', 'n'));
  t.is(store.keysWithValue('n'), undefined);
  t.deepEqual([...store.keys()], ['a/x']);
});

test('a snapshot keeps the state it was taken at while the store changes', (t) => {
  const store = new OrderedStore(HOLD_OBJECTS, { field: 'spec.nodeName', value: nodeOf });
  const kept = pod('a', 'x', 'n1');
  for (const p of [kept, pod('a', 'y', 'n1'), pod('b', 'z', 'n2')]) store.put(p);
  const snap = store.snapshot();
  store.remove('a', 'x');
  store.put(pod('a', 'w', 'n2'));
  store.put(pod('b', 'z', 'n3'));
  t.deepEqual([...snap.keys()], ['a/x', 'a/y', 'b/z']);
  t.is(snap.byKey('a/x'), kept);
  t.is(snap.byKey('a/w'), undefined);
  t.is(nodeOf(snap.byKey('b/z')!), 'n2');
  t.deepEqual(snap.range('b'), [2, 3]);
  t.is(snap.lowerBound('a/x\0'), 1);
  t.deepEqual([...store.keys()], ['a/w', 'a/y', 'b/z']);
});
