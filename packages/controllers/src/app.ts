// The tugboat-controllers program as a function: metrics and health over HTTP, leader
// election through the Lease tugboat-system/tugboat-controllers, and a ControllerManager
// that exists only while this replica leads.
import { LeaderElector, TugboatClient, componentClientConfig, serveComponentHttp } from '@tugboat/api';
import { consoleLogger, describe, type Logger } from './controller.js';
import type { ControllersFlags } from './flags.js';
import { ControllerManager } from './manager.js';
import { readRootCa } from './root-ca-publisher.js';
import { ControllerMetrics } from './metrics.js';
import { registerObjectStateMetrics } from './kube-state-metrics.js';

export const LEASE_NAME = 'tugboat-controllers';

export interface ControllersApp {
  readonly httpAddress: string;
  readonly metrics: ControllerMetrics;
  isLeader(): boolean;
  /** The running manager while leading. */
  manager(): ControllerManager | undefined;
  /** Stops the controllers, releases the Lease, closes HTTP. */
  stop(): Promise<void>;
}

export async function startControllersApp(flags: ControllersFlags, log: Logger = consoleLogger): Promise<ControllersApp> {
  // An unreadable --root-ca-file stops the program here, not later in a controller.
  if (flags.rootCaFile) readRootCa(flags.rootCaFile);
  const metrics = new ControllerMetrics({ defaults: true });
  metrics.leaderStatus.set({ name: LEASE_NAME }, 0);
  const conn = componentClientConfig({ kubeconfig: flags.kubeconfig, server: flags.server });
  const http = await serveComponentHttp({ listen: flags.httpListen, metrics: metrics.registry });
  const client = new TugboatClient(conn.server, { timeoutMs: 15_000, credentials: conn.credentials });

  let manager: ControllerManager | undefined;
  // kube_* object-state metrics, from the running manager's caches (only while leading).
  registerObjectStateMetrics(metrics.registry, () => manager?.objectState);
  let leading = false;
  // Start and stop run one after the other, never interleaved.
  let transition: Promise<void> = Promise.resolve();
  const lead = (): void => {
    leading = true;
    metrics.leaderStatus.set({ name: LEASE_NAME }, 1);
    transition = transition.then(async () => {
      if (!leading) return;
      log.info(`tugboat-controllers: ${flags.id} is leading; starting controllers`);
      manager = new ControllerManager({
        client,
        metrics,
        log,
        controllers: flags.controllers,
        nodeMonitorGracePeriodMs: flags.nodeMonitorGracePeriodMs,
        nodeMonitorPeriodMs: flags.nodeMonitorPeriodMs,
        nodeEvictionRate: flags.nodeEvictionRate,
        unhealthyZoneThreshold: flags.unhealthyZoneThreshold,
        terminatedPodGcThreshold: flags.terminatedPodGcThreshold,
        replicaSetWorkers: flags.replicaSetWorkers,
        deploymentWorkers: flags.deploymentWorkers,
        gcWorkers: flags.gcWorkers,
        jobWorkers: flags.jobWorkers,
        jobBackoffBaseMs: flags.jobBackoffBaseMs,
        hpa: flags.hpa,
        ...(flags.rootCaFile ? { rootCaFile: flags.rootCaFile } : {}),
        allocateNodeCidrs: flags.allocateNodeCidrs,
        ...(flags.clusterCidr ? { clusterCidr: flags.clusterCidr } : {}),
        nodeCidrMaskSize: flags.nodeCidrMaskSize,
      });
      await manager.start();
    }).catch((e: unknown) => log.error(`tugboat-controllers: could not start controllers: ${describe(e)}`));
  };
  const unlead = (): void => {
    leading = false;
    metrics.leaderStatus.set({ name: LEASE_NAME }, 0);
    transition = transition.then(async () => {
      const m = manager;
      manager = undefined;
      if (m) {
        log.info('tugboat-controllers: no longer leading; stopping controllers');
        await m.stop();
      }
    }).catch((e: unknown) => log.error(`tugboat-controllers: could not stop controllers: ${describe(e)}`));
  };

  let elector: LeaderElector | undefined;
  if (flags.leaderElect) {
    let lastError = '';
    elector = new LeaderElector(client, {
      name: LEASE_NAME,
      identity: flags.id,
      onStartedLeading: lead,
      onStoppedLeading: unlead,
      onNewLeader: (id) => { if (id !== flags.id) log.info(`tugboat-controllers: the leader is ${id}`); },
      onError: (e) => {
        if (e.message !== lastError) log.error(`tugboat-controllers: leader election: ${e.message}`);
        lastError = e.message;
      },
    });
    elector.start();
  } else {
    lead();
  }

  return {
    httpAddress: http.address,
    metrics,
    isLeader: () => leading,
    manager: () => manager,
    async stop() {
      if (elector) await elector.stop();
      unlead();
      await transition;
      await http.close();
      client.close();
    },
  };
}
