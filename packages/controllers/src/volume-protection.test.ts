// The pvc-protection and pv-protection controllers and the garbage collection of a
// StatefulSet's claims: pure decisions first, then against a real API server on a real etcd
// (which adds the protection finalizers at create, as Kubernetes' StorageObjectInUseProtection
// admission). Stand-ins bind pods, report them Running and Ready, and finish pod deletions as
// an agent would.
import test from 'ava';
import { PVC_PROTECTION_FINALIZER, PV_PROTECTION_FINALIZER, sleep, type PersistentVolumeClaimObject, type PersistentVolumeObject, type TugboatClient } from '@tugboat/api';
import { waitFor } from '@tugboat/test';
import type { PodObject, StatefulSetObject } from './informers.js';
import { etcdAvailable, fakeAgent, fakeNode, fakeReaper, fakeScheduler, mutate, startTestCluster, type FakeNode, type TestCluster } from './testing/cluster.js';
import { claimKeysOf, finalizersWith, isDeletionCandidate, needsFinalizer, podMayReleaseClaims, podUsesClaim, volumeInUse } from './volume-protection.js';

// ── Pure ────────────────────────────────────────────────────────────────────────────────

const pod = (extra: { nodeName?: string; phase?: string; deleting?: number; claims?: string[]; namespace?: string } = {}): PodObject => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: {
    name: 'p', namespace: extra.namespace ?? 'default', uid: 'u1',
    ...(extra.deleting !== undefined ? { deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: extra.deleting } : {}),
  },
  spec: {
    ...(extra.nodeName ? { nodeName: extra.nodeName } : {}),
    containers: [{ name: 'c', image: 'i' }],
    volumes: [{ name: 'cfg', configMap: { name: 'x' } }, ...(extra.claims ?? ['data']).map((c) => ({ name: c, persistentVolumeClaim: { claimName: c } }))],
  },
  ...(extra.phase ? { status: { phase: extra.phase } } : {}),
});

test('a claim is in use by a scheduled pod naming it, until the pod is shut down; a finished pod still holds it', (t) => {
  t.true(podUsesClaim(pod({ nodeName: 'n1' }), 'default', 'data'));
  t.false(podUsesClaim(pod(), 'default', 'data'), 'not scheduled: no agent can have mounted it');
  t.false(podUsesClaim(pod({ nodeName: 'n1' }), 'default', 'other'));
  t.false(podUsesClaim(pod({ nodeName: 'n1', namespace: 'x' }), 'default', 'data'));
  t.true(podUsesClaim(pod({ nodeName: 'n1', deleting: 30 }), 'default', 'data'), 'still terminating');
  t.false(podUsesClaim(pod({ nodeName: 'n1', deleting: 0 }), 'default', 'data'), 'shut down');
  t.true(podUsesClaim(pod({ nodeName: 'n1', phase: 'Succeeded' }), 'default', 'data'), 'as Kubernetes: until deleted');
});

test('pod events that may free a claim, and the claims a pod names', (t) => {
  t.false(podMayReleaseClaims(pod({ nodeName: 'n1', phase: 'Running' }), false));
  t.true(podMayReleaseClaims(pod({ nodeName: 'n1', phase: 'Running' }), true));
  t.true(podMayReleaseClaims(pod({ nodeName: 'n1', phase: 'Failed' }), false));
  t.true(podMayReleaseClaims(pod(), false));
  t.deepEqual(claimKeysOf(pod({ claims: ['a', 'b'] })), ['default/a', 'default/b']);
});

test('finalizer decisions', (t) => {
  const pvc = (finalizers: string[], deleting: boolean): PersistentVolumeClaimObject => ({
    apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c', finalizers, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
  });
  t.true(needsFinalizer(pvc([], false), PVC_PROTECTION_FINALIZER));
  t.false(needsFinalizer(pvc([], true), PVC_PROTECTION_FINALIZER), 'never added to an object being deleted');
  t.true(isDeletionCandidate(pvc(['a', PVC_PROTECTION_FINALIZER], true), PVC_PROTECTION_FINALIZER));
  t.false(isDeletionCandidate(pvc([PVC_PROTECTION_FINALIZER], false), PVC_PROTECTION_FINALIZER));
  t.deepEqual(finalizersWith(pvc(['a', PVC_PROTECTION_FINALIZER], true), PVC_PROTECTION_FINALIZER, false), ['a']);
  t.deepEqual(finalizersWith(pvc(['a'], false), PVC_PROTECTION_FINALIZER, true), ['a', PVC_PROTECTION_FINALIZER]);
  t.is(finalizersWith(pvc(['a'], false), PVC_PROTECTION_FINALIZER, false), undefined);
  const pv = (phase: string): PersistentVolumeObject => ({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'v' }, status: { phase } });
  t.true(volumeInUse(pv('Bound')));
  t.false(volumeInUse(pv('Released')));
  t.false(volumeInUse(pv('Available')));
});

// ── Against a real API server ───────────────────────────────────────────────────────────

let cluster: TestCluster | undefined;
let node: FakeNode | undefined;
const stoppers: { stop(): void }[] = [];
/** While set, the stand-in scheduler binds nothing. */
let schedulingPaused = false;
const serial = etcdAvailable() ? test.serial : test.serial.skip;
if (!etcdAvailable()) console.log('volume-protection.test.ts: integration tests skipped: no etcd binary');

test.before(async () => {
  if (!etcdAvailable()) return;
  cluster = await startTestCluster({ controllers: ['pvc-protection', 'pv-protection', 'statefulset', 'garbagecollector'] });
  node = await fakeNode(cluster.client, 'n1');
  stoppers.push(fakeScheduler(cluster.client, () => (schedulingPaused ? [] : ['n1'])), fakeAgent(cluster.client, { boundOnly: true }), fakeReaper(cluster.client, 300));
});

test.after.always(async () => {
  for (const s of stoppers) s.stop();
  node?.stop();
  await cluster?.stop();
});

const NS = 'default';
const c = (): TugboatClient => cluster!.client;
const getClaim = (name: string): Promise<PersistentVolumeClaimObject | undefined> => c().tryGet<PersistentVolumeClaimObject>('persistentvolumeclaims', NS, name);
const claim = (name: string): PersistentVolumeClaimObject => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: NS },
  // A class no provisioner serves: the claim stays Pending, which protection does not care about.
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Mi' } }, storageClassName: 'manual' },
});
const claimPod = (name: string, claimName: string): PodObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS },
  spec: { terminationGracePeriodSeconds: 5, containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }] },
});

serial('a claim in use stays Terminating until its pod is gone; an unscheduled pod does not hold it', async (t) => {
  const made = await c().create(claim('held'));
  t.deepEqual(made.metadata?.finalizers, [PVC_PROTECTION_FINALIZER], 'added at create');
  await c().create(claimPod('user', 'held'));
  await waitFor('user bound', async () => !!(await c().get<PodObject>('pods', NS, 'user')).spec?.nodeName, 10_000);
  await c().delete('persistentvolumeclaims', NS, 'held');
  await sleep(1000);
  const terminating = await getClaim('held');
  t.truthy(terminating?.metadata?.deletionTimestamp, 'marked for deletion');
  t.deepEqual(terminating?.metadata?.finalizers, [PVC_PROTECTION_FINALIZER], 'kept while the pod uses it');

  const start = Date.now();
  await c().delete('pods', NS, 'user');
  await waitFor('claim gone', async () => (await getClaim('held')) === undefined, 15_000, 50);
  t.log(`claim gone ${Date.now() - start} ms after its pod's delete (the stand-in agent confirms after 300 ms)`);
  t.is(await c().tryGet('pods', NS, 'user'), undefined, 'the pod went first');

  // A pod not scheduled yet cannot have its claim mounted, so it does not hold it.
  schedulingPaused = true;
  try {
    await c().create(claim('loose'));
    await c().create(claimPod('nowhere', 'loose'));
    await c().delete('persistentvolumeclaims', NS, 'loose');
    await waitFor('loose claim gone', async () => (await getClaim('loose')) === undefined, 15_000, 50);
    t.falsy((await c().get<PodObject>('pods', NS, 'nowhere')).spec?.nodeName);
    await c().delete('pods', NS, 'nowhere', { gracePeriodSeconds: 0 });
  } finally {
    schedulingPaused = false;
  }
});

serial('a claim that lost its finalizer gets it back', async (t) => {
  await c().create(claim('bare'));
  await mutate<PersistentVolumeClaimObject>(c(), 'persistentvolumeclaims', NS, 'bare', (o) => ({ ...o, metadata: { ...o.metadata, finalizers: [] } }));
  await waitFor('finalizer back', async () => (await getClaim('bare'))?.metadata?.finalizers?.includes(PVC_PROTECTION_FINALIZER) === true, 10_000, 50);
  t.pass();
});

serial('a Bound volume stays Terminating until it is no longer Bound', async (t) => {
  const made = await c().create<PersistentVolumeObject>({
    apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'vol-1' },
    spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/vol-1' }, storageClassName: 'manual' },
  });
  t.deepEqual(made.metadata?.finalizers, [PV_PROTECTION_FINALIZER]);
  // The test plays the binder.
  const setPhase = async (phase: string): Promise<void> => {
    const cur = await c().get<PersistentVolumeObject>('persistentvolumes', '', 'vol-1');
    await c().updateStatus<PersistentVolumeObject>({ ...cur, status: { phase } });
  };
  await setPhase('Bound');
  await c().delete('persistentvolumes', '', 'vol-1');
  await sleep(1000);
  const terminating = await c().tryGet<PersistentVolumeObject>('persistentvolumes', '', 'vol-1');
  t.truthy(terminating?.metadata?.deletionTimestamp);
  t.deepEqual(terminating?.metadata?.finalizers, [PV_PROTECTION_FINALIZER]);
  await setPhase('Released');
  await waitFor('volume gone', async () => (await c().tryGet('persistentvolumes', '', 'vol-1')) === undefined, 15_000, 50);
  t.pass();
});

serial('persistentVolumeClaimRetentionPolicy Delete: scaled-down ordinals lose their claims, a deleted set all of them', async (t) => {
  const set: StatefulSetObject = {
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: NS },
    spec: {
      replicas: 3, serviceName: 'db', selector: { matchLabels: { app: 'db' } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' },
      template: { metadata: { labels: { app: 'db' } }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox' }] } },
      volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Mi' } }, storageClassName: 'manual' } }],
    },
  };
  const made = await c().create(set);
  const names = ['www-db-0', 'www-db-1', 'www-db-2'];
  await waitFor('3 claims owned by the set', async () => {
    const claims = await Promise.all(names.map(getClaim));
    return claims.every((x) => x?.metadata?.ownerReferences?.some((r) => r.uid === made.metadata?.uid && r.kind === 'StatefulSet'));
  }, 30_000);
  await waitFor('3 ready', async () => (await c().get<StatefulSetObject>('statefulsets', NS, 'db')).status?.readyReplicas === 3, 30_000);

  await mutate<StatefulSetObject>(c(), 'statefulsets', NS, 'db', (s) => ({ ...s, spec: { ...s.spec!, replicas: 1 } }));
  await waitFor('claims of db-1 and db-2 gone', async () => (await getClaim('www-db-1')) === undefined && (await getClaim('www-db-2')) === undefined, 30_000);
  t.truthy(await getClaim('www-db-0'), 'the remaining ordinal keeps its claim');

  const start = Date.now();
  await c().delete('statefulsets', NS, 'db');
  await waitFor('www-db-0 gone', async () => (await getClaim('www-db-0')) === undefined, 30_000, 50);
  t.log(`the last claim gone ${Date.now() - start} ms after the set's delete (pod first, then the claim)`);
  t.is(await c().tryGet('pods', NS, 'db-0'), undefined);
});

serial('the default policy (Retain) leaves claims behind a deleted set', async (t) => {
  await c().create<StatefulSetObject>({
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'keep', namespace: NS },
    spec: {
      replicas: 1, serviceName: 'keep', selector: { matchLabels: { app: 'keep' } },
      template: { metadata: { labels: { app: 'keep' } }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox' }] } },
      volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Mi' } }, storageClassName: 'manual' } }],
    },
  });
  await waitFor('keep-0 running', async () => (await c().tryGet<PodObject>('pods', NS, 'keep-0'))?.status?.phase === 'Running', 30_000);
  await c().delete('statefulsets', NS, 'keep');
  await waitFor('keep-0 gone', async () => (await c().tryGet('pods', NS, 'keep-0')) === undefined, 30_000);
  await sleep(1000);
  const kept = await getClaim('www-keep-0');
  t.truthy(kept);
  t.falsy(kept?.metadata?.deletionTimestamp);
  t.deepEqual(kept?.metadata?.ownerReferences ?? [], []);
});
