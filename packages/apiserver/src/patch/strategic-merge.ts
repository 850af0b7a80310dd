// Strategic merge patch, the patch kubectl sends for built-in kinds (`kubectl patch`, `kubectl
// apply` client-side, `edit`, `label`, `annotate`), with the semantics of Kubernetes'
// strategicpatch package (StrategicMergeMapPatch, as its API server calls it):
//
//   - maps merge key by key; null deletes a key;
//   - a list whose field has patchStrategy "merge" merges: items with a merge key (containers on
//     name, ports on containerPort…) merge item by item, scalar lists (finalizers) are unions;
//     any other list is replaced whole;
//   - directives: `$patch: replace | delete` in a map or a list item, `$retainKeys: [...]`
//     (clear every other key of that map), `$setElementOrder/<list>` (the order of a merged
//     list), `$deleteFromPrimitiveList/<list>` (remove scalars from a merged list);
//   - new items go where Kubernetes puts them: merged lists keep the patch's order, and items
//     only the server had are interleaved by their order in the live list.
//
// Which strategy a field has comes from patch-meta.ts (Kubernetes' own struct tags), found by
// walking the object alongside its type (schema.ts). Errors: Kubernetes answers 400 for a
// malformed patch and 422 for a list of lists or content outside $retainKeys; errors its
// library leaves unclassified (a list item without its merge key) it answers with 500, which we
// answer as 400 since they are the client's.
import { ApiError, type ApiErrorReason } from '@tugboat/api';
import { clone, isObject, parseBody, type Json, type JsonObject } from './json.js';
import { fieldPatchMeta } from './patch-meta.js';
import { fieldType, itemType, rootType, structName, type SchemaType } from './schema.js';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';

class PatchError extends Error {
  constructor(readonly reason: ApiErrorReason, message: string) {
    super(message);
  }
}

const badRequest = (message: string): PatchError => new PatchError('BadRequest', message);

export function applyStrategicMergePatch(kind: string, doc: JsonObject, body: string): JsonObject {
  const t = rootType(kind);
  if (!t) throw new ApiError('BadRequest', 'strategic merge patch format is not supported');
  const patch = parseBody(body, 'patch');
  if (!isObject(patch)) {
    throw new ApiError('BadRequest', `json: cannot unmarshal ${Array.isArray(patch) ? 'array' : patch === null ? 'null' : typeof patch} into Go value of type map[string]interface {}`);
  }
  try {
    return mergeMap(clone(doc), patch, t);
  } catch (err) {
    if (err instanceof PatchError) throw new ApiError(err.reason, err.message, [], { cause: err });
    throw err;
  }
}

/** Merges `patch` into `original` (both mutated; the result may be either). */
function mergeMap(original: JsonObject | undefined, patch: JsonObject, t: SchemaType | undefined): JsonObject {
  if (Object.hasOwn(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE];
    if (directive === 'replace') {
      delete patch[DIRECTIVE];
      return cleanValue(patch) as JsonObject;
    }
    if (directive === 'delete') return {};
    throw badRequest(`unknown patch type: ${goString(directive ?? null)} in map: ${goString(patch)}`);
  }
  const out = original ?? {};
  applyRetainKeys(out, patch);
  applySetElementOrder(out, patch, t);

  for (const key of Object.keys(patch)) {
    const patchV = patch[key] as Json;
    let k = key;
    let isDeleteList = false;
    if (key.startsWith(`${DELETE_FROM_PRIMITIVE_LIST}/`)) {
      k = key.slice(DELETE_FROM_PRIMITIVE_LIST.length + 1);
      isDeleteList = true;
    } else if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      throw badRequest('invalid patch format of primitive list');
    }
    if (patchV === null) {
      delete out[k];
      continue;
    }
    const cur = out[k];
    const sameShape = (isObject(cur) && isObject(patchV)) || (Array.isArray(cur) && Array.isArray(patchV));
    if (cur === undefined || !sameShape) {
      // Nothing to merge with: take the patch's value (a deletion list has nothing to delete).
      if (!isDeleteList) setClean(out, k, patchV);
      continue;
    }
    const meta = fieldPatchMeta(structName(t) ?? '', k);
    const strategy = nonRetainStrategy(meta?.strategy);
    const sub = fieldType(t, k);
    if (isObject(cur) && isObject(patchV)) {
      out[k] = strategy === 'replace' ? patchV : mergeMap(cur, patchV, sub);
    } else if (Array.isArray(cur) && Array.isArray(patchV)) {
      out[k] = strategy === 'merge' || isDeleteList
        ? mergeList(cur, patchV, itemType(sub), meta?.mergeKey ?? '', isDeleteList, k)
        : patchV;
    }
  }
  return out;
}

/** "merge,retainKeys" → "merge": retainKeys only tells clients to send $retainKeys. */
function nonRetainStrategy(strategy: string | undefined): string {
  return (strategy ?? '').split(',').filter((s) => s !== 'retainKeys')[0] ?? '';
}

function setClean(target: JsonObject, key: string, value: Json): void {
  const v = cleanValue(value);
  if (v === undefined) delete target[key];
  else target[key] = v;
}

/**
 * A patch value stored as it is: without directives (an item that is itself `$patch: …` is
 * dropped) and without nulls, which mean "delete" and have nothing to delete here.
 */
function cleanValue(v: Json): Json | undefined {
  if (Array.isArray(v)) {
    return v.flatMap((item) => {
      const c = cleanValue(item);
      return c === undefined ? [] : [c];
    });
  }
  if (!isObject(v)) return v;
  if (Object.hasOwn(v, DIRECTIVE)) return undefined;
  for (const [k, item] of Object.entries(v)) {
    if (item === null || k === RETAIN_KEYS || k.startsWith(`${SET_ELEMENT_ORDER}/`) || k.startsWith(`${DELETE_FROM_PRIMITIVE_LIST}/`)) {
      delete v[k];
      continue;
    }
    const c = cleanValue(item);
    if (c === undefined) delete v[k];
    else v[k] = c;
  }
  return v;
}

/** `$retainKeys`: every key the patch sets must be listed; keys of the original not listed go. */
function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!Object.hasOwn(patch, RETAIN_KEYS)) return;
  const list = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(list)) throw badRequest('invalid patch format of retainKeys');
  const retained = new Set(list.map((k) => (typeof k === 'string' ? k : JSON.stringify(k))));
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(`${DELETE_FROM_PRIMITIVE_LIST}/`) || k.startsWith(`${SET_ELEMENT_ORDER}/`)) continue;
    if (!retained.has(k)) throw badRequest('invalid patch format of retainKeys');
  }
  for (const k of Object.keys(original)) if (!retained.has(k)) delete original[k];
}

/**
 * `$setElementOrder/<list>`: merges the list (if the patch has it) and orders the result: the
 * directive's order first, items only the server has interleaved by their live order.
 */
function applySetElementOrder(original: JsonObject, patch: JsonObject, t: SchemaType | undefined): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[key] as Json;
    delete patch[key];
    if (!key.startsWith(`${SET_ELEMENT_ORDER}/`)) throw badRequest('invalid patch format of setElementOrder list');
    if (!Array.isArray(order)) throw badRequest(`expected a []interface {}, but received a ${goKind(order)}`);
    const listKey = key.slice(SET_ELEMENT_ORDER.length + 1);
    const originalList = original[listKey];
    const patchList = patch[listKey];
    if (originalList !== undefined && !Array.isArray(originalList)) throw badRequest(`expected a []interface {}, but received a ${goKind(originalList)}`);
    if (patchList !== undefined && !Array.isArray(patchList)) throw badRequest(`expected a []interface {}, but received a ${goKind(patchList)}`);
    const meta = fieldPatchMeta(structName(t) ?? '', listKey);
    const mergeKey = meta?.mergeKey ?? '';
    validateOrder(patchList ?? [], order, mergeKey);

    let merged: Json[];
    if (originalList !== undefined && patchList === undefined) merged = originalList;
    else if (originalList === undefined && patchList !== undefined) merged = cleanValue(patchList) as Json[];
    else if (originalList !== undefined && patchList !== undefined) {
      merged = nonRetainStrategy(meta?.strategy) === 'merge'
        ? mergeList(originalList, patchList, itemType(fieldType(t, listKey)), mergeKey, false, listKey)
        : patchList;
    } else continue;

    const objects = [...(originalList ?? []), ...(patchList ?? [])].some(isObject);
    const { inPatch, serverOnly } = partition(merged, order, mergeKey, objects);
    original[listKey] = normalizeOrder(inPatch, serverOnly, order, originalList ?? [], mergeKey, objects);
    delete patch[listKey];
  }
}

/** The patch list's items (deletions aside) must appear in the $setElementOrder list, in its order. */
function validateOrder(patchList: Json[], order: Json[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  const items = mergeKey ? patchList.filter((p) => !(isObject(p) && p[DIRECTIVE] === 'delete')) : patchList;
  let p = 0;
  let o = 0;
  while (p < items.length && o < order.length) {
    const item = items[p]!;
    if (isObject(item) && Object.hasOwn(item, DIRECTIVE)) {
      p++;
      continue;
    }
    if (keyOf(item, mergeKey, true) === keyOf(order[o]!, mergeKey, true)) p++;
    o++;
  }
  if (p < items.length && o >= order.length) {
    throw badRequest(`The order in patch list:\n${goString(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goString(order)}\n`);
  }
}

/** What identifies a list item: its merge key's value, or the scalar itself. */
function keyOf(item: Json, mergeKey: string, required: boolean): Json | undefined {
  if (!mergeKey) return item;
  if (!isObject(item)) throw badRequest(`expected a map[string]interface {}, but received a ${goKind(item)}`);
  if (!Object.hasOwn(item, mergeKey)) {
    if (required) throw badRequest(`map: ${goString(item)} does not contain declared merge key: ${mergeKey}`);
    return undefined;
  }
  return item[mergeKey];
}

function mergeList(original: Json[], patch: Json[], itemT: SchemaType | undefined, mergeKey: string, isDeleteList: boolean, field: string): Json[] {
  if (original.length === 0 && patch.length === 0) return original;
  const objects = elementsAreObjects(original, patch);
  let merged: Json[];
  let orig = original;
  let pat = patch;
  if (!objects) {
    if (isDeleteList) return original.filter((v) => !patch.includes(v));
    merged = dedupe([...original, ...patch]);
  } else {
    if (!mergeKey) throw badRequest(`cannot merge lists without merge key for ${field}`);
    ({ original: orig, patch: pat } = applyListDirectives(original, patch, mergeKey));
    // The live order is the list before new items are appended (merged items count as live).
    merged = [...orig];
    for (const item of pat) {
      const k = keyOf(item, mergeKey, true);
      const i = merged.findIndex((o) => isObject(o) && Object.hasOwn(o, mergeKey) && o[mergeKey] === k);
      if (i >= 0) {
        merged[i] = mergeMap(merged[i] as JsonObject, item as JsonObject, itemT);
        orig[i] = merged[i]!;
      }
      else {
        const c = cleanValue(item);
        if (c !== undefined) merged.push(c);
      }
    }
  }
  const { inPatch, serverOnly } = partition(merged, pat, mergeKey, objects);
  return normalizeOrder(inPatch, serverOnly, pat, orig, mergeKey, objects);
}

/** Items that are `$patch: delete` remove their match; `$patch: replace` makes the rest of the patch the list. */
function applyListDirectives(original: Json[], patch: Json[], mergeKey: string): { original: Json[]; patch: Json[] } {
  const rest: Json[] = [];
  let replace = false;
  let out = original;
  for (const item of patch) {
    const obj = item as JsonObject;
    if (!Object.hasOwn(obj, DIRECTIVE)) {
      rest.push(item);
      continue;
    }
    const directive = obj[DIRECTIVE];
    if (directive === 'delete') {
      if (!Object.hasOwn(obj, mergeKey)) throw badRequest(`map: ${goString(obj)} does not contain declared merge key: ${mergeKey}`);
      const k = obj[mergeKey];
      out = out.filter((o) => {
        if (!isObject(o)) throw badRequest('value for key 0 is not a map');
        return !(Object.hasOwn(o, mergeKey) && o[mergeKey] === k);
      });
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw badRequest('merging lists cannot yet be specified in the patch');
    } else {
      throw badRequest(`unknown patch type: ${goString(directive ?? null)} in map: ${goString(obj)}`);
    }
  }
  if (replace) return { original: rest.map((r) => cleanValue(r) as Json), patch: [] };
  return { original: out, patch: rest };
}

/** Whether the items are maps (else scalars); mixed or nested lists are errors, as in Kubernetes. */
function elementsAreObjects(...lists: Json[][]): boolean {
  let kind: string | undefined;
  for (const list of lists) {
    for (const v of list) {
      const k = Array.isArray(v) ? 'list' : v === null ? 'null' : typeof v;
      if (k === 'list') throw new PatchError('Invalid', 'lists of lists are not supported');
      if (kind === undefined) kind = k;
      else if (kind !== k) throw badRequest(`list element types are not identical: ${goString(lists)}`);
    }
  }
  return kind === 'object';
}

function dedupe(list: Json[]): Json[] {
  const out: Json[] = [];
  for (const v of list) if (!out.includes(v)) out.push(v);
  return out;
}

function partition(merged: Json[], by: Json[], mergeKey: string, objects: boolean): { inPatch: Json[]; serverOnly: Json[] } {
  const keys = new Set(by.map((b) => (objects ? (isObject(b) ? b[mergeKey] : undefined) : b)));
  const inPatch: Json[] = [];
  const serverOnly: Json[] = [];
  for (const v of merged) {
    const k = objects ? keyOf(v, mergeKey, true) : v;
    (keys.has(k) ? inPatch : serverOnly).push(v);
  }
  return { inPatch, serverOnly };
}

/**
 * The order Kubernetes gives a merged list: the patch's items in the patch's order; the
 * server-only items in their live order; then the two interleaved, a server-only item going
 * before a patch item only when both are in the live list and it comes first there. (So a new
 * item lands ahead of the server-only items that follow the patch items.)
 */
function normalizeOrder(inPatch: Json[], serverOnly: Json[], patchOrder: Json[], serverOrder: Json[], mergeKey: string, objects: boolean): Json[] {
  const id = (v: Json): Json | undefined => (objects ? (isObject(v) ? v[mergeKey] : undefined) : v);
  const indexIn = (list: Json[], v: Json): number => {
    const k = id(v);
    return list.findIndex((x) => id(x) === k);
  };
  const sortBy = (items: Json[], order: Json[]): Json[] => {
    const deletes = objects ? items.filter((v) => isObject(v) && v[DIRECTIVE] === 'delete') : [];
    const kept = objects ? items.filter((v) => !(isObject(v) && v[DIRECTIVE] === 'delete')) : [...items];
    const rank = (v: Json): number => {
      const i = indexIn(order, v);
      return i < 0 ? Number.MAX_SAFE_INTEGER : i;
    };
    return [...kept.map((v, i) => ({ v, i, r: rank(v) })).sort((a, b) => a.r - b.r || a.i - b.i).map((e) => e.v), ...deletes];
  };
  if (objects) for (const v of [...inPatch, ...serverOnly, ...patchOrder]) keyOf(v, mergeKey, true);
  const right = sortBy(inPatch, patchOrder);
  const left = sortBy(serverOnly, serverOrder);
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]!);
    else if (j >= right.length) out.push(left[i++]!);
    else {
      const li = indexIn(serverOrder, left[i]!);
      const ri = indexIn(serverOrder, right[j]!);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]!);
      else out.push(right[j++]!);
    }
  }
  return out;
}

/** Go's %v of a decoded JSON value, for messages worded as Kubernetes words them. */
function goString(v: Json): string {
  if (v === null) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
  if (isObject(v)) return `map[${Object.keys(v).sort().map((k) => `${k}:${goString(v[k] as Json)}`).join(' ')}]`;
  return String(v);
}

function goKind(v: Json): string {
  if (Array.isArray(v)) return '[]interface {}';
  if (isObject(v)) return 'map[string]interface {}';
  if (v === null) return '<nil>';
  return typeof v === 'number' ? 'float64' : typeof v === 'boolean' ? 'bool' : 'string';
}
