// How Kubernetes merges each field of its built-in types: the patch strategy and merge key a
// strategic merge patch follows, and the list type server-side apply follows. The data is
// generated from Kubernetes' Go types (patch-meta-table.ts, by gen-patch-meta.mjs); this file
// is the lookup the patchers and the OpenAPI document share.
import { ATOMIC_TYPES, FIELD_PATCH_META } from './patch-meta-table.js';

export interface FieldPatchMeta {
  readonly strategy?: 'merge' | 'replace' | 'retainKeys' | 'merge,retainKeys';
  readonly mergeKey?: string;
  readonly listType?: 'atomic' | 'set' | 'map';
  readonly listMapKeys?: readonly string[];
}

/** By the type names of packages/api/src/schema/known-fields.ts. */
export function fieldPatchMeta(typeName: string, field: string): FieldPatchMeta | undefined {
  const meta = FIELD_PATCH_META[typeName]?.[field];
  if (!meta || (!meta.strategy && !meta.mergeKey && !meta.listType)) return undefined;
  return {
    ...(meta.strategy ? { strategy: meta.strategy } : {}),
    ...(meta.mergeKey ? { mergeKey: meta.mergeKey } : {}),
    ...(meta.listType ? { listType: meta.listType } : {}),
    ...(meta.listMapKeys ? { listMapKeys: meta.listMapKeys } : {}),
  };
}

/** How server-side apply treats a list: whole, as a set of scalars, or as a map keyed by some of its items' fields. */
export type ListSemantics = { readonly type: 'atomic' } | { readonly type: 'set' } | { readonly type: 'map'; readonly keys: readonly string[] };

/**
 * A list field's semantics as Kubernetes derives them from its OpenAPI (kube-openapi's
 * schemaconv): the explicit list type first, else a "merge" patch strategy (keyed by the merge
 * key, or a set without one), else atomic.
 */
export function listSemantics(typeName: string | undefined, field: string): ListSemantics {
  const meta = typeName === undefined ? undefined : FIELD_PATCH_META[typeName]?.[field];
  switch (meta?.listType) {
    case 'atomic': return { type: 'atomic' };
    case 'set': return { type: 'set' };
    case 'map': return { type: 'map', keys: meta.listMapKeys ?? [] };
    case undefined: break;
  }
  if (meta?.strategy === 'merge' || meta?.strategy === 'merge,retainKeys') {
    return meta.mergeKey ? { type: 'map', keys: [meta.mergeKey] } : { type: 'set' };
  }
  return { type: 'atomic' };
}

/** A struct marked +structType=atomic, or a map field marked +mapType=atomic: applied and owned whole. */
export function isAtomicStruct(typeName: string): boolean {
  return ATOMIC_TYPES.has(typeName);
}

export function isAtomicMapField(typeName: string | undefined, field: string): boolean {
  return typeName !== undefined && FIELD_PATCH_META[typeName]?.[field]?.mapType === 'atomic';
}

/** A struct field's value in the Go zero value of its struct (what Kubernetes' managed-fields comparison starts from). */
export function zeroFieldsOf(typeName: string): ReadonlyArray<readonly [string, 'object' | 'null']> {
  let z = zeroCache.get(typeName);
  if (!z) {
    z = Object.entries(FIELD_PATCH_META[typeName] ?? {}).flatMap(([f, m]) => (m.zero ? [[f, m.zero] as const] : []));
    zeroCache.set(typeName, z);
  }
  return z;
}
const zeroCache = new Map<string, ReadonlyArray<readonly [string, 'object' | 'null']>>();
