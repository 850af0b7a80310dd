// Query names, taken apart the way Kubernetes' DNS specification lays them out (CoreDNS's
// plugin/kubernetes/parse.go reads them the same way). Names are compared case-insensitively:
// callers pass them lower-cased and without the trailing dot.
import { isIPv4, isIPv6 } from 'node:net';

/** What a name inside the cluster zone asks for. */
export type ZoneRequest =
  /** The zone itself, `svc.<zone>` or `pod.<zone>`: exist, hold no records but SOA/NS at the apex. */
  | { readonly kind: 'apex'; readonly zoneApex: boolean }
  /** `dns-version.<zone>`: the schema version (TXT). */
  | { readonly kind: 'dns-version' }
  /** `ns.dns.<zone>`: the name server's own address (CoreDNS's name for it). */
  | { readonly kind: 'ns' }
  /** `<ns>.svc.<zone>` or `<ns>.pod.<zone>`: exists while the namespace does. */
  | { readonly kind: 'namespace'; readonly namespace: string }
  /**
   * `<svc>.<ns>.svc`, `<endpoint>.<svc>.<ns>.svc`, `_<port>._<proto>.<svc>.<ns>.svc`. Empty
   * endpoint / port / protocol means "not asked".
   */
  | { readonly kind: 'service'; readonly namespace: string; readonly service: string; readonly endpoint: string; readonly port: string; readonly protocol: string }
  /** `<a-b-c-d>.<ns>.pod.<zone>`. */
  | { readonly kind: 'pod'; readonly namespace: string; readonly ip: string }
  /** Any other shape: no such name. */
  | { readonly kind: 'invalid' };

const stripUnderscore = (s: string): string => (s.startsWith('_') ? s.slice(1) : s);

/** Whether `name` is `zone` or below it; both lower-case without the trailing dot. */
export function inZone(name: string, zone: string): boolean {
  return name === zone || (name.length > zone.length && name.endsWith(zone) && name.charCodeAt(name.length - zone.length - 1) === 46 /* . */);
}

/** The part of `name` left of `zone` ("" for the apex). Assumes inZone(name, zone). */
export function relativeName(name: string, zone: string): string {
  return name.length === zone.length ? '' : name.slice(0, name.length - zone.length - 1);
}

/** Reads a name relative to the cluster zone (lower-case, no trailing dot). */
export function parseZoneName(base: string): ZoneRequest {
  if (base === '') return { kind: 'apex', zoneApex: true };
  if (base === 'svc' || base === 'pod') return { kind: 'apex', zoneApex: false };
  if (base === 'dns-version') return { kind: 'dns-version' };
  if (base === 'ns.dns') return { kind: 'ns' };
  const segs = base.split('.');
  let last = segs.length - 1;
  const podOrSvc = segs[last--]!;
  if (podOrSvc !== 'svc' && podOrSvc !== 'pod') return { kind: 'invalid' };
  const namespace = segs[last--]!;
  if (!namespace) return { kind: 'invalid' };
  if (last < 0) return { kind: 'namespace', namespace };
  const service = segs[last--]!;
  if (!service) return { kind: 'invalid' };
  if (podOrSvc === 'pod') {
    // CoreDNS reads `x.<pod>.<ns>.pod` as the pod alone; a longer pod name is no name here.
    if (last >= 0) return { kind: 'invalid' };
    const ip = ipFromDashed(service);
    return ip ? { kind: 'pod', namespace, ip } : { kind: 'invalid' };
  }
  switch (last) {
    case -1:
      return { kind: 'service', namespace, service, endpoint: '', port: '', protocol: '' };
    case 0:
      return { kind: 'service', namespace, service, endpoint: segs[0]!, port: '', protocol: '' };
    case 1:
      return { kind: 'service', namespace, service, endpoint: '', port: stripUnderscore(segs[0]!), protocol: stripUnderscore(segs[1]!) };
    default:
      // Longer than any name the specification defines.
      return { kind: 'invalid' };
  }
}

/** `1-2-3-4` → `1.2.3.4`; an IPv6 address with `-` for `:`; undefined when it is neither. */
export function ipFromDashed(label: string): string | undefined {
  // CoreDNS's rule: three dashes and no "--" is IPv4, anything else is tried as IPv6.
  const dashes = label.split('-').length - 1;
  const ip = dashes === 3 && !label.includes('--') ? label.replaceAll('-', '.') : label.replaceAll('-', ':');
  if (isIPv4(ip)) return ip;
  if (isIPv6(ip)) return ip;
  return undefined;
}

/** An endpoint's name when it has no hostname: its IP with dashes (CoreDNS's endpointHostname). */
export function dashedIP(ip: string): string {
  if (ip.includes('.')) return ip.replaceAll('.', '-');
  const d = ip.replaceAll(':', '-');
  return d.endsWith('-') ? `${d}0` : d;
}

/** `4.3.2.1.in-addr.arpa` → `1.2.3.4`; 32 nibbles under ip6.arpa → the IPv6 address; else undefined. */
export function ipFromReverse(name: string): string | undefined {
  if (name.endsWith('.in-addr.arpa')) {
    const parts = name.slice(0, -'.in-addr.arpa'.length).split('.');
    if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
    return parts.reverse().join('.');
  }
  if (name.endsWith('.ip6.arpa')) {
    const nibbles = name.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || !nibbles.every((n) => /^[0-9a-f]$/.test(n))) return undefined;
    const hex = nibbles.reverse().join('');
    return canonicalIP(hex.match(/.{4}/g)!.join(':'));
  }
  return undefined;
}

/** One spelling per address, so reverse lookups match however the API wrote it. */
export function canonicalIP(ip: string): string {
  if (!isIPv6(ip)) return ip;
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip;
  }
}

export function isReverseName(name: string): boolean {
  return name === 'in-addr.arpa' || name === 'ip6.arpa' || name.endsWith('.in-addr.arpa') || name.endsWith('.ip6.arpa');
}
