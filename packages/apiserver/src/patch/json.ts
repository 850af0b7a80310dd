// The JSON value model every patch works on, and the few helpers they share. Objects here are
// always plain data (parsed JSON or stored objects), never class instances.
import { ApiError } from '@tugboat/api';

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject { [key: string]: Json }

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function clone<T>(v: T): T {
  return structuredClone(v);
}

/** Structural equality of two JSON values (key order does not matter; list order does). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** A request body as JSON; malformed JSON is a 400, as Kubernetes answers it. */
export function parseBody(body: string, what: string): Json {
  try {
    return JSON.parse(body) as Json;
  } catch (err) {
    throw new ApiError('BadRequest', `error decoding ${what}: ${err instanceof Error ? err.message : String(err)}`, [], { cause: err });
  }
}
