// The client side of list-then-watch (client-go's reflector feeding a store): objects by
// namespace/name, replaced by a list, changed by each watch event.
import type { ObjectMeta } from '@tugboat/api';
import type { WatchLine } from './watch-lines.js';

/** Anything with Kubernetes' metadata (Pod, Node, Event… from @tugboat/api). */
export interface Metadata { metadata?: ObjectMeta }

export function keyOf(obj: Metadata): string {
  const m = obj.metadata;
  return m?.namespace ? `${m.namespace}/${m.name ?? ''}` : (m?.name ?? '');
}

export type StoreStep =
  | { readonly type: 'changed'; readonly resourceVersion: string }
  /** A bookmark: nothing changed, but a later watch may start here. */
  | { readonly type: 'progress'; readonly resourceVersion: string }
  /** The watch failed (410 Expired: the revision was compacted): list again. */
  | { readonly type: 'relist'; readonly message: string };

/** Applies one watch event to `store` (mutated) and says what the reflector does next. */
export function applyWatchLine<T extends Metadata>(store: Map<string, T>, ev: WatchLine): StoreStep {
  const rv = ev.object.metadata?.resourceVersion ?? '';
  switch (ev.type) {
    case 'ADDED':
    case 'MODIFIED':
      store.set(keyOf(ev.object), ev.object as unknown as T);
      return { type: 'changed', resourceVersion: rv };
    case 'DELETED':
      store.delete(keyOf(ev.object));
      return { type: 'changed', resourceVersion: rv };
    case 'BOOKMARK':
      return { type: 'progress', resourceVersion: rv };
    case 'ERROR':
      return { type: 'relist', message: String((ev.object as { message?: unknown }).message ?? 'watch error') };
  }
}
