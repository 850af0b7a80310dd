// PersistentVolumes, PersistentVolumeClaims and StorageClasses, with the columns of
// Kubernetes' printPersistentVolume, printPersistentVolumeClaim and printStorageClass.
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { isDefaultClass, type StorageClassObject } from '../storage.js';
import { AGE_COLUMN, NAME_COLUMN, column, created, wide, type KindPrinter } from './columns.js';

/** kubectl's short access modes, always in this order: "RWO,ROX,RWX,RWOP". */
export function accessModesString(modes: readonly string[] | undefined): string {
  const short: ReadonlyArray<[string, string]> = [['ReadWriteOnce', 'RWO'], ['ReadOnlyMany', 'ROX'], ['ReadWriteMany', 'RWX'], ['ReadWriteOncePod', 'RWOP']];
  return short.filter(([m]) => modes?.includes(m)).map(([, s]) => s).join(',');
}

const UNSET = '<unset>';
const phase = (o: { metadata?: { deletionTimestamp?: string }; status?: { phase?: string } }): string =>
  o.metadata?.deletionTimestamp ? 'Terminating' : o.status?.phase ?? '';

const VAC_COLUMN = column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the volume');
const VOLUME_MODE_COLUMN = wide(column('VolumeMode', 'string', 'The volume mode'));

export const persistentvolumes: KindPrinter = {
  columns: [
    NAME_COLUMN,
    column('Capacity', 'string', 'capacity is the description of the persistent volume\'s resources and capacity.'),
    column('Access Modes', 'string', 'accessModes contains all ways the volume can be mounted.'),
    column('Reclaim Policy', 'string', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.'),
    column('Status', 'string', 'phase indicates if a volume is available, bound to a claim, or released by a claim.'),
    column('Claim', 'string', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.'),
    column('StorageClass', 'string', 'storageClassName is the name of StorageClass to which this persistent volume belongs.'),
    VAC_COLUMN,
    column('Reason', 'string', 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.'),
    AGE_COLUMN,
    VOLUME_MODE_COLUMN,
  ],
  row(o, { now }) {
    const pv = o as PersistentVolume;
    const ref = pv.spec?.claimRef;
    const claim = ref ? `${ref.namespace ?? ''}/${ref.name ?? ''}` : '';
    return [
      pv.metadata?.name ?? '', String(pv.spec?.capacity?.storage ?? ''), accessModesString(pv.spec?.accessModes),
      pv.spec?.persistentVolumeReclaimPolicy ?? '', phase(pv), claim, pv.spec?.storageClassName ?? '',
      pv.spec?.volumeAttributesClassName ?? UNSET, pv.status?.reason ?? '', created(o, now), pv.spec?.volumeMode ?? '',
    ];
  },
};

export const persistentvolumeclaims: KindPrinter = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'phase represents the current phase of PersistentVolumeClaim.'),
    column('Volume', 'string', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
    column('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.'),
    column('Access Modes', 'string', 'accessModes contains the desired access modes the volume should have.'),
    column('StorageClass', 'string', 'storageClassName is the name of the StorageClass required by the claim.'),
    VAC_COLUMN,
    AGE_COLUMN,
    VOLUME_MODE_COLUMN,
  ],
  row(o, { now }) {
    const pvc = o as PersistentVolumeClaim;
    // As kubectl: capacity and modes are the volume's, shown once the claim names one.
    const bound = !!pvc.spec?.volumeName;
    return [
      pvc.metadata?.name ?? '', phase(pvc), pvc.spec?.volumeName ?? '',
      bound ? String(pvc.status?.capacity?.storage ?? '') : '', bound ? accessModesString(pvc.status?.accessModes) : '',
      pvc.spec?.storageClassName ?? '', pvc.spec?.volumeAttributesClassName ?? UNSET, created(o, now), pvc.spec?.volumeMode ?? '',
    ];
  },
};

export const storageclasses: KindPrinter = {
  columns: [
    NAME_COLUMN,
    column('Provisioner', 'string', 'provisioner indicates the type of the provisioner.'),
    column('ReclaimPolicy', 'string', 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.'),
    column('VolumeBindingMode', 'string', 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.'),
    column('AllowVolumeExpansion', 'string', 'allowVolumeExpansion shows whether the storage class allow volume expand.'),
    AGE_COLUMN,
  ],
  row(o, { now }) {
    const sc = o as unknown as StorageClass;
    const name = `${sc.metadata?.name ?? ''}${isDefaultClass(sc as StorageClassObject) ? ' (default)' : ''}`;
    return [name, sc.provisioner, sc.reclaimPolicy ?? 'Delete', sc.volumeBindingMode ?? 'Immediate', String(sc.allowVolumeExpansion ?? false), created(o, now)];
  },
};
