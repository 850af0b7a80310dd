// Declarative apply, as `kubectl apply` computes it (client-side apply, done here on the
// server): a three-way merge of
//   last    — the manifest applied last time (the last-applied-configuration annotation),
//   desired — the manifest applied now,
//   live    — the object as stored.
// Fields `desired` sets win; fields in `last` that `desired` dropped are removed; everything
// else in `live` (status, defaults, spec.nodeName, uid, labels someone else added) is kept.
// Lists of named things merge item by item on Kubernetes' merge keys; other lists are
// replaced whole. Pure: no I/O.
import { isPlainObject } from '../registry/object-meta.js';

type Json = unknown;
type JsonObject = Record<string, unknown>;

/**
 * Merge keys of the lists Kubernetes merges (patchMergeKey in its API types), by field name.
 * The field names are unambiguous among the kinds Tugboat serves.
 */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  ports: 'containerPort',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  ownerReferences: 'uid',
  hostAliases: 'ip',
};

/** Lists of strings merged as sets (patchStrategy "merge" without a key). */
const SET_LISTS: ReadonlySet<string> = new Set(['finalizers']);

function clone<T>(v: T): T {
  return v === undefined ? v : (structuredClone(v) as T);
}

export function threeWayMerge(last: JsonObject | undefined, desired: JsonObject, live: JsonObject): JsonObject {
  return mergeObject(last, desired, live);
}

function mergeObject(last: JsonObject | undefined, desired: JsonObject, live: JsonObject): JsonObject {
  const out: JsonObject = clone(live);
  for (const [k, d] of Object.entries(desired)) {
    const l = last?.[k];
    const v = mergeValue(k, l, d, live[k]);
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  if (last) {
    for (const k of Object.keys(last)) {
      if (!Object.hasOwn(desired, k)) delete out[k];
    }
  }
  return out;
}

function mergeValue(field: string, last: Json, desired: Json, live: Json): Json {
  // null in a manifest means "remove this field", as in a JSON merge patch.
  if (desired === null) return undefined;
  if (isPlainObject(desired)) {
    if (!isPlainObject(live)) return clone(desired);
    return mergeObject(isPlainObject(last) ? last : undefined, desired, live);
  }
  if (Array.isArray(desired)) {
    const key = MERGE_KEYS[field];
    if (key && Array.isArray(live) && desired.every((d) => isPlainObject(d) && d[key] !== undefined)) {
      return mergeKeyedList(key, Array.isArray(last) ? last : [], desired as JsonObject[], live);
    }
    if (SET_LISTS.has(field) && Array.isArray(live)) {
      return mergeSetList(Array.isArray(last) ? last : [], desired, live);
    }
    return clone(desired);
  }
  return desired;
}

function keyOf(item: Json, key: string): string | undefined {
  return isPlainObject(item) && item[key] !== undefined ? JSON.stringify(item[key]) : undefined;
}

/**
 * Items the manifest lists come first, in its order, each merged with its live and last
 * versions; live items the manifest never listed (added by someone else) are kept after
 * them; items it listed last time and dropped now are removed.
 */
function mergeKeyedList(key: string, last: Json[], desired: JsonObject[], live: Json[]): Json[] {
  const liveByKey = new Map<string, Json>();
  for (const item of live) {
    const k = keyOf(item, key);
    if (k !== undefined) liveByKey.set(k, item);
  }
  const lastByKey = new Map<string, Json>();
  for (const item of last) {
    const k = keyOf(item, key);
    if (k !== undefined) lastByKey.set(k, item);
  }
  const desiredKeys = new Set<string>();
  const out: Json[] = [];
  for (const d of desired) {
    const k = keyOf(d, key)!;
    desiredKeys.add(k);
    const l = lastByKey.get(k);
    const lv = liveByKey.get(k);
    out.push(isPlainObject(lv) ? mergeObject(isPlainObject(l) ? l : undefined, d, lv) : clone(d));
  }
  for (const item of live) {
    const k = keyOf(item, key);
    if (k === undefined || desiredKeys.has(k) || lastByKey.has(k)) continue;
    out.push(clone(item));
  }
  return out;
}

function mergeSetList(last: Json[], desired: Json[], live: Json[]): Json[] {
  const has = (list: Json[], v: Json): boolean => list.some((x) => JSON.stringify(x) === JSON.stringify(v));
  const out = desired.map(clone);
  for (const v of live) {
    if (!has(desired, v) && !has(last, v)) out.push(clone(v));
  }
  return out;
}
