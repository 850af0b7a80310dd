// The agent's Prometheus metrics, with kubelet's names and labels (kubelet_running_pods,
// kubelet_running_containers{container_state}, kubelet_pod_start_duration_seconds,
// kubelet_pleg_relist_duration_seconds / _interval_seconds, kubelet_runtime_operations_total
// {operation_type}, prober_probe_total). Gauges are read at scrape time from every pod manager
// in the process, so one `--hollow N` process reports the sum over its nodes.
import { collectProcessMetrics } from '@tugboat/api/metrics';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ProbeKind, ProbeOutcome } from './probes/probe-types.js';
import type { ContainerState } from './runtimes/runtime.js';

export interface PodCounts {
  runningPods: number;
  /** Containers the runtime lists, by kubelet's container_state. */
  containers: Readonly<Record<ContainerState, number>>;
}

export const CONTAINER_STATES: readonly ContainerState[] = ['created', 'running', 'exited', 'unknown'];

/** Prometheus' default buckets, which kubelet's PLEG histograms use. */
const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class AgentMetrics {
  readonly registry = new Registry();
  readonly podStartDuration: Histogram;
  readonly runtimeOperations: Counter<'operation_type'>;
  readonly runtimeOperationErrors: Counter<'operation_type'>;
  /** One relist of the runtime (PLEG): how long it took. */
  readonly relistDuration: Histogram;
  /** Time between the starts of two relists. */
  readonly relistInterval: Histogram;
  readonly probes: Counter<'probe_type' | 'result'>;
  /** The service proxy's syncs (kube-proxy's names: network/proxy/proxier.ts). */
  readonly proxy: { syncDuration: Histogram; lastSyncTimestamp: Gauge; endpointChanges: Counter; serviceChanges: Counter };
  private readonly sources = new Set<() => PodCounts>();

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics ?? true) collectProcessMetrics(this.registry);
    const sum = (pick: (c: PodCounts) => number): number => {
      let n = 0;
      for (const s of this.sources) n += pick(s());
      return n;
    };
    new Gauge({
      name: 'kubelet_running_pods',
      help: 'Number of pods that have a running pod sandbox',
      registers: [this.registry],
      collect() { this.set(sum((c) => c.runningPods)); },
    });
    new Gauge({
      name: 'kubelet_running_containers',
      help: 'Number of containers currently running',
      labelNames: ['container_state'],
      registers: [this.registry],
      collect() { for (const state of CONTAINER_STATES) this.set({ container_state: state }, sum((c) => c.containers[state])); },
    });
    this.podStartDuration = new Histogram({
      name: 'kubelet_pod_start_duration_seconds',
      help: 'Duration in seconds from kubelet seeing a pod for the first time to the pod starting to run',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128],
      registers: [this.registry],
    });
    this.relistDuration = new Histogram({
      name: 'kubelet_pleg_relist_duration_seconds',
      help: 'Duration in seconds for relisting pods in PLEG.',
      buckets: DEFAULT_BUCKETS,
      registers: [this.registry],
    });
    this.relistInterval = new Histogram({
      name: 'kubelet_pleg_relist_interval_seconds',
      help: 'Interval in seconds between relisting in PLEG.',
      buckets: DEFAULT_BUCKETS,
      registers: [this.registry],
    });
    this.runtimeOperations = new Counter({
      name: 'kubelet_runtime_operations_total',
      help: 'Cumulative number of runtime operations by operation type.',
      labelNames: ['operation_type'],
      registers: [this.registry],
    });
    this.runtimeOperationErrors = new Counter({
      name: 'kubelet_runtime_operations_errors_total',
      help: 'Cumulative number of runtime operation errors by operation type.',
      labelNames: ['operation_type'],
      registers: [this.registry],
    });
    // kubelet's prober_probe_total without its pod and container labels (unbounded).
    this.probes = new Counter({
      name: 'prober_probe_total',
      help: 'Probe runs by type (Liveness, Readiness, Startup) and result (successful, failed, unknown).',
      labelNames: ['probe_type', 'result'],
      registers: [this.registry],
    });
    this.proxy = {
      syncDuration: new Histogram({
        name: 'kubeproxy_sync_proxy_rules_duration_seconds',
        help: 'SyncProxyRules latency in seconds',
        // kube-proxy's: 1 ms doubling to 16 s.
        buckets: Array.from({ length: 15 }, (_, i) => 0.001 * 2 ** i),
        registers: [this.registry],
      }),
      lastSyncTimestamp: new Gauge({
        name: 'kubeproxy_sync_proxy_rules_last_timestamp_seconds',
        help: 'The last time proxy rules were successfully synced',
        registers: [this.registry],
      }),
      endpointChanges: new Counter({
        name: 'kubeproxy_sync_proxy_rules_endpoint_changes_total',
        help: 'Cumulative proxy rules Endpoint changes',
        registers: [this.registry],
      }),
      serviceChanges: new Counter({
        name: 'kubeproxy_sync_proxy_rules_service_changes_total',
        help: 'Cumulative proxy rules Service changes',
        registers: [this.registry],
      }),
    };
  }

  /** Counts one probe run with kubelet's label values. */
  probeRecorder(): (kind: ProbeKind, result: ProbeOutcome['result']) => void {
    return (kind, result) => this.probes.inc({ probe_type: PROBE_TYPE[kind], result: probeResultLabel(result) });
  }

  addSource(source: () => PodCounts): () => void {
    this.sources.add(source);
    return () => this.sources.delete(source);
  }
}

const PROBE_TYPE: Record<ProbeKind, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

/** kubelet's result label: a warning (e.g. a redirect elsewhere) still passed; an error is unknown. */
export function probeResultLabel(result: ProbeOutcome['result']): 'successful' | 'failed' | 'unknown' {
  switch (result) {
    case 'success':
    case 'warning': return 'successful';
    case 'failure': return 'failed';
    case 'error': return 'unknown';
  }
}
