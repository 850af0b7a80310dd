// Hollow nodes for scale tests and benchmarks (kubemark's idea): `tugboat-agent --hollow K`
// processes, each registering and heartbeating K Nodes with the fake runtime, against a local
// cluster started by cluster.ts. Shared by bench:density, bench:console and the console's e2e
// test, so the agents' flags and their teardown live in one place.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isNodeReady, sleep, type Informer, type KubeObject, type Node } from '@tugboat/api';
import { AGENT_BIN, terminate } from './agent.js';
import type { LocalClusterHandle } from './cluster.js';


/** Every hollow node's capacity unless told otherwise: fixed, so runs compare across machines. */
export const HOLLOW_NODE_CAPACITY = 'cpu=4,memory=16Gi,pods=110';

export interface HollowOptions {
  /** Nodes in all. */
  readonly nodes: number;
  /** Nodes per agent process (default 500): ceil(nodes / this) processes. */
  readonly nodesPerAgent?: number;
  /** Process i's nodes are PREFIX-i-1 … PREFIX-i-K (default prefix `hollow`). */
  readonly prefix?: string;
  readonly capacity?: string;
  /** The agents' --lease-interval and --node-status-interval; the agent's defaults when absent. */
  readonly leaseInterval?: string;
  /** The agents' --lease-renew-interval (how often the Lease itself is written; heartbeats between). */
  readonly leaseRenewInterval?: string;
  readonly nodeStatusInterval?: string;
}

export interface HollowProcess {
  /** PREFIX-i: the process's --node-name. */
  readonly name: string;
  readonly pid: number;
}

/** Running hollow agents; `stop()` ends them (before the cluster goes, or they spin against it). */
export class HollowAgents {
  private readonly children: ChildProcess[] = [];
  private readonly logs: string[] = [];
  readonly processes: HollowProcess[] = [];

  /** Spawns the agents (returns at once; wait for the Nodes with waitForReadyNodes). */
  static start(cluster: LocalClusterHandle, opts: HollowOptions): HollowAgents {
    const agents = new HollowAgents();
    const pki = cluster.pkiDir;
    const perAgent = opts.nodesPerAgent ?? 500;
    const prefix = opts.prefix ?? 'hollow';
    const count = Math.ceil(opts.nodes / perAgent);
    mkdirSync(join(cluster.home, 'logs'), { recursive: true });
    for (let a = 1; a <= count; a++) {
      const hollow = Math.min(perAgent, opts.nodes - (a - 1) * perAgent);
      const name = `${prefix}-${a}`;
      const logFile = join(cluster.home, 'logs', `${name}.log`);
      const log = openSync(logFile, 'a');
      const child = spawn(process.execPath, [
        AGENT_BIN, '--hollow', String(hollow), '--node-name', name,
        // One credential acts for every node of the process: the admin's (system:masters).
        '--kubeconfig', join(pki, 'admin.kubeconfig'),
        // Hollow nodes serve no logs or exec; any certificate of the cluster CA does.
        '--tls-cert-file', join(pki, 'apiserver.crt'), '--tls-private-key-file', join(pki, 'apiserver.key'), '--client-ca-file', join(pki, 'ca.crt'),
        '--listen', '127.0.0.1:0', '--http-listen', '127.0.0.1:0', '--data-dir', join(cluster.home, 'hollow', name),
        '--capacity', opts.capacity ?? HOLLOW_NODE_CAPACITY,
        ...(opts.leaseInterval ? ['--lease-interval', opts.leaseInterval] : []),
        ...(opts.leaseRenewInterval ? ['--lease-renew-interval', opts.leaseRenewInterval] : []),
        ...(opts.nodeStatusInterval ? ['--node-status-interval', opts.nodeStatusInterval] : []),
      ], { env: cluster.env, stdio: ['ignore', log, log] });
      closeSync(log);
      agents.children.push(child);
      agents.logs.push(logFile);
      if (child.pid === undefined) throw new Error(`${name}: tugboat-agent did not start`);
      agents.processes.push({ name, pid: child.pid });
    }
    return agents;
  }

  /** An Error naming an agent that exited, with the end of its log; undefined while all run. */
  dead(): Error | undefined {
    const i = this.children.findIndex((a) => a.exitCode !== null || a.signalCode !== null);
    if (i < 0) return undefined;
    const a = this.children[i]!;
    let tail = '';
    try { tail = readFileSync(this.logs[i]!, 'utf8').trim().split('\n').slice(-5).join('\n'); } catch { /* no log */ }
    return new Error(`hollow agent pid ${a.pid} exited (${a.exitCode ?? a.signalCode})${tail ? `; the end of its log:\n${tail}` : ''}`);
  }

  /** SIGTERM, SIGKILL after 3 s. Safe to call twice. */
  async stop(): Promise<void> {
    await Promise.all(this.children.map((a) => terminate(a, 3000)));
  }
}


/**
 * Seconds until `want` Nodes in the informer are Ready; throws when an agent dies or after
 * timeoutSeconds. `progress` hears "R of N nodes Ready after T s" every 10 s.
 */
export async function waitForReadyNodes(nodes: Informer<Node & KubeObject>, want: number, agents: HollowAgents,
  timeoutSeconds: number, progress?: (line: string) => void): Promise<number> {
  const t0 = performance.now();
  const deadline = t0 + timeoutSeconds * 1000;
  let lastSaid = t0;
  const seconds = (): string => ((performance.now() - t0) / 1000).toFixed(0);
  for (;;) {
    const dead = agents.dead();
    if (dead) throw dead;
    const ready = nodes.list().filter(isNodeReady).length;
    if (ready >= want) return (performance.now() - t0) / 1000;
    if (performance.now() > deadline) throw new Error(`only ${ready} of ${want} hollow nodes Ready after ${timeoutSeconds} s`);
    if (progress && performance.now() - lastSaid > 10_000) {
      progress(`  ${ready} of ${want} nodes Ready after ${seconds()} s`);
      lastSaid = performance.now();
    }
    await sleep(1000);
  }
}

/** A Deployment of `replicas` pods that sleep (the fake runtime runs nothing), with tiny requests. */
export function sleepDeployment(name: string, namespace: string, replicas: number, request: { cpu: string; memory: string }): KubeObject {
  const labels = { app: namespace, deployment: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: namespace } },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'], resources: { requests: { cpu: request.cpu, memory: request.memory } } }],
        },
      },
    },
  };
}
