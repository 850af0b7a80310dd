// Events, newest first, and those about one object.
import type { Event } from '@tugboat/api';
import { humanDuration } from '@tugboat/api/printing/age';

/** When it last happened: lastTimestamp (core/v1), else eventTime, else when it was stored. */
export function eventTime(e: Event): string {
  return e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? '';
}

export function newestFirst(events: Iterable<Event>, limit: number): Event[] {
  return [...events].sort((a, b) => eventTime(b).localeCompare(eventTime(a))).slice(0, limit);
}

export function eventsAbout(events: Iterable<Event>, kind: string, namespace: string, name: string): Event[] {
  const out: Event[] = [];
  for (const e of events) {
    const o = e.involvedObject;
    if (o.kind === kind && (o.namespace ?? '') === namespace && o.name === name) out.push(e);
  }
  return out.sort((a, b) => eventTime(a).localeCompare(eventTime(b)));
}

/** kubectl's AGE ("45s", "3m2s", "5h30m", "2d") since `iso`; empty when unknown. */
export function age(iso: string | undefined, now: number): string {
  return iso ? humanDuration(now - Date.parse(iso)) : '';
}
