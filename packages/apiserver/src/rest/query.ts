// Query parameters (and DeleteOptions bodies) → typed options, pure. Names and accepted
// values are Kubernetes' (metav1.ListOptions, CreateOptions/UpdateOptions/PatchOptions,
// DeleteOptions, PodLogOptions); a value Kubernetes would refuse is BadRequest here too.
import { ApiError } from '@tugboat/api';
import type { FieldValidation } from '../registry/registry.js';
import { isPlainObject } from '../registry/object-meta.js';
import type { IncludeObject } from './table-types.js';

export interface ListQuery {
  readonly labelSelector: string;
  readonly fieldSelector: string;
  readonly limit: number;
  readonly continue: string;
  /** "" (most recent, a quorum read), "0" (any; served like "" here), or a revision. */
  readonly resourceVersion: string;
  readonly resourceVersionMatch: '' | 'NotOlderThan' | 'Exact';
  readonly allowWatchBookmarks: boolean;
  /** Seconds until the server ends a watch; undefined: the server picks. */
  readonly timeoutSeconds: number | undefined;
  readonly sendInitialEvents: boolean | undefined;
}

export interface WriteQuery {
  readonly dryRun: boolean;
  /** "" when not given. */
  readonly fieldManager: string;
  readonly fieldValidation: FieldValidation;
  /** PATCH with apply-patch+yaml: take fields other managers own. */
  readonly force: boolean;
}

export interface DeleteQuery {
  readonly dryRun: boolean;
  readonly gracePeriodSeconds?: number;
  readonly propagationPolicy?: string;
  readonly preconditionUid?: string;
  readonly preconditionResourceVersion?: string;
}

export interface LogQuery {
  readonly container: string;
  readonly follow: boolean;
  readonly previous: boolean;
  readonly timestamps: boolean;
  readonly tailLines?: number;
  readonly sinceSeconds?: number;
}

function bool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null || v === '' || v === 'false' || v === '0') return false;
  if (v === 'true' || v === '1') return true;
  throw new ApiError('BadRequest', `${name}: invalid value ${JSON.stringify(v)}: must be true or false`);
}

function int(q: URLSearchParams, name: string, min = 0): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v) || Number(v) < min) throw new ApiError('BadRequest', `${name}: invalid value ${JSON.stringify(v)}: must be an integer of at least ${min}`);
  return Number(v);
}

export function parseListQuery(q: URLSearchParams): ListQuery {
  const rvm = q.get('resourceVersionMatch') ?? '';
  if (rvm !== '' && rvm !== 'NotOlderThan' && rvm !== 'Exact') {
    throw new ApiError('BadRequest', `resourceVersionMatch: Unsupported value: ${JSON.stringify(rvm)}: supported values: "Exact", "NotOlderThan"`);
  }
  const rv = q.get('resourceVersion') ?? '';
  if (rv !== '' && !/^\d+$/.test(rv)) throw new ApiError('BadRequest', `invalid resourceVersion ${JSON.stringify(rv)}: must be a revision number`);
  const sie = q.get('sendInitialEvents');
  return {
    labelSelector: q.get('labelSelector') ?? '',
    fieldSelector: q.get('fieldSelector') ?? '',
    limit: int(q, 'limit') ?? 0,
    continue: q.get('continue') ?? '',
    resourceVersion: rv,
    resourceVersionMatch: rvm,
    allowWatchBookmarks: bool(q, 'allowWatchBookmarks'),
    timeoutSeconds: int(q, 'timeoutSeconds'),
    sendInitialEvents: sie === null ? undefined : bool(q, 'sendInitialEvents'),
  };
}

/** dryRun: only "All" exists (Kubernetes' rule); repeated or unknown values are refused. */
function dryRunOf(values: readonly string[]): boolean {
  if (values.length === 0) return false;
  for (const v of values) {
    if (v !== 'All') throw ApiError.invalid('DryRun', '', [{ path: 'dryRun', type: 'NotSupported', value: v, detail: 'supported values: "All"' }]);
  }
  return true;
}

export function parseWriteQuery(q: URLSearchParams): WriteQuery {
  const fv = q.get('fieldValidation') ?? '';
  let fieldValidation: FieldValidation;
  switch (fv) {
    case '':
    case 'Warn':
      fieldValidation = 'Warn';
      break;
    case 'Strict':
    case 'Ignore':
      fieldValidation = fv;
      break;
    default:
      throw new ApiError('BadRequest', `fieldValidation: invalid value ${JSON.stringify(fv)}: must be one of Ignore, Warn, or Strict`);
  }
  const fieldManager = q.get('fieldManager') ?? '';
  if (fieldManager.length > 128) {
    throw ApiError.invalid('Options', '', [{ path: 'fieldManager', type: 'TooLong', detail: 'may not be more than 128 bytes' }]);
  }
  return { dryRun: dryRunOf(q.getAll('dryRun')), fieldManager, fieldValidation, force: bool(q, 'force') };
}

/**
 * DeleteOptions from the query and the body, as Kubernetes merges them: the body is read
 * when present, the query fills what it does not say.
 */
export function parseDeleteOptions(q: URLSearchParams, body: string): DeleteQuery {
  let b: Record<string, unknown> = {};
  if (body.trim()) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (e) {
      throw new ApiError('BadRequest', `the DeleteOptions body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!isPlainObject(parsed)) throw new ApiError('BadRequest', 'the DeleteOptions body must be a JSON object');
    b = parsed;
  }
  const pre = isPlainObject(b['preconditions']) ? b['preconditions'] : {};
  const grace = typeof b['gracePeriodSeconds'] === 'number' ? b['gracePeriodSeconds'] : int(q, 'gracePeriodSeconds');
  const orphan = typeof b['orphanDependents'] === 'boolean' ? b['orphanDependents'] : q.has('orphanDependents') ? bool(q, 'orphanDependents') : undefined;
  let policy = typeof b['propagationPolicy'] === 'string' ? b['propagationPolicy'] : q.get('propagationPolicy') ?? undefined;
  // The deprecated orphanDependents is a propagation policy in other words.
  if (policy === undefined && orphan !== undefined) policy = orphan ? 'Orphan' : 'Background';
  const dryRunBody = Array.isArray(b['dryRun']) ? (b['dryRun'] as unknown[]).filter((v): v is string => typeof v === 'string') : [];
  const uid = typeof pre['uid'] === 'string' ? pre['uid'] : undefined;
  const rv = typeof pre['resourceVersion'] === 'string' ? pre['resourceVersion'] : undefined;
  return {
    dryRun: dryRunOf([...dryRunBody, ...q.getAll('dryRun')]),
    ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}),
    ...(policy ? { propagationPolicy: policy } : {}),
    ...(uid ? { preconditionUid: uid } : {}),
    ...(rv ? { preconditionResourceVersion: rv } : {}),
  };
}

export function parseLogQuery(q: URLSearchParams): LogQuery {
  const tail = int(q, 'tailLines');
  const since = int(q, 'sinceSeconds', 1);
  if (q.get('sinceTime')) throw new ApiError('BadRequest', 'sinceTime is not supported yet; use sinceSeconds (kubectl logs --since)');
  if (q.get('limitBytes')) throw new ApiError('BadRequest', 'limitBytes is not supported yet');
  return {
    container: q.get('container') ?? '',
    follow: bool(q, 'follow'),
    previous: bool(q, 'previous'),
    timestamps: bool(q, 'timestamps'),
    ...(tail !== undefined ? { tailLines: tail } : {}),
    ...(since !== undefined ? { sinceSeconds: since } : {}),
  };
}

export function parseIncludeObject(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject') ?? '';
  switch (v) {
    case '':
    case 'Metadata':
      return 'Metadata';
    case 'None':
    case 'Object':
      return v;
    default:
      throw new ApiError('BadRequest', `includeObject: Unsupported value: ${JSON.stringify(v)}: supported values: "None", "Metadata", "Object"`);
  }
}
