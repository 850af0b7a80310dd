import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PodSpec } from '@tugboat/api';
import { formatResolvConf, parseResolvConf, podDNSConfig, readHostDNS, type ClusterDNSSettings, type DNSConfig, type PodDNSInput } from './pod-dns.js';

const host: DNSConfig = { servers: ['192.0.2.53', '192.0.2.54'], searches: ['corp.example', 'example'], options: ['edns0', 'timeout:2'] };
const cluster: ClusterDNSSettings = { clusterDNS: ['198.19.0.10'], clusterDomain: 'cluster.local' };
const noDNS: ClusterDNSSettings = { clusterDNS: [], clusterDomain: 'cluster.local' };
const pod = (spec: Pick<PodSpec, 'dnsPolicy' | 'hostNetwork' | 'dnsConfig'>): PodDNSInput => ({ namespace: 'team', display: 'web_team(u1)', spec });

test('resolv.conf as kubelet reads it: nameservers add up, the last search and options win, comments skipped', (t) => {
  t.deepEqual(parseResolvConf('# c\nnameserver 10.0.0.1\nsearch a.example. b\nnameserver 10.0.0.2\noptions ndots:2\nsearch c.example\noptions rotate\n'), {
    servers: ['10.0.0.1', '10.0.0.2'], searches: ['c.example'], options: ['rotate'],
  });
  t.deepEqual(parseResolvConf(''), { servers: [], searches: [], options: [] });
});

test('the file is written search, nameservers, options (containerd\'s layout)', (t) => {
  t.is(formatResolvConf({ servers: ['198.19.0.10'], searches: ['team.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'] }),
    'search team.svc.cluster.local svc.cluster.local cluster.local\nnameserver 198.19.0.10\noptions ndots:5\n');
  t.is(formatResolvConf({ servers: [], searches: [], options: [] }), '');
});

test('ClusterFirst (the default): the cluster DNS only, the namespace\'s search paths then the host\'s, ndots:5', (t) => {
  const { config, warnings } = podDNSConfig(pod({}), cluster, host);
  t.deepEqual(config, {
    servers: ['198.19.0.10'],
    searches: ['team.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'example'],
    options: ['ndots:5'],
  });
  t.deepEqual(warnings, []);
  // A host search domain equal to a cluster one is not repeated.
  t.deepEqual(podDNSConfig(pod({ dnsPolicy: 'ClusterFirst' }), cluster, { ...host, searches: ['cluster.local', 'x'] }).config.searches,
    ['team.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'x']);
  t.deepEqual(podDNSConfig(pod({}), { clusterDNS: ['198.19.0.10', '198.19.0.11'], clusterDomain: '' }, host).config.searches, ['corp.example', 'example'], 'no domain, no cluster search paths');
});

test('ClusterFirst without --cluster-dns falls back to Default, with kubelet\'s MissingClusterDNS warnings', (t) => {
  const { config, warnings } = podDNSConfig(pod({}), noDNS, host);
  t.deepEqual(config, host);
  const message = 'kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.';
  t.deepEqual(warnings, [
    { on: 'node', reason: 'MissingClusterDNS', message },
    { on: 'pod', reason: 'MissingClusterDNS', message: `pod: "web_team(u1)". ${message}` },
  ]);
});

test('Default is the host\'s; hostNetwork pods get it for ClusterFirst and the cluster\'s for ClusterFirstWithHostNet', (t) => {
  t.deepEqual(podDNSConfig(pod({ dnsPolicy: 'Default' }), cluster, host), { config: host, warnings: [] });
  t.deepEqual(podDNSConfig(pod({ dnsPolicy: 'ClusterFirst', hostNetwork: true }), cluster, host), { config: host, warnings: [] });
  t.deepEqual(podDNSConfig(pod({ dnsPolicy: 'ClusterFirstWithHostNet', hostNetwork: true }), cluster, host).config.servers, ['198.19.0.10']);
  t.is(podDNSConfig(pod({ dnsPolicy: 'ClusterFirstWithHostNet', hostNetwork: true }), noDNS, host).warnings.length, 2);
});

test('None: only spec.dnsConfig', (t) => {
  const { config } = podDNSConfig(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches: ['my.dns.search.suffix'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } }), cluster, host);
  t.deepEqual(config, { servers: ['1.1.1.1'], searches: ['my.dns.search.suffix'], options: ['ndots:2', 'edns0'] });
});

test('dnsConfig is merged as kubelet merges it: servers and searches appended once, options replaced by name', (t) => {
  const { config } = podDNSConfig(pod({ dnsConfig: {
    nameservers: ['198.19.0.10', '192.0.2.99'],
    searches: ['svc.cluster.local', 'extra.example'],
    options: [{ name: 'ndots', value: '1' }, { name: 'single-request-reopen' }],
  } }), cluster, host);
  t.deepEqual(config.servers, ['198.19.0.10', '192.0.2.99']);
  t.deepEqual(config.searches, ['team.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'example', 'extra.example']);
  t.deepEqual(config.options, ['ndots:1', 'single-request-reopen']);
  t.deepEqual(podDNSConfig(pod({ dnsPolicy: 'Default', dnsConfig: { options: [{ name: 'timeout', value: '5' }] } }), cluster, host).config.options, ['edns0', 'timeout:5']);
});

test('Kubernetes\' limits: 3 nameservers, 32 search paths, 2048 characters; each cut is a DNSConfigForming warning', (t) => {
  const many = podDNSConfig(pod({ dnsPolicy: 'Default', dnsConfig: { nameservers: ['10.0.0.1', '10.0.0.2'] } }), cluster, host);
  t.deepEqual(many.config.servers, ['192.0.2.53', '192.0.2.54', '10.0.0.1']);
  t.deepEqual(many.warnings, [{ on: 'pod', reason: 'DNSConfigForming', message: 'Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 192.0.2.53 192.0.2.54 10.0.0.1' }]);

  const searches = Array.from({ length: 40 }, (_, i) => `d${i}.example`);
  const cut = podDNSConfig(pod({ dnsConfig: { searches } }), cluster, { servers: [], searches: [], options: [] });
  t.is(cut.config.searches.length, 32);
  t.deepEqual(cut.config.searches.slice(0, 4), ['team.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'd0.example']);
  t.regex(cut.warnings[0]?.message ?? '', /^Search Line limits were exceeded, some search paths have been omitted, the applied search line is: team\.svc\.cluster\.local .* d28\.example$/);

  const long = Array.from({ length: 20 }, (_, i) => `${String(i).padStart(2, '0')}${'x'.repeat(140)}.example`);
  const chars = podDNSConfig(pod({ dnsPolicy: 'None', dnsConfig: { searches: long } }), cluster, host);
  t.true(chars.config.searches.join(' ').length <= 2048);
  t.deepEqual(chars.config.searches, long.slice(0, chars.config.searches.length), 'whole domains come off the end');
  t.is(chars.warnings.length, 1);
  t.deepEqual(podDNSConfig(pod({ dnsPolicy: 'None', dnsConfig: { searches: [`${'a'.repeat(250)}.com`, 'ok.example'] } }), cluster, host).config.searches, ['ok.example'], 'a path longer than 253 characters is dropped');
});

test('the host\'s file for a pod: loopback resolvers replaced by systemd-resolved\'s upstream ones, kept for hostNetwork', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'resolv-'));
  try {
    const f = join(dir, 'resolv.conf');
    const up = join(dir, 'upstream.conf');
    writeFileSync(f, 'nameserver 127.0.0.53\nsearch example.com\noptions edns0 trust-ad\n');
    writeFileSync(up, 'nameserver 192.0.2.53\nnameserver 127.0.0.1\n');
    t.deepEqual(readHostDNS(false, f, up), { servers: ['192.0.2.53'], searches: ['example.com'], options: ['edns0', 'trust-ad'] });
    t.deepEqual(readHostDNS(true, f, up).servers, ['127.0.0.53']);
    t.deepEqual(readHostDNS(false, f, join(dir, 'none')).servers, [], 'no upstream list: loopback ones are dropped');
    t.deepEqual(readHostDNS(false, join(dir, 'missing')), { servers: [], searches: [], options: [] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
