// Server-side apply (structured-merge-diff's Updater.Apply, as Kubernetes' field manager runs it):
//
//   applied ──fieldSetOf──▶ the applier's new set
//   live + applied ──merge──▶ merged ──prune (fields the applier dropped, owned by nobody)──▶ next
//   compare(live, next): another manager's field that changes is a conflict (409) unless
//   force, which moves it to the applier; fields removed leave every manager's set.
import { ApiError, type KubeObject } from '@tugboat/api';
import { deepEqual, isObject, type Json, type JsonObject } from '../json.js';
import { conflictError } from './conflict.js';
import type { FieldSet } from './field-set.js';
import { decodeManagers, encodeManagers, managerId, timestamp, type Manager } from './managers.js';
import { ownable, withManagedFields, withoutManagedFields, writablePart } from './ownable.js';
import { rootShape } from './shape.js';
import { compare, dropNulls, fieldSetOf, merge, prune, withZeroFields } from './typed.js';
import { updateManagers } from './update.js';

const BEFORE_FIRST_APPLY = 'before-first-apply';

export interface ApplyInput {
  kind: string;
  apiVersion: string;
  live: KubeObject | undefined;
  applied: KubeObject;
  manager: string;
  force: boolean;
  now: Date;
  subresource?: string;
}

export function serverSideApply(input: ApplyInput): KubeObject {
  const { kind, subresource } = input;
  const shape = rootShape(kind);
  if (!shape) throw new ApiError('BadRequest', `server-side apply is not supported for kind ${kind}`);
  const appliedRaw = input.applied as unknown as Json;
  if (!isObject(appliedRaw)) throw new ApiError('BadRequest', 'the applied configuration must be an object');
  if (isObject(appliedRaw['metadata']) && appliedRaw['metadata']['managedFields'] !== undefined) {
    throw new ApiError('BadRequest', 'metadata.managedFields must be nil');
  }
  const applied = writablePart(appliedRaw, kind, subresource);
  const liveWithFields = input.live as unknown as JsonObject | undefined;
  const live = liveWithFields ? withoutManagedFields(liveWithFields) : undefined;
  let managers = decodeManagers(isObject(liveWithFields?.['metadata']) ? liveWithFields['metadata']['managedFields'] : undefined);
  if (live && managers.size === 0) {
    // An object nobody tracked yet: as Kubernetes does, its existing fields go to
    // "before-first-apply", so an apply that changes them conflicts instead of silently winning.
    managers = updateManagers(managers, {}, live, shape, {
      kind, subresource, now: input.now, me: { manager: BEFORE_FIRST_APPLY, operation: 'Update', apiVersion: input.apiVersion },
    });
  }

  const me = { manager: input.manager, operation: 'Apply' as const, apiVersion: input.apiVersion, ...(subresource ? { subresource } : {}) };
  const id = managerId(me);
  const previous = managers.get(id);
  const newSet = ownable(fieldSetOf(applied, shape), kind, subresource);
  managers.set(id, { ...me, ...(previous?.time ? { time: previous.time } : {}), set: newSet });

  let next = merge(live, applied, shape) as JsonObject;
  if (previous && !previous.set.empty) {
    let owned: FieldSet = newSet;
    for (const m of managers.values()) owned = owned.union(m.set);
    next = prune(next, shape, [], previous.set, owned) as JsonObject;
  }
  next = dropNulls(next) as JsonObject;

  const cmp = compare(withZeroFields(live ?? {}, shape), withZeroFields(next, shape), shape);
  const changed = ownable(cmp.modified.union(cmp.added), kind, subresource);
  const removed = ownable(cmp.removed, kind, subresource);
  const conflicts = new Map<string, FieldSet>();
  for (const [otherId, m] of managers) {
    if (otherId === id) continue;
    const c = m.set.intersection(changed);
    if (!c.empty) conflicts.set(otherId, c);
  }
  if (conflicts.size > 0 && !input.force) throw conflictError(conflicts);

  const result = new Map<string, Manager>();
  for (const [mid, m] of managers) {
    const lost = conflicts.get(mid);
    const set = mid === id ? m.set : (lost ? m.set.difference(lost) : m.set).difference(removed);
    if (!set.empty) result.set(mid, { ...m, set });
  }
  // Kubernetes stamps the applier's entry only when the object changed (a no-op apply keeps the old time).
  const mine = result.get(id);
  if (mine && (!live || !deepEqual(live, next) || !previous)) result.set(id, { ...mine, time: timestamp(input.now) });

  return withManagedFields(next, encodeManagers(result.values())) as KubeObject;
}
