// tugboat-dns against a real API server on a real etcd, as system:kube-dns (so its RBAC role
// is tested too), queried by real DNS clients: node:dns's Resolver (c-ares), dig when it is
// installed, and raw messages where a client hides what is checked (rcode, authority, TC).
import anyTest, { type TestFn } from 'ava';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { Resolver } from 'node:dns/promises';
import { fileURLToPath } from 'node:url';
import { USER_KUBE_DNS, type EndpointSlice, type KubeObject, type TugboatClient } from '@tugboat/api';
import { etcdAvailable, startApiServerInProcess, startEtcd, waitFor, type ApiServerHandle, type EtcdHandle } from '@tugboat/test';
import { ClusterIndex } from './cluster-index.js';
import { startClusterDns, type ClusterDns } from './cluster-dns.js';
import { DnsMetrics } from './metrics.js';
import { DnsServer } from './server.js';
import { queryTcp, queryUdp } from './test-client.js';
import { pod, service, slice, type Slice, type Svc } from './test-util.js';

interface Ctx {
  etcd: EtcdHandle;
  api: ApiServerHandle;
  admin: TugboatClient;
  dnsClient: TugboatClient;
  dns: ClusterDns;
  upstream: DnsServer;
  resolver: Resolver;
  logs: string[];
}

const test = anyTest as TestFn<Ctx>;
const serial = etcdAvailable() ? test.serial : test.serial.skip;
if (!etcdAvailable()) console.log('cluster DNS integration tests skipped: etcd is not installed');
const hasDig = spawnSync('dig', ['-v'], { stdio: 'ignore' }).status === 0;
if (!hasDig) console.log('cluster DNS dig tests skipped: dig is not installed (Debian: bind9-dnsutils); node:dns covers the same answers');
const withDig = etcdAvailable() && hasDig ? test.serial : test.serial.skip;

const NS = 'dnstest';
const execFileAsync = promisify(execFile);
const BIN = fileURLToPath(new URL('../bin/tugboat-dns.js', import.meta.url));

test.before(async (t) => {
  if (!etcdAvailable()) return;
  const etcd = await startEtcd();
  const api = await startApiServerInProcess(etcd.endpoint);
  const admin = api.client();
  const dnsClient = api.client(api.pki.credentials(await api.pki.user(USER_KUBE_DNS)));
  await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  // An upstream for names outside cluster.local: another server, its own zone filled by hand.
  const upIndex = new ClusterIndex();
  upIndex.setNamespace('prod', true);
  upIndex.putService(service('prod', 'db', { clusterIP: '198.19.5.5' }));
  const upstream = await DnsServer.start({ listen: '127.0.0.1:0', index: upIndex, zone: { zone: 'example.test', ttl: 30, nameserverIPs: [], pods: 'disabled' }, metrics: new DnsMetrics({ defaultMetrics: false }) });
  const logs: string[] = [];
  const dns = await startClusterDns({
    client: dnsClient, listen: '127.0.0.1:0', httpListen: '127.0.0.1:0', clusterDomain: 'cluster.local', serviceIP: '198.19.0.10',
    upstreams: [{ host: '127.0.0.1', port: upstream.port }], metrics: new DnsMetrics({ defaultMetrics: false }), log: (l) => logs.push(l),
    republishIntervalMs: 200,
    // The pod records' test below checks what only watching the pods can tell.
    pods: 'verified',
  });
  await dns.synced;
  const resolver = new Resolver({ timeout: 1_000, tries: 2 });
  resolver.setServers([dns.dnsAddress]);
  t.context = { etcd, api, admin, dnsClient, dns, upstream, resolver, logs };
});

test.after.always(async (t) => {
  await t.context.dns?.stop();
  await t.context.upstream?.close();
  await t.context.api?.stop();
  await t.context.etcd?.destroy();
});

/** Polls until `check` holds; returns how long that took (ms). */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 3_000): Promise<number> {
  const started = Date.now();
  await waitFor(what, async () => check().catch(() => false), timeoutMs, 10);
  return Date.now() - started;
}

const code = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? String(e);

serial('it publishes itself as tugboat-system/kube-dns 198.19.0.10 with an EndpointSlice at its own port, and keeps it so', async (t) => {
  const { admin, dns, resolver } = t.context;
  await dns.published;
  const svc = await admin.get<Svc>('services', 'tugboat-system', 'kube-dns');
  t.is(svc.spec?.clusterIP, '198.19.0.10');
  t.falsy(svc.spec?.selector);
  t.deepEqual(svc.spec?.ports?.map((p) => [p.name, p.port, p.protocol, p.targetPort]), [
    ['dns', 53, 'UDP', dns.port], ['dns-tcp', 53, 'TCP', dns.port], ['metrics', 9153, 'TCP', Number(dns.httpAddress.split(':')[1])],
  ]);
  const es = await admin.get<Slice>('endpointslices', 'tugboat-system', 'kube-dns-127-0-0-1');
  t.is(es.metadata?.labels?.['kubernetes.io/service-name'], 'kube-dns');
  t.is(es.metadata?.labels?.['endpointslice.kubernetes.io/managed-by'], 'tugboat-dns');
  t.is(es.metadata?.ownerReferences?.[0]?.uid, svc.metadata?.uid);
  t.deepEqual(es.endpoints?.map((e) => [e.addresses, e.conditions?.ready]), [[['127.0.0.1'], true]]);
  t.deepEqual(es.ports?.map((p) => [p.name, p.port, p.protocol]), [['dns', dns.port, 'UDP'], ['dns-tcp', dns.port, 'TCP'], ['metrics', Number(dns.httpAddress.split(':')[1]), 'TCP']]);
  // Its own name resolves, from its own caches.
  await until('kube-dns to resolve', async () => (await resolver.resolve4('kube-dns.tugboat-system.svc.cluster.local')).includes('198.19.0.10'));
  // Deleted by someone: put back.
  await admin.delete('services', 'tugboat-system', 'kube-dns');
  await until('kube-dns to be recreated', async () => (await admin.tryGet<Svc>('services', 'tugboat-system', 'kube-dns'))?.spec?.clusterIP === '198.19.0.10', 10_000);
  t.true(t.context.logs.some((l) => l.startsWith('created Service tugboat-system/kube-dns')), t.context.logs.join('\n'));
  t.is((await t.context.api.http('/readyz')).status, 200);
});

serial('a ClusterIP Service resolves to its ClusterIP within a second of being created, and is gone within a second of deletion', async (t) => {
  const { admin, resolver } = t.context;
  const created = await admin.create<Svc>(service(NS, 'web', { ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'metrics', port: 9100, protocol: 'TCP' }] }));
  const ip = created.spec?.clusterIP;
  t.truthy(ip);
  const took = await until('web to resolve', async () => (await resolver.resolve4('web.dnstest.svc.cluster.local')).includes(ip!));
  t.true(took < 1_000, `answered ${took} ms after the create`);
  // Case does not matter.
  t.deepEqual(await resolver.resolve4('WEB.DnsTest.svc.Cluster.Local'), [ip]);
  // SRV for a named port targets the Service name.
  t.deepEqual(await resolver.resolveSrv('_metrics._tcp.web.dnstest.svc.cluster.local'), [{ name: 'web.dnstest.svc.cluster.local', port: 9100, priority: 0, weight: 100 }]);
  // AAAA: NODATA; a name that does not exist: NXDOMAIN.
  await t.throwsAsync(resolver.resolve6('web.dnstest.svc.cluster.local'), { code: 'ENODATA' });
  await t.throwsAsync(resolver.resolve4('nope.dnstest.svc.cluster.local'), { code: 'ENOTFOUND' });
  await admin.delete('services', NS, 'web');
  const gone = await until('web to be NXDOMAIN', async () => {
    try { await resolver.resolve4('web.dnstest.svc.cluster.local'); return false; } catch (e) { return code(e) === 'ENOTFOUND'; }
  });
  t.true(gone < 1_000, `NXDOMAIN ${gone} ms after the delete`);
});

serial('NXDOMAIN carries the zone SOA; NODATA too; names outside the zone go to the upstream; TCP answers', async (t) => {
  const { dns } = t.context;
  const nx = await queryUdp(dns.dnsAddress, { name: 'nope.dnstest.svc.cluster.local' });
  t.is(nx.rcode, 'NXDOMAIN');
  t.true(nx.flag_aa);
  t.like(nx.authorities?.[0], { name: 'cluster.local', type: 'SOA', ttl: 5, data: { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', minimum: 5 } });
  const nodata = await queryUdp(dns.dnsAddress, { name: 'kube-dns.tugboat-system.svc.cluster.local', type: 'TXT' });
  t.is(nodata.rcode, 'NOERROR');
  t.deepEqual(nodata.answers, []);
  t.is(nodata.authorities?.[0]?.type, 'SOA');
  t.deepEqual(await t.context.resolver.resolve4('db.prod.svc.example.test'), ['198.19.5.5']);
  const tcp = await queryTcp(dns.dnsAddress, { name: 'kube-dns.tugboat-system.svc.cluster.local' });
  t.like(tcp.answers?.[0], { type: 'A', data: '198.19.0.10' });
});

serial('a headless Service answers its ready endpoints from its EndpointSlices, names each endpoint, and SRV targets them', async (t) => {
  const { admin, resolver } = t.context;
  await admin.create<Svc>(service(NS, 'db', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] }));
  // No ready endpoint yet: NXDOMAIN.
  await until('the headless db to exist', async () => (await admin.tryGet('services', NS, 'db')) !== undefined);
  await t.throwsAsync(resolver.resolve4('db.dnstest.svc.cluster.local'), { code: 'ENOTFOUND' });
  await admin.create<Slice>(slice(NS, 'db', 'db-abc', [
    { ip: '198.18.4.1', hostname: 'db-0' }, { ip: '198.18.4.2', hostname: 'db-1' }, { ip: '198.18.4.3', ready: false },
  ], [{ name: 'pg', port: 5432 }]));
  await until('db to resolve', async () => (await resolver.resolve4('db.dnstest.svc.cluster.local')).length === 2);
  t.deepEqual((await resolver.resolve4('db.dnstest.svc.cluster.local')).sort(), ['198.18.4.1', '198.18.4.2']);
  t.deepEqual(await resolver.resolve4('db-1.db.dnstest.svc.cluster.local'), ['198.18.4.2']);
  const srv = await resolver.resolveSrv('_pg._tcp.db.dnstest.svc.cluster.local');
  t.deepEqual(srv.map((s) => [s.name, s.port]).sort(), [['db-0.db.dnstest.svc.cluster.local', 5432], ['db-1.db.dnstest.svc.cluster.local', 5432]]);
  // The third endpoint becomes ready: answered within a second.
  const cur = await admin.get<Slice>('endpointslices', NS, 'db-abc');
  await admin.update<Slice>({ ...cur, endpoints: (cur.endpoints ?? []).map((e) => ({ ...e, conditions: { ready: true } })) });
  const took = await until('the third endpoint', async () => (await resolver.resolve4('db.dnstest.svc.cluster.local')).length === 3);
  t.true(took < 1_000, `${took} ms`);
  t.deepEqual(await resolver.resolve4('198-18-4-3.db.dnstest.svc.cluster.local'), ['198.18.4.3']);
  // PTR for an endpoint.
  t.deepEqual(await resolver.reverse('198.18.4.2'), ['db-1.db.dnstest.svc.cluster.local']);
});

serial('a large headless Service: UDP is truncated, the client retries over TCP and gets every address', async (t) => {
  const { admin, resolver, dns } = t.context;
  await admin.create<Svc>(service(NS, 'many', { clusterIP: 'None', ports: [{ name: 'x', port: 1, protocol: 'TCP' }] }));
  await admin.create<Slice>(slice(NS, 'many', 'many-1', Array.from({ length: 120 }, (_, i) => ({ ip: `198.18.20.${i + 1}` })), [{ name: 'x', port: 1 }]));
  await until('many to resolve', async () => (await queryTcp(dns.dnsAddress, { name: 'many.dnstest.svc.cluster.local' })).answers?.length === 120);
  t.true((await queryUdp(dns.dnsAddress, { name: 'many.dnstest.svc.cluster.local' })).flag_tc);
  t.is((await resolver.resolve4('many.dnstest.svc.cluster.local')).length, 120);
});

serial('pod records: <a-b-c-d>.<ns>.pod answers while a pod in that namespace has the address', async (t) => {
  const { admin, resolver } = t.context;
  const p = await admin.create(pod(NS, 'p1', undefined) as KubeObject);
  await admin.updateStatus({ ...p, status: { phase: 'Running', podIP: '198.18.6.7', podIPs: [{ ip: '198.18.6.7' }] } });
  await until('the pod record', async () => (await resolver.resolve4('198-18-6-7.dnstest.pod.cluster.local')).includes('198.18.6.7'));
  await t.throwsAsync(resolver.resolve4('198-18-6-7.default.pod.cluster.local'), { code: 'ENOTFOUND' });
  await t.throwsAsync(resolver.resolve4('198-18-6-8.dnstest.pod.cluster.local'), { code: 'ENOTFOUND' });
  await admin.delete('pods', NS, 'p1', { gracePeriodSeconds: 0 });
  await until('the pod record to go', async () => {
    try { await resolver.resolve4('198-18-6-7.dnstest.pod.cluster.local'); return false; } catch (e) { return code(e) === 'ENOTFOUND'; }
  });
  t.pass();
});

withDig('dig: A, SRV with additionals, NXDOMAIN with SOA, and a TCP query', async (t) => {
  const { dns, admin } = t.context;
  const [host, port] = dns.dnsAddress.split(':') as [string, string];
  // Not spawnSync: the server answering dig runs in this process.
  const dig = async (...args: string[]): Promise<string> => (await execFileAsync('dig', [`@${host}`, '-p', port, '+time=2', '+tries=1', ...args], { encoding: 'utf8' })).stdout;
  await admin.create<Svc>(service(NS, 'api', { clusterIP: '198.19.0.77', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] }));
  await until('api to resolve', async () => (await dig('+short', 'api.dnstest.svc.cluster.local')).trim() === '198.19.0.77');
  t.regex(await dig('+noall', '+answer', '+additional', '_https._tcp.api.dnstest.svc.cluster.local', 'SRV'),
    /_https\._tcp\.api\.dnstest\.svc\.cluster\.local\.\s+5\s+IN\s+SRV\s+0 100 443 api\.dnstest\.svc\.cluster\.local\.\napi\.dnstest\.svc\.cluster\.local\.\s+5\s+IN\s+A\s+198\.19\.0\.77/);
  const nx = await dig('+noall', '+comments', '+authority', 'missing.dnstest.svc.cluster.local');
  t.regex(nx, /status: NXDOMAIN/);
  t.regex(nx, /flags: qr aa rd;/);
  t.regex(nx, /cluster\.local\.\s+5\s+IN\s+SOA\s+ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. \d+ 7200 1800 86400 5/);
  t.is((await dig('+tcp', '+short', 'api.dnstest.svc.cluster.local')).trim(), '198.19.0.77');
  t.is((await dig('+short', 'dns-version.cluster.local', 'TXT')).trim(), '"1.1.0"');
});

serial('/metrics has CoreDNS\'s request and response counters; /readyz is 200 once synced', async (t) => {
  const { dns } = t.context;
  const res = await fetch(`http://${dns.httpAddress}/metrics`);
  const text = await res.text();
  t.regex(text, new RegExp(`coredns_dns_requests_total\\{server="dns://127\\.0\\.0\\.1:${dns.port}",zone="cluster\\.local\\.",proto="udp",family="1",type="A"\\} \\d+`));
  t.regex(text, /coredns_dns_responses_total\{[^}]*rcode="NXDOMAIN",plugin="kubernetes"\} \d+/);
  t.regex(text, /coredns_dns_requests_total\{[^}]*zone="\.",proto="udp",family="1",type="A"\} \d+/, 'forwarded names count under "."');
  t.is((await fetch(`http://${dns.httpAddress}/readyz`)).status, 200);
});

serial('the binary: serves, publishes its own slice, and marks it not ready on SIGTERM', async (t) => {
  const { api, admin } = t.context;
  const kubeconfig = api.pki.kubeconfig(api.address, await api.pki.user(USER_KUBE_DNS), 'kube-dns');
  const proc = spawn(process.execPath, [BIN, '--kubeconfig', kubeconfig, '--listen', '127.0.0.1:0', '--http-listen', '127.0.0.1:0', '--advertise-address', '127.0.0.2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  try {
    await waitFor('tugboat-dns to serve', () => /serving DNS on (\S+)/.test(out), 10_000, 25);
    const address = /serving DNS on (\S+)/.exec(out)![1]!;
    await waitFor('the slice', async () => (await admin.tryGet<EndpointSlice & KubeObject>('endpointslices', 'tugboat-system', 'kube-dns-127-0-0-2'))?.endpoints?.[0]?.conditions?.ready === true, 10_000, 50);
    const r = new Resolver({ timeout: 1_000, tries: 2 });
    r.setServers([address]);
    t.deepEqual(await r.resolve4('kube-dns.tugboat-system.svc.cluster.local'), ['198.19.0.10']);
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
    proc.kill('SIGTERM');
    t.is(await exited, 0, out);
    const es = await admin.get<EndpointSlice & KubeObject>('endpointslices', 'tugboat-system', 'kube-dns-127-0-0-2');
    t.deepEqual(es.endpoints?.[0]?.conditions, { ready: false, serving: false, terminating: true });
  } finally {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  }
});

serial('flags: a bad flag is one line naming it, exit 2', (t) => {
  const r = spawnSync(process.execPath, [BIN, '--listen', '0.0.0.0:53'], { encoding: 'utf8' });
  t.is(r.status, 2);
  t.is(r.stderr, 'tugboat-dns: --advertise-address: required when --listen (0.0.0.0:53) names no single IP address pods can reach (see --help)\n');
});
