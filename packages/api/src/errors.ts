// One error class for the API boundary, with a fixed list of reasons (Kubernetes' own
// StatusReason names). The server throws ApiError; the gRPC layer maps reason ↔ status code
// here and only here, so client and server agree.
import { status as GrpcStatus, Metadata } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';

export type ApiErrorReason =
  | 'Invalid'          // validation failed; fieldErrors says where
  | 'BadRequest'       // malformed request (bad JSON, bad selector, unknown kind)
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'         // stale resourceVersion, or already bound
  | 'Expired'          // watch from a compacted revision: relist
  | 'Unauthorized'     // no credentials, or credentials the server does not accept
  | 'Forbidden'        // authenticated but not allowed; or writing into a namespace that is terminating
  | 'RequestEntityTooLarge'
  | 'NotAcceptable'        // HTTP: no media type in Accept that the server can produce
  | 'UnsupportedMediaType' // HTTP: a request body (Content-Type) the server cannot read
  | 'MethodNotAllowed'     // HTTP: a method the path does not serve
  | 'Unavailable'      // etcd or a node cannot be reached
  | 'Timeout'
  | 'TooManyRequests'  // a limit says not now (an eviction a disruption budget refuses): retry later
  | 'Internal';

export type FieldErrorType = 'Required' | 'Invalid' | 'Duplicate' | 'NotSupported' | 'Forbidden' | 'TooLong' | 'TooMany';

/** One bad field, as Kubernetes reports it: `spec.containers[0].image: Required value`. */
export interface FieldError {
  path: string;
  type: FieldErrorType;
  /** The offending value, for Invalid / Duplicate / NotSupported. */
  value?: unknown;
  detail?: string;
}

/** Longest value an error message quotes in full: a 300 KB value made a message gRPC could not send. */
const MAX_QUOTED_VALUE = 256;

/** The first `max` UTF-16 units of `s`, one fewer where the cut would split a surrogate pair (an emoji). */
export function truncateText(s: string, max: number): string {
  if (s.length <= max) return s;
  const last = s.charCodeAt(max - 1);
  return s.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * `s` as well-formed Unicode: a lone surrogate (JSON may carry one, "\ud83d") becomes U+FFFD.
 * grpc-js percent-encodes the grpc-message trailer with encodeURI, which throws on one, and
 * that throw took the API server down.
 */
export function wellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, '\uFFFD');
}

function quoteValue(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length <= MAX_QUOTED_VALUE ? json : `${truncateText(json, MAX_QUOTED_VALUE)}… (${json.length} characters)`;
}

/**
 * `text` with control characters escaped as JSON would (`\n`, `\u0001`): a name or key taken
 * from a request and put into an error message must not break it over lines.
 */
export function escapeControl(text: string): string {
  // JSON's short forms where it has one (\n, \t), \u00XX otherwise (JSON leaves DEL as it is).
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => (c === '\x7f' ? '\\u007f' : JSON.stringify(c).slice(1, -1)));
}

export function formatFieldError(e: FieldError): string {
  const v = e.value === undefined ? '' : `: ${quoteValue(e.value)}`;
  const d = e.detail ? `: ${e.detail}` : '';
  // A map key in the path may hold a line break (`spec.selector[\n]`): escaped, the error stays one line.
  const path = escapeControl(e.path);
  switch (e.type) {
    case 'Required': return `${path}: Required value${d}`;
    case 'Invalid': return `${path}: Invalid value${v}${d}`;
    case 'Duplicate': return `${path}: Duplicate value${v}${d}`;
    case 'NotSupported': return `${path}: Unsupported value${v}${d}`;
    case 'Forbidden': return `${path}: Forbidden${d}`;
    case 'TooLong': return `${path}: Too long${d}`;
    case 'TooMany': return `${path}: Too many${d}`;
  }
}

/** A cause that is not a field (Kubernetes' StatusCause with a type of its own, e.g. DisruptionBudget). */
export interface ErrorCause {
  readonly reason: string;
  readonly message: string;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly causes: readonly ErrorCause[];
  constructor(
    readonly reason: ApiErrorReason,
    message: string,
    readonly fieldErrors: readonly FieldError[] = [],
    options?: { cause?: unknown; causes?: readonly ErrorCause[] },
  ) {
    super(message, options);
    this.causes = options?.causes ?? [];
  }

  /** `Pod "web" is invalid: spec.containers[0].image: Required value; metadata.name: …` */
  static invalid(kind: string, name: string, errors: readonly FieldError[]): ApiError {
    // Quoted as JSON: a name with a line break or a megabyte in it still makes one short line.
    const what = name ? `${kind} ${quoteValue(name)}` : kind;
    return new ApiError('Invalid', `${what} is invalid: ${errors.map(formatFieldError).join('; ')}`, errors);
  }

  static notFound(resource: string, name: string): ApiError {
    return new ApiError('NotFound', `${resource} ${quoteValue(name)} not found`);
  }
}

const REASON_TO_CODE: Record<ApiErrorReason, GrpcStatus> = {
  Invalid: GrpcStatus.INVALID_ARGUMENT,
  BadRequest: GrpcStatus.INVALID_ARGUMENT,
  NotFound: GrpcStatus.NOT_FOUND,
  AlreadyExists: GrpcStatus.ALREADY_EXISTS,
  Conflict: GrpcStatus.ABORTED,
  Expired: GrpcStatus.OUT_OF_RANGE,
  Unauthorized: GrpcStatus.UNAUTHENTICATED,
  Forbidden: GrpcStatus.PERMISSION_DENIED,
  RequestEntityTooLarge: GrpcStatus.RESOURCE_EXHAUSTED,
  NotAcceptable: GrpcStatus.INVALID_ARGUMENT,
  UnsupportedMediaType: GrpcStatus.INVALID_ARGUMENT,
  MethodNotAllowed: GrpcStatus.UNIMPLEMENTED,
  Unavailable: GrpcStatus.UNAVAILABLE,
  Timeout: GrpcStatus.DEADLINE_EXCEEDED,
  TooManyRequests: GrpcStatus.RESOURCE_EXHAUSTED,
  Internal: GrpcStatus.INTERNAL,
};

/** The HTTP status Kubernetes answers with for each reason (audit records, the HTTP API, metrics). */
export const REASON_TO_HTTP_STATUS: Record<ApiErrorReason, number> = {
  Invalid: 422,
  BadRequest: 400,
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Expired: 410,
  Unauthorized: 401,
  Forbidden: 403,
  RequestEntityTooLarge: 413,
  NotAcceptable: 406,
  UnsupportedMediaType: 415,
  MethodNotAllowed: 405,
  Unavailable: 503,
  Timeout: 504,
  TooManyRequests: 429,
  Internal: 500,
};

export const REASON_KEY = 'tugboat-reason';
const FIELD_ERRORS_KEY = 'tugboat-field-errors';
const CAUSES_KEY = 'tugboat-causes';

/** Metadata values travel in HTTP/2 headers, and grpc-js refuses one much over a few KiB. */
const MAX_FIELD_ERRORS_HEADER = 4096;
const MAX_MESSAGE = 4096;

/** JSON in printable ASCII (the rest \\u-escaped, which JSON.parse undoes): grpc-js throws on any other byte in a metadata value. */
function asciiJson(v: unknown): string {
  return JSON.stringify(v).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The field errors as a metadata value: printable ASCII only (grpc-js throws on anything
 * else, which took the server down), so the rest is \u-escaped, JSON.parse undoes that. Too
 * big with the values, the values go; too big even then, the header goes (the message keeps
 * the text).
 */
export function fieldErrorsHeader(errors: readonly FieldError[]): string | undefined {
  if (!errors.length) return undefined;
  const full = asciiJson(errors);
  if (full.length <= MAX_FIELD_ERRORS_HEADER) return full;
  const bare = asciiJson(errors.map(({ value: _value, ...rest }) => rest));
  return bare.length <= MAX_FIELD_ERRORS_HEADER ? bare : undefined;
}

/** Server side: any thrown value → a gRPC error carrying the reason in trailing metadata. */
export function toGrpcError(err: unknown): Partial<ServiceError> {
  const e = err instanceof ApiError ? err : new ApiError('Internal', err instanceof Error ? err.message : String(err), [], { cause: err });
  const metadata = new Metadata();
  metadata.set(REASON_KEY, e.reason);
  const fieldErrors = fieldErrorsHeader(e.fieldErrors);
  if (fieldErrors) metadata.set(FIELD_ERRORS_KEY, fieldErrors);
  if (e.causes.length) {
    const causes = asciiJson(e.causes);
    if (causes.length <= MAX_FIELD_ERRORS_HEADER) metadata.set(CAUSES_KEY, causes);
  }
  // The message travels as the grpc-message trailer; one far over the peer's header limit never arrives and the call hangs.
  const message = wellFormed(e.message.length <= MAX_MESSAGE ? e.message : `${truncateText(e.message, MAX_MESSAGE)}… (truncated)`);
  return { code: REASON_TO_CODE[e.reason], details: message, message, metadata };
}

function isServiceError(err: unknown): err is ServiceError {
  return typeof err === 'object' && err !== null && 'code' in err && typeof (err as { code: unknown }).code === 'number';
}

const CODE_TO_REASON = new Map<number, ApiErrorReason>([
  [GrpcStatus.INVALID_ARGUMENT, 'BadRequest'],
  [GrpcStatus.NOT_FOUND, 'NotFound'],
  [GrpcStatus.ALREADY_EXISTS, 'AlreadyExists'],
  [GrpcStatus.ABORTED, 'Conflict'],
  [GrpcStatus.OUT_OF_RANGE, 'Expired'],
  [GrpcStatus.UNAUTHENTICATED, 'Unauthorized'],
  [GrpcStatus.PERMISSION_DENIED, 'Forbidden'],
  [GrpcStatus.RESOURCE_EXHAUSTED, 'RequestEntityTooLarge'],
  [GrpcStatus.UNAVAILABLE, 'Unavailable'],
  [GrpcStatus.DEADLINE_EXCEEDED, 'Timeout'],
  // A server that lacks a method (an older version) says so without a reason.
  [GrpcStatus.UNIMPLEMENTED, 'MethodNotAllowed'],
]);

const REASONS = new Set<string>(Object.keys(REASON_TO_CODE));

/** Client side: a gRPC error (or anything thrown) → ApiError. */
export function fromGrpcError(err: unknown, address?: string): ApiError {
  if (err instanceof ApiError) return err;
  if (!isServiceError(err)) return new ApiError('Internal', err instanceof Error ? err.message : String(err), [], { cause: err });
  const md = err.metadata;
  const reasonValue = md?.get(REASON_KEY)[0];
  const reason: ApiErrorReason =
    typeof reasonValue === 'string' && REASONS.has(reasonValue) ? (reasonValue as ApiErrorReason) : CODE_TO_REASON.get(err.code) ?? 'Internal';
  let fieldErrors: FieldError[] = [];
  const fe = md?.get(FIELD_ERRORS_KEY)[0];
  if (typeof fe === 'string') {
    try { fieldErrors = JSON.parse(fe) as FieldError[]; } catch { /* keep the message */ }
  }
  let causes: ErrorCause[] = [];
  const ca = md?.get(CAUSES_KEY)[0];
  if (typeof ca === 'string') {
    try { causes = JSON.parse(ca) as ErrorCause[]; } catch { /* keep the message */ }
  }
  // A server that never answered gives UNAVAILABLE with no reason metadata.
  if (err.code === GrpcStatus.UNAVAILABLE && reasonValue === undefined) {
    return new ApiError('Unavailable', `cannot reach the API server${address ? ` at ${address}` : ''}: ${err.details}`, [], { cause: err });
  }
  return new ApiError(reason, err.details || err.message, fieldErrors, { cause: err, causes });
}
