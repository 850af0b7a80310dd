// Query names taken apart as the specification lays them out (CoreDNS's parse.go cases).
import test from 'ava';
import { canonicalIP, dashedIP, inZone, ipFromDashed, ipFromReverse, parseZoneName, relativeName } from './names.js';

test('names in the zone, and the part left of it', (t) => {
  t.true(inZone('cluster.local', 'cluster.local'));
  t.true(inZone('web.default.svc.cluster.local', 'cluster.local'));
  t.false(inZone('notcluster.local', 'cluster.local'));
  t.false(inZone('local', 'cluster.local'));
  t.is(relativeName('cluster.local', 'cluster.local'), '');
  t.is(relativeName('web.default.svc.cluster.local', 'cluster.local'), 'web.default.svc');
});

test('every shape of name the specification defines, and the rest are invalid', (t) => {
  t.deepEqual(parseZoneName(''), { kind: 'apex', zoneApex: true });
  t.deepEqual(parseZoneName('svc'), { kind: 'apex', zoneApex: false });
  t.deepEqual(parseZoneName('dns-version'), { kind: 'dns-version' });
  t.deepEqual(parseZoneName('ns.dns'), { kind: 'ns' });
  t.deepEqual(parseZoneName('default.svc'), { kind: 'namespace', namespace: 'default' });
  t.deepEqual(parseZoneName('default.pod'), { kind: 'namespace', namespace: 'default' });
  t.deepEqual(parseZoneName('web.default.svc'), { kind: 'service', namespace: 'default', service: 'web', endpoint: '', port: '', protocol: '' });
  t.deepEqual(parseZoneName('web-0.web.default.svc'), { kind: 'service', namespace: 'default', service: 'web', endpoint: 'web-0', port: '', protocol: '' });
  t.deepEqual(parseZoneName('_http._tcp.web.default.svc'), { kind: 'service', namespace: 'default', service: 'web', endpoint: '', port: 'http', protocol: 'tcp' });
  t.deepEqual(parseZoneName('10-1-2-3.default.pod'), { kind: 'pod', namespace: 'default', ip: '10.1.2.3' });
  for (const bad of ['web.default', 'a.b.c.web.default.svc', 'x.10-1-2-3.default.pod', 'nope.default.pod', 'web..svc', '.svc']) {
    t.deepEqual(parseZoneName(bad), { kind: 'invalid' }, bad);
  }
});

test('dashed addresses both ways, reverse names, one spelling per IPv6 address', (t) => {
  t.is(ipFromDashed('198-18-1-5'), '198.18.1.5');
  t.is(ipFromDashed('fd00--1'), 'fd00::1');
  t.is(ipFromDashed('1-2-3'), undefined);
  t.is(ipFromDashed('300-1-1-1'), undefined);
  t.is(dashedIP('198.18.1.5'), '198-18-1-5');
  t.is(dashedIP('fd00::'), 'fd00--0');
  t.is(ipFromReverse('5.1.18.198.in-addr.arpa'), '198.18.1.5');
  t.is(ipFromReverse('5.1.18.in-addr.arpa'), undefined);
  t.is(ipFromReverse('256.1.18.198.in-addr.arpa'), undefined);
  t.is(ipFromReverse(`${'1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f'}.ip6.arpa`), 'fd00::1');
  t.is(canonicalIP('FD00:0:0::1'), 'fd00::1');
  t.is(canonicalIP('198.18.1.5'), '198.18.1.5');
});
