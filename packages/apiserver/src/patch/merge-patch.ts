// JSON merge patch (RFC 7386), as Kubernetes applies it (evanphx/json-patch's MergePatch):
// objects merge key by key, null deletes a key, anything else (lists included) replaces.
// Nulls inside a value that lands where nothing was are dropped, as the RFC says.
import { ApiError } from '@tugboat/api';
import { clone, isObject, parseBody, type Json, type JsonObject } from './json.js';

export function applyMergePatch(doc: JsonObject, body: string): JsonObject {
  const patch = parseBody(body, 'patch');
  // Kubernetes' library answers a patch that is not an object (null, a list, a scalar) so.
  if (!isObject(patch)) throw new ApiError('BadRequest', 'Invalid JSON Patch');
  return mergeObjects(clone(doc), patch);
}

/** Merges `patch` into `doc` (mutated and returned). */
export function mergeObjects(doc: JsonObject, patch: JsonObject): JsonObject {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) {
      delete doc[k];
      continue;
    }
    const cur = doc[k];
    doc[k] = cur === undefined || cur === null ? pruneNulls(clone(v)) : merge(cur, v);
  }
  return doc;
}

function merge(cur: Json, patch: Json): Json {
  if (!isObject(cur)) return pruneNulls(clone(patch));
  if (!isObject(patch)) return clone(patch);
  return mergeObjects(cur, patch);
}

function pruneNulls(v: Json): Json {
  if (Array.isArray(v)) {
    for (const item of v) if (item !== null) pruneNulls(item);
  } else if (isObject(v)) {
    for (const [k, item] of Object.entries(v)) {
      if (item === null) delete v[k];
      else pruneNulls(item);
    }
  }
  return v;
}
