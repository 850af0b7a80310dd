// The one place where a gRPC call meets the server's rules, for every RPC alike:
//
//   authenticate ─▶ describe (RequestAttributes) ─▶ authorize ─▶ handler
//        │                                              │            │
//        └── Unauthorized                 Forbidden ────┘            └─▶ answer or ApiError
//   then: apiserver_request_total / _duration_seconds (Kubernetes' verbs and HTTP codes), and
//   the audit log.
//
// ApiError → gRPC status (toGrpcError) happens here and only here.
import { status as GrpcStatus } from '@grpc/grpc-js';
import { ApiError, REASON_TO_HTTP_STATUS, toGrpcError, type KubeObject, type UserInfo } from '@tugboat/api';
import { forbiddenError, type RequestAttributes } from '../auth/authorizer.js';
import type { Identity, RequestCredentials, Security } from '../auth/security.js';
import type { ApiServerMetrics } from '../metrics.js';
import { knownResource, type Attributes } from './request-attributes.js';
import type { IncomingCall, ServerStreamCall, ServerStreamHandler, StatusError, UnaryHandler } from './wire-server.js';

export type Log = (line: string) => void;

export interface HandlerDeps {
  readonly metrics: ApiServerMetrics;
  readonly log: Log;
  readonly security: Security;
  /** Kubernetes' escalation check before an RBAC object is written (see auth/rbac/escalation.ts). */
  readonly checkRbacWrite?: (user: UserInfo, object: KubeObject, oldObject: KubeObject | undefined, namespace: string) => Promise<ApiError | undefined>;
}

/** What a handler knows of its request beyond the message: who, and what was authorized. */
export interface RequestContext<P> {
  readonly user: UserInfo;
  readonly attrs: RequestAttributes;
  /** What describe() parsed (the object of a write), so handlers do not parse twice. */
  readonly parsed: P;
  /** Whether the user may also do this (a second check some requests need, e.g. Apply creating). */
  allowed(more: Partial<Attributes>): Promise<boolean>;
  /** Throws Forbidden unless the user may also do this. */
  require(more: Partial<Attributes>): Promise<void>;
}

export interface Described<P> {
  readonly attrs: Attributes;
  readonly parsed: P;
}

export type Describe<Req, P> = (req: Req) => Described<P>;

/** Bounded label values: known resources only. */
export function resourceLabel(resource: string): string {
  return resource === '' ? '' : knownResource(resource) ? resource : 'unknown';
}

/**
 * Kubernetes' metric verb for an RPC (rest/gate.ts metricVerb does it for the REST API), so
 * apiserver_request_total and _duration_seconds have one set of verbs whichever front door
 * a request came through, and Kubernetes' dashboards and SLO rules (verb=~"LIST|GET") work.
 */
const RPC_METRIC_VERB: Readonly<Record<string, string>> = {
  apply: 'APPLY', create: 'POST', get: 'GET', list: 'LIST', update: 'PUT', update_status: 'PUT', delete: 'DELETE', bind: 'POST', evict: 'POST',
  watch: 'WATCH', version: 'GET', review: 'POST', create_token: 'POST', logs: 'GET', exec: 'CONNECT',
};

export function rpcMetricVerb(rpcVerb: string): string {
  return RPC_METRIC_VERB[rpcVerb] ?? rpcVerb.toUpperCase();
}

/** The HTTP code the REST API answers a successful request of this metric verb with: 201 for a POST (create). */
export function successCode(metricVerb: string): number {
  return metricVerb === 'POST' ? 201 : 200;
}

export function report(log: Log, verb: string, err: unknown): void {
  // User errors are the caller's business; anything else is ours and worth a line.
  if (!(err instanceof ApiError) || err.reason === 'Internal') {
    log(`${verb}: internal error: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  }
}

/** Any thrown value as the gRPC status it ends a call with (ApiError's reason in the metadata). */
export function grpcStatus(err: unknown): StatusError {
  const ge = toGrpcError(err);
  return { code: ge.code ?? GrpcStatus.INTERNAL, details: ge.details ?? '', ...(ge.metadata ? { metadata: ge.metadata } : {}) };
}

/** One request in apiserver_request_total and _duration_seconds (`startedNs`: process.hrtime.bigint()). */
export function countRequest(deps: HandlerDeps, metricVerb: string, resource: string, code: number, startedNs: bigint): void {
  deps.metrics.requestTotal.inc({ verb: metricVerb, resource, code: String(code) });
  deps.metrics.requestDuration.observe({ verb: metricVerb, resource }, Number(process.hrtime.bigint() - startedNs) / 1e9);
}

export function httpCode(err: unknown): number {
  return err instanceof ApiError ? REASON_TO_HTTP_STATUS[err.reason] : 500;
}

/** What the gate learnt of a request so far, for metrics and the audit record. */
export interface GateState {
  identity?: Identity;
  attrs?: RequestAttributes;
  reason: string;
  decided?: 'allow' | 'forbid' | 'unauthenticated';
}

/**
 * Everything before a handler runs, for either wire format: authenticate, describe, authorize.
 * The REST API (rest/gate.ts) calls this too, so no rule lives in only one front door.
 */
export async function admitRequest<P>(
  deps: HandlerDeps,
  creds: RequestCredentials,
  describe: () => Described<P>,
  state: GateState,
): Promise<RequestContext<P>> {
  let identity: Identity;
  try {
    identity = await deps.security.authenticate(creds);
  } catch (e) {
    state.decided = e instanceof ApiError && e.reason === 'Forbidden' ? 'forbid' : 'unauthenticated';
    throw e;
  }
  state.identity = identity;
  const { attrs: a, parsed } = describe();
  const attrs: RequestAttributes = { ...a, user: identity.user };
  state.attrs = attrs;
  const d = await deps.security.authorize(attrs);
  state.reason = d.reason;
  if (d.decision !== 'allow') {
    state.decided = 'forbid';
    throw forbiddenError(attrs, d.reason);
  }
  state.decided = 'allow';
  const more = (m: Partial<Attributes>): RequestAttributes => ({ ...attrs, ...m, user: identity.user });
  return {
    user: identity.user,
    attrs,
    parsed,
    allowed: async (m) => (await deps.security.authorize(more(m))).decision === 'allow',
    require: async (m) => { await deps.security.require(more(m)); },
  };
}

function admit<Req, P>(deps: HandlerDeps, call: IncomingCall<Req>, describe: Describe<Req, P>, state: GateState): Promise<RequestContext<P>> {
  return admitRequest(deps, call.credentials, () => describe(call.request), state);
}

/** One audit record for a finished request (`method` is the RPC, or the HTTP method and URI). */
export function auditRequest(deps: HandlerDeps, method: string, peerAddress: string, state: GateState, received: Date, code: number, message?: string): void {
  deps.security.audit({
    method,
    user: state.identity?.user,
    ...(state.identity?.impersonator ? { impersonator: state.identity.impersonator } : {}),
    attrs: state.attrs,
    decision: state.decided ?? 'unauthenticated',
    reason: state.reason,
    code,
    ...(message !== undefined ? { message } : {}),
    sourceIP: peerAddress,
    received,
    completed: new Date(),
  });
}

function audit(deps: HandlerDeps, method: string, call: IncomingCall<unknown>, state: GateState, received: Date, code: number, message?: string): void {
  auditRequest(deps, method, call.credentials.peerAddress, state, received, code, message);
}

export function unary<Req, Res, P = undefined>(
  deps: HandlerDeps,
  method: string,
  verb: string,
  describe: Describe<Req, P>,
  fn: (req: Req, ctx: RequestContext<P>) => Promise<Res>,
): UnaryHandler<Req, Res> {
  const handle = (call: IncomingCall<Req>, callback: (err: StatusError | null, res?: Res) => void): void => {
    const started = process.hrtime.bigint();
    const received = new Date();
    const state: GateState = { reason: '' };
    const metricVerb = rpcMetricVerb(verb);
    // Counted with the HTTP code the REST API would have answered (Kubernetes' label values).
    const done = (code: number): void => countRequest(deps, metricVerb, resourceLabel(state.attrs?.resource ?? ''), code, started);
    admit(deps, call, describe, state).then((ctx) => fn(call.request, ctx)).then(
      (res) => {
        done(successCode(metricVerb));
        audit(deps, method, call, state, received, 200);
        callback(null, res);
      },
      (err: unknown) => {
        report(deps.log, verb, err);
        const ge = grpcStatus(err);
        done(httpCode(err));
        audit(deps, method, call, state, received, httpCode(err), err instanceof Error ? err.message : String(err));
        callback(ge);
      },
    );
  };
  return { kind: 'unary', handle };
}

/**
 * A server stream. `fn` runs the stream and resolves once it has set itself up; it ends the
 * stream through `finish` (normally or with an error). Long-lived, so counted, not timed;
 * audited when it ends.
 */
export function serverStream<Req, Res, P = undefined>(
  deps: HandlerDeps,
  method: string,
  verb: string,
  describe: Describe<Req, P>,
  fn: (call: ServerStreamCall<Req, Res>, finish: (err?: unknown) => void, ctx: RequestContext<P>) => Promise<void>,
): ServerStreamHandler<Req, Res> {
  const handle = (call: ServerStreamCall<Req, Res>): void => {
    const received = new Date();
    const state: GateState = { reason: '' };
    let finished = false;
    const finish = (err?: unknown): void => {
      if (finished) return;
      finished = true;
      const resource = resourceLabel(state.attrs?.resource ?? '');
      const metricVerb = rpcMetricVerb(verb);
      // A stream the client closed was served (Kubernetes counts such a watch as 200).
      if (call.cancelled) {
        deps.metrics.requestTotal.inc({ verb: metricVerb, resource, code: '200' });
        audit(deps, method, call, state, received, 200);
        return;
      }
      if (err === undefined) {
        deps.metrics.requestTotal.inc({ verb: metricVerb, resource, code: '200' });
        audit(deps, method, call, state, received, 200);
        call.end();
        return;
      }
      report(deps.log, verb, err);
      const ge = grpcStatus(err);
      deps.metrics.requestTotal.inc({ verb: metricVerb, resource, code: String(httpCode(err)) });
      audit(deps, method, call, state, received, httpCode(err), err instanceof Error ? err.message : String(err));
      call.end(ge);
    };
    call.onCancel(() => finish());
    admit(deps, call, describe, state).then((ctx) => fn(call, finish, ctx)).catch(finish);
  };
  return { kind: 'serverStream', handle };
}

/** describe() for requests that parse nothing beyond their attributes. */
export function attributesOnly<Req>(f: (req: Req) => Attributes): Describe<Req, undefined> {
  return (req) => ({ attrs: f(req), parsed: undefined });
}
