// Command-line flags of tugboat-agent (`--flag value` or `--flag=value`), declared as a table
// for @tugboat/api's parser, which also prints them for --help. Pure: argv and the environment
// in, options or a one-line FlagError out.
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { FlagError, defineFlags, formatFlagUsage, isQuantity, parseCommandLine, parseQuantity, parseHostPort, parseIPv4Cidr, pickFlags, type Taint } from '@tugboat/api';
import { parseNodePortAddresses, type ProxyModeChoice } from './network/proxy/node-facts.js';

/** The one HOST:PORT parser, re-exported for the agent's other modules. */
export { parseHostPort };

export const DEFAULT_LISTEN = '127.0.0.1:10250';
export const DEFAULT_HTTP_LISTEN = '127.0.0.1:10350';

/** `auto`: oci where containers can run (root, runc or crun, conmon), else process. */
export type RuntimeChoice = 'process' | 'fake' | 'oci' | 'auto';

export interface AgentFlags {
  /** The API server, its CA and this node's client credentials (kubelet's --kubeconfig). */
  kubeconfig: string;
  /** Overrides the kubeconfig's server address. */
  server?: string;
  /** The serving certificate and key of the gRPC (logs/exec) port. */
  tlsCertFile: string;
  tlsPrivateKeyFile: string;
  /** The CA a client certificate of the gRPC port must chain to. */
  clientCaFile: string;
  nodeName: string;
  runtime: RuntimeChoice;
  /** oci runtime: the node's pod CIDR, also set on its Node (default: the one the Node gets from the node IPAM controller). */
  podCidr?: string;
  labels: Record<string, string>;
  taints: Taint[];
  capacity: Record<string, string>;
  listen: { host: string; port: number };
  httpListen: { host: string; port: number };
  dataDir: string;
  leaseIntervalMs: number;
  leaseRenewIntervalMs: number;
  hollow: number;
  fakeStartDelayMs: number;
  nodeStatusIntervalMs: number;
  nodeStatusReportIntervalMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** Container logs are rotated at this many bytes (kubelet's containerLogMaxSize, 10Mi). */
  containerLogMaxBytes: number;
  /** Files kept per container log, the live one included (kubelet's containerLogMaxFiles, 5). */
  containerLogMaxFiles: number;
  /** oci: Docker's insecure-registries: HOST:PORT or IPv4 CIDRs whose registries may speak plain http. */
  insecureRegistries: string[];
  /** oci: registry mirrors, registry domain → the HOST[:PORT] pulls of its images go to instead. */
  registryMirrors?: Record<string, string>;
  /** kubelet's --cluster-dns: the nameservers of ClusterFirst pods (none: they fall back to the host's). */
  clusterDNS: string[];
  /** kubelet's --cluster-domain: the search domains' root. */
  clusterDomain: string;
  /** The service proxy's credentials (user system:kube-proxy); without them no proxy runs. */
  proxyKubeconfig?: string;
  /** `auto`: nftables where nft is installed and the agent is root, else off. */
  proxyMode: ProxyModeChoice;
  /** CIDRs and/or `primary`: the addresses NodePorts are served on (default every local address but loopback). */
  nodePortAddresses?: string[];
}

export type ParsedCommand =
  | { command: 'help' }
  | { command: 'run'; flags: AgentFlags }
  | { command: 'kill-containers'; dataDir: string };


const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

export function parseLabels(text: string, flag = '--labels'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error(`${flag}: expected key=value, got ${JSON.stringify(item)}`);
    const key = item.slice(0, eq);
    const value = item.slice(eq + 1);
    if (!LABEL_KEY.test(key)) throw new Error(`${flag}: invalid label key ${JSON.stringify(key)}`);
    if (!LABEL_VALUE.test(value)) throw new Error(`${flag}: invalid label value ${JSON.stringify(value)} for ${key}`);
    out[key] = value;
  }
  return out;
}

const EFFECTS = new Set(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);

/** "dedicated=gpu:NoSchedule,spot:PreferNoSchedule" (kubelet's --register-with-taints). */
export function parseTaints(text: string): Taint[] {
  const out: Taint[] = [];
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const colon = item.lastIndexOf(':');
    if (colon < 0) throw new Error(`--taints: expected key[=value]:Effect, got ${JSON.stringify(item)}`);
    const effect = item.slice(colon + 1);
    if (!EFFECTS.has(effect)) throw new Error(`--taints: effect ${JSON.stringify(effect)} of ${JSON.stringify(item)} must be NoSchedule, PreferNoSchedule or NoExecute`);
    const kv = item.slice(0, colon);
    const eq = kv.indexOf('=');
    const key = eq < 0 ? kv : kv.slice(0, eq);
    const value = eq < 0 ? '' : kv.slice(eq + 1);
    if (!LABEL_KEY.test(key)) throw new Error(`--taints: invalid taint key ${JSON.stringify(key)}`);
    if (!LABEL_VALUE.test(value)) throw new Error(`--taints: invalid taint value ${JSON.stringify(value)} for ${key}`);
    out.push({ key, ...(value ? { value } : {}), effect });
  }
  return out;
}

export function parseCapacity(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error(`--capacity: expected resource=quantity, got ${JSON.stringify(item)}`);
    const name = item.slice(0, eq);
    const value = item.slice(eq + 1);
    if (!isQuantity(value)) throw new Error(`--capacity: ${name}=${value}: not a quantity (e.g. cpu=4, memory=8Gi, pods=110)`);
    out[name] = value;
  }
  return out;
}

export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

/**
 * kubelet's --container-log-max-size: a quantity of bytes (10Mi, 1G), rounded up to a whole
 * byte as kubelet's Quantity.Value() does. Kubelet reads a negative size as "no rotation"; we
 * refuse 0 and below instead, so a typo cannot turn rotation off and let one log fill the disk.
 */
export function parseLogMaxSize(text: string, flag = '--container-log-max-size'): number {
  let bytes: number;
  try {
    bytes = parseQuantity(text.trim()).value();
  } catch {
    throw new Error(`${flag}: expected a size such as 10Mi or 1G, got ${JSON.stringify(text)}`);
  }
  if (!(bytes > 0)) throw new Error(`${flag}: must be greater than 0, got ${JSON.stringify(text)}`);
  return bytes;
}

/** "HOST:PORT" or "198.19.240.0/24", comma-separated. */
export function parseInsecureRegistries(text: string): string[] {
  const out: string[] = [];
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (item.includes('/') ? parseIPv4Cidr(item) === undefined : !/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(item)) {
      throw new Error(`--insecure-registry: ${JSON.stringify(item)} is neither HOST[:PORT] nor an IPv4 CIDR`);
    }
    out.push(item.toLowerCase());
  }
  return out;
}

/** "docker.io=127.0.0.1:5000,quay.io=mirror.example:5000" → { domain: host }. */
export function parseRegistryMirrors(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const hostPort = /^[A-Za-z0-9.-]+(:\d{1,5})?$/;
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [domain = '', host = '', ...rest] = item.split('=');
    if (rest.length || !hostPort.test(domain) || !hostPort.test(host)) {
      throw new Error(`--registry-mirror: ${JSON.stringify(item)} is not DOMAIN=HOST[:PORT]`);
    }
    out[domain.toLowerCase()] = host.toLowerCase();
  }
  return out;
}

/** A DNS subdomain (the search paths are built on it); a trailing dot is dropped. */
export function parseClusterDomain(text: string): string {
  const d = text.trim().replace(/\.$/, '').toLowerCase();
  if (d.length > 253 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(d)) {
    throw new Error(`--cluster-domain: ${JSON.stringify(text)} is not a DNS domain like cluster.local`);
  }
  return d;
}

const SECURITY = 'Security (all four are required: the agent speaks only TLS, both ways):';
const PROXY = 'Service proxy (kube-proxy\'s job, one nftables table per agent; not for --hollow):';

const FLAGS = defineFlags({
  kubeconfig: {
    kind: 'string', metavar: 'FILE', section: SECURITY,
    help: 'the API server\'s address, the cluster CA and this node\'s client\ncertificate (CN system:node:NAME, O system:nodes), as kubelet\'s',
  },
  server: { kind: 'string', metavar: 'ADDR', help: 'override the kubeconfig\'s API server address (HOST:PORT)' },
  'tls-cert-file': {
    kind: 'string', metavar: 'FILE',
    help: 'serving certificate of the gRPC (logs/exec) port; the API server\naccepts it only if it chains to the cluster CA and has\nCN system:node:NAME',
  },
  'tls-private-key-file': { kind: 'string', metavar: 'FILE', help: 'its key' },
  'client-ca-file': {
    kind: 'string', metavar: 'FILE',
    help: 'CA a client of the gRPC port must present a certificate from;\nonly members of system:masters (the API server\'s kubelet\nclient) are then served',
  },
  'node-name': { kind: 'string', metavar: 'NAME', section: '', help: 'the Node\'s name (default: this host\'s name)' },
  runtime: {
    kind: 'enum', values: ['oci', 'process', 'fake', 'auto'], metavar: 'oci|process|fake', expect: 'oci, process or fake',
    help: 'oci: containers from OCI images run by runc/crun under conmon\n(default where the agent is root with runc or crun and conmon);\nprocess: each container\'s command as a host process (the\ndefault elsewhere); fake: start nothing, containers Running\nafter --fake-start-delay',
  },
  'pod-cidr': {
    kind: 'cidr',
    help: 'oci: the node\'s pod network, also written to its Node (default:\nthe Node\'s spec.podCIDR, given by the node IPAM controller)',
  },
  'cluster-dns': {
    kind: 'list', item: 'ip', metavar: 'IP[,IP]', default: '',
    help: 'nameserver(s) of pods with dnsPolicy ClusterFirst (the cluster\nDNS Service\'s ClusterIP; default none: those pods get the\nhost\'s resolv.conf, with a MissingClusterDNS warning)',
  },
  'cluster-domain': {
    kind: 'custom', parse: parseClusterDomain, metavar: 'NAME', default: DEFAULT_CLUSTER_DOMAIN,
    help: 'the cluster\'s DNS domain, root of pods\' search paths (default\ncluster.local)',
  },
  'insecure-registry': {
    kind: 'custom', parse: parseInsecureRegistries, metavar: 'LIST', default: '',
    help: 'oci: registries that may be reached over plain http, HOST:PORT or\na CIDR of their addresses (Docker\'s insecure-registries; loopback\nones always may)',
  },
  'registry-mirror': {
    kind: 'custom', parse: parseRegistryMirrors, metavar: 'LIST', default: '',
    help: 'oci: DOMAIN=HOST[:PORT],… pull images of DOMAIN (docker.io for\nnginx:1.25) from HOST[:PORT] instead, with the same repository\nand tag (a pull-through cache or an air-gapped copy; containerd\'s\nhosts.toml "server")',
  },
  labels: { kind: 'custom', parse: parseLabels, metavar: 'k=v,...', default: '', help: 'extra Node labels' },
  taints: { kind: 'custom', parse: parseTaints, metavar: 'k=v:Effect,...', default: '', help: 'Node taints at registration (NoSchedule, PreferNoSchedule, NoExecute)' },
  capacity: {
    kind: 'custom', parse: parseCapacity, metavar: 'cpu=..,memory=..,pods=..', default: '',
    help: 'override the machine\'s capacity (default: its cores, memory, pods 110)',
  },
  listen: { kind: 'custom', parse: parseHostPort, metavar: 'HOST:PORT', default: DEFAULT_LISTEN, help: `gRPC (logs, exec) address; port 0 picks one (default ${DEFAULT_LISTEN})` },
  'http-listen': { kind: 'custom', parse: parseHostPort, metavar: 'HOST:PORT', default: DEFAULT_HTTP_LISTEN, help: `/metrics and /healthz; port 0 picks one (default ${DEFAULT_HTTP_LISTEN})` },
  'data-dir': {
    kind: 'string', metavar: 'DIR',
    help: 'container records and logs (default $TUGBOAT_HOME/nodes/NAME,\nTUGBOAT_HOME defaulting to ~/.tugboat)',
  },
  'lease-interval': { kind: 'duration', positive: true, default: '2s', help: 'how often the node says it is alive (default 2s): a heartbeat the\nAPI server stores with other nodes\' in one write; or, against an\nAPI server without heartbeats, a renewal of the node\'s Lease' },
  'lease-renew-interval': { kind: 'duration', positive: true, default: '10s', help: 'how often the node\'s Lease itself is renewed while the API server\ntakes heartbeats (default 10s, as kubelet renews it). Its\nleaseDurationSeconds is 40, or four renew intervals when longer' },
  hollow: {
    kind: 'integer', min: 0, expect: 'a count of nodes', default: '0',
    help: 'register and serve N hollow nodes NAME-1 … NAME-N (fake runtime;\nNAME defaults to hollow-node) in this one process. They all use\nthe one --kubeconfig, so its credential must be allowed to act\nfor every hollow node (a system:masters kubeconfig, say): a\nnode\'s own certificate may act only for that node',
  },
  'fake-start-delay': { kind: 'duration', default: '0s', help: 'fake runtime: time from start to Running (default 0s)' },
  'node-status-interval': { kind: 'duration', positive: true, default: '10s', help: 'how often node status and usage are computed, and written when\nthey changed (default 10s, as kubelet\'s nodeStatusUpdateFrequency)' },
  'node-status-report-interval': { kind: 'duration', positive: true, default: '5m', help: 'how often an unchanged node status and usage are written all the\nsame (default 5m, as kubelet\'s nodeStatusReportFrequency; the\nLease is the heartbeat)' },
  'backoff-initial': { kind: 'duration', positive: true, default: '10s', help: 'first crash-loop back-off (default 10s, as Kubernetes)' },
  'backoff-max': { kind: 'duration', default: '5m', help: 'longest crash-loop back-off (default 5m, as Kubernetes)' },
  'container-log-max-size': {
    kind: 'custom', parse: parseLogMaxSize, metavar: 'QUANTITY', default: '10Mi',
    help: 'a container\'s log is rotated when it reaches this size (default\n10Mi, as kubelet\'s containerLogMaxSize)',
  },
  'container-log-max-files': {
    // Kubelet refuses fewer than 2 (containerLogMaxFiles must be greater than 1): with one
    // file a rotation would delete the live log.
    kind: 'integer', min: 2, default: '5',
    help: 'log files kept per container, the live one included (default 5,\nas kubelet\'s containerLogMaxFiles; at least 2)',
  },
  'proxy-kubeconfig': {
    kind: 'string', metavar: 'FILE', section: PROXY,
    help: 'the proxy\'s credentials (user system:kube-proxy, bound to\nClusterRole system:node-proxier); without it no proxy runs',
  },
  'proxy-mode': {
    kind: 'enum', values: ['nftables', 'off', 'auto'], metavar: 'nftables|off', expect: 'nftables or off', default: 'auto',
    help: 'default nftables where nft is installed and the agent is root,\nelse off',
  },
  'nodeport-addresses': {
    kind: 'custom', parse: parseNodePortAddresses, metavar: 'CIDR,...|primary',
    help: 'addresses NodePorts are served on: local addresses inside the\nCIDRs, and/or the node\'s own address (default: every local\naddress except loopback, as kube-proxy without the flag)',
  },
});

/** `kill-containers` needs only to know where the records are. */
const KILL_CONTAINERS_FLAGS = pickFlags(FLAGS, ['data-dir']);

/** Secure by default: the agent does not run without these (kubelet's names). */
const REQUIRED_FLAGS = ['kubeconfig', 'tls-cert-file', 'tls-private-key-file', 'client-ca-file'] as const;

export function parseCommand(argv: readonly string[], env: Record<string, string | undefined> = process.env): ParsedCommand {
  if (argv[0] === 'kill-containers') {
    const parsed = parseCommandLine(argv.slice(1), KILL_CONTAINERS_FLAGS);
    if (parsed.help) return { command: 'help' };
    const dataDir = parsed.values['data-dir'];
    if (!dataDir) throw new FlagError('kill-containers: --data-dir is required', 'invalid-value', '--data-dir');
    return { command: 'kill-containers', dataDir };
  }
  const parsed = parseCommandLine(argv, FLAGS);
  if (parsed.help) return { command: 'help' };
  const v = parsed.values;
  const hollow = v.hollow;
  const runtime = v.runtime ?? (hollow > 0 ? 'fake' : 'auto');
  if (hollow > 0 && runtime !== 'fake') throw new FlagError('--hollow runs hollow nodes: it needs --runtime fake', 'invalid-combination', '--hollow');
  const nodeName = v['node-name'] ?? (hollow > 0 ? 'hollow-node' : hostname().toLowerCase());
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(nodeName) || nodeName.length > 253) {
    throw new FlagError(`--node-name: ${JSON.stringify(nodeName)} is not a valid node name (lower-case letters, digits, '-' and '.')`, 'invalid-value', '--node-name');
  }
  const home = env['TUGBOAT_HOME'] || join(homedir(), '.tugboat');
  const { server, 'pod-cidr': podCidr, 'proxy-kubeconfig': proxyKubeconfig, 'nodeport-addresses': nodePortAddresses } = v;
  const flags: AgentFlags = {
    kubeconfig: v.kubeconfig ?? '',
    ...(server !== undefined ? { server } : {}),
    tlsCertFile: v['tls-cert-file'] ?? '',
    tlsPrivateKeyFile: v['tls-private-key-file'] ?? '',
    clientCaFile: v['client-ca-file'] ?? '',
    nodeName,
    runtime,
    ...(podCidr !== undefined ? { podCidr } : {}),
    ...(proxyKubeconfig ? { proxyKubeconfig } : {}),
    proxyMode: v['proxy-mode'],
    ...(nodePortAddresses !== undefined ? { nodePortAddresses } : {}),
    labels: v.labels,
    taints: v.taints,
    capacity: v.capacity,
    listen: v.listen,
    httpListen: v['http-listen'],
    dataDir: v['data-dir'] ?? join(home, 'nodes', nodeName),
    leaseIntervalMs: v['lease-interval'],
    leaseRenewIntervalMs: v['lease-renew-interval'],
    hollow,
    fakeStartDelayMs: v['fake-start-delay'],
    nodeStatusIntervalMs: v['node-status-interval'],
    nodeStatusReportIntervalMs: v['node-status-report-interval'],
    backoffInitialMs: v['backoff-initial'],
    backoffMaxMs: v['backoff-max'],
    containerLogMaxBytes: v['container-log-max-size'],
    containerLogMaxFiles: v['container-log-max-files'],
    clusterDNS: v['cluster-dns'],
    clusterDomain: v['cluster-domain'],
    insecureRegistries: v['insecure-registry'],
    registryMirrors: v['registry-mirror'],
  };
  if (flags.backoffMaxMs < flags.backoffInitialMs) throw new FlagError('--backoff-initial must be more than 0 and at most --backoff-max', 'invalid-combination', '--backoff-initial');
  // Checked last, so a mistyped value is reported as such rather than as a missing flag.
  const missing = REQUIRED_FLAGS.filter((f) => !v[f]).map((f) => `--${f}`);
  if (missing.length) {
    const list = missing.length === 1 ? missing[0] : `${missing.slice(0, -1).join(', ')} and ${missing[missing.length - 1]}`;
    throw new FlagError(`${list} ${missing.length === 1 ? 'is' : 'are'} required: the agent talks to the API server and serves logs and exec only over authenticated TLS`, 'invalid-value');
  }
  return { command: 'run', flags };
}

export const USAGE = `Usage:
  tugboat-agent --kubeconfig FILE --tls-cert-file FILE --tls-private-key-file FILE
                --client-ca-file FILE [--node-name NAME] [flags]
  tugboat-agent kill-containers --data-dir DIR

The Tugboat node agent: registers its Node, renews its Lease, runs the pods bound to it
through a container runtime, reports their status and usage, and serves their logs.
${formatFlagUsage(FLAGS, { column: 29, help: 'this text' })}
kill-containers SIGKILLs every container (and its monitor) recorded under DIR, as a machine
crash would.
`;
