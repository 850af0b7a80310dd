// Kubernetes' scheduler_perf preemption workloads (test/integration/scheduler_perf/
// default_preemption/performance-config.yaml and the templates it names), on scheduler_perf's
// default nodes (4 cpu, 32Gi, 110 pods):
//   PreemptionBasic  init: 4 low-priority pods per node (900m / 500Mi each, 3.6 of 4 cpu);
//                    measured: high-priority pods (priority 10, 3000m / 500Mi), each of which
//                    must preempt 3 of a node's 4 low pods. Upstream runs it on 1,000 nodes
//                    (its 5,000-node variant is commented out, "always seems to fail") and sets
//                    no threshold.
//   PreemptionAsync  the same init pods; while the measured default pods (100m / 500Mi, which
//                    always fit) are scheduled, a high-priority pod arrives every 200 ms and
//                    preempts. Threshold 570 pods/s on 5,000 nodes.
import type { Pod } from '@tugboat/api';

export interface PreemptionScenario {
  readonly name: string;
  readonly upstream: string;
  /** Kubernetes' threshold for the measured pods, pods/s; undefined where upstream sets none. */
  readonly threshold: number | undefined;
  readonly nodes: number;
  readonly initPods: number;
  readonly measurePods: number;
  /** Measured pods are the preemptors themselves (Basic) or default pods with preemptors churning beside them (Async). */
  readonly measured: 'preemptors' | 'default';
  /** A preemptor every this many ms of wall time while measuring (Async's churn op). */
  readonly churnIntervalMs: number | undefined;
}

export const PREEMPTION_SCENARIOS: readonly PreemptionScenario[] = [
  {
    name: 'PreemptionBasic', upstream: 'default_preemption/performance-config.yaml 1000Nodes', threshold: undefined,
    nodes: 1000, initPods: 4000, measurePods: 1000, measured: 'preemptors', churnIntervalMs: undefined,
  },
  {
    name: 'PreemptionAsync', upstream: 'default_preemption/performance-config.yaml 5000Nodes', threshold: 570,
    nodes: 5000, initPods: 20000, measurePods: 5000, measured: 'default', churnIntervalMs: 200,
  },
];

function pausePod(name: string, cpu: string, priority: number | undefined): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: {
      schedulerName: 'default-scheduler',
      terminationGracePeriodSeconds: 0,
      ...(priority !== undefined ? { priority } : {}),
      containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu, memory: '500Mi' }, limits: { cpu, memory: '500Mi' } } }],
    },
  };
}

/** templates/pod-low-priority.yaml: 900m / 500Mi, no priority (0). */
export const lowPriorityPod = (i: number): Pod => pausePod(`low-${i}`, '900m', undefined);
/** templates/pod-high-priority.yaml: priority 10, 3000m / 500Mi. */
export const highPriorityPod = (i: number): Pod => pausePod(`high-${i}`, '3000m', 10);
/** templates/pod-default.yaml: 100m / 500Mi. */
export const defaultPod = (i: number): Pod => pausePod(`pod-${i}`, '100m', undefined);
