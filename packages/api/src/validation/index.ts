// Validation rules per kind, table-driven: how the kind's names are checked, what a valid
// object is, what an update may change, and what a status write may say. Admission
// (admission.ts) looks the kind up here; adding a kind means adding a row.
import type { ConfigMap, Event, Namespace, Node, Pod, Secret } from 'kubernetes-types/core/v1.js';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Job } from 'kubernetes-types/batch/v1.js';
import { validateJob, validateJobStatus, validateJobUpdate } from './batch.js';
import type { CronJob } from 'kubernetes-types/batch/v1.js';
import { validateCronJob, validateCronJobStatus } from './cronjob.js';
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-types/rbac/v1.js';
import type { KubeObject } from '../types.js';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2.js';
import { validateHorizontalPodAutoscaler, validateHorizontalPodAutoscalerStatus } from './autoscaling.js';
import { nameIsDNSLabel, nameIsDNSSubdomain, nameIsPathSegment, type NameValidator } from '../names.js';
import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { validateEndpointSlice, validateEndpointSliceUpdate, validateEndpoints, validateService, validateServiceUpdate } from './service.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import { validatePodDisruptionBudget, validatePodDisruptionBudgetStatus } from './policy.js';
import { validatePriorityClass, validatePriorityClassUpdate } from './scheduling.js';
import { validateClusterRole, validateClusterRoleBinding, validateRole, validateRoleBinding, validateRoleRefUpdate } from './rbac.js';
import type { Errs } from './field-errors.js';
import { validatePod, validatePodStatus } from './pod.js';
import { validatePodUpdate } from './pod-update.js';
import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { ReplicationController } from 'kubernetes-types/core/v1.js';
import {
  validateControllerRevision, validateControllerRevisionUpdate, validateDaemonSet, validateDaemonSetStatus, validateReplicationController,
} from './daemonset.js';
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import { validateStatefulSet, validateStatefulSetStatus, validateStatefulSetUpdate } from './statefulset.js';
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import {
  validatePersistentVolume, validatePersistentVolumeClaim, validatePersistentVolumeClaimStatus, validatePersistentVolumeClaimUpdate,
  validatePersistentVolumeStatus, validatePersistentVolumeUpdate, validateStorageClass, validateStorageClassUpdate,
} from './storage.js';
import {
  validateDeployment, validateDeploymentStatus, validateReplicaSet, validateReplicaSetStatus, validateSelectorUpdate,
} from './apps.js';
import {
  validateConfigMap, validateConfigMapUpdate, validateEvent, validateLease, validateNamespace, validateNamespaceStatus,
  validateNode, validateNodeStatus, validateSecret, validateSecretUpdate,
} from './core.js';

export interface KindRules {
  nameFn: NameValidator;
  validate(obj: KubeObject): Errs;
  validateUpdate?(obj: KubeObject, old: KubeObject): Errs;
  /**
   * Kinds with a status subresource: status is written only through UpdateStatus (an update
   * keeps the stored status, as in Kubernetes), and this checks such a write.
   */
  validateStatus?(obj: KubeObject, old: KubeObject | undefined): Errs;
}

export const KIND_RULES: Readonly<Record<string, KindRules>> = {
  Namespace: {
    nameFn: nameIsDNSLabel,
    validate: (o) => validateNamespace(o as Namespace),
    validateStatus: (o) => validateNamespaceStatus(o as Namespace),
  },
  Pod: {
    nameFn: nameIsDNSSubdomain,
    validate: (o) => validatePod(o as Pod),
    validateUpdate: (o, old) => validatePodUpdate(o as Pod, old as Pod),
    validateStatus: (o, old) => validatePodStatus(o as Pod, old as Pod | undefined),
  },
  Node: {
    nameFn: nameIsDNSSubdomain,
    validate: (o) => validateNode(o as Node),
    validateStatus: (o) => validateNodeStatus(o as Node),
  },
  Event: { nameFn: nameIsDNSSubdomain, validate: (o) => validateEvent(o as unknown as Event) },
  ConfigMap: {
    nameFn: nameIsDNSSubdomain,
    validate: (o) => validateConfigMap(o as ConfigMap),
    validateUpdate: (o, old) => validateConfigMapUpdate(o as ConfigMap, old as ConfigMap),
  },
  Secret: {
    nameFn: nameIsDNSSubdomain,
    validate: (o) => validateSecret(o as Secret),
    validateUpdate: (o, old) => validateSecretUpdate(o as Secret, old as Secret),
  },
  Lease: { nameFn: nameIsDNSSubdomain, validate: (o) => validateLease(o as Lease) },
  ReplicaSet: {
    nameFn: nameIsDNSSubdomain,
    validate: (o) => validateReplicaSet(o as ReplicaSet),
    validateUpdate: (o, old) => validateSelectorUpdate((o as ReplicaSet).spec?.selector, (old as ReplicaSet).spec?.selector),
    validateStatus: (o) => validateReplicaSetStatus(o as ReplicaSet),
  },
  Deployment: {
    nameFn: nameIsDNSSubdomain,
    validate: (o) => validateDeployment(o as Deployment),
    validateUpdate: (o, old) => validateSelectorUpdate((o as Deployment).spec?.selector, (old as Deployment).spec?.selector),
    validateStatus: (o) => validateDeploymentStatus(o as Deployment),
  },
  Job: {
    nameFn: nameIsDNSSubdomain,
    validate: (o) => validateJob(o as Job),
    validateUpdate: (o, old) => validateJobUpdate(o as Job, old as Job),
    validateStatus: (o) => validateJobStatus(o as Job),
  },
  CronJob: {
    // DNS subdomain as a ReplicationController's; the 52-character cap is in validateCronJob.
    nameFn: nameIsDNSSubdomain,
    validate: (o) => validateCronJob(o as CronJob),
    validateStatus: (o) => validateCronJobStatus(o as CronJob),
  },
  DaemonSet: {
    nameFn: nameIsDNSSubdomain,
    validate: (o) => validateDaemonSet(o as DaemonSet),
    validateUpdate: (o, old) => validateSelectorUpdate((o as DaemonSet).spec?.selector, (old as DaemonSet).spec?.selector),
    validateStatus: (o) => validateDaemonSetStatus(o as DaemonSet),
  },
  StatefulSet: {
    // Pod names are "<set>-<ordinal>" and its pods' hostnames: a DNS label, as Kubernetes' ValidateStatefulSetName.
    nameFn: nameIsDNSLabel,
    validate: (o) => validateStatefulSet(o as StatefulSet),
    // The selector is among the fields the Forbidden message covers, as in Kubernetes.
    validateUpdate: (o, old) => validateStatefulSetUpdate(o as StatefulSet, old as StatefulSet),
    validateStatus: (o, old) => validateStatefulSetStatus(o as StatefulSet, old as StatefulSet | undefined),
  },
  PersistentVolume: {
    nameFn: nameIsDNSSubdomain,
    validate: (o) => validatePersistentVolume(o as PersistentVolume),
    validateUpdate: (o, old) => validatePersistentVolumeUpdate(o as PersistentVolume, old as PersistentVolume),
    validateStatus: (o) => validatePersistentVolumeStatus(o as PersistentVolume),
  },
  PersistentVolumeClaim: {
    nameFn: nameIsDNSSubdomain,
    validate: (o) => validatePersistentVolumeClaim(o as PersistentVolumeClaim),
    validateUpdate: (o, old) => validatePersistentVolumeClaimUpdate(o as PersistentVolumeClaim, old as PersistentVolumeClaim),
    validateStatus: (o) => validatePersistentVolumeClaimStatus(o as PersistentVolumeClaim),
  },
  StorageClass: {
    nameFn: nameIsDNSSubdomain,
    validate: (o) => validateStorageClass(o as unknown as StorageClass),
    validateUpdate: (o, old) => validateStorageClassUpdate(o as unknown as StorageClass, old as unknown as StorageClass),
  },
  ControllerRevision: {
    nameFn: nameIsDNSSubdomain,
    validate: (o) => validateControllerRevision(o as unknown as ControllerRevision),
    validateUpdate: (o, old) => validateControllerRevisionUpdate(o as unknown as ControllerRevision, old as unknown as ControllerRevision),
  },
  ReplicationController: {
    nameFn: nameIsDNSSubdomain,
    validate: (o) => validateReplicationController(o as ReplicationController),
    // The RC's status has the ReplicaSet's fields and rules.
    validateStatus: (o) => validateReplicaSetStatus(o as ReplicaSet),
  },
  Service: {
    nameFn: nameIsDNSLabel,
    validate: (o) => validateService(o as Service),
    validateUpdate: (o, old) => validateServiceUpdate(o as Service, old as Service),
    // Load balancer status is written by whoever provides load balancers; Tugboat has none yet.
    validateStatus: () => [],
  },
  Endpoints: { nameFn: nameIsDNSSubdomain, validate: (o) => validateEndpoints(o as Endpoints) },
  EndpointSlice: {
    nameFn: nameIsDNSSubdomain,
    validate: (o) => validateEndpointSlice(o as unknown as EndpointSlice),
    validateUpdate: (o, old) => validateEndpointSliceUpdate(o as unknown as EndpointSlice, old as unknown as EndpointSlice),
  },
  HorizontalPodAutoscaler: {
    nameFn: nameIsDNSSubdomain,
    validate: (o) => validateHorizontalPodAutoscaler(o as unknown as HorizontalPodAutoscaler),
    validateStatus: (o) => validateHorizontalPodAutoscalerStatus(o as unknown as HorizontalPodAutoscaler),
  },
  PodDisruptionBudget: {
    nameFn: nameIsDNSSubdomain,
    validate: (o) => validatePodDisruptionBudget(o as unknown as PodDisruptionBudget),
    validateStatus: (o) => validatePodDisruptionBudgetStatus(o as unknown as PodDisruptionBudget),
  },
  PriorityClass: {
    nameFn: nameIsDNSSubdomain,
    validate: (o) => validatePriorityClass(o as unknown as PriorityClass),
    validateUpdate: (o, old) => validatePriorityClassUpdate(o as unknown as PriorityClass, old as unknown as PriorityClass),
  },
  // A ServiceAccount's fields (secrets, imagePullSecrets, automount) need no more than the schema's types.
  ServiceAccount: { nameFn: nameIsDNSSubdomain, validate: () => [] },
  Role: { nameFn: nameIsPathSegment, validate: (o) => validateRole(o as Role) },
  ClusterRole: { nameFn: nameIsPathSegment, validate: (o) => validateClusterRole(o as ClusterRole) },
  RoleBinding: {
    nameFn: nameIsPathSegment,
    validate: (o) => validateRoleBinding(o as unknown as RoleBinding),
    validateUpdate: (o, old) => validateRoleRefUpdate(o as unknown as RoleBinding, old as unknown as RoleBinding),
  },
  ClusterRoleBinding: {
    nameFn: nameIsPathSegment,
    validate: (o) => validateClusterRoleBinding(o as unknown as ClusterRoleBinding),
    validateUpdate: (o, old) => validateRoleRefUpdate(o as unknown as ClusterRoleBinding, old as unknown as ClusterRoleBinding),
  },
};

export { validateObjectMeta, validateObjectMetaUpdate, validateLabels, validateAnnotations, validateLabelSelector, TOTAL_ANNOTATION_SIZE_LIMIT } from './meta.js';
export { validatePodSpec, validateContainer, validateResourceRequirements, validateTolerations } from './pod.js';
export { validatePodUpdate, POD_UPDATABLE_FIELDS } from './pod-update.js';
export { MAX_DATA_SIZE } from './core.js';
