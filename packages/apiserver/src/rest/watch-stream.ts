// A watch over HTTP, as Kubernetes streams it: 200, chunked `application/json`, one
// {"type":…,"object":…} per line — ADDED / MODIFIED / DELETED / BOOKMARK, and ERROR with a
// Status when the watch ends in failure after it started (410 Expired when the revision was
// compacted away: the client lists again). Events come from the same WatchService the gRPC
// Watch reads; for `kubectl get -w` (Accept …as=Table) each event's object is a one-row Table,
// the column definitions only on the first.
import type { ServerResponse } from 'node:http';
import { ApiError, type KindInfo, type KubeObject, type WatchEventType } from '@tugboat/api';
import type { WatchService } from '../watch/watch-service.js';
import type { ListQuery } from './query.js';
import type { Representation } from './negotiate.js';
import { contentTypeOf } from './negotiate.js';
import { statusOf } from './status.js';
import { partialObjectMetadata, toTable } from './tables.js';
import type { IncludeObject } from './table-types.js';

/** Without timeoutSeconds, Kubernetes ends a watch after a random 30–60 min, spreading re-watches. */
const MIN_TIMEOUT_S = 1800;

export interface WatchStreamOptions {
  readonly info: KindInfo;
  readonly namespace: string;
  readonly query: ListQuery;
  readonly representation: Representation;
  readonly includeObject: IncludeObject;
  readonly now: () => Date;
  /** etcd's current revision, for Kubernetes' wording of a too-old resourceVersion. */
  readonly currentRevision: () => Promise<number>;
}

/** Kubernetes' message for a watch from a compacted revision: `too old resource version: 5 (120)`. */
export function tooOldError(requested: string, current: number | undefined): ApiError {
  return new ApiError('Expired', `too old resource version: ${requested || '0'} (${current ?? 0})`);
}

/** One event line; `objectJson` is inserted as is (no re-encoding of the object). */
export function eventLine(type: WatchEventType | 'ERROR', objectJson: string): string {
  return `{"type":"${type}","object":${objectJson}}\n`;
}

/**
 * Serves the watch. Resolves when it has started (events flow) or has been answered with an
 * error; `ended` is called once, when the stream is over (code 200, or the error's code).
 */
export async function serveWatch(
  watches: WatchService,
  res: ServerResponse,
  opts: WatchStreamOptions,
  ended: (code: number, err?: unknown) => void,
): Promise<void> {
  const { info, query, representation } = opts;
  if (query.sendInitialEvents) {
    // client-go falls back to list-then-watch when the server refuses a watch-list.
    throw new ApiError('BadRequest', 'sendInitialEvents (watch-list) is not supported yet: list, then watch from the list\'s resourceVersion');
  }
  let headersWritten = false;
  let first = true;
  let pending = 0;
  let finished = false;
  const writeHeaders = (): void => {
    if (headersWritten) return;
    headersWritten = true;
    res.writeHead(200, { 'Content-Type': contentTypeOf(representation), 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
  };
  // Events written since the socket's buffer filled: the WatchService cuts off a watcher that
  // falls too far behind. One 'drain' listener at a time, however many events wait.
  const write = (line: string): void => {
    writeHeaders();
    if (!res.write(line) && pending++ === 0) res.once('drain', () => { pending = 0; });
  };
  const objectJson = (type: WatchEventType, json: string): string => {
    switch (representation.type) {
      case 'json':
      case 'discovery':
        return json;
      case 'partial-metadata':
        return JSON.stringify(partialObjectMetadata(JSON.parse(json) as KubeObject, representation.version));
      case 'table': {
        const obj = JSON.parse(json) as KubeObject;
        if (type === 'BOOKMARK') return JSON.stringify({ kind: 'Table', apiVersion: `meta.k8s.io/${representation.version}`, metadata: { resourceVersion: obj.metadata?.resourceVersion }, rows: [] });
        const table = toTable(info.kind, [obj], { now: opts.now(), includeObject: opts.includeObject, noHeaders: !first });
        first = false;
        return JSON.stringify(table);
      }
    }
  };
  let open: { close(): void } | undefined;
  let timer: NodeJS.Timeout | undefined;
  const finish = (err?: ApiError): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    open?.close();
    if (!err) {
      if (headersWritten) res.end();
      else { writeHeaders(); res.end(); }
      ended(200);
      return;
    }
    const done = (e: ApiError): void => {
      // Kubernetes reports a failure after the stream began as an ERROR event, not a status line.
      write(eventLine('ERROR', JSON.stringify(statusOf(e))));
      res.end();
      ended(200, e);
    };
    if (err.reason === 'Expired') {
      opts.currentRevision().then((rev) => done(tooOldError(query.resourceVersion, rev)), () => done(tooOldError(query.resourceVersion, undefined)));
    } else done(err);
  };
  res.on('close', () => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    open?.close();
    ended(200);
  });

  open = await watches.start(
    {
      resource: info.resource,
      namespace: opts.namespace,
      labelSelector: query.labelSelector,
      fieldSelector: query.fieldSelector,
      resourceVersion: query.resourceVersion,
      allowBookmarks: query.allowWatchBookmarks,
    },
    {
      send: (type, json) => { if (!finished) write(eventLine(type, objectJson(type, json))); },
      backlog: () => pending,
      end: (err) => finish(err),
    },
  );
  if (finished) { open.close(); return; }
  writeHeaders();
  const timeoutS = query.timeoutSeconds ?? MIN_TIMEOUT_S * (1 + Math.random());
  timer = setTimeout(() => finish(), timeoutS * 1000);
  timer.unref();
}
