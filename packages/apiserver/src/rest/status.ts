// ApiError → Kubernetes' v1 Status (pure), the one place the REST API words its failures, so
// kubectl prints what it prints against Kubernetes:
//
//   Error from server (NotFound): pods "x" not found          message, reason
//   The Pod "x" is invalid: spec.containers[0].image: Required value
//                                                             details.kind/name + causes
//
// details are read back from the message where the registry wrote them (`pods "x" not
// found`, `Pod "x" is invalid`), since the object an error is about is not always the one in
// the path (creating in a missing namespace is `namespaces "ns" not found`).
import { ApiError, REASON_TO_HTTP_STATUS, formatFieldError, type ApiErrorReason, type FieldError, type FieldErrorType } from '@tugboat/api';
import { conflictCauses } from '../patch/index.js';

export interface StatusCause {
  readonly reason?: string;
  readonly message: string;
  readonly field?: string;
}

export interface StatusDetails {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
  readonly uid?: string;
  readonly causes?: readonly StatusCause[];
  readonly retryAfterSeconds?: number;
}

/** A meta/v1 Status. */
export interface Status {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Success' | 'Failure';
  readonly message?: string;
  readonly reason?: string;
  readonly details?: StatusDetails;
  readonly code: number;
}

/** Kubernetes' StatusReason for each of ours (most are the same word). */
function statusReason(reason: ApiErrorReason): string {
  switch (reason) {
    case 'Invalid':
    case 'BadRequest':
    case 'NotFound':
    case 'AlreadyExists':
    case 'Conflict':
    case 'Expired':
    case 'Unauthorized':
    case 'Forbidden':
    case 'RequestEntityTooLarge':
    case 'NotAcceptable':
    case 'UnsupportedMediaType':
    case 'MethodNotAllowed':
    case 'Timeout':
    case 'TooManyRequests':
      return reason;
    case 'Unavailable':
      return 'ServiceUnavailable';
    case 'Internal':
      return 'InternalError';
  }
}

/** metav1.CauseType of a field error. */
export function causeType(t: FieldErrorType): string {
  switch (t) {
    case 'Required': return 'FieldValueRequired';
    case 'Invalid': return 'FieldValueInvalid';
    case 'Duplicate': return 'FieldValueDuplicate';
    case 'NotSupported': return 'FieldValueNotSupported';
    case 'Forbidden': return 'FieldValueForbidden';
    case 'TooLong': return 'FieldValueTooLong';
    case 'TooMany': return 'FieldValueTooMany';
  }
}

/** kubectl prints each cause as `field: message`: the message is the error without its path. */
export function fieldCause(e: FieldError): StatusCause {
  const text = formatFieldError(e);
  return { reason: causeType(e.type), message: text.startsWith(`${e.path}: `) ? text.slice(e.path.length + 2) : text, field: e.path };
}

/** `deployments.apps` → kind "deployments", group "apps" (Kubernetes' qualified resource). */
function splitQualified(resource: string): { kind: string; group?: string } {
  const dot = resource.indexOf('.');
  return dot < 0 ? { kind: resource } : { kind: resource.slice(0, dot), group: resource.slice(dot + 1) };
}

/** What the object an error is about, from the registry's wording. */
export function detailsOf(err: ApiError): StatusDetails | undefined {
  // Server-side apply's conflicts: one cause per field, as Kubernetes lists them.
  const conflicts = err.reason === 'Conflict' ? conflictCauses(err) : undefined;
  if (conflicts) return { causes: conflicts.map((c) => ({ reason: c.reason, message: c.message, field: c.field })) };
  // An eviction a disruption budget refused: kubectl drain tells it by reason 429 and retries.
  if (err.causes.length) return { causes: err.causes.map((c) => ({ reason: c.reason, message: c.message })) };
  const named = /^([a-z][a-z0-9.-]*(?:\/[a-z]+)?) "([^"]*)" (?:not found|already exists|is forbidden)/.exec(err.message)
    ?? /^Operation cannot be fulfilled on ([a-z][a-z0-9./-]*) "([^"]*)"/.exec(err.message);
  if (named) {
    const { kind, group } = splitQualified(named[1]!);
    return { name: named[2]!, ...(group ? { group } : {}), kind };
  }
  if (err.reason === 'Invalid') {
    const m = /^([A-Z][A-Za-z]*) (?:"([^"]*)" )?is invalid/.exec(err.message);
    return {
      ...(m?.[2] ? { name: m[2] } : {}),
      ...(m ? { kind: m[1]! } : {}),
      causes: err.fieldErrors.map(fieldCause),
    };
  }
  if (err.reason === 'Internal') return { causes: [{ message: err.message }] };
  return undefined;
}

/** Any thrown value → the Status to answer with (unknown throws are 500 InternalError). */
export function statusOf(err: unknown): Status {
  const e = err instanceof ApiError ? err : new ApiError('Internal', err instanceof Error ? err.message : String(err));
  const details = detailsOf(e);
  // Kubernetes words an internal error with its prefix.
  const message = e.reason === 'Internal' && !e.message.startsWith('Internal error') ? `Internal error occurred: ${e.message}` : e.message;
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: statusReason(e.reason),
    ...(details ? { details } : {}),
    code: REASON_TO_HTTP_STATUS[e.reason],
  };
}

/** A delete that removed the object at once answers with this (Kubernetes' finalizeDelete). */
export function successStatus(details: StatusDetails): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details, code: 200 };
}
