// Which watch event, if any, a change means for one watcher — Kubernetes' watch-cache rule
// for selectors: ADDED when an object starts matching, MODIFIED while it matches, DELETED
// when it is deleted or stops matching. Pure.
import type { KubeObject, WatchEventType } from '@tugboat/api';

export type Matcher = (obj: KubeObject) => boolean;

export interface ChangeView {
  readonly type: 'put' | 'delete';
  /** After the change (put only). */
  readonly object: KubeObject | undefined;
  /** Before the change, if etcd still had it. */
  readonly previous: KubeObject | undefined;
}

/** 'object' / 'prev' say which state to send ('stub' when a deleted object's state is gone). */
export type Decision = { readonly type: Exclude<WatchEventType, 'BOOKMARK'>; readonly send: 'object' | 'prev' };

export function decideWatchEvent(change: ChangeView, matches: Matcher): Decision | undefined {
  if (change.type === 'delete') {
    // Without the previous state we cannot test the selector; a DELETED for a key the
    // watcher never had is harmless, a missed one is not.
    if (!change.previous || matches(change.previous)) return { type: 'DELETED', send: 'prev' };
    return undefined;
  }
  const now = change.object;
  if (!now) return undefined;
  const nowMatches = matches(now);
  const before = change.previous;
  if (!before) return nowMatches ? { type: 'ADDED', send: 'object' } : undefined;
  const beforeMatches = matches(before);
  if (beforeMatches && nowMatches) return { type: 'MODIFIED', send: 'object' };
  if (nowMatches) return { type: 'ADDED', send: 'object' };
  if (beforeMatches) return { type: 'DELETED', send: 'prev' };
  return undefined;
}
