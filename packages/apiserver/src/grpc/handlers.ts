// The one place where handler outcomes become gRPC answers: ApiError → status code with the
// reason in trailing metadata (toGrpcError), and every request counted and timed.
import { status as GrpcStatus, type handleServerStreamingCall, type handleUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import { ApiError, resourceInfo, toGrpcError } from '@tugboat/api';
import type { ApiServerMetrics } from '../metrics.js';

/** Mutable per-request context: handlers fill in the resource once they know it. */
export interface RequestContext {
  resource: string;
}

/** Bounded label values: known resources only. */
function resourceLabel(resource: string): string {
  return resource && resourceInfo(resource) ? resource : resource === '' ? '' : 'unknown';
}

function codeName(code: number): string {
  return GrpcStatus[code] ?? String(code);
}

export type Log = (line: string) => void;

function report(log: Log, verb: string, err: unknown): void {
  // User errors are the caller's business; anything else is ours and worth a line.
  if (!(err instanceof ApiError) || err.reason === 'Internal') {
    log(`${verb}: internal error: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  }
}

export function unary<Req, Res>(
  metrics: ApiServerMetrics,
  log: Log,
  verb: string,
  initialResource: (req: Req) => string,
  fn: (req: Req, ctx: RequestContext) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const started = process.hrtime.bigint();
    const ctx: RequestContext = { resource: '' };
    const done = (code: number): void => {
      const resource = resourceLabel(ctx.resource);
      metrics.requestTotal.inc({ verb, resource, code: codeName(code) });
      metrics.requestDuration.observe({ verb, resource }, Number(process.hrtime.bigint() - started) / 1e9);
    };
    let p: Promise<Res>;
    try {
      ctx.resource = initialResource(call.request);
      p = fn(call.request, ctx);
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      (res) => { done(GrpcStatus.OK); callback(null, res); },
      (err: unknown) => {
        report(log, verb, err);
        const ge = toGrpcError(err);
        done(ge.code ?? GrpcStatus.UNKNOWN);
        callback(ge);
      },
    );
  };
}

/**
 * A server stream. `fn` runs the stream and resolves once it has set itself up; it ends the
 * stream through `finish` (normally or with an error). Long-lived, so counted, not timed.
 */
export function serverStream<Req, Res>(
  metrics: ApiServerMetrics,
  log: Log,
  verb: string,
  initialResource: (req: Req) => string,
  fn: (call: ServerWritableStream<Req, Res>, finish: (err?: unknown) => void, ctx: RequestContext) => Promise<void>,
): handleServerStreamingCall<Req, Res> {
  return (call) => {
    const ctx: RequestContext = { resource: '' };
    let finished = false;
    const finish = (err?: unknown): void => {
      if (finished) return;
      finished = true;
      const resource = resourceLabel(ctx.resource);
      if (call.cancelled) {
        metrics.requestTotal.inc({ verb, resource, code: codeName(GrpcStatus.CANCELLED) });
        return;
      }
      if (err === undefined) {
        metrics.requestTotal.inc({ verb, resource, code: codeName(GrpcStatus.OK) });
        call.end();
        return;
      }
      report(log, verb, err);
      const ge = toGrpcError(err);
      metrics.requestTotal.inc({ verb, resource, code: codeName(ge.code ?? GrpcStatus.UNKNOWN) });
      call.emit('error', ge);
    };
    call.on('cancelled', () => finish());
    try {
      ctx.resource = initialResource(call.request);
      fn(call, finish, ctx).catch(finish);
    } catch (e) {
      finish(e);
    }
  };
}
