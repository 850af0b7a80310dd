// The API server end to end through the real client, against a real etcd: CRUD with
// selectors and pagination, conflicts, apply, validation, namespaces, graceful deletion,
// finalizers, binding, watch and metrics.
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { spawnSync } from 'node:child_process';
import {
  ApiError, FOREGROUND_DELETION_FINALIZER, LAST_APPLIED_ANNOTATION, PROPAGATION_POLICY_ANNOTATION,
  type ConfigMap as ConfigMapType, type KubeObject, type Namespace as NamespaceType, type Pod as PodType, type TugboatClient, type WatchEvent,
} from '@tugboat/api';
import { startApiServerInProcess, startEtcd, waitFor, type ApiServerHandle, type EtcdHandle } from '@tugboat/test';

// kubernetes-types interfaces carry no index signature; the client's generic wants one.
type Pod = PodType & KubeObject;
type ConfigMap = ConfigMapType & KubeObject;
type Namespace = NamespaceType & KubeObject;

const test = anyTest as TestFn<{ etcd: EtcdHandle; server: ApiServerHandle; client: TugboatClient }>;

test.before(async (t) => {
  const etcd = await startEtcd();
  const server = await startApiServerInProcess(etcd.endpoint, { bookmarkIntervalMs: 200, namespaceSyncIntervalMs: 200, storageCountIntervalMs: 200 });
  const client = server.client();
  await waitFor('built-in namespaces', async () => (await client.list('namespaces')).items.length >= 3);
  t.context = { etcd, server, client };
});

test.after.always(async (t) => {
  await t.context.server?.stop();
  await t.context.etcd?.destroy();
});

function pod(name: string, opts: { namespace?: string; labels?: Record<string, string>; nodeName?: string; grace?: number } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: opts.namespace ?? 'default', ...(opts.labels ? { labels: opts.labels } : {}) },
    spec: {
      containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }],
      ...(opts.nodeName ? { nodeName: opts.nodeName } : {}),
      ...(opts.grace !== undefined ? { terminationGracePeriodSeconds: opts.grace } : {}),
    },
  };
}

function configMap(name: string, namespace = 'default', data: Record<string, string> = { a: '1' }): ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data };
}

async function apiError(t: ExecutionContext, p: Promise<unknown>): Promise<ApiError> {
  const err = await t.throwsAsync(p);
  if (!(err instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(err)}`);
  return err;
}

async function createNamespace(client: TugboatClient, name: string): Promise<void> {
  await client.create<Namespace>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

test('create sets server metadata; get reads it back; the key layout is the documented one', async (t) => {
  const { client, etcd } = t.context;
  const created = await client.create(pod('meta', { labels: { app: 'meta' } }));
  const m = created.metadata!;
  t.truthy(m.uid);
  t.regex(m.creationTimestamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  t.is(m.generation, 1);
  t.regex(m.resourceVersion ?? '', /^\d+$/);
  t.is((created.status as { phase?: string }).phase, 'Pending');
  const got = await client.get<Pod>('pods', 'default', 'meta');
  t.deepEqual(got, created);
  const stored = JSON.parse(etcd.etcdctl('get', '/registry/pods/default/meta', '--print-value-only')) as KubeObject;
  t.is(stored.metadata?.uid, m.uid);
  t.is(stored.metadata?.resourceVersion, undefined, 'resourceVersion is the mod revision, not stored');
  const ns = JSON.parse(etcd.etcdctl('get', '/registry/namespaces/default', '--print-value-only')) as KubeObject;
  t.is(ns.metadata?.name, 'default');

  const err = await apiError(t, client.create(pod('meta')));
  t.is(err.reason, 'AlreadyExists');
  t.is(err.message, 'pods "meta" already exists');
  t.is((await apiError(t, client.get('pods', 'default', 'nope'))).message, 'pods "nope" not found');
  t.is((await apiError(t, client.get('deployments', 'default', 'nope'))).message, 'deployments.apps "nope" not found');
  t.is((await apiError(t, client.get('widgets', 'default', 'x'))).reason, 'BadRequest');
});

test('generateName picks a free name', async (t) => {
  const { client } = t.context;
  const a = await client.create<KubeObject>({ ...configMap(''), metadata: { generateName: 'gen-', namespace: 'default' } });
  t.regex(a.metadata?.name ?? '', /^gen-[a-z0-9]{5}$/);
});

test('list: namespace or all, label and field selectors, pagination on one snapshot', async (t) => {
  const { client } = t.context;
  await createNamespace(client, 'list-a');
  await createNamespace(client, 'list-b');
  for (let i = 0; i < 7; i++) {
    await client.create(pod(`p${i}`, { namespace: 'list-a', labels: { app: i % 2 ? 'odd' : 'even', idx: String(i) } }));
  }
  await client.create(pod('other', { namespace: 'list-b', labels: { app: 'odd' } }));

  t.is((await client.list('pods', { namespace: 'list-a' })).items.length, 7);
  const odd = await client.list<Pod>('pods', { labelSelector: 'app=odd' });
  t.deepEqual(odd.items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`).sort(), ['list-a/p1', 'list-a/p3', 'list-a/p5', 'list-b/other']);
  const setBased = await client.list<Pod>('pods', { namespace: 'list-a', labelSelector: 'idx in (1,2),app!=odd' });
  t.deepEqual(setBased.items.map((p) => p.metadata?.name), ['p2']);
  const byName = await client.list<Pod>('pods', { fieldSelector: 'metadata.name=p4' });
  t.deepEqual(byName.items.map((p) => p.metadata?.name), ['p4']);
  const byPhase = await client.list<Pod>('pods', { namespace: 'list-a', fieldSelector: 'status.phase=Pending,metadata.namespace=list-a' });
  t.is(byPhase.items.length, 7);
  t.is((await apiError(t, client.list('pods', { labelSelector: 'a in (' }))).reason, 'BadRequest');

  // Pages of 3; a pod created between pages is not in this snapshot.
  const page1 = await client.list<Pod>('pods', { namespace: 'list-a', limit: 3 });
  t.deepEqual(page1.items.map((p) => p.metadata?.name), ['p0', 'p1', 'p2']);
  t.truthy(page1.continue);
  await client.create(pod('p25', { namespace: 'list-a' }));
  const page2 = await client.list<Pod>('pods', { namespace: 'list-a', limit: 3, continue: page1.continue });
  t.deepEqual(page2.items.map((p) => p.metadata?.name), ['p3', 'p4', 'p5']);
  t.is(page2.resourceVersion, page1.resourceVersion);
  const page3 = await client.list<Pod>('pods', { namespace: 'list-a', limit: 3, continue: page2.continue });
  t.deepEqual(page3.items.map((p) => p.metadata?.name), ['p6']);
  t.is(page3.continue, '');
  // With a selector, limit counts matching objects.
  const sel1 = await client.list<Pod>('pods', { namespace: 'list-a', labelSelector: 'app=odd', limit: 2 });
  t.deepEqual(sel1.items.map((p) => p.metadata?.name), ['p1', 'p3']);
  const sel2 = await client.list<Pod>('pods', { namespace: 'list-a', labelSelector: 'app=odd', limit: 2, continue: sel1.continue });
  t.deepEqual(sel2.items.map((p) => p.metadata?.name), ['p5']);
  t.is(sel2.continue, '');
  // listAll walks every page.
  t.is((await client.listAll('pods', { namespace: 'list-a' })).items.length, 8);
});

test('two updates from the same resourceVersion: exactly one wins, the other gets a conflict', async (t) => {
  const { client } = t.context;
  const cm = await client.create(configMap('race'));
  const results = await Promise.allSettled([
    client.update({ ...cm, data: { a: 'x' } }),
    client.update({ ...cm, data: { a: 'y' } }),
  ]);
  t.is(results.filter((r) => r.status === 'fulfilled').length, 1);
  const lost = results.find((r) => r.status === 'rejected');
  const reason = lost?.status === 'rejected' ? (lost.reason as ApiError) : undefined;
  t.is(reason?.reason, 'Conflict');
  t.is(reason?.message, 'Operation cannot be fulfilled on configmaps "race": the object has been modified; please apply your changes to the latest version and try again');
  t.is((await apiError(t, client.update({ ...cm, metadata: { ...cm.metadata, resourceVersion: '' } }))).reason, 'Invalid');
});

test('update keeps status as stored, bumps generation on spec changes only, and a no-op writes nothing', async (t) => {
  const { client } = t.context;
  const d: KubeObject = {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'gen' },
    spec: { replicas: 1, selector: { matchLabels: { app: 'gen' } }, template: { metadata: { labels: { app: 'gen' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
  };
  const created = await client.create<KubeObject>(d);
  const withStatus = await client.updateStatus<KubeObject>({ ...created, status: { replicas: 1, observedGeneration: 1 } });
  const labelled = await client.update<KubeObject>({ ...withStatus, metadata: { ...withStatus.metadata, labels: { x: 'y' } }, status: { replicas: 99 } });
  t.is(labelled.metadata?.generation, 1);
  t.deepEqual(labelled.status, { replicas: 1, observedGeneration: 1 });
  const scaled = await client.update<KubeObject>({ ...labelled, spec: { ...(labelled.spec as object), replicas: 3 } });
  t.is(scaled.metadata?.generation, 2);
  const same = await client.update(scaled);
  t.is(same.metadata?.resourceVersion, scaled.metadata?.resourceVersion);
  // UpdateStatus ignores spec changes.
  const st = await client.updateStatus({ ...scaled, spec: { ...(scaled.spec as object), replicas: 7 }, status: { replicas: 3 } });
  t.is((st.spec as { replicas: number }).replicas, 3);
  t.deepEqual(st.status, { replicas: 3 });
  t.is(st.metadata?.generation, 2);
});

test('apply: created, unchanged (no write), configured; dropped fields removed; system fields kept', async (t) => {
  const { client } = t.context;
  const manifest = pod('applied', { labels: { app: 'web', tier: 'fe' } });
  const first = await client.apply(manifest);
  t.is(first.result, 'created');
  t.truthy(first.object.metadata?.annotations?.[LAST_APPLIED_ANNOTATION]);
  const second = await client.apply(manifest);
  t.is(second.result, 'unchanged');
  t.is(second.object.metadata?.resourceVersion, first.object.metadata?.resourceVersion);

  await client.bind('default', 'applied', 'node-1');
  const live = await client.get<Pod>('pods', 'default', 'applied');
  await client.update({ ...live, metadata: { ...live.metadata, labels: { ...live.metadata?.labels, extra: 'by-someone' } } });

  const third = await client.apply(pod('applied', { labels: { app: 'web' } }));
  t.is(third.result, 'configured');
  const after = await client.get<Pod>('pods', 'default', 'applied');
  t.deepEqual(after.metadata?.labels, { app: 'web', extra: 'by-someone' });
  t.is(after.spec?.nodeName, 'node-1');
  t.is(after.metadata?.uid, first.object.metadata?.uid);
  t.is(after.metadata?.creationTimestamp, first.object.metadata?.creationTimestamp);
  t.is((await client.apply(pod('applied', { labels: { app: 'web' } }))).result, 'unchanged');

  // A ConfigMap key dropped from the manifest goes; one added by someone else stays.
  await client.apply(configMap('applied-cm', 'default', { a: '1', b: '2' }));
  const cm = await client.get<ConfigMap>('configmaps', 'default', 'applied-cm');
  await client.update({ ...cm, data: { ...cm.data, c: '3' } });
  t.is((await client.apply(configMap('applied-cm', 'default', { a: '1' }))).result, 'configured');
  t.deepEqual((await client.get<ConfigMap>('configmaps', 'default', 'applied-cm')).data, { a: '1', c: '3' });

  // Dry run writes nothing.
  const dry = await client.apply(configMap('applied-dry'), { dryRun: true });
  t.is(dry.result, 'created');
  t.is(await client.tryGet('configmaps', 'default', 'applied-dry'), undefined);
});

test('invalid objects are refused with field paths and nothing is stored', async (t) => {
  const { client, etcd } = t.context;
  const noImage = pod('Bad-Name');
  noImage.spec!.containers[0] = { name: 'app' } as never;
  const err = await apiError(t, client.create(noImage));
  t.is(err.reason, 'Invalid');
  t.regex(err.message, /spec\.containers\[0\]\.image: Required value/);
  t.regex(err.message, /metadata\.name/);
  t.is(etcd.etcdctl('get', '--prefix', '/registry/pods/default/Bad-Name', '--keys-only').trim(), '');

  const unknown = await apiError(t, client.create({ apiVersion: 'v1', kind: 'Widget', metadata: { name: 'w' } }));
  t.is(unknown.reason, 'Invalid');
  t.regex(unknown.message, /kind/);
  const badApply = await apiError(t, client.apply({ ...pod('bad-apply'), spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: 'abc' } } }] } }));
  t.is(badApply.reason, 'Invalid');
  t.is(await client.tryGet('pods', 'default', 'bad-apply'), undefined);
});

test('namespaces: built-ins exist, a missing one is NotFound, deletion empties then removes', async (t) => {
  const { client } = t.context;
  const names = (await client.list<Namespace>('namespaces')).items.map((n) => n.metadata?.name);
  for (const n of ['default', 'tugboat-system', 'tugboat-node-lease']) t.true(names.includes(n), n);
  t.is((await client.get<Namespace>('namespaces', '', 'default')).status?.phase, 'Active');

  const missing = await apiError(t, client.create(configMap('x', 'no-such-ns')));
  t.is(missing.reason, 'NotFound');
  t.is(missing.message, 'namespaces "no-such-ns" not found');
  t.is((await apiError(t, client.delete('namespaces', '', 'default'))).reason, 'Forbidden');

  await createNamespace(client, 'doomed');
  await client.create(configMap('c1', 'doomed'));
  await client.create(pod('p1', { namespace: 'doomed' }));
  const deleting = await client.delete<Namespace>('namespaces', '', 'doomed');
  t.is(deleting.status?.phase, 'Terminating');
  t.truthy(deleting.metadata?.deletionTimestamp);
  const forbidden = await apiError(t, client.create(configMap('c2', 'doomed')));
  t.is(forbidden.reason, 'Forbidden');
  t.is(forbidden.message, 'unable to create new content in namespace doomed because it is being terminated');
  // Emptied only after Kubernetes' 5 s grace: a client deleting the namespace and its content
  // together (kubectl delete -f) still finds the content.
  await new Promise((r) => setTimeout(r, 2_000));
  t.truthy(await client.tryGet('configmaps', 'doomed', 'c1'), 'the content is still there 2 s after the delete');
  t.truthy(await client.delete('configmaps', 'doomed', 'c1'));
  await waitFor('namespace removed', async () => (await client.tryGet('namespaces', '', 'doomed')) === undefined, 30_000);
  t.is((await client.list('configmaps', { namespace: 'doomed' })).items.length, 0);
  t.is((await client.list('pods', { namespace: 'doomed' })).items.length, 0);
});

test('pod deletion: graceful while bound and running, at once with grace 0 or when unbound', async (t) => {
  const { client } = t.context;
  await client.create(pod('unbound'));
  const gone = await client.delete('pods', 'default', 'unbound');
  t.falsy(gone.metadata?.deletionTimestamp);
  t.is(await client.tryGet('pods', 'default', 'unbound'), undefined);

  await client.create(pod('graceful', { grace: 20 }));
  await client.bind('default', 'graceful', 'node-1');
  const before = Date.now();
  const marked = await client.delete<Pod>('pods', 'default', 'graceful');
  t.is(marked.metadata?.deletionGracePeriodSeconds, 20);
  const ts = Date.parse(marked.metadata?.deletionTimestamp ?? '');
  t.true(ts >= before + 18_000 && ts <= Date.now() + 21_000, marked.metadata?.deletionTimestamp);
  t.truthy(await client.tryGet('pods', 'default', 'graceful'));
  // The agent confirms with grace 0.
  await client.delete('pods', 'default', 'graceful', { gracePeriodSeconds: 0 });
  t.is(await client.tryGet('pods', 'default', 'graceful'), undefined);

  const p = await client.create(pod('precond'));
  t.is((await apiError(t, client.delete('pods', 'default', 'precond', { preconditionUid: 'other' }))).reason, 'Conflict');
  t.is((await apiError(t, client.delete('pods', 'default', 'precond', { preconditionResourceVersion: '1' }))).reason, 'Conflict');
  await client.delete('pods', 'default', 'precond', { preconditionUid: p.metadata?.uid ?? '' });
});

test('finalizers: delete marks, removing the last finalizer removes; propagation policy recorded', async (t) => {
  const { client } = t.context;
  await client.create({ ...configMap('fin'), metadata: { name: 'fin', namespace: 'default', finalizers: ['example.com/hold'] } });
  const marked = await client.delete('configmaps', 'default', 'fin');
  t.truthy(marked.metadata?.deletionTimestamp);
  t.is(marked.metadata?.annotations?.[PROPAGATION_POLICY_ANNOTATION], 'Background');
  const stillThere = await client.get<ConfigMap>('configmaps', 'default', 'fin');
  const noNew = await apiError(t, client.update({ ...stillThere, metadata: { ...stillThere.metadata, finalizers: ['example.com/hold', 'new'] } }));
  t.is(noNew.reason, 'Invalid');
  await client.update({ ...stillThere, metadata: { ...stillThere.metadata, finalizers: [] } });
  t.is(await client.tryGet('configmaps', 'default', 'fin'), undefined);

  await client.create(configMap('fg'));
  const fg = await client.delete('configmaps', 'default', 'fg', { propagationPolicy: 'Foreground' });
  t.deepEqual(fg.metadata?.finalizers, [FOREGROUND_DELETION_FINALIZER]);
  t.is(fg.metadata?.annotations?.[PROPAGATION_POLICY_ANNOTATION], 'Foreground');
  t.is((await apiError(t, client.delete('configmaps', 'default', 'fg', { propagationPolicy: 'Sideways' as never }))).reason, 'BadRequest');
});

test('bind: sets nodeName and PodScheduled atomically; a second bind conflicts', async (t) => {
  const { client } = t.context;
  await client.create(pod('bindme'));
  const results = await Promise.allSettled([client.bind('default', 'bindme', 'node-a'), client.bind('default', 'bindme', 'node-b')]);
  t.is(results.filter((r) => r.status === 'fulfilled').length, 1);
  const rejected = results.find((r) => r.status === 'rejected');
  t.is(rejected?.status === 'rejected' ? (rejected.reason as ApiError).reason : '', 'Conflict');
  const bound = await client.get<Pod>('pods', 'default', 'bindme');
  t.true(bound.spec?.nodeName === 'node-a' || bound.spec?.nodeName === 'node-b');
  t.like(bound.status?.conditions?.find((c) => c.type === 'PodScheduled'), { status: 'True' });
  t.regex((await apiError(t, client.bind('default', 'bindme', 'node-c'))).message, /already assigned to node/);
  t.is((await apiError(t, client.bind('default', 'nobody', 'node-c'))).reason, 'NotFound');
});

/** Reads watch events into an array as they come. */
function follow(client: TugboatClient, resource: string, opts: Parameters<TugboatClient['watch']>[1]): { events: WatchEvent[]; error: () => unknown; close(): void } {
  const w = client.watch(resource, opts);
  const events: WatchEvent[] = [];
  let error: unknown;
  void (async () => {
    try {
      for await (const ev of w) events.push(ev);
    } catch (e) {
      error = e;
    }
  })();
  return { events, error: () => error, close: () => w.close() };
}

const summary = (events: WatchEvent[]): string[] => events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type} ${e.object.metadata?.name}`);

test('watch: current state as ADDED, then MODIFIED and DELETED; from a resourceVersion', async (t) => {
  const { client } = t.context;
  await createNamespace(client, 'watch-a');
  const first = await client.create(configMap('w1', 'watch-a'));
  const w = follow(client, 'configmaps', { namespace: 'watch-a' });
  await waitFor('initial ADDED', () => w.events.length === 1);
  const updated = await client.update({ ...first, data: { a: '2' } });
  await client.create(configMap('w2', 'watch-a'));
  await client.create(configMap('elsewhere'));
  await client.delete('configmaps', 'watch-a', 'w1');
  await waitFor('4 events', () => w.events.length >= 4);
  t.deepEqual(summary(w.events), ['ADDED w1', 'MODIFIED w1', 'ADDED w2', 'DELETED w1']);
  t.is(w.events[1]?.object.metadata?.resourceVersion, updated.metadata?.resourceVersion);
  w.close();

  // From a revision: only what came after it.
  const resumed = follow(client, 'configmaps', { namespace: 'watch-a', resourceVersion: updated.metadata?.resourceVersion ?? '' });
  await waitFor('replayed events', () => resumed.events.length >= 2);
  t.deepEqual(summary(resumed.events), ['ADDED w2', 'DELETED w1']);
  resumed.close();
});

test('watch with a field selector sees ADDED when a pod starts matching and DELETED when it stops', async (t) => {
  const { client } = t.context;
  await createNamespace(client, 'watch-b');
  const w = follow(client, 'pods', { namespace: 'watch-b', fieldSelector: 'spec.nodeName=node-1', allowBookmarks: true });
  await client.create(pod('sel', { namespace: 'watch-b', grace: 0 }));
  await client.create(pod('other-node', { namespace: 'watch-b' }));
  await client.bind('watch-b', 'other-node', 'node-2');
  await client.bind('watch-b', 'sel', 'node-1');
  const p = await client.get<Pod>('pods', 'watch-b', 'sel');
  await client.updateStatus({ ...p, status: { ...p.status, phase: 'Running' } });
  await client.delete('pods', 'watch-b', 'sel', { gracePeriodSeconds: 0 });
  await waitFor('3 events', () => summary(w.events).length >= 3);
  t.deepEqual(summary(w.events), ['ADDED sel', 'MODIFIED sel', 'DELETED sel']);
  // Bookmarks carry a revision at least as new as the last event.
  await waitFor('a bookmark', () => w.events.at(-1)?.type === 'BOOKMARK');
  const bm = w.events.at(-1)!;
  t.true(Number(bm.object.metadata?.resourceVersion) >= Number(w.events.filter((e) => e.type === 'DELETED')[0]!.object.metadata?.resourceVersion));

  // A label selector: stops matching → DELETED.
  const lw = follow(client, 'pods', { namespace: 'watch-b', labelSelector: 'app=web' });
  const lp = await client.create(pod('lab', { namespace: 'watch-b', labels: { app: 'web' } }));
  await client.update({ ...lp, metadata: { ...lp.metadata, labels: { app: 'db' } } });
  await waitFor('2 events', () => summary(lw.events).length >= 2);
  t.deepEqual(summary(lw.events), ['ADDED lab', 'DELETED lab']);
  w.close();
  lw.close();
});

test('a watch from a compacted revision gets the "expired" error', async (t) => {
  const { client, etcd } = t.context;
  await createNamespace(client, 'watch-c');
  const old = await client.create(configMap('old', 'watch-c'));
  await client.create(configMap('newer', 'watch-c'));
  etcd.etcdctl('compact', JSON.parse(etcd.etcdctl('endpoint', 'status', '-w', 'json'))[0].Status.header.revision.toString());
  // A fresh API server's watch cache starts now, so the old revision must come from etcd.
  const fresh = await startApiServerInProcess(etcd.endpoint);
  try {
    const w = follow(fresh.client(), 'configmaps', { namespace: 'watch-c', resourceVersion: old.metadata?.resourceVersion ?? '' });
    await waitFor('the watch to fail', () => w.error() !== undefined);
    const err = w.error() as ApiError;
    t.is(err.reason, 'Expired');
    t.regex(err.message, /expired/);
    // The same server still serves watches from the current state.
    const ok = follow(fresh.client(), 'configmaps', { namespace: 'watch-c' });
    await waitFor('current state', () => ok.events.length === 2);
    ok.close();
  } finally {
    await fresh.stop();
  }
});

test('/metrics is valid Prometheus text and counts requests; /healthz and /readyz answer', async (t) => {
  const { client, server } = t.context;
  const count = (text: string, verb: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(`apiserver_request_total{verb="${verb}",resource="secrets",code="200"}`));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };
  const before = count((await server.http('/metrics')).body, 'LIST');
  await client.list('secrets');
  await client.list('secrets');
  await client.tryGet('secrets', 'default', 'missing');
  const res = await server.http('/metrics');
  t.is(res.status, 200);
  t.is(count(res.body, 'LIST'), before + 2);
  // Kubernetes' verbs and HTTP codes for gRPC calls too: a missing object is a 404.
  t.regex(res.body, /apiserver_request_total\{verb="GET",resource="secrets",code="404"\} 1/);
  t.regex(res.body, /apiserver_request_duration_seconds_bucket\{le="[^"]+",verb="LIST",resource="secrets"\}/);
  t.regex(res.body, /etcd_request_duration_seconds_count\{operation="list"\} \d+/);
  t.regex(res.body, /process_cpu_seconds_total/);
  await waitFor('storage object counts', async () => /apiserver_storage_objects\{resource="namespaces"\} [1-9]/.test((await server.http('/metrics')).body));

  const promtool = spawnSync('promtool', ['check', 'metrics'], { input: res.body, encoding: 'utf8' });
  if (promtool.error) {
    t.log('promtool not installed; skipped the lint');
  } else {
    // Clean, prom-client's defaults included (@tugboat/api/metrics renames its misnamed gauges).
    t.is(promtool.status, 0, promtool.stdout + promtool.stderr);
    t.regex(res.body, /^nodejs_active_handles_all \d+$/m);
  }

  t.is((await server.http('/healthz')).status, 200);
  t.is((await server.http('/readyz')).status, 200);
  t.is((await server.http('/nope')).status, 404);
});

test('version', async (t) => {
  const v = await t.context.client.version();
  t.regex(v.version, /^\d+\.\d+\.\d+/);
  t.is(v.platform, `${process.platform}/${process.arch}`);
});
