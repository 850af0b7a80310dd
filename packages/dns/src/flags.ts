// Command-line flags of tugboat-dns (contracts: `--flag value` or `--flag=value`).
import { isIP } from 'node:net';
import { parseHostPort, type HostPort } from '@tugboat/api';

export const USAGE = `Usage: tugboat-dns --kubeconfig FILE [flags]

The cluster DNS server: answers <svc>.<ns>.svc.<domain>, SRV and pod records from informer
caches, and publishes itself as the Service tugboat-system/kube-dns.

Flags:
  --kubeconfig FILE            API server address, CA and credentials (user system:kube-dns; else the
                               in-cluster configuration when it runs in a pod)
  --server ADDR                API server gRPC address (HOST:PORT), instead of the kubeconfig's
  --listen HOST:PORT           answer DNS over UDP and TCP here (default 127.0.0.1:53; port 0 picks one)
  --http-listen HOST:PORT      serve /metrics, /healthz and /readyz here (default 127.0.0.1:9153)
  --cluster-domain DOMAIN      the zone answered from the cluster (default cluster.local)
  --upstream IP:PORT[,...]     forward names outside the cluster domain there (default: none, and
                               such names get NXDOMAIN)
  --service-ip IP              ClusterIP of the kube-dns Service this server publishes (default 198.19.0.10)
  --advertise-address IP       the address pods reach this server at, put in its EndpointSlice
                               (default: the --listen host; required when that is 0.0.0.0 or ::)
  --help                       show this help
`;

export interface Flags {
  kubeconfig: string;
  server: string;
  listen: string;
  httpListen: string;
  clusterDomain: string;
  upstreams: HostPort[];
  serviceIP: string;
  advertiseAddress: string;
}

export class UsageError extends Error {}

/** A DNS name of labels of letters, digits and hyphens (a cluster domain). */
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

export function parseFlags(argv: readonly string[]): Flags | 'help' {
  const flags: Flags = {
    kubeconfig: '', server: '', listen: '127.0.0.1:53', httpListen: '127.0.0.1:9153', clusterDomain: 'cluster.local',
    upstreams: [], serviceIP: '198.19.0.10', advertiseAddress: '',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
    const name = m[1]!;
    const takeValue = (): string => {
      if (m[2] !== undefined) return m[2];
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      return v;
    };
    switch (name) {
      case 'kubeconfig': flags.kubeconfig = takeValue(); break;
      case 'server': flags.server = takeValue(); break;
      case 'listen': flags.listen = takeValue(); break;
      case 'http-listen': flags.httpListen = takeValue(); break;
      case 'cluster-domain': flags.clusterDomain = takeValue(); break;
      case 'upstream': flags.upstreams = parseUpstreams(takeValue()); break;
      case 'service-ip': flags.serviceIP = takeValue(); break;
      case 'advertise-address': flags.advertiseAddress = takeValue(); break;
      default:
        throw new UsageError(`unknown flag --${name}`);
    }
  }
  const check = (fn: () => unknown): void => {
    try { fn(); } catch (e) { throw new UsageError(e instanceof Error ? e.message : String(e)); }
  };
  check(() => parseHostPort(flags.listen, '--listen'));
  check(() => parseHostPort(flags.httpListen, '--http-listen'));
  flags.clusterDomain = flags.clusterDomain.toLowerCase().replace(/\.$/, '');
  if (!DOMAIN.test(flags.clusterDomain)) throw new UsageError(`--cluster-domain: ${JSON.stringify(flags.clusterDomain)} is not a DNS name (e.g. cluster.local)`);
  if (!isIP(flags.serviceIP)) throw new UsageError(`--service-ip: ${JSON.stringify(flags.serviceIP)} is not an IP address`);
  if (flags.advertiseAddress) {
    if (!isIP(flags.advertiseAddress)) throw new UsageError(`--advertise-address: ${JSON.stringify(flags.advertiseAddress)} is not an IP address`);
  } else {
    const { host } = parseHostPort(flags.listen, '--listen');
    if (host === '0.0.0.0' || host === '::' || !isIP(host)) {
      throw new UsageError(`--advertise-address: required when --listen (${flags.listen}) names no single IP address pods can reach`);
    }
    flags.advertiseAddress = host;
  }
  return flags;
}

/** `IP:PORT[,IP:PORT…]`; a bare IP means port 53. */
export function parseUpstreams(text: string): HostPort[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const hp = isIP(s) ? { host: s, port: 53 } : (() => {
      try { return parseHostPort(s, '--upstream'); } catch { throw new UsageError(`--upstream: expected IP:PORT[,IP:PORT…], got ${JSON.stringify(s)}`); }
    })();
    if (!isIP(hp.host) || hp.port === 0) throw new UsageError(`--upstream: expected IP:PORT[,IP:PORT…], got ${JSON.stringify(s)}`);
    return hp;
  });
}
