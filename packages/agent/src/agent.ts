// One agent process: the servers, and per node (one, or N hollow ones) a runtime, a pod
// manager and a node agent.
//
//              ┌──────────── tugboat-agent ────────────┐
//   API server │ NodeAgent ── Node, Lease (heartbeat)  │
//   ◀────────▶ │ PodManager ── informer → pod workers ─┼─▶ Runtime (oci | process | fake)
//              │ ContainerLogManager, ImageGcManager ──┼─▶   (its log files, its images)
//              │ server: gRPC Pods.Logs, HTTP /metrics │
//              └───────────────────────────────────────┘
// Every client is built from the kubeconfig's credentials (this node's certificate, or for
// --hollow whatever the one kubeconfig holds); the gRPC server presents --tls-cert-file.
import { mkdirSync } from 'node:fs';
import { Informer, LOCAL_PATH_DIR_ANNOTATION, TugboatClient, splitServers, type KubeObject, type Service } from '@tugboat/api';
import { AgentMetrics } from './metrics.js';
import { startAgentProxy, type AgentProxy } from './network/proxy/agent-proxy.js';
import { NodeAgent } from './node/node-agent.js';
import { applyCapacityOverrides, type NodeConfig } from './node/node-object.js';
import { machineCapacity, systemInfo } from './node/machine.js';
import { ContainerLogManager } from './logs/container-log-manager.js';
import { PodManager } from './pods/pod-manager.js';
import { apiObjectLookup, createRuntime, resolveRuntimeChoice } from './runtimes/factory.js';
import { ImageGcManager } from './runtimes/image-gc-manager.js';
import { InstrumentedRuntime } from './runtimes/instrumented.js';
import type { Runtime } from './runtimes/runtime.js';
import { startAgentServer, type ListeningServer } from './server.js';
import { parseHostPort, type AgentFlags } from './flags.js';
import type { AgentSecurity } from './security.js';
import { AGENT_VERSION } from './version.js';
import { LocalVolumeCleaner, localPathDir } from './volumes/local-path.js';

export interface AgentOptions extends AgentFlags {
  /** What the flags' files hold (loadAgentSecurity). */
  security: AgentSecurity;
  /** Runtime relist (PLEG) period, ms (default 1000). */
  relistIntervalMs?: number;
  /** How often container logs are checked for rotation, ms (default 10 s). */
  logMonitorIntervalMs?: number;
  /** Prometheus default process metrics (off when several agents share a test process). */
  defaultMetrics?: boolean;
  log?: (msg: string) => void;
}

export interface RunningAgent {
  grpcPort: number;
  httpPort: number;
  nodeNames: string[];
  runtimeName: string;
  managers: PodManager[];
  /** Stops the agent; containers keep running (a restarted agent adopts them). */
  stop(): Promise<void>;
}

export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`tugboat-agent: ${m}\n`));
  const metrics = new AgentMetrics({ defaultMetrics: opts.defaultMetrics ?? true });
  const managers: PodManager[] = [];
  const server: ListeningServer = await startAgentServer({
    sources: () => managers,
    metrics,
    tls: opts.security.serving,
    grpcAddress: `${opts.listen.host.includes(':') ? `[${opts.listen.host}]` : opts.listen.host}:${opts.listen.port}`,
    httpHost: opts.httpListen.host,
    httpPort: opts.httpListen.port,
  });
  // The address the API server reaches us at: the listen host, or loopback when we listen everywhere.
  const internalIP = opts.listen.host === '0.0.0.0' || opts.listen.host === '::' ? '127.0.0.1' : opts.listen.host;
  const names = opts.hollow > 0 ? Array.from({ length: opts.hollow }, (_, i) => `${opts.nodeName}-${i + 1}`) : [opts.nodeName];
  // Hollow nodes share connections, a few dozen watch streams each.
  const { server: apiServer, credentials } = opts.security.client;
  const clients: TugboatClient[] = [];
  const clientFor = (i: number): TugboatClient => {
    const k = Math.floor(i / 50);
    clients[k] ??= new TugboatClient(apiServer, { timeoutMs: 30_000, credentials });
    return clients[k];
  };
  // Where pods find the API server (KUBERNETES_SERVICE_HOST/PORT): the (first) address we
  // use; the variables hold one address, as Kubernetes' one Service address does.
  const apiServerAddress = parseHostPort(splitServers(apiServer)[0] ?? apiServer, '--kubeconfig');
  // Every Service, for the pods' service variables (kubelet's service informer), read with
  // the node's own identity: the Node authorizer lets nodes list and watch Services.
  const services = new Informer<Service & KubeObject>(clientFor(0), 'services', {
    onError: (e) => log(`services watch: ${e.message} (retrying)`),
  });
  const clusterDNS = { clusterDNS: opts.clusterDNS, clusterDomain: opts.clusterDomain };
  const nodeAgents: NodeAgent[] = [];
  const runtimes: Runtime[] = [];
  // Node-level managers over each runtime that has log files or images (the fake has neither).
  const nodeManagers: Array<ContainerLogManager | ImageGcManager> = [];
  mkdirSync(opts.dataDir, { recursive: true });
  const capacity = applyCapacityOverrides(machineCapacity(opts.dataDir), opts.capacity);
  // With the service proxy's identity, an oci node also keeps the routes between nodes' pod
  // networks and masquerades its pods' traffic to the outside itself (routes/): the CNI
  // bridge's own ipMasq would also rewrite pod-to-pod traffic bound for another host.
  const podNetwork = opts.hollow === 0 && opts.security.proxyClient !== undefined && opts.proxyMode !== 'off'
    && resolveRuntimeChoice(opts.runtime).choice === 'oci';
  for (const [i, nodeName] of names.entries()) {
    const inner = createRuntime(opts.runtime, {
      dataDir: opts.dataDir, nodeName, hostIP: internalIP, version: AGENT_VERSION, fakeStartDelayMs: opts.fakeStartDelayMs,
      ...(opts.podCidr ? { podCidr: opts.podCidr } : {}), lookup: apiObjectLookup(clientFor(i)), log,
      insecureRegistries: opts.insecureRegistries,
      ...(opts.registryMirrors ? { registryMirrors: opts.registryMirrors } : {}),
      ...(podNetwork ? { network: { ipMasq: false } } : {}),
      logMaxBytes: opts.containerLogMaxBytes,
    });
    const runtime = new InstrumentedRuntime(inner, metrics);
    runtimes.push(runtime);
    const client = clientFor(i);
    const nodeLog = names.length > 1 ? (m: string) => log(`[${nodeName}] ${m}`) : log;
    nodeManagers.push(
      new ContainerLogManager({
        runtime: inner, log: nodeLog,
        maxBytes: opts.containerLogMaxBytes,
        maxFiles: opts.containerLogMaxFiles,
        ...(opts.logMonitorIntervalMs !== undefined ? { intervalMs: opts.logMonitorIntervalMs } : {}),
      }),
      new ImageGcManager({ runtime: inner, log: nodeLog }),
    );
    const config: NodeConfig = {
      nodeName,
      labels: opts.labels,
      taints: opts.taints,
      capacity,
      allocatable: capacity,
      internalIP,
      port: server.grpcPort,
      nodeInfo: systemInfo(runtime.version, AGENT_VERSION),
      ...(opts.podCidr ? { podCIDR: opts.podCidr } : {}),
      // Where local-path volumes live on this node, for the provisioner (hollow nodes have none).
      ...(opts.hollow === 0 ? { annotations: { [LOCAL_PATH_DIR_ANNOTATION]: localPathDir(opts.dataDir) } } : {}),
    };
    nodeAgents.push(new NodeAgent({
      client, config, runtime,
      leaseIntervalMs: opts.leaseIntervalMs,
      leaseRenewIntervalMs: opts.leaseRenewIntervalMs,
      statusIntervalMs: opts.nodeStatusIntervalMs,
      statusReportIntervalMs: opts.nodeStatusReportIntervalMs,
      usageSource: opts.runtime === 'fake' ? 'pods' : 'host',
      log: nodeLog,
    }));
    managers.push(new PodManager({
      client, nodeName, runtime, hostIP: internalIP, metrics, apiServer: apiServerAddress, services, dns: clusterDNS,
      backoffInitialMs: opts.backoffInitialMs,
      backoffMaxMs: opts.backoffMaxMs,
      ...(opts.relistIntervalMs !== undefined ? { relistIntervalMs: opts.relistIntervalMs } : {}),
      log: nodeLog,
    }));
  }
  const cleaner = opts.hollow === 0 ? new LocalVolumeCleaner({ client: clientFor(0), dir: localPathDir(opts.dataDir), log }) : undefined;
  let proxy: AgentProxy | undefined;
  const stop = async (): Promise<void> => {
    await cleaner?.stop();
    await proxy?.stop();
    for (const n of nodeAgents) n.stop();
    services.stop();
    // A pod being terminated may wait out its grace period: do not hold the exit for it.
    await Promise.race([Promise.all(managers.map((m) => m.stop())), new Promise((r) => setTimeout(r, 2_000))]);
    await server.close();
    await Promise.all(nodeManagers.map((m) => m.stop()));
    for (const r of runtimes) await r.close();
    for (const c of clients) c?.close();
  };
  try {
    // One service proxy per agent process, for its node (none for hollow nodes); it says why when off.
    proxy = startAgentProxy({
      hollow: opts.hollow, nodeName: opts.nodeName, dataDir: opts.dataDir, proxyMode: opts.proxyMode, internalIP, metrics: metrics.proxy, log, podNetwork,
      ...(opts.nodePortAddresses ? { nodePortAddresses: opts.nodePortAddresses } : {}),
      ...(opts.security.proxyClient ? { proxyClient: opts.security.proxyClient } : {}),
    });
    const servicesRead = services.start();
    // Register first, so the Node exists (and is Ready) before pods are taken on.
    await startAtMost(nodeAgents, REGISTRATIONS_AT_ONCE);
    // Containers wait for the Services to be read once (kubelet's rule: their variables
    // would be missing); pods are taken on after at most 10 s regardless, and a container
    // meanwhile is CreateContainerConfigError until the cache is filled.
    await waitAtMost(servicesRead, 10_000);
    await Promise.all(managers.map((m) => m.start()));
    for (const m of nodeManagers) m.start();
    cleaner?.start();
  } catch (e) {
    await stop();
    throw e;
  }
  return { grpcPort: server.grpcPort, httpPort: server.httpPort, nodeNames: names, runtimeName: opts.runtime, managers, stop };
}

/** Resolves when `p` does or after `ms`, whichever is first. */
async function waitAtMost(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((r) => { timer = setTimeout(r, ms); })]);
  clearTimeout(timer);
}

/**
 * Nodes a process registers at once. One agent serves one node; a hollow agent serves hundreds,
 * and 5,000 hollow nodes registering together (five requests each) overwhelmed the API server:
 * timeouts, retries and more timeouts that did not settle in five minutes. A fleet of servers
 * does not boot in the same millisecond either.
 */
const REGISTRATIONS_AT_ONCE = 16;

/** Starts every node agent, at most `limit` at a time (each retries its registration until it is in). */
async function startAtMost(agents: readonly NodeAgent[], limit: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, agents.length) }, async () => {
    while (next < agents.length) await agents[next++]!.start();
  }));
}
