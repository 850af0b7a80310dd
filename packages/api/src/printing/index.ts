// Server-side printing shared by tctl and the API server: for each kind, Kubernetes'
// table columns and a pure function from (object, now) to the row's cells. tctl lays the
// cells out as text; the API server sends them as a meta.k8s.io/v1 Table to kubectl.
//
//   object ──▶ printerFor(kind).row(obj, { now, wide }) ──▶ cells ─┬─▶ tctl: text columns
//                                                                  └─▶ API server: Table rows
import { AGE_COLUMN, NAME_COLUMN, created, type KindPrinter } from './columns.js';
import { events, leases, namespaces, nodes } from './cluster.js';
import { configmaps, secrets, serviceaccounts } from './config.js';
import { endpoints, endpointslices, services } from './network.js';
import { clusterrolebindings, clusterroles, rolebindings, roles } from './rbac.js';
import { poddisruptionbudgets, priorityclasses } from './policy.js';
import { deployments, pods, replicasets } from './workloads.js';
import { controllerrevisions, daemonsets, replicationcontrollers } from './daemonsets.js';
import { cronjobs, jobs } from './batch.js';
import { statefulsets } from './statefulsets.js';
import { horizontalpodautoscalers } from './autoscaling.js';
import { persistentvolumeclaims, persistentvolumes, storageclasses } from './storage.js';

/** Kinds Kubernetes has no columns for get NAME and AGE (its printObjectMeta). */
const generic: KindPrinter = {
  columns: [NAME_COLUMN, AGE_COLUMN],
  row: (o, { now }) => [o.metadata?.name ?? '', created(o, now)],
};

const BY_KIND: Readonly<Record<string, KindPrinter>> = {
  Pod: pods, Deployment: deployments, ReplicaSet: replicasets, Job: jobs, CronJob: cronjobs,
  DaemonSet: daemonsets, StatefulSet: statefulsets, ReplicationController: replicationcontrollers, ControllerRevision: controllerrevisions,
  Node: nodes, Namespace: namespaces, Event: events, Lease: leases,
  ConfigMap: configmaps, Secret: secrets, ServiceAccount: serviceaccounts,
  Service: services, Endpoints: endpoints, EndpointSlice: endpointslices,
  HorizontalPodAutoscaler: horizontalpodautoscalers,
  PodDisruptionBudget: poddisruptionbudgets, PriorityClass: priorityclasses,
  PersistentVolume: persistentvolumes, PersistentVolumeClaim: persistentvolumeclaims, StorageClass: storageclasses,
  Role: roles, ClusterRole: clusterroles, RoleBinding: rolebindings, ClusterRoleBinding: clusterrolebindings,
};

export function printerFor(kind: string): KindPrinter {
  return BY_KIND[kind] ?? generic;
}

export {
  column, visibleCells, NAME_COLUMN, AGE_COLUMN,
  type Cell, type ColumnDefinition, type ColumnType, type KindPrinter, type RowCondition, type RowOptions,
} from './columns.js';
export { humanDuration, age } from './age.js';
export { labelsOrNone, formatSelector, orNone } from './format.js';
export { podSummary, type PodSummary } from './pod-status.js';
export {
  servicePorts, serviceClusterIP, serviceExternalIP, formatEndpoints, formatSlicePorts, formatSliceEndpoints, formatServiceEndpoints,
} from './services.js';
export { nodeStatus, nodeRoles, internalIP, eventTime, eventObject } from './cluster.js';
export { jobStatus, jobCompletions, jobDuration } from './batch.js';
export { accessModesString } from './storage.js';
