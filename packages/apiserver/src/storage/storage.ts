// The narrow storage interface everything above it is written against (the shape of kine's
// backend: get, create, update(rev), delete(rev), list, watch). Values are opaque strings
// (the registry stores JSON); revisions are etcd's global revisions. Expected outcomes
// ("the key changed under you", "it already exists") are values, not exceptions; failures of
// the store itself are thrown as ApiError (mapped in storage/errors.ts, and only there).
import type { ApiError } from '@tugboat/api';

export interface KeyValue {
  readonly key: string;
  readonly value: string;
  /** The revision of the key's last change: the object's resourceVersion. */
  readonly modRevision: number;
  readonly createRevision: number;
}

/** A conditional write: ok with the revision it created, or the value that was there instead. */
export type WriteResult =
  | { readonly ok: true; readonly revision: number }
  | { readonly ok: false; readonly current: KeyValue | undefined };

/** One part of an atomic commit: each condition holds, or nothing is written. */
export type TxnOp =
  /** Writes `value` only if the key does not exist. */
  | { readonly type: 'create'; readonly key: string; readonly value: string; readonly ttlSeconds?: number }
  /** Writes `value` only if the key's mod revision is still `expectedRevision`. */
  | { readonly type: 'update'; readonly key: string; readonly value: string; readonly expectedRevision: number; readonly ttlSeconds?: number }
  /** Deletes the key only if its mod revision is still `expectedRevision`. */
  | { readonly type: 'delete'; readonly key: string; readonly expectedRevision: number };

/** A commit: ok with its revision, or the keys whose condition did not hold (nothing was written). */
export type CommitResult =
  | { readonly ok: true; readonly revision: number }
  | { readonly ok: false; readonly failed: readonly string[] };

export interface KeyOptions {
  /**
   * The key is deleted by the store this many seconds after the write at the earliest (an
   * etcd lease; Events, --event-ttl). Absent: the key stays until it is deleted. An update
   * gives the key a new TTL from the time of the update, as Kubernetes does for Events.
   */
  readonly ttlSeconds?: number;
}

export interface ListOptions {
  /** First key to return (inclusive); defaults to the prefix itself. */
  readonly startKey?: string;
  /** At most this many keys; 0 or absent: all. */
  readonly limit?: number;
  /** Read the store as of this revision (a pinned snapshot); absent: the latest. */
  readonly revision?: number;
}

export interface ListPage {
  readonly items: readonly KeyValue[];
  /** The revision the page was read at. */
  readonly revision: number;
  /** More keys follow the last one returned. */
  readonly more: boolean;
  /** Keys in [startKey, end of prefix) at that revision. */
  readonly count: number;
}

export type StorageEvent =
  | { readonly type: 'put'; readonly key: string; readonly value: string; readonly prevValue: string | undefined; readonly revision: number }
  | { readonly type: 'delete'; readonly key: string; readonly prevValue: string | undefined; readonly revision: number };

export interface WatchHandlers {
  /** Events in revision order. */
  onEvents(events: readonly StorageEvent[]): void;
  /**
   * The watch has seen every change up to `revision` (the events delivered so far, or a
   * progress notification from etcd). Used for bookmarks.
   */
  onProgress?(revision: number): void;
  /** The watch is over: reason Expired when the start revision was compacted, else Unavailable. */
  onError(err: ApiError): void;
}

export interface StorageWatch {
  /** Resolves with the revision the watch starts after, once it is established. */
  readonly started: Promise<number>;
  close(): void;
}

export interface Storage {
  get(key: string): Promise<KeyValue | undefined>;
  /** Writes only if the key does not exist. */
  create(key: string, value: string, options?: KeyOptions): Promise<WriteResult>;
  /** Writes only if the key's mod revision is still `expectedRevision`. */
  update(key: string, value: string, expectedRevision: number, options?: KeyOptions): Promise<WriteResult>;
  /** Deletes only if the key's mod revision is still `expectedRevision`. */
  delete(key: string, expectedRevision: number): Promise<WriteResult>;
  /**
   * Several conditional writes as one: all conditions hold and every write happens, or none
   * does (one etcd transaction). A Service and the ClusterIP and node ports it takes are
   * written this way, so two Services can never hold the same address.
   */
  commit(ops: readonly TxnOp[]): Promise<CommitResult>;
  /** Keys with the prefix, in key order. Throws ApiError Expired when `revision` was compacted. */
  list(prefix: string, options?: ListOptions): Promise<ListPage>;
  /** How many keys have the prefix now. */
  count(prefix: string): Promise<number>;
  /**
   * Changes under the prefix after `afterRevision` (absent: from now on). Compaction past
   * `afterRevision` ends the watch with ApiError Expired; a lost connection to the store is
   * resumed from the last revision seen, so no change is skipped.
   */
  watch(prefix: string, afterRevision: number | undefined, handlers: WatchHandlers): StorageWatch;
  currentRevision(): Promise<number>;
  /** Whether the store answers within `timeoutMs`. */
  healthy(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/** The first key after every key with this prefix (etcd's range_end for a prefix). */
export function prefixEnd(prefix: string): Buffer {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      const end = b.subarray(0, i + 1);
      end[i] = b[i]! + 1;
      return Buffer.from(end);
    }
  }
  return Buffer.from([0]);
}
