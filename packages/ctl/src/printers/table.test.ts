import test from 'ava';
import { renderTable } from './table.js';
import { TablePrinter, podsByNode } from './table-printer.js';
import { kindInfo, type EndpointPort, type EndpointSlice, type KubeObject, type Pod, type Service } from '@tugboat/api';

const now = Date.parse('2024-05-01T12:00:00Z');
const ago = (seconds: number): string => new Date(now - seconds * 1000).toISOString();

test('columns are left aligned, three spaces apart, no trailing spaces', (t) => {
  const lines = renderTable(['NAME', 'READY', 'STATUS'], [['web', '1/1', 'Running'], ['a-long-name', '0/1', 'Pending']]);
  t.deepEqual(lines, [
    'NAME          READY   STATUS',
    'web           1/1     Running',
    'a-long-name   0/1     Pending',
  ]);
  t.deepEqual(renderTable(['NAME', 'AGE'], [['x', '5s']], { noHeaders: true }), ['x   5s']);
});

const pod = (name: string, extra: Partial<Pod> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'default', creationTimestamp: ago(65), labels: { app: 'web' } },
  spec: { containers: [{ name: 'c', image: 'busybox' }], nodeName: 'node-1' },
  status: { phase: 'Running', podIP: '10.0.0.5', containerStatuses: [{ name: 'c', image: 'busybox', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: ago(60) } } }] },
  ...extra,
} as KubeObject);

test('pods: kubectl columns, wide adds IP and NODE, -A adds NAMESPACE, labels', (t) => {
  const p = new TablePrinter({ info: kindInfo('Pod')!, wide: true, allNamespaces: true, showKind: false, showLabels: true, labelColumns: ['app'] });
  t.deepEqual(p.headers(), ['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'APP', 'LABELS']);
  t.deepEqual(p.row(pod('web'), now), ['default', 'web', '1/1', 'Running', '0', '65s', '10.0.0.5', 'node-1', 'web', 'app=web']);
});

test('several kinds: names carry the kind', (t) => {
  const p = new TablePrinter({ info: kindInfo('Deployment')!, wide: false, allNamespaces: false, showKind: true, showLabels: false, labelColumns: [] });
  const d = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', creationTimestamp: ago(4 * 3600) }, spec: { replicas: 3 }, status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } };
  t.deepEqual(p.headers(), ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
  t.deepEqual(p.row(d, now), ['deployment.apps/api', '2/3', '3', '2', '4h']);
});

test('nodes: status, roles, version; wide adds requests per node', (t) => {
  const node: KubeObject = {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name: 'node-1', creationTimestamp: ago(120), labels: { 'node-role.kubernetes.io/worker': '' } },
    spec: { unschedulable: true },
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      allocatable: { cpu: '2', memory: '4Gi', pods: '110' },
      nodeInfo: { kubeletVersion: 'v0.1.0' },
    },
  };
  const withRequests = (name: string, cpu: string, memory: string): Pod => ({
    metadata: { name }, spec: { nodeName: 'node-1', containers: [{ name: 'c', resources: { requests: { cpu, memory } } }] }, status: { phase: 'Running' },
  });
  const done: Pod = { metadata: { name: 'done' }, spec: { nodeName: 'node-1', containers: [{ name: 'c', resources: { requests: { cpu: '1' } } }] }, status: { phase: 'Succeeded' } };
  const p = new TablePrinter({
    info: kindInfo('Node')!, wide: true, allNamespaces: true, showKind: false, showLabels: false, labelColumns: [],
    podsByNode: podsByNode([withRequests('a', '250m', '256Mi'), withRequests('b', '50m', '256Mi'), done]),
  });
  t.deepEqual(p.headers(), ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP', 'CPU(REQ/ALLOC)', 'MEMORY(REQ/ALLOC)', 'PODS']);
  t.deepEqual(p.row(node, now), ['node-1', 'Ready,SchedulingDisabled', 'worker', '2m', 'v0.1.0', '127.0.0.1', '300m/2', '512Mi/4Gi', '2/110']);
});

test('events: no NAME column, sorted oldest first, OBJECT as kind/name', (t) => {
  const ev = (name: string, secondsAgo: number): KubeObject => ({
    apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: 'default' },
    involvedObject: { kind: 'Pod', name: 'web' }, reason: 'Scheduled', type: 'Normal', message: `m ${name}`, lastTimestamp: ago(secondsAgo),
  });
  const p = new TablePrinter({ info: kindInfo('Event')!, wide: false, allNamespaces: false, showKind: false, showLabels: false, labelColumns: [] });
  t.deepEqual(p.headers(), ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
  const sorted = p.sort([ev('new', 5), ev('old', 300)]);
  t.deepEqual(sorted.map((e) => e.metadata?.name), ['old', 'new']);
  t.deepEqual(p.row(sorted[1]!, now), ['5s', 'Normal', 'Scheduled', 'pod/web', 'm new']);
});

test('configmaps, secrets, leases, namespaces, replicasets', (t) => {
  const row = (kind: string, obj: Record<string, unknown>): string[] =>
    new TablePrinter({ info: kindInfo(kind)!, wide: false, allNamespaces: false, showKind: false, showLabels: false, labelColumns: [] })
      .row({ kind, metadata: { name: 'x', creationTimestamp: ago(3) }, ...obj }, now);
  t.deepEqual(row('ConfigMap', { data: { a: '1', b: '2' } }), ['x', '2', '3s']);
  t.deepEqual(row('Secret', { type: 'Opaque', data: { a: 'MQ==' } }), ['x', 'Opaque', '1', '3s']);
  t.deepEqual(row('Lease', { spec: { holderIdentity: 'node-1' } }), ['x', 'node-1', '3s']);
  t.deepEqual(row('Namespace', { status: { phase: 'Terminating' } }), ['x', 'Terminating', '3s']);
  t.deepEqual(row('ReplicaSet', { spec: { replicas: 3 }, status: { replicas: 3, readyReplicas: 1 } }), ['x', '3', '3', '1', '3s']);
});

const printer = (kind: string, wide = false): TablePrinter =>
  new TablePrinter({ info: kindInfo(kind)!, wide, allNamespaces: false, showKind: false, showLabels: false, labelColumns: [] });

const service = (name: string, spec: Service['spec'], status: Service['status'] = {}): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', creationTimestamp: ago(90) }, spec, status } as KubeObject);

test('services: NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE, wide adds SELECTOR', (t) => {
  const p = printer('Service', true);
  t.deepEqual(p.headers(), ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR']);
  t.deepEqual(p.row(service('web', {
    type: 'ClusterIP', clusterIP: '198.19.0.5', clusterIPs: ['198.19.0.5'], selector: { tier: 'fe', app: 'web' },
    ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }, { name: 'dns', port: 53, protocol: 'UDP' }],
  }), now), ['web', 'ClusterIP', '198.19.0.5', '<none>', '80/TCP,53/UDP', '90s', 'app=web,tier=fe']);
  const narrow = printer('Service');
  t.deepEqual(narrow.headers(), ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
  t.deepEqual(narrow.row(service('np', { type: 'NodePort', clusterIPs: ['198.19.0.6'], externalIPs: ['198.18.9.9'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] }), now),
    ['np', 'NodePort', '198.19.0.6', '198.18.9.9', '80:30080/TCP', '90s']);
  t.deepEqual(narrow.row(service('lb', { type: 'LoadBalancer', clusterIPs: ['198.19.0.7'], ports: [{ port: 443, nodePort: 31443, protocol: 'TCP' }] }), now),
    ['lb', 'LoadBalancer', '198.19.0.7', '<pending>', '443:31443/TCP', '90s']);
  const lbStatus = { loadBalancer: { ingress: [{ hostname: 'a-very-long-balancer.example.com' }, { ip: '198.18.200.1' }] } };
  t.is(narrow.row(service('lb2', { type: 'LoadBalancer', clusterIPs: ['198.19.0.8'] }, lbStatus), now)[3], '198.18.200.1,...');
  t.is(p.row(service('lb2', { type: 'LoadBalancer', clusterIPs: ['198.19.0.8'] }, lbStatus), now)[3], '198.18.200.1,a-very-long-balancer.example.com');
  t.deepEqual(narrow.row(service('db', { type: 'ExternalName', externalName: 'db.example.com' }), now), ['db', 'ExternalName', '<none>', 'db.example.com', '<none>', '90s']);
  t.deepEqual(p.row(service('hl', { clusterIP: 'None', clusterIPs: ['None'], ports: [{ port: 5432 }] }), now), ['hl', 'ClusterIP', 'None', '<none>', '5432/TCP', '90s', '<none>']);
});

test('endpoints: NAME ENDPOINTS AGE, three shown then "+ N more..."', (t) => {
  const p = printer('Endpoints');
  t.deepEqual(p.headers(), ['NAME', 'ENDPOINTS', 'AGE']);
  const ep = (subsets: unknown): KubeObject => ({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', creationTimestamp: ago(5) }, subsets });
  const addresses = ['198.18.1.2', '198.18.1.3', '198.18.2.2', '198.18.2.3'].map((ip) => ({ ip }));
  t.deepEqual(p.row(ep([{ addresses, ports: [{ port: 8080, protocol: 'TCP' }] }]), now), ['web', '198.18.1.2:8080,198.18.1.3:8080,198.18.2.2:8080 + 1 more...', '5s']);
  t.deepEqual(p.row(ep([{ addresses: addresses.slice(0, 2), ports: [{ port: 80 }, { port: 443 }] }]), now), ['web', '198.18.1.2:80,198.18.1.3:80,198.18.1.2:443 + 1 more...', '5s']);
  t.is(p.row(ep([{ addresses: addresses.slice(0, 3), ports: [{ port: 80 }] }]), now)[1], '198.18.1.2:80,198.18.1.3:80,198.18.2.2:80');
  t.is(p.row(ep([{ addresses: [{ ip: '198.18.1.2' }] }]), now)[1], '198.18.1.2', 'headless without ports: addresses alone');
  t.is(p.row(ep(undefined), now)[1], '<none>');
});

const slice = (name: string, endpoints: EndpointSlice['endpoints'], ports: EndpointPort[]): EndpointSlice & KubeObject =>
  ({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name, namespace: 'default', creationTimestamp: ago(30), labels: { 'kubernetes.io/service-name': 'web' } }, addressType: 'IPv4', endpoints, ports });

test('endpointslices: NAME ADDRESSTYPE PORTS ENDPOINTS AGE, "<unset>" for none', (t) => {
  const p = printer('EndpointSlice');
  t.deepEqual(p.headers(), ['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE']);
  const eps = ['198.18.1.2', '198.18.1.3', '198.18.2.2', '198.18.2.3', '198.18.3.2'].map((a) => ({ addresses: [a] }));
  t.deepEqual(p.row(slice('web-abcde', eps, [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'admin', protocol: 'TCP' }]), now),
    ['web-abcde', 'IPv4', '8080,admin', '198.18.1.2,198.18.1.3,198.18.2.2 + 2 more...', '30s']);
  t.deepEqual(p.row(slice('empty-xyz', [], []), now), ['empty-xyz', 'IPv4', '<unset>', '<unset>', '30s']);
  const fivePorts = [1, 2, 3, 4, 5].map((port) => ({ port }));
  t.is(p.row(slice('many', [], fivePorts), now)[2], '1,2,3 + 2 more...');
});
