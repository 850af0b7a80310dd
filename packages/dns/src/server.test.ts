// The DNS server on real sockets, fed by an index filled by hand: the wire (flags, IDs, EDNS,
// truncation, TCP framing, malformed messages), the response cache, forwarding and metrics.
import test from 'ava';
import * as dnsPacket from 'dns-packet';
import { ClusterIndex } from './cluster-index.js';
import { DnsMetrics } from './metrics.js';
import type { ZoneConfig } from './resolve.js';
import { DnsServer } from './server.js';
import { decodeResponse, encodeQuestion, queryTcp, queryUdp, tcpExchange, udpExchange } from './test-client.js';
import { pod, service, slice } from './test-util.js';

const ZONE: ZoneConfig = { zone: 'cluster.local', ttl: 5, nameserverIPs: ['198.19.0.10'], pods: 'verified' };

function filledIndex(): ClusterIndex {
  const ix = new ClusterIndex();
  ix.setNamespace('default', true);
  ix.putService(service('default', 'web', { clusterIP: '198.19.0.20' }));
  ix.putService(service('default', 'big', { clusterIP: 'None' }));
  ix.putSlice(slice('default', 'big', 'big-1', Array.from({ length: 100 }, (_, i) => ({ ip: `198.18.10.${i + 1}` }))));
  ix.putPod(pod('default', 'p', '198.18.1.5'));
  ix.putService(service('default', 'ext', { type: 'ExternalName', externalName: 'db.prod.svc.example.test' }));
  return ix;
}

async function start(opts: { index?: ClusterIndex; zone?: ZoneConfig; upstream?: string; synced?: () => boolean } = {}): Promise<{ server: DnsServer; index: ClusterIndex; metrics: DnsMetrics }> {
  const index = opts.index ?? filledIndex();
  const metrics = new DnsMetrics({ defaultMetrics: false });
  const upstreams = opts.upstream ? [{ host: '127.0.0.1', port: Number(opts.upstream.split(':')[1]) }] : [];
  const server = await DnsServer.start({ listen: '127.0.0.1:0', index, zone: opts.zone ?? ZONE, metrics, upstreams, ...(opts.synced ? { synced: opts.synced } : {}) });
  return { server, index, metrics };
}

test('a UDP answer: ID and question echoed (case kept), QR AA RD set, no RA, TTL 5', async (t) => {
  const { server } = await start();
  try {
    const r = await queryUdp(server.address, { name: 'Web.Default.Svc.Cluster.Local', id: 4242 });
    t.is(r.id, 4242);
    t.true(r.flag_qr && r.flag_aa && r.flag_rd);
    t.false(r.flag_ra);
    t.is(r.rcode, 'NOERROR');
    t.deepEqual(r.questions, [{ name: 'Web.Default.Svc.Cluster.Local', type: 'A', class: 'IN' }]);
    t.like(r.answers?.[0], { name: 'Web.Default.Svc.Cluster.Local', type: 'A', ttl: 5, data: '198.19.0.20' });
  } finally {
    await server.close();
  }
});

test('encoded responses are cached per query (the ID patched in) and dropped when the index changes', async (t) => {
  const { server, index } = await start();
  try {
    const first = await queryUdp(server.address, { name: 'web.default.svc.cluster.local', id: 1 });
    t.is(server.cachedResponses(), 1);
    const again = await queryUdp(server.address, { name: 'web.default.svc.cluster.local', id: 2 });
    t.is(again.id, 2);
    t.deepEqual(again.answers, first.answers);
    t.is(server.cachedResponses(), 1, 'the second was a hit');
    index.putService(service('default', 'web', { clusterIP: '198.19.0.21' }));
    t.is(server.cachedResponses(), 0);
    t.like((await queryUdp(server.address, { name: 'web.default.svc.cluster.local', id: 3 })).answers?.[0], { data: '198.19.0.21' });
    // A change no answer can see keeps the cache.
    const before = server.cachedResponses();
    index.putService({ ...service('default', 'web', { clusterIP: '198.19.0.21' }), metadata: { name: 'web', namespace: 'default', labels: { a: 'b' } } });
    t.is(server.cachedResponses(), before);
  } finally {
    await server.close();
  }
});

test('NXDOMAIN in the zone carries the SOA; outside it (no --upstream) NXDOMAIN without authority', async (t) => {
  const { server } = await start();
  try {
    const inZone = await queryUdp(server.address, { name: 'nope.default.svc.cluster.local' });
    t.is(inZone.rcode, 'NXDOMAIN');
    t.true(inZone.flag_aa);
    t.like(inZone.authorities?.[0], { name: 'cluster.local', type: 'SOA', ttl: 5, data: { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', minimum: 5 } });
    const outside = await queryUdp(server.address, { name: 'example.com' });
    t.is(outside.rcode, 'NXDOMAIN');
    t.false(outside.flag_aa);
    t.deepEqual(outside.authorities, []);
    // Without an upstream, an ExternalName out of the zone is its CNAME alone.
    t.deepEqual((await queryUdp(server.address, { name: 'ext.default.svc.cluster.local' })).answers?.map((a) => a.type), ['CNAME']);
    const nodata = await queryUdp(server.address, { name: 'web.default.svc.cluster.local', type: 'AAAA' });
    t.is(nodata.rcode, 'NOERROR');
    t.deepEqual(nodata.answers, []);
    t.is(nodata.authorities?.[0]?.type, 'SOA');
  } finally {
    await server.close();
  }
});

test('before the informers sync, a name not found is SERVFAIL (and not cached); found names are answered', async (t) => {
  let synced = false;
  const { server } = await start({ synced: () => synced });
  try {
    t.is((await queryUdp(server.address, { name: 'nope.default.svc.cluster.local' })).rcode, 'SERVFAIL');
    t.is((await queryUdp(server.address, { name: 'web.default.svc.cluster.local' })).rcode, 'NOERROR');
    synced = true;
    t.is((await queryUdp(server.address, { name: 'nope.default.svc.cluster.local' })).rcode, 'NXDOMAIN');
  } finally {
    await server.close();
  }
});

test('a response too big for UDP is truncated (TC) and whole over TCP; EDNS0 raises the limit to 1232', async (t) => {
  const { server } = await start();
  try {
    const plain = await udpExchange(server.address, encodeQuestion({ name: 'big.default.svc.cluster.local' }));
    t.true(plain.length <= 512);
    const p = decodeResponse(plain);
    t.true(p.flag_tc);
    t.true((p.answers?.length ?? 0) > 0 && (p.answers?.length ?? 0) < 100);
    const edns = await udpExchange(server.address, encodeQuestion({ name: 'big.default.svc.cluster.local', edns: 4096 }));
    t.true(edns.length <= 1232 && edns.length > 512);
    const e = decodeResponse(edns);
    t.like(e.additionals?.find((a) => a.type === 'OPT'), { udpPayloadSize: 1232 });
    const tcp = await queryTcp(server.address, { name: 'big.default.svc.cluster.local' });
    t.false(tcp.flag_tc);
    t.is(tcp.answers?.length, 100);
  } finally {
    await server.close();
  }
});

test('TCP: several framed queries in one write get one answer each', async (t) => {
  const { server } = await start();
  try {
    const answers = (await tcpExchange(server.address, [
      encodeQuestion({ name: 'web.default.svc.cluster.local', id: 10 }),
      encodeQuestion({ name: '198-18-1-5.default.pod.cluster.local', id: 11 }),
      encodeQuestion({ name: 'nope.default.svc.cluster.local', id: 12 }),
    ])).map(decodeResponse);
    t.deepEqual(answers.map((a) => [a.id, a.rcode, a.answers?.[0]?.type === 'A' ? a.answers[0].data : '']).sort(), [
      [10, 'NOERROR', '198.19.0.20'], [11, 'NOERROR', '198.18.1.5'], [12, 'NXDOMAIN', ''],
    ]);
  } finally {
    await server.close();
  }
});

test('malformed and unsupported messages: FORMERR, NOTIMP, BADVERS, REFUSED; responses are never answered', async (t) => {
  const { server } = await start();
  try {
    const noQuestion = dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [] });
    t.is(decodeResponse(await udpExchange(server.address, noQuestion)).rcode, 'FORMERR');
    const status = Buffer.from(encodeQuestion({ name: 'web.default.svc.cluster.local' }));
    status.writeUInt16BE(2 << 11, 2); // opcode STATUS
    t.is(decodeResponse(await udpExchange(server.address, status)).rcode, 'NOTIMP');
    const v1 = dnsPacket.encode({
      type: 'query', id: 8, questions: [{ name: 'web.default.svc.cluster.local', type: 'A' }],
      additionals: [{ name: '.', type: 'OPT', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 1, flags: 0, flag_do: false, options: [] }],
    });
    const badvers = decodeResponse(await udpExchange(server.address, v1));
    t.like(badvers.additionals?.find((a) => a.type === 'OPT'), { extendedRcode: 1 }, 'BADVERS is extended rcode 16');
    const chaos = dnsPacket.encode({ type: 'query', id: 9, questions: [{ name: 'version.bind', type: 'TXT', class: 'CH' }] });
    t.is(decodeResponse(await udpExchange(server.address, chaos)).rcode, 'REFUSED');
    const response = dnsPacket.encode({ type: 'response', id: 9, questions: [{ name: 'web.default.svc.cluster.local', type: 'A' }] });
    await t.throwsAsync(udpExchange(server.address, response, 300), { message: /no UDP answer/ });
    // A question whose name runs past the end of the message.
    t.is(decodeResponse(await udpExchange(server.address, Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 63, 97]))).rcode, 'FORMERR');
  } finally {
    await server.close();
  }
});

test('names outside the zone go to --upstream over UDP and TCP; an upstream that never answers gives SERVFAIL', async (t) => {
  const upIndex = new ClusterIndex();
  upIndex.setNamespace('prod', true);
  upIndex.putService(service('prod', 'db', { clusterIP: '198.19.5.5' }));
  const upstream = await start({ index: upIndex, zone: { zone: 'example.test', ttl: 30, nameserverIPs: [], pods: 'disabled' } });
  const { server } = await start({ upstream: upstream.server.address });
  try {
    const viaUdp = await queryUdp(server.address, { name: 'db.prod.svc.example.test', id: 77 });
    t.is(viaUdp.id, 77);
    t.like(viaUdp.answers?.[0], { type: 'A', ttl: 30, data: '198.19.5.5' });
    const viaTcp = await queryTcp(server.address, { name: 'db.prod.svc.example.test' });
    t.like(viaTcp.answers?.[0], { data: '198.19.5.5' });
    t.is((await queryUdp(server.address, { name: 'nope.prod.svc.example.test' })).rcode, 'NXDOMAIN');
    t.is(server.cachedResponses(), 0, 'forwarded answers are not cached');
    // An ExternalName pointing out of the zone: the CNAME, then the target's address from upstream.
    const ext = await queryUdp(server.address, { name: 'ext.default.svc.cluster.local' });
    t.deepEqual(ext.answers?.map((a) => [a.type, 'data' in a ? a.data : '']), [['CNAME', 'db.prod.svc.example.test'], ['A', '198.19.5.5']]);
    t.true(ext.flag_aa);
    // The cluster's own names are still ours.
    t.like((await queryUdp(server.address, { name: 'web.default.svc.cluster.local' })).answers?.[0], { data: '198.19.0.20' });
  } finally {
    await server.close();
  }
  // An upstream that is gone.
  const port = upstream.server.port;
  await upstream.server.close();
  const lonely = await start({ upstream: `127.0.0.1:${port}` });
  try {
    t.is((await queryUdp(lonely.server.address, { name: 'db.prod.svc.example.test' }, 5_000)).rcode, 'SERVFAIL');
  } finally {
    await lonely.server.close();
  }
});

test('metrics count requests and responses with CoreDNS\'s names and labels', async (t) => {
  const { server, metrics } = await start();
  try {
    for (let i = 0; i < 3; i++) await queryUdp(server.address, { name: 'web.default.svc.cluster.local' });
    await queryUdp(server.address, { name: 'nope.default.svc.cluster.local', type: 'SRV' });
    await queryTcp(server.address, { name: 'web.default.svc.cluster.local' });
    const text = await metrics.registry.metrics();
    const srv = `dns://${server.address}`;
    t.true(text.includes(`coredns_dns_requests_total{server="${srv}",zone="cluster.local.",proto="udp",family="1",type="A"} 3`), text);
    t.true(text.includes(`coredns_dns_requests_total{server="${srv}",zone="cluster.local.",proto="tcp",family="1",type="A"} 1`));
    t.true(text.includes(`coredns_dns_responses_total{server="${srv}",zone="cluster.local.",rcode="NOERROR",plugin="kubernetes"} 4`));
    t.true(text.includes(`coredns_dns_responses_total{server="${srv}",zone="cluster.local.",rcode="NXDOMAIN",plugin="kubernetes"} 1`));
    t.regex(text, new RegExp(`coredns_dns_request_duration_seconds_count\\{server="${srv.replaceAll('.', '\\.')}",zone="cluster\\.local\\.",type="A"\\} 4`));
    // Counted once: a second scrape adds nothing.
    t.true((await metrics.registry.metrics()).includes(`type="A"} 3`));
  } finally {
    await server.close();
  }
});

test('binding errors name the flag', async (t) => {
  const { server } = await start();
  try {
    await t.throwsAsync(DnsServer.start({ listen: server.address, index: new ClusterIndex(), zone: ZONE, metrics: new DnsMetrics({ defaultMetrics: false }) }),
      { message: `--listen ${server.address}: udp: address already in use` });
    await t.throwsAsync(DnsServer.start({ listen: 'nonsense', index: new ClusterIndex(), zone: ZONE, metrics: new DnsMetrics({ defaultMetrics: false }) }),
      { message: '--listen: expected HOST:PORT, got "nonsense"' });
  } finally {
    await server.close();
  }
});
