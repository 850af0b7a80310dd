// The four walks server-side apply makes over an object and its shape, with the semantics of
// structured-merge-diff (typed/tofieldset.go, compare.go, merge.go, remove.go):
//   fieldSetOf — the fields a value sets (what an applier owns);
//   compare    — the fields added, modified and removed between two versions;
//   merge      — an applied configuration laid over the live object;
//   prune      — fields an applier dropped, that nobody else owns, taken out.
import { clone, deepEqual, isObject, type Json, type JsonObject } from '../json.js';
import { zeroFieldsOf } from '../patch-meta.js';
import { FieldSet } from './field-set.js';
import { fieldElement, keyElement, valueElement, type Path, type PathElement } from './path.js';
import { childShape, itemShape, type Shape } from './shape.js';

/** The path element of a list item, or undefined when it cannot be keyed. */
function itemElement(list: Shape, item: Json): PathElement | undefined {
  if (list.kind === 'set') return isObject(item) || Array.isArray(item) ? undefined : valueElement(item);
  if (list.kind === 'assoc' && isObject(item)) return keyElement(item, list.keys);
  return undefined;
}

const granularMap = (s: Shape): boolean => s.kind === 'struct' || s.kind === 'map';
const granularList = (s: Shape): boolean => s.kind === 'assoc' || s.kind === 'set';

/** Items of a list by path element, first occurrence; `dups` collects elements seen twice. */
function indexItems(list: Shape, items: readonly Json[]): { order: PathElement[]; byPe: Map<PathElement, Json>; dups: Set<PathElement>; unkeyed: boolean } {
  const order: PathElement[] = [];
  const byPe = new Map<PathElement, Json>();
  const dups = new Set<PathElement>();
  let unkeyed = false;
  for (const item of items) {
    const pe = itemElement(list, item);
    if (pe === undefined) {
      unkeyed = true;
      continue;
    }
    if (byPe.has(pe)) dups.add(pe);
    else {
      byPe.set(pe, item);
      order.push(pe);
    }
  }
  return { order, byPe, dups, unkeyed };
}

export function fieldSetOf(value: Json, shape: Shape): FieldSet {
  const set = new FieldSet();
  toFieldSet(value, shape, [], set);
  return set;
}

function toFieldSet(value: Json, shape: Shape, path: Path, set: FieldSet): void {
  if (granularMap(shape) && isObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      const p = [...path, fieldElement(k)];
      const cs = childShape(shape, k);
      toFieldSet(v, cs, p, set);
      // A map entry is a member itself when it is empty or null, or not a declared field.
      if (v === null || (isObject(v) && Object.keys(v).length === 0) || shape.kind === 'map' || cs.kind === 'leaf') set.insert(p);
    }
    return;
  }
  if (granularList(shape) && Array.isArray(value)) {
    const { order, byPe, dups, unkeyed } = indexItems(shape, value);
    if (unkeyed) {
      set.insert(path); // items that cannot be keyed: own the list whole
      return;
    }
    for (const pe of order) {
      const p = [...path, pe];
      if (!dups.has(pe)) toFieldSet(byPe.get(pe)!, itemShape(shape), p, set);
      set.insert(p);
    }
    return;
  }
  set.insert(path);
}

export interface Comparison { added: FieldSet; modified: FieldSet; removed: FieldSet }

/** What changed from `lhs` to `rhs` (undefined: absent). */
export function compare(lhs: Json | undefined, rhs: Json | undefined, shape: Shape): Comparison {
  const cmp: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  compareAt(lhs, rhs, shape, [], cmp);
  return cmp;
}

function compareAt(lhs: Json | undefined, rhs: Json | undefined, shape: Shape, path: Path, cmp: Comparison): void {
  if (lhs === undefined && rhs === undefined) return;
  // null is a present but empty map or list (Go's nil slice in a zero value).
  const asMap = (v: Json | undefined): JsonObject | undefined => (v === null ? {} : isObject(v) ? v : undefined);
  const asList = (v: Json | undefined): Json[] | undefined => (v === null ? [] : Array.isArray(v) ? v : undefined);
  const l = lhs;
  const r = rhs;
  if (granularMap(shape)) {
    const lm = l === undefined ? {} : asMap(l);
    const rm = r === undefined ? {} : asMap(r);
    if (lm && rm && (Object.keys(lm).length > 0 || Object.keys(rm).length > 0)) {
      for (const k of new Set([...Object.keys(lm), ...Object.keys(rm)])) {
        compareAt(lm[k], rm[k], childShape(shape, k), [...path, fieldElement(k)], cmp);
      }
      if (l === undefined) cmp.added.insert(path);
      else if (r === undefined) cmp.removed.insert(path);
      return;
    }
  } else if (granularList(shape)) {
    const ll = l === undefined ? [] : asList(l);
    const rl = r === undefined ? [] : asList(r);
    if (ll && rl && (ll.length > 0 || rl.length > 0)) {
      const li = indexItems(shape, ll);
      const ri = indexItems(shape, rl);
      if (!li.unkeyed && !ri.unkeyed) {
        for (const pe of new Set([...li.order, ...ri.order])) {
          const p = [...path, pe];
          if (li.dups.has(pe) || ri.dups.has(pe)) {
            if (!deepEqual(ll.filter((x) => itemElement(shape, x) === pe), rl.filter((x) => itemElement(shape, x) === pe))) cmp.modified.insert(p);
            continue;
          }
          compareAt(li.byPe.get(pe), ri.byPe.get(pe), itemShape(shape), p, cmp);
        }
        if (l === undefined) cmp.added.insert(path);
        else if (r === undefined) cmp.removed.insert(path);
        return;
      }
    }
  }
  // A leaf (or both sides empty, or shapes that do not fit): compared whole.
  if (l === undefined) cmp.added.insert(path);
  else if (r === undefined) cmp.removed.insert(path);
  else if (!deepEqual(l, r)) cmp.modified.insert(path);
}

/** The applied configuration `rhs` laid over `lhs`: maps merge, associative lists merge by key, the rest is replaced. */
export function merge(lhs: Json | undefined, rhs: Json | undefined, shape: Shape): Json | undefined {
  if (rhs === undefined) return lhs;
  if (lhs === undefined || lhs === null) return clone(rhs);
  if (granularMap(shape) && isObject(lhs) && isObject(rhs)) {
    const out: JsonObject = {};
    for (const k of new Set([...Object.keys(lhs), ...Object.keys(rhs)])) {
      const v = merge(lhs[k], rhs[k], childShape(shape, k));
      if (v !== undefined) out[k] = v;
    }
    return out;
  }
  if (granularList(shape) && Array.isArray(lhs) && Array.isArray(rhs)) {
    const merged = mergeList(lhs, rhs, shape);
    if (merged) return merged;
  }
  return clone(rhs);
}

/**
 * structured-merge-diff's list order: live items keep their places; applied items that are
 * also live come in the applied order at the place of the first of them still to come, and
 * new applied items follow the applied item before them.
 */
function mergeList(lhs: Json[], rhs: Json[], shape: Shape): Json[] | undefined {
  const li = indexItems(shape, lhs);
  const ri = indexItems(shape, rhs);
  if (li.unkeyed || ri.unkeyed) return undefined;
  const shared = ri.order.filter((pe) => li.byPe.has(pe));
  let nextShared = 0;
  const done = new Set<PathElement>();
  const out: Json[] = [];
  const item = itemShape(shape);
  const take = (pe: PathElement): void => {
    done.add(pe);
    out.push(merge(li.byPe.get(pe), ri.byPe.get(pe), item) ?? null);
    if (shared[nextShared] === pe) nextShared++;
  };
  let l = 0;
  let r = 0;
  while (l < li.order.length || r < ri.order.length) {
    if (l < li.order.length && r < ri.order.length) {
      const pe = li.order[l]!;
      if (pe === ri.order[r]) {
        take(pe);
        l++;
        r++;
        continue;
      }
      if (ri.byPe.has(pe) && nextShared < shared.length && shared[nextShared] !== pe) {
        l++; // an applied item, but not the one due here: it comes when its turn does
        continue;
      }
    }
    if (l < li.order.length) {
      const pe = li.order[l]!;
      if (!ri.byPe.has(pe)) {
        done.add(pe);
        out.push(li.byPe.get(pe)!);
        l++;
        continue;
      }
      if (done.has(pe)) {
        l++;
        continue;
      }
    }
    if (r < ri.order.length) {
      const pe = ri.order[r]!;
      if (!done.has(pe)) take(pe);
      r++;
    }
  }
  return out;
}

/**
 * Takes out what `lastApplied` held and nobody (the applier's new set included, in `owned`)
 * owns any more, with everything below it.
 */
export function prune(value: Json, shape: Shape, path: Path, lastApplied: FieldSet, owned: FieldSet): Json {
  const drop = (p: Path): boolean => lastApplied.has(p) && !owned.hasAtOrBelow(p);
  if (granularMap(shape) && isObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      const p = [...path, fieldElement(k)];
      if (!drop(p)) out[k] = prune(v, childShape(shape, k), p, lastApplied, owned);
    }
    return out;
  }
  if (granularList(shape) && Array.isArray(value)) {
    const item = itemShape(shape);
    return value.flatMap((v) => {
      const pe = itemElement(shape, v);
      if (pe === undefined) return [v];
      const p = [...path, pe];
      return drop(p) ? [] : [prune(v, item, p, lastApplied, owned)];
    });
  }
  return value;
}

/**
 * The value with the fields Go's zero value of each struct has (empty structs, null lists):
 * Kubernetes compares typed objects, so a struct the client left out is "there, empty" and a
 * list it left out is "there, null". Only for comparing; never stored.
 */
export function withZeroFields(value: Json, shape: Shape): Json {
  if (shape.kind === 'struct' && isObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = withZeroFields(v, childShape(shape, k));
    for (const [f, zero] of zeroFieldsOf(shape.name)) {
      if (out[f] === undefined) out[f] = zero === 'null' ? null : withZeroFields({}, childShape(shape, f));
    }
    return out;
  }
  if (shape.kind === 'map' && isObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = withZeroFields(v, childShape(shape, k));
    return out;
  }
  if (shape.kind === 'assoc' && Array.isArray(value)) {
    const item = itemShape(shape);
    return value.map((v) => withZeroFields(v, item));
  }
  return value;
}

/** Nulls an applied configuration left in place mean "no value": they are not stored. */
export function dropNulls(value: Json): Json {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = dropNulls(v);
  return out;
}
