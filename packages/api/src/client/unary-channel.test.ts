// The bare HTTP/2 unary path against a real grpc-js server of the Objects service: answers
// and errors must be what grpc-js's own client hands over (errors.ts and failover.ts read
// them), and transport failures must keep grpc-js's words for "never sent" and "dropped".
import { Server, ServerCredentials, credentials as grpcCredentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { ApiError, fromGrpcError, toGrpcError } from '../errors.js';
import { loadProtos } from '../proto.js';
import { failoverAction } from './failover.js';
import { UnaryChannel } from './unary-channel.js';

type Cb = (err: Partial<ServiceError> | null, res?: unknown) => void;

async function startServer(handlers: { get?: (req: { name: string }, cb: Cb) => void }): Promise<{ address: string; server: Server }> {
  const v1 = loadProtos().tugboat.v1;
  const server = new Server({ 'grpc.max_receive_message_length': -1 });
  server.addService(v1.Objects.service, {
    get: (call: { request: { name: string } }, cb: Cb) => (handlers.get ?? ((_r, c) => c(null, { object: '{}', warnings: [] })))(call.request, cb),
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { address: `127.0.0.1:${port}`, server };
}

/** One Get through `client` (either kind), as TugboatClient calls it. */
function get(client: InstanceType<ReturnType<typeof loadProtos>['tugboat']['v1']['Objects']>, name: string, deadline?: Date): Promise<{ res?: unknown; err?: ServiceError }> {
  return new Promise((resolve) => {
    client.get({ resource: 'pods', namespace: 'default', name }, new Metadata(), deadline ? { deadline } : {}, (err, res) => resolve(err ? { err } : { res }));
  });
}

function clients(address: string) {
  const v1 = loadProtos().tugboat.v1;
  const plain = new v1.Objects(address, grpcCredentials.createInsecure());
  const channel = new UnaryChannel(address, undefined);
  const lean = UnaryChannel.wrap(new v1.Objects(address, grpcCredentials.createInsecure()), v1.Objects.service, channel);
  return { plain, lean, close: () => { plain.close(); lean.close(); channel.close(); } };
}

test('answers and API errors come out as grpc-js hands them over', async (t) => {
  const { address, server } = await startServer({
    get: (req, cb) => {
      if (req.name === 'ok') cb(null, { object: JSON.stringify({ kind: 'Pod', metadata: { name: 'ok' } }), warnings: ['w1'] });
      else cb(toGrpcError(new ApiError('Invalid', 'Pod "x" is invalid: spec.containers: Required value — and ünïcödé', [{ type: 'Required', path: 'spec.containers', detail: 'Required value' }], { causes: [{ reason: 'FieldValueRequired', message: 'm' }] })));
    },
  });
  const c = clients(address);
  try {
    const [a, b] = [await get(c.plain, 'ok'), await get(c.lean, 'ok')];
    t.deepEqual(b, a);
    t.deepEqual(b.res, { object: '{"kind":"Pod","metadata":{"name":"ok"}}', warnings: ['w1'] });

    const [e1, e2] = [(await get(c.plain, 'bad')).err!, (await get(c.lean, 'bad')).err!];
    t.is(e2.code, e1.code);
    t.is(e2.details, e1.details);
    t.is(e2.message, e1.message);
    // `date` is the second each answer left the server; two calls may straddle a second.
    const withoutDate = (m: Metadata) => { const { date: _date, ...rest } = m.getMap(); return rest; };
    t.deepEqual(withoutDate(e2.metadata), withoutDate(e1.metadata));
    t.truthy(e2.metadata.get('date')[0]);
    const api = fromGrpcError(e2);
    t.is(api.reason, 'Invalid');
    t.deepEqual(api.fieldErrors, fromGrpcError(e1).fieldErrors);
    t.regex(api.message, /ünïcödé/);
  } finally {
    c.close();
    server.forceShutdown();
  }
});

test('a server that does not answer in time: DEADLINE_EXCEEDED at the deadline', async (t) => {
  const { address, server } = await startServer({ get: () => undefined });
  const c = clients(address);
  try {
    const start = Date.now();
    const { err } = await get(c.lean, 'x', new Date(Date.now() + 300));
    const took = Date.now() - start;
    t.is(err?.code, status.DEADLINE_EXCEEDED);
    t.is(fromGrpcError(err).reason, 'Timeout');
    t.true(took >= 290 && took < 2_000, `${took} ms`);
  } finally {
    c.close();
    server.forceShutdown();
  }
});

test('transport failures: never sent goes to the next server; dropped while out does not, for a write', async (t) => {
  // Nothing listens: the call was never sent.
  const { address: gone, server: s0 } = await startServer({});
  s0.forceShutdown();
  const c0 = clients(gone);
  const { err: refused } = await get(c0.lean, 'x', new Date(Date.now() + 5_000));
  c0.close();
  t.is(refused?.code, status.UNAVAILABLE);
  t.regex(refused?.details ?? '', /^No connection established/);
  t.is(failoverAction({ code: refused!.code, details: refused!.details, fromServer: false }, 'mutating'), 'next-server');
  t.is(fromGrpcError(refused, gone).reason, 'Unavailable');

  // The server goes away while the call is out: it may have been applied.
  let shutdown: () => void = () => undefined;
  const { address, server } = await startServer({ get: () => shutdown() });
  shutdown = () => server.forceShutdown();
  const c = clients(address);
  const { err: dropped } = await get(c.lean, 'x', new Date(Date.now() + 5_000));
  c.close();
  t.is(dropped?.code, status.UNAVAILABLE);
  t.notRegex(dropped?.details ?? '', /No connection established|Stream refused/);
  t.is(failoverAction({ code: dropped!.code, details: dropped!.details, fromServer: false }, 'mutating'), 'fail');
  t.is(failoverAction({ code: dropped!.code, details: dropped!.details, fromServer: false }, 'idempotent'), 'next-server');
});

test('a process exits after its last call: an idle channel holds no reference, a call in flight does', async (t) => {
  // The answer comes after 300 ms: the child must wait for it (no deadline, no other handle),
  // then exit by itself.
  const { address, server } = await startServer({ get: (_r, cb) => setTimeout(() => cb(null, { object: '{"late":true}', warnings: [] }), 300) });
  try {
    const here = fileURLToPath(new URL('.', import.meta.url));
    const script = `
      import { Metadata, credentials } from '@grpc/grpc-js';
      import { loadProtos } from '${join(here, '..', 'proto.js')}';
      import { UnaryChannel } from '${join(here, 'unary-channel.js')}';
      const v1 = loadProtos().tugboat.v1;
      const channel = new UnaryChannel('${address}', undefined);
      const grpcClient = new v1.Objects('${address}', credentials.createInsecure());
      const lean = UnaryChannel.wrap(grpcClient, v1.Objects.service, channel);
      lean.get({ resource: 'pods', namespace: 'a', name: 'b' }, new Metadata(), {}, (err, res) => {
        console.log(err ? 'error ' + err.message : res.object);
        grpcClient.close();
      });`;
    const started = Date.now();
    // Not spawnSync: this process's server must answer meanwhile.
    const child = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: here, encoding: 'utf8', timeout: 8_000 });
    t.is(child.stdout.trim(), '{"late":true}');
    t.true(Date.now() - started < 8_000, 'the child exited by itself');
  } finally {
    server.forceShutdown();
  }
});

test('a 12 MB request, and an error answer whose trailers carry it back: the session serves the next call', async (t) => {
  // The API server names a bad value in its message and causes (trailers). (The case that broke
  // a session on Node's default 10 MB session memory is the fuzzer's, test/src/fuzz: a 10 MB
  // name through tctl; this one checks the round trip of large messages and trailers.)
  const { address, server } = await startServer({
    get: (req, cb) => (req.name === 'small'
      ? cb(null, { object: '{"ok":true}', warnings: [] })
      : cb(toGrpcError(new ApiError('Invalid', `Pod "${req.name}" is invalid`, [], { causes: [{ reason: 'FieldValueInvalid', message: req.name }] })))),
  });
  const c = clients(address);
  try {
    const huge = '😀'.repeat(3 * 1024 * 1024);
    const first = await get(c.lean, huge, new Date(Date.now() + 20_000));
    t.is(fromGrpcError(first.err).reason, 'Invalid', first.err?.message.slice(0, 200));
    t.deepEqual((await get(c.lean, 'small')).res, { object: '{"ok":true}', warnings: [] });
  } finally {
    c.close();
    server.forceShutdown();
  }
});

test('a keepalive ping left unanswered ends the session; the next tick finds it destroyed and does nothing (it threw, and killed the process)', async (t) => {
  // A peer that accepts the connection and never says a word: no SETTINGS, no ping answers.
  const sockets: import('node:net').Socket[] = [];
  const silent = (await import('node:net')).createServer((s) => { sockets.push(s); });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const address = `127.0.0.1:${(silent.address() as import('node:net').AddressInfo).port}`;
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown): void => { uncaught.push(e); };
  process.prependListener('uncaughtException', onUncaught);
  // Interval and timeout alike: the ping's deadline and the next tick fall due in the same
  // run of timers, the session destroyed by the first before its 'close' stops the second.
  const channel = new UnaryChannel(address, undefined, { keepaliveMs: 20, keepaliveTimeoutMs: 20 });
  try {
    const v1 = loadProtos().tugboat.v1;
    const lean = UnaryChannel.wrap(new v1.Objects(address, grpcCredentials.createInsecure()), v1.Objects.service, channel);
    const { err } = await get(lean, 'x', new Date(Date.now() + 2_000));
    t.is(err?.code, status.UNAVAILABLE, String(err?.message));
    t.regex(err?.details ?? '', /keepalive ping not answered/);
    // A retry at once (as clients do after UNAVAILABLE) is a call in flight on a new session,
    // while the old session's keepalive still ticks.
    const retry = get(lean, 'x', new Date(Date.now() + 2_000));
    await new Promise((r) => setTimeout(r, 100));
    t.deepEqual(uncaught.map(String), []);
    t.is((await retry).err?.code, status.UNAVAILABLE);
  } finally {
    process.removeListener('uncaughtException', onUncaught);
    channel.close();
    for (const s of sockets) s.destroy();
    silent.close();
  }
});
