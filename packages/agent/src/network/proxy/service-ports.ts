// What the proxy serves, from Services and their EndpointSlices: per Service its ClusterIP,
// external IPs and ports, and per port the endpoints traffic may go to. Pure.
//
// Endpoints follow kube-proxy's reading of EndpointSlices: slices belong to a Service by the
// `kubernetes.io/service-name` label; a slice port belongs to the Service port with the same
// name and protocol; an endpoint is used when it is ready (an unset `ready` counts as ready);
// when none is, the ones still serving while they terminate are used rather than none, so a
// rolling restart does not drop connections that could still be served.
import { parseIPv4, type EndpointSlice, type Service } from '@tugboat/api';

export type ProxyProtocol = 'tcp' | 'udp' | 'sctp';

export interface ProxyEndpoint {
  readonly ip: string;
  readonly port: number;
}

export interface ProxyServicePort {
  /** The port's name, or its number when it has none (a Service's only port may be unnamed). */
  readonly name: string;
  readonly protocol: ProxyProtocol;
  readonly port: number;
  /** Set for NodePort and LoadBalancer Services. */
  readonly nodePort?: number;
  /** Sorted, without duplicates (one endpoint may sit in two slices while they are rewritten). */
  readonly endpoints: readonly ProxyEndpoint[];
}

export interface ProxyService {
  readonly namespace: string;
  readonly name: string;
  readonly clusterIP: string;
  readonly externalIPs: readonly string[];
  readonly ports: readonly ProxyServicePort[];
}

import { SERVICE_NAME_LABEL } from '@tugboat/api';

export { SERVICE_NAME_LABEL };

export function serviceKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** The Service a slice belongs to (`namespace/name`), or undefined for a slice of no Service. */
export function sliceServiceKey(slice: EndpointSlice): string | undefined {
  const name = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  return name ? serviceKey(slice.metadata?.namespace ?? 'default', name) : undefined;
}

export function isIPv4(text: string | undefined): text is string {
  return text !== undefined && parseIPv4(text) !== undefined;
}

export function protocolOf(text: string | undefined): ProxyProtocol | undefined {
  switch ((text ?? 'TCP').toUpperCase()) {
    case 'TCP': return 'tcp';
    case 'UDP': return 'udp';
    case 'SCTP': return 'sctp';
    default: return undefined;
  }
}

interface Candidate extends ProxyEndpoint {
  readonly ready: boolean;
  readonly servingTerminating: boolean;
}

/** Candidate endpoints by `portName/protocol`, from every IPv4 slice of one Service. */
function candidates(slices: readonly EndpointSlice[]): Map<string, Candidate[]> {
  const out = new Map<string, Candidate[]>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4') continue;
    for (const p of slice.ports ?? []) {
      const protocol = protocolOf(p.protocol);
      // A port without a number means "all ports": nothing a DNAT can name.
      if (!protocol || typeof p.port !== 'number') continue;
      const key = `${p.name ?? ''}/${protocol}`;
      let list = out.get(key);
      if (!list) out.set(key, (list = []));
      for (const e of slice.endpoints ?? []) {
        const ip = e.addresses?.[0];
        if (!isIPv4(ip)) continue;
        const c = e.conditions ?? {};
        const ready = c.ready ?? true;
        const serving = c.serving ?? ready;
        list.push({ ip, port: p.port, ready, servingTerminating: serving && c.terminating === true });
      }
    }
  }
  return out;
}

function sortUnique(list: readonly ProxyEndpoint[]): ProxyEndpoint[] {
  const seen = new Map<string, ProxyEndpoint>();
  for (const e of list) seen.set(`${e.ip}:${e.port}`, { ip: e.ip, port: e.port });
  return [...seen.values()].sort((a, b) => (parseIPv4(a.ip) ?? 0) - (parseIPv4(b.ip) ?? 0) || a.port - b.port);
}

/**
 * What the proxy does for one Service, given its slices (any order, others' slices ignored):
 * undefined when it does nothing — a headless or ExternalName Service, or one without an
 * IPv4 ClusterIP.
 */
export function proxyService(service: Service, slices: readonly EndpointSlice[]): ProxyService | undefined {
  const spec = service.spec;
  const clusterIP = spec?.clusterIP;
  if (!spec || spec.type === 'ExternalName' || !isIPv4(clusterIP)) return undefined;
  const namespace = service.metadata?.namespace ?? 'default';
  const name = service.metadata?.name ?? '';
  const own = slices.filter((s) => sliceServiceKey(s) === serviceKey(namespace, name));
  const byPort = candidates(own);
  const exposesNodePorts = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
  const ports: ProxyServicePort[] = [];
  for (const p of spec.ports ?? []) {
    const protocol = protocolOf(p.protocol);
    if (!protocol || typeof p.port !== 'number') continue;
    const list = byPort.get(`${p.name ?? ''}/${protocol}`) ?? [];
    const ready = list.filter((c) => c.ready);
    const endpoints = sortUnique(ready.length > 0 ? ready : list.filter((c) => c.servingTerminating));
    ports.push({
      name: p.name || String(p.port),
      protocol,
      port: p.port,
      ...(exposesNodePorts && typeof p.nodePort === 'number' && p.nodePort > 0 ? { nodePort: p.nodePort } : {}),
      endpoints,
    });
  }
  return { namespace, name, clusterIP, externalIPs: (spec.externalIPs ?? []).filter(isIPv4).sort(), ports };
}
