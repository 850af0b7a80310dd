// The list cache's store: objects of one resource by key, with the keys also kept in etcd's
// order, so a list answered from memory has etcd's items in etcd's order (a namespace is one
// contiguous range, and a continue token can name the key after the last item), and
// optionally an index of one selectable field, so an agent's list of the pods on its node does
// not scan every pod.
//
// How entries are held is `held`'s (held.ts): the objects as given (the watch cache's decoded
// objects, shared with every watcher of the same change; nothing here copies or changes them),
// or pods as etcd's text.
import type { KubeObject } from '@tugboat/api';
import type { FieldIndex, Held, StoredValue } from './held.js';
import { storeKey, type InformerStore } from './object-store.js';

export type { FieldIndex } from './held.js';

/**
 * etcd orders keys by their bytes (UTF-8); JavaScript compares UTF-16 code units. The two
 * agree except between characters beyond U+FFFF and those in U+E000–U+FFFF, which names
 * (DNS labels and subdomains, RBAC's `system:…`) never hold.
 */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Where `key` is, or would go, in the sorted `keys`. */
function lowerBoundIn(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * [from, to) of the sorted `keys` holding one namespace's objects ('' or undefined: all of
 * them): `ns/` up to `ns0`, '0' being the character after '/'.
 */
function rangeIn(keys: readonly string[], namespace?: string): [number, number] {
  if (!namespace) return [0, keys.length];
  return [lowerBoundIn(keys, `${namespace}/`), lowerBoundIn(keys, `${namespace}0`)];
}

/** What a list walks: keys in etcd's order and their entries, live (OrderedStore) or frozen (OrderedSnapshot). */
export interface OrderedView<E = KubeObject> {
  readonly held: Held<E>;
  readonly index?: FieldIndex | undefined;
  keys(): readonly string[];
  byKey(key: string): E | undefined;
  range(namespace?: string): [number, number];
  lowerBound(key: string): number;
  /** The keys whose index field has this value, in order; undefined without an index. */
  keysWithValue(value: string): string[] | undefined;
}

/**
 * The store as it was at one revision: its keys and objects, copied (pointers only: the
 * objects are never changed, a change replaces them). A list's later pages are read from it,
 * so they show the same state as the first page without reading etcd.
 */
export class OrderedSnapshot<E = KubeObject> implements OrderedView<E> {
  readonly index = undefined;

  constructor(readonly held: Held<E>, private readonly sorted: readonly string[], private readonly objects: readonly E[]) {}

  keys(): readonly string[] {
    return this.sorted;
  }

  byKey(key: string): E | undefined {
    const at = lowerBoundIn(this.sorted, key);
    return this.sorted[at] === key ? this.objects[at] : undefined;
  }

  range(namespace?: string): [number, number] {
    return rangeIn(this.sorted, namespace);
  }

  lowerBound(key: string): number {
    return lowerBoundIn(this.sorted, key);
  }

  keysWithValue(): undefined {
    return undefined;
  }
}

export class OrderedStore<E = KubeObject> implements OrderedView<E>, InformerStore<KubeObject> {
  /** By storeKey. */
  private readonly items = new Map<string, E>();
  /** Every storeKey, sorted. An insert or removal moves pointers (a memmove), never re-sorts. */
  private sorted: string[] = [];
  /** index value → storeKeys with it. */
  private readonly byValue = new Map<string, Set<string>>();
  /** Within replace(): keys are appended, then sorted once. */
  private bulk = false;
  generation = 0;

  constructor(readonly held: Held<E>, readonly index?: FieldIndex) {}

  get holdsObjects(): boolean {
    return this.held.stored === undefined;
  }

  get size(): number {
    return this.items.size;
  }

  get(namespace: string, name: string): KubeObject | undefined {
    const e = this.items.get(storeKey(namespace, name));
    return e === undefined ? undefined : this.held.object(e);
  }

  /** etcd's text and revision of one object, when held as text (for a write's first read). */
  stored(namespace: string, name: string): StoredValue | undefined {
    // Asked on every write's first read, of leases and nodes too: no lookup for a store of objects.
    const { stored } = this.held;
    if (!stored) return undefined;
    const e = this.items.get(storeKey(namespace, name));
    return e === undefined ? undefined : stored(e);
  }

  *list(namespace?: string): Iterable<KubeObject> {
    const [from, to] = this.range(namespace);
    for (let i = from; i < to; i++) yield this.held.object(this.items.get(this.sorted[i]!)!);
  }

  put(obj: KubeObject, stored?: StoredValue): void {
    const key = storeKey(obj.metadata?.namespace ?? '', obj.metadata?.name ?? '');
    const old = this.items.get(key);
    const entry = this.held.hold(obj, stored);
    this.items.set(key, entry);
    this.generation++;
    if (old === undefined) {
      if (this.bulk) this.sorted.push(key);
      else this.sorted.splice(this.lowerBound(key), 0, key);
    }
    if (this.index) {
      const was = old === undefined ? undefined : this.held.indexValue(old, this.index);
      const now = this.held.indexValue(entry, this.index);
      if (was !== now) {
        if (was !== undefined) this.unindex(was, key);
        let set = this.byValue.get(now);
        if (!set) this.byValue.set(now, (set = new Set()));
        set.add(key);
      }
    }
  }

  remove(namespace: string, name: string): KubeObject | undefined {
    const key = storeKey(namespace, name);
    const old = this.items.get(key);
    if (old === undefined) return undefined;
    this.items.delete(key);
    this.generation++;
    const at = this.lowerBound(key);
    if (this.sorted[at] === key) this.sorted.splice(at, 1);
    if (this.index) this.unindex(this.held.indexValue(old, this.index), key);
    return this.held.object(old);
  }

  replace(objects: Iterable<KubeObject>): void {
    this.items.clear();
    this.sorted = [];
    this.byValue.clear();
    this.bulk = true;
    try {
      for (const o of objects) this.put(o);
    } finally {
      this.bulk = false;
    }
    this.generation++;
    // A relist comes in etcd's order already, which the sort only checks.
    this.sorted.sort(compareKeys);
  }

  /** Every key in order (read-only: a view, not a copy). */
  keys(): readonly string[] {
    return this.sorted;
  }

  byKey(key: string): E | undefined {
    return this.items.get(key);
  }

  range(namespace?: string): [number, number] {
    return rangeIn(this.sorted, namespace);
  }

  lowerBound(key: string): number {
    return lowerBoundIn(this.sorted, key);
  }

  /** A copy of the current state (see OrderedSnapshot): about a millisecond per 10,000 objects. */
  snapshot(): OrderedSnapshot<E> {
    return new OrderedSnapshot(this.held, this.sorted.slice(), this.sorted.map((k) => this.items.get(k)!));
  }

  keysWithValue(value: string): string[] | undefined {
    if (!this.index) return undefined;
    const set = this.byValue.get(value);
    if (!set) return [];
    return [...set].sort(compareKeys);
  }

  private unindex(value: string, key: string): void {
    const set = this.byValue.get(value);
    set?.delete(key);
    if (set && set.size === 0) this.byValue.delete(value);
  }
}
