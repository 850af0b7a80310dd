// The EndpointSlice controller: the reconciler as a pure function over several syncs (what is
// written, and what is left alone), then against a real API server on a real etcd with the
// garbage collector beside it.
import test from 'ava';
import type { KubeObject, TugboatClient } from '@tugboat/api';
import { waitFor } from '@tugboat/test';
import {
  ENDPOINTSLICE_MANAGER, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, SliceTracker, podToEndpoint, reconcileSlices, type SlicePlan,
} from './endpointslice.js';
import type { EndpointSliceObject, NodeObject, PodObject, ServiceObject } from './informers.js';
import { etcdAvailable, mutate, startTestCluster, type TestCluster } from './testing/cluster.js';

// ── Pure ──────────────────────────────────────────────────────────────────────────────────

function svc(extra: { ports?: NonNullable<ServiceObject['spec']>['ports']; publishNotReady?: boolean; clusterIP?: string } = {}): ServiceObject {
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: 'web', namespace: 'default', uid: 'svc-uid', labels: { team: 'a' } },
    spec: {
      selector: { app: 'web' },
      clusterIP: extra.clusterIP ?? '198.19.0.20',
      ports: extra.ports ?? [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
      ...(extra.publishNotReady ? { publishNotReadyAddresses: true } : {}),
    },
  };
}

function pod(i: number, o: { ready?: boolean; deleting?: boolean; node?: string; ports?: { name: string; containerPort: number }[] } = {}): PodObject {
  const ip = `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`;
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `p${String(i).padStart(4, '0')}`, namespace: 'default', uid: `uid-${i}`, labels: { app: 'web' }, ...(o.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: o.node ?? 'n1', containers: [{ name: 'app', image: 'busybox', ...(o.ports ? { ports: o.ports } : {}) }] },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  };
}

const nodeN1: NodeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: { 'topology.kubernetes.io/zone': 'z1' } } };
const knownNodes = (name: string): NodeObject | undefined => (name === 'n1' ? nodeN1 : undefined);

/** Applies a plan as the API server would: names, uids and resourceVersions for what is written. */
class FakeStore {
  slices = new Map<string, EndpointSliceObject>();
  private seq = 0;
  writes = 0;
  apply(plan: SlicePlan): void {
    for (const s of plan.create) {
      const name = `web-${++this.seq}`;
      this.slices.set(name, { ...s, metadata: { ...s.metadata, name, uid: `slice-${name}`, resourceVersion: String(++this.seq) } });
      this.writes++;
    }
    for (const s of plan.update) {
      const name = s.metadata?.name ?? '';
      if (!this.slices.has(name)) throw new Error(`update of unknown slice ${name}`);
      this.slices.set(name, { ...s, metadata: { ...s.metadata, resourceVersion: String(++this.seq) } });
      this.writes++;
    }
    for (const s of plan.delete) {
      this.slices.delete(s.metadata?.name ?? '');
      this.writes++;
    }
  }
  list(): EndpointSliceObject[] { return [...this.slices.values()]; }
  sizes(): number[] { return this.list().map((s) => s.endpoints.length).sort((a, b) => b - a); }
}

function sync(store: FakeStore, service: ServiceObject, pods: PodObject[], max?: number): SlicePlan {
  const plan = reconcileSlices({ service, pods, existing: store.list(), node: knownNodes, ...(max ? { maxEndpointsPerSlice: max } : {}) });
  store.apply(plan);
  return plan;
}

test('conditions: ready, serving while terminating, terminating; zone from the node', (t) => {
  const s = svc();
  t.like(podToEndpoint(pod(1), nodeN1, s), { conditions: { ready: true, serving: true, terminating: false }, nodeName: 'n1', zone: 'z1', addresses: ['198.18.0.2'] });
  t.like(podToEndpoint(pod(1, { deleting: true }), nodeN1, s), { conditions: { ready: false, serving: true, terminating: true } });
  t.like(podToEndpoint(pod(1, { deleting: true, ready: false }), nodeN1, s), { conditions: { ready: false, serving: false, terminating: true } });
  t.like(podToEndpoint(pod(1, { ready: false }), nodeN1, svc({ publishNotReady: true })), { conditions: { ready: true, serving: false, terminating: false } });
  t.deepEqual(podToEndpoint(pod(1), undefined, s).targetRef, { kind: 'Pod', namespace: 'default', name: 'p0001', uid: 'uid-1' });
});

test('a new Service: slices of at most 100, labelled, owned, named after it', (t) => {
  const store = new FakeStore();
  const pods = Array.from({ length: 250 }, (_, i) => pod(i));
  const plan = sync(store, svc(), pods);
  t.is(plan.create.length, 3);
  t.deepEqual(store.sizes(), [100, 100, 50]);
  const [first] = plan.create;
  t.deepEqual(first?.metadata?.labels, { team: 'a', [LABEL_SERVICE_NAME]: 'web', [LABEL_MANAGED_BY]: ENDPOINTSLICE_MANAGER });
  t.deepEqual(first?.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true }]);
  t.is(first?.metadata?.generateName, 'web-');
  t.is(first?.addressType, 'IPv4');
  t.deepEqual(first?.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
});

test('a sync with nothing changed writes nothing; a change rewrites only the slice holding it', (t) => {
  const store = new FakeStore();
  const pods = Array.from({ length: 250 }, (_, i) => pod(i));
  sync(store, svc(), pods);
  const idle = sync(store, svc(), pods);
  t.deepEqual([idle.create.length, idle.update.length, idle.delete.length], [0, 0, 0]);

  pods[7] = pod(7, { ready: false });
  const one = sync(store, svc(), pods);
  t.deepEqual([one.create.length, one.update.length, one.delete.length], [0, 1, 0]);
  const ep = one.update[0]?.endpoints.find((e) => e.targetRef?.name === 'p0007');
  t.deepEqual(ep?.conditions, { ready: false, serving: false, terminating: false });

  // A new pod joins the slice with room rather than a new slice.
  pods.push(pod(250));
  const grow = sync(store, svc(), pods);
  t.deepEqual([grow.create.length, grow.update.length], [0, 1]);
  t.deepEqual(store.sizes(), [100, 100, 51]);

  // Removed pods leave their slices; slices emptied entirely go.
  const fewer = pods.slice(0, 120);
  sync(store, svc(), fewer);
  t.is(store.list().reduce((n, s) => n + s.endpoints.length, 0), 120);
  t.true(store.list().every((s) => s.endpoints.length > 0));
  t.is(sync(store, svc(), fewer).update.length, 0);
});

test('terminating pods stay, marked; finished and IP-less ones go', (t) => {
  const store = new FakeStore();
  const done = { ...pod(3), status: { ...pod(3).status, phase: 'Succeeded' } };
  const noIp = { ...pod(4), status: { phase: 'Pending' } };
  sync(store, svc(), [pod(1), pod(2, { deleting: true }), done, noIp]);
  const eps = store.list().flatMap((s) => s.endpoints);
  t.deepEqual(eps.map((e) => [e.targetRef?.name, e.conditions?.terminating]).sort(), [['p0001', false], ['p0002', true]]);
});

test('pods resolving a named port differently go to different slices; labels and service ports follow the Service', (t) => {
  const store = new FakeStore();
  const s = svc({ ports: [{ name: 'http', port: 80, targetPort: 'web', protocol: 'TCP' }] });
  sync(store, s, [pod(1, { ports: [{ name: 'web', containerPort: 8080 }] }), pod(2, { ports: [{ name: 'web', containerPort: 9090 }] }), pod(3)]);
  const byPorts = store.list().map((sl) => [JSON.stringify(sl.ports), sl.endpoints.map((e) => e.targetRef?.name)]).sort();
  t.deepEqual(byPorts, [
    ['[]', ['p0003']],
    ['[{"name":"http","port":8080,"protocol":"TCP"}]', ['p0001']],
    ['[{"name":"http","port":9090,"protocol":"TCP"}]', ['p0002']],
  ]);
  const relabelled: ServiceObject = { ...s, metadata: { ...s.metadata, labels: { team: 'b' } } };
  const plan = sync(store, relabelled, [pod(1, { ports: [{ name: 'web', containerPort: 8080 }] }), pod(2, { ports: [{ name: 'web', containerPort: 9090 }] }), pod(3)]);
  t.is(plan.update.length, 3);
  t.true(store.list().every((sl) => sl.metadata?.labels?.['team'] === 'b'));
});

test('no endpoints: one empty placeholder, made from an old slice rather than anew', (t) => {
  const store = new FakeStore();
  const empty = sync(store, svc(), []);
  t.is(empty.create.length, 1);
  t.deepEqual(store.list()[0]?.endpoints, []);
  t.deepEqual(store.list()[0]?.ports, []);
  t.is(sync(store, svc(), []).create.length + sync(store, svc(), []).update.length, 0, 'the placeholder is kept as it is');

  sync(store, svc(), Array.from({ length: 150 }, (_, i) => pod(i)));
  t.deepEqual(store.sizes(), [100, 50], 'the placeholder was rewritten, not kept beside');
  const gone = sync(store, svc(), []);
  t.deepEqual([gone.create.length, gone.update.length, gone.delete.length], [0, 1, 1]);
  t.deepEqual(store.sizes(), [0]);
});

test('headless: its label; pods on unknown nodes are left out and reported', (t) => {
  const store = new FakeStore();
  const plan = sync(store, svc({ clusterIP: 'None' }), [pod(1), pod(2, { node: 'ghost' })]);
  t.is(plan.create[0]?.metadata?.labels?.['service.kubernetes.io/headless'], '');
  t.deepEqual(store.list().flatMap((s) => s.endpoints.map((e) => e.targetRef?.name)), ['p0001']);
  t.deepEqual(plan.problems, ['skipping Pod p0002 for Service default/web: Node ghost Not Found']);
  const published = reconcileSlices({ service: svc({ publishNotReady: true }), pods: [pod(2, { node: 'ghost' })], existing: [], node: knownNodes });
  t.deepEqual(published.problems, [], 'published anyway with publishNotReadyAddresses');
});

test('slices not owned by this Service (an old one of the same name) are replaced', (t) => {
  const store = new FakeStore();
  sync(store, svc(), [pod(1)]);
  const old = store.list()[0]!;
  store.slices.set(old.metadata!.name!, { ...old, metadata: { ...old.metadata, ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'previous' }] } });
  const plan = sync(store, svc(), [pod(1)]);
  t.deepEqual([plan.create.length, plan.delete.length], [1, 1]);
});

test('the tracker: our own writes are no news; a cache without them is stale', (t) => {
  const tr = new SliceTracker();
  const slice = (uid: string, rv: string): EndpointSliceObject => ({ addressType: 'IPv4', endpoints: [], metadata: { uid, resourceVersion: rv } });
  tr.wrote('ns/web', slice('a', '10'));
  t.false(tr.shouldSync('ns/web', slice('a', '10')));
  t.true(tr.shouldSync('ns/web', slice('a', '11')), 'someone else wrote after us');
  t.true(tr.shouldSync('ns/web', slice('b', '3')), 'not ours');
  t.true(tr.stale('ns/web', []), 'our create is not in the cache yet');
  t.true(tr.stale('ns/web', [slice('a', '9')]));
  t.false(tr.stale('ns/web', [slice('a', '10')]));
  tr.deleted('ns/web', slice('a', '10'));
  t.true(tr.stale('ns/web', [slice('a', '10')]), 'our delete is not in the cache yet');
  t.true(tr.handleDeletion('ns/web', slice('a', '10')));
  t.false(tr.stale('ns/web', []));
  t.false(tr.handleDeletion('ns/web', slice('z', '1')), 'a deletion we did not make');
});

// ── Against a real API server ─────────────────────────────────────────────────────────────

let cluster: TestCluster | undefined;
const NS = 'default';

test.before(async () => {
  if (!etcdAvailable()) return;
  cluster = await startTestCluster({ controllers: ['endpointslice', 'garbagecollector'] });
  for (const name of ['es-node-1', 'es-node-2']) {
    await cluster.client.create<NodeObject>({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'topology.kubernetes.io/zone': `zone-${name.slice(-1)}` } } });
  }
});

test.after.always(async () => {
  await cluster?.stop();
});

const skipWithoutEtcd = etcdAvailable() ? test : test.skip;

function client(): TugboatClient {
  if (!cluster) throw new Error('no cluster');
  return cluster.client;
}

async function runPod(c: TugboatClient, name: string, labels: Record<string, string>, ip: string, node = 'es-node-1'): Promise<void> {
  const created = await c.create<PodObject>({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS, labels }, spec: { nodeName: node, containers: [{ name: 'app', image: 'busybox' }] } });
  await c.updateStatus<PodObject>({ ...created, status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: 'True' }] } });
}

async function slicesOf(c: TugboatClient, service: string): Promise<EndpointSliceObject[]> {
  return (await c.list<EndpointSliceObject>('endpointslices', { namespace: NS, labelSelector: `${LABEL_SERVICE_NAME}=${service}` })).items;
}

const count = (slices: EndpointSliceObject[]): number => slices.reduce((n, s) => n + s.endpoints.length, 0);

skipWithoutEtcd('slices for a Service of 150 pods, kept current without rewriting, removed with the Service', async (t) => {
  const c = client();
  await Promise.all(Array.from({ length: 150 }, (_, i) => runPod(c, `big-${i}`, { app: 'big' }, `198.18.${10 + Math.floor(i / 200)}.${(i % 200) + 1}`, i % 2 ? 'es-node-2' : 'es-node-1')));
  const svcObj = await c.create<ServiceObject>({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'big', namespace: NS }, spec: { selector: { app: 'big' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } });
  await waitFor('150 endpoints in slices', async () => count(await slicesOf(c, 'big')) === 150, 15_000);
  let slices = await slicesOf(c, 'big');
  // Pods seen in two batches may fill 88 + 62 rather than 100 + 50: Kubernetes does not rebalance either.
  t.true(slices.length >= 2 && slices.every((s) => s.endpoints.length <= 100), slices.map((s) => s.endpoints.length).join());
  for (const s of slices) {
    t.true(s.metadata?.name?.startsWith('big-'));
    t.is(s.metadata?.labels?.[LABEL_MANAGED_BY], ENDPOINTSLICE_MANAGER);
    t.like(s.metadata?.ownerReferences?.[0], { kind: 'Service', name: 'big', uid: svcObj.metadata?.uid, controller: true });
    t.deepEqual(s.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  }
  const e = slices.flatMap((s) => s.endpoints).find((x) => x.targetRef?.name === 'big-1');
  t.like(e, { nodeName: 'es-node-2', zone: 'zone-2', conditions: { ready: true, serving: true, terminating: false } });

  // Unrelated changes write nothing.
  const versions = (ss: EndpointSliceObject[]): string[] => ss.map((s) => `${s.metadata?.name}@${s.metadata?.resourceVersion}`).sort();
  const before = versions(slices);
  await mutate<ServiceObject>(c, 'services', NS, 'big', (s) => ({ ...s, metadata: { ...s.metadata, annotations: { note: 'x' } } }));
  await mutate<PodObject>(c, 'pods', NS, 'big-3', (p) => ({ ...p, metadata: { ...p.metadata, annotations: { note: 'x' } } }));
  await new Promise((r) => setTimeout(r, 400));
  t.deepEqual(versions(await slicesOf(c, 'big')), before);

  // A terminating pod stays, marked; exactly one slice is rewritten.
  await c.delete('pods', NS, 'big-5');
  await waitFor('big-5 terminating', async () => (await slicesOf(c, 'big')).flatMap((s) => s.endpoints).some((x) => x.targetRef?.name === 'big-5' && x.conditions?.terminating === true));
  slices = await slicesOf(c, 'big');
  t.like(slices.flatMap((s) => s.endpoints).find((x) => x.targetRef?.name === 'big-5'), { conditions: { ready: false, serving: true, terminating: true } });
  const changed = versions(slices).filter((v) => !before.includes(v));
  t.is(changed.length, 1, 'only the slice holding big-5 was written');

  // A relabelled pod leaves its slice.
  await mutate<PodObject>(c, 'pods', NS, 'big-6', (p) => ({ ...p, metadata: { ...p.metadata, labels: { app: 'elsewhere' } } }));
  await waitFor('149 endpoints', async () => count(await slicesOf(c, 'big')) === 149);

  await c.delete('services', NS, 'big');
  await waitFor('slices removed with the Service (garbage collector)', async () => (await slicesOf(c, 'big')).length === 0, 15_000);
});

skipWithoutEtcd('a slice deleted or edited by someone else is put back; a new selector is followed', async (t) => {
  const c = client();
  await runPod(c, 'heal-1', { app: 'heal' }, '198.18.20.1');
  await c.create<ServiceObject>({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'heal', namespace: NS }, spec: { selector: { app: 'heal' }, ports: [{ port: 80 }] } });
  await waitFor('a slice', async () => count(await slicesOf(c, 'heal')) === 1);
  const [slice] = await slicesOf(c, 'heal');
  await c.delete('endpointslices', NS, slice!.metadata!.name!);
  await waitFor('made again', async () => {
    const ss = await slicesOf(c, 'heal');
    return count(ss) === 1 && ss[0]?.metadata?.uid !== slice!.metadata?.uid;
  });
  const [again] = await slicesOf(c, 'heal');
  await c.update<EndpointSliceObject>({ ...again!, endpoints: [] });
  await waitFor('edit undone', async () => count(await slicesOf(c, 'heal')) === 1);

  // A new selector: the slices follow it.
  await runPod(c, 'heal-2', { app: 'heal2' }, '198.18.20.2', 'es-node-2');
  await mutate<ServiceObject>(c, 'services', NS, 'heal', (s) => ({ ...s, spec: { ...s.spec, selector: { app: 'heal2' } } }));
  await waitFor('selector followed', async () => {
    const names = (await slicesOf(c, 'heal')).flatMap((s) => s.endpoints.map((e) => e.targetRef?.name));
    return names.join() === 'heal-2';
  });
  t.is((await slicesOf(c, 'heal')).length, 1, 'the slice was rewritten, not joined by another');
});

skipWithoutEtcd('Services without a selector or of type ExternalName get no slices; an empty Service a placeholder', async (t) => {
  const c = client();
  await c.create<ServiceObject>({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'manual', namespace: NS }, spec: { ports: [{ port: 80 }] } });
  await c.create<ServiceObject>({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'empty', namespace: NS }, spec: { selector: { app: 'nobody' }, ports: [{ port: 80 }] } });
  await runPod(c, 'ext-1', { app: 'ext' }, '198.18.30.1');
  await c.create<ServiceObject>({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext', namespace: NS }, spec: { type: 'ExternalName', externalName: 'db.example.com', selector: { app: 'ext' } } });
  await waitFor('placeholder', async () => (await slicesOf(c, 'empty')).length === 1);
  t.deepEqual((await slicesOf(c, 'empty'))[0]?.endpoints, []);
  t.deepEqual(await slicesOf(c, 'manual'), []);
  t.deepEqual(await slicesOf(c, 'ext'), []);
  const events = (await c.list<KubeObject & { reason?: string }>('events', { namespace: NS })).items.filter((e) => e.reason === 'FailedToUpdateEndpointSlices');
  t.deepEqual(events, []);
});
