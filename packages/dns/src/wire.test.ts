// Reading queries and writing responses with dns-packet: flags, EDNS0, truncation.
import test from 'ava';
import * as dnsPacket from 'dns-packet';
import type { Answer } from 'dns-packet';
import { decodeQuery, encodeResponse, maxResponseSize, responseRcode } from './wire.js';
import { encodeQuestion } from './test-client.js';

test('a query is read with its question, flags and EDNS0 buffer size', (t) => {
  const d = decodeQuery(encodeQuestion({ name: 'web.default.svc.cluster.local', type: 'SRV', id: 99, edns: 4096 }));
  if (!d.ok) return t.fail(d.rcode);
  t.is(d.query.id, 99);
  t.deepEqual(d.query.question, { name: 'web.default.svc.cluster.local', type: 'SRV', class: 'IN' });
  t.deepEqual(d.query.edns, { udpSize: 4096, version: 0, dnssecOk: false });
  t.is(maxResponseSize(d.query, 'udp'), 1232);
  t.is(maxResponseSize({ edns: undefined }, 'udp'), 512);
  t.is(maxResponseSize({ edns: { udpSize: 100, version: 0, dnssecOk: false } }, 'udp'), 512);
  t.is(maxResponseSize(d.query, 'tcp'), 65_535);
});

test('what cannot be answered: short, responses, other opcodes, no question, garbage', (t) => {
  t.like(decodeQuery(Buffer.alloc(5)), { ok: false, id: undefined });
  const response = dnsPacket.encode({ type: 'response', id: 1, questions: [{ name: 'a', type: 'A' }] });
  t.like(decodeQuery(response), { ok: false, id: undefined });
  const update = Buffer.from(encodeQuestion({ name: 'a', id: 3 }));
  update.writeUInt16BE(5 << 11, 2);
  t.like(decodeQuery(update), { ok: false, id: 3, rcode: 'NOTIMP' });
  t.like(decodeQuery(dnsPacket.encode({ type: 'query', id: 4, questions: [] })), { ok: false, id: 4, rcode: 'FORMERR' });
  t.like(decodeQuery(Buffer.from([0, 5, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 63, 97])), { ok: false, id: 5, rcode: 'FORMERR' });
});

test('a response echoes ID, opcode, RD and the question; sets QR, AA and the rcode', (t) => {
  const d = decodeQuery(encodeQuestion({ name: 'Web.Default.svc.cluster.local', id: 7 }));
  if (!d.ok) return t.fail();
  const out = dnsPacket.decode(encodeResponse(d.query, { rcode: 'NXDOMAIN', authoritative: true, recursionAvailable: false }, 512)) as dnsPacket.DecodedPacket & { rcode: string };
  t.is(out.id, 7);
  t.true(out.flag_qr && out.flag_aa && out.flag_rd && !out.flag_ra && !out.flag_tc);
  t.is(out.rcode, 'NXDOMAIN');
  t.is(out.questions?.[0]?.name, 'Web.Default.svc.cluster.local');
  t.is(responseRcode(encodeResponse(d.query, { rcode: 'REFUSED', authoritative: false, recursionAvailable: false }, 512)), 'REFUSED');
});

test('too big for the transport: additionals dropped, answers cut to fit, TC set, OPT kept', (t) => {
  const d = decodeQuery(encodeQuestion({ name: 'big.default.svc.cluster.local', edns: 1232 }));
  if (!d.ok) return t.fail();
  const answers: Answer[] = Array.from({ length: 100 }, (_, i) => ({ name: 'big.default.svc.cluster.local', type: 'A', ttl: 5, data: `198.18.0.${i + 1}` }));
  const glue: Answer[] = [{ name: 'x.default.svc.cluster.local', type: 'A', ttl: 5, data: '198.18.1.1' }];
  const small = encodeResponse(d.query, { rcode: 'NOERROR', authoritative: true, recursionAvailable: false, answers, additionals: glue }, 512);
  t.true(small.length <= 512);
  const s = dnsPacket.decode(small);
  t.true(s.flag_tc);
  t.deepEqual(s.additionals?.map((a) => a.type), ['OPT']);
  t.true((s.answers?.length ?? 0) > 5);
  const whole = dnsPacket.decode(encodeResponse(d.query, { rcode: 'NOERROR', authoritative: true, recursionAvailable: false, answers, additionals: glue }, 65_535));
  t.false(whole.flag_tc);
  t.is(whole.answers?.length, 100);
});
