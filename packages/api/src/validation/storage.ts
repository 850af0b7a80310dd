// PersistentVolume, PersistentVolumeClaim and StorageClass validation, with Kubernetes'
// messages (pkg/apis/core/validation ValidatePersistentVolume*, pkg/apis/storage/validation).
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { isDNS1123Subdomain, isQualifiedName } from '../names.js';
import { cmpQuantity, parseQuantity } from '../quantity.js';
import { PV_ACCESS_MODES, PV_RECLAIM_POLICIES, VOLUME_BINDING_MODES, VOLUME_MODES } from '../storage.js';
import { deepEqual } from './equal.js';
import { child, each, forbidden, index, invalid, notSupported, oneOf, required, type Errs } from './field-errors.js';
import { validateLabelSelector } from './meta.js';
import { validateNodeSelectorTerm } from './pod.js';

/** The volume sources a PV may name (PersistentVolumeSource's fields). */
const PV_SOURCES = [
  'awsElasticBlockStore', 'azureDisk', 'azureFile', 'cephfs', 'cinder', 'csi', 'fc', 'flexVolume', 'flocker',
  'gcePersistentDisk', 'glusterfs', 'hostPath', 'iscsi', 'local', 'nfs', 'photonPersistentDisk', 'portworxVolume',
  'quobyte', 'rbd', 'scaleIO', 'storageos', 'vsphereVolume',
] as const;
/** The ones a Tugboat agent can mount; the rest are refused rather than stored and never mounted. */
const SUPPORTED_PV_SOURCES = ['hostPath', 'local'] as const;
const PV_PHASES = ['Pending', 'Available', 'Bound', 'Released', 'Failed'] as const;
const PVC_PHASES = ['Pending', 'Bound', 'Lost'] as const;
// Kubernetes lists supported values sorted.
const SORTED_ACCESS_MODES = [...PV_ACCESS_MODES].sort();

function validateAccessModes(modes: readonly string[] | undefined, path: string, missing: string): Errs {
  const errs: Errs = [];
  if (!modes || modes.length === 0) return [required(path, missing)];
  for (const m of modes) {
    if (!(PV_ACCESS_MODES as readonly string[]).includes(m)) errs.push(notSupported(path, m, SORTED_ACCESS_MODES));
  }
  if (modes.includes('ReadWriteOncePod') && modes.length > 1) errs.push(forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  return errs;
}

function validateClassName(name: string | undefined, path: string): Errs {
  return name ? each(path, name, isDNS1123Subdomain(name)) : [];
}

function positiveStorage(value: string | number, path: string): Errs {
  try {
    return parseQuantity(value).sign() <= 0 ? [invalid(path, value, 'must be greater than zero')] : [];
  } catch {
    return [invalid(path, value, 'must be a quantity')];
  }
}

export function validatePersistentVolume(pv: PersistentVolume): Errs {
  const errs: Errs = [];
  const spec = pv.spec ?? {};
  errs.push(...validateAccessModes(spec.accessModes, 'spec.accessModes', ''));
  const capacity = spec.capacity ?? {};
  const keys = Object.keys(capacity);
  if (keys.length === 0) errs.push(required('spec.capacity'));
  else if (capacity.storage === undefined || keys.length > 1) errs.push(notSupported('spec.capacity', keys.join(', '), ['storage']));
  else errs.push(...positiveStorage(capacity.storage, 'spec.capacity[storage]'));
  errs.push(...oneOf('spec.persistentVolumeReclaimPolicy', spec.persistentVolumeReclaimPolicy, PV_RECLAIM_POLICIES));
  errs.push(...oneOf('spec.volumeMode', spec.volumeMode, VOLUME_MODES));
  errs.push(...validateClassName(spec.storageClassName, 'spec.storageClassName'));
  const rec = spec as Record<string, unknown>;
  const sources = PV_SOURCES.filter((s) => rec[s] !== undefined);
  if (sources.length === 0) errs.push(required('spec', 'must specify a volume type'));
  else if (sources.length > 1) errs.push(forbidden(child('spec', sources[1]!), 'may not specify more than 1 volume type'));
  else if (!(SUPPORTED_PV_SOURCES as readonly string[]).includes(sources[0]!)) {
    errs.push(forbidden(child('spec', sources[0]!), `volume type "${sources[0]}" is not supported by Tugboat's agents (supported: hostPath, local)`));
  }
  if (spec.hostPath) {
    if (!spec.hostPath.path) errs.push(required('spec.hostPath.path'));
    else if (!spec.hostPath.path.startsWith('/')) errs.push(invalid('spec.hostPath.path', spec.hostPath.path, 'must be an absolute path'));
    errs.push(...oneOf('spec.hostPath.type', spec.hostPath.type, ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice']));
  }
  if (spec.local) {
    if (!spec.local.path) errs.push(required('spec.local.path'));
    else if (!spec.local.path.startsWith('/')) errs.push(invalid('spec.local.path', spec.local.path, 'must be an absolute path'));
    if (!spec.nodeAffinity) errs.push(required('spec.nodeAffinity', 'Local volume requires node affinity'));
  }
  const req = spec.nodeAffinity?.required;
  if (spec.nodeAffinity && !req) errs.push(required('spec.nodeAffinity.required', 'must specify required node constraints'));
  if (req) {
    const tp = 'spec.nodeAffinity.required.nodeSelectorTerms';
    if ((req.nodeSelectorTerms ?? []).length === 0) errs.push(required(tp, 'must have at least one node selector term'));
    (req.nodeSelectorTerms ?? []).forEach((t, i) => errs.push(...validateNodeSelectorTerm(t, index(tp, i))));
  }
  if (spec.claimRef && !spec.claimRef.name) errs.push(required('spec.claimRef.name'));
  return errs;
}

export function validatePersistentVolumeUpdate(pv: PersistentVolume, old: PersistentVolume): Errs {
  const errs: Errs = [];
  const source = (v: PersistentVolume): Record<string, unknown> => {
    const rec = (v.spec ?? {}) as Record<string, unknown>;
    return Object.fromEntries(PV_SOURCES.filter((s) => rec[s] !== undefined).map((s) => [s, rec[s]]));
  };
  if (!deepEqual(source(pv), source(old))) errs.push(forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
  if ((pv.spec?.volumeMode ?? 'Filesystem') !== (old.spec?.volumeMode ?? 'Filesystem')) errs.push(invalid('spec.volumeMode', pv.spec?.volumeMode ?? null, 'field is immutable'));
  if (old.spec?.nodeAffinity && !deepEqual(pv.spec?.nodeAffinity, old.spec.nodeAffinity)) errs.push(invalid('spec.nodeAffinity', pv.spec?.nodeAffinity ?? null, 'field is immutable'));
  return errs;
}

export function validatePersistentVolumeStatus(pv: PersistentVolume): Errs {
  return oneOf('status.phase', pv.status?.phase, PV_PHASES);
}

export function validatePersistentVolumeClaim(pvc: PersistentVolumeClaim): Errs {
  const errs: Errs = [];
  const spec = pvc.spec ?? {};
  errs.push(...validateAccessModes(spec.accessModes, 'spec.accessModes', 'at least 1 access mode is required'));
  if (spec.selector) errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const storage = spec.resources?.requests?.storage;
  if (storage === undefined) errs.push(required('spec.resources[storage]'));
  else errs.push(...positiveStorage(storage, 'spec.resources[storage]'));
  errs.push(...validateClassName(spec.storageClassName, 'spec.storageClassName'));
  errs.push(...oneOf('spec.volumeMode', spec.volumeMode, VOLUME_MODES));
  return errs;
}

/**
 * A claim's spec is fixed once made, except: volumeName may be set once (binding), a class may
 * be given to a claim without one, and a bound claim's storage request may grow.
 */
export function validatePersistentVolumeClaimUpdate(pvc: PersistentVolumeClaim, old: PersistentVolumeClaim): Errs {
  const errs: Errs = [];
  const now = structuredClone(pvc.spec ?? {});
  const was = structuredClone(old.spec ?? {});
  if (!was.volumeName && now.volumeName) was.volumeName = now.volumeName;
  if (was.storageClassName === undefined && now.storageClassName !== undefined) was.storageClassName = now.storageClassName;
  const bound = old.status?.phase === 'Bound';
  const newStorage = now.resources?.requests?.storage;
  const oldStorage = was.resources?.requests?.storage;
  if (bound && newStorage !== undefined && oldStorage !== undefined) {
    if (cmpQuantity(newStorage, oldStorage) < 0) {
      errs.push(forbidden('spec.resources.requests.storage', 'field can not be less than previous value'));
    }
    now.resources = { ...now.resources, requests: { ...now.resources?.requests, storage: oldStorage } };
  }
  if (!deepEqual(now, was)) {
    errs.push(forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
  }
  return errs;
}

export function validatePersistentVolumeClaimStatus(pvc: PersistentVolumeClaim): Errs {
  return oneOf('status.phase', pvc.status?.phase, PVC_PHASES);
}

export function validateStorageClass(sc: StorageClass): Errs {
  const errs: Errs = [];
  if (!sc.provisioner) errs.push(required('provisioner'));
  else errs.push(...each('provisioner', sc.provisioner, isQualifiedName(sc.provisioner.toLowerCase())));
  errs.push(...oneOf('reclaimPolicy', sc.reclaimPolicy, ['Delete', 'Retain']));
  if (sc.volumeBindingMode === undefined) errs.push(required('volumeBindingMode'));
  else errs.push(...oneOf('volumeBindingMode', sc.volumeBindingMode, VOLUME_BINDING_MODES));
  return errs;
}

export function validateStorageClassUpdate(sc: StorageClass, old: StorageClass): Errs {
  const errs: Errs = [];
  if (!deepEqual(sc.parameters ?? {}, old.parameters ?? {})) errs.push(forbidden('parameters', 'updates to parameters are forbidden.'));
  if (sc.provisioner !== old.provisioner) errs.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
  if (sc.reclaimPolicy !== old.reclaimPolicy) errs.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
  if (sc.volumeBindingMode !== old.volumeBindingMode) errs.push(invalid('volumeBindingMode', sc.volumeBindingMode ?? null, 'field is immutable'));
  return errs;
}
