// resolve(): caches in, answer out — every record kind of Kubernetes' DNS specification, and
// NXDOMAIN / NODATA exactly where CoreDNS's kubernetes plugin gives them.
import test from 'ava';
import type { Answer } from 'dns-packet';
import { ClusterIndex } from './cluster-index.js';
import { resolve, type Resolution, type ZoneConfig } from './resolve.js';
import { pod, service, slice } from './test-util.js';

const ZONE: ZoneConfig = { zone: 'cluster.local', ttl: 5, nameserverIPs: ['198.19.0.10'], pods: 'verified' };

function cluster(): ClusterIndex {
  const ix = new ClusterIndex(() => 1_700_000_000_000);
  for (const ns of ['default', 'prod', 'tugboat-system']) ix.setNamespace(ns, true);
  ix.putService(service('default', 'web', { clusterIP: '198.19.0.20', ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }, { port: 9000, protocol: 'TCP', name: '' }] }));
  ix.putSlice(slice('default', 'web', 'web-abc', [{ ip: '198.18.1.10', hostname: 'web-0' }, { ip: '198.18.1.11' }]));
  ix.putService(service('default', 'db', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] }));
  ix.putSlice(slice('default', 'db', 'db-1', [{ ip: '198.18.2.1', hostname: 'db-0' }, { ip: '198.18.2.2', hostname: 'db-1' }, { ip: '198.18.2.3', ready: false }], [{ name: 'pg', port: 5432 }]));
  ix.putSlice(slice('default', 'db', 'db-2', [{ ip: '198.18.3.1' }], [{ name: 'pg', port: 5432 }]));
  ix.putService(service('default', 'empty', { clusterIP: 'None', ports: [{ name: 'x', port: 1, protocol: 'TCP' }] }));
  ix.putService(service('default', 'ext', { type: 'ExternalName', externalName: 'www.example.com' }));
  ix.putService(service('default', 'alias', { type: 'ExternalName', externalName: 'web.default.svc.cluster.local' }));
  ix.putService(service('prod', 'web', { clusterIP: '198.19.0.30' }));
  ix.putPod(pod('default', 'p1', '198.18.1.5'));
  ix.putPod(pod('default', 'gone', '198.18.1.6', true));
  return ix;
}

type Auth = Extract<Resolution, { kind: 'authoritative' }>;

function auth(t: { fail(m: string): void }, r: Resolution): Auth {
  if (r.kind !== 'authoritative') {
    t.fail(`expected an authoritative answer, got ${r.kind}`);
    throw new Error('not authoritative');
  }
  return r;
}

const data = (answers: readonly Answer[]): unknown[] => answers.map((a) => ('data' in a ? a.data : undefined));

test('a ClusterIP Service: A is its ClusterIP, TTL 5, owner as asked; names are case-insensitive', (t) => {
  const ix = cluster();
  const r = auth(t, resolve(ix, ZONE, 'web.default.svc.cluster.local', 'A'));
  t.is(r.rcode, 'NOERROR');
  t.deepEqual(r.answers, [{ name: 'web.default.svc.cluster.local', type: 'A', ttl: 5, data: '198.19.0.20' }]);
  const upper = auth(t, resolve(ix, ZONE, 'WEB.Default.SVC.Cluster.Local', 'A'));
  t.deepEqual(upper.answers, [{ name: 'WEB.Default.SVC.Cluster.Local', type: 'A', ttl: 5, data: '198.19.0.20' }]);
  t.deepEqual(data(auth(t, resolve(ix, ZONE, 'web.prod.svc.cluster.local', 'A')).answers), ['198.19.0.30']);
});

test('NXDOMAIN for names that do not exist, with the zone SOA in the authority section', (t) => {
  const ix = cluster();
  for (const name of [
    'nope.default.svc.cluster.local', 'web.nope.svc.cluster.local', 'nope.svc.cluster.local', 'a.b.c.web.default.svc.cluster.local',
    'web.default.cluster.local', 'x.cluster.local', 'web.default.svc.cluster.local.default.svc.cluster.local',
  ]) {
    const r = auth(t, resolve(ix, ZONE, name, 'A'));
    t.is(r.rcode, 'NXDOMAIN', name);
    t.deepEqual(r.answers, [], name);
    t.deepEqual(r.authorities, [{
      name: 'cluster.local', type: 'SOA', ttl: 5,
      data: { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: 1_700_000_000, refresh: 7200, retry: 1800, expire: 86_400, minimum: 5 },
    }], name);
  }
  // The SOA owner keeps the question's case, as CoreDNS's does.
  t.is(auth(t, resolve(ix, ZONE, 'nope.default.svc.Cluster.LOCAL', 'A')).authorities[0]?.name, 'Cluster.LOCAL');
});

test('NODATA (NOERROR, no answers, SOA) for existing names asked another type; AAAA in an IPv4 cluster', (t) => {
  const ix = cluster();
  for (const [name, type] of [
    ['web.default.svc.cluster.local', 'AAAA'], ['web.default.svc.cluster.local', 'TXT'], ['web.default.svc.cluster.local', 'MX'],
    ['default.svc.cluster.local', 'A'], ['svc.cluster.local', 'A'], ['pod.cluster.local', 'A'], ['cluster.local', 'A'],
    ['198-18-1-5.default.pod.cluster.local', 'AAAA'], ['dns-version.cluster.local', 'A'], ['default.pod.cluster.local', 'A'],
  ] as const) {
    const r = auth(t, resolve(ix, ZONE, name, type));
    t.is(r.rcode, 'NOERROR', `${name} ${type}`);
    t.deepEqual(r.answers, [], `${name} ${type}`);
    t.is(r.authorities[0]?.type, 'SOA', `${name} ${type}`);
  }
});

test('a pod asking through its search path gets NXDOMAIN until the name that exists', (t) => {
  const ix = cluster();
  // resolv.conf: search default.svc.cluster.local svc.cluster.local cluster.local; ndots:5.
  const walk = (name: string): string[] => [`${name}.default.svc.cluster.local`, `${name}.svc.cluster.local`, `${name}.cluster.local`, name]
    .map((q) => { const r = resolve(ix, ZONE, q, 'A'); return r.kind === 'authoritative' ? `${r.rcode}:${r.answers.length}` : r.kind; });
  t.deepEqual(walk('web'), ['NOERROR:1', 'NXDOMAIN:0', 'NXDOMAIN:0', 'outside']);
  t.deepEqual(walk('web.prod'), ['NXDOMAIN:0', 'NOERROR:1', 'NXDOMAIN:0', 'outside']);
  t.deepEqual(walk('web.prod.svc'), ['NXDOMAIN:0', 'NXDOMAIN:0', 'NOERROR:1', 'outside']);
  t.deepEqual(walk('example.com'), ['NXDOMAIN:0', 'NXDOMAIN:0', 'NXDOMAIN:0', 'outside']);
});

test('SRV for a named port targets the Service, with its address as an additional record', (t) => {
  const ix = cluster();
  const r = auth(t, resolve(ix, ZONE, '_http._tcp.web.default.svc.cluster.local', 'SRV'));
  t.deepEqual(r.answers, [{ name: '_http._tcp.web.default.svc.cluster.local', type: 'SRV', ttl: 5, data: { priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' } }]);
  t.deepEqual(r.additionals, [{ name: 'web.default.svc.cluster.local', type: 'A', ttl: 5, data: '198.19.0.20' }]);
  t.deepEqual(data(auth(t, resolve(ix, ZONE, '_DNS._UDP.web.default.svc.cluster.local', 'SRV')).answers), [{ priority: 0, weight: 100, port: 53, target: 'web.default.svc.cluster.local' }]);
  // Wrong protocol or an unknown port name: no such name.
  t.is(auth(t, resolve(ix, ZONE, '_http._udp.web.default.svc.cluster.local', 'SRV')).rcode, 'NXDOMAIN');
  t.is(auth(t, resolve(ix, ZONE, '_nope._tcp.web.default.svc.cluster.local', 'SRV')).rcode, 'NXDOMAIN');
  // The Service's own name: one SRV per port (CoreDNS's reading), the weight split evenly.
  const all = auth(t, resolve(ix, ZONE, 'web.default.svc.cluster.local', 'SRV'));
  t.deepEqual(data(all.answers), [80, 53, 9000].map((port) => ({ priority: 0, weight: 33, port, target: 'web.default.svc.cluster.local' })));
});

test('a headless Service answers its ready endpoints; endpoints have names; SRV targets each endpoint', (t) => {
  const ix = cluster();
  const a = auth(t, resolve(ix, ZONE, 'db.default.svc.cluster.local', 'A'));
  t.deepEqual(data(a.answers), ['198.18.2.1', '198.18.2.2', '198.18.3.1'], 'the not-ready 198.18.2.3 is left out');
  t.deepEqual(data(auth(t, resolve(ix, ZONE, 'db-1.db.default.svc.cluster.local', 'A')).answers), ['198.18.2.2']);
  t.deepEqual(data(auth(t, resolve(ix, ZONE, '198-18-3-1.db.default.svc.cluster.local', 'A')).answers), ['198.18.3.1'], 'no hostname: the dashed IP');
  t.is(auth(t, resolve(ix, ZONE, '198-18-2-3.db.default.svc.cluster.local', 'A')).rcode, 'NXDOMAIN', 'not ready');
  t.is(auth(t, resolve(ix, ZONE, 'db-9.db.default.svc.cluster.local', 'A')).rcode, 'NXDOMAIN');
  const srv = auth(t, resolve(ix, ZONE, '_pg._tcp.db.default.svc.cluster.local', 'SRV'));
  t.deepEqual(data(srv.answers), [
    { priority: 0, weight: 33, port: 5432, target: 'db-0.db.default.svc.cluster.local' },
    { priority: 0, weight: 33, port: 5432, target: 'db-1.db.default.svc.cluster.local' },
    { priority: 0, weight: 33, port: 5432, target: '198-18-3-1.db.default.svc.cluster.local' },
  ]);
  t.deepEqual(srv.additionals.map((x) => [x.name, 'data' in x ? x.data : '']), [
    ['db-0.db.default.svc.cluster.local', '198.18.2.1'], ['db-1.db.default.svc.cluster.local', '198.18.2.2'], ['198-18-3-1.db.default.svc.cluster.local', '198.18.3.1'],
  ]);
  // Endpoint names exist for ClusterIP Services too (CoreDNS answers them).
  t.deepEqual(data(auth(t, resolve(ix, ZONE, 'web-0.web.default.svc.cluster.local', 'A')).answers), ['198.18.1.10']);
  // No ready endpoint: NXDOMAIN (the specification's rule for headless Services).
  t.is(auth(t, resolve(ix, ZONE, 'empty.default.svc.cluster.local', 'A')).rcode, 'NXDOMAIN');
});

test('pod records answer only while a pod in that namespace has the address (pods verified)', (t) => {
  const ix = cluster();
  t.deepEqual(auth(t, resolve(ix, ZONE, '198-18-1-5.default.pod.cluster.local', 'A')).answers,
    [{ name: '198-18-1-5.default.pod.cluster.local', type: 'A', ttl: 5, data: '198.18.1.5' }]);
  t.is(auth(t, resolve(ix, ZONE, '198-18-1-5.prod.pod.cluster.local', 'A')).rcode, 'NXDOMAIN', 'another namespace');
  t.is(auth(t, resolve(ix, ZONE, '198-18-1-6.default.pod.cluster.local', 'A')).rcode, 'NXDOMAIN', 'terminating');
  t.is(auth(t, resolve(ix, ZONE, '198-18-1-7.default.pod.cluster.local', 'A')).rcode, 'NXDOMAIN', 'no such pod');
  t.is(auth(t, resolve(ix, ZONE, 'not-an-ip.default.pod.cluster.local', 'A')).rcode, 'NXDOMAIN');
  ix.removePod(pod('default', 'p1', '198.18.1.5'));
  t.is(auth(t, resolve(ix, ZONE, '198-18-1-5.default.pod.cluster.local', 'A')).rcode, 'NXDOMAIN', 'deleted');
});

test('pods insecure (the default) answers any address in a namespace that exists; disabled answers none', (t) => {
  const ix = cluster();
  const insecure: ZoneConfig = { ...ZONE, pods: 'insecure' };
  t.deepEqual(auth(t, resolve(ix, insecure, '198-18-9-9.default.pod.cluster.local', 'A')).answers,
    [{ name: '198-18-9-9.default.pod.cluster.local', type: 'A', ttl: 5, data: '198.18.9.9' }], 'no pod has it: answered all the same');
  t.is(auth(t, resolve(ix, insecure, '198-18-9-9.nosuchns.pod.cluster.local', 'A')).rcode, 'NXDOMAIN', 'a namespace that does not exist');
  t.is(auth(t, resolve(ix, insecure, 'not-an-ip.default.pod.cluster.local', 'A')).rcode, 'NXDOMAIN');
  const disabled: ZoneConfig = { ...ZONE, pods: 'disabled' };
  t.is(auth(t, resolve(ix, disabled, '198-18-1-5.default.pod.cluster.local', 'A')).rcode, 'NXDOMAIN', 'even the address of a live pod');
  t.deepEqual(auth(t, resolve(ix, disabled, 'default.pod.cluster.local', 'A')).answers, [], 'the namespace name still exists');
});

test('the apex: SOA, NS with the name server address, dns-version TXT', (t) => {
  const ix = cluster();
  const soa = auth(t, resolve(ix, ZONE, 'cluster.local', 'SOA'));
  t.is(soa.answers[0]?.type, 'SOA');
  const ns = auth(t, resolve(ix, ZONE, 'cluster.local', 'NS'));
  t.deepEqual(ns.answers, [{ name: 'cluster.local', type: 'NS', ttl: 5, data: 'ns.dns.cluster.local' }]);
  t.deepEqual(ns.additionals, [{ name: 'ns.dns.cluster.local', type: 'A', ttl: 5, data: '198.19.0.10' }]);
  t.deepEqual(data(auth(t, resolve(ix, ZONE, 'ns.dns.cluster.local', 'A')).answers), ['198.19.0.10']);
  t.deepEqual(auth(t, resolve(ix, ZONE, 'dns-version.cluster.local', 'TXT')).answers, [{ name: 'dns-version.cluster.local', type: 'TXT', ttl: 28_800, data: '1.1.0' }]);
  t.is(resolve(ix, ZONE, 'cluster.local', 'AXFR').kind, 'refused');
});

test('ExternalName is a CNAME for every type; a target inside the zone is followed', (t) => {
  const ix = cluster();
  for (const type of ['A', 'AAAA', 'CNAME', 'TXT', 'SRV']) {
    t.deepEqual(auth(t, resolve(ix, ZONE, 'ext.default.svc.cluster.local', type)).answers,
      [{ name: 'ext.default.svc.cluster.local', type: 'CNAME', ttl: 5, data: 'www.example.com' }], type);
  }
  t.deepEqual(auth(t, resolve(ix, ZONE, 'alias.default.svc.cluster.local', 'A')).answers, [
    { name: 'alias.default.svc.cluster.local', type: 'CNAME', ttl: 5, data: 'web.default.svc.cluster.local' },
    { name: 'web.default.svc.cluster.local', type: 'A', ttl: 5, data: '198.19.0.20' },
  ]);
  t.is(auth(t, resolve(ix, ZONE, '_http._tcp.ext.default.svc.cluster.local', 'SRV')).rcode, 'NXDOMAIN');
});

test('PTR for ClusterIPs and ready endpoints; other reverse names and other zones are not ours', (t) => {
  const ix = cluster();
  t.deepEqual(data(auth(t, resolve(ix, ZONE, '20.0.19.198.in-addr.arpa', 'PTR')).answers), ['web.default.svc.cluster.local']);
  t.deepEqual(data(auth(t, resolve(ix, ZONE, '1.2.18.198.in-addr.arpa', 'PTR')).answers), ['db-0.db.default.svc.cluster.local']);
  t.deepEqual(data(auth(t, resolve(ix, ZONE, '1.3.18.198.in-addr.arpa', 'PTR')).answers), ['198-18-3-1.db.default.svc.cluster.local']);
  t.is(resolve(ix, ZONE, '9.9.9.9.in-addr.arpa', 'PTR').kind, 'outside');
  t.is(resolve(ix, ZONE, '20.0.19.198.in-addr.arpa', 'A').kind, 'outside');
  t.is(resolve(ix, ZONE, 'example.com', 'A').kind, 'outside');
  t.is(resolve(ix, ZONE, 'notcluster.local', 'A').kind, 'outside');
  t.is(resolve(ix, ZONE, '', 'NS').kind, 'outside');
});

test('the index changes only when an answer would: the serial moves with it', (t) => {
  let now = 1_700_000_000_000;
  const ix = new ClusterIndex(() => now);
  let changes = 0;
  ix.onChange(() => changes++);
  ix.setNamespace('default', true);
  t.is(changes, 1);
  now += 60_000;
  const p = pod('default', 'a', '198.18.1.5');
  t.true(ix.putPod(p));
  t.false(ix.putPod({ ...p, status: { ...p.status, phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }), 'status without a new IP');
  t.false(ix.putPod(pod('default', 'b', undefined)), 'no IP yet');
  const svc = service('default', 'web', { clusterIP: '198.19.0.20' });
  t.true(ix.putService(svc));
  t.false(ix.putService({ ...svc, metadata: { ...svc.metadata, labels: { app: 'web' }, resourceVersion: '9' } }), 'labels are not in DNS');
  t.is(changes, 3);
  t.is(ix.serial(), 1_700_000_060);
  // A slice whose service-name label moves takes its endpoints along.
  const s = slice('default', 'web', 'web-1', [{ ip: '198.18.1.5', hostname: 'h' }]);
  ix.putSlice(s);
  t.is([...ix.slicesOf('default', 'web')].length, 1);
  ix.putSlice({ ...s, metadata: { ...s.metadata, labels: { 'kubernetes.io/service-name': 'other' } } });
  t.is([...ix.slicesOf('default', 'web')].length, 0);
  t.is([...ix.slicesOf('default', 'other')].length, 1);
  t.deepEqual(ix.size(), { namespaces: 1, services: 1, slices: 1, pods: 1 });
});
