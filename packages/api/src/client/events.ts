// Events: what components tell users about objects ("Scheduled", "Started", "BackOff",
// "FailedScheduling" …), as core/v1 Event objects. Like client-go's recorder and its
// EventCorrelator, a repeat of the same event within a short window bumps `count` and
// `lastTimestamp` of the existing Event instead of creating another, similar events are
// combined, a source is rate-limited per object, and a client's queue of event writes is
// bounded: events must never become the load that slows the cluster down (at fleet scale they
// were the busiest write). Recording is best-effort: a failure to write an Event never fails
// the caller's work, so recordEvent never throws.
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
/** Kubernetes' EventAggregator: 10 messages differing only in text within the window merge. */
export const AGGREGATE_MAX_EVENTS = 10;
export const AGGREGATE_PREFIX = '(combined from similar events): ';
/** Kubernetes' spam filter: 25 events per source and object, then one per 5 minutes. */
export const SPAM_BURST = 25;
export const SPAM_REFILL_MS = 5 * 60 * 1000;
/** Event writes a client has queued or in flight; more are dropped (client-go's queue holds 1,000). */
export const MAX_QUEUED_EVENTS = 1000;
/** Event writes a client runs at once: events must not crowd out the work they describe. */
export const MAX_CONCURRENT_EVENT_WRITES = 8;
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
  return JSON.stringify([...similarityParts(involved, type, reason, component), fieldPath ?? '', message]);
}

/** Kubernetes' EventAggregatorByReasonFunc: everything but the message (and the field path). */
function similarityParts(involved: KubeObject, type: EventType, reason: string, component: string): string[] {
  const m = involved.metadata ?? {};
  return [involved.kind ?? '', m.namespace ?? '', m.name ?? '', m.uid ?? '', involved.apiVersion ?? '', type, reason, component];
}

/** A least-recently-used map of bounded size (a Map iterates in insertion order). */
class Lru<V> {
  private readonly items = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(key: string): V | undefined {
    const v = this.items.get(key);
    if (v !== undefined) { this.items.delete(key); this.items.set(key, v); }
    return v;
  }
  set(key: string, value: V): void {
    this.items.delete(key);
    this.items.set(key, value);
    while (this.items.size > this.max) {
      const oldest = this.items.keys().next().value;
      if (oldest === undefined) break;
      this.items.delete(oldest);
    }
  }
}

interface Aggregate { messages: Set<string>; at: number }
interface Bucket { tokens: number; at: number }

/**
 * Kubernetes' EventAggregator, pure over its record: the event to write and the key it is
 * remembered under. After AGGREGATE_MAX_EVENTS different messages of one (object, type,
 * reason, component) within the window, further ones become a single "(combined from similar
 * events): …" Event whose count goes up — a ReplicaSet creating 1,000 pods writes about a
 * dozen Events, not 1,000.
 */
export function aggregate(record: Aggregate | undefined, message: string, now: number): { record: Aggregate; combined: boolean } {
  const fresh = !record || now - record.at > EVENT_AGGREGATION_WINDOW_MS;
  const messages = fresh ? new Set<string>() : new Set(record.messages);
  messages.add(message);
  if (messages.size < AGGREGATE_MAX_EVENTS) return { record: { messages, at: now }, combined: false };
  // Keep the set from growing past the threshold, as Kubernetes does.
  const first = messages.values().next().value;
  if (first !== undefined) messages.delete(first);
  return { record: { messages, at: now }, combined: true };
}

/**
 * Kubernetes' EventSourceObjectSpamFilter, pure: a token bucket per (component, object, type)
 * of SPAM_BURST tokens refilled one per SPAM_REFILL_MS. Returns the bucket after this event
 * and whether the event may be written.
 */
export function spamCheck(bucket: Bucket | undefined, now: number): { bucket: Bucket; allowed: boolean } {
  const last = bucket ?? { tokens: SPAM_BURST, at: now };
  const tokens = Math.min(SPAM_BURST, last.tokens + (now - last.at) / SPAM_REFILL_MS);
  if (tokens < 1) return { bucket: { tokens, at: now }, allowed: false };
  return { bucket: { tokens: tokens - 1, at: now }, allowed: true };
}

interface Remembered { event: EventObject; at: number }

/** What a client remembers about the Events it wrote (per client: hollow nodes and tests share a process). */
class Correlator {
  readonly written = new Lru<Remembered>(MAX_REMEMBERED);
  readonly aggregates = new Lru<Aggregate>(MAX_REMEMBERED);
  readonly spam = new Lru<Bucket>(MAX_REMEMBERED);
  queued = 0;
  running = 0;
  readonly waiting: (() => void)[] = [];
  dropped = 0;
  lastDropLog = 0;
}

const correlators = new WeakMap<TugboatClient, Correlator>();

function correlatorOf(client: TugboatClient): Correlator {
  let c = correlators.get(client);
  if (!c) { c = new Correlator(); correlators.set(client, c); }
  return c;
}

/** Runs `write` when fewer than MAX_CONCURRENT_EVENT_WRITES of this client's are running. */
async function throttled<T>(c: Correlator, write: () => Promise<T>): Promise<T> {
  if (c.running >= MAX_CONCURRENT_EVENT_WRITES) await new Promise<void>((r) => c.waiting.push(r));
  c.running++;
  try {
    return await write();
  } finally {
    c.running--;
    c.waiting.shift()?.();
  }
}

/**
 * Records an Event about `involved`, as client-go's recorder with its EventCorrelator does:
 * similar events are combined (see aggregate), a repeat of one written recently bumps its
 * count and lastTimestamp, a source that keeps talking about one object is rate-limited (see
 * spamCheck), and a client never has more than MAX_QUEUED_EVENTS event writes waiting (the
 * rest are dropped with a log line, as client-go drops on a full queue). A new Event is named
 * `<name>.<16 hex>` in the object's namespace (`default` for cluster-scoped objects). Returns
 * the stored Event, or undefined if it was filtered or could not be written (the failure is
 * logged, never thrown).
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
  const nowDate = opts.now?.() ?? new Date();
  const now = nowDate.getTime();
  const c = correlatorOf(client);
  const similar = JSON.stringify([...similarityParts(involved, type, reason, component), opts.host ?? '']);
  const agg = aggregate(c.aggregates.get(similar), message, now);
  c.aggregates.set(similar, agg.record);
  const text = agg.combined ? `${AGGREGATE_PREFIX}${message}` : message;
  const key = agg.combined ? `${similar}|combined` : aggregationKey(involved, type, reason, message, component, opts.fieldPath);
  const spamKey = JSON.stringify([component, opts.host ?? '', ...similarityParts(involved, type, '', '')]);
  const spam = spamCheck(c.spam.get(spamKey), now);
  c.spam.set(spamKey, spam.bucket);
  if (!spam.allowed) return undefined;
  if (c.queued >= MAX_QUEUED_EVENTS) {
    c.dropped++;
    if (now - c.lastDropLog > 10_000) {
      console.error(`events: ${c.dropped} event(s) dropped: ${MAX_QUEUED_EVENTS} writes already waiting (the API server is slow)`);
      c.lastDropLog = now;
      c.dropped = 0;
    }
    return undefined;
  }
  c.queued++;
  try {
    return await throttled(c, async () => {
      const prev = c.written.get(key);
      if (prev && now - prev.at < EVENT_AGGREGATION_WINDOW_MS) {
        const bumped = await bump(client, prev.event, nowDate, text);
        if (bumped) {
          c.written.set(key, { event: bumped, at: now });
          return bumped;
        }
      }
      const fresh = newEvent(involved, type, reason, text, component, nowDate, agg.combined ? { ...(opts.host ? { host: opts.host } : {}) } : opts);
      const created = await client.create<EventObject>(fresh);
      c.written.set(key, { event: created, at: now });
      return created;
    });
  } catch (e) {
    const what = `${involved.kind ?? 'object'} ${involved.metadata?.namespace ? `${involved.metadata.namespace}/` : ''}${involved.metadata?.name ?? ''}`;
    console.error(`could not record event ${reason} for ${what}: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  } finally {
    c.queued--;
  }
}

/**
 * count+1 on the stored Event: an update of the copy remembered from the last write (one
 * request), read again only when someone else changed it. Undefined when it is gone (then a
 * new one is created).
 */
async function bump(client: TugboatClient, remembered: EventObject, now: Date, message: string): Promise<EventObject | undefined> {
  let ev: EventObject | undefined = remembered;
  for (let attempt = 0; attempt < 3 && ev; attempt++) {
    const next: EventObject = { ...ev, count: (ev.count ?? 1) + 1, lastTimestamp: now.toISOString(), message };
    try {
      return await client.update<EventObject>(next);
    } catch (e) {
      if (e instanceof ApiError && e.reason === 'NotFound') return undefined;
      if (!(e instanceof ApiError && e.reason === 'Conflict')) throw e;
      ev = await client.tryGet<EventObject>('events', ev.metadata.namespace ?? DEFAULT_NAMESPACE, ev.metadata.name ?? '');
    }
  }
  return undefined;
}
