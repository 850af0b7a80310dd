// @kubernetes/client-node, the official JavaScript client nobody here wrote, against a real
// API server on a real etcd: its informer (list + watch), create/replace/patch/delete, 409 on
// a stale resourceVersion, 410 on a compacted watch; and both wire formats (REST, gRPC) seeing
// the same objects at the same resourceVersions.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { KubeObject } from '@tugboat/api';
import { etcdAvailable, startEtcd, type EtcdHandle } from '../harness/etcd.js';
import { startApiServerInProcess, type ApiServerHandle } from '../harness/apiserver.js';
import { eventually } from './helpers.js';

const hasEtcd = etcdAvailable();
if (!hasEtcd) console.log('client-node.test.ts: skipped: etcd is not installed');
const serial = hasEtcd ? test.serial : test.serial.skip;

let etcd: EtcdHandle;
let api: ApiServerHandle;
let dir: string;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;

async function startApi(listen?: string): Promise<ApiServerHandle> {
  // A small watch cache kept by size alone (no 75 s retention), so that a watch from a few
  // writes back is older than the window.
  return startApiServerInProcess(etcd.endpoint, { watchCacheSize: 20, watchCacheRetentionMs: 0, ...(listen ? { listen } : {}) });
}

test.before(async () => {
  if (!hasEtcd) return;
  etcd = await startEtcd();
  api = await startApi();
  dir = mkdtempSync(join(tmpdir(), 'tugboat-client-node-'));
  const file = api.pki.kubeconfig(api.address, api.pki.admin, 'client-node-admin');
  kc = new k8s.KubeConfig();
  kc.loadFromFile(file);
  core = kc.makeApiClient(k8s.CoreV1Api);
});

test.after.always(async () => {
  await api?.stop();
  await etcd?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const cm = (name: string, data: Record<string, string>): k8s.V1ConfigMap => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels: { suite: 'client-node' } }, data });

function statusCode(e: unknown): number | undefined {
  return e instanceof k8s.ApiException ? e.code : undefined;
}

serial('create, replace, patch and delete; 409 on a stale resourceVersion', async (t) => {
  const created = await core.createNamespacedConfigMap({ namespace: 'default', body: cm('crud', { a: '1' }) });
  t.truthy(created.metadata?.uid);
  t.regex(created.metadata?.resourceVersion ?? '', /^\d+$/);

  const replaced = await core.replaceNamespacedConfigMap({ name: 'crud', namespace: 'default', body: { ...created, data: { a: '2' } } });
  t.deepEqual(replaced.data, { a: '2' });
  t.not(replaced.metadata?.resourceVersion, created.metadata?.resourceVersion);

  // The first version's resourceVersion is stale now.
  const stale = await core.replaceNamespacedConfigMap({ name: 'crud', namespace: 'default', body: { ...created, data: { a: '3' } } }).then(() => undefined, (e: unknown) => e);
  t.is(statusCode(stale), 409);

  const patched = await core.patchNamespacedConfigMap(
    { name: 'crud', namespace: 'default', body: [{ op: 'add', path: '/data/b', value: 'x' }] },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
  );
  t.deepEqual(patched.data, { a: '2', b: 'x' });
  const merged = await core.patchNamespacedConfigMap(
    { name: 'crud', namespace: 'default', body: { data: { a: null } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  t.deepEqual(merged.data, { b: 'x' });

  await core.deleteNamespacedConfigMap({ name: 'crud', namespace: 'default' });
  const gone = await core.readNamespacedConfigMap({ name: 'crud', namespace: 'default' }).then(() => undefined, (e: unknown) => e);
  t.is(statusCode(gone), 404);
});

serial('both wire formats see the same object at the same resourceVersion, and each other\'s changes', async (t) => {
  const grpc = api.client();
  const viaRest = await core.createNamespacedConfigMap({ namespace: 'default', body: cm('both', { v: 'rest' }) });
  const viaGrpc = await grpc.get<KubeObject>('configmaps', 'default', 'both');
  t.is(viaGrpc.metadata?.resourceVersion, viaRest.metadata?.resourceVersion);
  t.is(viaGrpc.metadata?.uid, viaRest.metadata?.uid);

  // A gRPC watch sees a REST write …
  const grpcWatch = grpc.watch<KubeObject>('configmaps', { namespace: 'default', fieldSelector: 'metadata.name=both', resourceVersion: viaRest.metadata!.resourceVersion! });
  const seen = (async () => {
    for await (const ev of grpcWatch) if (ev.type === 'MODIFIED') return ev.object;
    return undefined;
  })();
  const replaced = await core.replaceNamespacedConfigMap({ name: 'both', namespace: 'default', body: { ...viaRest, data: { v: 'rest-2' } } });
  const event = await seen;
  grpcWatch.close();
  t.is(event?.metadata?.resourceVersion, replaced.metadata?.resourceVersion);

  // … and a REST watch sees a gRPC write.
  const restEvents: { type: string; rv: string | undefined; data: unknown }[] = [];
  const watch = new k8s.Watch(kc);
  const controller = await watch.watch('/api/v1/namespaces/default/configmaps', { fieldSelector: 'metadata.name=both', resourceVersion: replaced.metadata!.resourceVersion! },
    (type, obj: k8s.V1ConfigMap) => { restEvents.push({ type, rv: obj.metadata?.resourceVersion, data: obj.data }); },
    () => undefined);
  t.teardown(() => controller.abort());
  const current = await grpc.get<KubeObject>('configmaps', 'default', 'both');
  const updated = await grpc.update<KubeObject>({ ...current, data: { v: 'grpc' } } as KubeObject);
  await eventually('the REST watch to see the gRPC write', async () => restEvents.find((e) => e.type === 'MODIFIED'), 10_000, 50);
  t.deepEqual(restEvents.find((e) => e.type === 'MODIFIED'), { type: 'MODIFIED', rv: updated.metadata?.resourceVersion, data: { v: 'grpc' } });
  grpc.close();
});

serial('an informer sees adds, updates and deletes, and resumes after the API server restarts', async (t) => {
  const path = '/api/v1/namespaces/default/configmaps';
  const informer = k8s.makeInformer(kc, path, () => core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'suite=client-node' }), 'suite=client-node');
  const log: string[] = [];
  informer.on('add', (o: k8s.V1ConfigMap) => log.push(`add ${o.metadata?.name}`));
  informer.on('update', (o: k8s.V1ConfigMap) => log.push(`update ${o.metadata?.name} ${o.data?.['n'] ?? ''}`));
  informer.on('delete', (o: k8s.V1ConfigMap) => log.push(`delete ${o.metadata?.name}`));
  // client-node's documented pattern: an informer whose connection broke is started again.
  let stopped = false;
  informer.on('error', () => { if (!stopped) setTimeout(() => { if (!stopped) void informer.start().catch(() => undefined); }, 500); });
  t.teardown(async () => { stopped = true; await informer.stop(); });
  await informer.start();

  await core.createNamespacedConfigMap({ namespace: 'default', body: cm('inf', { n: '1' }) });
  await eventually('add', async () => log.includes('add inf'), 10_000, 50);
  const cur = await core.readNamespacedConfigMap({ name: 'inf', namespace: 'default' });
  await core.replaceNamespacedConfigMap({ name: 'inf', namespace: 'default', body: { ...cur, data: { n: '2' } } });
  await eventually('update', async () => log.includes('update inf 2'), 10_000, 50);
  await core.deleteNamespacedConfigMap({ name: 'inf', namespace: 'default' });
  await eventually('delete', async () => log.includes('delete inf'), 10_000, 50);

  // The API server goes away and comes back on the same address.
  const address = api.address;
  await api.stop();
  api = await startApi(address);
  await eventually('a write after the restart', async () => {
    try {
      await core.createNamespacedConfigMap({ namespace: 'default', body: cm('after-restart', { n: '1' }) });
      return true;
    } catch (e) {
      if (statusCode(e) === 409) return true;
      throw e;
    }
  }, 20_000, 200);
  await eventually('the informer to see it', async () => log.includes('add after-restart'), 20_000, 100);
  t.truthy(informer.get('after-restart', 'default'));
  t.falsy(informer.get('inf', 'default'));
});

serial('410 Gone for a watch from a compacted resourceVersion', async (t) => {
  const first = await core.createNamespacedConfigMap({ namespace: 'default', body: cm('old', { n: '0' }) });
  let cur = first;
  // More writes than the watch cache holds, then etcd compacts everything before them.
  for (let i = 1; i <= 40; i++) cur = await core.replaceNamespacedConfigMap({ name: 'old', namespace: 'default', body: { ...cur, data: { n: String(i) } } });
  etcd.etcdctl('compact', cur.metadata!.resourceVersion!);

  const outcome = await new Promise<{ code?: number | undefined; reason?: string | undefined }>((resolve) => {
    const watch = new k8s.Watch(kc);
    void watch.watch('/api/v1/namespaces/default/configmaps', { resourceVersion: first.metadata!.resourceVersion! },
      (type, obj: { code?: number; reason?: string }) => { if (type === 'ERROR') resolve({ code: obj.code, reason: obj.reason }); },
      (err: unknown) => resolve({ code: (err as { statusCode?: number; code?: number } | undefined)?.statusCode ?? (err as { code?: number } | undefined)?.code }))
      .catch((e: unknown) => resolve({ code: statusCode(e) }));
  });
  t.is(outcome.code, 410);
});
