// The wire server against grpc-js's own server, side by side: the same handlers behind each,
// the same calls from grpc-js's client (watches and log streams use it) and from the bare
// HTTP/2 unary channel (every component's unary calls). Whatever a client can observe —
// answers, statuses, their wording and metadata, stream order, cancellation — must match.
import { Metadata, Server, ServerCredentials, credentials, status, type ServiceError, type ServerWritableStream, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import http2 from 'node:http2';
import { createServer, type Server as NetServer } from 'node:net';
import test from 'ava';
import { ApiError, loadProtos, toGrpcError, UnaryChannel } from '@tugboat/api';
import { GrpcWireServer, parseGrpcTimeout, type ServerStreamCall, type StatusError } from './wire-server.js';

const v1 = loadProtos().tugboat.v1;
type ObjectsClient = InstanceType<typeof v1.Objects>;
interface GetReq { name: string }
interface WatchReq { resource: string; resourceVersion: string }
interface Event { type: string; object: string }

/** What a test's server does, written once for both servers. */
interface Behaviour {
  /** Answers a Get: a response, an error, or never (undefined). */
  get?(req: GetReq, respond: (err: StatusError | null, res?: unknown) => void, credentials: { header(name: string): readonly string[] }): void;
  /** Runs a Watch: `send` messages, `end` with or without an error; `cancelled` reports a client that went. */
  watch?(req: WatchReq, s: { send(e: Event): void; end(err?: StatusError): void; onCancel(f: () => void): void }): void;
}

const UNUSED = (): never => { throw new Error('not in this test'); };

/** The Objects service's handlers in grpc-js's shape (the methods a test does not use are never called). */
function grpcJsHandlers(b: Behaviour): Record<string, unknown> {
  const handlers: Record<string, unknown> = {};
  for (const name of Object.keys(v1.Objects.service)) handlers[name] = UNUSED;
  handlers.Get = (call: ServerUnaryCall<GetReq, unknown>, cb: sendUnaryData<unknown>) => b.get?.(call.request, (err, res) => cb(err as Partial<ServiceError> | null, res), { header: (n) => call.metadata.get(n).map(String) });
  handlers.Watch = (call: ServerWritableStream<WatchReq, Event>) => {
    b.watch?.(call.request, {
      send: (e) => { call.write(e); },
      end: (err) => { if (err) call.emit('error', err); else call.end(); },
      onCancel: (f) => { call.on('cancelled', f); },
    });
  };
  return handlers;
}

function wireHandlers(b: Behaviour): Parameters<GrpcWireServer['addService']>[1] {
  const handlers: Record<string, { kind: 'unary' | 'serverStream'; handle(): never }> = {};
  for (const [name, m] of Object.entries(v1.Objects.service)) handlers[name] = { kind: m.responseStream ? 'serverStream' : 'unary', handle: UNUSED };
  return {
    ...handlers,
    Get: { kind: 'unary', handle: (call: { request: GetReq; credentials: { header(n: string): readonly string[] } }, respond: (err: StatusError | null, res?: unknown) => void) => b.get?.(call.request, respond, call.credentials) },
    Watch: {
      kind: 'serverStream',
      handle: (call: ServerStreamCall<WatchReq, Event>) => b.watch?.(call.request, { send: (e) => { call.write(e); }, end: (err) => call.end(err), onCancel: (f) => call.onCancel(f) }),
    },
  };
}

interface Running {
  readonly address: string;
  stop(): Promise<void>;
  /** tryShutdown, resolved when it calls back. */
  drain(): Promise<void>;
}

async function startGrpcJs(b: Behaviour, only?: 'server'): Promise<Running> {
  const server = new Server({ 'grpc.max_receive_message_length': 1024 });
  if (only === 'server') server.addService(v1.Server.service, { Version: UNUSED, NodeHeartbeat: UNUSED, NodeHeartbeats: UNUSED });
  else server.addService(v1.Objects.service, grpcJsHandlers(b) as never);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return {
    address: `127.0.0.1:${port}`,
    stop: async () => { server.forceShutdown(); },
    drain: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}

async function startWire(b: Behaviour, only?: 'server'): Promise<Running> {
  const wire = new GrpcWireServer({ maxReceiveBytes: 1024 });
  if (only === 'server') wire.addService(v1.Server.service, { Version: { kind: 'unary', handle: UNUSED }, NodeHeartbeat: { kind: 'unary', handle: UNUSED }, NodeHeartbeats: { kind: 'bidiStream', handle: UNUSED } });
  else wire.addService(v1.Objects.service, wireHandlers(b));
  const net: NetServer = createServer((socket) => wire.injectConnection(socket));
  await new Promise<void>((resolve) => net.listen(0, '127.0.0.1', resolve));
  const port = (net.address() as { port: number }).port;
  return {
    address: `127.0.0.1:${port}`,
    stop: async () => { wire.forceShutdown(); await new Promise((r) => net.close(r)); },
    drain: () => new Promise((resolve) => wire.tryShutdown(() => { net.close(); resolve(); })),
  };
}

const SERVERS = { 'grpc-js': startGrpcJs, wire: startWire } as const;

interface Outcome { res?: unknown; code?: number; details?: string; metadata?: Record<string, unknown> }

function get(client: ObjectsClient, name: string, opts: { deadline?: Date; metadata?: Metadata } = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    client.get({ resource: 'pods', namespace: 'default', name }, opts.metadata ?? new Metadata(), opts.deadline ? { deadline: opts.deadline } : {}, (err, res) => {
      // Node's HTTP/2 stamps a date header on every response: not the server's doing.
      const { date: _date, ...metadata } = err ? err.metadata.getMap() : {};
      resolve(err ? { code: err.code, details: err.details, metadata } : { res });
    });
  });
}

/** The same Get through grpc-js's client and through the unary channel; both outcomes. */
async function getBoth(address: string, name: string, opts: { deadline?: Date; metadata?: Metadata; compress?: boolean } = {}): Promise<[Outcome, Outcome]> {
  const plain = new v1.Objects(address, credentials.createInsecure(), opts.compress ? { 'grpc.default_compression_algorithm': 2 } : {});
  const channel = new UnaryChannel(address, undefined);
  const lean = UnaryChannel.wrap(new v1.Objects(address, credentials.createInsecure()), v1.Objects.service, channel);
  try {
    return [await get(plain, name, opts), await get(lean, name, opts)];
  } finally {
    plain.close();
    lean.close();
    channel.close();
  }
}

/** Runs `f` against both servers and returns what each observed, for comparison. */
async function onBoth<T>(b: Behaviour, f: (address: string, server: Running) => Promise<T>, only?: 'server'): Promise<Record<keyof typeof SERVERS, T>> {
  const out: Partial<Record<keyof typeof SERVERS, T>> = {};
  for (const [name, start] of Object.entries(SERVERS) as [keyof typeof SERVERS, typeof startWire][]) {
    const server = await start(b, only);
    try {
      out[name] = await f(server.address, server);
    } finally {
      await server.stop();
    }
  }
  return out as Record<keyof typeof SERVERS, T>;
}

function apiStatus(err: ApiError): StatusError {
  const ge = toGrpcError(err);
  return { code: ge.code!, details: ge.details!, metadata: ge.metadata! };
}

test('answers, API errors with their metadata, and the caller\'s headers: as grpc-js\'s server sends them', async (t) => {
  const seen: string[] = [];
  const b: Behaviour = {
    get: (req, respond, creds) => {
      seen.push(creds.header('authorization')[0] ?? '');
      if (req.name === 'ok') respond(null, { object: JSON.stringify({ kind: 'Pod', metadata: { name: 'ok' } }), warnings: ['w1'] });
      else respond(apiStatus(new ApiError('Invalid', 'Pod "x" is invalid: spec.containers: Required value — ünïcödé 100% {a}', [{ type: 'Required', path: 'spec.containers', detail: 'Required value' }])));
    },
  };
  const metadata = new Metadata();
  metadata.set('authorization', 'Bearer abc');
  const out = await onBoth(b, async (address) => ({ ok: await getBoth(address, 'ok', { metadata }), bad: await getBoth(address, 'bad', { metadata }) }));
  t.deepEqual(out.wire, out['grpc-js']);
  t.deepEqual(out.wire.ok[0].res, { object: '{"kind":"Pod","metadata":{"name":"ok"}}', warnings: ['w1'] });
  t.is(out.wire.bad[1].code, status.INVALID_ARGUMENT);
  t.is(out.wire.bad[1].details, 'Pod "x" is invalid: spec.containers: Required value — ünïcödé 100% {a}');
  t.is(out.wire.bad[1].metadata?.['tugboat-reason'], 'Invalid');
  t.deepEqual(seen, Array(8).fill('Bearer abc'));
});

test('a method the server lacks, an oversized message, a compressed one: the same statuses and words', async (t) => {
  const unimplemented = await onBoth({}, (address) => getBoth(address, 'x'), 'server');
  t.deepEqual(unimplemented.wire, unimplemented['grpc-js']);
  t.is(unimplemented.wire[0].code, status.UNIMPLEMENTED);
  t.is(unimplemented.wire[0].details, 'The server does not implement the method /tugboat.v1.Objects/Get');

  const b: Behaviour = { get: (req, respond) => respond(null, { object: String(req.name.length), warnings: [] }) };
  const big = await onBoth(b, (address) => getBoth(address, 'n'.repeat(2_000)));
  t.deepEqual(big.wire, big['grpc-js']);
  t.is(big.wire[0].code, status.RESOURCE_EXHAUSTED);
  t.regex(big.wire[0].details ?? '', /^Received message larger than max \(\d+ vs 1024\)$/);

  const gz = await onBoth(b, (address) => getBoth(address, 'm'.repeat(500), { compress: true }));
  t.deepEqual(gz.wire, gz['grpc-js']);
  t.deepEqual(gz.wire[0].res, { object: '500', warnings: [] });
});

test('a handler that does not answer in time: DEADLINE_EXCEEDED, and a late answer is dropped', async (t) => {
  const late: (() => void)[] = [];
  const b: Behaviour = { get: (_req, respond) => { late.push(() => respond(null, { object: 'late', warnings: [] })); } };
  const out = await onBoth(b, async (address) => {
    const r = await getBoth(address, 'slow', { deadline: new Date(Date.now() + 300) });
    for (const f of late.splice(0)) f();
    return r;
  });
  // grpc-js's client words its own deadline with timings; the codes and the channel's words match.
  for (const server of [out.wire, out['grpc-js']]) {
    t.is(server[0].code, status.DEADLINE_EXCEEDED);
    t.deepEqual(server[1], { code: status.DEADLINE_EXCEEDED, details: 'Deadline exceeded', metadata: {} });
  }
});

test('a server stream: messages in order, then OK or an error status in the trailers; a client that cancels is noticed', async (t) => {
  const cancelled: string[] = [];
  const b: Behaviour = {
    watch: (req, s) => {
      s.onCancel(() => cancelled.push(req.resourceVersion));
      for (let i = 0; i < 3; i++) s.send({ type: 'ADDED', object: `${req.resourceVersion}-${i}` });
      if (req.resourceVersion === 'ok') s.end();
      else if (req.resourceVersion === 'fail') s.end(apiStatus(new ApiError('Expired', 'too old resource version: 1 (50)')));
      // 'open': stays open until the client cancels.
    },
  };
  const watch = (address: string, rv: string, cancelAfter?: number): Promise<{ events: string[]; code?: number; details?: string; reason?: unknown }> => new Promise((resolve) => {
    const client = new v1.Objects(address, credentials.createInsecure());
    const events: string[] = [];
    const stream = client.watch({ resource: 'pods', resourceVersion: rv });
    stream.on('data', (e: Event) => {
      events.push(e.object);
      if (cancelAfter !== undefined && events.length === cancelAfter) stream.cancel();
    });
    stream.on('error', (err: ServiceError) => { client.close(); resolve({ events, code: err.code, details: err.details, reason: err.metadata.get('tugboat-reason')[0] }); });
    stream.on('end', () => { client.close(); resolve({ events }); });
  });
  const out = await onBoth(b, async (address) => {
    const r = { ok: await watch(address, 'ok'), fail: await watch(address, 'fail'), open: await watch(address, 'open', 3) };
    // The server learns of the cancel once the RST arrives.
    for (let i = 0; i < 50 && !cancelled.includes('open'); i++) await new Promise((res) => setTimeout(res, 20));
    const saw = cancelled.splice(0);
    return { ...r, cancelled: saw };
  });
  t.deepEqual(out.wire.ok, { events: ['ok-0', 'ok-1', 'ok-2'] });
  t.deepEqual(out.wire.fail, { events: ['fail-0', 'fail-1', 'fail-2'], code: status.OUT_OF_RANGE, details: 'too old resource version: 1 (50)', reason: 'Expired' });
  t.is(out.wire.open.code, status.CANCELLED);
  t.true(out.wire.cancelled.includes('open'), `cancels seen: ${out.wire.cancelled.join(',')}`);
  t.false(out.wire.cancelled.includes('ok'));
  t.deepEqual({ ...out.wire, cancelled: undefined }, { ...out['grpc-js'], cancelled: undefined });
});

test('a slow reader\'s backlog is counted in messages, as the watch service counts events', async (t) => {
  // The watch service cuts off a watcher that many events behind (watch-service.ts maxBacklog):
  // counting bytes there closed every busy watch after a few dozen events.
  let call: ServerStreamCall<WatchReq, Event> | undefined;
  const wire = new GrpcWireServer({ maxReceiveBytes: 1024 });
  const handlers = wireHandlers({});
  wire.addService(v1.Objects.service, { ...handlers, Watch: { kind: 'serverStream', handle: (c: ServerStreamCall<WatchReq, Event>) => { call = c; } } });
  const net: NetServer = createServer((socket) => wire.injectConnection(socket));
  await new Promise<void>((resolve) => net.listen(0, '127.0.0.1', resolve));
  const client = http2.connect(`http://127.0.0.1:${(net.address() as { port: number }).port}`);
  try {
    const req = client.request({ ':method': 'POST', ':path': '/tugboat.v1.Objects/Watch', 'content-type': 'application/grpc' });
    const body = (v1.Objects.service.Watch.requestSerialize as (v: WatchReq) => Buffer)({ resource: 'pods', resourceVersion: '' });
    const frame = Buffer.alloc(5 + body.length);
    frame.writeUInt32BE(body.length, 1);
    body.copy(frame, 5);
    req.end(frame);
    req.pause(); // reads nothing: the HTTP/2 window fills, then the server's writes wait
    while (!call) await new Promise((r) => setTimeout(r, 10));
    const object = 'x'.repeat(1_000);
    for (let i = 0; i < 2_000; i++) call.write({ type: 'ADDED', object });
    await new Promise((r) => setTimeout(r, 200));
    const behind = call.backlog;
    t.true(behind > 1_500 && behind <= 2_000, `backlog ${behind}`);
    let bytes = 0;
    req.on('data', (d: Buffer) => { bytes += d.length; });
    req.resume();
    for (let i = 0; i < 100 && call.backlog > 0; i++) await new Promise((r) => setTimeout(r, 20));
    t.is(call.backlog, 0);
    t.true(bytes > 2_000_000);
    call.end();
  } finally {
    client.close();
    wire.forceShutdown();
    await new Promise((r) => net.close(r));
  }
});

test('tryShutdown lets a call in flight finish, then calls back', async (t) => {
  let answer: (() => void) | undefined;
  const b: Behaviour = { get: (_req, respond) => { answer = () => respond(null, { object: 'done', warnings: [] }); } };
  const out = await onBoth(b, async (address, server) => {
    const client = new v1.Objects(address, credentials.createInsecure());
    const call = get(client, 'x');
    while (!answer) await new Promise((r) => setTimeout(r, 10));
    let drained = false;
    const draining = server.drain().then(() => { drained = true; });
    await new Promise((r) => setTimeout(r, 100));
    const before = drained;
    answer();
    answer = undefined;
    const res = await call;
    client.close();
    await draining;
    return { res, drainedBeforeAnswer: before };
  });
  t.deepEqual(out.wire, { res: { res: { object: 'done', warnings: [] } }, drainedBeforeAnswer: false });
  t.deepEqual(out.wire, out['grpc-js']);
});

test('a status message with a lone surrogate (an emoji cut in two) is sent, not thrown', async (t) => {
  const b: Behaviour = { get: (_req, respond) => respond({ code: status.INTERNAL, details: 'cut \uD83D here' }) };
  const out = await onBoth(b, (address) => getBoth(address, 'x'), undefined);
  t.is(out.wire[0].code, status.INTERNAL);
  t.is(out.wire[0].details, 'cut \uFFFD here');
  t.deepEqual(out.wire[1], out.wire[0]);
});

test('a handler that throws fails its call with INTERNAL; the server goes on serving', async (t) => {
  const b: Behaviour = { get: (req, respond) => { if (req.name === 'boom') throw new Error('handler bug'); respond(null, { object: 'fine', warnings: [] }); } };
  const wire = await startWire(b);
  try {
    const [plain, lean] = await getBoth(wire.address, 'boom');
    t.deepEqual(plain, { code: status.INTERNAL, details: 'handler bug', metadata: { 'content-type': 'application/grpc+proto' } });
    t.deepEqual(lean, plain);
    t.deepEqual((await getBoth(wire.address, 'ok'))[0], { res: { object: 'fine', warnings: [] } });
  } finally {
    await wire.stop();
  }
});

test('grpc-timeout values', (t) => {
  t.is(parseGrpcTimeout('100m'), 100);
  t.is(parseGrpcTimeout('2S'), 2_000);
  t.is(parseGrpcTimeout('1H'), 3_600_000);
  t.is(parseGrpcTimeout('5000u'), 5);
  t.is(parseGrpcTimeout('123456789m'), undefined);
  t.is(parseGrpcTimeout('10x'), undefined);
});

test('a bidirectional stream: messages both ways in order (large ones split across frames), OK after the client half-closes, or an error status', async (t) => {
  type Req = { node: string };
  // Echo in upper case; "fail" ends the call with an error; the client's half-close ends it OK.
  const startBidi = async (kind: 'grpc-js' | 'wire'): Promise<{ address: string; stop(): void }> => {
    if (kind === 'grpc-js') {
      const server = new Server();
      server.addService(v1.Server.service, {
        Version: UNUSED, NodeHeartbeat: UNUSED,
        NodeHeartbeats: (call: import('@grpc/grpc-js').ServerDuplexStream<Req, Req>) => {
          call.on('data', (m: Req) => {
            if (m.node === 'fail') call.emit('error', { code: status.INVALID_ARGUMENT, details: 'bad heartbeat' });
            else call.write({ node: m.node.toUpperCase() });
          });
          call.on('end', () => call.end());
        },
      });
      const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
      return { address: `127.0.0.1:${port}`, stop: () => server.forceShutdown() };
    }
    const wire = new GrpcWireServer({ maxReceiveBytes: 4 * 1024 * 1024 });
    wire.addService(v1.Server.service, {
      Version: { kind: 'unary', handle: UNUSED }, NodeHeartbeat: { kind: 'unary', handle: UNUSED },
      NodeHeartbeats: {
        kind: 'bidiStream',
        handle: (call: import('./wire-server.js').BidiStreamCall<Req, Req>) => {
          call.onMessage((m) => {
            if (m.node === 'fail') call.end({ code: status.INVALID_ARGUMENT, details: 'bad heartbeat' });
            else call.write({ node: m.node.toUpperCase() });
          });
          call.onHalfClose(() => call.end());
        },
      },
    });
    const net: NetServer = createServer((socket) => wire.injectConnection(socket));
    await new Promise<void>((resolve) => net.listen(0, '127.0.0.1', resolve));
    return { address: `127.0.0.1:${(net.address() as { port: number }).port}`, stop: () => { wire.forceShutdown(); net.close(); } };
  };
  const exchange = async (address: string, messages: string[]): Promise<{ got: string[]; code: number; details: string }> => {
    const client = new v1.Server(address, credentials.createInsecure());
    try {
      const call = client.nodeHeartbeats();
      const got: string[] = [];
      call.on('data', (m: Req) => got.push(m.node));
      const done = new Promise<{ code: number; details: string }>((resolve) => {
        call.on('status', (s: { code: number; details: string }) => resolve({ code: s.code, details: s.details }));
        call.on('error', () => undefined);
      });
      for (const m of messages) call.write({ node: m });
      call.end();
      return { got, ...(await done) };
    } finally {
      client.close();
    }
  };
  const big = (i: number): string => `n${i}-${'x'.repeat(30_000 + i)}`;
  const messages = Array.from({ length: 40 }, (_, i) => (i % 2 ? `node-${i}` : big(i)));
  for (const kind of ['grpc-js', 'wire'] as const) {
    const server = await startBidi(kind);
    try {
      const ok = await exchange(server.address, messages);
      t.deepEqual(ok.got, messages.map((m) => m.toUpperCase()), kind);
      t.is(ok.code, status.OK, kind);
      const failed = await exchange(server.address, ['a', 'fail', 'b']);
      t.deepEqual(failed.got, ['A'], kind);
      t.deepEqual({ code: failed.code, details: failed.details }, { code: status.INVALID_ARGUMENT, details: 'bad heartbeat' }, kind);
    } finally {
      server.stop();
    }
  }
});
