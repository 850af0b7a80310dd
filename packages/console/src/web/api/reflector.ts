// List, then watch from the list's resourceVersion, as kubectl get -w and client-go's
// reflector do: the page never polls. The watch streams `{"type","object"}` lines over one
// chunked response; when it ends (the server's timeout) the reflector watches again from the
// last resourceVersion it saw, and lists again only when told the revision is gone (410).
// Views subscribe through useLiveList; one reflector serves every view asking for the same
// list, and stops (closing its connection) when the last one leaves — a browser opens at
// most six HTTP/1.1 connections to the API server, and a log stream needs one too.
import { useEffect, useState } from 'preact/hooks';
import { ApiHttpError, apiFetch } from './http.js';
import { applyWatchLine, keyOf, type Metadata } from './object-store.js';
import { LineSplitter, parseWatchLine } from './watch-lines.js';

export interface LiveList<T> {
  readonly items: readonly T[];
  /** True until the first list has answered. */
  readonly loading: boolean;
  /** The API's message while the list or watch fails (403: what RBAC said). */
  readonly error: string | undefined;
}

/** Views re-render at most this often however fast events come (1,000 nodes heartbeating). */
const PUBLISH_EVERY_MS = 50;
/** …and never more than this share of the main thread: a page busy rendering answers no input. */
const RENDER_SHARE = 1 / 3;
const PUBLISH_AT_MOST_EVERY_MS = 1000;
const MAX_BACKOFF_MS = 10_000;

// One timer for every reflector: the nodes' and the pods' changes reach the views in the same
// task, which Preact renders once. The interval stretches with what the last flush cost
// (listeners and the render they caused), so a burst of watch events over a large fleet is
// drawn a few times a second, leaving the rest of the thread to the user's input.
const due = new Set<() => void>();
let flushTimer: ReturnType<typeof setTimeout> | undefined;
let lastFlushMs = 0;

/** How long to wait before the next flush, after one that took `lastFlushMs`: pure. */
export function flushDelay(lastFlushMs: number): number {
  return Math.min(PUBLISH_AT_MOST_EVERY_MS, Math.max(PUBLISH_EVERY_MS, lastFlushMs / RENDER_SHARE - lastFlushMs));
}

function schedulePublish(emit: () => void): void {
  due.add(emit);
  flushTimer ??= setTimeout(flush, flushDelay(lastFlushMs));
}

function flush(): void {
  flushTimer = undefined;
  const start = performance.now();
  const emits = [...due];
  due.clear();
  for (const emit of emits) emit();
  // A task queued now runs after the render Preact scheduled (a microtask), so it sees its cost.
  setTimeout(() => { lastFlushMs = performance.now() - start; }, 0);
}

function cancelPublish(emit: () => void): void {
  due.delete(emit);
}

class Reflector<T extends Metadata> {
  private readonly store = new Map<string, T>();
  private readonly abort = new AbortController();
  private readonly listeners = new Set<(s: LiveList<T>) => void>();
  private state: LiveList<T> = { items: [], loading: true, error: undefined };
  private readonly emit = (): void => {
    this.state = { items: [...this.store.values()], loading: false, error: undefined };
    for (const l of this.listeners) l(this.state);
  };

  constructor(private readonly path: string, private readonly query: string) {
    void this.run();
  }

  get current(): LiveList<T> { return this.state; }

  subscribe(l: (s: LiveList<T>) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  get idle(): boolean { return this.listeners.size === 0; }

  stop(): void {
    this.abort.abort();
    cancelPublish(this.emit);
  }

  /** A list's answer or an error goes out at once; watch events with the next flush. */
  private publish(now: boolean, error?: string): void {
    if (!now) {
      schedulePublish(this.emit);
      return;
    }
    cancelPublish(this.emit);
    this.state = { items: [...this.store.values()], loading: false, error };
    for (const l of this.listeners) l(this.state);
  }

  private url(extra: string): string {
    const q = [this.query, extra].filter(Boolean).join('&');
    return q ? `${this.path}?${q}` : this.path;
  }

  private async list(): Promise<string> {
    const res = await apiFetch(this.url(''), this.abort.signal);
    const body = await res.json() as { items?: T[]; metadata?: { resourceVersion?: string } };
    this.store.clear();
    for (const item of body.items ?? []) this.store.set(keyOf(item), item);
    this.publish(true);
    return body.metadata?.resourceVersion ?? '';
  }

  /** Streams events until the server ends the watch; returns the resourceVersion to go on from ('' to list again). */
  private async watch(from: string): Promise<string> {
    const res = await apiFetch(this.url(`watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(from)}`), this.abort.signal);
    const reader = res.body?.pipeThrough(new TextDecoderStream()).getReader();
    if (!reader) return from;
    const lines = new LineSplitter();
    let rv = from;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return rv;
      for (const line of lines.push(value)) {
        const ev = parseWatchLine(line);
        if (!ev) continue;
        const step = applyWatchLine(this.store, ev);
        switch (step.type) {
          case 'changed':
            rv = step.resourceVersion || rv;
            this.publish(false);
            break;
          case 'progress':
            rv = step.resourceVersion || rv;
            break;
          case 'relist':
            await reader.cancel().catch(() => undefined);
            return '';
        }
      }
    }
  }

  private async run(): Promise<void> {
    let rv = '';
    let backoff = 500;
    while (!this.abort.signal.aborted) {
      try {
        if (!rv) rv = await this.list();
        rv = await this.watch(rv);
        backoff = 500;
      } catch (e) {
        if (this.abort.signal.aborted) return;
        // 401: the session has ended (http.ts); nothing more to show.
        if (e instanceof ApiHttpError && e.code === 401) return;
        if (e instanceof ApiHttpError && e.code === 410) { rv = ''; continue; }
        this.publish(true, e instanceof Error ? e.message : String(e));
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }
}

const reflectors = new Map<string, Reflector<Metadata>>();

/**
 * The live contents of a list path (`/api/v1/pods`, `/apis/apps/v1/namespaces/demo/deployments`)
 * with an optional query (`labelSelector=…`, `fieldSelector=…`); re-renders on every change.
 */
export function useLiveList<T extends Metadata>(path: string, query = ''): LiveList<T> {
  const key = `${path}?${query}`;
  const [state, setState] = useState<LiveList<T>>(() => (reflectors.get(key)?.current as LiveList<T> | undefined) ?? { items: [], loading: true, error: undefined });
  useEffect(() => {
    let r = reflectors.get(key);
    if (!r) {
      r = new Reflector<Metadata>(path, query);
      reflectors.set(key, r);
    }
    const reflector = r;
    setState(reflector.current as LiveList<T>);
    const unsubscribe = reflector.subscribe((s) => setState(s as LiveList<T>));
    return () => {
      unsubscribe();
      if (reflector.idle) {
        reflector.stop();
        reflectors.delete(key);
      }
    };
  }, [key]);
  return state;
}

/** Stops every reflector (sign-out). */
export function stopAllReflectors(): void {
  for (const r of reflectors.values()) r.stop();
  reflectors.clear();
}
