// Defaulting, one function per kind (table-driven): what Kubernetes fills in when a manifest
// leaves it out. Used by admission on every write and by `tctl apply --dry-run=client`.
import type { KubeObject } from '../types.js';
import type { Pod, Namespace, Node, Secret } from 'kubernetes-types/core/v1.js';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Subject } from 'kubernetes-types/rbac/v1.js';
import { defaultPod } from './pod.js';
import { defaultDeployment, defaultReplicaSet } from './apps.js';
import { defaultDaemonSet, defaultReplicationController } from './daemonset.js';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { ReplicationController } from 'kubernetes-types/core/v1.js';
import { defaultCronJob, defaultJob } from './batch.js';
import { defaultStatefulSet } from './statefulset.js';
import { defaultPersistentVolume, defaultPersistentVolumeClaim, defaultStorageClass } from './storage.js';
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import { defaultNamespace, defaultNode, defaultSecret } from './core.js';
import { defaultSubjects } from './rbac.js';
import { defaultEndpointSlice, defaultEndpoints, defaultService } from './service.js';
import { defaultPriorityClass } from './scheduling.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2.js';
import { defaultHorizontalPodAutoscaler } from '../autoscaling.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';

type Defaulter = (obj: KubeObject) => void;
type Binding = { subjects?: Subject[] };

export const DEFAULTERS: Readonly<Record<string, Defaulter>> = {
  Pod: (o) => defaultPod(o as Pod),
  Deployment: (o) => defaultDeployment(o as Deployment),
  ReplicaSet: (o) => defaultReplicaSet(o as ReplicaSet),
  DaemonSet: (o) => defaultDaemonSet(o as DaemonSet),
  StatefulSet: (o) => defaultStatefulSet(o as StatefulSet),
  ReplicationController: (o) => defaultReplicationController(o as ReplicationController),
  Job: (o) => defaultJob(o as Job),
  CronJob: (o) => defaultCronJob(o as CronJob),
  PersistentVolume: (o) => defaultPersistentVolume(o as PersistentVolume),
  PersistentVolumeClaim: (o) => defaultPersistentVolumeClaim(o as PersistentVolumeClaim),
  StorageClass: (o) => defaultStorageClass(o as unknown as StorageClass),
  HorizontalPodAutoscaler: (o) => defaultHorizontalPodAutoscaler(o as HorizontalPodAutoscaler),
  Secret: (o) => defaultSecret(o as Secret),
  Namespace: (o) => defaultNamespace(o as Namespace),
  Node: (o) => defaultNode(o as Node),
  Service: (o) => defaultService(o as Service),
  Endpoints: (o) => defaultEndpoints(o as Endpoints),
  EndpointSlice: (o) => defaultEndpointSlice(o as unknown as EndpointSlice),
  PriorityClass: (o) => defaultPriorityClass(o as unknown as PriorityClass),
  RoleBinding: (o) => defaultSubjects(o as Binding),
  ClusterRoleBinding: (o) => defaultSubjects(o as Binding),
};

/** Applies the kind's defaults in place. */
export function applyDefaults(obj: KubeObject): void {
  DEFAULTERS[obj.kind ?? '']?.(obj);
}

export { defaultImagePullPolicy, defaultPodSpec, podQOSClass, DEFAULT_SCHEDULER_NAME, DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS } from './pod.js';
export type { QOSClass } from './pod.js';
export { NAMESPACE_NAME_LABEL } from './core.js';
export { JOB_CONTROLLER_UID_LABEL, JOB_NAME_LABEL, LEGACY_JOB_CONTROLLER_UID_LABEL, LEGACY_JOB_NAME_LABEL, DEFAULT_JOB_BACKOFF_LIMIT } from './batch.js';
