// DNS messages on the wire, through dns-packet (RFC 1035 encoding and decoding, EDNS0's OPT
// record): reading a query, and writing a response that fits the transport — 512 bytes over
// UDP, or what the client's EDNS0 buffer allows (at most 1232, the DNS flag day's size that
// avoids IP fragmentation), 64 KiB over TCP. A response that does not fit is truncated (TC),
// and the client asks again over TCP.
import * as dnsPacket from 'dns-packet';
import type { Answer, OptAnswer, Question } from 'dns-packet';

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16 } as const;
export type RcodeName = keyof typeof RCODE;

const OPCODE_MASK = 0x7800;
const QR = 0x8000;
/** What a response copies from its query: opcode, RD and CD (RFC 1035 4.1.1, RFC 4035 3.2.2). */
const ECHOED = OPCODE_MASK | dnsPacket.RECURSION_DESIRED | dnsPacket.CHECKING_DISABLED;

export const UDP_MIN_SIZE = 512;
export const UDP_MAX_SIZE = 1232;
export const TCP_MAX_SIZE = 65_535;

export interface Edns {
  readonly udpSize: number;
  readonly version: number;
  readonly dnssecOk: boolean;
}

export interface Query {
  readonly id: number;
  /** The header's flags word as sent. */
  readonly flags: number;
  readonly opcode: number;
  readonly question: Question;
  readonly edns: Edns | undefined;
}

export type Decoded =
  | { readonly ok: true; readonly query: Query }
  /** Answered with `rcode` (FORMERR, NOTIMP) and no question; undefined `id`: not even a header, dropped. */
  | { readonly ok: false; readonly id: number | undefined; readonly flags: number; readonly rcode: RcodeName };

/** Reads a query; never throws. */
export function decodeQuery(buf: Buffer): Decoded {
  if (buf.length < 12) return { ok: false, id: undefined, flags: 0, rcode: 'FORMERR' };
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  // A response sent to us is never answered (that is how two servers loop).
  if (flags & QR) return { ok: false, id: undefined, flags, rcode: 'FORMERR' };
  const opcode = (flags & OPCODE_MASK) >> 11;
  if (opcode !== 0) return { ok: false, id, flags, rcode: 'NOTIMP' };
  let packet: dnsPacket.DecodedPacket;
  try {
    packet = dnsPacket.decode(buf);
  } catch {
    return { ok: false, id, flags, rcode: 'FORMERR' };
  }
  const question = packet.questions?.length === 1 ? packet.questions[0] : undefined;
  if (!question) return { ok: false, id, flags, rcode: 'FORMERR' };
  const opt = packet.additionals?.find((a): a is OptAnswer => a.type === 'OPT');
  const edns = opt ? { udpSize: opt.udpPayloadSize, version: opt.ednsVersion, dnssecOk: Boolean(opt.flag_do) } : undefined;
  return { ok: true, query: { id, flags, opcode, question: { ...question, name: question.name === '.' ? '' : question.name }, edns } };
}

/** The largest response the client takes over this transport. */
export function maxResponseSize(query: Pick<Query, 'edns'>, transport: 'udp' | 'tcp'): number {
  if (transport === 'tcp') return TCP_MAX_SIZE;
  if (!query.edns) return UDP_MIN_SIZE;
  return Math.max(UDP_MIN_SIZE, Math.min(query.edns.udpSize, UDP_MAX_SIZE));
}

export interface ResponseParts {
  readonly rcode: RcodeName;
  readonly authoritative: boolean;
  readonly recursionAvailable: boolean;
  readonly answers?: readonly Answer[];
  readonly authorities?: readonly Answer[];
  readonly additionals?: readonly Answer[];
}

function optRecord(edns: Edns, rcode: number): OptAnswer {
  return {
    name: '.', type: 'OPT', udpPayloadSize: UDP_MAX_SIZE, extendedRcode: rcode >> 4, ednsVersion: 0,
    flags: edns.dnssecOk ? dnsPacket.DNSSEC_OK : 0, flag_do: edns.dnssecOk, options: [],
  };
}

/** A response to `query` (or to a bare header when the query could not be read). */
export function encodeResponse(
  query: { readonly id: number; readonly flags: number; readonly question?: Question | undefined; readonly edns?: Edns | undefined },
  parts: ResponseParts,
  maxSize: number,
): Buffer {
  const rcode = RCODE[parts.rcode];
  let flags = (query.flags & ECHOED) | (rcode & 0xf);
  if (parts.authoritative) flags |= dnsPacket.AUTHORITATIVE_ANSWER;
  if (parts.recursionAvailable) flags |= dnsPacket.RECURSION_AVAILABLE;
  const opt = query.edns ? [optRecord(query.edns, rcode)] : [];
  const packet: dnsPacket.Packet = {
    type: 'response',
    id: query.id,
    flags,
    questions: query.question ? [query.question] : [],
    answers: [...(parts.answers ?? [])],
    authorities: [...(parts.authorities ?? [])],
    additionals: [...(parts.additionals ?? []), ...opt],
  };
  if (dnsPacket.encodingLength(packet) <= maxSize) return dnsPacket.encode(packet);
  // Too big: the additionals go first, then answers from the end until it fits (RFC 2181
  // 9: the client sees TC and asks over TCP). The OPT record stays (RFC 6891 7).
  packet.flags = flags | dnsPacket.TRUNCATED_RESPONSE;
  packet.additionals = opt;
  const answers = packet.answers ?? [];
  while (answers.length > 0 && dnsPacket.encodingLength(packet) > maxSize) answers.pop();
  if (dnsPacket.encodingLength(packet) > maxSize) packet.authorities = [];
  return dnsPacket.encode(packet);
}

/** A query of our own (following a CNAME out of the zone through the upstream). */
export function encodeQuery(name: string, type: string, id: number): Buffer {
  return dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: type as dnsPacket.RecordType, class: 'IN' }] });
}

/** The answer section of an encoded response; empty when it cannot be read. */
export function answersOf(buf: Buffer): Answer[] {
  try {
    return dnsPacket.decode(buf).answers ?? [];
  } catch {
    return [];
  }
}

/** The rcode of an encoded response (a forwarded one, say), by name for metrics. */
export function responseRcode(buf: Buffer): string {
  if (buf.length < 4) return 'SERVFAIL';
  const code = buf.readUInt16BE(2) & 0xf;
  const name = (Object.keys(RCODE) as RcodeName[]).find((k) => RCODE[k] === code);
  return name ?? String(code);
}
