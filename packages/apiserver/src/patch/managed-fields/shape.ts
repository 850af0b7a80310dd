// How server-side apply sees each value: a leaf it owns whole (a scalar, an atomic list or
// struct), a struct or map it tracks key by key, an associative list it tracks item by item
// (by key fields), or a set of scalars. Derived from the known-field schema and patch-meta.ts,
// the way Kubernetes derives it from its OpenAPI.
import { isAtomicMapField, isAtomicStruct, listSemantics } from '../patch-meta.js';
import { fieldType, itemType, rootType, type SchemaType } from '../schema.js';

export type Shape =
  | { readonly kind: 'leaf' }
  | { readonly kind: 'struct'; readonly name: string; readonly t: SchemaType }
  | { readonly kind: 'map'; readonly values: SchemaType }
  | { readonly kind: 'assoc'; readonly keys: readonly string[]; readonly items: SchemaType | undefined }
  | { readonly kind: 'set' };

const LEAF: Shape = { kind: 'leaf' };

export function rootShape(kind: string): Shape | undefined {
  const t = rootType(kind);
  return t ? shapeOf(t, undefined, undefined) : undefined;
}

/** The shape of a value of type `t`, found at `field` of struct `parent` (for its list and map metadata). */
function shapeOf(t: SchemaType | undefined, parent: string | undefined, field: string | undefined): Shape {
  if (!t) return LEAF;
  switch (t.kind) {
    case 'scalar':
    case 'any':
      return LEAF;
    case 'struct':
      return isAtomicStruct(t.name) ? LEAF : { kind: 'struct', name: t.name, t };
    case 'map':
      return field !== undefined && isAtomicMapField(parent, field) ? LEAF : { kind: 'map', values: t.of };
    case 'list': {
      if (field === undefined) return LEAF; // a list of lists: atomic
      const sem = listSemantics(parent, field);
      switch (sem.type) {
        case 'atomic': return LEAF;
        case 'set': return { kind: 'set' };
        case 'map': return { kind: 'assoc', keys: sem.keys, items: itemType(t) };
      }
    }
  }
}

/** The shape of the value at `key` of a struct or map. Undeclared struct fields are leaves. */
export function childShape(parent: Shape, key: string): Shape {
  switch (parent.kind) {
    case 'struct': return shapeOf(fieldType(parent.t, key), parent.name, key);
    case 'map': return shapeOf(parent.values, undefined, undefined);
    case 'leaf':
    case 'assoc':
    case 'set':
      return LEAF;
  }
}

export function itemShape(list: Shape): Shape {
  return list.kind === 'assoc' ? shapeOf(list.items, undefined, undefined) : LEAF;
}
