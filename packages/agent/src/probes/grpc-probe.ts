// grpc probes: one call of the standard health service, grpc.health.v1.Health/Check, over
// plaintext HTTP/2 (kubelet's prober/grpc). SERVING is a success; any other status, an error
// status or no answer within the timeout is a failure. The messages are a single string
// field and a single enum field, so they are encoded by hand rather than pulling in a
// protobuf library.
import { connect, constants } from 'node:http2';
import type { ProbeOutcome } from './probe-types.js';
import { hostPort } from './probe-target.js';

const STATUS_NAMES = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

/** HealthCheckRequest{service} as a length-prefixed gRPC message. */
export function encodeHealthCheckRequest(service: string): Buffer {
  const s = Buffer.from(service, 'utf8');
  const body = s.length ? Buffer.concat([Buffer.from([0x0a]), varint(s.length), s]) : Buffer.alloc(0);
  const head = Buffer.alloc(5);
  head.writeUInt8(0, 0);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) { out.push((n & 0x7f) | 0x80); n >>>= 7; }
  out.push(n);
  return Buffer.from(out);
}

/** HealthCheckResponse.status from the response body (one length-prefixed message); undefined if malformed. */
export function decodeHealthCheckResponse(body: Buffer): number | undefined {
  if (body.length < 5 || body.readUInt8(0) !== 0) return undefined;
  const len = body.readUInt32BE(1);
  const msg = body.subarray(5, 5 + len);
  let status = 0;
  for (let i = 0; i < msg.length;) {
    const tag = msg[i++] ?? 0;
    const field = tag >> 3, wire = tag & 7;
    if (wire === 0) {
      let v = 0, shift = 0, b: number;
      do { b = msg[i++] ?? 0; v += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80 && i < msg.length);
      if (field === 1) status = v;
    } else if (wire === 2) {
      let l = 0, shift = 0, b: number;
      do { b = msg[i++] ?? 0; l += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80 && i < msg.length);
      i += l;
    } else return undefined;
  }
  return status;
}

export function grpcProbe(host: string, port: number, service: string, timeoutMs: number): Promise<ProbeOutcome> {
  const addr = hostPort(host, port);
  const secs = `${timeoutMs / 1000}s`;
  return new Promise((resolve) => {
    let connected = false;
    let settled = false;
    const session = connect(`http://${addr}`);
    const finish = (o: ProbeOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => finish(connected
      ? { result: 'failure', output: `timeout: health rpc did not complete within ${secs}` }
      : { result: 'failure', output: `timeout: failed to connect service "${addr}" within ${secs}` }), timeoutMs);
    const connectFailed = (e: Error): ProbeOutcome => {
      const cause = e.cause instanceof Error ? e.cause.message : e.message;
      return { result: 'failure', output: `error: failed to connect service "${addr}": ${cause}` };
    };
    session.on('error', (e) => finish(connectFailed(e)));
    session.on('connect', () => { connected = true; });
    const req = session.request({
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: '/grpc.health.v1.Health/Check',
      [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
      te: 'trailers',
      'user-agent': 'kube-probe/1.30',
    });
    const chunks: Buffer[] = [];
    let grpcStatus: string | undefined;
    let grpcMessage = '';
    const takeStatus = (h: Record<string, unknown>): void => {
      if (h['grpc-status'] !== undefined) grpcStatus = String(h['grpc-status']);
      if (h['grpc-message'] !== undefined) grpcMessage = decodeURIComponent(String(h['grpc-message']));
    };
    req.on('response', (h) => takeStatus(h));
    req.on('trailers', (h) => takeStatus(h));
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('error', (e) => finish(connected ? { result: 'failure', output: `error: health rpc failed: ${e.message}` } : connectFailed(e)));
    req.on('end', () => {
      if (grpcStatus === '12') {
        finish({ result: 'failure', output: `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${grpcMessage}` });
        return;
      }
      if (grpcStatus !== '0') {
        finish({ result: 'failure', output: `error: health rpc probe failed: rpc error: code = ${grpcStatus ?? 'unknown'} desc = ${grpcMessage}` });
        return;
      }
      const status = decodeHealthCheckResponse(Buffer.concat(chunks));
      if (status === 1) finish({ result: 'success', output: 'service is serving' });
      else finish({ result: 'failure', output: `service unhealthy (responded with "${STATUS_NAMES[status ?? 0] ?? String(status)}")` });
    });
    req.end(encodeHealthCheckRequest(service));
  });
}
