// The endpoints controller: pure decisions (subsets, RepackSubsets, truncation, when to
// write), then against a real API server on a real etcd, with the node lifecycle controller
// beside it for a node that stops answering.
import test from 'ava';
import type { EndpointSubset, TugboatClient } from '@tugboat/api';
import { waitFor } from '@tugboat/test';
import { desiredEndpoints, endpointSubsets, ENDPOINTS_MAX_CAPACITY, repackSubsets, truncateSubsets } from './endpoints.js';
import { findPort, servicesForPodEvent } from './endpoint-util.js';
import type { EndpointsObject, PodObject, ServiceObject } from './informers.js';
import { etcdAvailable, fakeNode, mutate, startTestCluster, type FakeNode, type TestCluster } from './testing/cluster.js';

// ── Pure ──────────────────────────────────────────────────────────────────────────────────

function svc(extra: { ports?: NonNullable<ServiceObject['spec']>['ports']; clusterIP?: string; publishNotReady?: boolean; labels?: Record<string, string> } = {}): ServiceObject {
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: 'web', namespace: 'default', uid: 'svc-uid', ...(extra.labels ? { labels: extra.labels } : {}) },
    spec: {
      selector: { app: 'web' },
      clusterIP: extra.clusterIP ?? '198.19.0.20',
      ports: extra.ports ?? [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
      ...(extra.publishNotReady ? { publishNotReadyAddresses: true } : {}),
    },
  };
}

interface PodOpts { ip?: string; ready?: boolean; phase?: string; deleting?: boolean; ports?: { name: string; containerPort: number; protocol?: string }[]; node?: string; hostname?: string; subdomain?: string; labels?: Record<string, string> }

function pod(name: string, o: PodOpts = {}): PodObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '1', labels: o.labels ?? { app: 'web' },
      ...(o.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}),
    },
    spec: {
      nodeName: o.node ?? 'n1',
      containers: [{ name: 'app', image: 'busybox', ...(o.ports ? { ports: o.ports } : {}) }],
      ...(o.hostname ? { hostname: o.hostname } : {}),
      ...(o.subdomain ? { subdomain: o.subdomain } : {}),
    },
    status: {
      phase: o.phase ?? 'Running',
      ...(o.ip === '' ? {} : { podIP: o.ip ?? '198.18.0.10', podIPs: [{ ip: o.ip ?? '198.18.0.10' }] }),
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
    },
  };
}

const ips = (s: EndpointSubset, field: 'addresses' | 'notReadyAddresses' = 'addresses'): string[] => (s[field] ?? []).map((a) => a.ip);

test('ready pods in addresses, not ready in notReadyAddresses; finished, terminating and IP-less pods left out', (t) => {
  const subsets = endpointSubsets(svc(), [
    pod('a', { ip: '198.18.0.1' }),
    pod('b', { ip: '198.18.0.2', ready: false }),
    pod('done', { ip: '198.18.0.3', phase: 'Succeeded' }),
    pod('failed', { ip: '198.18.0.4', phase: 'Failed' }),
    pod('going', { ip: '198.18.0.5', deleting: true }),
    pod('pending', { ip: '' }),
  ]);
  t.is(subsets.length, 1);
  const [s] = subsets;
  t.deepEqual(ips(s!), ['198.18.0.1']);
  t.deepEqual(ips(s!, 'notReadyAddresses'), ['198.18.0.2']);
  t.deepEqual(s!.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  t.deepEqual(s!.addresses?.[0], { ip: '198.18.0.1', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' } });
});

test('publishNotReadyAddresses: every address is ready, terminating ones included', (t) => {
  const [s] = endpointSubsets(svc({ publishNotReady: true }), [pod('a', { ip: '198.18.0.1', ready: false }), pod('b', { ip: '198.18.0.2', deleting: true })]);
  t.deepEqual(ips(s!), ['198.18.0.1', '198.18.0.2']);
  t.is(s!.notReadyAddresses, undefined);
});

test('a named targetPort resolves per pod; a pod without it is left out for that port only', (t) => {
  const service = svc({ ports: [{ name: 'http', port: 80, targetPort: 'web', protocol: 'TCP' }, { name: 'metrics', port: 9100, targetPort: 9100, protocol: 'TCP' }] });
  t.is(findPort(pod('x', { ports: [{ name: 'web', containerPort: 8080, protocol: 'UDP' }] }), service.spec!.ports![0]!), undefined, 'protocol must match');
  const subsets = endpointSubsets(service, [
    pod('a', { ip: '198.18.0.1', ports: [{ name: 'web', containerPort: 8080 }] }),
    pod('b', { ip: '198.18.0.2', ports: [{ name: 'web', containerPort: 9090 }] }),
    pod('c', { ip: '198.18.0.3' }),
  ]);
  const byPorts = new Map(subsets.map((s) => [JSON.stringify(s.ports?.map((p) => `${p.name}:${p.port}`)), ips(s)]));
  t.deepEqual(Object.fromEntries(byPorts), {
    '["http:8080"]': ['198.18.0.1'],
    '["http:9090"]': ['198.18.0.2'],
    '["metrics:9100"]': ['198.18.0.1', '198.18.0.2', '198.18.0.3'],
  });
});

test('RepackSubsets: ports the same addresses offer share a subset; not ready on one port wins', (t) => {
  const a = { ip: '198.18.0.1', targetRef: { kind: 'Pod', uid: 'a' } };
  const b = { ip: '198.18.0.2', targetRef: { kind: 'Pod', uid: 'b' } };
  const p80 = { name: 'http', port: 80, protocol: 'TCP' };
  const p443 = { name: 'https', port: 443, protocol: 'TCP' };
  const packed = repackSubsets([
    { addresses: [b], ports: [p80] }, { addresses: [a], ports: [p80] },
    { addresses: [a], ports: [p443] }, { addresses: [b], ports: [p443] },
  ]);
  t.deepEqual(packed, [{ addresses: [a, b], ports: [p80, p443] }]);
  const mixed = repackSubsets([{ addresses: [a], ports: [p80] }, { notReadyAddresses: [a], ports: [p80] }]);
  t.deepEqual(mixed, [{ notReadyAddresses: [a], ports: [p80] }]);
  t.deepEqual(repackSubsets([{ addresses: [b] }, { addresses: [a] }]), [{ addresses: [a, b] }], 'subsets without ports are kept');
  t.deepEqual(repackSubsets([{ addresses: [a], ports: [p80] }, { addresses: [b], ports: [p80] }]), repackSubsets([{ addresses: [b, a], ports: [p80] }]), 'canonical: order does not matter');
});

test('a headless Service gets endpoints, with or without ports, and the headless label', (t) => {
  const withoutPorts = svc({ clusterIP: 'None', ports: [] });
  t.deepEqual(endpointSubsets(withoutPorts, [pod('a', { ip: '198.18.0.1' })]).map((s) => ips(s)), [['198.18.0.1']]);
  const ep = desiredEndpoints(withoutPorts, [pod('a', { ip: '198.18.0.1' })], undefined);
  t.deepEqual(ep?.metadata?.labels, { 'service.kubernetes.io/headless': '' });
  t.is(endpointSubsets(svc({ ports: [] }), [pod('a')]).length, 0, 'a Service with a ClusterIP and no ports has none');
});

test('hostname only for pods whose subdomain is the Service', (t) => {
  const [s] = endpointSubsets(svc(), [pod('a', { ip: '198.18.0.1', hostname: 'a', subdomain: 'web' }), pod('b', { ip: '198.18.0.2', hostname: 'b', subdomain: 'other' })]);
  t.deepEqual(s!.addresses?.map((a) => a.hostname), ['a', undefined]);
});

test('written only when subsets, labels or the capacity annotation differ', (t) => {
  const service = svc({ labels: { team: 'a' } });
  const pods = [pod('a', { ip: '198.18.0.1' })];
  const first = desiredEndpoints(service, pods, undefined);
  t.truthy(first);
  const stored: EndpointsObject = { ...first!, metadata: { ...first!.metadata, resourceVersion: '5', annotations: { mine: 'kept' } } };
  t.is(desiredEndpoints(service, pods, stored), undefined);
  const relabelled = desiredEndpoints(svc({ labels: { team: 'b' } }), pods, stored);
  t.deepEqual(relabelled?.metadata?.labels, { team: 'b' });
  t.is(relabelled?.metadata?.resourceVersion, '5', 'an update carries the version it read');
  t.is(relabelled?.metadata?.annotations?.['mine'], 'kept');
  t.truthy(desiredEndpoints(service, [pod('a', { ip: '198.18.0.1', ready: false })], stored));
});

test('over 1000 addresses: ready ones first, and the over-capacity annotation', (t) => {
  const subsets: EndpointSubset[] = [
    { addresses: Array.from({ length: 900 }, (_, i) => ({ ip: `198.18.3.${i % 250}` })), notReadyAddresses: Array.from({ length: 300 }, (_, i) => ({ ip: `198.18.4.${i % 250}` })) },
  ];
  t.true(truncateSubsets(subsets));
  t.is(subsets[0]!.addresses?.length, 900);
  t.is(subsets[0]!.notReadyAddresses?.length, ENDPOINTS_MAX_CAPACITY - 900);
  const many = Array.from({ length: 1100 }, (_, i) => pod(`p${i}`, { ip: `198.18.${Math.floor(i / 250)}.${i % 250}` }));
  const ep = desiredEndpoints(svc(), many, undefined);
  t.is(ep?.metadata?.annotations?.['endpoints.kubernetes.io/over-capacity'], 'truncated');
  t.is(ep?.subsets?.reduce((n, s) => n + (s.addresses?.length ?? 0), 0), ENDPOINTS_MAX_CAPACITY);
  t.is(desiredEndpoints(svc(), many, { ...ep!, metadata: { ...ep!.metadata, resourceVersion: '9' } }), undefined, 'not rewritten on every sync');
});

test('pod events: only changes that matter, and both Services when labels move', (t) => {
  const web = svc();
  const api: ServiceObject = { ...svc(), metadata: { name: 'api', namespace: 'default' }, spec: { selector: { app: 'api' }, ports: [{ port: 80 }] } };
  const none: ServiceObject = { ...svc(), metadata: { name: 'manual', namespace: 'default' }, spec: { ports: [{ port: 80 }] } };
  const services = [web, api, none];
  const a = pod('a');
  const bump = (p: PodObject, rv: string, change: (p: PodObject) => PodObject): PodObject => change({ ...p, metadata: { ...p.metadata, resourceVersion: rv } });
  t.deepEqual([...servicesForPodEvent(services, undefined, a)], ['default/web']);
  t.deepEqual([...servicesForPodEvent(services, a, bump(a, '2', (p) => ({ ...p, metadata: { ...p.metadata, annotations: { x: 'y' } } })))], [], 'an annotation does not matter');
  t.deepEqual([...servicesForPodEvent(services, a, bump(a, '2', (p) => ({ ...p, status: { ...p.status, conditions: [{ type: 'Ready', status: 'False' }] } })))], ['default/web']);
  const moved = bump(a, '2', (p) => ({ ...p, metadata: { ...p.metadata, labels: { app: 'api' } } }));
  t.deepEqual([...servicesForPodEvent(services, a, moved)].sort(), ['default/api', 'default/web']);
  t.deepEqual([...servicesForPodEvent(services, a, undefined)], ['default/web']);
});

// ── Against a real API server ─────────────────────────────────────────────────────────────

let cluster: TestCluster | undefined;
const nodes: FakeNode[] = [];
const errors: string[] = [];
const NS = 'default';
const GRACE_MS = 2000;

test.before(async () => {
  if (!etcdAvailable()) return;
  cluster = await startTestCluster({
    controllers: ['endpoint', 'nodelifecycle'],
    nodeMonitorGracePeriodMs: GRACE_MS,
    nodeMonitorPeriodMs: 200,
    log: { info: () => {}, error: (m) => errors.push(m) },
  });
  for (const name of ['ep-node-1', 'ep-node-2', 'ep-node-dead']) nodes.push(await fakeNode(cluster.client, name, 200));
});

test.after.always(async () => {
  for (const n of nodes) n.stop();
  await cluster?.stop();
});

const skipWithoutEtcd = etcdAvailable() ? test : test.skip;

function client(): TugboatClient {
  if (!cluster) throw new Error('no cluster');
  return cluster.client;
}

async function runPod(c: TugboatClient, name: string, labels: Record<string, string>, o: { node?: string; ip: string; ready?: boolean; ports?: { name: string; containerPort: number }[] }): Promise<PodObject> {
  const created = await c.create<PodObject>({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: NS, labels },
    spec: { nodeName: o.node ?? 'ep-node-1', containers: [{ name: 'app', image: 'busybox', ...(o.ports ? { ports: o.ports } : {}) }] },
  });
  return c.updateStatus<PodObject>({
    ...created,
    status: { phase: 'Running', podIP: o.ip, podIPs: [{ ip: o.ip }], conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  });
}

async function setReady(c: TugboatClient, name: string, ready: boolean): Promise<void> {
  for (;;) {
    const p = await c.get<PodObject>('pods', NS, name);
    const conditions = (p.status?.conditions ?? []).map((x) => (x.type === 'Ready' ? { ...x, status: ready ? 'True' : 'False' } : x));
    try {
      await c.updateStatus<PodObject>({ ...p, status: { ...p.status, conditions } });
      return;
    } catch {
      // conflict with the node lifecycle controller: read again
    }
  }
}

async function endpoints(c: TugboatClient, name: string): Promise<EndpointsObject | undefined> {
  return c.tryGet<EndpointsObject>('endpoints', NS, name);
}

const readyIPs = (ep: EndpointsObject | undefined): string[] => (ep?.subsets ?? []).flatMap((s) => ips(s)).sort();
const notReadyIPs = (ep: EndpointsObject | undefined): string[] => (ep?.subsets ?? []).flatMap((s) => ips(s, 'notReadyAddresses')).sort();

async function service(c: TugboatClient, name: string, spec: NonNullable<ServiceObject['spec']>, labels?: Record<string, string>): Promise<ServiceObject> {
  return c.create<ServiceObject>({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS, ...(labels ? { labels } : {}) }, spec });
}

skipWithoutEtcd('Endpoints follow readiness at once, named ports per pod, and go with their Service', async (t) => {
  const c = client();
  await runPod(c, 'web-a', { app: 'web' }, { ip: '198.18.1.10', ports: [{ name: 'http', containerPort: 8080 }] });
  await runPod(c, 'web-b', { app: 'web' }, { ip: '198.18.2.10', node: 'ep-node-2', ports: [{ name: 'http', containerPort: 9090 }] });
  await runPod(c, 'web-c', { app: 'web' }, { ip: '198.18.1.11' });
  await service(c, 'web', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] }, { team: 'a' });

  await waitFor('endpoints of web', async () => readyIPs(await endpoints(c, 'web')).length === 2);
  const ep = await endpoints(c, 'web');
  t.deepEqual(ep?.metadata?.labels, { team: 'a' });
  t.deepEqual(ep?.subsets?.map((s) => [ips(s), s.ports?.map((p) => `${p.name}:${p.port}/${p.protocol}`)]).sort(), [
    [['198.18.1.10'], ['http:8080/TCP']],
    [['198.18.2.10'], ['http:9090/TCP']],
  ], 'web-c has no port named http');
  const b = ep?.subsets?.flatMap((s) => s.addresses ?? []).find((a) => a.ip === '198.18.2.10');
  t.like(b, { nodeName: 'ep-node-2', targetRef: { kind: 'Pod', namespace: NS, name: 'web-b' } });

  // Readiness lost: out of addresses well within a second of the pod's status write.
  const started = Date.now();
  await setReady(c, 'web-a', false);
  await waitFor('web-a not ready', async () => notReadyIPs(await endpoints(c, 'web')).includes('198.18.1.10'), 5000, 10);
  const took = Date.now() - started;
  t.log(`moved to notReadyAddresses ${took} ms after the status write`);
  t.true(took < 1000, `moved to notReadyAddresses after ${took} ms`);
  t.deepEqual(readyIPs(await endpoints(c, 'web')), ['198.18.2.10']);
  await setReady(c, 'web-a', true);
  await waitFor('web-a ready again', async () => readyIPs(await endpoints(c, 'web')).includes('198.18.1.10'));

  // Terminating pods leave (no agent confirms, so web-b stays Terminating).
  await c.delete('pods', NS, 'web-b');
  await waitFor('web-b gone from endpoints', async () => {
    const e = await endpoints(c, 'web');
    return !readyIPs(e).includes('198.18.2.10') && !notReadyIPs(e).includes('198.18.2.10');
  });
  // A finished pod leaves.
  const a = await c.get<PodObject>('pods', NS, 'web-a');
  await c.updateStatus<PodObject>({ ...a, status: { ...a.status, phase: 'Succeeded', conditions: [{ type: 'Ready', status: 'False' }] } });
  await waitFor('web-a gone', async () => (await endpoints(c, 'web'))?.subsets === undefined || readyIPs(await endpoints(c, 'web')).length === 0);
  t.deepEqual(notReadyIPs(await endpoints(c, 'web')), []);

  // No write when nothing changed: a Service annotation or a pod annotation leaves the object alone.
  const before = (await endpoints(c, 'web'))?.metadata?.resourceVersion;
  await mutate<ServiceObject>(c, 'services', NS, 'web', (s) => ({ ...s, metadata: { ...s.metadata, annotations: { note: 'x' } } }));
  await mutate<PodObject>(c, 'pods', NS, 'web-c', (p) => ({ ...p, metadata: { ...p.metadata, annotations: { note: 'x' } } }));
  await new Promise((r) => setTimeout(r, 300));
  t.is((await endpoints(c, 'web'))?.metadata?.resourceVersion, before);

  await c.delete('services', NS, 'web');
  await waitFor('Endpoints deleted with the Service', async () => (await endpoints(c, 'web')) === undefined);
});

skipWithoutEtcd('selector changes; headless Services; publishNotReadyAddresses', async (t) => {
  const c = client();
  await runPod(c, 'sel-v1', { app: 'sel', v: '1' }, { ip: '198.18.1.20' });
  await runPod(c, 'sel-v2', { app: 'sel', v: '2' }, { ip: '198.18.1.21', ready: false });
  await service(c, 'sel', { selector: { app: 'sel', v: '1' }, ports: [{ port: 80 }] });
  await waitFor('v1 selected', async () => readyIPs(await endpoints(c, 'sel')).join() === '198.18.1.20');
  await mutate<ServiceObject>(c, 'services', NS, 'sel', (s) => ({ ...s, spec: { ...s.spec, selector: { app: 'sel', v: '2' } } }));
  await waitFor('v2 selected', async () => notReadyIPs(await endpoints(c, 'sel')).join() === '198.18.1.21' && readyIPs(await endpoints(c, 'sel')).length === 0);
  await mutate<ServiceObject>(c, 'services', NS, 'sel', (s) => ({ ...s, spec: { ...s.spec, publishNotReadyAddresses: true } }));
  await waitFor('published although not ready', async () => readyIPs(await endpoints(c, 'sel')).join() === '198.18.1.21');
  // A pod relabelled out of the selector leaves.
  await mutate<PodObject>(c, 'pods', NS, 'sel-v2', (p) => ({ ...p, metadata: { ...p.metadata, labels: { app: 'other' } } }));
  await waitFor('relabelled pod left', async () => readyIPs(await endpoints(c, 'sel')).length === 0);

  await service(c, 'sel-headless', { clusterIP: 'None', selector: { app: 'sel', v: '1' } });
  await waitFor('headless endpoints', async () => readyIPs(await endpoints(c, 'sel-headless')).join() === '198.18.1.20');
  const ep = await endpoints(c, 'sel-headless');
  t.is(ep?.metadata?.labels?.['service.kubernetes.io/headless'], '');
  t.is(ep?.subsets?.[0]?.ports, undefined);
});

skipWithoutEtcd('a Service without a selector keeps Endpoints written by others', async (t) => {
  const c = client();
  await service(c, 'external-db', { ports: [{ port: 5432 }] });
  const manual: EndpointsObject = {
    apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'external-db', namespace: NS },
    subsets: [{ addresses: [{ ip: '198.18.200.5' }], ports: [{ port: 5432, protocol: 'TCP' }] }],
  };
  const created = await c.create<EndpointsObject>(manual);
  await mutate<ServiceObject>(c, 'services', NS, 'external-db', (s) => ({ ...s, metadata: { ...s.metadata, labels: { touched: 'yes' } } }));
  await new Promise((r) => setTimeout(r, 400));
  const after = await endpoints(c, 'external-db');
  t.is(after?.metadata?.resourceVersion, created.metadata?.resourceVersion);
  t.deepEqual(readyIPs(after), ['198.18.200.5']);
  await c.delete('services', NS, 'external-db');
  await waitFor('deleted with its Service all the same', async () => (await endpoints(c, 'external-db')) === undefined);
});

skipWithoutEtcd('a node that stops answering: its pods leave addresses within the grace period and a second', async (t) => {
  const c = client();
  await runPod(c, 'far-1', { app: 'far' }, { ip: '198.18.9.10', node: 'ep-node-dead' });
  await runPod(c, 'near-1', { app: 'far' }, { ip: '198.18.1.30', node: 'ep-node-1' });
  await service(c, 'far', { selector: { app: 'far' }, ports: [{ port: 80 }] });
  await waitFor('both ready', async () => readyIPs(await endpoints(c, 'far')).length === 2);
  const dead = nodes.find((n) => n.name === 'ep-node-dead')!;
  // Give the controller a renewal it has seen, then fall silent.
  await new Promise((r) => setTimeout(r, 300));
  dead.pause();
  const silentSince = Date.now();
  await waitFor('far-1 out of addresses', async () => !readyIPs(await endpoints(c, 'far')).includes('198.18.9.10'), GRACE_MS + 5000, 20);
  const took = Date.now() - silentSince;
  t.log(`left addresses ${took} ms after the last renewal (grace ${GRACE_MS} ms)`);
  t.true(took < GRACE_MS + 1000, `left addresses ${took} ms after the last renewal (grace ${GRACE_MS} ms)`);
  t.deepEqual(readyIPs(await endpoints(c, 'far')), ['198.18.1.30']);
  const far = await c.get<PodObject>('pods', NS, 'far-1');
  t.like(far.status?.conditions?.find((x) => x.type === 'Ready'), { status: 'False', reason: 'NodeNotReady' });
  dead.resume();
  t.deepEqual(errors.filter((e) => !/conflict|Conflict|NotFound/.test(e)), []);
});
