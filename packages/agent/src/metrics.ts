// The agent's Prometheus metrics (kubelet's names with the agent_ prefix). Gauges are read
// at scrape time from every pod manager in the process, so one `--hollow N` process reports
// the sum over its nodes.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ProbeKind, ProbeOutcome } from './probes/probe-types.js';

export interface PodCounts {
  runningPods: number;
  runningContainers: number;
}

export class AgentMetrics {
  readonly registry = new Registry();
  readonly podStartDuration: Histogram;
  readonly runtimeOperations: Counter<'operation'>;
  readonly runtimeOperationErrors: Counter<'operation'>;
  readonly probes: Counter<'probe_type' | 'result'>;
  /** The service proxy's syncs (kube-proxy's names: network/proxy/proxier.ts). */
  readonly proxy: { syncDuration: Histogram; lastSyncTimestamp: Gauge; endpointChanges: Counter; serviceChanges: Counter };
  private readonly sources = new Set<() => PodCounts>();

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    const sum = (pick: (c: PodCounts) => number): number => {
      let n = 0;
      for (const s of this.sources) n += pick(s());
      return n;
    };
    new Gauge({
      name: 'agent_running_pods',
      help: 'Number of pods that have a running container on this node.',
      registers: [this.registry],
      collect() { this.set(sum((c) => c.runningPods)); },
    });
    new Gauge({
      name: 'agent_running_containers',
      help: 'Number of containers currently running on this node.',
      registers: [this.registry],
      collect() { this.set(sum((c) => c.runningContainers)); },
    });
    this.podStartDuration = new Histogram({
      name: 'agent_pod_start_duration_seconds',
      help: 'Time from the agent first seeing a pod to all of its containers running, seconds.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128],
      registers: [this.registry],
    });
    this.runtimeOperations = new Counter({
      name: 'agent_runtime_operations_total',
      help: 'Runtime operations by type.',
      labelNames: ['operation'],
      registers: [this.registry],
    });
    this.runtimeOperationErrors = new Counter({
      name: 'agent_runtime_operation_errors_total',
      help: 'Runtime operations that failed, by type.',
      labelNames: ['operation'],
      registers: [this.registry],
    });
    // kubelet's prober_probe_total without its pod and container labels (unbounded).
    this.probes = new Counter({
      name: 'agent_prober_probe_total',
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
