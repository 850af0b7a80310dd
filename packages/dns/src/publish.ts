// Publishing the server as Kubernetes' cluster DNS is published: the Service kube-dns in
// tugboat-system (selector-less, ClusterIP --service-ip, ports dns 53/UDP, dns-tcp 53/TCP,
// metrics 9153/TCP) and an EndpointSlice of its own (managed-by tugboat-dns) holding
// --advertise-address with the ports this process really listens on. The node proxies then
// steer 198.19.0.10:53 to it, as kube-proxy does for kube-dns.
//
// One slice per advertised address (kube-dns-198-19-255-1), so replicas on different hosts
// each add themselves and a restart on the same host replaces its own entry. The Service
// carries no selector: the EndpointSlice controller leaves it alone and this process is the
// only writer of its slice.
import { isIPv6 } from 'node:net';
import { SYSTEM_NAMESPACE, retryOnConflict, type EndpointSlice, type KubeObject, type Service, type ServicePort, type TugboatClient } from '@tugboat/api';
import { SERVICE_NAME_LABEL } from './cluster-index.js';

export const DNS_SERVICE_NAME = 'kube-dns';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'tugboat-dns';
/** The port the Service offers metrics on (CoreDNS's). */
export const METRICS_SERVICE_PORT = 9153;

export interface PublishOptions {
  /** The Service's ClusterIP (--service-ip). */
  readonly serviceIP: string;
  /** Where pods reach this process (--advertise-address). */
  readonly advertiseAddress: string;
  /** The UDP and TCP port this process answers DNS on. */
  readonly dnsPort: number;
  /** The port of /metrics (--http-listen). */
  readonly metricsPort: number;
  readonly namespace?: string;
}

type Svc = Service & KubeObject;
type Slice = EndpointSlice & KubeObject;
/** The slice this process publishes: it always names its ports, so an update replaces them. */
type DesiredSlice = Slice & { ports: NonNullable<Slice['ports']> };

const SERVICE_LABELS = { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true' };

export function sliceName(advertiseAddress: string): string {
  return `${DNS_SERVICE_NAME}-${advertiseAddress.toLowerCase().replace(/[.:]/g, '-').replace(/^-+|-+$/g, '')}`;
}

export function desiredService(opts: PublishOptions): Svc {
  const ports: ServicePort[] = [
    { name: 'dns', port: 53, protocol: 'UDP', targetPort: opts.dnsPort },
    { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: opts.dnsPort },
    { name: 'metrics', port: METRICS_SERVICE_PORT, protocol: 'TCP', targetPort: opts.metricsPort },
  ];
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: DNS_SERVICE_NAME, namespace: opts.namespace ?? SYSTEM_NAMESPACE, labels: { ...SERVICE_LABELS } },
    spec: { type: 'ClusterIP', clusterIP: opts.serviceIP, clusterIPs: [opts.serviceIP], ports },
  };
}

export function desiredSlice(opts: PublishOptions, ready: boolean, owner?: Svc): DesiredSlice {
  const uid = owner?.metadata?.uid;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: sliceName(opts.advertiseAddress),
      namespace: opts.namespace ?? SYSTEM_NAMESPACE,
      labels: { [SERVICE_NAME_LABEL]: DNS_SERVICE_NAME, [MANAGED_BY_LABEL]: MANAGED_BY },
      ...(uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: DNS_SERVICE_NAME, uid, controller: true, blockOwnerDeletion: true }] } : {}),
    },
    addressType: isIPv6(opts.advertiseAddress) ? 'IPv6' : 'IPv4',
    endpoints: [{ addresses: [opts.advertiseAddress], conditions: { ready, serving: ready, terminating: !ready } }],
    ports: [
      { name: 'dns', port: opts.dnsPort, protocol: 'UDP' },
      { name: 'dns-tcp', port: opts.dnsPort, protocol: 'TCP' },
      { name: 'metrics', port: opts.metricsPort, protocol: 'TCP' },
    ],
  };
}

const portKey = (ports: readonly ServicePort[] | undefined): string =>
  JSON.stringify((ports ?? []).map((p) => [p.name ?? '', p.port, p.protocol ?? 'TCP', p.targetPort ?? p.port]));

/** What of a slice this process owns, in a fixed shape (key order and defaults aside). */
const sliceKey = (s: Slice): string => JSON.stringify([
  (s.endpoints ?? []).map((e) => [e.addresses ?? [], e.conditions?.ready ?? null, e.conditions?.serving ?? null, e.conditions?.terminating ?? null]),
  (s.ports ?? []).map((p) => [p.name ?? '', p.port ?? null, p.protocol ?? 'TCP']),
  (s.metadata?.ownerReferences ?? []).map((o) => o.uid),
]);

const hasLabels = (o: KubeObject, want: Record<string, string>): boolean =>
  Object.entries(want).every(([k, v]) => o.metadata?.labels?.[k] === v);

/** Read, compare, write; again when another writer got there first. */
const retrying = <T>(what: () => Promise<T>): Promise<T> =>
  retryOnConflict(what, { attempts: 3, alsoOn: ['AlreadyExists', 'NotFound'] });

export type Outcome = 'created' | 'updated' | 'recreated' | 'unchanged';

/** Makes the kube-dns Service match `opts`. A Service with another ClusterIP is recreated (a ClusterIP cannot change). */
export function ensureService(client: TugboatClient, opts: PublishOptions): Promise<{ service: Svc; outcome: Outcome }> {
  const want = desiredService(opts);
  const ns = want.metadata!.namespace!;
  return retrying(async () => {
    const have = await client.tryGet<Svc>('services', ns, DNS_SERVICE_NAME);
    if (!have) return { service: await client.create(want), outcome: 'created' as const };
    if (have.spec?.clusterIP !== opts.serviceIP) {
      await client.delete('services', ns, DNS_SERVICE_NAME, have.metadata?.uid ? { preconditionUid: have.metadata.uid } : {});
      return { service: await client.create(want), outcome: 'recreated' as const };
    }
    if (portKey(have.spec?.ports) === portKey(want.spec?.ports) && !have.spec?.selector && hasLabels(have, SERVICE_LABELS)) {
      return { service: have, outcome: 'unchanged' as const };
    }
    const { selector: _selector, ...spec } = have.spec ?? {};
    void _selector;
    const next: Svc = {
      ...have,
      metadata: { ...have.metadata, labels: { ...have.metadata?.labels, ...SERVICE_LABELS } },
      spec: { ...spec, ports: want.spec?.ports ?? [] },
    };
    return { service: await client.update(next), outcome: 'updated' as const };
  });
}

/** Makes this process's EndpointSlice say `ready` at its address and ports. */
export function ensureSlice(client: TugboatClient, opts: PublishOptions, ready: boolean, owner?: Svc): Promise<Outcome> {
  const want = desiredSlice(opts, ready, owner);
  const ns = want.metadata!.namespace!;
  const name = want.metadata!.name!;
  return retrying(async () => {
    const have = await client.tryGet<Slice>('endpointslices', ns, name);
    if (!have) {
      await client.create(want);
      return 'created' as const;
    }
    const same = sliceKey(have) === sliceKey(want) && hasLabels(have, want.metadata?.labels ?? {});
    if (same) return 'unchanged' as const;
    await client.update<Slice>({
      ...have,
      metadata: { ...have.metadata, labels: { ...have.metadata?.labels, ...want.metadata?.labels }, ...(want.metadata?.ownerReferences ? { ownerReferences: want.metadata.ownerReferences } : {}) },
      addressType: want.addressType,
      endpoints: want.endpoints,
      ports: want.ports,
    });
    return 'updated' as const;
  });
}

/** The Service, then the slice pointing at this process. */
export async function publish(client: TugboatClient, opts: PublishOptions, log: (line: string) => void = () => undefined): Promise<void> {
  const { service, outcome } = await ensureService(client, opts);
  if (outcome !== 'unchanged') log(`${outcome} Service ${service.metadata?.namespace}/${DNS_SERVICE_NAME} (ClusterIP ${opts.serviceIP})`);
  const sliceOutcome = await ensureSlice(client, opts, true, service);
  if (sliceOutcome !== 'unchanged') log(`${sliceOutcome} EndpointSlice ${service.metadata?.namespace}/${sliceName(opts.advertiseAddress)} (${opts.advertiseAddress}, port ${opts.dnsPort})`);
}

/**
 * Whether the Service and slice (as an informer holds them) already say what publish() would
 * write: checked often and for free, so a deleted or edited Service is put back.
 */
export function isPublished(service: Svc | undefined, slice: Slice | undefined, opts: PublishOptions): boolean {
  if (!service || !slice) return false;
  const want = desiredService(opts);
  if (service.spec?.clusterIP !== opts.serviceIP || service.spec?.selector || portKey(service.spec?.ports) !== portKey(want.spec?.ports)) return false;
  return sliceKey(slice) === sliceKey(desiredSlice(opts, true, service));
}
