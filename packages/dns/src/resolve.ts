// One question in, one answer out, from the index alone (never the API): Kubernetes' DNS
// specification (github.com/kubernetes/dns docs/specification.md) with CoreDNS's kubernetes
// plugin's readings where the specification leaves a choice.
//
//   <svc>.<ns>.svc.<zone>              A: the ClusterIP; headless: every ready endpoint
//                                      ExternalName: CNAME <externalName>
//   <endpoint>.<svc>.<ns>.svc.<zone>   A: that endpoint (its hostname, else its dashed IP)
//   _<port>._<proto>.<svc>.<ns>.svc    SRV 0 <weight> <port> <svc>… (headless: <endpoint>.<svc>…),
//                                      with the targets' A records as additionals
//   <a-b-c-d>.<ns>.pod.<zone>          A a.b.c.d (--pods insecure, the default: any address,
//                                      in a namespace that exists; verified: only while a
//                                      pod in <ns> has it; disabled: none), as CoreDNS's `pods`
//   <ns>.svc|pod.<zone>, svc|pod.<zone>, <zone>   exist, no records (SOA and NS at the apex)
//   dns-version.<zone>                 TXT "1.1.0"
//   d.c.b.a.in-addr.arpa               PTR for ClusterIPs and ready endpoints
//
// A name that does not exist is NXDOMAIN, an existing name without records of the asked
// type NOERROR with no answers (NODATA); both carry the zone's SOA in the authority
// section, so resolvers cache the negative answer for its minimum (the TTL, 5 s).
import type { Answer, SoaAnswer } from 'dns-packet';
import type { ClusterIndex, PortView, ServiceView } from './cluster-index.js';
import { canonicalIP, inZone, ipFromReverse, isReverseName, parseZoneName, relativeName, type ZoneRequest } from './names.js';
import { isIPv4, isIPv6 } from 'node:net';

/** The specification's schema version, served at dns-version.<zone>. */
export const DNS_SCHEMA_VERSION = '1.1.0';
/** CoreDNS's default TTL for the kubernetes plugin. */
export const DEFAULT_TTL = 5;
const VERSION_TTL = 28_800;

/**
 * CoreDNS's `pods` option: how <a-b-c-d>.<ns>.pod.<zone> is answered. `insecure` (kubeadm's
 * Corefile) answers any address without watching pods; `verified` watches every pod of the
 * cluster, which costs memory and a watch fan-out at fleet scale; `disabled` answers none.
 */
export type PodsMode = 'insecure' | 'verified' | 'disabled';
export const POD_MODES: readonly PodsMode[] = ['insecure', 'verified', 'disabled'];

export interface ZoneConfig {
  /** The cluster domain, lower-case, no trailing dot (cluster.local). */
  readonly zone: string;
  readonly ttl: number;
  /** The name server's own addresses (the kube-dns Service IP): ns.dns.<zone> and the apex NS glue. */
  readonly nameserverIPs: readonly string[];
  readonly pods: PodsMode;
}

export type Resolution =
  /** We are authoritative: rcode NOERROR (answers, or none = NODATA) or NXDOMAIN. */
  | {
    readonly kind: 'authoritative';
    readonly rcode: 'NOERROR' | 'NXDOMAIN';
    readonly answers: readonly Answer[];
    readonly authorities: readonly Answer[];
    readonly additionals: readonly Answer[];
    /** Metrics' zone label. */
    readonly zone: string;
  }
  /** Zone transfers are not served (CoreDNS answers REFUSED without its transfer plugin). */
  | { readonly kind: 'refused'; readonly zone: string }
  /** Not ours: forward it if there is an upstream. */
  | { readonly kind: 'outside' };

interface Found {
  readonly answers: Answer[];
  readonly additionals: Answer[];
}

const EMPTY: Found = { answers: [], additionals: [] };

/** The zone's SOA (CoreDNS's values; the serial is when the cluster data last changed). */
export function soaRecord(owner: string, cfg: ZoneConfig, serial: number): SoaAnswer {
  return {
    name: owner,
    type: 'SOA',
    ttl: Math.min(cfg.ttl, 300),
    data: { mname: `ns.dns.${cfg.zone}`, rname: `hostmaster.${cfg.zone}`, serial, refresh: 7200, retry: 1800, expire: 86_400, minimum: cfg.ttl },
  };
}

/**
 * Answers `qname` (as asked, any case, no trailing dot) of type `qtype` (dns-packet's type
 * name: A, AAAA, SRV, …) from the index.
 */
export function resolve(index: ClusterIndex, cfg: ZoneConfig, qname: string, qtype: string): Resolution {
  const name = qname.toLowerCase();
  if (!inZone(name, cfg.zone)) return reverseLookup(index, cfg, qname, name, qtype);
  // The owner of the SOA keeps the case of the question, as CoreDNS does.
  const zoneOwner = qname.slice(qname.length - cfg.zone.length);
  const zoneLabel = `${cfg.zone}.`;
  if (qtype === 'AXFR' || qtype === 'IXFR') return { kind: 'refused', zone: zoneLabel };
  const found = lookup(index, cfg, parseZoneName(relativeName(name, cfg.zone)), qname, qtype, zoneOwner, 0);
  if (!found) {
    return { kind: 'authoritative', rcode: 'NXDOMAIN', answers: [], authorities: [soaRecord(zoneOwner, cfg, index.serial())], additionals: [], zone: zoneLabel };
  }
  if (found.answers.length === 0) {
    return { kind: 'authoritative', rcode: 'NOERROR', answers: [], authorities: [soaRecord(zoneOwner, cfg, index.serial())], additionals: [], zone: zoneLabel };
  }
  return { kind: 'authoritative', rcode: 'NOERROR', answers: found.answers, authorities: [], additionals: found.additionals, zone: zoneLabel };
}

function reverseLookup(index: ClusterIndex, cfg: ZoneConfig, qname: string, name: string, qtype: string): Resolution {
  // Only addresses the cluster knows are answered here; every other reverse name goes on
  // (CoreDNS's default Corefile: `kubernetes cluster.local in-addr.arpa ip6.arpa` with
  // `fallthrough in-addr.arpa ip6.arpa`).
  if (qtype !== 'PTR' || !isReverseName(name)) return { kind: 'outside' };
  const ip = ipFromReverse(name);
  const names = ip ? index.reverse(canonicalIP(ip)) : [];
  if (names.length === 0) return { kind: 'outside' };
  return {
    kind: 'authoritative',
    rcode: 'NOERROR',
    answers: names.map((n) => ({ name: qname, type: 'PTR', ttl: cfg.ttl, data: `${n}.${cfg.zone}` })),
    authorities: [],
    additionals: [],
    zone: name.endsWith('.ip6.arpa') ? 'ip6.arpa.' : 'in-addr.arpa.',
  };
}

function addressRecords(owner: string, ips: Iterable<string>, qtype: string, ttl: number): Answer[] {
  const out: Answer[] = [];
  const seen = new Set<string>();
  for (const ip of ips) {
    if (seen.has(ip)) continue;
    seen.add(ip);
    if (qtype === 'A' && isIPv4(ip)) out.push({ name: owner, type: 'A', ttl, data: ip });
    else if (qtype === 'AAAA' && isIPv6(ip)) out.push({ name: owner, type: 'AAAA', ttl, data: ip });
  }
  return out;
}

/** Undefined: no such name. */
function lookup(index: ClusterIndex, cfg: ZoneConfig, req: ZoneRequest, qname: string, qtype: string, zoneOwner: string, depth: number): Found | undefined {
  switch (req.kind) {
    case 'apex':
      if (req.zoneApex && qtype === 'SOA') return { answers: [soaRecord(zoneOwner, cfg, index.serial())], additionals: [] };
      if (req.zoneApex && qtype === 'NS') {
        const ns = `ns.dns.${cfg.zone}`;
        return {
          answers: [{ name: zoneOwner, type: 'NS', ttl: cfg.ttl, data: ns }],
          additionals: [...addressRecords(ns, cfg.nameserverIPs, 'A', cfg.ttl), ...addressRecords(ns, cfg.nameserverIPs, 'AAAA', cfg.ttl)],
        };
      }
      return EMPTY;
    case 'dns-version':
      return qtype === 'TXT' ? { answers: [{ name: qname, type: 'TXT', ttl: VERSION_TTL, data: DNS_SCHEMA_VERSION }], additionals: [] } : EMPTY;
    case 'ns':
      return { answers: addressRecords(qname, cfg.nameserverIPs, qtype, cfg.ttl), additionals: [] };
    case 'namespace':
      return index.namespaceExists(req.namespace) ? EMPTY : undefined;
    case 'pod':
      return podExists(index, cfg.pods, req.namespace, req.ip) ? { answers: addressRecords(qname, [req.ip], qtype, cfg.ttl), additionals: [] } : undefined;
    case 'service':
      return serviceLookup(index, cfg, req, qname, qtype, depth);
    case 'invalid':
      return undefined;
  }
}

function podExists(index: ClusterIndex, mode: PodsMode, namespace: string, ip: string): boolean {
  switch (mode) {
    case 'verified': return index.podHasIP(namespace, ip);
    // As CoreDNS: no pod is looked at, but the namespace must exist.
    case 'insecure': return index.namespaceExists(namespace);
    case 'disabled': return false;
  }
}

/** One address behind a name: what A records and SRV records are made of. */
interface Target {
  readonly ip: string;
  /** -1: no port (A records only). */
  readonly port: number;
  /** The SRV target: the Service's name, or the endpoint's. */
  readonly host: string;
}

const portMatches = (p: PortView, port: string, protocol: string): boolean =>
  (port === '' || p.name.toLowerCase() === port) && (protocol === '' || p.protocol.toLowerCase() === protocol);

function serviceLookup(
  index: ClusterIndex, cfg: ZoneConfig, req: Extract<ZoneRequest, { kind: 'service' }>, qname: string, qtype: string, depth: number,
): Found | undefined {
  const svc = index.service(req.namespace, req.service);
  if (!svc) return undefined;
  if (svc.kind === 'ExternalName') return externalName(index, cfg, svc, req, qname, qtype, depth);

  const targets: Target[] = [];
  if (svc.kind === 'Headless' || req.endpoint) {
    // Endpoints come from the EndpointSlices; a ClusterIP Service's endpoints have names too.
    for (const slice of index.slicesOf(svc.namespace, svc.name)) {
      for (const ep of slice.endpoints) {
        if (req.endpoint && ep.hostname !== req.endpoint) continue;
        for (const p of slice.ports) {
          if (!portMatches(p, req.port, req.protocol)) continue;
          targets.push({ ip: ep.ip, port: p.port, host: `${ep.hostname}.${svc.name}.${svc.namespace}.svc.${cfg.zone}` });
        }
      }
    }
    // A headless Service without ready endpoints is NXDOMAIN (the specification says so).
    if (targets.length === 0) return undefined;
  } else {
    let matched = false;
    for (const p of svc.ports) {
      if (!portMatches(p, req.port, req.protocol)) continue;
      matched = true;
      for (const ip of svc.clusterIPs) targets.push({ ip, port: p.port, host: `${svc.name}.${svc.namespace}.svc.${cfg.zone}` });
    }
    if (!matched) return undefined;
  }

  switch (qtype) {
    case 'A':
    case 'AAAA':
      return { answers: addressRecords(qname, targets.map((t) => t.ip), qtype, cfg.ttl), additionals: [] };
    case 'SRV':
      return srvRecords(qname, targets, cfg.ttl);
    default:
      return EMPTY;
  }
}

/** SRV records as CoreDNS makes them: priority 0, the weight split evenly, targets' addresses as additionals. */
function srvRecords(qname: string, targets: readonly Target[], ttl: number): Found {
  const seen = new Set<string>();
  const srv: Target[] = [];
  for (const t of targets) {
    if (t.port < 0) continue;
    const k = `${t.host} ${t.port}`;
    if (seen.has(k)) continue;
    seen.add(k);
    srv.push(t);
  }
  const weight = Math.max(1, Math.floor(100 / Math.max(1, srv.length)));
  const answers: Answer[] = srv.map((t) => ({ name: qname, type: 'SRV', ttl, data: { priority: 0, weight, port: t.port, target: t.host } }));
  const additionals: Answer[] = [];
  const glue = new Set<string>();
  for (const t of srv) {
    const k = `${t.host} ${t.ip}`;
    if (glue.has(k)) continue;
    glue.add(k);
    additionals.push(...addressRecords(t.host, [t.ip], isIPv4(t.ip) ? 'A' : 'AAAA', ttl));
  }
  return { answers, additionals };
}

function externalName(
  index: ClusterIndex, cfg: ZoneConfig, svc: ServiceView, req: Extract<ZoneRequest, { kind: 'service' }>, qname: string, qtype: string, depth: number,
): Found | undefined {
  if (req.endpoint || req.port || req.protocol) return undefined;
  const target = svc.externalName;
  // A name with a CNAME has no other records: every type gets the CNAME (RFC 1034 3.6.2).
  const answers: Answer[] = [{ name: qname, type: 'CNAME', ttl: cfg.ttl, data: target }];
  const lower = target.toLowerCase();
  // Inside the zone the chain is followed here (bounded, as CoreDNS bounds it); outside it,
  // the server asks the upstream, when there is one (server.ts chase).
  if ((qtype === 'A' || qtype === 'AAAA') && inZone(lower, cfg.zone) && lower !== qname.toLowerCase() && depth < 8) {
    const next = lookup(index, cfg, parseZoneName(relativeName(lower, cfg.zone)), target, qtype, target.slice(target.length - cfg.zone.length), depth + 1);
    if (next) answers.push(...next.answers);
  }
  return { answers, additionals: [] };
}
