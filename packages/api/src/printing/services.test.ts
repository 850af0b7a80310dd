import test from 'ava';
import type { EndpointSlice, KubeObject } from '../types.js';
import { formatServiceEndpoints } from './services.js';

const now = Date.parse('2024-05-01T12:00:00Z');
const ago = (s: number): string => new Date(now - s * 1000).toISOString();

const slice = (name: string, endpoints: EndpointSlice['endpoints'], ports: EndpointSlice['ports']): EndpointSlice & KubeObject =>
  ({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name, namespace: 'default', creationTimestamp: ago(30), labels: { 'kubernetes.io/service-name': 'web' } }, addressType: 'IPv4', endpoints, ...(ports ? { ports } : {}) });

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
