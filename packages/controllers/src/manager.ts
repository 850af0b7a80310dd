// The controller manager: one set of shared informers, the controllers that read them, and
// their workers. Built fresh each time this replica becomes the leader, torn down when it
// stops leading, so a replica that lost the Lease keeps nothing stale.
import type { TugboatClient } from '@tugboat/api';
import { realClock, type Clock } from '@tugboat/api';
import { ClusterRoleAggregationController } from './clusterrole-aggregation.js';
import { consoleLogger, describe, type Logger } from './controller.js';
import { DeploymentController, DEPLOYMENT_CONTROLLER } from './deployment.js';
import { ENDPOINT_CONTROLLER, EndpointsController } from './endpoints.js';
import { ENDPOINTSLICE_CONTROLLER, EndpointSliceController } from './endpointslice.js';
import { apiEventRecorder } from './events.js';
import { GarbageCollector } from './gc.js';
import { DisruptionController } from './disruption.js';
import { JOB_CONTROLLER, JobController } from './job.js';
import { CRONJOB_CONTROLLER, CronJobController } from './cronjob.js';
import { HPA_CONTROLLER, HorizontalPodAutoscalingController, type HpaSettings } from './horizontal-pod-autoscaling.js';
import { SharedInformers } from './informers.js';
import type { ControllerMetrics } from './metrics.js';
import type { ObjectStateSource } from './kube-state-metrics.js';
import { CIDR_ALLOCATOR, NodeIpamController } from './node-ipam.js';
import { NODE_CONTROLLER, NodeLifecycleController, TAINT_EVICTION_CONTROLLER } from './node-lifecycle.js';
import { PodGarbageCollector } from './pod-gc.js';
import { REPLICASET_CONTROLLER, REPLICATION_CONTROLLER, REPLICATION_CONTROLLER_KIND, ReplicaSetController } from './replicaset.js';
import { DAEMONSET_CONTROLLER, DaemonSetController } from './daemonset.js';
import { STATEFULSET_CONTROLLER, StatefulSetController } from './statefulset.js';
import { PERSISTENTVOLUME_CONTROLLER, PersistentVolumeBinder } from './persistentvolume-binder.js';
import { LocalPathProvisioner } from './local-path-provisioner.js';
import { PvcProtectionController } from './pvc-protection.js';
import { PvProtectionController } from './pv-protection.js';
import { RootCaPublisher, readRootCa } from './root-ca-publisher.js';
import { ServiceAccountsController } from './serviceaccounts.js';

export const CONTROLLER_NAMES = [
  'replicaset', 'deployment', 'garbagecollector', 'nodelifecycle', 'podgc', 'clusterrole-aggregation', 'serviceaccount', 'root-ca-cert-publisher',
  'endpoint', 'endpointslice', 'nodeipam', 'job', 'daemonset', 'replicationcontroller', 'disruption', 'statefulset', 'cronjob',
  'persistentvolume-binder', 'local-path-provisioner', 'horizontalpodautoscaling', 'pvc-protection', 'pv-protection',
] as const;
export type ControllerName = (typeof CONTROLLER_NAMES)[number];
/** Other names --controllers accepts for a controller (`endpoints`: the resource's name). */
const CONTROLLER_ALIASES: Readonly<Record<string, ControllerName>> = { endpoints: 'endpoint' };

export interface ManagerOptions {
  client: TugboatClient;
  clock?: Clock;
  metrics?: ControllerMetrics;
  log?: Logger;
  /** Which controllers run (default: all). */
  controllers?: readonly ControllerName[];
  nodeMonitorGracePeriodMs?: number;
  nodeMonitorPeriodMs?: number;
  nodeEvictionRate?: number;
  unhealthyZoneThreshold?: number;
  terminatedPodGcThreshold?: number;
  podGcPeriodMs?: number;
  replicaSetWorkers?: number;
  deploymentWorkers?: number;
  gcWorkers?: number;
  /** The cluster CA bundle to publish in every namespace (--root-ca-file); without it root-ca-cert-publisher does not run. */
  rootCaFile?: string;
  rootCaRecheckMs?: number;
  /** --allocate-node-cidrs: nodeipam gives Nodes pod CIDRs from clusterCidr (default false, as Kubernetes). */
  allocateNodeCidrs?: boolean;
  /** --cluster-cidr, e.g. 198.18.0.0/16; required with allocateNodeCidrs. */
  clusterCidr?: string;
  /** --node-cidr-mask-size (default 24). */
  nodeCidrMaskSize?: number;
  /** --concurrent-job-syncs (default 5). */
  jobWorkers?: number;
  /** --job-backoff-base: the first back-off after a Job's pod fails (default 10 s), doubled per further failure. */
  jobBackoffBaseMs?: number;
  /** The --horizontal-pod-autoscaler-* flags (Kubernetes' defaults for those not given). */
  hpa?: Partial<HpaSettings>;
}

interface Runnable {
  run(): Promise<void>;
  stop(): void;
}

export class ControllerManager {
  readonly informers: SharedInformers;
  readonly replicaSets: ReplicaSetController | undefined;
  readonly deployments: DeploymentController | undefined;
  readonly gc: GarbageCollector | undefined;
  readonly nodeLifecycle: NodeLifecycleController | undefined;
  readonly podGC: PodGarbageCollector | undefined;
  readonly clusterRoleAggregation: ClusterRoleAggregationController | undefined;
  readonly serviceAccounts: ServiceAccountsController | undefined;
  readonly rootCaPublisher: RootCaPublisher | undefined;
  readonly endpoints: EndpointsController | undefined;
  readonly endpointSlices: EndpointSliceController | undefined;
  readonly nodeIpam: NodeIpamController | undefined;
  readonly disruption: DisruptionController | undefined;
  readonly jobs: JobController | undefined;
  readonly cronJobs: CronJobController | undefined;
  readonly daemonSets: DaemonSetController | undefined;
  readonly statefulSets: StatefulSetController | undefined;
  readonly volumeBinder: PersistentVolumeBinder | undefined;
  readonly localPathProvisioner: LocalPathProvisioner | undefined;
  readonly pvcProtection: PvcProtectionController | undefined;
  readonly pvProtection: PvProtectionController | undefined;
  readonly horizontalPodAutoscaling: HorizontalPodAutoscalingController | undefined;
  /** ReplicationControllers: the ReplicaSet controller on the v1 kind. */
  readonly replicationControllers: ReplicaSetController | undefined;
  /** The caches kube_* metrics are computed from when scraped. */
  readonly objectState: ObjectStateSource;
  private readonly runnables: { name: ControllerName; controller: Runnable }[] = [];
  private readonly log: Logger;
  private running: Promise<void> | undefined;
  private stopped = false;
  private signalStop: () => void = () => {};
  private readonly stopSignal = new Promise<void>((resolve) => { this.signalStop = resolve; });

  constructor(opts: ManagerOptions) {
    const { client, metrics } = opts;
    const clock = opts.clock ?? realClock;
    this.log = opts.log ?? consoleLogger;
    const log = this.log;
    const enabled = new Set<ControllerName>(opts.controllers ?? CONTROLLER_NAMES);
    let lastInformerError = '';
    this.informers = new SharedInformers(client, (resource, err) => {
      // One line per distinct failure, not one per retry.
      const line = `informer ${resource}: ${err.message}`;
      if (line !== lastInformerError) log.error(line);
      lastInformerError = line;
    });
    const common = { client, informers: this.informers, clock, log, ...(metrics ? { metrics } : {}) };
    // The object-state metrics (kube-state-metrics.ts) read these caches, whichever controllers run.
    const pods = this.informers.pods();
    const nodes = this.informers.nodes();
    const deployments = this.informers.deployments();
    this.objectState = { pods: () => pods.items(), nodes: () => nodes.items(), deployments: () => deployments.items() };

    this.replicaSets = enabled.has('replicaset')
      ? new ReplicaSetController({ ...common, recorder: apiEventRecorder(client, REPLICASET_CONTROLLER, clock), ...(opts.replicaSetWorkers ? { workers: opts.replicaSetWorkers } : {}) })
      : undefined;
    this.deployments = enabled.has('deployment')
      ? new DeploymentController({ ...common, recorder: apiEventRecorder(client, DEPLOYMENT_CONTROLLER, clock), ...(opts.deploymentWorkers ? { workers: opts.deploymentWorkers } : {}) })
      : undefined;
    this.gc = enabled.has('garbagecollector')
      ? new GarbageCollector({ ...common, ...(opts.gcWorkers ? { workers: opts.gcWorkers } : {}) })
      : undefined;
    this.nodeLifecycle = enabled.has('nodelifecycle')
      ? new NodeLifecycleController({
        ...common,
        recorder: apiEventRecorder(client, NODE_CONTROLLER, clock),
        evictionRecorder: apiEventRecorder(client, TAINT_EVICTION_CONTROLLER, clock),
        ...(opts.nodeMonitorGracePeriodMs !== undefined ? { gracePeriodMs: opts.nodeMonitorGracePeriodMs } : {}),
        ...(opts.nodeMonitorPeriodMs !== undefined ? { monitorPeriodMs: opts.nodeMonitorPeriodMs } : {}),
        ...(opts.nodeEvictionRate !== undefined ? { evictionRate: opts.nodeEvictionRate } : {}),
        ...(opts.unhealthyZoneThreshold !== undefined ? { unhealthyThreshold: opts.unhealthyZoneThreshold } : {}),
      })
      : undefined;
    this.podGC = enabled.has('podgc')
      ? new PodGarbageCollector({
        ...common,
        ...(opts.terminatedPodGcThreshold !== undefined ? { terminatedPodThreshold: opts.terminatedPodGcThreshold } : {}),
        ...(opts.podGcPeriodMs !== undefined ? { periodMs: opts.podGcPeriodMs } : {}),
      })
      : undefined;
    this.clusterRoleAggregation = enabled.has('clusterrole-aggregation') ? new ClusterRoleAggregationController(common) : undefined;
    this.serviceAccounts = enabled.has('serviceaccount') ? new ServiceAccountsController(common) : undefined;
    const rootCaFile = opts.rootCaFile;
    this.rootCaPublisher = enabled.has('root-ca-cert-publisher') && rootCaFile
      ? new RootCaPublisher({
        ...common,
        readCa: () => readRootCa(rootCaFile),
        ...(opts.rootCaRecheckMs !== undefined ? { recheckMs: opts.rootCaRecheckMs } : {}),
      })
      : undefined;
    this.endpoints = enabled.has('endpoint') ? new EndpointsController({ ...common, recorder: apiEventRecorder(client, ENDPOINT_CONTROLLER, clock) }) : undefined;
    this.endpointSlices = enabled.has('endpointslice')
      ? new EndpointSliceController({ ...common, recorder: apiEventRecorder(client, ENDPOINTSLICE_CONTROLLER, clock) })
      : undefined;
    // As Kubernetes: node IPAM runs only when asked to allocate (--allocate-node-cidrs).
    if (opts.allocateNodeCidrs && !opts.clusterCidr) throw new Error('--cluster-cidr: required with --allocate-node-cidrs');
    this.nodeIpam = enabled.has('nodeipam') && opts.allocateNodeCidrs && opts.clusterCidr
      ? new NodeIpamController({
        ...common,
        recorder: apiEventRecorder(client, CIDR_ALLOCATOR, clock),
        clusterCidr: opts.clusterCidr,
        ...(opts.nodeCidrMaskSize !== undefined ? { nodeCidrMaskSize: opts.nodeCidrMaskSize } : {}),
      })
      : undefined;
    this.disruption = enabled.has('disruption') ? new DisruptionController(common) : undefined;
    this.jobs = enabled.has('job')
      ? new JobController({
        ...common,
        recorder: apiEventRecorder(client, JOB_CONTROLLER, clock),
        ...(opts.jobWorkers ? { workers: opts.jobWorkers } : {}),
        ...(opts.jobBackoffBaseMs !== undefined ? { backoffBaseMs: opts.jobBackoffBaseMs } : {}),
      })
      : undefined;
    this.daemonSets = enabled.has('daemonset')
      ? new DaemonSetController({ ...common, recorder: apiEventRecorder(client, DAEMONSET_CONTROLLER, clock) })
      : undefined;
    this.statefulSets = enabled.has('statefulset')
      ? new StatefulSetController({ ...common, recorder: apiEventRecorder(client, STATEFULSET_CONTROLLER, clock) })
      : undefined;
    this.cronJobs = enabled.has('cronjob')
      ? new CronJobController({ ...common, recorder: apiEventRecorder(client, CRONJOB_CONTROLLER, clock) })
      : undefined;
    this.volumeBinder = enabled.has('persistentvolume-binder')
      ? new PersistentVolumeBinder({ ...common, recorder: apiEventRecorder(client, PERSISTENTVOLUME_CONTROLLER, clock) })
      : undefined;
    // k3s's provisioner writes its events as its provisioner name.
    this.localPathProvisioner = enabled.has('local-path-provisioner')
      ? new LocalPathProvisioner({ ...common, recorder: apiEventRecorder(client, 'tugboat.io/local-path', clock) })
      : undefined;
    this.horizontalPodAutoscaling = enabled.has('horizontalpodautoscaling')
      ? new HorizontalPodAutoscalingController({ ...common, recorder: apiEventRecorder(client, HPA_CONTROLLER, clock), ...(opts.hpa ? { settings: opts.hpa } : {}) })
      : undefined;
    this.pvcProtection = enabled.has('pvc-protection') ? new PvcProtectionController(common) : undefined;
    this.pvProtection = enabled.has('pv-protection') ? new PvProtectionController(common) : undefined;
    this.replicationControllers = enabled.has('replicationcontroller')
      ? new ReplicaSetController({ ...common, kind: REPLICATION_CONTROLLER_KIND, recorder: apiEventRecorder(client, REPLICATION_CONTROLLER, clock) })
      : undefined;
    // One table of name and controller, so the start-up line names every one that runs.
    const named: readonly (readonly [ControllerName, Runnable | undefined])[] = [
      ['replicaset', this.replicaSets], ['deployment', this.deployments], ['garbagecollector', this.gc],
      ['nodelifecycle', this.nodeLifecycle], ['podgc', this.podGC], ['clusterrole-aggregation', this.clusterRoleAggregation],
      ['serviceaccount', this.serviceAccounts], ['root-ca-cert-publisher', this.rootCaPublisher],
      ['endpoint', this.endpoints], ['endpointslice', this.endpointSlices], ['nodeipam', this.nodeIpam], ['job', this.jobs],
      ['daemonset', this.daemonSets], ['replicationcontroller', this.replicationControllers], ['disruption', this.disruption],
      ['statefulset', this.statefulSets], ['cronjob', this.cronJobs], ['persistentvolume-binder', this.volumeBinder],
      ['local-path-provisioner', this.localPathProvisioner], ['horizontalpodautoscaling', this.horizontalPodAutoscaling],
      ['pvc-protection', this.pvcProtection], ['pv-protection', this.pvProtection],
    ];
    for (const [name, r] of named) if (r) this.runnables.push({ name, controller: r });
  }

  /** Fills the caches, then starts every controller's workers. Resolves once they run. */
  async start(): Promise<void> {
    // Stopping while the caches fill (API server unreachable) must not hang.
    await Promise.race([this.informers.start(), this.stopSignal]);
    if (this.stopped) return;
    // Workers start only on complete caches: acting on a half-listed world would, e.g.,
    // create pods a ReplicaSet already has.
    this.running = Promise.all(this.runnables.map((r) => r.controller.run().catch((e: unknown) => {
      this.log.error(`controller stopped on an error: ${describe(e)}`);
    }))).then(() => undefined);
    this.log.info(`controllers running: ${this.names().join(', ')}`);
  }

  /** The controllers that run, by their --controllers names. */
  names(): ControllerName[] {
    return this.runnables.map((r) => r.name);
  }

  /** Stops the workers (in-flight syncs finish) and the informers. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.signalStop();
    for (const r of this.runnables) r.controller.stop();
    this.informers.stop();
    await this.running;
  }
}

export function parseControllerList(text: string): ControllerName[] {
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  const all = new Set<string>(CONTROLLER_NAMES);
  let selected = new Set<ControllerName>();
  for (const n of names) {
    if (n === '*') { selected = new Set(CONTROLLER_NAMES); continue; }
    const negate = n.startsWith('-');
    const given = negate ? n.slice(1) : n;
    const name = CONTROLLER_ALIASES[given] ?? given;
    if (!all.has(name)) throw new Error(`unknown controller "${name}" (known: ${CONTROLLER_NAMES.join(', ')})`);
    if (negate) selected.delete(name as ControllerName);
    else selected.add(name as ControllerName);
  }
  return CONTROLLER_NAMES.filter((n) => selected.has(n));
}
