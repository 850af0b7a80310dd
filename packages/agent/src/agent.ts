// One agent process: the servers, and per node (one, or N hollow ones) a runtime, a pod
// manager and a node agent.
//
//              ┌──────────── tugboat-agent ────────────┐
//   API server │ NodeAgent ── Node, Lease (heartbeat)  │
//   ◀────────▶ │ PodManager ── informer → pod workers ─┼─▶ Runtime (process | fake)
//              │ server: gRPC Pods.Logs, HTTP /metrics │
//              └───────────────────────────────────────┘
// Every client is built from the kubeconfig's credentials (this node's certificate, or for
// --hollow whatever the one kubeconfig holds); the gRPC server presents --tls-cert-file.
import { mkdirSync } from 'node:fs';
import { TugboatClient } from '@tugboat/api';
import { AgentMetrics } from './metrics.js';
import { NodeAgent } from './node/node-agent.js';
import { applyCapacityOverrides, type NodeConfig } from './node/node-object.js';
import { machineCapacity, systemInfo } from './node/machine.js';
import { PodManager } from './pods/pod-manager.js';
import { apiObjectLookup, createRuntime } from './runtimes/factory.js';
import { InstrumentedRuntime } from './runtimes/instrumented.js';
import type { Runtime } from './runtimes/runtime.js';
import { startAgentServer, type ListeningServer } from './server.js';
import { parseHostPort, type AgentFlags } from './flags.js';
import type { AgentSecurity } from './security.js';
import { AGENT_VERSION } from './version.js';

export interface AgentOptions extends AgentFlags {
  /** What the flags' files hold (loadAgentSecurity). */
  security: AgentSecurity;
  /** Runtime relist (PLEG) period, ms (default 1000). */
  relistIntervalMs?: number;
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
  // Where pods find the API server (KUBERNETES_SERVICE_HOST/PORT): the address we use.
  const apiServerAddress = parseHostPort(apiServer, '--kubeconfig');
  const nodeAgents: NodeAgent[] = [];
  const runtimes: Runtime[] = [];
  mkdirSync(opts.dataDir, { recursive: true });
  const capacity = applyCapacityOverrides(machineCapacity(opts.dataDir), opts.capacity);
  for (const [i, nodeName] of names.entries()) {
    const inner = createRuntime(opts.runtime, {
      dataDir: opts.dataDir, nodeName, hostIP: internalIP, version: AGENT_VERSION, fakeStartDelayMs: opts.fakeStartDelayMs,
      ...(opts.podCidr ? { podCidr: opts.podCidr } : {}), lookup: apiObjectLookup(clientFor(i)), log,
    });
    const runtime = new InstrumentedRuntime(inner, metrics);
    runtimes.push(runtime);
    const client = clientFor(i);
    const nodeLog = names.length > 1 ? (m: string) => log(`[${nodeName}] ${m}`) : log;
    const config: NodeConfig = {
      nodeName,
      labels: opts.labels,
      taints: opts.taints,
      capacity,
      allocatable: capacity,
      internalIP,
      port: server.grpcPort,
      nodeInfo: systemInfo(runtime.version, AGENT_VERSION),
    };
    nodeAgents.push(new NodeAgent({
      client, config, runtime,
      leaseIntervalMs: opts.leaseIntervalMs,
      statusIntervalMs: opts.nodeStatusIntervalMs,
      usageSource: opts.runtime === 'fake' ? 'pods' : 'host',
      log: nodeLog,
    }));
    managers.push(new PodManager({
      client, nodeName, runtime, hostIP: internalIP, metrics, apiServer: apiServerAddress,
      backoffInitialMs: opts.backoffInitialMs,
      backoffMaxMs: opts.backoffMaxMs,
      ...(opts.relistIntervalMs !== undefined ? { relistIntervalMs: opts.relistIntervalMs } : {}),
      log: nodeLog,
    }));
  }
  const stop = async (): Promise<void> => {
    for (const n of nodeAgents) n.stop();
    // A pod being terminated may wait out its grace period: do not hold the exit for it.
    await Promise.race([Promise.all(managers.map((m) => m.stop())), new Promise((r) => setTimeout(r, 2_000))]);
    await server.close();
    for (const r of runtimes) await r.close();
    for (const c of clients) c?.close();
  };
  try {
    // Register first, so the Node exists (and is Ready) before pods are taken on.
    await Promise.all(nodeAgents.map((n) => n.start()));
    await Promise.all(managers.map((m) => m.start()));
  } catch (e) {
    await stop();
    throw e;
  }
  return { grpcPort: server.grpcPort, httpPort: server.httpPort, nodeNames: names, runtimeName: opts.runtime, managers, stop };
}
