// What the API server's own caches offer the parts that must not ask etcd per request (the
// authorizers, token validation): objects of one resource by namespace and name, kept
// current by an informer on the watch cache (see server-informer.ts).
import { sharedStrings, type KubeObject } from '@tugboat/api';
import type { StoredValue } from '../registry/object-meta.js';

export interface ObjectStore<T extends KubeObject = KubeObject> {
  get(namespace: string, name: string): T | undefined;
  /** Every object, or those of one namespace. */
  list(namespace?: string): Iterable<T>;
  /**
   * Goes up on every change, so an index derived from the store knows when to rebuild
   * (RBAC bindings change rarely; requests are many).
   */
  readonly generation: number;
}

/** What an informer keeps current: the ObjectStore, and the writes of a list and a watch. */
export interface InformerStore<T extends KubeObject = KubeObject> extends ObjectStore<T> {
  /** False when the store keeps a form of its own (text): the objects it is given are not kept. */
  readonly holdsObjects: boolean;
  readonly size: number;
  /** Adds or replaces `obj`; `stored` is its etcd text and revision when known. */
  put(obj: T, stored?: StoredValue): void;
  /** Removes an object; returns it as it was. */
  remove(namespace: string, name: string): T | undefined;
  /** Replaces everything (a relist). */
  replace(objects: Iterable<T>): void;
  /** etcd's text and revision of one object, where the store holds text (else undefined). */
  stored?(namespace: string, name: string): StoredValue | undefined;
}

/**
 * A store's key for an object. Its order is etcd's order of the objects' keys within one
 * resource (those are a fixed prefix followed by this), which the list cache relies on.
 */
export const storeKey = (namespace: string, name: string): string => `${namespace}/${name}`;
const keyOf = storeKey;

/**
 * An ObjectStore in memory: the informer's, and a fixture for tests. The objects are kept as
 * given, their short strings shared (see shared-strings.ts).
 */
export class MemoryStore<T extends KubeObject = KubeObject> implements InformerStore<T> {
  readonly holdsObjects = true;
  /** By storeKey. */
  private readonly items = new Map<string, T>();
  private readonly byNamespace = new Map<string, Map<string, T>>();
  generation = 0;

  constructor(initial: Iterable<T> = []) {
    for (const o of initial) this.put(o);
  }

  get(namespace: string, name: string): T | undefined {
    return this.items.get(keyOf(namespace, name));
  }

  list(namespace?: string): Iterable<T> {
    if (namespace === undefined) return this.items.values();
    return this.byNamespace.get(namespace)?.values() ?? [];
  }

  get size(): number {
    return this.items.size;
  }

  put(obj: T): void {
    sharedStrings.shareAll(obj);
    const ns = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    this.items.set(keyOf(ns, name), obj);
    let m = this.byNamespace.get(ns);
    if (!m) this.byNamespace.set(ns, (m = new Map()));
    m.set(name, obj);
    this.generation++;
  }

  remove(namespace: string, name: string): T | undefined {
    const k = keyOf(namespace, name);
    const old = this.items.get(k);
    if (!old) return undefined;
    this.items.delete(k);
    const m = this.byNamespace.get(namespace);
    m?.delete(name);
    if (m && m.size === 0) this.byNamespace.delete(namespace);
    this.generation++;
    return old;
  }

  /** Replaces everything (a relist). */
  replace(objects: Iterable<T>): void {
    this.items.clear();
    this.byNamespace.clear();
    for (const o of objects) this.put(o);
    this.generation++;
  }
}
