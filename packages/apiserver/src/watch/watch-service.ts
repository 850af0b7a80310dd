// One Watch stream: the initial state (when no resourceVersion is given), then every change
// after it that concerns the watcher's namespace and selectors, as ADDED / MODIFIED /
// DELETED, with periodic BOOKMARKs. Changes come from the shared watch cache, or from a
// watch of its own on etcd when the watcher resumes from further back than the cache holds.
import { ApiError, parseFieldSelector, parseLabelSelector, type KubeObject, type WatchEventType } from '@tugboat/api';
import { parseStorageKey, resourcePrefix } from '../registry/keys.js';
import type { Registry } from '../registry/registry.js';
import type { Storage } from '../storage/storage.js';
import { Change, fieldsOf } from './change.js';
import type { Subscriber, WatchCache } from './watch-cache.js';
import { decideWatchEvent } from './watch-filter.js';

export interface WatchRequest {
  readonly resource: string;
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly resourceVersion?: string;
  readonly allowBookmarks?: boolean;
}

/** Where a watch's events go: the gRPC stream, in the server. */
export interface WatchSink {
  send(type: WatchEventType, objectJson: string): void;
  /** Events accepted by send() and not yet written out. */
  backlog(): number;
  /** Ends the stream: normally, or with an error. */
  end(err?: ApiError): void;
}

export interface WatchServiceOptions {
  readonly bookmarkIntervalMs?: number;
  /** A watcher this many events behind is cut off (it re-watches), as kube-apiserver does. */
  readonly maxBacklog?: number;
}

export interface OpenWatch {
  readonly resource: string;
  close(): void;
}

export function parseResourceVersion(text: string): number {
  if (!/^[0-9]+$/.test(text)) throw new ApiError('BadRequest', `invalid resourceVersion ${JSON.stringify(text)}: must be a revision number`);
  return Number(text);
}

export class WatchService {
  private readonly open = new Set<{ close(err?: ApiError): void }>();
  private readonly bookmarkIntervalMs: number;
  private readonly maxBacklog: number;

  constructor(
    private readonly registry: Registry,
    private readonly cache: WatchCache,
    private readonly storage: Storage,
    options: WatchServiceOptions = {},
  ) {
    this.bookmarkIntervalMs = options.bookmarkIntervalMs ?? 10_000;
    this.maxBacklog = options.maxBacklog ?? 50_000;
  }

  /** Open streams (for the watchers gauge). */
  count(): number {
    return this.open.size;
  }

  /** Ends every open stream normally (server shutdown): clients re-watch elsewhere. */
  closeAll(): void {
    for (const w of [...this.open]) w.close();
  }

  async start(req: WatchRequest, sink: WatchSink): Promise<OpenWatch> {
    const info = this.registry.resolve(req.resource);
    const namespace = info.namespaced ? req.namespace ?? '' : '';
    const labels = parseLabelSelector(req.labelSelector ?? '');
    const fields = parseFieldSelector(req.fieldSelector ?? '', info.kind);
    const matches = (obj: KubeObject): boolean => labels.matches(obj.metadata?.labels) && (fields.isEmpty() || fields.matches(fieldsOf(obj)));
    // An exact field requirement (a node's `spec.nodeName=NAME`) lets the cache hand this
    // watcher only the changes whose object had or has that value.
    const exact = fields.requirements.find((r) => r.operator === '=');

    let after: number;
    const rv = req.resourceVersion ?? '';
    if (rv === '' || rv === '0') {
      // No revision: the current state first, as ADDED, then what changes after it.
      const list = await this.registry.list(req.resource, {
        ...(namespace ? { namespace } : {}),
        ...(req.labelSelector ? { labelSelector: req.labelSelector } : {}),
        ...(req.fieldSelector ? { fieldSelector: req.fieldSelector } : {}),
      });
      for (const item of list.encodedItems ?? list.items.map((o) => JSON.stringify(o))) sink.send('ADDED', item);
      after = Number(list.resourceVersion);
    } else {
      after = parseResourceVersion(rv);
    }

    let closed = false;
    let progress = after;
    let lastSent = after;
    let unsubscribe: () => void = () => undefined;
    let timer: NodeJS.Timeout | undefined;
    const handle = {
      close: (err?: ApiError) => {
        if (closed) return;
        closed = true;
        clearInterval(timer);
        unsubscribe();
        this.open.delete(handle);
        sink.end(err);
      },
    };

    const sub: Subscriber = {
      resource: info.resource,
      ...(exact ? { index: { field: exact.field, value: exact.value } } : {}),
      deliver: (change: Change) => {
        if (closed) return;
        if (change.revision > progress) progress = change.revision;
        if (namespace && change.target.namespace !== namespace) return;
        const decision = decideWatchEvent({ type: change.event.type, object: change.object(), previous: change.previous() }, matches);
        if (!decision) return;
        sink.send(decision.type, change.jsonOf(decision.send));
        lastSent = change.revision;
        if (sink.backlog() > this.maxBacklog) {
          handle.close(new ApiError('Unavailable', `watch of ${info.resource} closed: the client fell ${this.maxBacklog} events behind; watch again`));
        }
      },
      expire: (err: ApiError) => handle.close(err),
    };

    this.open.add(handle);
    const fromCache = this.cache.subscribe(sub, after);
    if (fromCache) {
      unsubscribe = fromCache;
      // The replay may already have closed it (a backlog too long).
      if (closed) fromCache();
    } else {
      const w = this.storage.watch(resourcePrefix(info, namespace), after, {
        onEvents: (events) => {
          for (const ev of events) {
            const target = parseStorageKey(ev.key);
            if (target && target.info === info) sub.deliver(new Change(ev, target));
          }
        },
        onProgress: (revision) => { if (revision > progress) progress = revision; },
        onError: (err) => sub.expire(err),
      });
      unsubscribe = () => w.close();
    }

    if (req.allowBookmarks) {
      timer = setInterval(() => {
        // Served by the cache: it has delivered everything up to its progress revision.
        if (fromCache && this.cache.progress() > progress) progress = this.cache.progress();
        if (closed || progress <= lastSent || sink.backlog() > 0) return;
        lastSent = progress;
        sink.send('BOOKMARK', JSON.stringify({ apiVersion: info.apiVersion, kind: info.kind, metadata: { resourceVersion: String(progress) } }));
      }, this.bookmarkIntervalMs);
      timer.unref();
    }
    return { resource: info.resource, close: () => handle.close() };
  }
}
