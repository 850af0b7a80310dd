// JSON patch (RFC 6902) with the behaviour of the library Kubernetes' API server applies it
// with (evanphx/json-patch v4), quirks included, because clients are written against those:
//   - "replace" of a missing object key adds it (only a missing parent or list index fails);
//   - negative list indices count from the end;
//   - "copy" from a missing key copies null; "test" treats a missing key and null alike;
//   - the path "" is the whole document for "replace" and "test" only.
// Failures are worded as that library words them; the API server answers them with 422
// (reason Invalid), a malformed patch with 400, and more than 10,000 operations with 413.
import { ApiError } from '@tugboat/api';
import { clone, deepEqual, isObject, parseBody, type Json, type JsonObject } from './json.js';

/** Kubernetes' limit (maxJSONPatchOperations in its patch handler). */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;

type Op = 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
const OPS: ReadonlySet<string> = new Set<Op>(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/** A failed operation: the API server answers 422. */
class OperationError extends Error {}

export function applyJsonPatch(doc: JsonObject, body: string): JsonObject {
  const ops = decode(body);
  let root: Json = clone(doc);
  try {
    for (const op of ops) root = applyOne(root, op);
  } catch (err) {
    if (err instanceof OperationError) throw new ApiError('Invalid', err.message, [], { cause: err });
    throw err;
  }
  if (!isObject(root)) throw new ApiError('BadRequest', 'the JSON patch made the object something other than a JSON object');
  return root;
}

function decode(body: string): JsonObject[] {
  const parsed = parseBody(body, 'patch');
  if (!Array.isArray(parsed)) {
    throw new ApiError('BadRequest', `json: cannot unmarshal ${jsonKind(parsed)} into Go value of type jsonpatch.Patch`);
  }
  const bad = parsed.find((op) => !isObject(op));
  if (bad !== undefined) {
    throw new ApiError('BadRequest', `json: cannot unmarshal ${jsonKind(bad)} into Go value of type jsonpatch.Operation`);
  }
  if (parsed.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new ApiError('RequestEntityTooLarge', `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${parsed.length}`);
  }
  return parsed as JsonObject[];
}

function jsonKind(v: Json): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'object' : typeof v;
}

function applyOne(root: Json, op: JsonObject): Json {
  const kind = typeof op['op'] === 'string' ? op['op'] : 'unknown';
  if (!OPS.has(kind)) throw new OperationError(`Unexpected kind: ${kind}`);
  const path = typeof op['path'] === 'string' ? op['path'] : undefined;
  // A missing "value" is null, as the library reads it.
  const value: Json = op['value'] === undefined ? null : op['value'];
  switch (kind as Op) {
    case 'add': {
      if (path === undefined) throw new OperationError('add operation failed to decode path: missing value');
      const at = find(root, path);
      if (!at) throw new OperationError(`add operation does not apply: doc is missing path: "${path}": missing value`);
      wrap(() => add(at, clone(value)), `error in add for path: '${path}'`);
      return root;
    }
    case 'remove': {
      if (path === undefined) throw new OperationError('remove operation failed to decode path: missing value');
      const at = find(root, path);
      if (!at) throw new OperationError(`remove operation does not apply: doc is missing path: "${path}": missing value`);
      wrap(() => remove(at), `error in remove for path: '${path}'`);
      return root;
    }
    case 'replace': {
      if (path === undefined) throw new OperationError('replace operation failed to decode path: operation missing path field: missing value');
      if (path === '') {
        if (!isObject(value) && !Array.isArray(value)) throw new OperationError('replace operation value must be object or array');
        return clone(value);
      }
      const at = find(root, path);
      if (!at) throw new OperationError(`replace operation does not apply: doc is missing path: ${path}: missing value`);
      if (Array.isArray(at.container) && tryGet(at) instanceof Error) {
        throw new OperationError(`replace operation does not apply: doc is missing key: ${path}: missing value`);
      }
      set(at, clone(value));
      return root;
    }
    case 'move':
    case 'copy': {
      const from = typeof op['from'] === 'string' ? op['from'] : undefined;
      if (from === undefined) throw new OperationError(`${kind} operation failed to decode from: operation, missing from field: missing value`);
      const src = find(root, from);
      if (!src) throw new OperationError(`${kind} operation does not apply: doc is missing from path: ${from}: missing value`);
      const got = tryGet(src);
      if (got instanceof Error) throw new OperationError(`error in ${kind} for ${kind === 'move' ? 'path' : 'from'}: '${kind === 'move' ? src.key : from}': ${got.message}`);
      if (kind === 'move') wrap(() => remove(src), `error in move for path: '${src.key}'`);
      if (path === undefined) throw new OperationError(`${kind} operation failed to decode path: missing value`);
      const dst = find(root, path);
      if (!dst) throw new OperationError(`${kind} operation does not apply: doc is missing destination path: ${path}: missing value`);
      wrap(() => add(dst, kind === 'copy' ? clone(got ?? null) : (got ?? null)), kind === 'move' ? `error in move for path: '${path}'` : 'error while adding value during copy');
      return root;
    }
    case 'test': {
      if (path === undefined) throw new OperationError('test operation failed to decode path: operation missing path field: missing value');
      if (path === '') {
        if (deepEqual(root, value)) return root;
        throw new OperationError(`testing value ${path} failed: test failed`);
      }
      const at = find(root, path);
      if (!at) throw new OperationError(`test operation does not apply: is missing path: ${path}: missing value`);
      const got = tryGet(at);
      if (got instanceof Error) throw new OperationError(`error in test for path: '${path}': ${got.message}`);
      // A missing key and an explicit null are the same value to the library.
      if (deepEqual(got ?? null, value)) return root;
      throw new OperationError(`testing value ${path} failed: test failed`);
    }
  }
}

/** The container a pointer's last token is in, and that token. */
interface Location { container: JsonObject | Json[]; key: string }

/** RFC 6901: "~1" is "/", "~0" is "~" (in that order). */
function unescape(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function find(root: Json, path: string): Location | undefined {
  const tokens = path.split('/');
  if (tokens.length < 2) return undefined;
  let node: Json = root;
  for (const raw of tokens.slice(1, -1)) {
    if (!isObject(node) && !Array.isArray(node)) return undefined;
    const next = tryGet({ container: node, key: unescape(raw) });
    if (next instanceof Error || next === undefined || next === null) return undefined;
    node = next;
  }
  if (!isObject(node) && !Array.isArray(node)) return undefined;
  return { container: node, key: unescape(tokens[tokens.length - 1]!) };
}

function indexError(idx: number): Error {
  return new Error(`Unable to access invalid index: ${idx}: invalid index referenced`);
}

function parseIndex(key: string): number | Error {
  if (!/^[+-]?\d+$/.test(key)) return new Error(`strconv.Atoi: parsing ${JSON.stringify(key)}: invalid syntax`);
  return Number.parseInt(key, 10);
}

/** The value at a location: undefined for a missing object key, an Error for a bad list index. */
function tryGet(at: Location): Json | undefined | Error {
  if (!Array.isArray(at.container)) return Object.hasOwn(at.container, at.key) ? at.container[at.key] : undefined;
  const idx = parseIndex(at.key);
  if (idx instanceof Error) return idx;
  const list = at.container;
  const i = idx < 0 ? idx + list.length : idx;
  if (i < 0 || i >= list.length) return indexError(idx);
  return list[i];
}

function add(at: Location, value: Json): void {
  if (!Array.isArray(at.container)) {
    at.container[at.key] = value;
    return;
  }
  const list = at.container;
  if (at.key === '-') {
    list.push(value);
    return;
  }
  const idx = parseIndex(at.key);
  if (idx instanceof Error) throw new Error(`value was not a proper array index: '${at.key}': ${idx.message}`);
  const size = list.length + 1;
  if (idx >= size || idx < -size) throw indexError(idx);
  list.splice(idx < 0 ? idx + size : idx, 0, value);
}

function remove(at: Location): void {
  if (!Array.isArray(at.container)) {
    if (!Object.hasOwn(at.container, at.key)) throw new Error(`Unable to remove nonexistent key: ${at.key}: missing value`);
    delete at.container[at.key];
    return;
  }
  const list = at.container;
  const idx = parseIndex(at.key);
  if (idx instanceof Error) throw idx;
  if (idx >= list.length || idx < -list.length) throw indexError(idx);
  list.splice(idx < 0 ? idx + list.length : idx, 1);
}

function set(at: Location, value: Json): void {
  if (!Array.isArray(at.container)) {
    at.container[at.key] = value;
    return;
  }
  const idx = parseIndex(at.key) as number; // checked by tryGet
  at.container[idx < 0 ? idx + at.container.length : idx] = value;
}

function wrap(fn: () => void, context: string): void {
  try {
    fn();
  } catch (err) {
    throw new OperationError(`${context}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
