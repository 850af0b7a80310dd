import test from 'ava';
import type { KubeObject } from '@tugboat/api';
import { toTable } from './table.js';

const now = new Date('2024-05-01T12:00:00Z');
const ago = (s: number): string => new Date(now.getTime() - s * 1000).toISOString();

interface Column { name: string; type: string; format: string; priority: number; description: string }
interface Row { cells: unknown[]; object?: Record<string, unknown>; conditions?: unknown[] }
interface Table { kind: string; apiVersion: string; metadata: Record<string, unknown>; columnDefinitions: Column[]; rows: Row[] }

const table = (kind: string, objs: KubeObject[], include: 'None' | 'Metadata' | 'Object' = 'None'): Table =>
  toTable(kind, objs, { now, includeObject: include }) as unknown as Table;
const names = (t: Table): string[] => t.columnDefinitions.map((c) => c.name);
const wideNames = (t: Table): string[] => t.columnDefinitions.filter((c) => c.priority === 1).map((c) => c.name);

const running: KubeObject = {
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'default', resourceVersion: '42', uid: 'u1', creationTimestamp: ago(3600), labels: { app: 'web' } },
  spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'nginx' }, { name: 'sidecar', image: 'busybox' }] },
  status: {
    phase: 'Running', podIP: '10.0.0.5',
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [
      { name: 'app', image: 'nginx', imageID: '', ready: true, restartCount: 3, state: { running: { startedAt: ago(300) } }, lastState: { terminated: { exitCode: 1, finishedAt: ago(300) } } },
      { name: 'sidecar', image: 'busybox', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: ago(3500) } } },
    ],
  },
};

test('pods: Kubernetes columns, Restarts a string with the last restart, wide columns priority 1', (t) => {
  const tb = table('Pod', [running]);
  t.is(tb.kind, 'Table');
  t.is(tb.apiVersion, 'meta.k8s.io/v1');
  t.deepEqual(names(tb), ['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates']);
  t.deepEqual(wideNames(tb), ['IP', 'Node', 'Nominated Node', 'Readiness Gates']);
  t.is(tb.columnDefinitions[0]!.format, 'name');
  t.is(tb.columnDefinitions.find((c) => c.name === 'Restarts')!.type, 'string');
  t.true(tb.columnDefinitions.every((c) => typeof c.description === 'string'));
  t.deepEqual(tb.rows[0]!.cells, ['web-1', '2/2', 'Running', '3 (5m ago)', '60m', '10.0.0.5', 'node-1', '<none>', '<none>']);
  t.is(tb.rows[0]!.object, undefined, 'includeObject=None: no object');
  t.deepEqual(tb.metadata, { resourceVersion: '42' }, 'one object: its resourceVersion');
});

test('a pending pod: not scheduled, no IP; a finished pod is marked Completed', (t) => {
  const pending: KubeObject = {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'waiting', namespace: 'default', creationTimestamp: ago(5) },
    spec: { containers: [{ name: 'app', image: 'nginx' }], readinessGates: [{ conditionType: 'example.com/lb' }] },
    status: { phase: 'Pending' },
  };
  const done: KubeObject = { ...pending, metadata: { name: 'done', creationTimestamp: ago(5) }, status: { phase: 'Succeeded' } };
  const tb = table('Pod', [pending, done]);
  t.deepEqual(tb.rows[0]!.cells, ['waiting', '0/1', 'Pending', '0', '5s', '<none>', '<none>', '<none>', '0/1']);
  t.is(tb.rows[0]!.conditions, undefined);
  t.deepEqual(tb.rows[1]!.conditions, [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }]);
});

test('deployments: integers stay integers; wide containers, images, selector', (t) => {
  const d: KubeObject = {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', namespace: 'default', creationTimestamp: ago(4 * 3600) },
    spec: { replicas: 3, selector: { matchLabels: { app: 'api' } }, template: { spec: { containers: [{ name: 'api', image: 'api:1' }, { name: 'log', image: 'fluent' }] } } },
    status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
  };
  const tb = table('Deployment', [d]);
  t.deepEqual(names(tb), ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers', 'Images', 'Selector']);
  t.deepEqual(tb.rows[0]!.cells, ['api', '2/3', 3, 2, '4h', 'api,log', 'api:1,fluent', 'app=api']);
  const rs = table('ReplicaSet', [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'api-1' }, spec: { replicas: 2 }, status: { replicas: 2, readyReplicas: 1 } }]);
  t.deepEqual(rs.rows[0]!.cells.slice(0, 5), ['api-1', 2, 2, 1, '<unknown>']);
  t.is(rs.columnDefinitions[1]!.type, 'integer');
});

test('nodes: status, roles, version; Kubernetes wide columns', (t) => {
  const node: KubeObject = {
    apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', creationTimestamp: ago(120), labels: { 'node-role.kubernetes.io/control-plane': '' } },
    spec: { unschedulable: true },
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: 'node-1' }],
      nodeInfo: { kubeletVersion: 'v0.1.0', osImage: 'Debian GNU/Linux 12', kernelVersion: '6.1.0', containerRuntimeVersion: 'tugboat://0.1.0' },
    },
  };
  const tb = table('Node', [node]);
  t.deepEqual(names(tb), ['Name', 'Status', 'Roles', 'Age', 'Version', 'Internal-IP', 'External-IP', 'OS-Image', 'Kernel-Version', 'Container-Runtime']);
  t.deepEqual(tb.rows[0]!.cells, ['node-1', 'Ready,SchedulingDisabled', 'control-plane', '2m', 'v0.1.0', '127.0.0.1', '<none>', 'Debian GNU/Linux 12', '6.1.0', 'tugboat://0.1.0']);
});

test('services of each type', (t) => {
  const svc = (name: string, spec: Record<string, unknown>, status: Record<string, unknown> = {}): KubeObject =>
    ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', creationTimestamp: ago(90) }, spec, status });
  const lbStatus = { loadBalancer: { ingress: [{ hostname: 'a-very-long-balancer.example.com' }, { ip: '198.18.200.1' }] } };
  const tb = table('Service', [
    svc('web', { type: 'ClusterIP', clusterIP: '198.19.0.5', clusterIPs: ['198.19.0.5'], selector: { app: 'web' }, ports: [{ port: 80, protocol: 'TCP' }] }),
    svc('np', { type: 'NodePort', clusterIPs: ['198.19.0.6'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] }),
    svc('lb', { type: 'LoadBalancer', clusterIPs: ['198.19.0.7'], ports: [{ port: 443, nodePort: 31443, protocol: 'TCP' }] }),
    svc('lb2', { type: 'LoadBalancer', clusterIPs: ['198.19.0.8'], ports: [{ port: 443, nodePort: 31444, protocol: 'TCP' }] }, lbStatus),
    svc('db', { type: 'ExternalName', externalName: 'db.example.com' }),
    svc('hl', { clusterIP: 'None', clusterIPs: ['None'], ports: [{ port: 5432 }] }),
  ]);
  t.deepEqual(names(tb), ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector']);
  t.deepEqual(tb.rows.map((r) => r.cells), [
    ['web', 'ClusterIP', '198.19.0.5', '<none>', '80/TCP', '90s', 'app=web'],
    ['np', 'NodePort', '198.19.0.6', '<none>', '80:30080/TCP', '90s', '<none>'],
    ['lb', 'LoadBalancer', '198.19.0.7', '<pending>', '443:31443/TCP', '90s', '<none>'],
    // Like Kubernetes, the server prints wide: kubectl gets the addresses uncut.
    ['lb2', 'LoadBalancer', '198.19.0.8', '198.18.200.1,a-very-long-balancer.example.com', '443:31444/TCP', '90s', '<none>'],
    ['db', 'ExternalName', '<none>', 'db.example.com', '<none>', '90s', '<none>'],
    ['hl', 'ClusterIP', 'None', '<none>', '5432/TCP', '90s', '<none>'],
  ]);
});

test('includeObject: Metadata gives PartialObjectMetadata, Object the object', (t) => {
  const meta = table('Pod', [running], 'Metadata').rows[0]!.object;
  t.deepEqual(meta, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: running.metadata });
  t.is(table('Pod', [running], 'Object').rows[0]!.object, running);
});

test('list metadata, noHeaders, and kinds without their own columns', (t) => {
  const tb = toTable('Pod', [running, running], { now, includeObject: 'None', noHeaders: true, listMeta: { resourceVersion: '99', continue: 'abc', remainingItemCount: 4 } }) as unknown as Table;
  t.deepEqual(tb.metadata, { resourceVersion: '99', continue: 'abc', remainingItemCount: 4 });
  t.deepEqual(tb.columnDefinitions, []);
  t.is(tb.rows.length, 2);
  const other = table('Widget', [{ kind: 'Widget', metadata: { name: 'w', creationTimestamp: ago(10) } }]);
  t.deepEqual(names(other), ['Name', 'Age']);
  t.deepEqual(other.rows[0]!.cells, ['w', '10s']);
});

test('other kinds: events, secrets, configmaps, serviceaccounts, rbac', (t) => {
  const ev = table('Event', [{
    apiVersion: 'v1', kind: 'Event', metadata: { name: 'web.1', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'web', fieldPath: 'spec.containers{app}' },
    reason: 'Pulled', type: 'Normal', message: 'ok', lastTimestamp: ago(5), firstTimestamp: ago(60), count: 2, source: { component: 'kubelet' },
  }]);
  t.deepEqual(names(ev), ['Last Seen', 'Type', 'Reason', 'Object', 'Subobject', 'Source', 'Message', 'First Seen', 'Count', 'Name']);
  t.deepEqual(ev.rows[0]!.cells, ['5s', 'Normal', 'Pulled', 'pod/web', 'spec.containers{app}', 'kubelet', 'ok', '60s', 2, 'web.1']);
  t.is(ev.columnDefinitions.find((c) => c.name === 'Name')!.priority, 1);
  t.deepEqual(table('Secret', [{ kind: 'Secret', metadata: { name: 's' }, type: 'kubernetes.io/tls', data: { a: '', b: '' } }]).rows[0]!.cells, ['s', 'kubernetes.io/tls', 2, '<unknown>']);
  t.deepEqual(table('ConfigMap', [{ kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '' } }]).rows[0]!.cells, ['c', 1, '<unknown>']);
  t.deepEqual(table('ServiceAccount', [{ kind: 'ServiceAccount', metadata: { name: 'default' } }]).rows[0]!.cells, ['default', 0, '<unknown>']);
  const role = table('ClusterRole', [{ kind: 'ClusterRole', metadata: { name: 'view', creationTimestamp: '2024-05-01T11:00:00.123Z' } }]);
  t.deepEqual(names(role), ['Name', 'Created At']);
  t.deepEqual(role.rows[0]!.cells, ['view', '2024-05-01T11:00:00Z']);
  const rb = table('RoleBinding', [{
    kind: 'RoleBinding', metadata: { name: 'rb', creationTimestamp: ago(30) }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [{ kind: 'User', name: 'alice' }, { kind: 'Group', name: 'devs' }, { kind: 'ServiceAccount', name: 'bot', namespace: 'ci' }, { kind: 'User', name: 'bob' }],
  }]);
  t.deepEqual(names(rb), ['Name', 'Role', 'Age', 'Users', 'Groups', 'ServiceAccounts']);
  t.deepEqual(rb.rows[0]!.cells, ['rb', 'ClusterRole/view', '30s', 'alice, bob', 'devs', 'ci/bot']);
});
