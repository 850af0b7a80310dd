// metadata.managedFields ⇄ the managers and the field sets they own. A manager is identified
// as Kubernetes identifies it: by name, operation and subresource, and for Update also by
// apiVersion (an applier keeps one entry whatever version it applies with).
import { isObject } from '../json.js';
import { FieldSet } from './field-set.js';
import { decodeFieldsV1, encodeFieldsV1 } from './fields-v1.js';

export type Operation = 'Apply' | 'Update';

export interface Manager {
  readonly manager: string;
  readonly operation: Operation;
  readonly apiVersion: string;
  readonly time?: string;
  readonly subresource?: string;
  readonly set: FieldSet;
}

/** Kubernetes' manager identifier: the entry without time and fields, as JSON (so it sorts as Kubernetes sorts conflicts). */
export function managerId(m: Pick<Manager, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  return JSON.stringify({
    manager: m.manager,
    operation: m.operation,
    ...(m.operation === 'Update' && m.apiVersion ? { apiVersion: m.apiVersion } : {}),
    ...(m.subresource ? { subresource: m.subresource } : {}),
  });
}

/** The stored entries as managers, by identifier; entries that cannot be read are dropped. */
export function decodeManagers(entries: unknown): Map<string, Manager> {
  const out = new Map<string, Manager>();
  if (!Array.isArray(entries)) return out;
  for (const e of entries) {
    if (!isObject(e) || typeof e['manager'] !== 'string') continue;
    const operation = e['operation'];
    if (operation !== 'Apply' && operation !== 'Update') continue;
    if (e['fieldsType'] !== undefined && e['fieldsType'] !== 'FieldsV1') continue;
    let set: FieldSet;
    try {
      set = e['fieldsV1'] === undefined ? new FieldSet() : decodeFieldsV1(e['fieldsV1']);
    } catch {
      continue;
    }
    const m: Manager = {
      manager: e['manager'],
      operation,
      apiVersion: typeof e['apiVersion'] === 'string' ? e['apiVersion'] : '',
      ...(typeof e['time'] === 'string' ? { time: e['time'] } : {}),
      ...(typeof e['subresource'] === 'string' && e['subresource'] ? { subresource: e['subresource'] } : {}),
      set,
    };
    const id = managerId(m);
    const prev = out.get(id);
    out.set(id, prev ? { ...m, set: prev.set.union(set) } : m);
  }
  return out;
}

export interface ManagedFieldsEntry {
  manager: string;
  operation: Operation;
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

/** Managers as stored, in Kubernetes' order: Apply before Update, then by time, name, version, subresource. */
export function encodeManagers(managers: Iterable<Manager>): ManagedFieldsEntry[] {
  const seconds = (t: string | undefined): number => (t ? Math.floor(Date.parse(t) / 1000) : 0);
  return [...managers]
    .filter((m) => !m.set.empty)
    .sort((p, q) =>
      cmp(p.operation, q.operation) || seconds(p.time) - seconds(q.time) || cmp(p.manager, q.manager)
      || cmp(p.apiVersion, q.apiVersion) || cmp(p.subresource ?? '', q.subresource ?? ''))
    .map((m) => ({
      manager: m.manager,
      operation: m.operation,
      apiVersion: m.apiVersion,
      ...(m.time ? { time: m.time } : {}),
      fieldsType: 'FieldsV1' as const,
      fieldsV1: encodeFieldsV1(m.set),
      ...(m.subresource ? { subresource: m.subresource } : {}),
    }));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** metav1.Time: RFC 3339 in UTC, whole seconds. */
export function timestamp(now: Date): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}
