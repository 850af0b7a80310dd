// Integration: the persistentvolume-binder and the local-path provisioner against a real API
// server on a real etcd (which makes the default local-path class and runs DefaultStorageClass
// admission). The test plays the scheduler (the selected-node annotation) and the agent (the
// published directory, the cleanup finalizer's removal).
import test from 'ava';
import { ApiError, type KubeObject, type PersistentVolumeClaimObject, type PersistentVolumeObject, type TugboatClient } from '@tugboat/api';
import { waitFor } from '@tugboat/test';
import { etcdAvailable, mutate, startTestCluster, type TestCluster } from './testing/cluster.js';

let cluster: TestCluster | undefined;
const serial = etcdAvailable() ? test.serial : test.serial.skip;
if (!etcdAvailable()) console.log('persistentvolume-binder.test.ts: skipped: no etcd binary');

test.before(async () => {
  if (!etcdAvailable()) return;
  cluster = await startTestCluster({ controllers: ['persistentvolume-binder', 'local-path-provisioner', 'pvc-protection', 'pv-protection'] });
});
test.after.always(async () => { await cluster?.stop(); });

const c = (): TugboatClient => cluster!.client;
const claim = (name: string, spec: Record<string, unknown> = {}): PersistentVolumeClaimObject => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
});
const getClaim = (name: string): Promise<PersistentVolumeClaimObject | undefined> => c().tryGet<PersistentVolumeClaimObject>('persistentvolumeclaims', 'default', name);
const getVolume = (name: string): Promise<PersistentVolumeObject | undefined> => c().tryGet<PersistentVolumeObject>('persistentvolumes', '', name);
async function eventsOf(name: string): Promise<string[]> {
  const list = await c().list<KubeObject & { involvedObject?: { name?: string }; reason?: string; message?: string }>('events', { namespace: 'default' });
  return list.items.filter((e) => e.involvedObject?.name === name).map((e) => `${e.reason}: ${e.message}`);
}

serial('a static volume and a claim bind both ways; deleting the claim releases the volume, Retain keeps it', async (t) => {
  await c().create<PersistentVolumeObject>({
    apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'static-1' },
    spec: { capacity: { storage: '2Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/static-1' }, storageClassName: 'manual' },
  });
  await c().create(claim('static', { storageClassName: 'manual' }));
  await waitFor('claim Bound', async () => (await getClaim('static'))?.status?.phase === 'Bound', 15_000);
  const pvc = (await getClaim('static'))!;
  const pv = (await getVolume('static-1'))!;
  t.is(pvc.spec?.volumeName, 'static-1');
  t.deepEqual(pvc.status?.capacity, { storage: '2Gi' });
  t.is(pvc.metadata?.annotations?.['pv.kubernetes.io/bind-completed'], 'yes');
  t.is(pv.status?.phase, 'Bound');
  t.like(pv.spec?.claimRef, { namespace: 'default', name: 'static', uid: pvc.metadata?.uid });
  await c().delete('persistentvolumeclaims', 'default', 'static');
  await waitFor('volume Released', async () => (await getVolume('static-1'))?.status?.phase === 'Released', 15_000);
  await new Promise((r) => setTimeout(r, 500));
  t.is((await getVolume('static-1'))?.status?.phase, 'Released', 'Retain: the volume stays');
});

serial('a claim naming an unknown class stays Pending with a ProvisioningFailed event, not an error', async (t) => {
  await c().create(claim('gold', { storageClassName: 'gold' }));
  await waitFor('ProvisioningFailed', async () => (await eventsOf('gold')).some((e) => e.startsWith('ProvisioningFailed')), 15_000);
  t.true((await eventsOf('gold')).includes('ProvisioningFailed: storageclass.storage.k8s.io "gold" not found'));
  t.is((await getClaim('gold'))?.status?.phase, 'Pending');
});

serial('a claim without a class gets local-path; it waits for a consumer, then is provisioned on the selected node; Delete removes the volume after its directory', async (t) => {
  await c().create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' }, annotations: { 'tugboat.io/local-path-dir': '/var/lib/tugboat-test/volumes' } } });
  const made = await c().create(claim('data'));
  t.is(made.spec?.storageClassName, 'local-path', 'DefaultStorageClass admission');
  await waitFor('WaitForFirstConsumer', async () => (await eventsOf('data')).some((e) => e.startsWith('WaitForFirstConsumer')), 15_000);
  // The scheduler's PreBind.
  const cur = (await getClaim('data'))!;
  await c().update({ ...cur, metadata: { ...cur.metadata, annotations: { ...cur.metadata?.annotations, 'volume.kubernetes.io/selected-node': 'n1' } } });
  await waitFor('claim Bound', async () => (await getClaim('data'))?.status?.phase === 'Bound', 15_000);
  const pvc = (await getClaim('data'))!;
  const pvName = `pvc-${pvc.metadata?.uid}`;
  t.is(pvc.spec?.volumeName, pvName);
  t.is(pvc.metadata?.annotations?.['volume.kubernetes.io/storage-provisioner'], 'tugboat.io/local-path');
  const pv = (await getVolume(pvName))!;
  t.is(pv.spec?.hostPath?.path, `/var/lib/tugboat-test/volumes/${pvName}`);
  t.is(pv.spec?.persistentVolumeReclaimPolicy, 'Delete');
  t.is(pv.status?.phase, 'Bound');
  t.true((await eventsOf('data')).includes(`ProvisioningSucceeded: Successfully provisioned volume ${pvName}`));
  await c().delete('persistentvolumeclaims', 'default', 'data');
  await waitFor('volume being deleted', async () => !!(await getVolume(pvName))?.metadata?.deletionTimestamp, 15_000);
  // pv-protection's finalizer goes once the volume is not Bound; the cleanup one stays for the agent.
  t.true((await getVolume(pvName))?.metadata?.finalizers?.includes('tugboat.io/local-path-cleanup'), 'held until the agent removed the directory');
  // As the agent does: only its own finalizer, again on a conflict (pv-protection writes too).
  await mutate<PersistentVolumeObject>(c(), 'persistentvolumes', '', pvName, (pv) => ({ ...pv, metadata: { ...pv.metadata, finalizers: (pv.metadata?.finalizers ?? []).filter((f) => f !== 'tugboat.io/local-path-cleanup') } }));
  await waitFor('volume gone', async () => (await getVolume(pvName)) === undefined, 15_000);
  t.pass();
});

serial('bad input: one line naming the field, nothing stored', async (t) => {
  const noStorage = await c().create(claim('nostorage', { resources: {} })).then(() => undefined, (e: unknown) => e);
  t.true(noStorage instanceof ApiError);
  t.is((noStorage as ApiError).message.split('\n').length, 1);
  t.regex((noStorage as ApiError).message, /spec\.resources\[storage\]: Required value/);
  t.is(await getClaim('nostorage'), undefined);
  const badMode = await c().create({
    apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'bad' },
    spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteSometimes'], hostPath: { path: '/tmp/bad' } },
  }).then(() => undefined, (e: unknown) => e);
  t.regex((badMode as ApiError).message, /spec\.accessModes: Unsupported value: "ReadWriteSometimes"/);
  t.is(await getVolume('bad'), undefined);
});
