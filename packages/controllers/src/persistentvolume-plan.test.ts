import test from 'ava';
import { localPathStorageClass, type PersistentVolumeClaimObject, type PersistentVolumeObject, type StorageClassObject } from '@tugboat/api';
import { NO_CLASS_MESSAGE, WAIT_FOR_FIRST_CONSUMER_MESSAGE, decideClaim, decideVolume, type ClaimWorld } from './persistentvolume-plan.js';
import { planLocalVolume } from './local-path-provisioner.js';
import type { NodeObject } from './informers.js';

const claim = (spec: Record<string, unknown> = {}, extra: Partial<PersistentVolumeClaimObject> = {}): PersistentVolumeClaimObject => ({
  metadata: { name: 'data', namespace: 'ns', uid: 'c-uid', ...(extra.metadata ?? {}) },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem', ...spec },
  ...(extra.status ? { status: extra.status } : {}),
});
const volume = (name: string, spec: Record<string, unknown> = {}, extra: Partial<PersistentVolumeObject> = {}): PersistentVolumeObject => ({
  metadata: { name, ...(extra.metadata ?? {}) },
  spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], volumeMode: 'Filesystem', persistentVolumeReclaimPolicy: 'Retain', hostPath: { path: `/srv/${name}` }, ...spec },
  ...(extra.status ? { status: extra.status } : {}),
});
const immediate: StorageClassObject = { metadata: { name: 'manual' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'Immediate' };
const world = (volumes: PersistentVolumeObject[], classes: StorageClassObject[] = [immediate, localPathStorageClass()]): ClaimWorld => ({
  volumes,
  volume: (n) => volumes.find((v) => v.metadata?.name === n),
  storageClass: (n) => classes.find((c) => c.metadata?.name === n),
  node: (n) => ({ name: n, labels: { 'kubernetes.io/hostname': n } }),
});

test('a claim binds to the smallest matching available volume of its class', (t) => {
  const d = decideClaim(claim({ storageClassName: 'manual' }), world([volume('big', { capacity: { storage: '5Gi' }, storageClassName: 'manual' }), volume('fit', { storageClassName: 'manual' }), volume('nocls', {})]));
  t.is(d.action === 'bind' ? d.volume.metadata?.name : d.action, 'fit');
});

test('an unbound claim waits with Kubernetes\' events: no class, unknown class, WaitForFirstConsumer; a known class is provisioned', (t) => {
  t.deepEqual(decideClaim(claim({ storageClassName: '' }), world([])), { action: 'wait', event: { type: 'Normal', reason: 'FailedBinding', message: NO_CLASS_MESSAGE } });
  t.deepEqual(decideClaim(claim({ storageClassName: 'gold' }), world([])), { action: 'wait', event: { type: 'Warning', reason: 'ProvisioningFailed', message: 'storageclass.storage.k8s.io "gold" not found' } });
  t.deepEqual(decideClaim(claim({ storageClassName: 'local-path' }), world([])), { action: 'wait', event: { type: 'Normal', reason: 'WaitForFirstConsumer', message: WAIT_FOR_FIRST_CONSUMER_MESSAGE } });
  const selected = claim({ storageClassName: 'local-path' }, { metadata: { name: 'data', namespace: 'ns', uid: 'c-uid', annotations: { 'volume.kubernetes.io/selected-node': 'n1' } } });
  const d = decideClaim(selected, world([]));
  t.is(d.action, 'provision');
  if (d.action === 'provision') t.is(d.provisioner, 'tugboat.io/local-path');
  // A static volume on the selected node is used before provisioning one.
  const onN1 = volume('local-n1', { storageClassName: 'local-path', nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }] }] } } });
  const d2 = decideClaim(selected, world([onN1]));
  t.is(d2.action === 'bind' ? d2.volume.metadata?.name : d2.action, 'local-n1');
});

test('a bound claim: finished if its volume names it, Lost when the volume is gone or taken', (t) => {
  const bound = claim({ volumeName: 'v' }, { status: { phase: 'Bound' } });
  const mine = volume('v', { claimRef: { namespace: 'ns', name: 'data', uid: 'c-uid' } });
  t.is(decideClaim(bound, world([mine])).action, 'bind', 'idempotent: the remaining steps, if any');
  t.like(decideClaim(bound, world([])), { action: 'lost', event: { reason: 'ClaimLost' } });
  t.like(decideClaim(bound, world([volume('v', { claimRef: { namespace: 'ns', name: 'other', uid: 'o' } })])), { action: 'lost', event: { reason: 'ClaimMisbound' } });
});

test('volume phases: Available, Bound, Released; reclaim Retain keeps, Delete deletes, Recycle fails', (t) => {
  const c = claim({ volumeName: 'v' });
  const ref = { claimRef: { namespace: 'ns', name: 'data', uid: 'c-uid' } };
  t.deepEqual(decideVolume(volume('v'), undefined), { action: 'phase', phase: 'Available' });
  t.deepEqual(decideVolume(volume('v', {}, { status: { phase: 'Available' } }), undefined), { action: 'none' });
  t.deepEqual(decideVolume(volume('v', ref), c), { action: 'phase', phase: 'Bound' });
  t.deepEqual(decideVolume(volume('v', ref, { status: { phase: 'Bound' } }), undefined), { action: 'phase', phase: 'Released' });
  t.deepEqual(decideVolume(volume('v', ref, { status: { phase: 'Released' } }), undefined), { action: 'none' }, 'Retain');
  t.deepEqual(decideVolume(volume('v', { ...ref, persistentVolumeReclaimPolicy: 'Delete' }, { status: { phase: 'Released' } }), undefined), { action: 'delete' });
  t.like(decideVolume(volume('v', { ...ref, persistentVolumeReclaimPolicy: 'Recycle' }, { status: { phase: 'Released' } }), undefined), { action: 'fail' });
  // A claim of the same name made again is not the one the volume was bound to.
  const again = claim({}, { metadata: { name: 'data', namespace: 'ns', uid: 'new-uid' } });
  t.deepEqual(decideVolume(volume('v', ref, { status: { phase: 'Bound' } }), again), { action: 'phase', phase: 'Released' });
  t.deepEqual(decideVolume(volume('v', ref, { metadata: { name: 'v', annotations: { 'pv.kubernetes.io/bound-by-controller': 'yes' } } }), claim({ volumeName: 'elsewhere' })), { action: 'unbind' });
});

test('local-path: a PV on the selected node under the directory its agent published', (t) => {
  const sc = localPathStorageClass();
  const ann = { 'volume.kubernetes.io/storage-provisioner': 'tugboat.io/local-path', 'volume.kubernetes.io/selected-node': 'n1' };
  const c = claim({ storageClassName: 'local-path' }, { metadata: { name: 'data', namespace: 'ns', uid: 'c-uid', annotations: ann } });
  const node: NodeObject = { metadata: { name: 'n1', annotations: { 'tugboat.io/local-path-dir': '/var/lib/tugboat/n1/volumes' } } };
  const plan = planLocalVolume(c, sc, node, undefined);
  if (plan.action !== 'create') return t.fail(JSON.stringify(plan));
  t.is(plan.volume.metadata?.name, 'pvc-c-uid');
  t.deepEqual(plan.volume.metadata?.finalizers, ['tugboat.io/local-path-cleanup']);
  t.like(plan.volume.spec, {
    hostPath: { path: '/var/lib/tugboat/n1/volumes/pvc-c-uid', type: 'DirectoryOrCreate' }, persistentVolumeReclaimPolicy: 'Delete', storageClassName: 'local-path',
    capacity: { storage: '1Gi' }, claimRef: { namespace: 'ns', name: 'data', uid: 'c-uid' },
  });
  t.deepEqual(plan.volume.spec?.nodeAffinity?.required?.nodeSelectorTerms?.[0]?.matchExpressions?.[0], { key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] });
  t.like(planLocalVolume(c, sc, { metadata: { name: 'n1' } }, undefined), { action: 'fail', retry: true });
  t.like(planLocalVolume(claim({ storageClassName: 'local-path', accessModes: ['ReadWriteMany'] }, { metadata: { name: 'data', namespace: 'ns', uid: 'c-uid', annotations: ann } }), sc, node, undefined),
    { action: 'fail', message: 'Only support ReadWriteOnce, ReadWriteOncePod access mode' });
  t.deepEqual(planLocalVolume(c, sc, node, plan.volume), { action: 'none' }, 'made already');
});
