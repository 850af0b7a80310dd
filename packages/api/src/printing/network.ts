// Services, Endpoints and EndpointSlices, with the columns of Kubernetes' printService,
// printEndpoints and printEndpointSlice.
import type { EndpointSlice, Endpoints, Service } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, column, created, wide, type KindPrinter } from './columns.js';
import { labelsOrNone } from './format.js';
import { formatEndpoints, formatSliceEndpoints, formatSlicePorts, serviceClusterIP, serviceExternalIP, servicePorts } from './services.js';

export const services: KindPrinter = {
  columns: [
    NAME_COLUMN,
    column('Type', 'string', 'type determines how the Service is exposed.'),
    column('Cluster-IP', 'string', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
    column('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
    column('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
    AGE_COLUMN,
    wide(column('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.')),
  ],
  row(o, { now, wide: wideOutput }) {
    const svc = o as Service;
    return [
      svc.metadata?.name ?? '', svc.spec?.type ?? 'ClusterIP', serviceClusterIP(svc), serviceExternalIP(svc, wideOutput), servicePorts(svc.spec?.ports), created(o, now),
      labelsOrNone(svc.spec?.selector),
    ];
  },
};

export const endpoints: KindPrinter = {
  columns: [NAME_COLUMN, column('Endpoints', 'string', 'The set of all endpoints is the union of all subsets.'), AGE_COLUMN],
  row: (o, { now }) => [o.metadata?.name ?? '', formatEndpoints(o as Endpoints), created(o, now)],
};

export const endpointslices: KindPrinter = {
  columns: [
    NAME_COLUMN,
    column('AddressType', 'string', 'addressType specifies the type of address carried by this EndpointSlice.'),
    column('Ports', 'string', 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
    column('Endpoints', 'string', 'endpoints is a list of unique endpoints in this slice.'),
    AGE_COLUMN,
  ],
  row(o, { now }) {
    const slice = o as unknown as EndpointSlice;
    return [o.metadata?.name ?? '', slice.addressType ?? '', formatSlicePorts(slice), formatSliceEndpoints(slice), created(o, now)];
  },
};
