// Managed fields for a write that is not an apply (create, update, patch, a controller's status
// write): as Kubernetes' field manager records an Update, the writer takes the fields whose
// values it set or changed, every other manager loses them, removed fields leave every set,
// and managers left with nothing are dropped. A write that sends its own managedFields (a
// client that edits them) starts from those instead of the stored ones.
//
// Like Kubernetes, an object that exists without managed fields is not tracked by updates;
// tracking starts at its create, or at its first apply (see apply.ts).
import { ApiError, type KubeObject } from '@tugboat/api';
import { deepEqual, isObject, type JsonObject } from '../json.js';
import { decodeManagers, encodeManagers, managerId, timestamp, type Manager } from './managers.js';
import { ownable, withManagedFields, withoutManagedFields } from './ownable.js';
import { rootShape, type Shape } from './shape.js';
import { compare, withZeroFields } from './typed.js';

export interface UpdateInput {
  kind: string;
  apiVersion: string;
  live: KubeObject | undefined;
  next: KubeObject;
  manager: string;
  now: Date;
  subresource?: string;
}

export function recordUpdate(input: UpdateInput): KubeObject {
  const { kind, subresource } = input;
  const shape = rootShape(kind);
  if (!shape) throw new ApiError('BadRequest', `managed fields are not supported for kind ${kind}`);
  const liveWithFields = input.live as unknown as JsonObject | undefined;
  const nextWithFields = input.next as unknown as JsonObject;
  const liveEntries = isObject(liveWithFields?.['metadata']) ? liveWithFields['metadata']['managedFields'] : undefined;
  const sentEntries = isObject(nextWithFields['metadata']) ? nextWithFields['metadata']['managedFields'] : undefined;
  const managers = decodeManagers(Array.isArray(sentEntries) && !deepEqual(sentEntries, liveEntries ?? []) ? sentEntries : liveEntries);
  if (liveWithFields && managers.size === 0) return input.next;

  const live = liveWithFields ? withoutManagedFields(liveWithFields) : {};
  const next = withoutManagedFields(nextWithFields);
  const me = { manager: input.manager, operation: 'Update' as const, apiVersion: input.apiVersion, ...(subresource ? { subresource } : {}) };
  const result = updateManagers(managers, live, next, shape, { kind, subresource, me, now: input.now });
  return withManagedFields(next, encodeManagers(result.values())) as KubeObject;
}

/** The managers after `me` wrote `next` over `live` (both without managed fields). */
export function updateManagers(
  managers: ReadonlyMap<string, Manager>, live: JsonObject, next: JsonObject, shape: Shape,
  ctx: { kind: string; subresource: string | undefined; me: Omit<Manager, 'set' | 'time'>; now: Date },
): Map<string, Manager> {
  const cmp = compare(withZeroFields(live, shape), withZeroFields(next, shape), shape);
  const taken = ownable(cmp.modified.union(cmp.added), ctx.kind, ctx.subresource);
  const removed = ownable(cmp.removed, ctx.kind, ctx.subresource);
  const id = managerId(ctx.me);
  const result = new Map<string, Manager>();
  for (const [mid, m] of managers) {
    const set = m.set.difference(taken).difference(removed);
    if (!set.empty) result.set(mid, { ...m, set });
  }
  if (!taken.empty) {
    const previous = result.get(id);
    result.set(id, { ...ctx.me, time: timestamp(ctx.now), set: previous ? previous.set.union(taken) : taken });
  }
  return result;
}
