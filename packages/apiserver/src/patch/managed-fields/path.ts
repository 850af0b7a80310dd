// Paths into an object as structured-merge-diff (Kubernetes' server-side apply library) names
// them. A path element is kept in its FieldsV1 spelling:
//   f:<field>             a field of a struct or a key of a map
//   k:{"name":"web"}      an item of an associative list, by its key fields (sorted)
//   v:"x"                 an item of a set (a list of scalars with merge semantics)
import type { Json, JsonObject } from '../json.js';

export type PathElement = string;
export type Path = readonly PathElement[];

export const fieldElement = (name: string): PathElement => `f:${name}`;
export const valueElement = (v: Json): PathElement => `v:${JSON.stringify(v)}`;

/**
 * Key fields a list item may leave out because the schema defaults them (protocol is "TCP" in
 * ports' OpenAPI): structured-merge-diff keys the item by the default.
 */
const KEY_DEFAULTS: Readonly<Record<string, Json>> = { protocol: 'TCP' };

/** The key element of an associative list item; undefined if it lacks a key field. */
export function keyElement(item: JsonObject, keys: readonly string[]): PathElement | undefined {
  const key: Record<string, Json> = {};
  for (const k of [...keys].sort()) {
    const v = item[k] ?? KEY_DEFAULTS[k];
    if (v === undefined || v === null) return undefined;
    key[k] = v;
  }
  return `k:${JSON.stringify(key)}`;
}

/** `.spec.template.spec.containers[name="web"].image`, as Kubernetes prints a path in conflicts. */
export function displayPath(path: Path): string {
  return path.map(displayElement).join('');
}

function displayElement(pe: PathElement): string {
  const body = pe.slice(2);
  switch (pe[0]) {
    case 'f': return `.${body}`;
    case 'k': {
      const key = JSON.parse(body) as Record<string, Json>;
      return `[${Object.entries(key).map(([k, v]) => `${k}=${scalarText(v)}`).join(',')}]`;
    }
    case 'v': return `[=${scalarText(JSON.parse(body) as Json)}]`;
    default: return `[${body}]`;
  }
}

/** Go's %q for strings (JSON's quoting agrees for what keys hold), %v otherwise. */
function scalarText(v: Json): string {
  return typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? 'null';
}

const ORDER: Readonly<Record<string, number>> = { f: 0, k: 1, v: 2, i: 3 };

/** structured-merge-diff's order of path elements: fields, then keys, then values, then indices. */
export function comparePathElements(a: PathElement, b: PathElement): number {
  const ta = ORDER[a[0] ?? ''] ?? 9;
  const tb = ORDER[b[0] ?? ''] ?? 9;
  if (ta !== tb) return ta - tb;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function comparePaths(a: Path, b: Path): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = comparePathElements(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}
