// Command-line flags of tugboat-agent (`--flag value` or `--flag=value`). Pure: argv and the
// environment in, options or a one-line Error out.
import { isIP } from 'node:net';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { isQuantity, parseDuration, parseIPv4Cidr, type Taint } from '@tugboat/api';
import { parseNodePortAddresses, type ProxyModeChoice } from './network/proxy/node-facts.js';

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
  hollow: number;
  fakeStartDelayMs: number;
  nodeStatusIntervalMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
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

export const USAGE = `Usage:
  tugboat-agent --kubeconfig FILE --tls-cert-file FILE --tls-private-key-file FILE
                --client-ca-file FILE [--node-name NAME] [flags]
  tugboat-agent kill-containers --data-dir DIR

The Tugboat node agent: registers its Node, renews its Lease, runs the pods bound to it
through a container runtime, reports their status and usage, and serves their logs.

Security (all four are required: the agent speaks only TLS, both ways):
  --kubeconfig FILE          the API server's address, the cluster CA and this node's client
                             certificate (CN system:node:NAME, O system:nodes), as kubelet's
  --server ADDR              override the kubeconfig's API server address (HOST:PORT)
  --tls-cert-file FILE       serving certificate of the gRPC (logs/exec) port; the API server
                             accepts it only if it chains to the cluster CA and has
                             CN system:node:NAME
  --tls-private-key-file FILE  its key
  --client-ca-file FILE      CA a client of the gRPC port must present a certificate from;
                             only members of system:masters (the API server's kubelet
                             client) are then served

  --node-name NAME           the Node's name (default: this host's name)
  --runtime oci|process|fake oci: containers from OCI images run by runc/crun under conmon
                             (default where the agent is root with runc or crun and conmon);
                             process: each container's command as a host process (the
                             default elsewhere); fake: start nothing, containers Running
                             after --fake-start-delay
  --pod-cidr CIDR            oci: the node's pod network, also written to its Node (default:
                             the Node's spec.podCIDR, given by the node IPAM controller)
  --cluster-dns IP[,IP]      nameserver(s) of pods with dnsPolicy ClusterFirst (the cluster
                             DNS Service's ClusterIP; default none: those pods get the
                             host's resolv.conf, with a MissingClusterDNS warning)
  --cluster-domain NAME      the cluster's DNS domain, root of pods' search paths (default
                             cluster.local)
  --insecure-registry LIST   oci: registries that may be reached over plain http, HOST:PORT or
                             a CIDR of their addresses (Docker's insecure-registries; loopback
                             ones always may)
  --registry-mirror LIST     oci: DOMAIN=HOST[:PORT],… pull images of DOMAIN (docker.io for
                             nginx:1.25) from HOST[:PORT] instead, with the same repository
                             and tag (a pull-through cache or an air-gapped copy; containerd's
                             hosts.toml "server")
  --labels k=v,...           extra Node labels
  --taints k=v:Effect,...    Node taints at registration (NoSchedule, PreferNoSchedule, NoExecute)
  --capacity cpu=..,memory=..,pods=..
                             override the machine's capacity (default: its cores, memory, pods 110)
  --listen HOST:PORT         gRPC (logs, exec) address; port 0 picks one (default ${DEFAULT_LISTEN})
  --http-listen HOST:PORT    /metrics and /healthz; port 0 picks one (default ${DEFAULT_HTTP_LISTEN})
  --data-dir DIR             container records and logs (default $TUGBOAT_HOME/nodes/NAME,
                             TUGBOAT_HOME defaulting to ~/.tugboat)
  --lease-interval D         how often the node Lease is renewed (default 2s)
  --hollow N                 register and serve N hollow nodes NAME-1 … NAME-N (fake runtime;
                             NAME defaults to hollow-node) in this one process. They all use
                             the one --kubeconfig, so its credential must be allowed to act
                             for every hollow node (a system:masters kubeconfig, say): a
                             node's own certificate may act only for that node
  --fake-start-delay D       fake runtime: time from start to Running (default 0s)
  --node-status-interval D   how often node status and usage are reported (default 10s)
  --backoff-initial D        first crash-loop back-off (default 10s, as Kubernetes)
  --backoff-max D            longest crash-loop back-off (default 5m, as Kubernetes)

Service proxy (kube-proxy's job, one nftables table per agent; not for --hollow):
  --proxy-kubeconfig FILE    the proxy's credentials (user system:kube-proxy, bound to
                             ClusterRole system:node-proxier); without it no proxy runs
  --proxy-mode nftables|off  default nftables where nft is installed and the agent is root,
                             else off
  --nodeport-addresses CIDR,...|primary
                             addresses NodePorts are served on: local addresses inside the
                             CIDRs, and/or the node's own address (default: every local
                             address except loopback, as kube-proxy without the flag)
  --help                     this text

kill-containers SIGKILLs every container (and its monitor) recorded under DIR, as a machine
crash would.
`;

export function parseHostPort(text: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${flag}: expected HOST:PORT, got ${JSON.stringify(text)}`);
  return { host: (m[1] ?? m[2] ?? '') || '0.0.0.0', port };
}

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

/** "198.19.0.10" or "198.19.0.10,198.19.0.11" (kubelet's --cluster-dns, a list of IPs). */
export function parseClusterDNS(text: string): string[] {
  const out: string[] = [];
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (isIP(item) === 0) throw new Error(`--cluster-dns: ${JSON.stringify(item)} is not an IP address`);
    out.push(item);
  }
  return out;
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

/** Secure by default: the agent does not run without these (kubelet's names). */
const REQUIRED_FLAGS = ['kubeconfig', 'tls-cert-file', 'tls-private-key-file', 'client-ca-file'] as const;

const RUN_FLAGS = new Set([
  ...REQUIRED_FLAGS, 'server', 'node-name', 'runtime', 'labels', 'taints', 'capacity', 'listen', 'http-listen', 'data-dir', 'lease-interval',
  'hollow', 'fake-start-delay', 'node-status-interval', 'backoff-initial', 'backoff-max', 'pod-cidr', 'cluster-dns', 'cluster-domain', 'insecure-registry', 'registry-mirror',
  'proxy-kubeconfig', 'proxy-mode', 'nodeport-addresses',
]);

function readFlags(argv: readonly string[], known: ReadonlySet<string>): Map<string, string> | 'help' {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') return 'help';
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m?.[1]) throw new Error(`unexpected argument ${JSON.stringify(arg)}`);
    const name = m[1];
    if (!known.has(name)) throw new Error(`unknown flag --${name}`);
    let value = m[2];
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new Error(`flag --${name} needs a value`);
    }
    values.set(name, value);
  }
  return values;
}

export function parseCommand(argv: readonly string[], env: Record<string, string | undefined> = process.env): ParsedCommand {
  if (argv[0] === 'kill-containers') {
    const v = readFlags(argv.slice(1), new Set(['data-dir']));
    if (v === 'help') return { command: 'help' };
    const dataDir = v.get('data-dir');
    if (!dataDir) throw new Error('kill-containers: --data-dir is required');
    return { command: 'kill-containers', dataDir };
  }
  const v = readFlags(argv, RUN_FLAGS);
  if (v === 'help') return { command: 'help' };
  const hollowText = v.get('hollow');
  const hollow = hollowText === undefined ? 0 : Number(hollowText);
  if (!Number.isInteger(hollow) || hollow < 0) throw new Error(`--hollow: expected a count of nodes, got ${JSON.stringify(hollowText)}`);
  const runtimeText = v.get('runtime') ?? (hollow > 0 ? 'fake' : 'auto');
  if (runtimeText !== 'process' && runtimeText !== 'fake' && runtimeText !== 'oci' && runtimeText !== 'auto') {
    throw new Error(`--runtime: expected oci, process or fake, got ${JSON.stringify(runtimeText)}`);
  }
  const podCidr = v.get('pod-cidr');
  const clusterDNS = parseClusterDNS(v.get('cluster-dns') ?? '');
  const clusterDomain = parseClusterDomain(v.get('cluster-domain') ?? DEFAULT_CLUSTER_DOMAIN);
  const proxyMode = v.get('proxy-mode') ?? 'auto';
  if (proxyMode !== 'nftables' && proxyMode !== 'off' && proxyMode !== 'auto') throw new Error(`--proxy-mode: expected nftables or off, got ${JSON.stringify(proxyMode)}`);
  const proxyKubeconfig = v.get('proxy-kubeconfig');
  const nodePortText = v.get('nodeport-addresses');
  if (podCidr !== undefined && parseIPv4Cidr(podCidr) === undefined) throw new Error(`--pod-cidr: expected an IPv4 CIDR like 198.18.1.0/24, got ${JSON.stringify(podCidr)}`);
  if (hollow > 0 && runtimeText !== 'fake') throw new Error('--hollow runs hollow nodes: it needs --runtime fake');
  const nodeName = v.get('node-name') ?? (hollow > 0 ? 'hollow-node' : hostname().toLowerCase());
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(nodeName) || nodeName.length > 253) {
    throw new Error(`--node-name: ${JSON.stringify(nodeName)} is not a valid node name (lower-case letters, digits, '-' and '.')`);
  }
  const listenText = v.get('listen') ?? DEFAULT_LISTEN;
  const httpText = v.get('http-listen') ?? DEFAULT_HTTP_LISTEN;
  const home = env['TUGBOAT_HOME'] || join(homedir(), '.tugboat');
  const server = v.get('server');
  const flags: AgentFlags = {
    kubeconfig: v.get('kubeconfig') ?? '',
    ...(server !== undefined ? { server } : {}),
    tlsCertFile: v.get('tls-cert-file') ?? '',
    tlsPrivateKeyFile: v.get('tls-private-key-file') ?? '',
    clientCaFile: v.get('client-ca-file') ?? '',
    nodeName,
    runtime: runtimeText,
    ...(podCidr !== undefined ? { podCidr } : {}),
    ...(proxyKubeconfig ? { proxyKubeconfig } : {}),
    proxyMode,
    ...(nodePortText !== undefined ? { nodePortAddresses: parseNodePortAddresses(nodePortText) } : {}),
    labels: parseLabels(v.get('labels') ?? ''),
    taints: parseTaints(v.get('taints') ?? ''),
    capacity: parseCapacity(v.get('capacity') ?? ''),
    listen: parseHostPort(listenText, '--listen'),
    httpListen: parseHostPort(httpText, '--http-listen'),
    dataDir: v.get('data-dir') ?? join(home, 'nodes', nodeName),
    leaseIntervalMs: parseDuration(v.get('lease-interval') ?? '2s', '--lease-interval'),
    hollow,
    fakeStartDelayMs: parseDuration(v.get('fake-start-delay') ?? '0s', '--fake-start-delay'),
    nodeStatusIntervalMs: parseDuration(v.get('node-status-interval') ?? '10s', '--node-status-interval'),
    backoffInitialMs: parseDuration(v.get('backoff-initial') ?? '10s', '--backoff-initial'),
    backoffMaxMs: parseDuration(v.get('backoff-max') ?? '5m', '--backoff-max'),
    clusterDNS,
    clusterDomain,
    insecureRegistries: parseInsecureRegistries(v.get('insecure-registry') ?? ''),
    registryMirrors: parseRegistryMirrors(v.get('registry-mirror') ?? ''),
  };
  if (flags.leaseIntervalMs <= 0) throw new Error('--lease-interval must be more than 0');
  if (flags.nodeStatusIntervalMs <= 0) throw new Error('--node-status-interval must be more than 0');
  if (flags.backoffInitialMs <= 0 || flags.backoffMaxMs < flags.backoffInitialMs) throw new Error('--backoff-initial must be more than 0 and at most --backoff-max');
  // Checked last, so a mistyped value is reported as such rather than as a missing flag.
  const missing = REQUIRED_FLAGS.filter((f) => !v.get(f)).map((f) => `--${f}`);
  if (missing.length) {
    const list = missing.length === 1 ? missing[0] : `${missing.slice(0, -1).join(', ')} and ${missing[missing.length - 1]}`;
    throw new Error(`${list} ${missing.length === 1 ? 'is' : 'are'} required: the agent talks to the API server and serves logs and exec only over authenticated TLS`);
  }
  return { command: 'run', flags };
}

