// grpc probes against a real @grpc/grpc-js server implementing grpc.health.v1.Health, on 127.0.0.1.
import test from 'ava';
import { Server, ServerCredentials, status as grpcStatus, type ServiceDefinition, type handleUnaryCall } from '@grpc/grpc-js';
import { decodeHealthCheckResponse, encodeHealthCheckRequest, grpcProbe } from './grpc-probe.js';

/** HealthCheckRequest.service, decoded by hand (one string field). */
function serviceOf(b: Buffer): string {
  return b.length > 2 && b[0] === 0x0a ? b.subarray(2, 2 + (b[1] ?? 0)).toString() : '';
}

const health: ServiceDefinition = {
  Check: {
    path: '/grpc.health.v1.Health/Check', requestStream: false, responseStream: false,
    requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b,
  },
};

test('SERVING succeeds, NOT_SERVING fails, an unknown service and a server without the health service fail', async (t) => {
  const statuses: Record<string, number> = { '': 1, sick: 2 };
  const check: handleUnaryCall<Buffer, Buffer> = (call, cb) => {
    const s = statuses[serviceOf(call.request)];
    if (s === undefined) cb({ code: grpcStatus.NOT_FOUND, details: 'unknown service' });
    else cb(null, Buffer.from([0x08, s]));
  };
  const server = new Server();
  server.addService(health, { Check: check });
  const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  const bare = new Server();
  const barePort = await new Promise<number>((res, rej) => bare.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  t.teardown(() => { server.forceShutdown(); bare.forceShutdown(); });

  t.deepEqual(await grpcProbe('127.0.0.1', port, '', 1_000), { result: 'success', output: 'service is serving' });
  t.deepEqual(await grpcProbe('127.0.0.1', port, 'sick', 1_000), { result: 'failure', output: 'service unhealthy (responded with "NOT_SERVING")' });
  const unknown = await grpcProbe('127.0.0.1', port, 'other', 1_000);
  t.is(unknown.result, 'failure');
  t.regex(unknown.output, /code = 5 desc = unknown service/);
  const none = await grpcProbe('127.0.0.1', barePort, '', 1_000);
  t.is(none.result, 'failure');
  t.regex(none.output, /does not implement the grpc health protocol/);
});

test('a closed port fails', async (t) => {
  const server = new Server();
  const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  server.forceShutdown();
  const r = await grpcProbe('127.0.0.1', port, '', 1_000);
  t.is(r.result, 'failure');
  t.regex(r.output, /failed to connect service "127\.0\.0\.1:\d+"/);
});

test('the messages: request encoding and response decoding', (t) => {
  t.deepEqual([...encodeHealthCheckRequest('')], [0, 0, 0, 0, 0]);
  t.deepEqual([...encodeHealthCheckRequest('ab')], [0, 0, 0, 0, 4, 0x0a, 2, 0x61, 0x62]);
  t.is(decodeHealthCheckResponse(Buffer.from([0, 0, 0, 0, 2, 0x08, 1])), 1);
  t.is(decodeHealthCheckResponse(Buffer.from([0, 0, 0, 0, 0])), 0);
  t.is(decodeHealthCheckResponse(Buffer.from([1])), undefined);
});
