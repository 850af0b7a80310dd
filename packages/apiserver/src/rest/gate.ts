// The REST API's side of the one gate (grpc/handlers.ts admitRequest): authenticate the HTTP
// request, authorize what the router made of it, then — when the answer is complete — count
// it (apiserver_request_total with Kubernetes' verb and the HTTP code), time it, and audit it.
import type { IncomingMessage } from 'node:http';
import type { RequestCredentials } from '../auth/security.js';
import type { Attributes } from '../grpc/request-attributes.js';
import { admitRequest, auditRequest, report, resourceLabel, type GateState, type HandlerDeps, type RequestContext } from '../grpc/handlers.js';
import { httpCredentials } from './http-credentials.js';
import type { Route } from './router.js';

/**
 * Kubernetes' metric verb (its canonicalVerb/cleanVerb): GET of one object GET, of a
 * collection LIST or WATCH, PATCH with apply-patch+yaml APPLY, else the HTTP method.
 */
export function metricVerb(method: string, route: Route | undefined, contentType: string | undefined): string {
  if (route?.type === 'resource') {
    switch (route.verb) {
      case 'list': return 'LIST';
      case 'watch': return 'WATCH';
      case 'get': return 'GET';
      case 'create': return 'POST';
      case 'update': return 'PUT';
      case 'patch': return (contentType ?? '').startsWith('application/apply-patch') ? 'APPLY' : 'PATCH';
      case 'delete':
      case 'deletecollection': return 'DELETE';
    }
  }
  return method === 'HEAD' ? 'GET' : method;
}

export class RestRequest {
  readonly state: GateState = { reason: '' };
  private readonly started = process.hrtime.bigint();
  private readonly received = new Date();
  private done = false;
  /** Set once routed: what the metrics label and the audit record name. */
  route: Route | undefined;

  private readonly credentials: RequestCredentials;

  constructor(private readonly deps: HandlerDeps, readonly req: IncomingMessage) {
    this.credentials = httpCredentials(req);
  }

  admit<P = undefined>(attrs: Attributes, parsed?: P): Promise<RequestContext<P>> {
    return admitRequest(this.deps, this.credentials, () => ({ attrs, parsed: parsed as P }), this.state);
  }

  /**
   * Once per request, when its answer is complete: the counter, the duration (not for
   * long-running watches and followed logs, as Kubernetes leaves them out), the audit record.
   */
  finish(code: number, err?: unknown, longRunning = false): void {
    if (this.done) return;
    this.done = true;
    const verb = metricVerb(this.req.method ?? 'GET', this.route, this.req.headers['content-type']);
    const resource = resourceLabel(this.state.attrs?.resource ?? '');
    this.deps.metrics.requestTotal.inc({ verb, resource, code: String(code) });
    if (!longRunning) this.deps.metrics.requestDuration.observe({ verb, resource }, Number(process.hrtime.bigint() - this.started) / 1e9);
    if (err !== undefined) report(this.deps.log, verb, err);
    const message = err === undefined ? undefined : err instanceof Error ? err.message : String(err);
    auditRequest(this.deps, `${this.req.method ?? 'GET'} ${this.req.url ?? '/'}`, this.credentials.peerAddress, this.state, this.received, code, message);
  }
}
