// Small pure helpers on stored objects: JSON encoding without resourceVersion,
// deep equality for "did anything change".
import type { KubeObject } from '@tugboat/api';

/** An object as etcd holds it: its text (no resourceVersion) and the revision it was written at. */
export interface StoredValue {
  readonly value: string;
  readonly revision: number;
}

/** The object as stored in etcd: resourceVersion is the key's revision, never stored. */
export function encodeObject(obj: KubeObject): string {
  if (obj.metadata?.resourceVersion === undefined) return JSON.stringify(obj);
  const { resourceVersion: _rv, ...metadata } = obj.metadata;
  void _rv;
  return JSON.stringify({ ...obj, metadata });
}

/** A stored value → the object, with metadata.resourceVersion set to the revision. */
export function decodeObject(value: string, revision: number): KubeObject {
  const obj = JSON.parse(value) as KubeObject;
  obj.metadata = { ...(obj.metadata ?? {}), resourceVersion: String(revision) };
  return obj;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Structural equality of JSON values (key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** Everything but metadata and status: what a change of bumps metadata.generation. */
export function specPart(obj: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, ...rest } = obj;
  void _m; void _s;
  return rest;
}

/**
 * Equal as stored, i.e. ignoring resourceVersion. Compared in place: every update asks, and
 * encoding both objects to compare them cost two serialisations and two parses a write.
 */
export function sameStoredObject(a: KubeObject, b: KubeObject): boolean {
  const { metadata: ma, ...restA } = a;
  const { metadata: mb, ...restB } = b;
  if (!jsonEqual(restA, restB)) return false;
  if (!ma || !mb) return ma === mb;
  const { resourceVersion: _ra, ...metaA } = ma;
  const { resourceVersion: _rb, ...metaB } = mb;
  void _ra; void _rb;
  return jsonEqual(metaA, metaB);
}
