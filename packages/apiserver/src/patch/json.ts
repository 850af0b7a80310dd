// The JSON value model every patch works on, and the few helpers they share. Objects here are
// always plain data (parsed JSON or stored objects), never class instances.
import { ApiError } from '@tugboat/api';
import { isPlainObject, jsonEqual } from '../registry/object-meta.js';

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject { [key: string]: Json }

export function isObject(v: unknown): v is JsonObject {
  return isPlainObject(v);
}

export function clone<T>(v: T): T {
  return structuredClone(v);
}

/** Structural equality of two JSON values (key order does not matter; list order does): the registry's. */
export { jsonEqual as deepEqual };

/** A request body as JSON; malformed JSON is a 400, as Kubernetes answers it. */
export function parseBody(body: string, what: string): Json {
  try {
    return JSON.parse(body) as Json;
  } catch (err) {
    throw new ApiError('BadRequest', `error decoding ${what}: ${err instanceof Error ? err.message : String(err)}`, [], { cause: err });
  }
}
