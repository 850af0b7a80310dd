// The default RBAC policy (Kubernetes' bootstrappolicy, with Kubernetes' names and rules), and
// its reconciliation at start-up: what is missing is created; a default that exists gets back
// any rule, selector or subject it lost, and keeps whatever a user added (Kubernetes' union
// mode). An object annotated rbac.authorization.kubernetes.io/autoupdate=false is left alone.
//
//   cluster-admin               everything                          Group system:masters
//   admin, edit, view           aggregated from system:aggregate-to-*  (bind them per namespace)
//   system:basic-user           self reviews                        Group system:authenticated
//   system:discovery            discovery, health, version paths    Group system:authenticated
//   system:public-info-viewer   health and version paths            system:authenticated, system:unauthenticated
//   system:monitoring           /metrics and health paths           Group system:monitoring (Prometheus)
//   system:kube-scheduler       what packages/scheduler calls        User system:kube-scheduler
//   system:kube-controller-manager  what packages/controllers calls  User system:kube-controller-manager
//   system:kube-dns             what packages/dns reads              User system:kube-dns (+ a Role in tugboat-system to publish kube-dns)
//   system:node-proxier         Kubernetes' role for kube-proxy      User system:kube-proxy (the agents' service proxy)
//   + Roles for the leader-election Leases in tugboat-system, and the scheduler's read of node
//     Leases in tugboat-node-lease (namespaced, so neither reaches other namespaces).
import {
  ApiError, GROUP_AUTHENTICATED, GROUP_UNAUTHENTICATED, GROUP_MASTERS, GROUP_MONITORING, NODE_LEASE_NAMESPACE, RBAC_GROUP, SYSTEM_NAMESPACE, USER_CONTROLLER_MANAGER, USER_KUBE_DNS, USER_KUBE_PROXY, USER_SCHEDULER, aggregatedRules,
  ruleListsEqual, type KubeObject, type LabelSelector, type ObjectMeta, type PolicyRule, type Subject,
} from '@tugboat/api';
import type { Registry } from '../../registry/registry.js';
import type { ClusterRoleBindingObject, ClusterRoleObject, RoleBindingObject, RoleObject } from './rbac-authorizer.js';
import { covers } from './rules.js';

export const BOOTSTRAPPING_LABEL = 'kubernetes.io/bootstrapping';
export const BOOTSTRAPPING_VALUE = 'rbac-defaults';
export const AUTOUPDATE_ANNOTATION = 'rbac.authorization.kubernetes.io/autoupdate';
export const AGGREGATE_TO_ADMIN = 'rbac.authorization.k8s.io/aggregate-to-admin';
export const AGGREGATE_TO_EDIT = 'rbac.authorization.k8s.io/aggregate-to-edit';
export const AGGREGATE_TO_VIEW = 'rbac.authorization.k8s.io/aggregate-to-view';

/** The Lease names the components elect their leader with (packages/scheduler, packages/controllers LEASE_NAME). */
export const SCHEDULER_LEASE = 'tugboat-scheduler';
export const CONTROLLER_MANAGER_LEASE = 'tugboat-controllers';

const API_VERSION = `${RBAC_GROUP}/v1`;
const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];

function rule(apiGroups: string[], resources: string[], verbs: string[], resourceNames?: string[]): PolicyRule {
  return { apiGroups, resources, verbs, ...(resourceNames ? { resourceNames } : {}) };
}

function paths(nonResourceURLs: string[], verbs: string[]): PolicyRule {
  return { nonResourceURLs, verbs };
}

function meta(name: string, labels: Record<string, string> = {}, namespace?: string): ObjectMeta {
  return {
    name,
    ...(namespace ? { namespace } : {}),
    labels: { [BOOTSTRAPPING_LABEL]: BOOTSTRAPPING_VALUE, ...labels },
    annotations: { [AUTOUPDATE_ANNOTATION]: 'true' },
  };
}

function clusterRole(name: string, rules: PolicyRule[], labels: Record<string, string> = {}, aggregateFrom?: string): ClusterRoleObject {
  const selectors: LabelSelector[] | undefined = aggregateFrom ? [{ matchLabels: { [aggregateFrom]: 'true' } }] : undefined;
  return {
    apiVersion: API_VERSION, kind: 'ClusterRole', metadata: meta(name, labels),
    ...(selectors ? { aggregationRule: { clusterRoleSelectors: selectors } } : {}),
    rules,
  };
}

const user = (name: string): Subject => ({ apiGroup: RBAC_GROUP, kind: 'User', name });
const group = (name: string): Subject => ({ apiGroup: RBAC_GROUP, kind: 'Group', name });

function clusterRoleBinding(name: string, role: string, subjects: Subject[]): ClusterRoleBindingObject {
  return { apiVersion: API_VERSION, kind: 'ClusterRoleBinding', metadata: meta(name), roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: role }, subjects };
}

function role(namespace: string, name: string, rules: PolicyRule[]): RoleObject {
  return { apiVersion: API_VERSION, kind: 'Role', metadata: meta(name, {}, namespace), rules };
}

function roleBinding(namespace: string, name: string, role: string, subjects: Subject[]): RoleBindingObject {
  return { apiVersion: API_VERSION, kind: 'RoleBinding', metadata: meta(name, {}, namespace), roleRef: { apiGroup: RBAC_GROUP, kind: 'Role', name: role }, subjects };
}

// ── Kubernetes' user-facing roles ─────────────────────────────────────────────────────────

const AGGREGATE_TO_VIEW_RULES: PolicyRule[] = [
  rule([''], ['configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods', 'replicationcontrollers',
    'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status'], READ),
  rule([''], ['bindings', 'events', 'limitranges', 'namespaces/status', 'pods/log', 'pods/status', 'replicationcontrollers/status',
    'resourcequotas', 'resourcequotas/status'], READ),
  rule([''], ['namespaces'], READ),
  rule(['discovery.k8s.io'], ['endpointslices'], READ),
  rule(['apps'], ['controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status',
    'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status'], READ),
  rule(['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status'], READ),
  // Kubernetes' metrics-server aggregates these into view (and so edit and admin).
  rule(['metrics.k8s.io'], ['pods', 'nodes'], ['get', 'list']),
  rule(['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status'], READ),
  rule(['extensions'], ['daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'ingresses',
    'ingresses/status', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicasets/status', 'replicationcontrollers/scale'], READ),
  rule(['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status'], READ),
  rule(['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies'], READ),
];

const AGGREGATE_TO_EDIT_RULES: PolicyRule[] = [
  rule([''], ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'], READ),
  rule([''], ['serviceaccounts'], ['impersonate']),
  rule([''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy'], WRITE),
  rule([''], ['pods/eviction'], ['create']),
  rule([''], ['configmaps', 'events', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'secrets',
    'serviceaccounts', 'services', 'services/proxy'], WRITE),
  rule([''], ['serviceaccounts/token'], ['create']),
  rule(['apps'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale',
    'statefulsets', 'statefulsets/scale'], WRITE),
  rule(['autoscaling'], ['horizontalpodautoscalers'], WRITE),
  rule(['batch'], ['cronjobs', 'jobs'], WRITE),
  rule(['extensions'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'ingresses', 'networkpolicies',
    'replicasets', 'replicasets/scale', 'replicationcontrollers/scale'], WRITE),
  rule(['policy'], ['poddisruptionbudgets'], WRITE),
  rule(['networking.k8s.io'], ['ingresses', 'networkpolicies'], WRITE),
  rule(['coordination.k8s.io'], ['leases'], ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']),
];

const AGGREGATE_TO_ADMIN_RULES: PolicyRule[] = [
  rule(['authorization.k8s.io'], ['localsubjectaccessreviews'], ['create']),
  rule([RBAC_GROUP], ['rolebindings', 'roles'], ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']),
];

// ── The control plane's own roles: exactly the calls our components make ─────────────────
//
// Every informer is a list and a watch; Update is `update`, UpdateStatus `update <r>/status`,
// Bind `create pods/binding`. Events are recorded by create, and repeats by get + update
// (@tugboat/api recordEvent). Neither component uses Apply (patch).

const EVENTS: PolicyRule = rule([''], ['events'], ['create', 'get', 'update']);

/** packages/scheduler: informers on pods and nodes, binds pods, marks unschedulable ones, records events. */
const SCHEDULER_RULES: PolicyRule[] = [
  EVENTS,
  rule([''], ['nodes'], ['list', 'watch']),
  // get: a pod's status write that conflicted is retried on a fresh read; delete: preemption.
  rule([''], ['pods'], ['get', 'list', 'watch', 'delete']),
  rule([''], ['pods/binding'], ['create']),
  rule([''], ['pods/status'], ['update']),
  // Pod priorities are resolved at admission; the scheduler reads the classes (as Kubernetes' does).
  rule(['scheduling.k8s.io'], ['priorityclasses'], ['get', 'list', 'watch']),
  // InterPodAffinity's namespaceSelector; PodTopologySpread's default selector.
  rule([''], ['namespaces', 'services', 'replicationcontrollers'], ['list', 'watch']),
  rule(['apps'], ['replicasets'], ['list', 'watch']),
  // DefaultPreemption prefers victims whose disruption budget allows it.
  rule(['policy'], ['poddisruptionbudgets'], ['list', 'watch']),
  // VolumeBinding: claims, volumes and classes read; a WaitForFirstConsumer claim gets the selected node.
  rule([''], ['persistentvolumeclaims', 'persistentvolumes'], ['get', 'list', 'watch']),
  rule([''], ['persistentvolumeclaims'], ['update', 'patch']),
  rule(['storage.k8s.io'], ['storageclasses'], ['get', 'list', 'watch']),
];

/**
 * packages/controllers, controller by controller:
 *   replicaset        pods: list watch create delete, get+update (adopt/release); replicasets: list watch get, status
 *   deployment        deployments: list watch get update, status; replicasets: create get update delete
 *   garbagecollector  pods, replicasets, deployments, configmaps, secrets, nodes, leases, services, endpointslices, jobs, cronjobs,
 *                     daemonsets, controllerrevisions, replicationcontrollers, persistentvolumeclaims
 *                     (its GC_RESOURCES): list watch get update (owner references, finalizers) delete; owners of any kind: get
 *   nodelifecycle     nodes: list watch get update (taints), status; pods: list watch delete, status; leases: list watch
 *   podgc             pods: list watch delete; nodes: list watch get
 *   clusterrole-aggregation  clusterroles: list watch update, and escalate (it writes rules it need not hold)
 *   serviceaccount    namespaces: list watch; serviceaccounts: list watch create
 *   root-ca-cert-publisher   namespaces: list watch; configmaps: list watch create update
 *   endpoint          services, pods: list watch; endpoints: list watch create update delete
 *   endpointslice     services, pods, nodes: list watch; endpointslices: list watch create update delete
 *   nodeipam          nodes: list watch get update (spec.podCIDR)
 *   daemonset         daemonsets: list watch get, status; nodes: list watch; pods: list watch create delete, get+update
 *                     (adopt/release); controllerrevisions: list watch create get update delete
 *   replicaset        also replicationcontrollers (the same controller): list watch get, status
 *   statefulset       statefulsets: list watch get, status; pods: list watch create delete, get+update (adopt/release,
 *                     identity); persistentvolumeclaims: create get list watch update delete (claim templates and
 *                     their retention owner references); controllerrevisions: list watch create get update delete
 *   job               jobs: list watch get delete (ttlSecondsAfterFinished), status; pods: list watch create delete,
 *                     get+update (adopt/release, the batch.kubernetes.io/job-tracking finalizer)
 *   cronjob           cronjobs: list watch get, status; jobs: list watch get create delete
 *   disruption        poddisruptionbudgets: list watch, status; pods, replicasets, deployments: list watch
 *   horizontalpodautoscaling  horizontalpodautoscalers: list watch, status; metrics.k8s.io pods: list; the scale of
 *                     deployments, replicasets, statefulsets, replicationcontrollers: get update (their update above)
 *   persistentvolume-binder  persistentvolumeclaims: list watch get update, status; persistentvolumes: list watch
 *                     get create (local-path provisioner) update delete, status; storageclasses, nodes: list watch
 *   pvc-protection    persistentvolumeclaims: list watch get update (the kubernetes.io/pvc-protection finalizer);
 *                     pods: list watch, and a live list of a namespace's pods before a claim is let go
 *   pv-protection     persistentvolumes: list watch get update (the kubernetes.io/pv-protection finalizer)
 * and events for all of them. Kubernetes gives its garbage collector get/list/watch/patch/update/delete
 * on every resource; ours watches a fixed list, so it gets that list, plus `get` on anything an
 * owner reference can name.
 */
const CONTROLLER_MANAGER_RULES: PolicyRule[] = [
  EVENTS,
  rule(['*'], ['*'], ['get']),
  rule([''], ['pods'], ['list', 'watch', 'create', 'update', 'delete']),
  rule([''], ['pods/status'], ['update']),
  rule([''], ['nodes'], ['list', 'watch', 'update', 'delete']),
  rule([''], ['nodes/status'], ['update']),
  rule([''], ['configmaps'], ['list', 'watch', 'create', 'update', 'delete']),
  rule([''], ['secrets'], ['list', 'watch', 'update', 'delete']),
  rule([''], ['namespaces'], ['list', 'watch']),
  rule([''], ['serviceaccounts'], ['list', 'watch', 'create']),
  rule([''], ['services'], ['list', 'watch', 'update', 'delete']),
  rule([''], ['endpoints'], ['list', 'watch', 'create', 'update', 'delete']),
  rule(['discovery.k8s.io'], ['endpointslices'], ['list', 'watch', 'create', 'update', 'delete']),
  rule(['apps'], ['replicasets'], ['list', 'watch', 'create', 'update', 'delete']),
  rule(['apps'], ['replicasets/status'], ['update']),
  rule(['apps'], ['deployments'], ['list', 'watch', 'update', 'delete']),
  rule(['apps'], ['deployments/status'], ['update']),
  rule(['batch'], ['jobs'], ['list', 'watch', 'update', 'delete']),
  rule(['apps'], ['daemonsets', 'controllerrevisions'], ['list', 'watch', 'update', 'delete']),
  rule(['apps'], ['controllerrevisions'], ['create']),
  rule(['apps'], ['daemonsets/status'], ['update']),
  rule(['apps'], ['statefulsets'], ['list', 'watch', 'update', 'delete']),
  rule(['apps'], ['statefulsets/status'], ['update']),
  rule([''], ['persistentvolumeclaims'], ['create', 'list', 'watch', 'update', 'delete']),
  rule([''], ['persistentvolumeclaims/status'], ['update']),
  rule([''], ['persistentvolumes'], ['list', 'watch', 'create', 'update', 'delete']),
  rule([''], ['persistentvolumes/status'], ['update']),
  rule(['storage.k8s.io'], ['storageclasses'], ['list', 'watch']),
  rule([''], ['replicationcontrollers'], ['list', 'watch', 'update', 'delete']),
  rule([''], ['replicationcontrollers/status'], ['update']),
  rule(['batch'], ['jobs/status'], ['update']),
  rule(['batch'], ['jobs'], ['create']),
  rule(['batch'], ['cronjobs'], ['list', 'watch', 'update', 'delete']),
  rule(['batch'], ['cronjobs/status'], ['update']),
  rule(['coordination.k8s.io'], ['leases'], ['list', 'watch', 'update', 'delete']),
  rule(['policy'], ['poddisruptionbudgets'], ['list', 'watch']),
  rule(['policy'], ['poddisruptionbudgets/status'], ['update']),
  rule([RBAC_GROUP], ['clusterroles'], ['list', 'watch', 'update', 'escalate']),
  rule(['autoscaling'], ['horizontalpodautoscalers'], ['list', 'watch']),
  rule(['autoscaling'], ['horizontalpodautoscalers/status'], ['update']),
  rule(['metrics.k8s.io'], ['pods'], ['list']),
];

/**
 * Kubernetes' system:node-proxier, for the agents' service proxy (packages/agent
 * network/proxy: informers on Services and EndpointSlices) and host-gw routes (Nodes).
 */
const NODE_PROXIER_RULES: PolicyRule[] = [
  rule([''], ['endpoints', 'services'], ['list', 'watch']),
  rule([''], ['nodes'], ['get', 'list', 'watch']),
  rule(['', 'events.k8s.io'], ['events'], ['create', 'patch', 'update']),
  rule(['discovery.k8s.io'], ['endpointslices'], ['list', 'watch']),
];

/** packages/dns (tugboat-dns): informers on Services, EndpointSlices, Pods (pod records) and Namespaces, cluster-wide. */
const KUBE_DNS_RULES: PolicyRule[] = [
  rule([''], ['services', 'pods', 'namespaces'], ['list', 'watch']),
  rule(['discovery.k8s.io'], ['endpointslices'], ['list', 'watch']),
];

/**
 * tugboat-dns publishing itself in tugboat-system: the Service kube-dns (read, created, its
 * ports updated, recreated when its ClusterIP differs from --service-ip) and its own
 * EndpointSlice (named after its address, so not listed by name).
 */
const KUBE_DNS_PUBLISH_RULES: PolicyRule[] = [
  rule([''], ['services'], ['create']),
  rule([''], ['services'], ['get', 'update', 'delete'], ['kube-dns']),
  rule(['discovery.k8s.io'], ['endpointslices'], ['get', 'create', 'update']),
];

/** Leader election (LeaderElector in @tugboat/api): get, create, update of one Lease in tugboat-system. */
function leaderLockingRules(lease: string): PolicyRule[] {
  return [
    rule(['coordination.k8s.io'], ['leases'], ['create']),
    rule(['coordination.k8s.io'], ['leases'], ['get', 'update'], [lease]),
  ];
}

export function bootstrapClusterRoles(): ClusterRoleObject[] {
  return [
    clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), paths(['*'], ['*'])]),
    clusterRole('admin', [], {}, AGGREGATE_TO_ADMIN),
    clusterRole('edit', [], { [AGGREGATE_TO_ADMIN]: 'true' }, AGGREGATE_TO_EDIT),
    clusterRole('view', [], { [AGGREGATE_TO_EDIT]: 'true' }, AGGREGATE_TO_VIEW),
    clusterRole('system:aggregate-to-admin', AGGREGATE_TO_ADMIN_RULES, { [AGGREGATE_TO_ADMIN]: 'true' }),
    clusterRole('system:aggregate-to-edit', AGGREGATE_TO_EDIT_RULES, { [AGGREGATE_TO_EDIT]: 'true' }),
    clusterRole('system:aggregate-to-view', AGGREGATE_TO_VIEW_RULES, { [AGGREGATE_TO_VIEW]: 'true' }),
    clusterRole('system:basic-user', [
      rule(['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'], ['create']),
      rule(['authentication.k8s.io'], ['selfsubjectreviews'], ['create']),
    ]),
    clusterRole('system:discovery', [
      paths(['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'], ['get']),
    ]),
    clusterRole('system:public-info-viewer', [paths(['/healthz', '/livez', '/readyz', '/version', '/version/'], ['get'])]),
    clusterRole('system:monitoring', [paths(['/healthz', '/healthz/*', '/livez', '/livez/*', '/metrics', '/metrics/slis', '/readyz', '/readyz/*'], ['get'])]),
    clusterRole('system:kube-scheduler', SCHEDULER_RULES),
    clusterRole('system:kube-controller-manager', CONTROLLER_MANAGER_RULES),
    clusterRole('system:node-proxier', NODE_PROXIER_RULES),
    clusterRole('system:kube-dns', KUBE_DNS_RULES),
  ];
}

export function bootstrapClusterRoleBindings(): ClusterRoleBindingObject[] {
  return [
    clusterRoleBinding('cluster-admin', 'cluster-admin', [group(GROUP_MASTERS)]),
    clusterRoleBinding('system:basic-user', 'system:basic-user', [group(GROUP_AUTHENTICATED)]),
    clusterRoleBinding('system:discovery', 'system:discovery', [group(GROUP_AUTHENTICATED)]),
    clusterRoleBinding('system:public-info-viewer', 'system:public-info-viewer', [group(GROUP_AUTHENTICATED), group(GROUP_UNAUTHENTICATED)]),
    clusterRoleBinding('system:monitoring', 'system:monitoring', [group(GROUP_MONITORING)]),
    clusterRoleBinding('system:kube-scheduler', 'system:kube-scheduler', [user(USER_SCHEDULER)]),
    clusterRoleBinding('system:kube-controller-manager', 'system:kube-controller-manager', [user(USER_CONTROLLER_MANAGER)]),
    clusterRoleBinding('system:node-proxier', 'system:node-proxier', [user(USER_KUBE_PROXY)]),
    clusterRoleBinding('system:kube-dns', 'system:kube-dns', [user(USER_KUBE_DNS)]),
  ];
}

export function bootstrapRoles(): RoleObject[] {
  return [
    role(SYSTEM_NAMESPACE, 'system::leader-locking-kube-scheduler', leaderLockingRules(SCHEDULER_LEASE)),
    role(SYSTEM_NAMESPACE, 'system::leader-locking-kube-controller-manager', leaderLockingRules(CONTROLLER_MANAGER_LEASE)),
    // The scheduler reads node heartbeats (packages/scheduler: leases informer in tugboat-node-lease).
    role(NODE_LEASE_NAMESPACE, 'system:kube-scheduler', [rule(['coordination.k8s.io'], ['leases'], ['list', 'watch'])]),
    role(SYSTEM_NAMESPACE, 'system:kube-dns', KUBE_DNS_PUBLISH_RULES),
  ];
}

export function bootstrapRoleBindings(): RoleBindingObject[] {
  return [
    roleBinding(SYSTEM_NAMESPACE, 'system::leader-locking-kube-scheduler', 'system::leader-locking-kube-scheduler', [user(USER_SCHEDULER)]),
    roleBinding(SYSTEM_NAMESPACE, 'system::leader-locking-kube-controller-manager', 'system::leader-locking-kube-controller-manager', [user(USER_CONTROLLER_MANAGER)]),
    roleBinding(NODE_LEASE_NAMESPACE, 'system:kube-scheduler', 'system:kube-scheduler', [user(USER_SCHEDULER)]),
    roleBinding(SYSTEM_NAMESPACE, 'system:kube-dns', 'system:kube-dns', [user(USER_KUBE_DNS)]),
  ];
}

// ── Reconciliation (Kubernetes' pkg/registry/rbac/reconciliation, union mode) ────────────

type RuleOwner = RoleObject | ClusterRoleObject;
type BindingObject = RoleBindingObject | ClusterRoleBindingObject;

const protectedFromUpdate = (o: KubeObject): boolean => o.metadata?.annotations?.[AUTOUPDATE_ANNOTATION] === 'false';

/** Expected labels or annotations under the existing ones (the existing value wins). */
function mergeMaps(expected: Record<string, string> | undefined, existing: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!expected && !existing) return undefined;
  return { ...expected, ...existing };
}

function sameMap(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const x = Object.entries(a ?? {});
  return x.length === Object.keys(b ?? {}).length && x.every(([k, v]) => b?.[k] === v);
}

/** Canonical JSON (sorted keys) for comparing selectors and subjects as Kubernetes' DeepEqual does. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, value: unknown) => (value && typeof value === 'object' && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    : value));
}

function mergedMetadata(existing: KubeObject, expected: KubeObject): { metadata: ObjectMeta; changed: boolean } {
  const labels = mergeMaps(expected.metadata?.labels, existing.metadata?.labels);
  const annotations = mergeMaps(expected.metadata?.annotations, existing.metadata?.annotations);
  const changed = !sameMap(labels, existing.metadata?.labels) || !sameMap(annotations, existing.metadata?.annotations);
  return { metadata: { ...existing.metadata, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) }, changed };
}

/**
 * A default role brought up to date: its labels, annotations, missing rules and aggregation
 * selectors added; nothing taken away. Undefined when nothing changes or it opted out.
 */
export function reconcileRole<T extends RuleOwner>(existing: T, expected: T): T | undefined {
  if (protectedFromUpdate(existing)) return undefined;
  const { metadata, changed: metaChanged } = mergedMetadata(existing, expected);
  let changed = metaChanged;
  const next = { ...existing, metadata } as T;
  const { missing } = covers(existing.rules ?? [], expected.rules ?? []);
  if (missing.length) {
    next.rules = [...(existing.rules ?? []), ...missing];
    changed = true;
  }
  const wanted = (expected as ClusterRoleObject).aggregationRule?.clusterRoleSelectors;
  if (wanted) {
    const have = (existing as ClusterRoleObject).aggregationRule?.clusterRoleSelectors ?? [];
    const haveKeys = new Set(have.map(canonical));
    const add = wanted.filter((s) => !haveKeys.has(canonical(s)));
    if (add.length) {
      (next as ClusterRoleObject).aggregationRule = { clusterRoleSelectors: [...have, ...add] };
      changed = true;
    }
  }
  return changed ? next : undefined;
}

export type BindingReconcile<T> = { readonly op: 'none' } | { readonly op: 'update' | 'recreate'; readonly object: T };

/**
 * A default binding brought up to date: labels, annotations and missing subjects added. A
 * binding's role cannot change, so one bound to another role is recreated (Kubernetes' way).
 */
export function reconcileBinding<T extends BindingObject>(existing: T, expected: T): BindingReconcile<T> {
  if (protectedFromUpdate(existing)) return { op: 'none' };
  const { metadata, changed: metaChanged } = mergedMetadata(existing, expected);
  const have = existing.subjects ?? [];
  const haveKeys = new Set(have.map(canonical));
  const add = (expected.subjects ?? []).filter((s) => !haveKeys.has(canonical(s)));
  const next = { ...existing, metadata, subjects: [...have, ...add] } as T;
  if (canonical(existing.roleRef) !== canonical(expected.roleRef)) {
    const { resourceVersion: _rv, uid: _uid, creationTimestamp: _ct, generation: _g, ...fresh } = metadata ?? {};
    void _rv; void _uid; void _ct; void _g;
    return { op: 'recreate', object: { ...next, metadata: fresh, roleRef: expected.roleRef } };
  }
  return metaChanged || add.length ? { op: 'update', object: next } : { op: 'none' };
}

type BootstrapRegistry = Pick<Registry, 'get' | 'create' | 'update' | 'delete' | 'list'>;

const isReason = (e: unknown, ...reasons: ApiError['reason'][]): boolean => e instanceof ApiError && reasons.includes(e.reason);

async function tryGet(registry: BootstrapRegistry, resource: string, namespace: string, name: string): Promise<KubeObject | undefined> {
  try {
    return await registry.get(resource, namespace, name);
  } catch (e) {
    if (isReason(e, 'NotFound')) return undefined;
    throw e;
  }
}

const ATTEMPTS = 3;

/** Read, decide, write; again when another writer got there first. Returns what was done. */
async function ensure(
  registry: BootstrapRegistry, resource: string, expected: KubeObject,
  decide: (existing: KubeObject) => { op: 'none' } | { op: 'update' | 'recreate'; object: KubeObject },
): Promise<'created' | 'updated' | 'recreated' | 'unchanged'> {
  const ns = expected.metadata?.namespace ?? '';
  const name = expected.metadata?.name ?? '';
  for (let attempt = 1; ; attempt++) {
    try {
      const existing = await tryGet(registry, resource, ns, name);
      if (!existing) {
        await registry.create(expected);
        return 'created';
      }
      const d = decide(existing);
      switch (d.op) {
        case 'none':
          return 'unchanged';
        case 'update':
          await registry.update(d.object);
          return 'updated';
        case 'recreate':
          await registry.delete(resource, ns, name, existing.metadata?.uid ? { preconditionUid: existing.metadata.uid } : {});
          await registry.create(d.object);
          return 'recreated';
      }
    } catch (e) {
      if (attempt >= ATTEMPTS || !isReason(e, 'Conflict', 'AlreadyExists', 'NotFound')) throw e;
    }
  }
}

const roleDecision = (expected: RuleOwner) => (existing: KubeObject): BindingReconcile<KubeObject> => {
  const next = reconcileRole(existing as RuleOwner, expected);
  return next ? { op: 'update', object: next } : { op: 'none' };
};

const bindingDecision = (expected: BindingObject) => (existing: KubeObject): BindingReconcile<KubeObject> =>
  reconcileBinding(existing as BindingObject, expected);

/**
 * Fills every aggregated ClusterRole with the rules of the roles it selects, until nothing
 * changes (admin gathers edit, which gathers view), so the defaults are usable even before
 * the controller manager runs. Returns the names it updated.
 */
async function aggregateClusterRoles(registry: BootstrapRegistry): Promise<string[]> {
  const updated = new Set<string>();
  for (let pass = 0; pass < 5; pass++) {
    const { items } = await registry.list('clusterroles');
    const roles = items as ClusterRoleObject[];
    let changed = false;
    for (const r of roles) {
      const rules = aggregatedRules(r, roles);
      if (!rules || ruleListsEqual(rules, r.rules)) continue;
      try {
        const { object } = await registry.update({ ...r, rules });
        roles[roles.indexOf(r)] = object as ClusterRoleObject;
        updated.add(r.metadata?.name ?? '');
        changed = true;
      } catch (e) {
        // Someone else changed it: the next pass reads it again.
        if (!isReason(e, 'Conflict', 'NotFound')) throw e;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return [...updated];
}

/**
 * Creates the default roles and bindings that are missing and brings the existing ones up to
 * date; called by the API server once etcd answers. Throws (after trying everything) when a
 * write failed, so the caller tries again later.
 */
export async function reconcileBootstrapPolicy(registry: BootstrapRegistry, log: (line: string) => void): Promise<void> {
  const failures: string[] = [];
  let created = 0;
  const record = (what: string, outcome: Awaited<ReturnType<typeof ensure>>): void => {
    if (outcome === 'created') created++;
    else if (outcome !== 'unchanged') log(`rbac bootstrap: ${outcome} ${what} (restored defaults it lacked)`);
  };
  const attempt = async (what: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      failures.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  for (const r of bootstrapClusterRoles()) {
    const what = `clusterrole.${RBAC_GROUP}/${r.metadata?.name}`;
    await attempt(what, async () => record(what, await ensure(registry, 'clusterroles', r, roleDecision(r))));
  }
  for (const b of bootstrapClusterRoleBindings()) {
    const what = `clusterrolebinding.${RBAC_GROUP}/${b.metadata?.name}`;
    await attempt(what, async () => record(what, await ensure(registry, 'clusterrolebindings', b, bindingDecision(b))));
  }
  // Namespaced defaults need their namespace; make it if the namespace controller has not yet.
  for (const ns of new Set(bootstrapRoles().map((r) => r.metadata?.namespace ?? ''))) {
    await attempt(`namespace ${ns}`, async () => {
      try {
        await registry.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      } catch (e) {
        if (!isReason(e, 'AlreadyExists')) throw e;
      }
    });
  }
  for (const r of bootstrapRoles()) {
    const what = `role.${RBAC_GROUP}/${r.metadata?.name} in ${r.metadata?.namespace}`;
    await attempt(what, async () => record(what, await ensure(registry, 'roles', r, roleDecision(r))));
  }
  for (const b of bootstrapRoleBindings()) {
    const what = `rolebinding.${RBAC_GROUP}/${b.metadata?.name} in ${b.metadata?.namespace}`;
    await attempt(what, async () => record(what, await ensure(registry, 'rolebindings', b, bindingDecision(b))));
  }
  await attempt('aggregated clusterroles', async () => {
    const names = await aggregateClusterRoles(registry);
    if (names.length && created === 0) log(`rbac bootstrap: aggregated rules into clusterroles ${names.join(', ')}`);
  });
  if (created) log(`rbac bootstrap: created ${created} default roles and bindings`);
  if (failures.length) throw new Error(`rbac bootstrap: ${failures.length} failed: ${failures.join('; ')}`);
}
