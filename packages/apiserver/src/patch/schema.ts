// Walks an object alongside its type in @tugboat/api's known-field table, so a patcher knows
// which type each nested map is (and so which patch metadata applies to its fields).
// Grammar of the table: "string" | "int" | "bool" | "quantity" | "time" | "intOrString" |
// "any" | "[]T" | "map[T]" | a type name, with a leading "!" for required fields.
import { KNOWN_FIELDS, ROOT_TYPES } from '@tugboat/api';

export type SchemaType =
  | { readonly kind: 'scalar' }
  | { readonly kind: 'any' }
  | { readonly kind: 'list'; readonly of: SchemaType }
  | { readonly kind: 'map'; readonly of: SchemaType }
  | { readonly kind: 'struct'; readonly name: string };

const SCALAR: SchemaType = { kind: 'scalar' };
const ANY: SchemaType = { kind: 'any' };
const cache = new Map<string, SchemaType>();

function parse(text: string): SchemaType {
  const spec = text.startsWith('!') ? text.slice(1) : text;
  let t = cache.get(spec);
  if (t) return t;
  if (spec.startsWith('[]')) t = { kind: 'list', of: parse(spec.slice(2)) };
  else if (spec.startsWith('map[') && spec.endsWith(']')) t = { kind: 'map', of: parse(spec.slice(4, -1)) };
  else {
    switch (spec) {
      case 'string': case 'int': case 'bool': case 'quantity': case 'time': case 'intOrString':
        t = SCALAR;
        break;
      case 'any':
        t = ANY;
        break;
      default:
        t = KNOWN_FIELDS[spec] ? { kind: 'struct', name: spec } : ANY;
    }
  }
  cache.set(spec, t);
  return t;
}

/** The type of a kind's objects; undefined for a kind without a schema. */
export function rootType(kind: string): SchemaType | undefined {
  const name = ROOT_TYPES[kind];
  return name ? { kind: 'struct', name } : undefined;
}

/** The type of `field` inside a value of type `t`: a struct's field, a map's values. */
export function fieldType(t: SchemaType | undefined, field: string): SchemaType | undefined {
  if (!t) return undefined;
  switch (t.kind) {
    case 'struct': {
      const spec = KNOWN_FIELDS[t.name]?.[field];
      return spec === undefined ? undefined : parse(spec);
    }
    case 'map': return t.of;
    case 'any': return ANY;
    case 'scalar':
    case 'list':
      return undefined;
  }
}

/** The type of a list's items. */
export function itemType(t: SchemaType | undefined): SchemaType | undefined {
  if (!t) return undefined;
  switch (t.kind) {
    case 'list': return t.of;
    case 'any': return ANY;
    case 'scalar':
    case 'map':
    case 'struct':
      return undefined;
  }
}

/** The struct name of a type, when it is one (the key into the patch metadata). */
export function structName(t: SchemaType | undefined): string | undefined {
  return t?.kind === 'struct' ? t.name : undefined;
}
