// Objects for tests: Services, EndpointSlices and Pods as the API server stores them.
import type { EndpointSlice, KubeObject, Pod, Service, ServicePort } from '@tugboat/api';
import { SERVICE_NAME_LABEL } from './cluster-index.js';

export type Svc = Service & KubeObject;
export type Slice = EndpointSlice & KubeObject;
export type PodObj = Pod & KubeObject;

export function service(namespace: string, name: string, spec: { clusterIP?: string; type?: string; externalName?: string; ports?: ServicePort[] } = {}): Svc {
  const ports = spec.ports ?? [{ name: 'http', port: 80, protocol: 'TCP' }];
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: {
      type: spec.type ?? 'ClusterIP',
      ...(spec.externalName ? { externalName: spec.externalName } : { ports }),
      ...(spec.clusterIP ? { clusterIP: spec.clusterIP, clusterIPs: [spec.clusterIP] } : {}),
    },
  };
}

export interface EndpointSpec {
  ip: string;
  hostname?: string;
  ready?: boolean;
}

export function slice(namespace: string, svc: string, name: string, endpoints: EndpointSpec[], ports: { name?: string; port: number; protocol?: string }[] = [{ name: 'http', port: 8080, protocol: 'TCP' }]): Slice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace, labels: { [SERVICE_NAME_LABEL]: svc } },
    addressType: 'IPv4',
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      ...(e.hostname ? { hostname: e.hostname } : {}),
      ...(e.ready === undefined ? {} : { conditions: { ready: e.ready } }),
    })),
    ports: ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, protocol: p.protocol ?? 'TCP' })),
  };
}

export function pod(namespace: string, name: string, ip: string | undefined, terminating = false): PodObj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, ...(terminating ? { deletionTimestamp: new Date().toISOString() } : {}) },
    spec: { containers: [{ name: 'main', image: 'busybox' }] },
    ...(ip ? { status: { podIP: ip, podIPs: [{ ip }] } } : {}),
  };
}
