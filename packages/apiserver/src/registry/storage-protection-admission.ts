// Kubernetes' StorageObjectInUseProtection admission: every new PersistentVolumeClaim gets
// `kubernetes.io/pvc-protection` and every new PersistentVolume `kubernetes.io/pv-protection`,
// so a claim or volume deleted while in use waits (Terminating) until the pvc-protection or
// pv-protection controller sees it unused. Only on create, as Kubernetes' plugin.
import { protectionFinalizerFor, type KubeObject } from '@tugboat/api';

export function admitStorageProtection(kind: string, obj: KubeObject): KubeObject {
  const finalizer = protectionFinalizerFor(kind);
  const finalizers = obj.metadata?.finalizers ?? [];
  if (!finalizer || finalizers.includes(finalizer)) return obj;
  return { ...obj, metadata: { ...obj.metadata, finalizers: [...finalizers, finalizer] } };
}
