// Events: what components tell users about objects ("Scheduled", "Started", "BackOff",
// "FailedScheduling" …), as core/v1 Event objects. Like Kubernetes' event recorder, a repeat
// of the same event (same object, type, reason, message and component) within a short window
// bumps `count` and `lastTimestamp` of the existing Event instead of creating another, so a
// crash-looping container does not flood the store. Recording is best-effort: a failure to
// write an Event never fails the caller's work, so recordEvent never throws.
import { randomBytes } from 'node:crypto';
import type { ObjectReference } from 'kubernetes-types/core/v1.js';
import { ApiError } from '../errors.js';
import { DEFAULT_NAMESPACE } from '../kinds.js';
import type { Event, KubeObject } from '../types.js';
import type { TugboatClient } from './client.js';

export type EventType = 'Normal' | 'Warning';

export type EventObject = Event & KubeObject;

export interface RecordEventOptions {
  /** Which part of the object the event is about, e.g. `spec.containers{web}`. */
  fieldPath?: string;
  /** source.host: the node that saw it (agents set their node name). */
  host?: string;
  /** Clock, for tests. */
  now?: () => Date;
}

/** Repeats within this window are merged into one Event (Kubernetes uses 10 minutes). */
export const EVENT_AGGREGATION_WINDOW_MS = 10 * 60 * 1000;
const MAX_REMEMBERED = 4096;

/** The reference an Event carries to the object it is about. */
export function involvedReference(involved: KubeObject, fieldPath?: string): ObjectReference {
  const m = involved.metadata ?? {};
  return {
    ...(involved.apiVersion ? { apiVersion: involved.apiVersion } : {}),
    ...(involved.kind ? { kind: involved.kind } : {}),
    ...(m.name ? { name: m.name } : {}),
    ...(m.namespace ? { namespace: m.namespace } : {}),
    ...(m.uid ? { uid: m.uid } : {}),
    ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}),
    ...(fieldPath ? { fieldPath } : {}),
  };
}

/** A new Event object (pure apart from the random name suffix it is given). */
export function newEvent(
  involved: KubeObject,
  type: EventType,
  reason: string,
  message: string,
  component: string,
  now: Date,
  opts: Pick<RecordEventOptions, 'fieldPath' | 'host'> = {},
  suffix: string = randomBytes(8).toString('hex'),
): EventObject {
  const ref = involvedReference(involved, opts.fieldPath);
  const ts = now.toISOString();
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: `${ref.name ?? 'unknown'}.${suffix}`,
      namespace: ref.namespace || DEFAULT_NAMESPACE,
    },
    involvedObject: ref,
    reason,
    message,
    type,
    source: { component, ...(opts.host ? { host: opts.host } : {}) },
    reportingComponent: component,
    ...(opts.host ? { reportingInstance: opts.host } : {}),
    firstTimestamp: ts,
    lastTimestamp: ts,
    count: 1,
  };
}

/** The identity under which repeats are merged. */
export function aggregationKey(involved: KubeObject, type: EventType, reason: string, message: string, component: string, fieldPath?: string): string {
  const m = involved.metadata ?? {};
  return JSON.stringify([involved.kind ?? '', m.namespace ?? '', m.name ?? '', m.uid ?? '', fieldPath ?? '', type, reason, message, component]);
}

interface Remembered { namespace: string; name: string; at: number }

// Per client, so two components in one process (hollow nodes, tests) do not share state.
const recent = new WeakMap<TugboatClient, Map<string, Remembered>>();

function memoryOf(client: TugboatClient): Map<string, Remembered> {
  let m = recent.get(client);
  if (!m) { m = new Map(); recent.set(client, m); }
  return m;
}

function remember(mem: Map<string, Remembered>, key: string, value: Remembered): void {
  mem.delete(key);
  mem.set(key, value);
  // A Map iterates in insertion order: the first key is the least recently used.
  while (mem.size > MAX_REMEMBERED) {
    const oldest = mem.keys().next().value;
    if (oldest === undefined) break;
    mem.delete(oldest);
  }
}

/**
 * Records an Event about `involved`: creates `<name>.<16 hex>` in the object's namespace
 * (`default` for cluster-scoped objects), or bumps count/lastTimestamp of the same event
 * recorded recently through this client. Returns the stored Event, or undefined if it could
 * not be written (the failure is logged, never thrown).
 */
export async function recordEvent(
  client: TugboatClient,
  involved: KubeObject,
  type: EventType,
  reason: string,
  message: string,
  component: string,
  opts: RecordEventOptions = {},
): Promise<EventObject | undefined> {
  const now = opts.now?.() ?? new Date();
  const mem = memoryOf(client);
  const key = aggregationKey(involved, type, reason, message, component, opts.fieldPath);
  const prev = mem.get(key);
  try {
    if (prev && now.getTime() - prev.at < EVENT_AGGREGATION_WINDOW_MS) {
      const bumped = await bump(client, prev, now);
      if (bumped) {
        remember(mem, key, { ...prev, at: now.getTime() });
        return bumped;
      }
    }
    const created = await client.create<EventObject>(newEvent(involved, type, reason, message, component, now, opts));
    remember(mem, key, { namespace: created.metadata.namespace ?? DEFAULT_NAMESPACE, name: created.metadata.name ?? '', at: now.getTime() });
    return created;
  } catch (e) {
    const what = `${involved.kind ?? 'object'} ${involved.metadata?.namespace ? `${involved.metadata.namespace}/` : ''}${involved.metadata?.name ?? ''}`;
    console.error(`could not record event ${reason} for ${what}: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

/** count+1 on the stored Event; undefined when it is gone (then a new one is created). */
async function bump(client: TugboatClient, prev: Remembered, now: Date): Promise<EventObject | undefined> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const ev = await client.tryGet<EventObject>('events', prev.namespace, prev.name);
    if (!ev) return undefined;
    ev.count = (ev.count ?? 1) + 1;
    ev.lastTimestamp = now.toISOString();
    try {
      return await client.update<EventObject>(ev);
    } catch (e) {
      if (e instanceof ApiError && e.reason === 'Conflict') continue;
      if (e instanceof ApiError && e.reason === 'NotFound') return undefined;
      throw e;
    }
  }
  return undefined;
}
