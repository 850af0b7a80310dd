// The API server's gRPC wire: node:http2 sessions on the TLS connections tls-mux.ts hands
// over, each HTTP/2 stream one call, in place of @grpc/grpc-js's server.
//
//   stream (POST /tugboat.v1.Objects/Get, content-type application/grpc)
//     ─▶ route by :path ─▶ read one length-prefixed message (≤ 4 MiB, identity/gzip/deflate)
//     ─▶ requestDeserialize (proto-loader's) ─▶ handler (grpc/handlers.ts: the gate, then the work)
//     ◀─ unary: HEADERS, one DATA message, trailers grpc-status/grpc-message/metadata
//     ◀─ server stream: HEADERS, a DATA message per write, then the trailers
//     ⇄  bidirectional stream: the handler starts at once; each request message is handed
//        over as it arrives, each write is a DATA message, the trailers end it
//     ◀─ an error before any message: one trailers-only HEADERS frame
//
// Why: the API server is the busiest process at fleet scale, and every request and heartbeat
// of every component passed through grpc-js's per-call machinery (interceptor chain, a
// Metadata object built from the headers, a call object per layer). In a profile of
// bench:density on 1,000 hollow nodes that was a fifth of the API server's CPU. The wire is
// the same gRPC over HTTP/2 (PROTOCOL-HTTP2.md), so grpc-js clients (watches, log streams),
// the bare-HTTP/2 unary channel and any other gRPC client see no difference: the statuses, and
// grpc-js's wording of them ("The server does not implement the method …", "Deadline
// exceeded", "Received message larger than max (… vs …)"), are as grpc-js's server sent them.
import http2 from 'node:http2';
import type { Socket } from 'node:net';
import { TLSSocket, type PeerCertificate } from 'node:tls';
import { gunzipSync, inflateSync } from 'node:zlib';
import { status as GrpcStatus, type Metadata } from '@grpc/grpc-js';
import type { RequestCredentials } from '../auth/security.js';

/** A gRPC status to end a call with (ApiError → this is toGrpcError's job). */
export interface StatusError {
  readonly code: number;
  readonly details: string;
  readonly metadata?: Metadata;
}

/** A call as a handler sees it: the decoded request and who sent it. */
export interface IncomingCall<Req> {
  readonly request: Req;
  readonly credentials: RequestCredentials;
}

/** A server-streaming call: messages out until `end`, or until the client goes away. */
export interface ServerStreamCall<Req, Res> extends IncomingCall<Req> {
  /** False when the stream's buffer is over its high-water mark: wait for onDrain. */
  write(message: Res): boolean;
  /** Messages written and not yet handed to the connection (a slow reader's backlog, in messages). */
  readonly backlog: number;
  /** The client cancelled, the connection went, or the deadline passed. */
  readonly cancelled: boolean;
  onCancel(listener: () => void): void;
  onDrain(listener: () => void): void;
  /** Once the stream is gone, whichever way it ended. */
  onClose(listener: () => void): void;
  /** Ends the call: OK, or the error's status. */
  end(err?: StatusError): void;
}

/** A bidirectional stream: messages in as they arrive, messages out until `end`. */
export interface BidiStreamCall<Req, Res> extends Omit<ServerStreamCall<undefined, Res>, 'request'> {
  /** Each request message, in order (those that came before the listener are kept for it). */
  onMessage(listener: (message: Req) => void): void;
  /** The client sent its last message (it may still read). */
  onHalfClose(listener: () => void): void;
}

// Method syntax on purpose: a handler of a specific request type is a handler of the service's
// method (the definitions are typed per method, the table is not).
export interface UnaryHandler<Req, Res> {
  readonly kind: 'unary';
  handle(call: IncomingCall<Req>, respond: (err: StatusError | null, res?: Res) => void): void;
}

export interface ServerStreamHandler<Req, Res> {
  readonly kind: 'serverStream';
  handle(call: ServerStreamCall<Req, Res>): void;
}

export interface BidiStreamHandler<Req, Res> {
  readonly kind: 'bidiStream';
  handle(call: BidiStreamCall<Req, Res>): void;
}

export type MethodHandler = UnaryHandler<never, unknown> | ServerStreamHandler<never, unknown> | BidiStreamHandler<never, unknown>;

/** A service's handlers by method name (the proto's name: Get, Watch, …). */
export type ServiceHandlers = Readonly<Record<string, MethodHandler>>;

/** What the server needs of proto-loader's method definition. */
export interface WireMethod {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  requestDeserialize(bytes: Buffer): unknown;
  responseSerialize(value: never): Buffer;
}

export interface WireServerOptions {
  /** A request message larger than this is refused with RESOURCE_EXHAUSTED (grpc-js's default is 4 MiB). */
  readonly maxReceiveBytes: number;
}

interface Route {
  readonly method: WireMethod;
  readonly handler: MethodHandler;
}

const RESPONSE_HEADERS: http2.OutgoingHttpHeaders = {
  ':status': 200,
  'content-type': 'application/grpc+proto',
};

const OK_TRAILERS: http2.OutgoingHttpHeaders = { 'grpc-status': '0', 'grpc-message': 'OK' };

const TIMEOUT_UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 0.001, n: 0.000001 };

/** The deadline a grpc-timeout header gives, in ms from now; undefined when it is malformed. */
export function parseGrpcTimeout(value: string): number | undefined {
  const m = /^(\d{1,8})\s*([HMSmun])$/.exec(value.trim());
  return m ? Number(m[1]) * TIMEOUT_UNIT_MS[m[2]!]! : undefined;
}

/** One message in gRPC's length-prefixed framing, uncompressed. */
export function frameMessage(bytes: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(5 + bytes.length);
  frame[0] = 0;
  frame.writeUInt32BE(bytes.length, 1);
  bytes.copy(frame, 5);
  return frame;
}

function statusHeaders(err: StatusError): http2.OutgoingHttpHeaders {
  return {
    ...(err.metadata ? err.metadata.toHttp2Headers() : {}),
    'grpc-status': String(err.code),
    'grpc-message': encodeMessage(err.details),
  };
}

/**
 * grpc-js's server percent-encodes the message with encodeURI, and its client decodes it so.
 * encodeURI throws on a lone surrogate (a message cut inside an emoji): such a one is replaced.
 */
function encodeMessage(details: string): string {
  try {
    return encodeURI(details);
  } catch {
    return encodeURI(details.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'));
  }
}

/** The gate's view of a call: the verified client certificate, the headers, the peer. */
function credentialsOf(headers: http2.IncomingHttpHeaders, socket: unknown): RequestCredentials {
  let cert: PeerCertificate | undefined;
  let peer = '';
  if (socket instanceof TLSSocket) {
    // Only a certificate that chained to the client CA (the TLS server asks for one but lets a
    // client without one through, for bearer tokens). Cached per connection: see
    // auth/authn/peer-certificate-cache.ts.
    if (socket.authorized) {
      const c = socket.getPeerCertificate();
      if (c && c.raw) cert = c;
    }
    peer = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  }
  return {
    ...(cert ? { peerCertificate: cert } : {}),
    // Node joins a repeated header's values with ", " (as grpc-js's Metadata then held them).
    header: (name) => {
      const v = headers[name];
      return v === undefined ? [] : Array.isArray(v) ? v : [String(v)];
    },
    headerNames: () => Object.keys(headers).filter((k) => k.charCodeAt(0) !== 58 /* ':' */),
    peerAddress: peer,
  };
}

export class GrpcWireServer {
  private readonly routes = new Map<string, Route>();
  private readonly h2: http2.Http2Server;
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private shuttingDown = false;

  constructor(private readonly options: WireServerOptions) {
    // As grpc-js's server: Node's 10 MB session memory cap makes nghttp2 answer a large request
    // with ENHANCE_YOUR_CALM and drop the session; the cap is lifted, the message size is not.
    this.h2 = http2.createServer({ maxSessionMemory: Number.MAX_SAFE_INTEGER, maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER });
    this.h2.on('session', (session: http2.ServerHttp2Session) => {
      this.sessions.add(session);
      session.once('close', () => this.sessions.delete(session));
      // A connection's failure is its streams' failure (each sees 'close'); nothing to log.
      session.on('error', () => undefined);
    });
    this.h2.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => this.onStream(stream, headers));
  }

  /** Serves `handlers` for a service definition's methods; a missing handler is a startup error. */
  addService(service: Readonly<Record<string, WireMethod>>, handlers: ServiceHandlers): void {
    for (const [name, method] of Object.entries(service)) {
      const handler = handlers[name];
      if (!handler) throw new Error(`no handler for ${method.path}`);
      const kind = method.requestStream ? (method.responseStream ? 'bidiStream' : 'clientStream') : method.responseStream ? 'serverStream' : 'unary';
      if (kind !== handler.kind) throw new Error(`${method.path} is ${kind}, its handler ${handler.kind}`);
      this.routes.set(method.path, { method, handler });
    }
  }

  /** An established connection whose ALPN said h2 (tls-mux.ts), or a plain one (tests). */
  injectConnection(socket: Socket): void {
    if (this.shuttingDown) { socket.destroy(); return; }
    this.h2.emit('connection', socket);
  }

  /** Stops taking calls (GOAWAY) and calls back once the calls in flight have finished. */
  tryShutdown(callback: () => void): void {
    this.shuttingDown = true;
    if (this.sessions.size === 0) { process.nextTick(callback); return; }
    let open = this.sessions.size;
    for (const s of this.sessions) {
      s.close(() => { if (--open === 0) callback(); });
    }
  }

  /** Drops every connection now. */
  forceShutdown(): void {
    this.shuttingDown = true;
    for (const s of this.sessions) s.destroy();
    this.sessions.clear();
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    // An RST from the client or a dropped connection surfaces as 'close'; 'error' needs a listener.
    stream.on('error', () => undefined);
    const contentType = headers['content-type'];
    if (typeof contentType !== 'string' || !contentType.startsWith('application/grpc')) {
      stream.respond({ ':status': 415 }, { endStream: true });
      return;
    }
    const path = String(headers[':path'] ?? '');
    const route = this.routes.get(path);
    if (!route) {
      stream.respond({ ...RESPONSE_HEADERS, 'grpc-status': String(GrpcStatus.UNIMPLEMENTED), 'grpc-message': encodeMessage(`The server does not implement the method ${path}`) }, { endStream: true });
      return;
    }
    new WireCall(stream, headers, route, this.options.maxReceiveBytes).start();
  }
}

/** One call on one stream: read its request, hand it to the handler, send what it answers. */
class WireCall implements ServerStreamCall<unknown, unknown>, BidiStreamCall<unknown, unknown> {
  request: unknown = undefined;
  readonly credentials: RequestCredentials;
  cancelled = false;
  /** The status is out (or the stream is gone): nothing more is sent. */
  private finished = false;
  private headersSent = false;
  private deadline: NodeJS.Timeout | undefined;
  private readonly chunks: Buffer[] = [];
  private received = 0;
  private pending = 0;
  private readonly written = (): void => { this.pending--; };
  private lengthChecked = false;
  private cancelListeners: (() => void)[] | undefined;
  // Bidirectional streams: bytes of a message not complete yet; messages before a listener.
  private partial: Buffer | undefined;
  private messageListener: ((message: unknown) => void) | undefined;
  private early: unknown[] = [];
  private halfClosed = false;
  private halfCloseListener: (() => void) | undefined;

  constructor(
    private readonly stream: http2.ServerHttp2Stream,
    private readonly headers: http2.IncomingHttpHeaders,
    private readonly route: Route,
    private readonly maxReceiveBytes: number,
  ) {
    this.credentials = credentialsOf(headers, stream.session?.socket);
  }

  start(): void {
    const timeout = this.headers['grpc-timeout'];
    if (typeof timeout === 'string') {
      const ms = parseGrpcTimeout(timeout);
      if (ms === undefined) {
        this.sendStatus({ code: GrpcStatus.INTERNAL, details: `Invalid grpc-timeout value "${timeout}"` });
        return;
      }
      this.deadline = setTimeout(() => {
        this.sendStatus({ code: GrpcStatus.DEADLINE_EXCEEDED, details: 'Deadline exceeded' });
        this.cancel();
      }, ms);
    }
    this.stream.on('close', () => {
      if (this.deadline) clearTimeout(this.deadline);
      if (!this.finished) {
        this.finished = true;
        this.cancel();
      }
    });
    if (this.route.handler.kind === 'bidiStream') {
      this.stream.on('data', (chunk: Buffer) => this.onStreamData(chunk));
      this.stream.on('end', () => this.onStreamEnd());
      this.dispatchSafely();
      return;
    }
    this.stream.on('data', (chunk: Buffer) => this.onData(chunk));
    this.stream.on('end', () => this.onEnd());
  }

  /** Bidirectional: every complete message in what has come so far goes to the handler. */
  private onStreamData(chunk: Buffer): void {
    let buf = this.partial ? Buffer.concat([this.partial, chunk]) : chunk;
    this.partial = undefined;
    while (!this.finished && buf.length >= 5) {
      const length = buf.readUInt32BE(1);
      if (length > this.maxReceiveBytes) {
        this.sendStatus({ code: GrpcStatus.RESOURCE_EXHAUSTED, details: `Received message larger than max (${length} vs ${this.maxReceiveBytes})` });
        return;
      }
      if (buf.length < 5 + length) break;
      const decoded = this.decode(buf.subarray(5, 5 + length), buf[0] === 1);
      buf = buf.subarray(5 + length);
      if (!decoded) return;
      if (!this.messageListener) { this.early.push(decoded.value); continue; }
      try {
        this.messageListener(decoded.value);
      } catch (e) {
        this.sendStatus({ code: GrpcStatus.INTERNAL, details: e instanceof Error ? e.message : String(e) });
        return;
      }
    }
    if (buf.length) this.partial = buf;
  }

  private onStreamEnd(): void {
    if (this.finished) return;
    if (this.partial) {
      this.sendStatus({ code: GrpcStatus.INTERNAL, details: `Received a truncated request message for bidi streaming method ${this.route.method.path}` });
      return;
    }
    this.halfClosed = true;
    this.halfCloseListener?.();
  }

  onMessage(listener: (message: unknown) => void): void {
    this.messageListener = listener;
    const early = this.early;
    this.early = [];
    for (const m of early) listener(m);
  }

  onHalfClose(listener: () => void): void {
    this.halfCloseListener = listener;
    if (this.halfClosed) listener();
  }

  /** A message's payload decompressed and decoded; undefined once a status has been sent for it. */
  private decode(payload: Buffer, compressed: boolean): { value: unknown } | undefined {
    let message = payload;
    if (compressed) {
      const encoding = String(this.headers['grpc-encoding'] ?? 'identity');
      try {
        if (encoding === 'gzip') message = gunzipSync(message, { maxOutputLength: this.maxReceiveBytes });
        else if (encoding === 'deflate') message = inflateSync(message, { maxOutputLength: this.maxReceiveBytes });
        else {
          this.sendStatus({ code: GrpcStatus.UNIMPLEMENTED, details: `Received message compressed with unsupported encoding "${encoding}"` });
          return undefined;
        }
      } catch {
        this.sendStatus({ code: GrpcStatus.INTERNAL, details: 'Failed to decompress message' });
        return undefined;
      }
    }
    try {
      return { value: this.route.method.requestDeserialize(message) };
    } catch (e) {
      this.sendStatus({ code: GrpcStatus.INTERNAL, details: `Error deserializing request: ${e instanceof Error ? e.message : String(e)}` });
      return undefined;
    }
  }

  /** A handler that throws (a bug) fails its call, not the server: this runs in a stream event. */
  private dispatchSafely(): void {
    try {
      this.dispatch(this.route.handler);
    } catch (e) {
      this.sendStatus({ code: GrpcStatus.INTERNAL, details: e instanceof Error ? e.message : String(e) });
    }
  }

  private onData(chunk: Buffer): void {
    if (this.finished) return;
    this.received += chunk.length;
    this.chunks.push(chunk);
    // The message's length is known from its first five bytes: refuse an oversized one before
    // it is buffered whole.
    if (!this.lengthChecked && this.received >= 5) {
      this.lengthChecked = true;
      const head = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      const length = head.readUInt32BE(1);
      if (length > this.maxReceiveBytes) {
        this.sendStatus({ code: GrpcStatus.RESOURCE_EXHAUSTED, details: `Received message larger than max (${length} vs ${this.maxReceiveBytes})` });
      }
    }
  }

  private onEnd(): void {
    if (this.finished) return;
    const what = `${this.route.handler.kind === 'unary' ? 'unary' : 'server streaming'} method ${this.route.method.path}`;
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    if (body.length < 5) {
      this.sendStatus({ code: GrpcStatus.UNIMPLEMENTED, details: `Received no request message for ${what}` });
      return;
    }
    const length = body.readUInt32BE(1);
    if (body.length < 5 + length) {
      this.sendStatus({ code: GrpcStatus.INTERNAL, details: `Received a truncated request message for ${what}` });
      return;
    }
    if (body.length > 5 + length) {
      this.sendStatus({ code: GrpcStatus.UNIMPLEMENTED, details: `Received a second request message for ${what}` });
      return;
    }
    const decoded = this.decode(body.subarray(5, 5 + length), body[0] === 1);
    if (!decoded) return;
    this.request = decoded.value;
    this.dispatchSafely();
  }

  private dispatch(handler: MethodHandler): void {
    switch (handler.kind) {
      case 'unary':
        (handler as UnaryHandler<unknown, unknown>).handle(this, (err, res) => {
          if (err) this.sendStatus(err);
          else this.sendUnary(res);
        });
        return;
      case 'serverStream':
        (handler as ServerStreamHandler<unknown, unknown>).handle(this);
        return;
      case 'bidiStream':
        (handler as BidiStreamHandler<unknown, unknown>).handle(this);
        return;
      default: {
        const never: never = handler;
        throw new Error(`unknown handler ${String(never)}`);
      }
    }
  }

  private serialize(message: unknown): Buffer | undefined {
    try {
      return frameMessage(this.route.method.responseSerialize(message as never));
    } catch (e) {
      this.sendStatus({ code: GrpcStatus.INTERNAL, details: `Error serializing response: ${e instanceof Error ? e.message : String(e)}` });
      return undefined;
    }
  }

  private sendUnary(res: unknown): void {
    if (this.finished) return;
    const frame = this.serialize(res);
    if (!frame) return;
    this.finished = true;
    if (this.deadline) clearTimeout(this.deadline);
    if (this.stream.destroyed || this.stream.closed) return;
    this.stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
    this.stream.once('wantTrailers', () => this.stream.sendTrailers(OK_TRAILERS));
    this.stream.end(frame);
  }

  private sendStatus(err: StatusError): void {
    if (this.finished) return;
    this.finished = true;
    if (this.deadline) clearTimeout(this.deadline);
    if (this.stream.destroyed || this.stream.closed) return;
    if (this.headersSent) {
      // After messages: the status goes in the trailers.
      this.stream.once('wantTrailers', () => this.stream.sendTrailers(statusHeaders(err)));
      this.stream.end();
    } else {
      // Trailers-only: one HEADERS frame with the status.
      this.stream.respond({ ...RESPONSE_HEADERS, ...statusHeaders(err) }, { endStream: true });
    }
  }

  private cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    const listeners = this.cancelListeners ?? [];
    this.cancelListeners = undefined;
    for (const l of listeners) l();
  }

  // ServerStreamCall

  write(message: unknown): boolean {
    if (this.finished || this.stream.destroyed) return false;
    const frame = this.serialize(message);
    if (!frame) return false;
    if (!this.headersSent) {
      this.headersSent = true;
      this.stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
    }
    this.pending++;
    return this.stream.write(frame, this.written);
  }

  get backlog(): number {
    return this.pending;
  }

  onCancel(listener: () => void): void {
    if (this.cancelled) { process.nextTick(listener); return; }
    (this.cancelListeners ??= []).push(listener);
  }

  onDrain(listener: () => void): void {
    this.stream.once('drain', listener);
  }

  onClose(listener: () => void): void {
    if (this.stream.closed) { process.nextTick(listener); return; }
    this.stream.once('close', listener);
  }

  end(err?: StatusError): void {
    this.sendStatus(err ?? { code: GrpcStatus.OK, details: 'OK' });
  }
}
