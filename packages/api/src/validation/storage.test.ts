import test from 'ava';
import { admitObject } from '../admission.js';
import { findMatchingVolume, pickDefaultStorageClass, localPathStorageClass, type PersistentVolumeClaimObject, type PersistentVolumeObject, type StorageClassObject } from '../storage.js';
import { printerFor } from '../printing/index.js';

const pv = (spec: Record<string, unknown> = {}, name = 'pv1'): Record<string, unknown> => ({
  apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name },
  spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/srv/pv1' }, ...spec },
});
const pvc = (spec: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'default' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
});
const errors = (o: unknown, old?: Record<string, unknown>): string[] => {
  const r = admitObject(o, old as never);
  return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.type}${e.detail ? `: ${e.detail}` : ''}`);
};

test('defaults: a PV is Retain and Filesystem, a claim Filesystem, a class Delete and Immediate', (t) => {
  const v = admitObject(pv());
  t.true(v.ok);
  if (v.ok) t.like(v.object['spec'], { persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem' });
  const c = admitObject(pvc());
  if (c.ok) t.like(c.object['spec'], { volumeMode: 'Filesystem' });
  const sc = admitObject({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fast' }, provisioner: 'example.com/fast' });
  t.true(sc.ok);
  if (sc.ok) t.like(sc.object, { reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' });
});

test('bad claims and volumes: one error each naming the field, with Kubernetes\' words', (t) => {
  t.deepEqual(errors(pvc({ resources: {} })), ['spec.resources[storage]: Required']);
  t.deepEqual(errors(pvc({ accessModes: [] })), ['spec.accessModes: Required: at least 1 access mode is required']);
  t.deepEqual(errors(pvc({ resources: { requests: { storage: '0' } } })), ['spec.resources[storage]: Invalid: must be greater than zero']);
  t.deepEqual(errors(pv({ accessModes: ['ReadWriteSometimes'] })),
    ['spec.accessModes: NotSupported: supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"']);
  t.deepEqual(errors(pv({ capacity: {} })), ['spec.capacity: Required']);
  t.deepEqual(errors(pv({ persistentVolumeReclaimPolicy: 'Keep' })), ['spec.persistentVolumeReclaimPolicy: NotSupported: supported values: "Retain", "Delete", "Recycle"']);
  t.deepEqual(errors(pv({ hostPath: undefined, local: { path: '/srv/x' } })), ['spec.nodeAffinity: Required: Local volume requires node affinity']);
  t.deepEqual(errors(pv({ hostPath: undefined })), ['spec: Required: must specify a volume type']);
  t.deepEqual(errors({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'x' }, provisioner: 'p', volumeBindingMode: 'Later' }),
    ['volumeBindingMode: NotSupported: supported values: "Immediate", "WaitForFirstConsumer"']);
});

test('a claim\'s spec is fixed once made, except binding and a bound claim\'s growth; a class\'s provisioner is fixed', (t) => {
  const stored = admitObject(pvc());
  if (!stored.ok) return t.fail();
  const old = stored.object;
  t.deepEqual(errors(pvc({ volumeName: 'pv1' }), old), [], 'binding sets volumeName');
  t.deepEqual(errors(pvc({ accessModes: ['ReadWriteMany'] }), old), ['spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims']);
  t.deepEqual(errors(pvc({ resources: { requests: { storage: '2Gi' } } }), old).length, 1, 'an unbound claim may not grow');
  const bound = { ...old, status: { phase: 'Bound' } };
  t.deepEqual(errors(pvc({ resources: { requests: { storage: '2Gi' } } }), bound), []);
  t.deepEqual(errors(pvc({ resources: { requests: { storage: '512Mi' } } }), bound), ['spec.resources.requests.storage: Forbidden: field can not be less than previous value']);
  const sc = admitObject(localPathStorageClass());
  if (!sc.ok) return t.fail();
  t.deepEqual(errors({ ...localPathStorageClass(), provisioner: 'other.io/x' }, sc.object), ['provisioner: Forbidden: updates to provisioner are forbidden.']);
});

test('findMatchingVolume: class, modes, size, selector, node; the smallest fit; a pre-bound one first', (t) => {
  const vol = (name: string, storage: string, extra: Record<string, unknown> = {}, labels: Record<string, string> = {}): PersistentVolumeObject =>
    ({ metadata: { name, labels }, spec: { capacity: { storage }, accessModes: ['ReadWriteOnce'], storageClassName: 'slow', volumeMode: 'Filesystem', ...extra } });
  const claim = (spec: Record<string, unknown> = {}): PersistentVolumeClaimObject =>
    ({ metadata: { name: 'c', namespace: 'ns', uid: 'u1' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'slow', ...spec } });
  const vols = [vol('big', '10Gi'), vol('small', '1Gi'), vol('tiny', '500Mi'), vol('other', '1Gi', { storageClassName: 'fast' }), vol('rox', '1Gi', { accessModes: ['ReadOnlyMany'] })];
  t.is(findMatchingVolume(claim(), vols, undefined, false)?.metadata?.name, 'small');
  t.is(findMatchingVolume(claim({ resources: { requests: { storage: '2Gi' } } }), vols, undefined, false)?.metadata?.name, 'big');
  t.is(findMatchingVolume(claim({ resources: { requests: { storage: '20Gi' } } }), vols, undefined, false), undefined);
  t.is(findMatchingVolume(claim({ storageClassName: 'fast' }), vols, undefined, false)?.metadata?.name, 'other');
  t.is(findMatchingVolume(claim({ selector: { matchLabels: { tier: 'gold' } } }), [...vols, vol('gold', '5Gi', {}, { tier: 'gold' })], undefined, false)?.metadata?.name, 'gold');
  const taken = vol('taken', '1Gi', { claimRef: { namespace: 'ns', name: 'someone', uid: 'x' } });
  const mine = vol('mine', '100Gi', { claimRef: { namespace: 'ns', name: 'c', uid: 'u1' } });
  t.is(findMatchingVolume(claim(), [taken, vol('small', '1Gi'), mine], undefined, false)?.metadata?.name, 'mine');
  const onA = vol('on-a', '1Gi', { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['a'] }] }] } } });
  t.is(findMatchingVolume(claim(), [onA], { name: 'b', labels: { 'kubernetes.io/hostname': 'b' } }, true), undefined);
  t.is(findMatchingVolume(claim(), [onA], { name: 'a', labels: { 'kubernetes.io/hostname': 'a' } }, true)?.metadata?.name, 'on-a');
  t.is(findMatchingVolume(claim(), [onA], undefined, true), undefined, 'WaitForFirstConsumer without a node binds nothing');
});

test('the default class is the newest marked one; printers show kubectl\'s columns', (t) => {
  const sc = (name: string, at: string, def: boolean): StorageClassObject =>
    ({ metadata: { name, creationTimestamp: at, ...(def ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } : {}) }, provisioner: 'p' });
  t.is(pickDefaultStorageClass([sc('a', '2024-01-01T00:00:00Z', true), sc('b', '2024-02-01T00:00:00Z', true), sc('c', '2024-03-01T00:00:00Z', false)])?.metadata?.name, 'b');
  t.is(pickDefaultStorageClass([sc('c', '2024-03-01T00:00:00Z', false)]), undefined);
  const now = Date.parse('2024-03-01T00:00:10Z');
  const created = { creationTimestamp: '2024-03-01T00:00:00Z' };
  t.deepEqual(printerFor('StorageClass').columns.map((c) => c.name), ['Name', 'Provisioner', 'ReclaimPolicy', 'VolumeBindingMode', 'AllowVolumeExpansion', 'Age']);
  t.deepEqual(printerFor('StorageClass').row({ ...localPathStorageClass(), metadata: { ...localPathStorageClass().metadata, ...created } }, { now, wide: false }),
    ['local-path (default)', 'tugboat.io/local-path', 'Delete', 'WaitForFirstConsumer', 'false', '10s']);
  t.deepEqual(printerFor('PersistentVolume').columns.filter((c) => c.priority === 0).map((c) => c.name),
    ['Name', 'Capacity', 'Access Modes', 'Reclaim Policy', 'Status', 'Claim', 'StorageClass', 'VolumeAttributesClass', 'Reason', 'Age']);
  t.deepEqual(printerFor('PersistentVolume').row({ metadata: { name: 'pv1', ...created }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce', 'ReadOnlyMany'], persistentVolumeReclaimPolicy: 'Retain', claimRef: { namespace: 'ns', name: 'c' }, storageClassName: 'slow', volumeMode: 'Filesystem' }, status: { phase: 'Bound' } }, { now, wide: false }).slice(0, 10),
    ['pv1', '1Gi', 'RWO,ROX', 'Retain', 'Bound', 'ns/c', 'slow', '<unset>', '', '10s']);
  t.deepEqual(printerFor('PersistentVolumeClaim').columns.filter((c) => c.priority === 0).map((c) => c.name),
    ['Name', 'Status', 'Volume', 'Capacity', 'Access Modes', 'StorageClass', 'VolumeAttributesClass', 'Age']);
  t.deepEqual(printerFor('PersistentVolumeClaim').row({ metadata: { name: 'c', ...created }, spec: { storageClassName: 'local-path' }, status: { phase: 'Pending' } }, { now, wide: false }).slice(0, 8),
    ['c', 'Pending', '', '', '', 'local-path', '<unset>', '10s']);
});
