// Kubernetes' patch semantics for the REST API: JSON patch, JSON merge patch, strategic merge
// patch, and server-side apply with managed fields. Pure functions: the REST layer reads the
// object, calls these, and writes the result through the registry (which validates it).
import { ApiError, type KubeObject } from '@tugboat/api';
import { applyJsonPatch } from './json-patch.js';
import { applyMergePatch } from './merge-patch.js';
import { applyStrategicMergePatch } from './strategic-merge.js';
import type { JsonObject } from './json.js';

export type PatchContentType =
  | 'application/json-patch+json' | 'application/merge-patch+json'
  | 'application/strategic-merge-patch+json' | 'application/apply-patch+yaml';

/** json / merge / strategic: the patched object (not validated; the registry admits it). Throws ApiError. */
export function applyPatch(kind: string, current: KubeObject, type: Exclude<PatchContentType, 'application/apply-patch+yaml'>, body: string): KubeObject {
  // Stored objects are JSON data; the cast only restates that for the patchers' types.
  const doc = current as unknown as JsonObject;
  switch (type) {
    case 'application/json-patch+json': return applyJsonPatch(doc, body) as KubeObject;
    case 'application/merge-patch+json': return applyMergePatch(doc, body) as KubeObject;
    case 'application/strategic-merge-patch+json': return applyStrategicMergePatch(kind, doc, body) as KubeObject;
    default: {
      const never: never = type;
      throw new ApiError('BadRequest', `unsupported patch type ${String(never)}`);
    }
  }
}

export { serverSideApply, recordUpdate, conflictCauses, type ConflictCause } from './managed-fields/index.js';
export { fieldPatchMeta, type FieldPatchMeta } from './patch-meta.js';
