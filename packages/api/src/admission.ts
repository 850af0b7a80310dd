// Admission: what the API server runs on every create, update and apply, before anything is
// written. Pure (no I/O), in a fixed order, each step in its own module:
//
//   input ─▶ size cap ─▶ kind registry ─▶ prune + type-check (schema/) ─▶ metadata
//         ─▶ defaults (defaults/) ─▶ validate (validation/) ─▶ immutability (with `old`)
//
// Every error is collected (not just the first) so a user fixes a manifest in one go.
import type { FieldError } from './errors.js';
import type { KubeObject } from './types.js';
import { kindInfo, KINDS, DEFAULT_NAMESPACE, type KindInfo } from './kinds.js';
import { generateName } from './names.js';
import { hasSchema, pruneObject, type PruneResult } from './schema/prune.js';
import { applyDefaults, podQOSClass } from './defaults/index.js';
import { KIND_RULES } from './validation/index.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './validation/meta.js';
import { checkUnsupportedFields } from './validation/unsupported.js';
import { isPlainObject, required, invalid } from './validation/field-errors.js';
import type { PodSpec } from 'kubernetes-types/core/v1.js';

export type Admission<T extends KubeObject = KubeObject> =
  | { ok: true; object: T; warnings: string[] }
  | { ok: false; errors: FieldError[]; warnings: string[] };

/** Objects larger than this (as JSON) are refused, as Kubernetes refuses them (etcd's limit is near). */
export const MAX_OBJECT_BYTES = 1024 * 1024;
/** The path of errors about the object as a whole (too large, not an object). */
export const OBJECT_SIZE_PATH = '<object>';

export function isTooLarge(errors: readonly FieldError[]): boolean {
  return errors.some((e) => e.path === OBJECT_SIZE_PATH && e.type === 'TooLong');
}

export interface AdmitOptions {
  /** Random source for metadata.generateName (tests pass a fixed one). */
  random?: () => number;
}

function fail(errors: FieldError[], warnings: string[] = []): Admission {
  return { ok: false, errors, warnings };
}

/** apiVersion/kind → the registry entry, or the errors Kubernetes would give. */
function resolveKind(obj: Record<string, unknown>): KindInfo | FieldError[] {
  const kind = obj['kind'];
  const apiVersion = obj['apiVersion'];
  const errs: FieldError[] = [];
  if (typeof kind !== 'string' || kind === '') errs.push(required('kind'));
  if (typeof apiVersion !== 'string' || apiVersion === '') errs.push(required('apiVersion'));
  if (errs.length) return errs;
  const info = kindInfo(kind as string);
  if (!info || !hasSchema(info.kind)) {
    return [invalid('kind', kind, `no kind "${String(kind)}" is registered for version "${String(apiVersion)}"`)];
  }
  if (info.apiVersion !== apiVersion) {
    const known = KINDS.filter((k) => k.kind === kind).map((k) => k.apiVersion);
    return [invalid('apiVersion', apiVersion, `no kind "${String(kind)}" is registered for version "${String(apiVersion)}" (${kind as string} is ${known.join(', ')})`)];
  }
  return info;
}

function under(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}

/**
 * Puts the errors in a stable order and drops repeats: type errors first (as a decoder would
 * report them), then the validators', then schema "Required" errors no validator already gave.
 * Errors about a value removed for its type only repeat the type error, so they go.
 */
function mergeErrors(pruned: PruneResult, validation: FieldError[]): FieldError[] {
  const typeErrors = pruned.errors.filter((e) => e.type !== 'Required');
  const schemaRequired = pruned.errors.filter((e) => e.type === 'Required');
  const seen = new Set<string>();
  const out: FieldError[] = [];
  const add = (e: FieldError): void => {
    const k = `${e.path}\u0000${e.type}`;
    if (seen.has(k)) return;
    seen.add(k);
    out.push(e);
  };
  typeErrors.forEach(add);
  for (const e of validation) {
    if (!pruned.removed.some((r) => under(e.path, r))) add(e);
  }
  // The OpenAPI "required" list is a fallback: a validator's own word on the field wins.
  const validated = new Set(out.map((e) => e.path));
  for (const e of schemaRequired) {
    if (!validated.has(e.path) && !pruned.removed.some((r) => under(e.path, r))) add(e);
  }
  // Identity first: errors about the object's name and metadata lead, as in Kubernetes.
  return [...out.filter((e) => under(e.path, 'metadata')), ...out.filter((e) => !under(e.path, 'metadata'))];
}

/** The value at a field path ("spec.rules[0].onPodConditions[1].status"), if any. */
function valueAt(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const m of path.matchAll(/([^.[\]]+)|\[([^\]]*)\]/g)) {
    const k = m[1] ?? m[2] ?? '';
    if (Array.isArray(cur)) cur = /^\d+$/.test(k) ? cur[Number(k)] : undefined;
    else if (isPlainObject(cur)) cur = cur[k];
    else return undefined;
  }
  return cur === '' ? undefined : cur;
}

function hasStatusSubresource(kind: string): boolean {
  return KIND_RULES[kind]?.validateStatus !== undefined;
}

/** Status on create, as Kubernetes' registries set it: users do not write status. */
function initialStatus(obj: KubeObject): void {
  switch (obj.kind) {
    case 'Pod':
      obj['status'] = { phase: 'Pending', qosClass: podQOSClass(obj['spec'] as PodSpec | undefined) };
      break;
    case 'Deployment':
    case 'ReplicaSet':
    case 'DaemonSet':
    case 'StatefulSet':
    case 'ReplicationController':
    case 'Job':
    case 'CronJob':
      obj['status'] = {};
      break;
    case 'Namespace':
      obj['status'] = { phase: 'Active' };
      break;
    case 'PodDisruptionBudget':
      // The disruption controller fills it in; until then the budget allows nothing.
      obj['status'] = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
      break;
    default:
      // Nodes register themselves with their status; other kinds have none.
      break;
  }
}

/**
 * What the API server runs on every create, update and apply: checks apiVersion/kind
 * (unknown kind → error at path "kind"), drops unknown fields (one warning each:
 * `unknown field "spec.foo"`), applies Kubernetes' defaults, validates every field, and with
 * `old` also checks immutable fields. Pure: no I/O; server-owned metadata (uid,
 * resourceVersion, creationTimestamp, generation) is the API server's business.
 *
 * Also as Kubernetes does: metadata.namespace defaults to "default" for namespaced kinds when
 * empty (callers that know a request namespace set it first) and is cleared for cluster-scoped
 * ones; metadata.generateName becomes a name on create; on create a Pod's status is
 * {phase: Pending, qosClass}, a Deployment's / ReplicaSet's {} and a Namespace's {phase: Active};
 * on update the status of those kinds and of Nodes is the stored one (status changes go
 * through admitStatus).
 */
export function admitObject(input: unknown, old?: KubeObject, options: AdmitOptions = {}): Admission {
  if (!isPlainObject(input)) return fail([{ path: OBJECT_SIZE_PATH, type: 'Invalid', detail: 'must be a JSON object' }]);
  const size = Buffer.byteLength(JSON.stringify(input));
  if (size > MAX_OBJECT_BYTES) {
    return fail([{ path: OBJECT_SIZE_PATH, type: 'TooLong', detail: `the object is ${size} bytes; it may not be more than ${MAX_OBJECT_BYTES} bytes` }]);
  }
  const info = resolveKind(input);
  if (Array.isArray(info)) return fail(info);

  // Users do not write status: on create the registry sets it (Nodes excepted, they register
  // with theirs), on update it is the stored one. What the input says there is not looked at.
  const ignoreStatus = hasStatusSubresource(info.kind) && (old !== undefined || info.kind !== 'Node');
  const source = ignoreStatus ? Object.fromEntries(Object.entries(input).filter(([k]) => k !== 'status')) : input;
  const { object: pruned, result } = pruneObject(source, info.kind);
  // apiVersion and kind lead, then metadata, as in every Kubernetes manifest.
  const obj: KubeObject = { apiVersion: info.apiVersion, kind: info.kind, metadata: {}, ...pruned };
  obj.apiVersion = info.apiVersion;
  obj.kind = info.kind;
  const { name, namespace, ...rest } = obj.metadata ?? {};
  const finalName = name || (!old && rest.generateName ? generateName(rest.generateName, options.random) : undefined);
  // Name and namespace lead the metadata, as Kubernetes prints them.
  obj.metadata = {
    ...(finalName ? { name: finalName } : {}),
    ...(info.namespaced ? { namespace: namespace || DEFAULT_NAMESPACE } : {}),
    ...rest,
  };

  applyDefaults(obj);
  if (!old) initialStatus(obj);
  else if (hasStatusSubresource(info.kind)) {
    if (old['status'] === undefined) delete obj['status'];
    else obj['status'] = structuredClone(old['status']);
  }

  const rules = KIND_RULES[info.kind];
  const errors: FieldError[] = [...validateObjectMeta(obj.metadata, 'metadata', { namespaced: info.namespaced, nameFn: rules?.nameFn ?? (() => []) })];
  errors.push(...(rules?.validate(obj) ?? []));
  if (old) {
    errors.push(...validateObjectMetaUpdate(obj.metadata, old.metadata, 'metadata'));
    errors.push(...(rules?.validateUpdate?.(obj, old) ?? []));
  }
  // What Tugboat cannot honour is said, never dropped: an error or a warning per field.
  const unsupported = checkUnsupportedFields(obj, old);
  errors.push(...unsupported.errors);
  const warnings = [...result.warnings, ...unsupported.warnings];
  // Kubernetes defaults before it validates: a required field that defaulting filled in
  // (a podFailurePolicy pattern's status) is not missing.
  const filled = { ...result, errors: result.errors.filter((e) => e.type !== 'Required' || valueAt(obj, e.path) === undefined) };
  const all = mergeErrors(filled, errors);
  if (all.length) return fail(all, warnings);
  return { ok: true, object: obj, warnings };
}

/**
 * Validates a status write (UpdateStatus) of `input` over the stored `old`: the result is
 * `old` with `input`'s status (pruned, type-checked, defaulted); spec and metadata changes in
 * `input` are ignored, as Kubernetes' status endpoints ignore them.
 */
export function admitStatus(input: KubeObject, old: KubeObject): Admission {
  if (!isPlainObject(input)) return fail([{ path: OBJECT_SIZE_PATH, type: 'Invalid', detail: 'must be a JSON object' }]);
  const kind = old.kind ?? input.kind ?? '';
  if (input.kind && old.kind && input.kind !== old.kind) return fail([invalid('kind', input.kind, `must be ${old.kind}`)]);
  const info = kindInfo(kind);
  const rules = KIND_RULES[kind];
  if (!info || !rules) return fail([invalid('kind', kind, `no kind "${kind}" is registered`)]);
  if (!rules.validateStatus) return fail([{ path: 'status', type: 'Forbidden', detail: `${kind} has no status` }]);
  const size = Buffer.byteLength(JSON.stringify(input['status'] ?? null));
  if (size > MAX_OBJECT_BYTES) return fail([{ path: OBJECT_SIZE_PATH, type: 'TooLong', detail: `the status is ${size} bytes; it may not be more than ${MAX_OBJECT_BYTES} bytes` }]);

  const { object: pruned, result } = pruneObject(input, info.kind, ['status']);
  // Only the status is new; the rest is old's, shared (nothing below changes it), except for
  // Nodes, whose defaults are applied to the whole object. A deep copy of every pod for each
  // status write was a measurable share of the API server's time at fleet scale.
  const obj: KubeObject = info.kind === 'Node' ? structuredClone(old) : { ...old };
  if (pruned['status'] === undefined) delete obj['status'];
  else obj['status'] = pruned['status'];
  if (info.kind === 'Node') applyDefaults(obj); // allocatable follows capacity
  const all = mergeErrors(result, rules.validateStatus(obj, old));
  if (all.length) return fail(all, result.warnings);
  return { ok: true, object: obj, warnings: result.warnings };
}

/**
 * Kubernetes' defaults only (restartPolicy Always, terminationGracePeriodSeconds 30, …);
 * returns a new object. Unknown fields and invalid values are left as they are, so this is
 * safe on any input (`tctl apply --dry-run=client` prints its result).
 */
export function defaultObject<T extends KubeObject>(obj: T): T {
  const copy = structuredClone(obj);
  const info = copy.kind ? kindInfo(copy.kind) : undefined;
  if (!info || copy.apiVersion !== info.apiVersion) return copy;
  const meta = (copy.metadata ??= {});
  if (info.namespaced && !meta.namespace) meta.namespace = DEFAULT_NAMESPACE;
  try {
    applyDefaults(copy);
  } catch {
    // A malformed object (a string where a list belongs) gets no defaults; the server will say why.
    return structuredClone(obj);
  }
  return copy;
}
