// Scenarios in the manner of Kubernetes' scheduler_perf (test/integration/scheduler_perf:
// affinity/ and topology_spreading/ performance-config.yaml, their pod templates): on 5,000
// nodes, place `init` pods untimed, then time `measure` pods. Kubernetes' threshold is the
// pods/s its CI must reach for the same workload; ours is printed beside it (goal: 10×).
//
// Unlike the upstream templates, whose terms name namespaces the pods are not in (so they
// match nothing), our terms name the namespaces the pods are created in: the anti-affinity
// really keeps one pod per node, the affinity really pulls pods together.
import type { Node, Pod, PodSpec } from '@tugboat/api';

export interface PerfScenario {
  readonly name: string;
  /** Kubernetes' threshold (pods/s) for this workload on 5,000 nodes. */
  readonly threshold: number;
  /** Where it comes from: file and workload name. */
  readonly upstream: string;
  readonly nodes: number;
  readonly initPods: number;
  readonly measurePods: number;
  /** Zone label values (one per node, round-robin). */
  readonly zones: readonly string[];
  /** Spec of the init pods and of the measured pods; labels by pod. */
  readonly init: PodTemplate;
  readonly measure: PodTemplate;
  /** Checks the placements; returns the problems. */
  check(placed: ReadonlyMap<string, string>, zoneOf: ReadonlyMap<string, string>): string[];
}

export interface PodTemplate {
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly spec: Partial<PodSpec>;
}

const HOST = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';
const NAMESPACES = ['sched-0', 'sched-1'];

const term = (color: string, topologyKey: string) => ({ labelSelector: { matchLabels: { color } }, topologyKey, namespaces: NAMESPACES });
const plain: PodTemplate = { namespace: 'default', labels: {}, spec: {} };

function oneColorPerNode(color: string) {
  return (placed: ReadonlyMap<string, string>): string[] => {
    const seen = new Map<string, string>();
    const problems: string[] = [];
    for (const [pod, node] of placed) {
      if (!pod.includes(`/${color}-`)) continue;
      const other = seen.get(node);
      if (other) problems.push(`${pod} and ${other} share node ${node} despite required anti-affinity`);
      seen.set(node, pod);
    }
    return problems;
  };
}

function zoneSkewAtMost(maxSkew: number, prefix: string) {
  return (placed: ReadonlyMap<string, string>, zoneOf: ReadonlyMap<string, string>): string[] => {
    const counts = new Map<string, number>();
    for (const z of new Set(zoneOf.values())) counts.set(z, 0);
    for (const [pod, node] of placed) if (pod.includes(prefix)) counts.set(zoneOf.get(node)!, counts.get(zoneOf.get(node)!)! + 1);
    const values = [...counts.values()];
    const skew = Math.max(...values) - Math.min(...values);
    return skew > maxSkew ? [`zone skew ${skew} > ${maxSkew}: ${JSON.stringify(Object.fromEntries(counts))}`] : [];
  };
}

const none = (): string[] => [];

export const PERF_SCENARIOS: readonly PerfScenario[] = [
  {
    name: 'SchedulingPodAntiAffinity', threshold: 60, upstream: 'affinity/performance-config.yaml 5000Nodes_2000Pods',
    nodes: 5000, initPods: 1000, measurePods: 2000, zones: ['zone1'],
    init: { namespace: 'sched-0', labels: { color: 'green' }, spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('green', HOST)] } } } },
    measure: { namespace: 'sched-1', labels: { color: 'green' }, spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('green', HOST)] } } } },
    check: oneColorPerNode('green'),
  },
  {
    name: 'SchedulingPodAffinity', threshold: 35, upstream: 'affinity/performance-config.yaml 5000Nodes_5000Pods',
    nodes: 5000, initPods: 5000, measurePods: 5000, zones: ['zone1'],
    init: { namespace: 'sched-0', labels: { color: 'blue' }, spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('blue', ZONE)] } } } },
    measure: { namespace: 'sched-1', labels: { color: 'blue' }, spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('blue', ZONE)] } } } },
    check: none,
  },
  {
    name: 'SchedulingPreferredPodAffinity', threshold: 90, upstream: 'affinity/performance-config.yaml 5000Nodes_5000Pods',
    nodes: 5000, initPods: 5000, measurePods: 5000, zones: ['zone1'],
    init: { namespace: 'sched-0', labels: { color: 'red' }, spec: { affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: term('red', HOST) }] } } } },
    measure: { namespace: 'sched-1', labels: { color: 'red' }, spec: { affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: term('red', HOST) }] } } } },
    check: none,
  },
  {
    name: 'SchedulingPreferredPodAntiAffinity', threshold: 90, upstream: 'affinity/performance-config.yaml 5000Nodes_5000Pods',
    nodes: 5000, initPods: 5000, measurePods: 5000, zones: ['zone1'],
    init: { namespace: 'sched-0', labels: { color: 'yellow' }, spec: { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: term('yellow', HOST) }] } } } },
    measure: { namespace: 'sched-1', labels: { color: 'yellow' }, spec: { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: term('yellow', HOST) }] } } } },
    check: none,
  },
  {
    name: 'TopologySpreading', threshold: 460, upstream: 'topology_spreading/performance-config.yaml 5000Nodes_5000Pods',
    nodes: 5000, initPods: 5000, measurePods: 5000, zones: ['moon-1', 'moon-2', 'moon-3'],
    init: plain,
    measure: { namespace: 'default', labels: { color: 'blue' }, spec: { topologySpreadConstraints: [{ maxSkew: 5, topologyKey: ZONE, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { color: 'blue' } } }] } },
    check: zoneSkewAtMost(5, '/blue-'),
  },
  {
    name: 'PreferredTopologySpreading', threshold: 340, upstream: 'topology_spreading/performance-config.yaml 5000Nodes_5000Pods',
    nodes: 5000, initPods: 5000, measurePods: 5000, zones: ['moon-1', 'moon-2', 'moon-3'],
    init: plain,
    measure: { namespace: 'default', labels: { color: 'blue' }, spec: { topologySpreadConstraints: [{ maxSkew: 5, topologyKey: ZONE, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { color: 'blue' } } }] } },
    check: none,
  },
];

/** scheduler_perf's node-default: 4 cpu, 32Gi, 110 pods; a hostname and a zone label. */
export function perfNodes(s: Pick<PerfScenario, 'nodes' | 'zones'>): Node[] {
  return Array.from({ length: s.nodes }, (_, i) => {
    const name = `node-${i + 1}`;
    const resources = { cpu: '4', memory: '32Gi', pods: '110' };
    return {
      apiVersion: 'v1', kind: 'Node',
      metadata: { name, labels: { [HOST]: name, [ZONE]: s.zones[i % s.zones.length]! } },
      spec: {},
      status: { capacity: resources, allocatable: resources, conditions: [{ type: 'Ready', status: 'True' }] },
    };
  });
}

/** Pods of the template, named `<color or pod>-<i>`: 100m / 500Mi as in the upstream templates. */
export function perfPods(t: PodTemplate, count: number, prefix: string): Pod[] {
  return Array.from({ length: count }, (_, i) => {
    const name = `${t.labels['color'] ?? 'pod'}-${prefix}${i + 1}`;
    return {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name, namespace: t.namespace, uid: `uid-${t.namespace}-${name}`, labels: t.labels },
      spec: {
        schedulerName: 'default-scheduler',
        containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.9', resources: { requests: { cpu: '100m', memory: '500Mi' }, limits: { cpu: '100m', memory: '500Mi' } } }],
        ...t.spec,
      },
    };
  });
}
