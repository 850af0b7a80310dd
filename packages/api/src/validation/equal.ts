// Structural equality and a short list of differing paths, for immutability checks.
import { child, index, isPlainObject } from './field-errors.js';

/** Deep equality of JSON values; object key order does not matter, undefined fields are absent. */
export function deepEqual(a: unknown, b: unknown): boolean {
  return diffPaths(a, b, '', 1).length === 0;
}

/** Up to `max` paths where `a` and `b` differ ("spec.containers[0].ports", "spec.nodeName"). */
export function diffPaths(a: unknown, b: unknown, path: string, max = 5): string[] {
  const out: string[] = [];
  walk(a, b, path, out, max);
  return out;
}

function walk(a: unknown, b: unknown, path: string, out: string[], max: number): void {
  if (out.length >= max || a === b) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) { out.push(path); return; }
    for (let i = 0; i < a.length && out.length < max; i++) walk(a[i], b[i], index(path, i), out, max);
    return;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of [...keys].sort()) {
      if (out.length >= max) return;
      walk(a[k], b[k], child(path, k), out, max);
    }
    return;
  }
  out.push(path);
}
