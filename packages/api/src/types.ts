// The object model. Field names and shapes are Kubernetes' own, taken from the
// kubernetes-types package (types generated from Kubernetes' OpenAPI spec), so a user's
// existing manifests type-check as they are. Every field is optional there, as it is in a
// manifest; defaulting (defaults.ts) fills in what Kubernetes fills in.
import type { ObjectMeta, OwnerReference, LabelSelector, LabelSelectorRequirement, Time } from 'kubernetes-types/meta/v1.js';
import type {
  Pod, PodSpec, PodStatus, PodCondition, PodTemplateSpec, Container, ContainerStatus, ContainerState,
  ContainerPort, EnvVar, ResourceRequirements, Toleration, Taint, Affinity, NodeAffinity, NodeSelector,
  NodeSelectorTerm, NodeSelectorRequirement, PreferredSchedulingTerm, Node, NodeSpec, NodeStatus,
  NodeCondition, NodeAddress, Namespace, Event, ConfigMap, Secret, Probe, Volume, VolumeMount,
} from 'kubernetes-types/core/v1.js';
import type { ReplicaSet, ReplicaSetSpec, ReplicaSetStatus, Deployment, DeploymentSpec, DeploymentStatus, DeploymentStrategy } from 'kubernetes-types/apps/v1.js';
import type { Lease, LeaseSpec } from 'kubernetes-types/coordination/v1.js';
import type { DaemonSet, DaemonSetSpec, DaemonSetStatus, DaemonSetUpdateStrategy, ControllerRevision } from 'kubernetes-types/apps/v1.js';
import type { StatefulSet, StatefulSetSpec, StatefulSetStatus, StatefulSetUpdateStrategy, StatefulSetPersistentVolumeClaimRetentionPolicy } from 'kubernetes-types/apps/v1.js';
import type { ReplicationController, ReplicationControllerSpec, ReplicationControllerStatus } from 'kubernetes-types/core/v1.js';
import type { Job, JobSpec, JobStatus, JobCondition, PodFailurePolicy, PodFailurePolicyRule, UncountedTerminatedPods } from 'kubernetes-types/batch/v1.js';
import type { CronJob, CronJobSpec, CronJobStatus, JobTemplateSpec } from 'kubernetes-types/batch/v1.js';
import type { Service, ServiceSpec, ServicePort, Endpoints, EndpointSubset, EndpointAddress, EndpointPort as CoreEndpointPort } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice, Endpoint, EndpointPort, EndpointConditions } from 'kubernetes-types/discovery/v1.js';
import type { PodDisruptionBudget, PodDisruptionBudgetSpec, PodDisruptionBudgetStatus, Eviction } from 'kubernetes-types/policy/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import type { PersistentVolume, PersistentVolumeSpec, PersistentVolumeStatus, PersistentVolumeClaim, PersistentVolumeClaimSpec, PersistentVolumeClaimStatus } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';

export type {
  ObjectMeta, OwnerReference, LabelSelector, LabelSelectorRequirement, Time,
  Pod, PodSpec, PodStatus, PodCondition, PodTemplateSpec, Container, ContainerStatus, ContainerState,
  ContainerPort, EnvVar, ResourceRequirements, Toleration, Taint, Affinity, NodeAffinity, NodeSelector,
  NodeSelectorTerm, NodeSelectorRequirement, PreferredSchedulingTerm, Node, NodeSpec, NodeStatus,
  NodeCondition, NodeAddress, Namespace, Event, ConfigMap, Secret, Probe, Volume, VolumeMount,
  ReplicaSet, ReplicaSetSpec, ReplicaSetStatus, Deployment, DeploymentSpec, DeploymentStatus, DeploymentStrategy,
  Lease, LeaseSpec,
  DaemonSet, DaemonSetSpec, DaemonSetStatus, DaemonSetUpdateStrategy, ControllerRevision,
  StatefulSet, StatefulSetSpec, StatefulSetStatus, StatefulSetUpdateStrategy, StatefulSetPersistentVolumeClaimRetentionPolicy,
  ReplicationController, ReplicationControllerSpec, ReplicationControllerStatus,
  Job, JobSpec, JobStatus, JobCondition, PodFailurePolicy, PodFailurePolicyRule, UncountedTerminatedPods,
  CronJob, CronJobSpec, CronJobStatus, JobTemplateSpec,
  Service, ServiceSpec, ServicePort, Endpoints, EndpointSubset, EndpointAddress, CoreEndpointPort,
  EndpointSlice, Endpoint, EndpointPort, EndpointConditions,
  PodDisruptionBudget, PodDisruptionBudgetSpec, PodDisruptionBudgetStatus, Eviction, PriorityClass,
  PersistentVolume, PersistentVolumeSpec, PersistentVolumeStatus, PersistentVolumeClaim, PersistentVolumeClaimSpec, PersistentVolumeClaimStatus, StorageClass,
};

/** Any stored object: what the API server and the informer handle generically. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  // Kind-specific top-level fields (spec, status, data, type, involvedObject, …).
  [field: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  object: T;
}

export type ApplyResult = 'created' | 'configured' | 'unchanged';

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

/** Annotation where apply keeps the last applied manifest (kubectl's own key). */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** Annotation recording the propagation policy of a pending delete, for the garbage collector. */
export const PROPAGATION_POLICY_ANNOTATION = 'tugboat.io/propagation-policy';
export const FOREGROUND_DELETION_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';

/** "namespace/name", or "name" for cluster-scoped objects: the key of caches and work queues. */
export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
