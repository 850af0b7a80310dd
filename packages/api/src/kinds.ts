// The kind registry: the one place that knows, for each supported kind, its apiVersion,
// resource (plural) name, short names and whether it lives in a namespace. The API server
// routes by resource; tctl maps what users type ("po", "deploy", "rs") through here.

export interface KindInfo {
  readonly kind: string;
  readonly apiVersion: string;
  /** API group; "" is the core group. */
  readonly group: string;
  /** Lower-case plural: the etcd key segment and the gRPC `resource` field. */
  readonly resource: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly namespaced: boolean;
}

export const KINDS: readonly KindInfo[] = [
  { kind: 'Namespace', apiVersion: 'v1', group: '', resource: 'namespaces', singular: 'namespace', shortNames: ['ns'], namespaced: false },
  { kind: 'Pod', apiVersion: 'v1', group: '', resource: 'pods', singular: 'pod', shortNames: ['po'], namespaced: true },
  { kind: 'Node', apiVersion: 'v1', group: '', resource: 'nodes', singular: 'node', shortNames: ['no'], namespaced: false },
  { kind: 'Event', apiVersion: 'v1', group: '', resource: 'events', singular: 'event', shortNames: ['ev'], namespaced: true },
  { kind: 'ConfigMap', apiVersion: 'v1', group: '', resource: 'configmaps', singular: 'configmap', shortNames: ['cm'], namespaced: true },
  { kind: 'Secret', apiVersion: 'v1', group: '', resource: 'secrets', singular: 'secret', shortNames: [], namespaced: true },
  { kind: 'Lease', apiVersion: 'coordination.k8s.io/v1', group: 'coordination.k8s.io', resource: 'leases', singular: 'lease', shortNames: [], namespaced: true },
  { kind: 'ReplicaSet', apiVersion: 'apps/v1', group: 'apps', resource: 'replicasets', singular: 'replicaset', shortNames: ['rs'], namespaced: true },
  { kind: 'Deployment', apiVersion: 'apps/v1', group: 'apps', resource: 'deployments', singular: 'deployment', shortNames: ['deploy'], namespaced: true },
  { kind: 'StatefulSet', apiVersion: 'apps/v1', group: 'apps', resource: 'statefulsets', singular: 'statefulset', shortNames: ['sts'], namespaced: true },
  { kind: 'DaemonSet', apiVersion: 'apps/v1', group: 'apps', resource: 'daemonsets', singular: 'daemonset', shortNames: ['ds'], namespaced: true },
  { kind: 'ControllerRevision', apiVersion: 'apps/v1', group: 'apps', resource: 'controllerrevisions', singular: 'controllerrevision', shortNames: [], namespaced: true },
  { kind: 'ReplicationController', apiVersion: 'v1', group: '', resource: 'replicationcontrollers', singular: 'replicationcontroller', shortNames: ['rc'], namespaced: true },
  // kubectl has no short name for jobs.
  { kind: 'Job', apiVersion: 'batch/v1', group: 'batch', resource: 'jobs', singular: 'job', shortNames: [], namespaced: true },
  { kind: 'CronJob', apiVersion: 'batch/v1', group: 'batch', resource: 'cronjobs', singular: 'cronjob', shortNames: ['cj'], namespaced: true },
  { kind: 'PersistentVolume', apiVersion: 'v1', group: '', resource: 'persistentvolumes', singular: 'persistentvolume', shortNames: ['pv'], namespaced: false },
  { kind: 'PersistentVolumeClaim', apiVersion: 'v1', group: '', resource: 'persistentvolumeclaims', singular: 'persistentvolumeclaim', shortNames: ['pvc'], namespaced: true },
  { kind: 'StorageClass', apiVersion: 'storage.k8s.io/v1', group: 'storage.k8s.io', resource: 'storageclasses', singular: 'storageclass', shortNames: ['sc'], namespaced: false },
  { kind: 'Service', apiVersion: 'v1', group: '', resource: 'services', singular: 'service', shortNames: ['svc'], namespaced: true },
  { kind: 'Endpoints', apiVersion: 'v1', group: '', resource: 'endpoints', singular: 'endpoints', shortNames: ['ep'], namespaced: true },
  { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', group: 'discovery.k8s.io', resource: 'endpointslices', singular: 'endpointslice', shortNames: [], namespaced: true },
  { kind: 'HorizontalPodAutoscaler', apiVersion: 'autoscaling/v2', group: 'autoscaling', resource: 'horizontalpodautoscalers', singular: 'horizontalpodautoscaler', shortNames: ['hpa'], namespaced: true },
  { kind: 'PodDisruptionBudget', apiVersion: 'policy/v1', group: 'policy', resource: 'poddisruptionbudgets', singular: 'poddisruptionbudget', shortNames: ['pdb'], namespaced: true },
  { kind: 'PriorityClass', apiVersion: 'scheduling.k8s.io/v1', group: 'scheduling.k8s.io', resource: 'priorityclasses', singular: 'priorityclass', shortNames: ['pc'], namespaced: false },
  { kind: 'ServiceAccount', apiVersion: 'v1', group: '', resource: 'serviceaccounts', singular: 'serviceaccount', shortNames: ['sa'], namespaced: true },
  { kind: 'Role', apiVersion: 'rbac.authorization.k8s.io/v1', group: 'rbac.authorization.k8s.io', resource: 'roles', singular: 'role', shortNames: [], namespaced: true },
  { kind: 'ClusterRole', apiVersion: 'rbac.authorization.k8s.io/v1', group: 'rbac.authorization.k8s.io', resource: 'clusterroles', singular: 'clusterrole', shortNames: [], namespaced: false },
  { kind: 'RoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1', group: 'rbac.authorization.k8s.io', resource: 'rolebindings', singular: 'rolebinding', shortNames: [], namespaced: true },
  { kind: 'ClusterRoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1', group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings', singular: 'clusterrolebinding', shortNames: [], namespaced: false },
];

const byKind = new Map(KINDS.map((k) => [k.kind, k]));
const byResource = new Map(KINDS.map((k) => [k.resource, k]));
const byAlias = new Map<string, KindInfo>();
for (const k of KINDS) {
  for (const alias of [k.kind.toLowerCase(), k.resource, k.singular, ...k.shortNames]) byAlias.set(alias, k);
  // kubectl also accepts "deployments.apps", "deployment.apps/v1" style names.
  if (k.group) {
    byAlias.set(`${k.resource}.${k.group}`, k);
    byAlias.set(`${k.singular}.${k.group}`, k);
  }
}

export function kindInfo(kind: string): KindInfo | undefined {
  return byKind.get(kind);
}

export function resourceInfo(resource: string): KindInfo | undefined {
  return byResource.get(resource);
}

/** What a user typed ("po", "Pods", "deploy", "deployments.apps") → the kind, if any. */
export function lookupKind(name: string): KindInfo | undefined {
  return byAlias.get(name.toLowerCase());
}

/** `pods`, `deployments.apps`: how Kubernetes and kubectl name a resource in messages. */
export function qualifiedResource(info: KindInfo): string {
  return info.group ? `${info.resource}.${info.group}` : info.resource;
}

/** The group-qualified name kubectl prints: "pod", "deployment.apps", "lease.coordination.k8s.io". */
export function qualifiedSingular(k: KindInfo): string {
  return k.group ? `${k.singular}.${k.group}` : k.singular;
}

/** Namespaces that always exist. */
export const DEFAULT_NAMESPACE = 'default';
export const SYSTEM_NAMESPACE = 'tugboat-system';
export const NODE_LEASE_NAMESPACE = 'tugboat-node-lease';
/** Kubernetes' own system namespace: public manifests (the docs' DaemonSet, charts' agents) go there. */
export const KUBE_SYSTEM_NAMESPACE = 'kube-system';
export const BUILTIN_NAMESPACES: readonly string[] = [DEFAULT_NAMESPACE, SYSTEM_NAMESPACE, NODE_LEASE_NAMESPACE, KUBE_SYSTEM_NAMESPACE];

/**
 * Node heartbeats, group-committed by each API server (Server/NodeHeartbeat): a Lease in
 * tugboat-system per API server, labelled NODE_HEARTBEATS_LABEL, whose NODE_HEARTBEATS_ANNOTATION
 * lists the nodes heard since its previous write (comma-separated). Each write is news of life
 * for the nodes it lists; the node lifecycle controller reads them beside the nodes' own Leases.
 */
export const NODE_HEARTBEATS_LABEL = 'tugboat.io/node-heartbeats';
export const NODE_HEARTBEATS_ANNOTATION = 'tugboat.io/nodes';

/** The label an EndpointSlice names its Service with (discovery.k8s.io/v1 LabelServiceName). */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
