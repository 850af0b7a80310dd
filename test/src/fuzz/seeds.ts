// One valid manifest per supported kind (packages/api/src/kinds.ts KINDS), as a user would
// write it. The fuzzer mutates these; each must be stored as is when sent unmutated.
// Namespaced ones live in FUZZ_NAMESPACE so the fuzzer's writes are easy to tell apart.
import type { KubeObject } from '@tugboat/api';

export const FUZZ_NAMESPACE = 'fuzz';

const ns = FUZZ_NAMESPACE;
const podSpec = {
  containers: [{
    name: 'web',
    image: 'nginx:1.27',
    command: ['nginx', '-g', 'daemon off;'],
    ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
    env: [{ name: 'MODE', value: 'fuzz' }],
    resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
  }],
  restartPolicy: 'Always',
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' }],
};
const template = { metadata: { labels: { app: 'web' } }, spec: podSpec };

const seeds: Record<string, KubeObject> = {
  Namespace: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fuzz-ns', labels: { team: 'fuzz' } } },
  Pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: ns, labels: { app: 'web' }, annotations: { note: 'seed' } }, spec: podSpec },
  Node: {
    apiVersion: 'v1', kind: 'Node', metadata: { name: 'fuzz-node', labels: { zone: 'a' } },
    spec: { unschedulable: false, taints: [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }] },
  },
  Event: {
    apiVersion: 'v1', kind: 'Event', metadata: { name: 'web.1', namespace: ns },
    involvedObject: { kind: 'Pod', namespace: ns, name: 'web' },
    reason: 'Scheduled', message: 'assigned fuzz/web to node-1', type: 'Normal', count: 1,
    source: { component: 'scheduler' },
  },
  ConfigMap: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-config', namespace: ns }, data: { 'index.html': '<h1>hello</h1>\n', mode: 'fuzz' } },
  Secret: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'web-secret', namespace: ns }, type: 'Opaque', stringData: { password: 'hunter2' }, data: { token: 'c2VjcmV0' } },
  Lease: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'web-leader', namespace: ns }, spec: { holderIdentity: 'web-0', leaseDurationSeconds: 15 } },
  ReplicaSet: {
    apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-rs', namespace: ns },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template },
  },
  Deployment: {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web-deploy', namespace: ns, labels: { app: 'web' } },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } }, template },
  },
  Service: {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'web-svc', namespace: ns },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }], type: 'ClusterIP' },
  },
  Endpoints: {
    apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web-ep', namespace: ns },
    subsets: [{ addresses: [{ ip: '10.42.0.5' }], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }],
  },
  EndpointSlice: {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'web-slice', namespace: ns, labels: { 'kubernetes.io/service-name': 'web-svc' } },
    addressType: 'IPv4', endpoints: [{ addresses: ['10.42.0.5'], conditions: { ready: true } }], ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
  },
  ServiceAccount: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web-sa', namespace: ns } },
  Role: {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'web-reader', namespace: ns },
    rules: [{ apiGroups: [''], resources: ['pods', 'configmaps'], verbs: ['get', 'list', 'watch'] }],
  },
  ClusterRole: {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'fuzz-reader' },
    rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list'] }],
  },
  RoleBinding: {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'web-reader', namespace: ns },
    subjects: [{ kind: 'ServiceAccount', name: 'web-sa', namespace: ns }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'web-reader' },
  },
  ClusterRoleBinding: {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'fuzz-reader' },
    subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'fuzz-reader' },
  },
};

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** Frozen: a case that changed a seed would change every later case. */
export const SEEDS: Readonly<Record<string, KubeObject>> = deepFreeze(seeds);
