// Fields nobody owns: identity and bookkeeping the server sets (Kubernetes' stripmeta: apiVersion,
// kind, metadata.{name, namespace, uid, resourceVersion, generation, creationTimestamp,
// managedFields, …}), and the half of the object a write cannot change — status for writes to
// the object, spec for writes to its status subresource (Kubernetes' reset fields).
import { clone, isObject, type JsonObject } from '../json.js';
import { fieldType, rootType } from '../schema.js';
import { FieldSet } from './field-set.js';
import { fieldElement } from './path.js';

const STRIPPED = new FieldSet([
  ['apiVersion'], ['kind'], ['metadata'],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'].map((f) => ['metadata', f]),
].map((p) => p.map(fieldElement)));

function hasStatus(kind: string): boolean {
  return fieldType(rootType(kind), 'status') !== undefined;
}

/** The part of a write's fields a manager can own. */
export function ownable(set: FieldSet, kind: string, subresource: string | undefined): FieldSet {
  let out = set.difference(STRIPPED);
  if (hasStatus(kind)) out = out.withoutSubtree([fieldElement(subresource === 'status' ? 'spec' : 'status')]);
  return out;
}

/** An applied configuration without the half this endpoint does not write (which the registry would reset anyway). */
export function writablePart(applied: JsonObject, kind: string, subresource: string | undefined): JsonObject {
  const out = clone(applied);
  if (hasStatus(kind)) delete out[subresource === 'status' ? 'spec' : 'status'];
  return out;
}

/** A copy without metadata.managedFields: the bookkeeping is not part of the data compared and merged. */
export function withoutManagedFields(obj: JsonObject): JsonObject {
  const out = clone(obj);
  const meta = out['metadata'];
  if (isObject(meta)) delete meta['managedFields'];
  return out;
}

export function withManagedFields(obj: JsonObject, entries: readonly unknown[]): JsonObject {
  const meta = isObject(obj['metadata']) ? obj['metadata'] : {};
  const rest = { ...meta };
  delete rest['managedFields'];
  obj['metadata'] = entries.length ? { ...rest, managedFields: entries as JsonObject[] } : rest;
  return obj;
}
