// Command-line flags of tugboat-dns (contracts: `--flag value` or `--flag=value`), declared as a
// table for @tugboat/api's parser, which also prints them for --help.
import { isIP } from 'node:net';
import { POD_MODES, type PodsMode } from './resolve.js';
import { FlagError, defineFlags, formatFlagUsage, parseCommandLine, parseHostPort, type HostPort } from '@tugboat/api';

/** A DNS name of labels of letters, digits and hyphens (a cluster domain). */
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

/** Lower-case, without a trailing dot. */
function parseClusterDomain(text: string, flag: string): string {
  const domain = text.toLowerCase().replace(/\.$/, '');
  if (!DOMAIN.test(domain)) throw new FlagError(`${flag}: ${JSON.stringify(domain)} is not a DNS name (e.g. cluster.local)`, 'invalid-value', flag);
  return domain;
}

const FLAGS = defineFlags({
  kubeconfig: {
    kind: 'string', metavar: 'FILE', default: '', section: 'Flags:',
    help: 'API server address, CA and credentials (user system:kube-dns; else the\nin-cluster configuration when it runs in a pod)',
  },
  server: { kind: 'string', metavar: 'ADDR', default: '', help: 'API server gRPC address (HOST:PORT), instead of the kubeconfig\'s' },
  listen: { kind: 'host-port', default: '127.0.0.1:53', help: 'answer DNS over UDP and TCP here (default 127.0.0.1:53; port 0 picks one)' },
  'http-listen': { kind: 'host-port', default: '127.0.0.1:9153', help: 'serve /metrics, /healthz and /readyz here (default 127.0.0.1:9153)' },
  'cluster-domain': { kind: 'custom', parse: parseClusterDomain, metavar: 'DOMAIN', default: 'cluster.local', help: 'the zone answered from the cluster (default cluster.local)' },
  upstream: {
    kind: 'custom', parse: (text: string) => parseUpstreams(text), metavar: 'IP:PORT[,...]', default: '',
    help: 'forward names outside the cluster domain there (default: none, and\nsuch names get NXDOMAIN)',
  },
  'service-ip': { kind: 'ip', default: '198.19.0.10', help: 'ClusterIP of the kube-dns Service this server publishes (default 198.19.0.10)' },
  pods: {
    kind: 'custom', metavar: 'MODE', default: 'insecure' as PodsMode,
    parse: (text: string): PodsMode => {
      const mode = POD_MODES.find((m) => m === text);
      if (!mode) throw new FlagError(`--pods: expected insecure, verified or disabled, got ${JSON.stringify(text)}`, 'invalid-value', '--pods');
      return mode;
    },
    help: 'pod names <a-b-c-d>.<ns>.pod.<domain>, as CoreDNS: insecure (default)\nanswers any address in an existing namespace; verified only an address a\npod there has (watches every pod); disabled answers none',
  },
  'advertise-address': {
    kind: 'ip',
    help: 'the address pods reach this server at, put in its EndpointSlice\n(default: the --listen host; required when that is 0.0.0.0 or ::)',
  },
});

export const USAGE = `Usage: tugboat-dns --kubeconfig FILE [flags]

The cluster DNS server: answers <svc>.<ns>.svc.<domain>, SRV and pod records from informer
caches, and publishes itself as the Service tugboat-system/kube-dns.
${formatFlagUsage(FLAGS, { column: 31, help: 'show this help' })}`;

export interface Flags {
  kubeconfig: string;
  server: string;
  listen: string;
  httpListen: string;
  clusterDomain: string;
  upstreams: HostPort[];
  serviceIP: string;
  advertiseAddress: string;
  pods: PodsMode;
}

/** Throws a FlagError with a one-line message for a bad flag. */
export function parseFlags(argv: readonly string[]): Flags | 'help' {
  const parsed = parseCommandLine(argv, FLAGS);
  if (parsed.help) return 'help';
  const v = parsed.values;
  return {
    kubeconfig: v.kubeconfig, server: v.server, listen: v.listen, httpListen: v['http-listen'], clusterDomain: v['cluster-domain'],
    upstreams: v.upstream, serviceIP: v['service-ip'], advertiseAddress: advertiseAddress(v['advertise-address'], v.listen), pods: v.pods,
  };
}

/** --advertise-address, else the --listen host when pods can reach that one address. */
function advertiseAddress(given: string | undefined, listen: string): string {
  if (given) return given;
  const { host } = parseHostPort(listen, '--listen');
  if (host === '0.0.0.0' || host === '::' || !isIP(host)) {
    throw new FlagError(`--advertise-address: required when --listen (${listen}) names no single IP address pods can reach`, 'invalid-combination', '--advertise-address');
  }
  return host;
}

/** `IP:PORT[,IP:PORT…]`; a bare IP means port 53. */
export function parseUpstreams(text: string): HostPort[] {
  const invalid = (s: string): FlagError => new FlagError(`--upstream: expected IP:PORT[,IP:PORT…], got ${JSON.stringify(s)}`, 'invalid-value', '--upstream');
  return text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    let hp: HostPort;
    try {
      hp = isIP(s) ? { host: s, port: 53 } : parseHostPort(s, '--upstream');
    } catch {
      throw invalid(s);
    }
    if (!isIP(hp.host) || hp.port === 0) throw invalid(s);
    return hp;
  });
}
