// A pod's DNS configuration as kubelet forms it (pkg/kubelet/network/dns): the agent decides
// nameservers, search paths and options from the pod's dnsPolicy and dnsConfig, the
// --cluster-dns / --cluster-domain flags and the host's resolv.conf, and hands the result to
// the runtime with the sandbox (CRI's DNSConfig), which writes the pod's /etc/resolv.conf.
//
//   dnsPolicy                         base                                   then
//   ClusterFirst (not hostNetwork),   nameserver --cluster-dns               + spec.dnsConfig
//   ClusterFirstWithHostNet           search <ns>.svc.<d> svc.<d> <d> +host  (merged), then
//                                     options ndots:5                        Kubernetes' limits
//   ClusterFirst without --cluster-dns  → Default, with a MissingClusterDNS warning
//   Default, ClusterFirst+hostNetwork the host's resolv.conf
//   None                              nothing
//
// Pure except readHostDNS, which reads the host's file.
import { readFileSync } from 'node:fs';
import type { PodSpec } from '@tugboat/api';

/** What a pod's resolv.conf holds (CRI's DNSConfig). */
export interface DNSConfig {
  servers: string[];
  searches: string[];
  /** `ndots:5`, `edns0`: name, or name:value. */
  options: string[];
}

export interface ClusterDNSSettings {
  /** --cluster-dns; empty: ClusterFirst pods fall back to Default. */
  clusterDNS: readonly string[];
  /** --cluster-domain; empty: no cluster search paths. */
  clusterDomain: string;
}

/** A warning kubelet records as an Event (on the pod, or on the node). */
export interface DNSWarning {
  on: 'pod' | 'node';
  reason: 'MissingClusterDNS' | 'DNSConfigForming';
  message: string;
}

export interface PodDNSInput {
  namespace: string;
  /** How the pod is named in messages (kubelet's format.Pod: `name_namespace(uid)`). */
  display: string;
  spec: Pick<PodSpec, 'dnsPolicy' | 'dnsConfig' | 'hostNetwork'> | undefined;
}

// Kubernetes' current limits (pkg/apis/core/validation: MaxDNSNameservers,
// MaxDNSSearchPaths, MaxDNSSearchListChars); a search path longer than a DNS subdomain
// makes some resolvers (glibc 2.28) abort, so it is dropped too.
export const MAX_DNS_NAMESERVERS = 3;
export const MAX_DNS_SEARCH_PATHS = 32;
export const MAX_DNS_SEARCH_LIST_CHARS = 2048;
const MAX_SEARCH_PATH_CHARS = 253;
const DEFAULT_DNS_OPTIONS: readonly string[] = ['ndots:5'];

/**
 * resolv.conf as kubelet reads it: `nameserver` lines accumulate, the last `search` and the
 * last `options` line win; search domains lose a trailing dot (so `a.` and `a` count once).
 */
export function parseResolvConf(text: string): DNSConfig {
  const out: DNSConfig = { servers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    const [key, ...fields] = line.split(/\s+/);
    switch (key) {
      case 'nameserver': if (fields[0]) out.servers.push(fields[0]); break;
      case 'search': out.searches = fields.map((s) => s.replace(/\.$/, '')); break;
      case 'options': out.options = fields; break;
      default: break;
    }
  }
  return out;
}

/** The file the runtime writes, laid out as containerd and CRI-O write it. */
export function formatResolvConf(c: DNSConfig): string {
  let out = '';
  if (c.searches.length) out += `search ${c.searches.join(' ')}\n`;
  for (const s of c.servers) out += `nameserver ${s}\n`;
  if (c.options.length) out += `options ${c.options.join(' ')}\n`;
  return out;
}

const isLoopbackServer = (s: string): boolean => s.startsWith('127.') || s === '::1';

/**
 * The host's DNS settings as a pod can use them. A pod with a network namespace of its own
 * cannot reach a resolver on the host's loopback (systemd-resolved's 127.0.0.53, a local
 * dnsmasq): those are replaced by the ones systemd-resolved forwards to, when it lists any,
 * else dropped. hostNetwork pods get the host's file as it is.
 */
export function readHostDNS(hostNetwork: boolean, hostFile = '/etc/resolv.conf', resolvedFile = '/run/systemd/resolve/resolv.conf'): DNSConfig {
  const read = (p: string): string => { try { return readFileSync(p, 'utf8'); } catch { return ''; } };
  const host = parseResolvConf(read(hostFile));
  if (hostNetwork || !host.servers.some(isLoopbackServer)) return host;
  const upstream = parseResolvConf(read(resolvedFile));
  const servers = upstream.servers.filter((s) => !isLoopbackServer(s));
  return { ...host, servers: servers.length ? servers : host.servers.filter((s) => !isLoopbackServer(s)) };
}

const omitDuplicates = (list: readonly string[]): string[] => [...new Set(list)];

/**
 * kubelet's option merge: the pod's dnsConfig options override those of the base by name;
 * new names are appended (kubelet's map has no order; ours keeps the base's).
 */
function mergeOptions(base: readonly string[], pod: ReadonlyArray<{ name?: string; value?: string }>): string[] {
  const byName = new Map<string, string>();
  for (const o of base) {
    const i = o.indexOf(':');
    byName.set(i < 0 ? o : o.slice(0, i), i < 0 ? '' : o.slice(i + 1));
  }
  for (const o of pod) if (o.name) byName.set(o.name, o.value ?? '');
  return [...byName].map(([n, v]) => (v ? `${n}:${v}` : n));
}

/** Keeps the search line within Kubernetes' limits; says what was cut. */
function searchesWithinLimits(searches: string[], warn: (m: string) => void): string[] {
  let exceeded = false;
  let out = searches;
  if (out.length > MAX_DNS_SEARCH_PATHS) { out = out.slice(0, MAX_DNS_SEARCH_PATHS); exceeded = true; }
  const short = out.filter((s) => s.length <= MAX_SEARCH_PATH_CHARS);
  if (short.length !== out.length) exceeded = true;
  out = short;
  // Whole domains come off the end until the line fits.
  while (out.join(' ').length > MAX_DNS_SEARCH_LIST_CHARS) { out = out.slice(0, -1); exceeded = true; }
  if (exceeded) warn(`Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${out.join(' ')}`);
  return out;
}

type DNSType = 'cluster' | 'host' | 'none';

function dnsType(spec: PodDNSInput['spec']): DNSType {
  const policy = spec?.dnsPolicy ?? 'ClusterFirst';
  switch (policy) {
    case 'None': return 'none';
    case 'ClusterFirstWithHostNet': return 'cluster';
    // hostNetwork pods asking for ClusterFirst get the host's DNS (kubelet's rule).
    case 'ClusterFirst': return spec?.hostNetwork ? 'host' : 'cluster';
    case 'Default': return 'host';
    // Validation rejects any other value; kubelet then uses ClusterFirst.
    default: return 'cluster';
  }
}

/** kubelet's GetPodDNS: the pod's DNS settings and the warnings to record. */
export function podDNSConfig(pod: PodDNSInput, settings: ClusterDNSSettings, host: DNSConfig): { config: DNSConfig; warnings: DNSWarning[] } {
  const warnings: DNSWarning[] = [];
  let config: DNSConfig = { servers: [...host.servers], searches: [...host.searches], options: [...host.options] };
  const type = dnsType(pod.spec);
  if (type === 'none') config = { servers: [], searches: [], options: [] };
  if (type === 'cluster') {
    if (settings.clusterDNS.length) {
      // The cluster DNS is the only nameserver: it forwards what it does not serve itself.
      const domain = settings.clusterDomain;
      const clusterSearch = domain ? [`${pod.namespace}.svc.${domain}`, `svc.${domain}`, domain] : [];
      config = { servers: [...settings.clusterDNS], searches: omitDuplicates([...clusterSearch, ...host.searches]), options: [...DEFAULT_DNS_OPTIONS] };
    } else {
      const message = 'kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.';
      warnings.push({ on: 'node', reason: 'MissingClusterDNS', message });
      warnings.push({ on: 'pod', reason: 'MissingClusterDNS', message: `pod: "${pod.display}". ${message}` });
    }
  }
  const extra = pod.spec?.dnsConfig;
  if (extra) {
    config = {
      servers: omitDuplicates([...config.servers, ...(extra.nameservers ?? [])]),
      searches: omitDuplicates([...config.searches, ...(extra.searches ?? [])]),
      options: mergeOptions(config.options, extra.options ?? []),
    };
  }
  const warn = (message: string): void => { warnings.push({ on: 'pod', reason: 'DNSConfigForming', message }); };
  if (config.servers.length > MAX_DNS_NAMESERVERS) {
    config.servers = config.servers.slice(0, MAX_DNS_NAMESERVERS);
    warn(`Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${config.servers.join(' ')}`);
  }
  config.searches = searchesWithinLimits(config.searches, warn);
  return { config, warnings };
}
