// Services against a real etcd through the real API server: ClusterIPs and node ports handed
// out from their ranges, never twice (even to creates racing), given back when a Service goes,
// kept when an update leaves them out; and the bad inputs Kubernetes refuses, one line each
// naming the field, with nothing stored.
import { ApiError, type KubeObject, type Service, type ServiceSpec } from '@tugboat/api';
import { IP_PREFIX, PORT_PREFIX } from './service-allocation.js';
import { testWithApiServer } from '../testing/server-test.js';

const test = testWithApiServer();
type Svc = Service & KubeObject;

function svc(name: string, spec: ServiceSpec, namespace = 'default'): Svc {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec };
}

const web = (extra: Partial<ServiceSpec> = {}): ServiceSpec => ({ selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }], ...extra });

async function error(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

const ipInRange = (ip: string | undefined): boolean => !!ip && /^198\.19\.(\d+)\.(\d+)$/.test(ip) && Number(ip.split('.')[2]) < 128;

test.serial('a ClusterIP from the range, Kubernetes\' defaults, and one etcd key holding the address', async (t) => {
  const { client, etcd } = t.context;
  const s = await client.create(svc('web', web()));
  const spec = s.spec!;
  t.true(ipInRange(spec.clusterIP), spec.clusterIP);
  t.deepEqual(spec.clusterIPs, [spec.clusterIP]);
  t.like(spec, { type: 'ClusterIP', sessionAffinity: 'None', internalTrafficPolicy: 'Cluster', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' });
  t.deepEqual(spec.ports, [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }]);
  t.is(etcd.etcdctl('get', `${IP_PREFIX}${spec.clusterIP}`, '--print-value-only').trim(), 'default/web');
  // No targetPort: the port itself.
  const plain = await client.create(svc('plain', { ports: [{ port: 5432 }] }));
  t.is(plain.spec?.ports?.[0]?.targetPort, 5432);
  // Headless: no address taken.
  const headless = await client.create(svc('headless', { clusterIP: 'None', selector: { app: 'web' }, ports: [{ port: 80 }] }));
  t.deepEqual(headless.spec?.clusterIPs, ['None']);
});

test.serial('NodePort: ports from 30000-32767, asked for or picked, never twice', async (t) => {
  const { client } = t.context;
  const a = await client.create(svc('np-a', web({ type: 'NodePort' })));
  const picked = a.spec?.ports?.[0]?.nodePort ?? 0;
  t.true(picked >= 30000 && picked <= 32767, String(picked));
  t.is(a.spec?.externalTrafficPolicy, 'Cluster');
  const b = await client.create(svc('np-b', web({ type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] })));
  t.is(b.spec?.ports?.[0]?.nodePort, 30080);
  const taken = await error(client.create(svc('np-c', web({ type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }))));
  t.is(taken.message, 'Service "np-c" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated');
  t.is(await client.tryGet('services', 'default', 'np-c'), undefined, 'nothing stored');
  const outside = await error(client.create(svc('np-d', web({ type: 'NodePort', ports: [{ port: 80, nodePort: 8080 }] }))));
  t.regex(outside.message, /spec\.ports\[0\]\.nodePort: Invalid value: 8080: provided port is not in the valid range\. The range of valid ports is 30000-32767/);
  const notNodePort = await error(client.create(svc('np-e', web({ ports: [{ port: 80, nodePort: 30081 }] }))));
  t.regex(notNodePort.message, /spec\.ports\[0\]\.nodePort: Forbidden: may not be used when `type` is 'ClusterIP'/);
});

test.serial('bad input: one line naming the field, nothing stored', async (t) => {
  const { client } = t.context;
  const cases: Array<[string, ServiceSpec, RegExp]> = [
    ['out-of-range', web({ clusterIP: '10.0.0.1' }), /^Service "out-of-range" is invalid: spec\.clusterIPs: Invalid value: \["10\.0\.0\.1"\]: failed to allocate IP 10\.0\.0\.1: provided IP \(10\.0\.0\.1\) is not in the valid range\. The range of valid IPs is 198\.19\.0\.0\/17$/],
    ['dup-names', { selector: { app: 'x' }, ports: [{ name: 'a', port: 80 }, { name: 'a', port: 81 }] }, /^Service "dup-names" is invalid: spec\.ports\[1\]\.name: Duplicate value: "a"$/],
    ['unnamed', { selector: { app: 'x' }, ports: [{ port: 80 }, { port: 81 }] }, /spec\.ports\[0\]\.name: Required value/],
    ['big-port', { selector: { app: 'x' }, ports: [{ port: 70000 }] }, /^Service "big-port" is invalid: spec\.ports\[0\]\.port: Invalid value: 70000: must be between 1 and 65535, inclusive/],
    ['no-ports', { selector: { app: 'x' } }, /spec\.ports: Required value/],
    ['bad-type', web({ type: 'Magic' }), /spec\.type: Unsupported value: "Magic"/],
  ];
  for (const [name, spec, re] of cases) {
    const e = await error(client.create(svc(name, spec)));
    t.is(e.reason, 'Invalid', name);
    t.regex(e.message, re, name);
    t.false(e.message.includes('\n'), name);
    t.is(await client.tryGet('services', 'default', name), undefined, `${name}: nothing stored`);
  }
  const existing = (await client.get<Svc>('services', 'default', 'web')).spec!.clusterIP!;
  const taken = await error(client.create(svc('same-ip', web({ clusterIP: existing }))));
  t.is(taken.message, `Service "same-ip" is invalid: spec.clusterIPs: Invalid value: ["${existing}"]: failed to allocate IP ${existing}: provided IP is already allocated`);
});

test.serial('updates: the ClusterIP may not change; left out, addresses are kept; node ports let go are given back', async (t) => {
  const { client, etcd } = t.context;
  const s = await client.get<Svc>('services', 'default', 'np-b');
  const ip = s.spec!.clusterIP!;
  const change = await error(client.update({ ...s, spec: { ...s.spec, clusterIP: '198.19.1.1', clusterIPs: ['198.19.1.1'] } }));
  t.regex(change.message, /^Service "np-b" is invalid: spec\.clusterIPs\[0\]: Invalid value: "198\.19\.1\.1": may not change once set/);
  // A replace that leaves the allocated values out keeps them (kubectl replace of a manifest).
  const { clusterIP: _ip, clusterIPs: _ips, ...rest } = s.spec!;
  void _ip; void _ips;
  const kept = await client.update<Svc>({ ...s, spec: { ...rest, ports: [{ port: 80, protocol: 'TCP', targetPort: 9090 }] } });
  t.is(kept.spec?.clusterIP, ip);
  t.is(kept.spec?.ports?.[0]?.nodePort, 30080);
  // Back to ClusterIP: the node port is given back.
  const { externalTrafficPolicy: _etp, ...keptSpec } = kept.spec ?? {};
  void _etp;
  const cip = await client.update<Svc>({ ...kept, spec: { ...keptSpec, type: 'ClusterIP', ports: [{ port: 80, protocol: 'TCP', targetPort: 9090 }] } });
  t.is(cip.spec?.ports?.[0]?.nodePort, undefined);
  t.is(etcd.etcdctl('get', `${PORT_PREFIX}30080-TCP`, '--keys-only').trim(), '');
  // Deleted: its ClusterIP is free again, and can be asked for.
  await client.delete('services', 'default', 'np-b');
  t.is(etcd.etcdctl('get', `${IP_PREFIX}${ip}`, '--keys-only').trim(), '');
  const again = await client.create(svc('reuse', web({ clusterIP: ip })));
  t.is(again.spec?.clusterIP, ip);
});

test.serial('twenty creates racing for one ClusterIP and one node port: exactly one wins', async (t) => {
  const { client } = t.context;
  const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => client.create(svc(`race-${i}`, web({ type: 'NodePort', clusterIP: '198.19.100.100', ports: [{ port: 80, nodePort: 31000 }] })))));
  t.is(results.filter((r) => r.status === 'fulfilled').length, 1);
  for (const r of results) if (r.status === 'rejected') t.regex(String((r.reason as Error).message), /already allocated/);
  // And 40 racing for picked addresses all get distinct ones.
  const many = await Promise.all(Array.from({ length: 40 }, (_, i) => client.create(svc(`many-${i}`, web({ type: 'NodePort' })))));
  t.is(new Set(many.map((s) => s.spec?.clusterIP)).size, 40);
  t.is(new Set(many.map((s) => s.spec?.ports?.[0]?.nodePort)).size, 40);
});

test.serial('repair gives back an address no Service holds', async (t) => {
  const { etcd, server } = t.context;
  etcd.etcdctl('put', `${IP_PREFIX}198.19.77.77`, 'default/ghost');
  const registry = (server.server as unknown as { registry: { services: { repair(f: () => Promise<readonly KubeObject[]>): Promise<number> }; list(r: string): Promise<{ items: readonly KubeObject[] }> } }).registry;
  const released = await registry.services.repair(async () => (await registry.list('services')).items);
  t.is(released, 1);
  t.is(etcd.etcdctl('get', `${IP_PREFIX}198.19.77.77`, '--keys-only').trim(), '');
  t.not(etcd.etcdctl('get', '--prefix', IP_PREFIX, '--keys-only').trim(), '', 'the live Services keep theirs');
});
