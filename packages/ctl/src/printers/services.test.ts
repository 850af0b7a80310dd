import test from 'ava';
import { kindInfo, type EndpointSlice, type KubeObject, type Service } from '@tugboat/api';
import { describeObject } from './describe.js';
import { formatServiceEndpoints } from './services.js';
import { TablePrinter } from './table-printer.js';

const now = Date.parse('2024-05-01T12:00:00Z');
const ago = (s: number): string => new Date(now - s * 1000).toISOString();

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

const slice = (name: string, endpoints: EndpointSlice['endpoints'], ports: EndpointSlice['ports']): EndpointSlice & KubeObject =>
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

test('describe\'s endpoints per Service port: ready ones from the slices, by port name', (t) => {
  const slices = [
    slice('web-1', [{ addresses: ['198.18.1.2'], conditions: { ready: true } }, { addresses: ['198.18.1.3'], conditions: { ready: false } }, { addresses: ['198.18.1.4'] }],
      [{ name: 'http', port: 8080 }, { name: 'metrics', port: 9090 }]),
    slice('web-2', [{ addresses: ['198.18.2.2'] }, { addresses: ['198.18.2.3'] }], [{ name: 'http', port: 8080 }]),
  ];
  t.is(formatServiceEndpoints(slices, 'http'), '198.18.1.2:8080,198.18.1.4:8080,198.18.2.2:8080 + 1 more...');
  t.is(formatServiceEndpoints(slices, 'metrics'), '198.18.1.2:9090,198.18.1.4:9090');
  t.is(formatServiceEndpoints(slices, 'other'), '');
  t.is(formatServiceEndpoints([], 'http'), '<none>');
  t.is(formatServiceEndpoints([slice('hl', [{ addresses: ['198.18.1.9'] }], [])], ''), '198.18.1.9', 'headless, no ports');
});

test('describe svc as kubectl prints it', (t) => {
  const svc = {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: 'web', namespace: 'default', uid: 's1', labels: { app: 'web' }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', team: 'shop' }, creationTimestamp: ago(60) },
    spec: {
      type: 'NodePort', selector: { app: 'web' }, clusterIP: '198.19.0.5', clusterIPs: ['198.19.0.5'], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack',
      ports: [{ port: 80, targetPort: 8080, nodePort: 30080, protocol: 'TCP' }, { name: 'admin', port: 9000, targetPort: 'admin-port', protocol: 'TCP' }],
      sessionAffinity: 'None', externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster',
    },
  } as KubeObject;
  const slices = [slice('web-1', [{ addresses: ['198.18.1.2'] }], [{ name: '', port: 8080 }, { name: 'admin', port: 9001 }])];
  const text = describeObject(svc, { events: [], endpointSlices: slices }, now, true);
  t.is(text, [
    'Name:                     web',
    'Namespace:                default',
    'Labels:                   app=web',
    'Annotations:              team: shop',
    'Selector:                 app=web',
    'Type:                     NodePort',
    'IP Family Policy:         SingleStack',
    'IP Families:              IPv4',
    'IP:                       198.19.0.5',
    'IPs:                      198.19.0.5',
    'Port:                     <unset>  80/TCP',
    'TargetPort:               8080/TCP',
    'NodePort:                 <unset>  30080/TCP',
    'Endpoints:                198.18.1.2:8080',
    'Port:                     admin  9000/TCP',
    'TargetPort:               admin-port/TCP',
    'Endpoints:                198.18.1.2:9001',
    'Session Affinity:         None',
    'External Traffic Policy:  Cluster',
    'Internal Traffic Policy:  Cluster',
    'Events:                   <none>',
    '',
  ].join('\n'));
  const noSlices = describeObject(svc, { events: [] }, now, true);
  t.regex(noSlices, /^Endpoints: +<none>$/m);
});
