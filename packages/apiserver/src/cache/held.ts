// How a list-cache store holds its objects: as the decoded objects it is given (shared with
// the watch cache's changes, read on every request by the authorizers), or, for pods, as
// etcd's text of each with its revision and labels.
//
// Why pods are held as text: at 50,000 pods a decoded pod costs about 4 KB of heap even with
// its short strings shared, its etcd text about 2.3 KB, and that text is the very string the
// watch cache's window already holds for every pod changed in the last 75 s. Reads of a pod
// (a write's first read, a list) decode or splice it on demand: a list sent over gRPC is the
// texts with their resourceVersion spliced in, without decoding or encoding anything.
import { sharedStrings, type KubeObject } from '@tugboat/api';
import { decodeObject, encodeObject, type StoredValue } from '../registry/object-meta.js';

export type { StoredValue } from '../registry/object-meta.js';

/** A selectable field whose value picks a handful of objects (pods by spec.nodeName). */
export interface FieldIndex {
  readonly field: string;
  value(obj: KubeObject): string;
}

export interface Held<E> {
  /** The entry for `obj`, whose etcd text and revision are `stored` when known. */
  hold(obj: KubeObject, stored: StoredValue | undefined): E;
  /** The object: the entry itself, or a new copy each call when held as text. */
  object(e: E): KubeObject;
  labels(e: E): Readonly<Record<string, string>> | undefined;
  /** The index field's value, for a store with `index`. */
  indexValue(e: E, index: FieldIndex): string;
  /** etcd's text and revision; present exactly when entries are held as text. */
  stored?(e: E): StoredValue;
  /** The object's JSON as a client is sent it (resourceVersion included), when held as text. */
  json?(e: E): string;
}

/** Objects held as given; their short strings shared (see shared-strings.ts). */
export const HOLD_OBJECTS: Held<KubeObject> = {
  hold: (obj) => sharedStrings.shareAll(obj),
  object: (e) => e,
  labels: (e) => e.metadata?.labels,
  indexValue: (e, index) => index.value(e),
};

/** A pod as text, with what lists select on without decoding it. */
export interface HeldText extends StoredValue {
  readonly labels: Readonly<Record<string, string>> | undefined;
  /** The index field's value ('' without an index). */
  readonly indexed: string;
}

/** Objects held as etcd's text (see the header); `index` is the store's, computed once per change. */
export function holdText(index?: FieldIndex): Held<HeldText> {
  return {
    hold: (obj, stored) => ({
      value: stored?.value ?? encodeObject(obj),
      revision: stored?.revision ?? Number(obj.metadata?.resourceVersion),
      // Kept alone, the labels object does not keep the rest of the decoded pod.
      labels: sharedStrings.shareAll(obj.metadata?.labels),
      indexed: index ? sharedStrings.share(index.value(obj)) : '',
    }),
    object: (e) => decodeObject(e.value, e.revision),
    labels: (e) => e.labels,
    indexValue: (e) => e.indexed,
    stored: (e) => e,
    json: (e) => withResourceVersion(e.value, e.revision),
  };
}

/**
 * The JSON of a stored value with metadata.resourceVersion set, exactly as decodeObject then
 * JSON.stringify would give it (the key last in metadata), spliced into the text instead: no
 * parse, no encode. Falls back to those when the text has no top-level metadata object.
 */
export function withResourceVersion(value: string, revision: number): string {
  const body = metadataBody(value);
  const end = body < 0 ? -1 : skipValue(value, body - 1);
  if (end < 0) return JSON.stringify(decodeObject(value, revision));
  // `end` is just past metadata's closing brace; an empty metadata takes no comma.
  const close = end - 1;
  const field = `"resourceVersion":"${revision}"`;
  return `${value.slice(0, close)}${close === body ? '' : ','}${field}${value.slice(close)}`;
}

/**
 * Where the body of the top-level "metadata" object starts in compact JSON (JSON.stringify's
 * output, as every stored value is): the index after its `{`, or -1. Keys before it are
 * skipped with their values (strings, numbers, nested objects and arrays); stored objects
 * start with apiVersion and kind, so this reads a few dozen characters.
 */
export function metadataBody(text: string): number {
  if (text[0] !== '{') return -1;
  let i = 1;
  while (i < text.length && text[i] === '"') {
    const keyEnd = stringEnd(text, i);
    if (keyEnd < 0 || text[keyEnd] !== ':') return -1;
    const key = text.slice(i, keyEnd);
    const valueAt = keyEnd + 1;
    if (key === '"metadata"') return text[valueAt] === '{' ? valueAt + 1 : -1;
    const valueEnd = skipValue(text, valueAt);
    if (valueEnd < 0) return -1;
    if (text[valueEnd] !== ',') return -1;
    i = valueEnd + 1;
  }
  return -1;
}

/** The index after the string starting at `at` (a '"'), or -1. */
function stringEnd(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++; // backslash: the next character is escaped
    else if (c === 0x22) return i + 1;
  }
  return -1;
}

/** The index after the JSON value starting at `at`, or -1. */
function skipValue(text: string, at: number): number {
  const first = text[at];
  if (first === '"') return stringEnd(text, at);
  if (first !== '{' && first !== '[') {
    // A number, true, false or null: up to the next separator.
    let i = at;
    while (i < text.length && text[i] !== ',' && text[i] !== '}' && text[i] !== ']') i++;
    return i > at ? i : -1;
  }
  let depth = 0;
  for (let i = at; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      i = stringEnd(text, i) - 1;
      if (i < 0) return -1;
    } else if (c === '{' || c === '[') {
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}
