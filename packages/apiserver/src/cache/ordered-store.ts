// The list cache's store: a MemoryStore that also keeps its keys in etcd's order, so a list
// answered from memory has etcd's items in etcd's order (a namespace is one contiguous range,
// and a continue token can name the key after the last item), and optionally an index of one
// selectable field, so an agent's list of the pods on its node does not scan every pod.
//
// Objects are held as they are given (the watch cache's decoded objects, shared with every
// watcher of the same change); nothing here copies or changes them.
import type { KubeObject } from '@tugboat/api';
import { MemoryStore, storeKey } from './object-store.js';

/** A selectable field whose value picks a handful of objects (pods by spec.nodeName). */
export interface FieldIndex {
  readonly field: string;
  value(obj: KubeObject): string;
}

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

/** What a list walks: keys in etcd's order and their objects, live (OrderedStore) or frozen (OrderedSnapshot). */
export interface OrderedView<T extends KubeObject = KubeObject> {
  readonly index?: FieldIndex | undefined;
  keys(): readonly string[];
  byKey(key: string): T | undefined;
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
export class OrderedSnapshot<T extends KubeObject = KubeObject> implements OrderedView<T> {
  readonly index = undefined;

  constructor(private readonly sorted: readonly string[], private readonly objects: readonly T[]) {}

  keys(): readonly string[] {
    return this.sorted;
  }

  byKey(key: string): T | undefined {
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

export class OrderedStore<T extends KubeObject = KubeObject> extends MemoryStore<T> implements OrderedView<T> {
  /** Every storeKey, sorted. An insert or removal moves pointers (a memmove), never re-sorts. */
  private sorted: string[] = [];
  /** index value → storeKeys with it. */
  private readonly byValue = new Map<string, Set<string>>();
  /** Within replace(): keys are appended, then sorted once. */
  private bulk = false;

  constructor(readonly index?: FieldIndex) {
    super();
  }

  override put(obj: T): void {
    const ns = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    const key = storeKey(ns, name);
    const old = this.items.get(key);
    super.put(obj);
    if (!old) {
      if (this.bulk) this.sorted.push(key);
      else this.sorted.splice(this.lowerBound(key), 0, key);
    }
    if (this.index) {
      const was = old ? this.index.value(old) : undefined;
      const now = this.index.value(obj);
      if (was !== now) {
        if (was !== undefined) this.unindex(was, key);
        let set = this.byValue.get(now);
        if (!set) this.byValue.set(now, (set = new Set()));
        set.add(key);
      }
    }
  }

  override remove(namespace: string, name: string): T | undefined {
    const old = super.remove(namespace, name);
    if (!old) return undefined;
    const key = storeKey(namespace, name);
    const at = this.lowerBound(key);
    if (this.sorted[at] === key) this.sorted.splice(at, 1);
    if (this.index) this.unindex(this.index.value(old), key);
    return old;
  }

  override replace(objects: Iterable<T>): void {
    this.sorted = [];
    this.byValue.clear();
    this.bulk = true;
    try {
      super.replace(objects);
    } finally {
      this.bulk = false;
    }
    // A relist comes in etcd's order already, which the sort only checks.
    this.sorted.sort(compareKeys);
  }

  /** Every key in order (read-only: a view, not a copy). */
  keys(): readonly string[] {
    return this.sorted;
  }

  byKey(key: string): T | undefined {
    return this.items.get(key);
  }

  range(namespace?: string): [number, number] {
    return rangeIn(this.sorted, namespace);
  }

  lowerBound(key: string): number {
    return lowerBoundIn(this.sorted, key);
  }

  /** A copy of the current state (see OrderedSnapshot): about a millisecond per 10,000 objects. */
  snapshot(): OrderedSnapshot<T> {
    return new OrderedSnapshot(this.sorted.slice(), this.sorted.map((k) => this.items.get(k)!));
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
