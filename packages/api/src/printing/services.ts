// How kubectl shows Services, Endpoints and EndpointSlices in tables and in describe:
// ports as `80/TCP` or `80:30080/TCP`, endpoint lists cut after three with
// "+ N more...". Pure.
import type { EndpointSlice, Endpoints, Service, ServicePort } from '../types.js';

const MAX_LISTED = 3;
/** LoadBalancer addresses are cut to this many characters outside `-o wide`. */
const LOAD_BALANCER_WIDTH = 16;

/** `host:port`, with IPv6 addresses in brackets (Go's net.JoinHostPort). */
function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The PORT(S) cell: `80/TCP,443:30443/TCP`; `<none>` without ports. */
export function servicePorts(ports: readonly ServicePort[] | undefined): string {
  const text = (ports ?? []).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
  return text || '<none>';
}

/** The CLUSTER-IP cell: the first ClusterIP (`None` for a headless Service), else `<none>`. */
export function serviceClusterIP(svc: Service): string {
  return svc.spec?.clusterIPs?.[0] ?? (svc.spec?.clusterIP || '<none>');
}

function loadBalancerAddresses(svc: Service, wide: boolean): string {
  const seen = new Set<string>();
  for (const i of svc.status?.loadBalancer?.ingress ?? []) {
    if (i.ip) seen.add(i.ip);
    else if (i.hostname) seen.add(i.hostname);
  }
  const text = [...seen].sort().join(',');
  return !wide && text.length > LOAD_BALANCER_WIDTH ? `${text.slice(0, LOAD_BALANCER_WIDTH - 3)}...` : text;
}

/** The EXTERNAL-IP cell, per type as kubectl has it. */
export function serviceExternalIP(svc: Service, wide: boolean): string {
  const external = svc.spec?.externalIPs ?? [];
  switch (svc.spec?.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return external.length ? external.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerAddresses(svc, wide);
      if (external.length) return [...(lb ? lb.split(',') : []), ...external].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return svc.spec?.externalName ?? '';
    default:
      return '<unknown>';
  }
}

function listWithMore(list: readonly string[], count: number, ifEmpty: string): string {
  const text = list.join(',');
  if (count > MAX_LISTED) return `${text} + ${count - MAX_LISTED} more...`;
  return text || ifEmpty;
}

/**
 * The ENDPOINTS cell of an Endpoints object: `ip:port` for every address and port (just
 * `ip` where a subset has no ports: headless), three at most; `<none>` without subsets.
 */
export function formatEndpoints(ep: Endpoints): string {
  const subsets = ep.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  let count = 0;
  for (const ss of subsets) {
    const addresses = ss.addresses ?? [];
    const ports = ss.ports ?? [];
    const targets = ports.length ? ports.flatMap((p) => addresses.map((a) => joinHostPort(a.ip, p.port))) : addresses.map((a) => a.ip);
    count += targets.length;
    for (const t of targets) if (list.length < MAX_LISTED) list.push(t);
  }
  return listWithMore(list, count, '');
}

/** The PORTS cell of an EndpointSlice: numbers (a name, or `*`, where the port has none). */
export function formatSlicePorts(slice: EndpointSlice): string {
  const ports = slice.ports ?? [];
  const list = ports.slice(0, MAX_LISTED).map((p) => (p.port !== undefined && p.port !== null ? String(p.port) : p.name ?? '*'));
  return listWithMore(list, ports.length, '<unset>');
}

/** The ENDPOINTS cell of an EndpointSlice: every address of every endpoint, three at most. */
export function formatSliceEndpoints(slice: EndpointSlice): string {
  const addresses = (slice.endpoints ?? []).flatMap((e) => e.addresses ?? []);
  return listWithMore(addresses.slice(0, MAX_LISTED), addresses.length, '<unset>');
}

/**
 * describe's `Endpoints:` line for one Service port (by name; "" for an unnamed one): the
 * ready endpoints (ready unset counts as ready) of the Service's slices, `ip:port`, three
 * at most; `<none>` without slices.
 */
export function formatServiceEndpoints(slices: readonly EndpointSlice[], portName: string): string {
  if (slices.length === 0) return '<none>';
  const list: string[] = [];
  let count = 0;
  const add = (target: string): void => {
    if (list.length < MAX_LISTED) list.push(target);
    count++;
  };
  for (const slice of slices) {
    const ready = (slice.endpoints ?? []).filter((e) => e.conditions?.ready !== false && (e.addresses?.length ?? 0) > 0);
    const ports = slice.ports ?? [];
    if (ports.length === 0) {
      // A headless Service without ports: addresses alone.
      for (const e of ready) add(e.addresses[0]!);
      continue;
    }
    for (const p of ports) {
      if ((p.name ?? '') !== portName) continue;
      for (const e of ready) add(joinHostPort(e.addresses[0]!, p.port ?? 0));
    }
  }
  return listWithMore(list, count, '');
}
