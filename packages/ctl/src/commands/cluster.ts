// `tctl cluster up|down|status|stop-node|start-node|logs`: the local cluster (see
// cluster/launcher.ts). State lives in $TUGBOAT_HOME (default ~/.tugboat).
import { existsSync, readFileSync } from 'node:fs';
import { durationArg } from '../args.js';
import { defineCommand, defineGroup } from '../command.js';
import { tugboatHome } from '../config.js';
import type { Context } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { LocalCluster, formatAddresses, type Runtime } from '../cluster/launcher.js';
import { consoleUrl } from './console.js';
import { issueUserCommand, joinConfigCommand } from './credentials.js';
import { parseOutput, toJson } from '../printers/output.js';
import { renderTable } from '../printers/table.js';
import type { Role } from '../cluster/state.js';

function cluster(ctx: Context): LocalCluster {
  return new LocalCluster(tugboatHome(ctx.env), ctx.env, {
    info: (line) => ctx.out(`${line}\n`),
    warn: (line) => ctx.err(`Warning: ${line}\n`),
  });
}

const RUNTIMES: readonly Runtime[] = ['process', 'fake', 'oci'];

function statusTable(c: LocalCluster): string {
  const status = c.status();
  const rows = status.map((s) => [s.name, s.state, s.state === 'running' ? String(s.pid) : '-', formatAddresses(s.addresses)]);
  const api = status.find((s) => s.role === 'apiserver' && s.state === 'running')?.addresses['grpc'];
  // The API server's one TLS port speaks gRPC (tctl, components) and Kubernetes' REST API.
  const rest = api && existsSync(c.pki.layout.userKubeconfig)
    ? `\nKubernetes API: https://${api} (KUBECONFIG=${c.pki.layout.userKubeconfig} kubectl get nodes)\n`
    : '';
  // The web console is served by the API server on the same port (packages/console).
  const webConsole = api ? `Web console: ${consoleUrl(api)} (sign-in link with a read-only token: tctl console)\n` : '';
  const prometheus = status.find((s) => s.role === 'prometheus' && s.state === 'running')?.addresses['http'];
  const monitoring = prometheus
    ? `Prometheus: http://${prometheus} (alerts: http://${prometheus}/alerts; Grafana dashboard: manifests/monitoring/dashboards/tugboat-cluster.json)\n`
    : '';
  return `${renderTable(['NAME', 'STATE', 'PID', 'ADDRESSES'], rows).join('\n')}\n${rest}${webConsole}${monitoring}`;
}

const port = (v: number | undefined, flag: string): number | undefined => {
  if (v !== undefined && (v < 1 || v > 65535)) throw new UsageError(`--${flag} must be a port number (1-65535)`);
  return v;
};

const up = defineCommand({
  name: 'up',
  summary: 'Start a local cluster: etcd, the API server, scheduler, controllers and N nodes',
  usage: 'tctl cluster up [--nodes N] [--runtime process|fake|oci] [--monitoring]',
  details: 'Components run in the background; their state and logs are in $TUGBOAT_HOME (default ~/.tugboat).\nDefault ports: etcd 2379, API server 6443 (gRPC) and 6480 (HTTP); a free port is used when one is taken.',
  flags: {
    nodes: { type: 'int', value: 'N', default: 1, description: 'number of nodes (agents node-1 … node-N)' },
    runtime: { type: 'string', value: 'process|fake|oci', default: 'process', description: 'how agents run containers (default process: host processes, no images needed; oci: real containers from registry images, as root with runc)' },
    timeout: { type: 'string', value: 'DURATION', default: '60s', description: 'how long to wait for each component to be ready' },
    'bind-address': { type: 'string', value: 'IP', description: 'where the API server listens (kube-apiserver\'s flag): 0.0.0.0 for other machines (default 127.0.0.1; 0.0.0.0 with --runtime oci); added to its certificate' },
    monitoring: { type: 'boolean', description: 'also run Prometheus (Debian\'s prometheus package) scraping every component, with the alert rules of manifests/monitoring; on a running cluster, starts it alone' },
    hosts: { type: 'boolean', description: 'with --runtime oci: every node in a network namespace of its own, a simulated server on a shared bridge (198.19.240–245.0/24); pods on different nodes reach each other only through the routes the agents keep' },
    'etcd-members': { type: 'int', value: 'N', default: 1, description: 'etcd members on this machine (1, 3, 5 or 7): with 3, the cluster rides out the death of any one; the API server uses every member and fails over' },
    apiservers: { type: 'int', value: 'N', default: 1, description: 'API server processes over the same etcd (apiserver, apiserver-2 …, each on its own ports): kubeconfigs list them all and every client fails over between them' },
    'tls-san': { type: 'strings', value: 'NAME|IP', description: 'another name or address for the API server\'s certificate, for machines that reach it there (repeatable or comma-separated; as k3s\' --tls-san)' },
    'random-ports': { type: 'boolean', hidden: true, description: 'every port from the OS, not the defaults (tests)' },
    'etcd-port': { type: 'int', hidden: true, description: 'etcd client port' },
    'etcd-peer-port': { type: 'int', hidden: true, description: 'etcd peer port' },
    'api-port': { type: 'int', hidden: true, description: 'API server gRPC port' },
    'http-port': { type: 'int', hidden: true, description: 'API server HTTP port' },
    'apiserver-arg': { type: 'strings', hidden: true, description: 'extra argument for the API server' },
    'scheduler-arg': { type: 'strings', hidden: true, description: 'extra argument for the scheduler' },
    'controllers-arg': { type: 'strings', hidden: true, description: 'extra argument for the controller manager' },
    'agent-arg': { type: 'strings', hidden: true, description: 'extra argument for every agent' },
    'node-monitor-grace-period': { type: 'string', value: 'DURATION', description: 'how long a node may miss heartbeats before it is NotReady (controllers); agents then renew their lease 4 times as often' },
  },
  async run(ctx, { flags, positionals, given }) {
    if (positionals.length) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
    if (flags.nodes < 0) throw new UsageError('--nodes must be 0 or more');
    // An even count tolerates no more failures than the odd one below it, and splits votes.
    if (![1, 3, 5, 7].includes(flags['etcd-members'])) throw new UsageError('--etcd-members must be 1, 3, 5 or 7 (a majority must stay up: 3 members ride out 1 failure, 5 ride out 2)');
    if (flags.apiservers < 1 || flags.apiservers > 9) throw new UsageError('--apiservers must be from 1 to 9');
    const runtime = flags.runtime as Runtime;
    if (!RUNTIMES.includes(runtime)) throw new UsageError(`--runtime must be one of ${RUNTIMES.join(', ')}`);
    const controllersArgs = [...flags['controllers-arg']];
    const agentArgs = [...flags['agent-arg']];
    const grace = flags['node-monitor-grace-period'];
    if (grace) {
      controllersArgs.push('--node-monitor-grace-period', grace);
      // Heartbeats must come several times per grace period (Kubernetes: 10 s renewals for
      // 40 s), or healthy nodes look dead between two renewals.
      if (!agentArgs.some((a) => a.startsWith('--lease-interval'))) agentArgs.push('--lease-interval', `${Math.max(250, Math.floor(durationArg(grace) / 4))}ms`);
      // …and checked often enough that a dead node is noticed soon after its grace period,
      // not up to a whole (default 1 s) period later.
      if (!controllersArgs.some((a) => a.startsWith('--node-monitor-period'))) controllersArgs.push('--node-monitor-period', `${Math.min(1000, Math.max(100, Math.floor(durationArg(grace) / 8)))}ms`);
    }
    const c = cluster(ctx);
    ctx.out(`Starting a local Tugboat cluster in ${c.home}\n`);
    const extraArgs: Partial<Record<Role, string[]>> = {
      apiserver: flags['apiserver-arg'], scheduler: flags['scheduler-arg'], controllers: controllersArgs, agent: agentArgs,
    };
    const started = await c.up({
      nodes: flags.nodes,
      runtime,
      randomPorts: flags['random-ports'],
      ports: {
        etcd: port(flags['etcd-port'], 'etcd-port'), etcdPeer: port(flags['etcd-peer-port'], 'etcd-peer-port'),
        api: port(flags['api-port'], 'api-port'), http: port(flags['http-port'], 'http-port'),
      },
      extraArgs,
      bindAddress: flags['bind-address'],
      hosts: flags.hosts,
      monitoring: flags.monitoring,
      etcdMembers: flags['etcd-members'],
      apiServers: flags.apiservers,
      tlsSans: flags['tls-san'].flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean),
      timeoutMs: durationArg(flags.timeout),
    });
    const state = c.state();
    const apis = state?.components.filter((x) => x.role === 'apiserver').map((x) => x.addresses['grpc'] ?? '?') ?? [];
    const etcdEndpoints = state?.components.filter((x) => x.role === 'etcd').map((x) => `https://${x.addresses['client'] ?? '?'}`).join(',') || '?';
    if (!started) ctx.out(`The cluster is already up.${given.has('tls-san') ? ' (--tls-san takes effect on a start: tctl cluster down, then up --tls-san ….)' : ''}\n`);
    ctx.out(`\n${statusTable(c)}\n`);
    // An existing cluster keeps what it was made with; asking for other nodes or another
    // runtime changes nothing, so say so instead of letting it pass unnoticed.
    const differs = state && (
      (given.has('nodes') && state.nodes !== flags.nodes && state.components.some((x) => x.role === 'agent')) ||
      (given.has('runtime') && state.runtime !== runtime));
    if (differs) {
      const nodes = given.has('nodes') ? flags.nodes : state.nodes;
      const wanted = given.has('runtime') ? runtime : state.runtime;
      ctx.out(`(It has ${state.nodes} node(s) with the ${state.runtime} runtime; to change that: tctl cluster down, then tctl cluster up --nodes ${nodes} --runtime ${wanted}.)\n\n`);
    }
    const pki = c.pki.layout;
    ctx.out([
      `tctl now talks to the API server${apis.length > 1 ? 's' : ''} at ${apis.join(', ') || '?'} over TLS as the cluster admin (saved in ${c.home}/config.json; credentials in ${pki.kubeconfig('admin')}). Try:`,
      '  tctl apply -f manifests/demo.yaml',
      '  tctl get pods -A',
      '  tctl console                 (the web console\'s address and a sign-in link)',
      `  KUBECONFIG=${pki.userKubeconfig} kubectl get pods -A     (any Kubernetes client: the same port serves Kubernetes' REST API)`,
      '  tctl cluster status',
      '  tctl cluster down            (--purge also deletes the data)',
      `Logs: ${c.logsDir}/<name>.log`,
      `etcd: etcdctl --endpoints ${etcdEndpoints} --cacert ${pki.etcdCa.cert} --cert ${pki.apiserverEtcdClient.cert} --key ${pki.apiserverEtcdClient.key} get --prefix /registry/ --keys-only`,
      '',
    ].join('\n'));
    return 0;
  },
});

const status = defineCommand({
  name: 'status',
  summary: 'List the local cluster\'s components: state, pid, addresses',
  usage: 'tctl cluster status [-o json]',
  flags: { output: { type: 'string', short: 'o', value: 'FORMAT', description: 'json' } },
  async run(ctx, { flags }) {
    const output = parseOutput(flags.output, ['json', 'wide']);
    const c = cluster(ctx);
    const components = c.status();
    if (output.kind === 'json') {
      ctx.out(toJson({ home: c.home, ...(existsSync(c.pki.layout.userKubeconfig) ? { kubeconfig: c.pki.layout.userKubeconfig } : {}), components: components.map((s) => ({ name: s.name, role: s.role, pid: s.pid, state: s.state, addresses: s.addresses, logFile: s.logFile, ...(s.netns ? { netns: s.netns } : {}) })) }));
      return 0;
    }
    if (components.length === 0) {
      ctx.err(`No local cluster in ${c.home} (start one with: tctl cluster up)\n`);
      return 0;
    }
    ctx.out(statusTable(c));
    return 0;
  },
});

const down = defineCommand({
  name: 'down',
  summary: 'Stop the local cluster (--purge also deletes its data)',
  usage: 'tctl cluster down [--purge]',
  flags: { purge: { type: 'boolean', description: 'delete etcd\'s data, the nodes\' data and the logs too' } },
  async run(ctx, { flags }) {
    const c = cluster(ctx);
    const state = c.state();
    if (!state) {
      ctx.out(`No local cluster in ${c.home}.\n`);
      if (flags.purge) await c.down(true);
      return 0;
    }
    const stopped = await c.down(flags.purge);
    ctx.out(stopped ? (flags.purge ? 'The cluster is stopped and its data deleted.\n' : `The cluster is stopped; its data stays in ${c.home} (tctl cluster up starts it again).\n`) : 'The cluster was not running.\n');
    return 0;
  },
});

const stopNode = defineCommand({
  name: 'stop-node',
  summary: 'Crash nodes: SIGKILL their agents and every container they run, all at once',
  usage: 'tctl cluster stop-node NAME...',
  flags: {},
  async run(ctx, { positionals }) {
    if (positionals.length === 0) throw new UsageError('usage: tctl cluster stop-node NAME...');
    await cluster(ctx).stopNodes(positionals);
    return 0;
  },
});

const startNode = defineCommand({
  name: 'start-node',
  summary: 'Start a stopped node\'s agent again, with the same arguments',
  usage: 'tctl cluster start-node NAME',
  flags: { timeout: { type: 'string', value: 'DURATION', default: '60s', description: 'how long to wait for the node to be Ready' } },
  async run(ctx, { flags, positionals }) {
    if (positionals.length !== 1) throw new UsageError('usage: tctl cluster start-node NAME');
    const name = positionals[0]!;
    const started = await cluster(ctx).startNode(name, durationArg(flags.timeout));
    if (!started) ctx.out(`${name} is already running.\n`);
    return 0;
  },
});

const logs = defineCommand({
  name: 'logs',
  summary: 'Print a component\'s log (etcd, etcd-2…, apiserver, apiserver-2…, scheduler, controllers, node-N)',
  usage: 'tctl cluster logs NAME [--tail N]',
  flags: { tail: { type: 'int', value: 'N', description: 'only the last N lines' } },
  async run(ctx, { flags, positionals }) {
    if (positionals.length !== 1) throw new UsageError('usage: tctl cluster logs NAME');
    const c = cluster(ctx);
    const rec = c.state()?.components.find((x) => x.name === positionals[0]);
    if (!rec) throw new CliError(`no component named "${positionals[0]}" in ${c.home}`);
    if (!existsSync(rec.logFile)) return 0;
    let text = readFileSync(rec.logFile, 'utf8');
    if (flags.tail !== undefined) text = `${text.trimEnd().split('\n').slice(-flags.tail).join('\n')}\n`;
    ctx.out(text);
    return 0;
  },
});

export const clusterCommand = defineGroup('cluster', 'Run a local Tugboat cluster on this machine', [up, status, down, stopNode, startNode, logs, issueUserCommand, joinConfigCommand]);
