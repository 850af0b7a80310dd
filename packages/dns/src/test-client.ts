// A bare DNS client for tests and the load generator: one message over UDP or TCP, whole
// messages in and out (node:dns hides the rcode, the flags and the authority section).
import { createSocket } from 'node:dgram';
import { connect, isIPv6 } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { parseHostPort } from '@tugboat/api';

export interface QuestionSpec {
  readonly name: string;
  readonly type?: string;
  readonly id?: number;
  /** EDNS0 with this UDP size. */
  readonly edns?: number;
  /** Default: recursion desired, as stub resolvers send. */
  readonly flags?: number;
}

export function encodeQuestion(q: QuestionSpec): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: q.id ?? Math.floor(Math.random() * 0x10000),
    flags: q.flags ?? dnsPacket.RECURSION_DESIRED,
    questions: [{ name: q.name, type: (q.type ?? 'A') as dnsPacket.RecordType, class: 'IN' }],
    ...(q.edns ? { additionals: [{ name: '.', type: 'OPT', udpPayloadSize: q.edns, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] } : {}),
  });
}

/** Sends `msg` over UDP to HOST:PORT and returns the first datagram back. */
export function udpExchange(address: string, msg: Buffer, timeoutMs = 2_000): Promise<Buffer> {
  const { host, port } = parseHostPort(address, 'address');
  return new Promise((resolve, reject) => {
    const sock = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    const timer = setTimeout(() => { sock.close(); reject(new Error(`no UDP answer from ${address} in ${timeoutMs} ms`)); }, timeoutMs);
    sock.on('message', (m) => { clearTimeout(timer); sock.close(); resolve(m); });
    sock.on('error', (e) => { clearTimeout(timer); sock.close(); reject(e); });
    sock.send(msg, port, host);
  });
}

/** Sends each message over one TCP connection (2-byte length framing) and returns the answers in order of arrival. */
export function tcpExchange(address: string, msgs: readonly Buffer[], timeoutMs = 2_000): Promise<Buffer[]> {
  const { host, port } = parseHostPort(address, 'address');
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port });
    const out: Buffer[] = [];
    let buf: Buffer = Buffer.alloc(0);
    sock.setTimeout(timeoutMs, () => { sock.destroy(); reject(new Error(`TCP answers from ${address} incomplete after ${timeoutMs} ms`)); });
    sock.on('error', reject);
    sock.on('connect', () => {
      // All in one write: the server must split the frames itself.
      sock.write(Buffer.concat(msgs.map((m) => { const l = Buffer.alloc(2); l.writeUInt16BE(m.length); return Buffer.concat([l, m]); })));
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const n = buf.readUInt16BE(0);
        out.push(buf.subarray(2, 2 + n));
        buf = buf.subarray(2 + n);
      }
      if (out.length === msgs.length) { sock.end(); resolve(out); }
    });
  });
}

export interface DecodedResponse extends dnsPacket.DecodedPacket {
  /** The rcode by name (NOERROR, NXDOMAIN, …). */
  readonly rcode: string;
}

export function decodeResponse(buf: Buffer): DecodedResponse {
  return dnsPacket.decode(buf) as DecodedResponse;
}

export async function queryUdp(address: string, q: QuestionSpec, timeoutMs?: number): Promise<DecodedResponse> {
  return decodeResponse(await udpExchange(address, encodeQuestion(q), timeoutMs));
}

export async function queryTcp(address: string, q: QuestionSpec): Promise<DecodedResponse> {
  const [answer] = await tcpExchange(address, [encodeQuestion(q)]);
  return decodeResponse(answer!);
}
