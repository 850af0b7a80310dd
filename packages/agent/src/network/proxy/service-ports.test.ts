import test from 'ava';
import type { EndpointPort, EndpointSlice, Service, ServiceSpec } from '@tugboat/api';
import { proxyService, sliceServiceKey } from './service-ports.js';

const svc = (spec: ServiceSpec, name = 'web', namespace = 'default'): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec });

interface Ep { ip: string; ready?: boolean; serving?: boolean; terminating?: boolean }
const slice = (service: string, name: string, endpoints: Ep[], ports: EndpointPort[], extra: Partial<EndpointSlice> = {}): EndpointSlice => ({
  apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
  metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
  endpoints: endpoints.map((e) => ({
    addresses: [e.ip],
    conditions: {
      ...(e.ready !== undefined ? { ready: e.ready } : {}),
      ...(e.serving !== undefined ? { serving: e.serving } : {}),
      ...(e.terminating !== undefined ? { terminating: e.terminating } : {}),
    },
  })),
  ports,
  ...extra,
});

const HTTP = [{ name: 'http', port: 8080, protocol: 'TCP' }];

test('ready endpoints of every slice of the Service, sorted and without duplicates; an unset ready counts as ready', (t) => {
  const s = svc({ clusterIP: '198.19.0.20', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }] });
  const info = proxyService(s, [
    slice('web', 'web-a', [{ ip: '198.18.1.12', ready: true }, { ip: '198.18.1.9' }, { ip: '198.18.1.30', ready: false }], HTTP),
    slice('web', 'web-b', [{ ip: '198.18.1.12', ready: true }, { ip: '198.18.1.100', ready: true }], HTTP),
    slice('other', 'other-a', [{ ip: '198.18.1.50', ready: true }], HTTP),
  ]);
  t.deepEqual(info, {
    namespace: 'default', name: 'web', clusterIP: '198.19.0.20', externalIPs: [],
    ports: [{ name: 'http', protocol: 'tcp', port: 80, endpoints: [{ ip: '198.18.1.9', port: 8080 }, { ip: '198.18.1.12', port: 8080 }, { ip: '198.18.1.100', port: 8080 }] }],
  });
});

test('with no ready endpoint, the serving ones that terminate are used (kube-proxy\'s fallback); not-serving ones never', (t) => {
  const s = svc({ clusterIP: '198.19.0.20', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] });
  const eps = [
    { ip: '198.18.1.2', ready: false, serving: true, terminating: true },
    { ip: '198.18.1.3', ready: false, serving: false, terminating: true },
    { ip: '198.18.1.4', ready: false },
  ];
  t.deepEqual(proxyService(s, [slice('web', 'a', eps, HTTP)])?.ports[0]?.endpoints, [{ ip: '198.18.1.2', port: 8080 }]);
  const withReady = [...eps, { ip: '198.18.1.5', ready: true }];
  t.deepEqual(proxyService(s, [slice('web', 'a', withReady, HTTP)])?.ports[0]?.endpoints, [{ ip: '198.18.1.5', port: 8080 }]);
});

test('slice ports match Service ports by name and protocol; an unnamed port is named by its number', (t) => {
  const s = svc({
    type: 'NodePort', clusterIP: '198.19.0.10', externalIPs: ['198.19.255.9', 'fd00::1'],
    ports: [{ name: 'dns', port: 53, protocol: 'UDP', nodePort: 30053 }, { name: 'dns-tcp', port: 53, protocol: 'TCP', nodePort: 30054 }],
  }, 'kube-dns', 'tugboat-system');
  const sl: EndpointSlice = {
    ...slice('kube-dns', 'kube-dns-x', [{ ip: '198.18.1.7' }], [{ name: 'dns', port: 1053, protocol: 'UDP' }, { name: 'dns-tcp', port: 1053, protocol: 'TCP' }, { name: 'metrics', port: 9153, protocol: 'TCP' }]),
    metadata: { name: 'kube-dns-x', namespace: 'tugboat-system', labels: { 'kubernetes.io/service-name': 'kube-dns' } },
  };
  const info = proxyService(s, [sl, { ...sl, addressType: 'IPv6', metadata: { ...sl.metadata, name: 'v6' } }]);
  t.deepEqual(info?.externalIPs, ['198.19.255.9']);
  t.deepEqual(info?.ports.map((p) => [p.name, p.protocol, p.port, p.nodePort, p.endpoints]), [
    ['dns', 'udp', 53, 30053, [{ ip: '198.18.1.7', port: 1053 }]],
    ['dns-tcp', 'tcp', 53, 30054, [{ ip: '198.18.1.7', port: 1053 }]],
  ]);
  const single = proxyService(svc({ clusterIP: '198.19.0.21', ports: [{ port: 80, protocol: 'TCP' }] }, 'one'), [slice('one', 'one-a', [{ ip: '198.18.1.8' }], [{ port: 8080, protocol: 'TCP' }])]);
  t.deepEqual(single?.ports[0], { name: '80', protocol: 'tcp', port: 80, endpoints: [{ ip: '198.18.1.8', port: 8080 }] });
});

test('no rules for headless, ExternalName or IPv6-only Services; node ports only for NodePort and LoadBalancer', (t) => {
  t.is(proxyService(svc({ clusterIP: 'None', ports: [{ port: 80 }] }), []), undefined);
  t.is(proxyService(svc({ type: 'ExternalName', externalName: 'example.com' }), []), undefined);
  t.is(proxyService(svc({ clusterIP: 'fd00::10', ports: [{ port: 80 }] }), []), undefined);
  const clusterIPOnly = proxyService(svc({ type: 'ClusterIP', clusterIP: '198.19.0.20', ports: [{ port: 80, nodePort: 30080 }] }), []);
  t.is(clusterIPOnly?.ports[0]?.nodePort, undefined);
  t.deepEqual(clusterIPOnly?.ports[0]?.endpoints, [], 'a Service without endpoints keeps its port (to refuse it)');
  t.is(proxyService(svc({ type: 'LoadBalancer', clusterIP: '198.19.0.20', ports: [{ port: 80, nodePort: 30080 }] }), [])?.ports[0]?.nodePort, 30080);
  t.is(sliceServiceKey(slice('web', 'w', [], [])), 'default/web');
  t.is(sliceServiceKey({ addressType: 'IPv4', endpoints: [], metadata: { name: 'x', namespace: 'default' } }), undefined);
});
