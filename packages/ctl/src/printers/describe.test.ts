import test from 'ava';
import type { EndpointPort, EndpointSlice, Event, KubeObject } from '@tugboat/api';
import { describeObject, eventsFor } from './describe.js';

const now = Date.parse('2024-05-01T12:00:00Z');
const ago = (s: number): string => new Date(now - s * 1000).toISOString();

const pod: KubeObject = {
  apiVersion: 'v1', kind: 'Pod',
  metadata: {
    name: 'web', namespace: 'default', uid: 'u1', creationTimestamp: ago(60), labels: { app: 'web', tier: 'fe' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', note: 'hi' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'rs1', controller: true }],
  },
  spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'busybox', command: ['sleep', '10'], resources: { requests: { cpu: '100m' } } }] },
  status: {
    phase: 'Running', podIP: '127.0.0.1', hostIP: '127.0.0.1', startTime: ago(59),
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [{ name: 'c', image: 'busybox', imageID: '', ready: true, restartCount: 2, state: { running: { startedAt: ago(30) } }, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(31) } } }],
  },
};

const event = (name: string, uid: string, reason: string, secondsAgo: number, count = 1): Event => ({
  metadata: { name, namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', uid },
  reason, message: `${reason} happened`, type: 'Normal', source: { component: 'tugboat-agent' },
  firstTimestamp: ago(secondsAgo + 100), lastTimestamp: ago(secondsAgo), count,
});

test('a pod: identity, labels without the last-applied annotation, containers, conditions, events oldest first', (t) => {
  const events = eventsFor(pod, [event('b', 'u1', 'Started', 5, 3), event('a', 'u1', 'Scheduled', 50), event('x', 'other', 'Killing', 1)]);
  const text = describeObject(pod, { events }, now, true);
  const lines = text.split('\n');
  t.is(lines[0], 'Name:             web');
  t.true(lines.includes('Namespace:        default'));
  t.true(lines.includes('Node:             node-1/127.0.0.1'));
  t.true(lines.includes('Labels:           app=web'));
  t.true(lines.includes('                  tier=fe'));
  t.true(lines.includes('Annotations:      note: hi'));
  t.false(text.includes('last-applied'));
  t.true(lines.includes('Controlled By:    ReplicaSet/web-abc'));
  t.regex(text, /^ {4}State:\s+Running$/m);
  t.regex(text, /^ {4}Last State:\s+Terminated$/m);
  t.regex(text, /^ {6}Exit Code:\s+1$/m);
  t.regex(text, /^ {4}Restart Count:\s+2$/m);
  t.regex(text, /^ {4}Requests:\s+cpu: 100m$/m);
  t.regex(text, /^ {2}Ready\s+True$/m);
  const ev = text.slice(text.indexOf('Events:'));
  t.regex(ev, /Type\s+Reason\s+Age\s+From\s+Message/);
  t.true(ev.indexOf('Scheduled') < ev.indexOf('Started'));
  t.regex(ev, /Started\s+5s \(x3 over 105s\)\s+tugboat-agent\s+Started happened/);
  t.false(ev.includes('Killing'), 'another object\'s event is not shown');
});

test('a node: taints, conditions, addresses, non-terminated pods with their share', (t) => {
  const node: KubeObject = {
    apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', creationTimestamp: ago(600) },
    spec: { unschedulable: true, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] },
    status: {
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ok' }],
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      allocatable: { cpu: '2', memory: '4Gi', pods: '110' },
    },
  };
  const text = describeObject(node, { events: [], pods: [pod as never], lease: { spec: { holderIdentity: 'node-1', renewTime: ago(1) } } }, now, false);
  t.regex(text, /^Taints:\s+dedicated=gpu:NoSchedule$/m);
  t.regex(text, /^Unschedulable:\s+true$/m);
  t.regex(text, /^ {2}HolderIdentity:\s+node-1$/m);
  t.regex(text, /^ {2}Ready\s+True\s+.*KubeletReady\s+ok$/m);
  t.regex(text, /^ {2}InternalIP:\s+127\.0\.0\.1$/m);
  t.regex(text, /^Non-terminated Pods:\s+\(1 in total\)$/m);
  t.regex(text, /^ {2}default\s+web\s+100m \(5%\)\s+0 \(0%\)/m);
  t.regex(text, /^ {2}cpu\s+100m \(5%\)\s+0 \(0%\)$/m);
  t.regex(text, /^Events:\s+<none>$/m);
});

const slice = (name: string, endpoints: EndpointSlice['endpoints'], ports: EndpointPort[]): EndpointSlice & KubeObject =>
  ({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name, namespace: 'default', creationTimestamp: ago(30), labels: { 'kubernetes.io/service-name': 'web' } }, addressType: 'IPv4', endpoints, ports });

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

test('describe pvc as kubectl prints it: class, status, volume, capacity, modes, the pods using it', (t) => {
  const pvc: KubeObject = {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim',
    metadata: { name: 'data', namespace: 'default', uid: 'c1', creationTimestamp: ago(60), annotations: { 'pv.kubernetes.io/bind-completed': 'yes' } },
    spec: { storageClassName: 'local-path', volumeName: 'pvc-c1', volumeMode: 'Filesystem', accessModes: ['ReadWriteOnce'] },
    status: { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] },
  };
  const text = describeObject(pvc, { events: [], pods: [{ metadata: { name: 'writer' } }] }, now, true);
  for (const line of ['Name:          data', 'StorageClass:  local-path', 'Status:        Bound', 'Volume:        pvc-c1', 'Capacity:      1Gi', 'Access Modes:  RWO', 'VolumeMode:    Filesystem', 'Used By:       writer']) {
    t.true(text.includes(line), `${line}\n${text}`);
  }
});
