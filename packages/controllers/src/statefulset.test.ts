// Integration: the StatefulSet controller against a real API server on a real etcd. Stand-ins
// bind pods to a node, report them Running and Ready when the test lets them, and finish
// deletions as an agent would, so ordering can be watched one pod at a time.
import test from 'ava';
import { ApiError, Informer, kindInfo, sleep, type KubeObject, type TugboatClient } from '@tugboat/api';
import { waitFor } from '@tugboat/test';
import type { ControllerRevisionObject, PodObject, StatefulSetObject } from './informers.js';
import { etcdAvailable, fakeAgent, fakeNode, fakeScheduler, mutate, startTestCluster, type FakeNode, type TestCluster } from './testing/cluster.js';

let cluster: TestCluster | undefined;
const stoppers: { stop(): void }[] = [];
let node: FakeNode | undefined;
/** Pods the fake agent leaves unready until the test releases them. */
const held = new Set<string>();
/** "create web-0", "delete web-2": pod lifecycle as the API saw it, in order. */
const seen: string[] = [];

function reaper(client: TugboatClient): { stop(): void } {
  const inf = new Informer<PodObject>(client, 'pods');
  const known = new Set<string>();
  inf.onAdd((p) => {
    known.add(p.metadata?.uid ?? '');
    seen.push(`create ${p.metadata?.name ?? ''}`);
  }).onUpdate((old, p) => {
    if (old.metadata?.deletionTimestamp || !p.metadata?.deletionTimestamp) return;
    seen.push(`delete ${p.metadata?.name ?? ''}`);
    setTimeout(() => void client.delete('pods', p.metadata?.namespace ?? '', p.metadata?.name ?? '', { gracePeriodSeconds: 0 }).catch(() => undefined), 200);
  });
  void inf.start();
  return { stop: () => inf.stop() };
}

test.before(async () => {
  if (!etcdAvailable()) return;
  cluster = await startTestCluster({ controllers: ['statefulset', 'garbagecollector'] });
  node = await fakeNode(cluster.client, 'n1');
  stoppers.push(
    fakeScheduler(cluster.client, () => ['n1']),
    fakeAgent(cluster.client, { boundOnly: true, neverReady: (p) => held.has(p.metadata?.name ?? '') }),
    reaper(cluster.client),
  );
});

test.after.always(async () => {
  for (const s of stoppers) s.stop();
  node?.stop();
  await cluster?.stop();
});

const NS = 'default';
const serial = etcdAvailable() ? test.serial : test.serial.skip;
if (!etcdAvailable()) console.log('statefulset.test.ts: skipped: no etcd binary');
const pvcKind = kindInfo('PersistentVolumeClaim');

function c(): TugboatClient {
  if (!cluster) throw new Error('no cluster');
  return cluster.client;
}

function statefulSet(name: string, replicas: number, image = 'nginx:1', extra: Record<string, unknown> = {}): StatefulSetObject {
  return {
    apiVersion: 'apps/v1', kind: 'StatefulSet',
    metadata: { name, namespace: NS },
    spec: {
      serviceName: name, replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } },
      ...extra,
    },
  };
}

async function livePods(app: string): Promise<PodObject[]> {
  const { items } = await c().list<PodObject>('pods', { namespace: NS, labelSelector: `app=${app}` });
  return items.filter((p) => !p.metadata?.deletionTimestamp).sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}

async function podNames(app: string, want: string[], timeoutMs = 15_000): Promise<PodObject[]> {
  let last: PodObject[] = [];
  await waitFor(`${app} pods ${want.join(',')}`, async () => {
    last = await livePods(app);
    return JSON.stringify(last.map((p) => p.metadata?.name)) === JSON.stringify(want);
  }, timeoutMs).catch((e: unknown) => { throw new Error(`${String(e)}; have ${last.map((p) => p.metadata?.name).join(',')}`); });
  return last;
}

async function statusOf(name: string, ok: (s: NonNullable<StatefulSetObject['status']>) => boolean): Promise<StatefulSetObject> {
  let last: StatefulSetObject | undefined;
  await waitFor(`status of ${name}`, async () => {
    last = await c().get<StatefulSetObject>('statefulsets', NS, name);
    return !!last.status && ok(last.status);
  }, 15_000).catch((e: unknown) => { throw new Error(`${String(e)}; status ${JSON.stringify(last?.status)}`); });
  return last!;
}


/** Lets the fake agent report the pod Ready: a touch of an annotation brings it an event to act on. */
async function release(name: string): Promise<void> {
  held.delete(name);
  const pod = await c().tryGet<PodObject>('pods', NS, name);
  if (!pod) return;
  await mutate<PodObject>(c(), 'pods', NS, name, (p) => ({ ...p, metadata: { ...p.metadata, annotations: { ...(p.metadata?.annotations ?? {}), released: 'true' } } }));
}

serial('OrderedReady: web-0, web-1, web-2 in order, each only once the one before is Ready; stable identity', async (t) => {
  for (const n of ['web-0', 'web-1', 'web-2']) held.add(n);
  await c().create(statefulSet('web', 3));
  await podNames('web', ['web-0']);
  // web-0 is not Ready: web-1 must not appear.
  await sleep(1000);
  t.deepEqual((await livePods('web')).map((p) => p.metadata?.name), ['web-0']);
  await release('web-0');
  await podNames('web', ['web-0', 'web-1']);
  await sleep(500);
  t.deepEqual((await livePods('web')).map((p) => p.metadata?.name), ['web-0', 'web-1']);
  held.delete('web-2');
  await release('web-1');
  const pods = await podNames('web', ['web-0', 'web-1', 'web-2']);
  t.deepEqual(seen.filter((s) => s.startsWith('create web-')), ['create web-0', 'create web-1', 'create web-2']);
  const p1 = pods[1]!;
  t.like(p1.metadata?.labels, { app: 'web', 'statefulset.kubernetes.io/pod-name': 'web-1', 'apps.kubernetes.io/pod-index': '1' });
  t.is(p1.spec?.hostname, 'web-1');
  t.is(p1.spec?.subdomain, 'web');
  const st = await statusOf('web', (s) => s.readyReplicas === 3 && s.availableReplicas === 3);
  t.like(st.status, { replicas: 3, currentReplicas: 3, updatedReplicas: 3, observedGeneration: 1 });
  t.truthy(st.status?.currentRevision);
  t.is(st.status?.currentRevision, st.status?.updateRevision);
  t.is(p1.metadata?.labels?.['controller-revision-hash'], st.status?.updateRevision);
  const { items: events } = await c().list<KubeObject & { reason?: string; message?: string }>('events', { namespace: NS });
  t.true(events.some((e) => e.reason === 'SuccessfulCreate' && e.message === 'create Pod web-0 in StatefulSet web successful'));
});

serial('a deleted pod comes back under the same name', async (t) => {
  const before = (await livePods('web')).find((p) => p.metadata?.name === 'web-1')!;
  await c().delete('pods', NS, 'web-1');
  await waitFor('web-1 back', async () => {
    const p = await c().tryGet<PodObject>('pods', NS, 'web-1');
    return !!p && p.metadata?.uid !== before.metadata?.uid && !p.metadata?.deletionTimestamp;
  }, 15_000);
  await statusOf('web', (s) => s.readyReplicas === 3);
  t.pass();
});

serial('scale to 1 deletes web-2 then web-1; scaling back makes them again in order', async (t) => {
  seen.length = 0;
  await mutate<StatefulSetObject>(c(), 'statefulsets', NS, 'web', (s) => ({ ...s, spec: { ...s.spec!, replicas: 1 } }));
  await podNames('web', ['web-0']);
  t.deepEqual(seen.filter((s) => s.startsWith('delete')), ['delete web-2', 'delete web-1']);
  await statusOf('web', (s) => s.replicas === 1);
  seen.length = 0;
  await mutate<StatefulSetObject>(c(), 'statefulsets', NS, 'web', (s) => ({ ...s, spec: { ...s.spec!, replicas: 3 } }));
  await podNames('web', ['web-0', 'web-1', 'web-2']);
  t.deepEqual(seen.filter((s) => s.startsWith('create')), ['create web-1', 'create web-2']);
  await statusOf('web', (s) => s.readyReplicas === 3);
});

serial('a rolling update replaces web-2, web-1, web-0 in that order; history has both revisions', async (t) => {
  seen.length = 0;
  const before = await c().get<StatefulSetObject>('statefulsets', NS, 'web');
  await mutate<StatefulSetObject>(c(), 'statefulsets', NS, 'web', (s) => ({
    ...s, spec: { ...s.spec!, template: { ...s.spec!.template, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } },
  }));
  const st = await statusOf('web', (s) => s.updatedReplicas === 3 && s.readyReplicas === 3 && s.currentRevision === s.updateRevision && s.updateRevision !== before.status?.updateRevision);
  t.deepEqual(seen.filter((s) => s.startsWith('delete')), ['delete web-2', 'delete web-1', 'delete web-0']);
  const pods = await livePods('web');
  t.deepEqual(pods.map((p) => p.spec?.containers[0]?.image), ['nginx:2', 'nginx:2', 'nginx:2']);
  t.true(pods.every((p) => p.metadata?.labels?.['controller-revision-hash'] === st.status?.updateRevision));
  const { items: revs } = await c().list<ControllerRevisionObject>('controllerrevisions', { namespace: NS, labelSelector: 'app=web' });
  t.deepEqual(revs.map((r) => r.revision).sort(), [1, 2]);
});

serial('a selector that does not match the template: one line naming the field, nothing stored', async (t) => {
  const bad = statefulSet('bad', 1);
  bad.spec!.selector = { matchLabels: { app: 'other' } };
  const err = await t.throwsAsync(c().create(bad));
  t.true(err instanceof ApiError);
  t.regex(err!.message, /spec\.template\.metadata\.labels: Invalid value: .*`selector` does not match template `labels`/);
  t.false(err!.message.includes('\n'));
  t.is(await c().tryGet('statefulsets', NS, 'bad'), undefined);
});

serial('volumeClaimTemplates: a claim per ordinal before its pod, kept on scale down and reused on scale up', async (t) => {
  if (!pvcKind) {
    console.log('statefulset.test.ts: claims test skipped: the PersistentVolumeClaim kind is not served yet');
    t.pass();
    return;
  }
  const claimTemplates = [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Mi' } } } }];
  await c().create(statefulSet('db', 3, 'nginx:1', { volumeClaimTemplates: claimTemplates }));
  const pods = await podNames('db', ['db-0', 'db-1', 'db-2']);
  t.deepEqual(pods[1]?.spec?.volumes?.find((v) => v.name === 'www')?.persistentVolumeClaim, { claimName: 'www-db-1' });
  const uids = new Map<string, string>();
  for (const n of ['www-db-0', 'www-db-1', 'www-db-2']) uids.set(n, (await c().get<KubeObject>('persistentvolumeclaims', NS, n)).metadata?.uid ?? '');
  await mutate<StatefulSetObject>(c(), 'statefulsets', NS, 'db', (s) => ({ ...s, spec: { ...s.spec!, replicas: 1 } }));
  await podNames('db', ['db-0']);
  for (const n of ['www-db-1', 'www-db-2']) t.truthy(await c().tryGet('persistentvolumeclaims', NS, n), `${n} kept`);
  await mutate<StatefulSetObject>(c(), 'statefulsets', NS, 'db', (s) => ({ ...s, spec: { ...s.spec!, replicas: 3 } }));
  await podNames('db', ['db-0', 'db-1', 'db-2']);
  for (const [n, uid] of uids) t.is((await c().get<KubeObject>('persistentvolumeclaims', NS, n)).metadata?.uid, uid, `${n} reused`);
});
