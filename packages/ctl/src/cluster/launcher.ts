// The local cluster launcher behind `tctl cluster up|down|status|stop-node|start-node`:
// etcd, the API server and — when their programs are built — the scheduler, the
// controller manager and N agents, each a detached background process with its log in
// $TUGBOAT_HOME/logs/<name>.log and its record in $TUGBOAT_HOME/cluster.json.
//
//   up:  PKI (first start) ─▶ [oci: network slot, bridge, --hosts namespaces] ─▶ etcd ──/health──▶
//        apiserver[, apiserver-2 …] ──/readyz──▶ kubeconfigs ─▶ scheduler, controllers, dns, node-1…N,
//        [--monitoring: prometheus ──/-/ready] ──▶ nodes Ready
//   down: in reverse; agents' containers are killed with `tugboat-agent kill-containers`.
//
// --monitoring (monitoring.ts): every time a component is recorded in cluster.json, its
// Prometheus targets (file_sd) are rewritten too, so a component on new ports is followed.
//
// Secure by default: every connection is TLS with certificates from $TUGBOAT_HOME/pki (see
// pki.ts) — etcd takes only the API server's etcd client certificate, the API server takes
// each component's own certificate, agents take only the API server's.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readConfig, writeConfig, configPath, type Env } from '../config.js';
import { formatHostPort, sleep } from '@tugboat/api';
import { CliError } from '../errors.js';
import { findComponent, findEtcd, findPrometheus, type ComponentBinary, type Program } from './binaries.js';
import { isHealthy, waitForNodesReady } from './health.js';
import { ClusterPki, ClusterPkiLayout } from './pki.js';
import { claimNetworkSlot, clusterNetwork, ensureBridge, ensureHost, hostOf, inNetns, releaseNetworkSlot, removeBridge, removeHost, type ClusterNetwork } from './network.js';
import { MonitoringLayout, findMonitoringDir, prepareMonitoring, writeScrapeTargets } from './monitoring.js';
import { PortAllocator } from './ports.js';
import { isAddressInUse, isRunning, killProcess, listeningPorts, logTail, readLogSince, runToCompletion, spawnDetached, stopProcess, type Started } from './processes.js';
import { STATE_VERSION, readState, sortByRole, writeState, type ClusterState, type ComponentRecord, type Role } from './state.js';

export type Runtime = 'process' | 'fake' | 'oci';

export interface UpOptions {
  nodes: number;
  runtime: Runtime;
  /** Ignore the default ports: every port from the OS (several clusters at once, in tests). */
  randomPorts: boolean;
  ports: { etcd?: number | undefined; etcdPeer?: number | undefined; api?: number | undefined; http?: number | undefined };
  /** More names and addresses for the API server's certificate (machines that dial it by another address). */
  tlsSans: string[];
  /** The API server's listen address, for machines to reach it (default loopback; every address with oci). */
  bindAddress?: string | undefined;
  /** Every node in a network namespace of its own, a simulated server on the cluster's bridge (oci). */
  hosts: boolean;
  /** Prometheus too, scraping every component (manifests/monitoring). */
  monitoring?: boolean;
  /** etcd members (1, 3, 5 or 7): more than one ride out the death of a minority. */
  etcdMembers?: number;
  /** API server instances over the same etcd: clients fail over between them (HA). */
  apiServers?: number;
  /** Extra arguments per component role (hidden flags, for tests and tuning). */
  extraArgs: Partial<Record<Role, string[]>>;
  timeoutMs: number;
}

export interface Reporter {
  info(line: string): void;
  warn(line: string): void;
}

export interface ComponentStatus {
  name: string;
  role: Role;
  pid: number;
  state: 'running' | 'stopped';
  addresses: Record<string, string>;
  logFile: string;
  /** --hosts: the network namespace it runs in. */
  netns?: string;
}

const DEFAULT_PORTS = {
  etcdClient: 2379, etcdPeer: 2380, etcdMetrics: 2381, apiGrpc: 6443, apiHttp: 6480, scheduler: 10259, controllers: 10257, dns: 10053, dnsHttp: 9153,
  agentGrpc: 10250, agentHttp: 10350, prometheus: 9090,
} as const;

const BINARY: Record<Exclude<Role, 'etcd' | 'prometheus'>, ComponentBinary> = {
  apiserver: 'tugboat-apiserver', scheduler: 'tugboat-scheduler', controllers: 'tugboat-controllers', dns: 'tugboat-dns', agent: 'tugboat-agent',
};

/** What a component needs to know of the rest of the cluster to build its command line. */
export interface Wiring {
  /** Every etcd member's client URL, comma-separated (the API server's --etcd-servers). */
  etcdUrl: string;
  /** A multi-member etcd: every member's name=peer URL (--initial-cluster); absent for one member. */
  etcdCluster?: string | undefined;
  /** Tells two clusters' members apart should they ever dial each other (--initial-cluster-token). */
  etcdClusterToken?: string | undefined;
  /** Every API server's gRPC address, comma-separated (what clients fail over between). */
  apiServer: string;
  runtime: Runtime;
  extraArgs: Partial<Record<Role, string[]>>;
  pki: ClusterPkiLayout;
  /** The API server's listen address (--bind-address); default loopback, every address for oci. */
  bindAddress?: string | undefined;
  /** oci clusters: the slot's pod, service and bridge addresses (network.ts). */
  network?: ClusterNetwork | undefined;
  /** --hosts: agents run in their own network namespaces at their hosts' addresses. */
  hosts?: boolean | undefined;
}

const addr = (port: number): string => `127.0.0.1:${port}`;

/** Every API server's gRPC address, comma-separated: the list clients take (kubeconfigs, config.json). */
export function apiServerList(components: readonly ComponentRecord[]): string {
  return components.filter((c) => c.role === 'apiserver').map((c) => c.addresses['grpc'] ?? '').join(',');
}

/** The API server's --etcd-servers: every member's client URL. */
function etcdUrls(members: readonly ComponentRecord[]): string {
  return members.map((m) => `https://${m.addresses['client'] ?? ''}`).join(',');
}

/**
 * Members on one machine talk over loopback, so etcd's LAN defaults (heartbeat 100 ms, election
 * 1 s, a follower waiting 1-2 s before it stands) only slow failover down: a leader's death took
 * over 2 s to heal on a loaded 2-core machine, longer than the API server's retry window. Ten
 * heartbeats per election timeout, as etcd's tuning guide asks.
 */
export const LOCAL_ELECTION_FLAGS = ['--heartbeat-interval', '50', '--election-timeout', '500'] as const;

/** The arguments and addresses of a component on the given ports. Pure. */
export function componentArgs(role: Role, name: string, ports: Record<string, number>, dataDir: string | undefined, w: Wiring): { args: string[]; addresses: Record<string, string> } {
  const extra = w.extraArgs[role] ?? [];
  const pki = w.pki;
  switch (role) {
    case 'etcd': {
      const client = `https://${addr(ports['client']!)}`;
      const peer = `https://${addr(ports['peer']!)}`;
      // One member keeps the name it always had ('tugboat'); members of a cluster go by their component names.
      const member = w.etcdCluster ? name : 'tugboat';
      return {
        args: [
          '--name', member, '--data-dir', dataDir!,
          '--listen-client-urls', client, '--advertise-client-urls', client,
          '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', w.etcdCluster ?? `tugboat=${peer}`,
          ...(w.etcdCluster ? ['--initial-cluster-state', 'new', '--initial-cluster-token', w.etcdClusterToken ?? 'tugboat', ...LOCAL_ELECTION_FLAGS] : []),
          // Mutual TLS on both ports, against etcd's own CA: only the API server's etcd client is let in.
          '--cert-file', pki.etcdServer.cert, '--key-file', pki.etcdServer.key, '--client-cert-auth', '--trusted-ca-file', pki.etcdCa.cert,
          '--peer-cert-file', pki.etcdPeer.cert, '--peer-key-file', pki.etcdPeer.key, '--peer-client-cert-auth', '--peer-trusted-ca-file', pki.etcdCa.cert,
          '--logger', 'zap', '--log-level', 'warn',
          // /metrics and /health in plain HTTP on loopback (kubeadm's 2381), for Prometheus:
          // the client port takes only the API server's certificate.
          ...(ports['metrics'] ? ['--listen-metrics-urls', `http://${addr(ports['metrics'])}`] : []),
          ...extra,
        ],
        addresses: { client: addr(ports['client']!), peer: addr(ports['peer']!), ...(ports['metrics'] ? { metrics: addr(ports['metrics']) } : {}) },
      };
    }
    case 'prometheus': {
      // Its configuration and rules sit beside its data dir ($TUGBOAT_HOME/monitoring, see
      // monitoring.ts). Two days of samples are plenty for a local cluster.
      const dir = dirname(dataDir!);
      return {
        args: [
          '--config.file', join(dir, 'prometheus.yml'), '--storage.tsdb.path', dataDir!, '--storage.tsdb.retention.time', '2d',
          '--web.listen-address', addr(ports['http']!),
          ...extra,
        ],
        addresses: { http: addr(ports['http']!) },
      };
    }
    case 'apiserver': {
      // oci pods live in their own network namespaces and reach the API server through their
      // node's bridge, not loopback: there it listens on every address (TLS, and every request
      // authenticated). Local clients dial loopback unless it listens on one other address.
      const bind = w.bindAddress ?? (w.runtime === 'oci' ? '0.0.0.0' : '127.0.0.1');
      const dial = bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind;
      return {
        args: [
          '--etcd-servers', w.etcdUrl, '--etcd-cafile', pki.etcdCa.cert, '--etcd-certfile', pki.apiserverEtcdClient.cert, '--etcd-keyfile', pki.apiserverEtcdClient.key,
          '--listen', formatHostPort({ host: bind, port: ports['grpc']! }), '--http-listen', addr(ports['http']!),
          '--tls-cert-file', pki.apiserver.cert, '--tls-private-key-file', pki.apiserver.key, '--client-ca-file', pki.ca.cert,
          '--service-account-key-file', pki.saPub, '--service-account-signing-key-file', pki.saKey,
          '--kubelet-client-certificate', pki.apiserverKubeletClient.cert, '--kubelet-client-key', pki.apiserverKubeletClient.key,
          '--kubelet-certificate-authority', pki.ca.cert,
          '--encryption-provider-config', pki.encryptionConfig,
          // Each oci cluster its own ClusterIPs: every node's service proxy hooks them in this
          // machine's network, where another cluster's would answer for the same address.
          ...(w.network ? ['--service-cluster-ip-range', w.network.serviceRange] : []),
          ...extra,
        ],
        addresses: { grpc: formatHostPort({ host: dial, port: ports['grpc']! }), http: addr(ports['http']!) },
      };
    }
    case 'scheduler':
    case 'controllers':
      // A fixed leader-election identity: the launcher runs one replica of each, so one that
      // crashed and is started again by `up` resumes its own Lease at once instead of waiting
      // out the dead process's lease (hostname_pid would differ on every start).
      return {
        args: [
          '--kubeconfig', pki.kubeconfig(role), '--http-listen', addr(ports['http']!), '--id', `tugboat-local-${role}`,
          ...(role === 'controllers' ? ['--root-ca-file', pki.ca.cert] : []),
          // Pod CIDRs from the node IPAM controller, out of this cluster's own range.
          ...(role === 'controllers' && w.network ? ['--allocate-node-cidrs', '--cluster-cidr', w.network.clusterCIDR, '--node-cidr-mask-size', '24'] : []),
          ...extra,
        ],
        addresses: { http: addr(ports['http']!) },
      };
    case 'dns': {
      // oci pods reach it through the service proxy at the kube-dns ClusterIP, which leads to
      // the cluster's bridge address here; process pods are host processes with the host's
      // resolver, so loopback serves tctl and the tests.
      const host = w.network?.bridgeAddress ?? '127.0.0.1';
      return {
        args: [
          // Its metrics too: the kube-dns Service offers them to pods (port 9153).
          '--kubeconfig', pki.kubeconfig('kube-dns'), '--listen', `${host}:${ports['dns']!}`, '--http-listen', `${host}:${ports['http']!}`,
          '--advertise-address', host, ...(w.network ? ['--service-ip', w.network.dnsIP] : []),
          ...extra,
        ],
        addresses: { dns: `${host}:${ports['dns']!}`, http: `${host}:${ports['http']!}` },
      };
    }
    case 'agent': {
      const node = pki.node(name);
      // --hosts: the agent lives at its server's address and reaches the API server across the bridge.
      const host = w.hosts && w.network ? hostOf(w.network, name).address : '127.0.0.1';
      // Every API server, at the bridge address on its port.
      const overBridge = w.network ? w.apiServer.split(',').map((a) => `${w.network!.bridgeAddress}:${a.slice(a.lastIndexOf(':') + 1)}`).join(',') : '';
      return {
        args: [
          '--kubeconfig', node.kubeconfig, '--node-name', name, '--runtime', w.runtime,
          '--listen', `${host}:${ports['grpc']!}`, '--http-listen', `${host}:${ports['http']!}`, '--data-dir', dataDir!,
          '--tls-cert-file', node.serving.cert, '--tls-private-key-file', node.serving.key, '--client-ca-file', pki.ca.cert,
          '--proxy-kubeconfig', pki.kubeconfig('kube-proxy'),
          ...(w.hosts && w.network ? ['--server', overBridge] : []),
          ...(w.network ? ['--cluster-dns', w.network.dnsIP] : []),
          // A server on the bridge reaches this machine's registries at the bridge address
          // (loopback is its own): plain http there, as on loopback.
          ...(w.hosts && w.network ? ['--insecure-registry', `${w.network.bridgeAddress}/32`] : []),
          ...extra,
        ],
        addresses: { grpc: `${host}:${ports['grpc']!}`, http: `${host}:${ports['http']!}` },
      };
    }
  }
}

interface Planned {
  name: string;
  role: Role;
  /** Port name → the port to try first (the default, or what this component had before). */
  preferred: Record<string, number | undefined>;
  /** Ports the user fixed with a flag: used as they are, never replaced. */
  fixed: Record<string, number | undefined>;
  dataDir?: string;
  /** --hosts: the node's network namespace. */
  netns?: string;
}


export class LocalCluster {
  readonly logsDir: string;
  readonly pki: ClusterPki;

  constructor(readonly home: string, private readonly env: Env, private readonly report: Reporter) {
    this.logsDir = join(home, 'logs');
    this.pki = new ClusterPki(home);
  }

  state(): ClusterState | undefined {
    return readState(this.home);
  }

  static running(c: ComponentRecord): boolean {
    return isRunning(c.pid, c.command, c.args);
  }

  status(): ComponentStatus[] {
    const s = this.state();
    if (!s) return [];
    return sortByRole(s.components).map((c) => ({
      name: c.name, role: c.role, pid: c.pid, state: LocalCluster.running(c) ? 'running' : 'stopped', addresses: c.addresses, logFile: c.logFile,
      ...(c.netns ? { netns: c.netns } : {}),
    }));
  }

  private program(role: Role): Program | undefined {
    if (role === 'etcd') return { command: findEtcd(this.env), prefix: [] };
    if (role === 'prometheus') return { command: findPrometheus(this.env), prefix: [] };
    return findComponent(BINARY[role], this.env);
  }

  private processEnv(): NodeJS.ProcessEnv {
    return { ...process.env, ...this.env } as NodeJS.ProcessEnv;
  }

  /** Brings the cluster up; resolves to false when it was up already. */
  async up(opts: UpOptions): Promise<boolean> {
    mkdirSync(this.logsDir, { recursive: true });
    const previous = this.state();
    if (previous && previous.version !== STATE_VERSION) {
      throw new CliError(`the cluster in ${this.home} was made by an earlier Tugboat without TLS; remove it first with: tctl cluster down --purge`);
    }
    if (previous && previous.components.length) {
      const alive = previous.components.filter((c) => LocalCluster.running(c));
      // A running cluster asked for monitoring it does not have yet: Prometheus joins it.
      if (opts.monitoring && !previous.components.some((c) => c.role === 'prometheus') && alive.length > 0) {
        await this.addMonitoring(previous, opts);
        if (alive.length === previous.components.length) return true;
      }
      if (alive.length === previous.components.length) return false;
      if (alive.length > 0) {
        await this.restartDead(previous, opts);
        return true;
      }
    }

    // Check every program first, so a missing one fails before anything starts.
    findEtcd(this.env);
    const monitoring = opts.monitoring === true || previous?.monitoring === true;
    if (monitoring) findPrometheus(this.env);
    const apiserver = this.program('apiserver');
    if (!apiserver) throw new CliError('tugboat-apiserver is not built: run `npm run build` in the Tugboat checkout first');
    const optional: Exclude<Role, 'etcd' | 'prometheus'>[] = ['scheduler', 'controllers', 'dns', 'agent'];
    const missing = optional.filter((r) => !this.program(r));
    const without: Record<string, string> = { agent: 'nodes', scheduler: 'a scheduler', controllers: 'the controller manager', dns: 'cluster DNS' };
    for (const r of missing) this.report.warn(`${BINARY[r]} is not built yet: the cluster runs without ${without[r] ?? r}`);

    if (opts.hosts && opts.runtime !== 'oci') throw new CliError('--hosts needs --runtime oci (process pods share the host\'s network)');
    if (opts.hosts && process.getuid?.() !== 0) throw new CliError('--hosts makes network namespaces: run it as root');
    const network = this.network(opts.runtime, previous);
    const hosts = opts.hosts || previous?.hosts === true;
    const plan = this.plan(opts, previous, new Set(missing));
    const nodeNames = plan.filter((p) => p.role === 'agent').map((p) => p.name);
    if (network) {
      ensureBridge(network);
      if (hosts) for (const p of plan) if (p.role === 'agent') p.netns = ensureHost(network, p.name).netns;
    }
    // Certificates for whatever is new (everything on a first start).
    if (!this.pki.exists()) this.report.info(`making the cluster's certificates and keys in ${this.pki.layout.dir}`);
    // The address it listens on must be in its certificate, for whoever dials it there.
    const sans = [...opts.tlsSans, ...(opts.bindAddress && opts.bindAddress !== '0.0.0.0' && opts.bindAddress !== '::' ? [opts.bindAddress] : []),
      ...(network ? [network.bridgeAddress] : [])];
    const { reissued } = await this.pki.ensure(nodeNames, sans);
    if (reissued) this.report.info(`issued the API server a certificate that also names ${sans.join(', ')}`);
    const state: ClusterState = {
      version: STATE_VERSION, home: this.home, createdAt: previous?.createdAt ?? new Date().toISOString(), runtime: opts.runtime, nodes: opts.nodes, components: [],
      ...(opts.bindAddress ? { bindAddress: opts.bindAddress } : {}),
      ...(network ? { networkSlot: network.slot } : {}),
      ...(hosts ? { hosts: true } : {}),
      ...(monitoring ? { monitoring: true } : {}),
    };
    if (monitoring) this.prepareMonitoring();
    const ports = new PortAllocator(opts.randomPorts);
    for (const p of plan) for (const port of Object.values(p.fixed)) if (port) ports.reserve(port);
    const wiring: Wiring = { etcdUrl: '', apiServer: '', runtime: opts.runtime, extraArgs: opts.extraArgs, pki: this.pki.layout, bindAddress: opts.bindAddress, network, hosts };

    const save = (rec: ComponentRecord): void => {
      state.components = [...state.components.filter((c) => c.name !== rec.name), rec];
      this.record(state);
    };

    const members = plan.filter((p) => p.role === 'etcd');
    const etcdRecs = members.length === 1
      ? [await this.startPlanned(members[0]!, ports, wiring, opts.timeoutMs, save)]
      : await this.startEtcdCluster(members, ports, wiring, opts.timeoutMs, save);
    wiring.etcdUrl = etcdUrls(etcdRecs);
    // One after another: the first makes what a new cluster needs in etcd (namespaces, RBAC
    // bootstrap) before the next starts doing the same.
    const apiRecs: ComponentRecord[] = [];
    for (const p of plan.filter((x) => x.role === 'apiserver')) apiRecs.push(await this.startPlanned(p, ports, wiring, opts.timeoutMs, save));
    wiring.apiServer = apiServerList(apiRecs);
    this.apiServerAt(apiRecs, nodeNames);

    const rest = plan.filter((p) => p.role !== 'etcd' && p.role !== 'apiserver' && p.role !== 'prometheus');
    const results = await Promise.allSettled(rest.map((p) => this.startPlanned(p, ports, wiring, opts.timeoutMs, save)));
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : []));
    if (failures.length) throw new CliError(failures.join('; '));
    const prometheus = plan.find((p) => p.role === 'prometheus');
    if (prometheus) await this.startPlanned(prometheus, ports, wiring, opts.timeoutMs, save);

    await this.waitForNodes(state, opts.timeoutMs);
    return true;
  }

  /** cluster.json, and (--monitoring) Prometheus' targets from it: every record goes through here. */
  private record(state: ClusterState): void {
    writeState(state);
    if (state.monitoring) writeScrapeTargets(new MonitoringLayout(this.home), state.components);
  }

  /** prometheus.yml and the rules, from manifests/monitoring, into $TUGBOAT_HOME/monitoring. */
  private prepareMonitoring(): void {
    prepareMonitoring(new MonitoringLayout(this.home), findMonitoringDir(this.env), { home: this.home, pki: this.pki.layout.dir });
  }

  /** `up --monitoring` on a cluster that runs without it: Prometheus alone, on a free port. */
  private async addMonitoring(state: ClusterState, opts: UpOptions): Promise<void> {
    findPrometheus(this.env);
    state.monitoring = true;
    this.prepareMonitoring();
    const ports = new PortAllocator(opts.randomPorts);
    for (const x of state.components) for (const a of Object.values(x.addresses)) ports.reserve(Number(a.split(':').pop()));
    const save = (rec: ComponentRecord): void => {
      state.components = [...state.components.filter((c) => c.name !== rec.name), rec];
      this.record(state);
    };
    const wiring: Wiring = { etcdUrl: '', apiServer: '', runtime: state.runtime as Runtime, extraArgs: opts.extraArgs, pki: this.pki.layout };
    await this.startPlanned(this.prometheusPlan(undefined), ports, wiring, opts.timeoutMs, save);
  }

  private prometheusPlan(previous: ClusterState | undefined): Planned {
    const before = previous?.components.find((c) => c.role === 'prometheus')?.addresses['http'];
    return {
      name: 'prometheus', role: 'prometheus', dataDir: new MonitoringLayout(this.home).data,
      preferred: { http: before ? Number(before.split(':').pop()) : DEFAULT_PORTS.prometheus }, fixed: {},
    };
  }

  /**
   * The API servers are (again) at `apis`: every kubeconfig names them (the first as `server`,
   * all in the tugboat.dev/servers extension), and tctl's config points at them with the
   * admin's credentials.
   */
  private apiServerAt(apis: readonly ComponentRecord[], nodeNames: readonly string[]): void {
    const list = apiServerList(apis);
    this.pki.writeKubeconfigs(list, nodeNames);
    writeConfig(this.env, { ...readConfig(this.env), server: list, httpServer: apis[0]!.addresses['http']!, kubeconfig: this.pki.layout.kubeconfig('admin') });
  }

  /** An oci cluster's network slot (the one it had, or a free one) and its addresses. */
  private network(runtime: Runtime, previous: ClusterState | undefined): ClusterNetwork | undefined {
    if (runtime !== 'oci' || process.getuid?.() !== 0) return undefined;
    return clusterNetwork(claimNetworkSlot(this.home, previous?.networkSlot));
  }

  /** The bridge and --hosts namespaces again (after `down`, or a reboot). */
  private ensureNetwork(state: ClusterState): void {
    if (state.networkSlot === undefined) return;
    const net = clusterNetwork(state.networkSlot);
    ensureBridge(net);
    if (state.hosts) for (const c of state.components) if (c.role === 'agent') ensureHost(net, c.name);
  }

  /** Components for a fresh start; a restarted cluster keeps the ports it had. */
  private plan(opts: UpOptions, previous: ClusterState | undefined, skip: ReadonlySet<Role>): Planned[] {
    const before = (name: string, port: string): number | undefined => {
      const a = previous?.components.find((c) => c.name === name)?.addresses[port];
      return a ? Number(a.split(':').pop()) : undefined;
    };
    const pick = (name: string, port: string, def: number): number | undefined => before(name, port) ?? def;
    // A cluster keeps the members it was made with; more or fewer would need etcd's member add/remove.
    const memberCount = previous?.components.filter((c) => c.role === 'etcd').length || opts.etcdMembers || 1;
    const plan: Planned[] = Array.from({ length: memberCount }, (_v, i): Planned => {
      // etcd, etcd-2, etcd-3: the first is where a one-member cluster's data always was.
      const name = i === 0 ? 'etcd' : `etcd-${i + 1}`;
      // Members after the first take the defaults plus 10, 20 …, free ones or the OS's.
      const step = 10 * i;
      return {
        name, role: 'etcd', dataDir: join(this.home, i === 0 ? 'etcd' : name),
        preferred: {
          client: pick(name, 'client', DEFAULT_PORTS.etcdClient + step), peer: pick(name, 'peer', DEFAULT_PORTS.etcdPeer + step),
          metrics: pick(name, 'metrics', DEFAULT_PORTS.etcdMetrics + step),
        },
        fixed: i === 0 ? { client: opts.ports.etcd, peer: opts.ports.etcdPeer } : {},
      };
    });
    // As the etcd members: apiserver, apiserver-2 …; a cluster keeps the count it was made with.
    const apiCount = previous?.components.filter((c) => c.role === 'apiserver').length || opts.apiServers || 1;
    for (let i = 0; i < apiCount; i++) {
      const name = i === 0 ? 'apiserver' : `apiserver-${i + 1}`;
      const step = 10 * i;
      plan.push({
        name, role: 'apiserver',
        preferred: { grpc: pick(name, 'grpc', DEFAULT_PORTS.apiGrpc + step), http: pick(name, 'http', DEFAULT_PORTS.apiHttp + step) },
        fixed: i === 0 ? { grpc: opts.ports.api, http: opts.ports.http } : {},
      });
    }
    if (!skip.has('scheduler')) plan.push({ name: 'scheduler', role: 'scheduler', preferred: { http: pick('scheduler', 'http', DEFAULT_PORTS.scheduler) }, fixed: {} });
    if (!skip.has('controllers')) plan.push({ name: 'controllers', role: 'controllers', preferred: { http: pick('controllers', 'http', DEFAULT_PORTS.controllers) }, fixed: {} });
    if (!skip.has('dns')) plan.push({ name: 'dns', role: 'dns', preferred: { dns: pick('dns', 'dns', DEFAULT_PORTS.dns), http: pick('dns', 'http', DEFAULT_PORTS.dnsHttp) }, fixed: {} });
    if (!skip.has('agent')) {
      for (let i = 1; i <= opts.nodes; i++) {
        const name = `node-${i}`;
        plan.push({
          name, role: 'agent', dataDir: join(this.home, 'nodes', name),
          preferred: { grpc: pick(name, 'grpc', DEFAULT_PORTS.agentGrpc + i - 1), http: pick(name, 'http', DEFAULT_PORTS.agentHttp + i - 1) },
          fixed: {},
        });
      }
    }
    if (opts.monitoring || previous?.monitoring) plan.push(this.prometheusPlan(previous));
    return plan;
  }

  /**
   * Starts one planned component and waits until it answers. When it cannot bind its port
   * (another cluster took it between our check and its bind) it is tried on fresh ports.
   */
  private async startPlanned(p: Planned, ports: PortAllocator, wiring: Wiring, timeoutMs: number, save: (r: ComponentRecord) => void): Promise<ComponentRecord> {
    const program = this.program(p.role);
    if (!program) throw new CliError(`${p.name}: program not found`);
    if (p.dataDir) mkdirSync(p.dataDir, { recursive: true });
    let lastError = '';
    for (let attempt = 1; attempt <= 4; attempt++) {
      const chosen: Record<string, number> = {};
      for (const [portName, preferred] of Object.entries(p.preferred)) {
        chosen[portName] = p.fixed[portName] ?? (await ports.pick(attempt === 1 ? preferred : undefined));
      }
      const { args, addresses } = componentArgs(p.role, p.name, chosen, p.dataDir, wiring);
      const rec = this.launch(p.name, p.role, program, args, addresses, p.dataDir, p.netns);
      save(rec.record);
      const outcome = await this.waitHealthy(rec.record, rec.started, timeoutMs);
      if (outcome === 'ready') {
        this.report.info(`started ${p.name.padEnd(11)} pid ${String(rec.record.pid).padEnd(7)} ${formatAddresses(rec.record.addresses)}`);
        return rec.record;
      }
      await killProcess(rec.record.pid, rec.record.command, rec.record.args);
      if (outcome === 'address in use' && Object.values(p.fixed).every((v) => v === undefined)) {
        lastError = `${p.name}: address in use`;
        continue;
      }
      throw new CliError(`${p.name} did not start: ${outcome} (log: ${rec.record.logFile})`);
    }
    throw new CliError(`${lastError}; gave up after 4 tries`);
  }

  /**
   * The members of a new etcd cluster, started together: each must name every peer's URL
   * before it starts, and none answers /health before a majority has elected a leader. When
   * a new one cannot bind its port, all stop, their data dirs (empty but for that try) go,
   * and all try fresh ports. Members with data (a cluster started before) keep their ports:
   * their peers know them by those.
   */
  private async startEtcdCluster(members: readonly Planned[], ports: PortAllocator, wiring: Wiring, timeoutMs: number, save: (r: ComponentRecord) => void): Promise<ComponentRecord[]> {
    const program = this.program('etcd')!;
    const existing = members.some((m) => m.dataDir !== undefined && existsSync(join(m.dataDir, 'member')));
    for (let attempt = 1; attempt <= 4; attempt++) {
      const chosen = new Map<string, Record<string, number>>();
      for (const m of members) {
        const c: Record<string, number> = {};
        for (const [portName, preferred] of Object.entries(m.preferred)) {
          const keep = m.fixed[portName] ?? (existing ? preferred : undefined);
          if (keep !== undefined) ports.reserve(keep);
          c[portName] = keep ?? (await ports.pick(attempt === 1 ? preferred : undefined));
        }
        chosen.set(m.name, c);
      }
      const memberWiring: Wiring = {
        ...wiring,
        etcdCluster: members.map((m) => `${m.name}=https://127.0.0.1:${chosen.get(m.name)!['peer']}`).join(','),
        etcdClusterToken: `tugboat-${createHash('sha256').update(this.home).digest('hex').slice(0, 12)}`,
      };
      const launched = members.map((m) => {
        if (m.dataDir && !existing) { rmSync(m.dataDir, { recursive: true, force: true }); mkdirSync(m.dataDir, { recursive: true }); }
        const { args, addresses } = componentArgs('etcd', m.name, chosen.get(m.name)!, m.dataDir, memberWiring);
        const rec = this.launch(m.name, 'etcd', program, args, addresses, m.dataDir, undefined);
        save(rec.record);
        return rec;
      });
      const outcomes = await Promise.all(launched.map((l) => this.waitHealthy(l.record, l.started, timeoutMs)));
      if (outcomes.every((o) => o === 'ready')) {
        for (const l of launched) this.report.info(`started ${l.record.name.padEnd(11)} pid ${String(l.record.pid).padEnd(7)} ${formatAddresses(l.record.addresses)}`);
        return launched.map((l) => l.record);
      }
      await Promise.all(launched.map((l) => killProcess(l.record.pid, l.record.command, l.record.args)));
      const failed = outcomes.map((o, i) => [members[i]!.name, o] as const).filter(([, o]) => o !== 'ready');
      const clash = failed.some(([, o]) => o === 'address in use');
      if (!clash || existing || members.some((m) => Object.values(m.fixed).some((v) => v !== undefined))) {
        throw new CliError(failed.map(([n, o]) => `${n} did not start: ${o} (log: ${join(this.logsDir, `${n}.log`)})`).join('; '));
      }
    }
    throw new CliError('etcd: address in use; gave up after 4 tries');
  }

  private launch(name: string, role: Role, program: Program, args: string[], addresses: Record<string, string>, dataDir: string | undefined, netns: string | undefined): { record: ComponentRecord; started: Started } {
    const logFile = join(this.logsDir, `${name}.log`);
    mkdirSync(this.logsDir, { recursive: true });
    const fullArgs = [...program.prefix, ...args];
    // nsenter execs the program: the pid and command line recorded are the component's own.
    const run = inNetns(netns, program.command, fullArgs);
    const started = spawnDetached(run.command, run.args, logFile, this.processEnv(), this.home);
    const record: ComponentRecord = {
      name, role, pid: started.pid, addresses, command: program.command, args: fullArgs, logFile,
      ...(dataDir ? { dataDir } : {}), ...(netns ? { netns } : {}), startedAt: new Date().toISOString(),
    };
    return { record, started };
  }

  /** Polls the health endpoint; notices an early exit or a bind failure in the log. */
  private async waitHealthy(rec: ComponentRecord, started: Started, timeoutMs: number): Promise<'ready' | 'address in use' | string> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    started.child.once('exit', () => { exited = true; });
    for (;;) {
      // Healthy, and from this very process: every port it was given is one it listens on.
      // Another cluster's component on the same port answers too; then ours is still starting,
      // or about to fail to bind (seen in its log below) and be tried on other ports.
      if (await isHealthy(rec, this.pki.layout) && ownsPorts(rec)) return 'ready';
      const log = readLogSince(rec.logFile, started.logOffset);
      if (isAddressInUse(log)) return 'address in use';
      if (exited || started.child.exitCode !== null || started.child.signalCode !== null) {
        const tail = logTail(rec.logFile, started.logOffset);
        return `it exited${started.child.exitCode !== null ? ` with code ${started.child.exitCode}` : ''}${tail ? `: ${tail}` : ''}`;
      }
      if (Date.now() > deadline) {
        const tail = logTail(rec.logFile, started.logOffset);
        return `not healthy after ${Math.round(timeoutMs / 1000)}s${tail ? `: ${tail}` : ''}`;
      }
      await sleep(100);
    }
  }

  private async waitForNodes(state: ClusterState, timeoutMs: number): Promise<void> {
    const api = apiServerList(state.components);
    const agents = state.components.filter((c) => c.role === 'agent');
    if (!api || agents.length === 0) return;
    const notReady = await waitForNodesReady(api, this.pki.layout.kubeconfig('admin'), agents.map((a) => a.name), timeoutMs);
    if (notReady.length) {
      throw new CliError(`node(s) not Ready after ${Math.round(timeoutMs / 1000)}s: ${notReady.join(', ')} (logs: ${notReady.map((n) => join(this.logsDir, `${n}.log`)).join(', ')})`);
    }
    this.report.info(`nodes Ready: ${agents.map((a) => a.name).join(', ')}`);
  }

  /** Starts again, with the arguments they had, the components of a partly running cluster. */
  private async restartDead(state: ClusterState, opts: UpOptions): Promise<void> {
    this.ensureNetwork(state);
    for (const c of sortByRole(state.components)) {
      if (LocalCluster.running(c)) continue;
      await this.restart(state, c, opts.timeoutMs);
    }
    await this.waitForNodes(state, opts.timeoutMs);
  }

  /** Same command line as before; on a port clash, new ports for it alone. */
  private async restart(state: ClusterState, c: ComponentRecord, timeoutMs: number): Promise<ComponentRecord> {
    const save = (rec: ComponentRecord): void => {
      state.components = state.components.map((x) => (x.name === rec.name ? rec : x));
      this.record(state);
    };
    if (c.dataDir) mkdirSync(c.dataDir, { recursive: true });
    mkdirSync(this.logsDir, { recursive: true });
    const run = inNetns(c.netns, c.command, c.args);
    const started = spawnDetached(run.command, run.args, c.logFile, this.processEnv(), this.home);
    const rec: ComponentRecord = { ...c, pid: started.pid, startedAt: new Date().toISOString() };
    save(rec);
    const outcome = await this.waitHealthy(rec, started, timeoutMs);
    if (outcome === 'ready') {
      this.report.info(`started ${c.name.padEnd(11)} pid ${String(rec.pid).padEnd(7)} ${formatAddresses(rec.addresses)}`);
      return rec;
    }
    await killProcess(rec.pid, rec.command, rec.args);
    if (outcome !== 'address in use') throw new CliError(`${c.name} did not start: ${outcome} (log: ${c.logFile})`);
    // Someone took its port meanwhile: rebuild its command line on fresh ports.
    const program = this.program(c.role);
    if (!program) throw new CliError(`${c.name}: program not found`);
    if (c.role === 'etcd' && state.components.filter((x) => x.role === 'etcd').length > 1) {
      // Its peers know it by its peer URL: a member cannot move.
      throw new CliError(`${c.name} did not start: its port is taken by another program, and a member of an etcd cluster cannot move to another (log: ${c.logFile})`);
    }
    const wiring: Wiring = {
      etcdUrl: etcdUrls(state.components.filter((x) => x.role === 'etcd')), apiServer: apiServerList(state.components), runtime: state.runtime as Runtime,
      extraArgs: { [c.role]: extraArgsOf(c, program) }, pki: this.pki.layout, bindAddress: state.bindAddress,
      network: state.networkSlot === undefined ? undefined : clusterNetwork(state.networkSlot), hosts: state.hosts,
    };
    const planned: Planned = {
      name: c.name, role: c.role, preferred: Object.fromEntries(Object.keys(c.addresses).map((k) => [k, undefined])), fixed: {},
      ...(c.dataDir ? { dataDir: c.dataDir } : {}), ...(c.netns ? { netns: c.netns } : {}),
    };
    const ports = new PortAllocator(true);
    for (const x of state.components) for (const a of Object.values(x.addresses)) ports.reserve(Number(a.split(':').pop()));
    const next = await this.startPlanned(planned, ports, wiring, timeoutMs, save);
    // Clients find a moved API server through their kubeconfigs: rewrite them. Components
    // started before the move follow on their next restart.
    if (c.role === 'apiserver') this.apiServerAt(state.components.filter((x) => x.role === 'apiserver'), state.components.filter((x) => x.role === 'agent').map((x) => x.name));
    return next;
  }

  async down(purge: boolean): Promise<boolean> {
    const state = this.state();
    let stoppedAny = false;
    if (state) {
      const agents = state.components.filter((c) => c.role === 'agent');
      await Promise.all(agents.map(async (c) => {
        const how = await stopProcess(c.pid, c.command, c.args);
        this.killContainers(c);
        if (how !== 'not running') stoppedAny = true;
        this.report.info(`${how === 'not running' ? 'was not running' : how.padEnd(15)} ${c.name}`);
      }));
      const others = sortByRole(state.components.filter((c) => c.role !== 'agent')).reverse();
      for (const c of others) {
        const how = await stopProcess(c.pid, c.command, c.args);
        if (how !== 'not running') stoppedAny = true;
        this.report.info(`${how === 'not running' ? 'was not running' : how.padEnd(15)} ${c.name}`);
      }
      // Nothing runs on the cluster's network now: its bridge and servers go (`up` makes them again).
      if (state.networkSlot !== undefined) {
        const net = clusterNetwork(state.networkSlot);
        if (state.hosts) for (const c of agents) removeHost(net, c.name);
        removeBridge(net);
        if (purge) releaseNetworkSlot(this.home, state.networkSlot);
      }
    }
    if (purge) this.purge(state);
    return stoppedAny;
  }

  /** Runs `tugboat-agent kill-containers` for an agent's data dir: no container outlives its node. */
  private killContainers(c: ComponentRecord): void {
    if (!c.dataDir || !existsSync(c.dataDir)) return;
    const agent = findComponent('tugboat-agent', this.env);
    if (!agent) return;
    // In the node's own network namespace: its pods' links are there.
    const run = inNetns(c.netns, agent.command, [...agent.prefix, 'kill-containers', '--data-dir', c.dataDir]);
    const res = runToCompletion(run.command, run.args, this.processEnv());
    if (!res.ok) this.report.warn(`${c.name}: kill-containers failed: ${res.output.split('\n').pop() ?? ''}`);
  }

  private purge(state: ClusterState | undefined): void {
    // The certificates go too: a new cluster gets a new CA and new keys.
    const members = (state?.components ?? []).filter((c) => c.role === 'etcd' && c.dataDir).map((c) => c.dataDir!);
    for (const p of [join(this.home, 'etcd'), ...members, join(this.home, 'nodes'), this.logsDir, join(this.home, 'cluster.json'), this.pki.layout.dir, new MonitoringLayout(this.home).dir]) {
      rmSync(p, { recursive: true, force: true });
    }
    // The config pointed at this cluster: it is gone, so is the pointer.
    const apis = state ? apiServerList(state.components) : '';
    const config = readConfig(this.env);
    // Pointing at them: the whole list, or (written by an earlier tctl) the first alone.
    if (!config.server || (apis && (config.server === apis || config.server === apis.split(',')[0]))) rmSync(configPath(this.env), { force: true });
    try {
      if (existsSync(this.home) && readdirSync(this.home).length === 0) rmdirSync(this.home);
    } catch { /* not empty after all: keep it */ }
    this.report.info(`deleted the cluster's data in ${this.home}`);
  }

  private agentRecord(name: string): { state: ClusterState; rec: ComponentRecord } {
    const state = this.state();
    if (!state) throw new CliError(`no local cluster in ${this.home} (start one with: tctl cluster up --nodes N)`);
    const rec = state.components.find((c) => c.name === name && c.role === 'agent');
    if (!rec) {
      const nodes = state.components.filter((c) => c.role === 'agent').map((c) => c.name);
      throw new CliError(`no node named "${name}" in this cluster${nodes.length ? ` (nodes: ${nodes.join(', ')})` : ' (it has no nodes)'}`);
    }
    return { state, rec };
  }

  /**
   * A machine crash: SIGKILL the agent, then every container it ran. The named nodes crash
   * together: every name is checked before anything is killed, and
   * the agents die within milliseconds of each other, as in a rack losing power (one
   * `stop-node` after another can be seconds apart on a loaded machine).
   */
  async stopNodes(names: readonly string[]): Promise<void> {
    const recs = names.map((name) => ({ name, rec: this.agentRecord(name).rec }));
    const killed = await Promise.all(recs.map(({ rec }) => killProcess(rec.pid, rec.command, rec.args)));
    for (const [i, { name, rec }] of recs.entries()) {
      this.killContainers(rec);
      this.report.info(killed[i] ? `${name} stopped: agent (pid ${rec.pid}) and its containers killed` : `${name} was not running; its containers are killed`);
    }
  }

  async startNode(name: string, timeoutMs: number): Promise<boolean> {
    const { state, rec } = this.agentRecord(name);
    if (LocalCluster.running(rec)) return false;
    await this.restart(state, rec, timeoutMs);
    const apis = state.components.filter((c) => c.role === 'apiserver' && LocalCluster.running(c));
    if (apis.length) {
      const notReady = await waitForNodesReady(apiServerList(apis), this.pki.layout.kubeconfig('admin'), [name], timeoutMs);
      if (notReady.length) throw new CliError(`${name} started but is not Ready after ${Math.round(timeoutMs / 1000)}s (log: ${rec.logFile})`);
      this.report.info(`${name} is Ready`);
    }
    return true;
  }
}

/** Whether the component's process listens on every TCP port of its addresses (true where /proc cannot tell). */
export function ownsPorts(rec: ComponentRecord): boolean {
  const mine = listeningPorts(rec.pid);
  if (!mine) return true;
  return Object.values(rec.addresses).every((a) => mine.has(Number(a.slice(a.lastIndexOf(':') + 1))));
}

/** The extra arguments a component was started with, after the ones tctl always passes. */
function extraArgsOf(c: ComponentRecord, program: Program): string[] {
  if (c.role === 'etcd') return [];
  const own = c.args.slice(program.prefix.length);
  // Everything tctl passes is a "--flag value" pair; extras were appended after them.
  const known = new Set([
    '--etcd-servers', '--listen', '--http-listen', '--server', '--node-name', '--runtime', '--data-dir', '--kubeconfig', '--id', '--root-ca-file',
    '--etcd-cafile', '--etcd-certfile', '--etcd-keyfile', '--tls-cert-file', '--tls-private-key-file', '--client-ca-file',
    '--service-account-key-file', '--service-account-signing-key-file', '--kubelet-client-certificate', '--kubelet-client-key',
    '--kubelet-certificate-authority', '--encryption-provider-config', '--service-cluster-ip-range', '--cluster-cidr', '--node-cidr-mask-size',
    '--proxy-kubeconfig', '--cluster-dns', '--insecure-registry', '--service-ip', '--advertise-address',
    // Prometheus'.
    '--config.file', '--storage.tsdb.path', '--storage.tsdb.retention.time', '--web.listen-address',
  ]);
  // …and the ones that take no value.
  const switches = new Set(['--allocate-node-cidrs']);
  const out: string[] = [];
  for (let i = 0; i < own.length; i++) {
    if (switches.has(own[i]!)) continue;
    if (known.has(own[i]!)) { i++; continue; }
    out.push(own[i]!);
  }
  return out;
}

export function formatAddresses(addresses: Record<string, string>): string {
  return Object.entries(addresses).map(([k, v]) => `${k} ${v}`).join('  ');
}
