// Object-state metrics with kube-state-metrics' names and labels, so Kubernetes' dashboards
// and the kubernetes-mixin alerts work on Tugboat unchanged:
//
//   kube_pod_status_phase{namespace,pod,uid,phase}                       1 for the pod's phase, 0 for the others
//   kube_pod_container_status_restarts_total{namespace,pod,uid,container}
//   kube_pod_container_status_waiting_reason{namespace,pod,uid,container,reason}   1 while waiting
//   kube_deployment_spec_replicas / _status_replicas_available / _status_replicas_updated{namespace,deployment}
//   kube_node_status_condition{node,condition,status}                    1 for the condition's status (true|false|unknown)
//
// Computed when scraped from the controller manager's informer caches (the leader's: a
// replica that does not lead has none and serves none, so two replicas never double-count).
// Nothing happens per watch event, which matters at 10,000 pods (bench:density). Each family
// renders its values straight into prom-client's shape, skipping a Gauge's per-series label
// hashing: at scrape time only.
import type { Metric, Registry } from 'prom-client';
import type { DeploymentObject, NodeObject, PodObject } from './informers.js';

/** The caches the metrics read; absent while this replica does not lead. */
export interface ObjectStateSource {
  pods(): Iterable<PodObject>;
  nodes(): Iterable<NodeObject>;
  deployments(): Iterable<DeploymentObject>;
}

export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** kube-state-metrics' phases, in its order. */
export const POD_PHASES = ['Pending', 'Succeeded', 'Failed', 'Unknown', 'Running'] as const;
const CONDITION_STATUSES = ['true', 'false', 'unknown'] as const;

export function podPhaseSamples(pod: PodObject): Sample[] {
  const { namespace = '', name = '', uid = '' } = pod.metadata ?? {};
  const phase = pod.status?.phase;
  // kube-state-metrics emits nothing for a pod with no phase yet.
  if (!phase) return [];
  return POD_PHASES.map((p) => ({ labels: { namespace, pod: name, uid, phase: p }, value: p === phase ? 1 : 0 }));
}

/** Restarts and waiting reasons of every (init and app) container with a status. */
export function containerSamples(pod: PodObject): { restarts: Sample[]; waiting: Sample[] } {
  const { namespace = '', name = '', uid = '' } = pod.metadata ?? {};
  const restarts: Sample[] = [];
  const waiting: Sample[] = [];
  for (const cs of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const labels = { namespace, pod: name, uid, container: cs.name };
    restarts.push({ labels, value: cs.restartCount ?? 0 });
    const reason = cs.state?.waiting?.reason;
    if (reason) waiting.push({ labels: { ...labels, reason }, value: 1 });
  }
  return { restarts, waiting };
}

export function deploymentSamples(d: DeploymentObject): { spec: Sample; available: Sample; updated: Sample } {
  const labels = { namespace: d.metadata?.namespace ?? '', deployment: d.metadata?.name ?? '' };
  return {
    // spec.replicas is defaulted to 1 when stored.
    spec: { labels, value: d.spec?.replicas ?? 1 },
    available: { labels, value: d.status?.availableReplicas ?? 0 },
    updated: { labels, value: d.status?.updatedReplicas ?? 0 },
  };
}

export function nodeConditionSamples(n: NodeObject): Sample[] {
  const node = n.metadata?.name ?? '';
  return (n.status?.conditions ?? []).flatMap((c) => {
    const status = c.status.toLowerCase();
    return CONDITION_STATUSES.map((s) => ({ labels: { node, condition: c.type, status: s }, value: s === status ? 1 : 0 }));
  });
}

type MetricType = 'gauge' | 'counter';

/** One metric family whose values come from `collect` at scrape time; read by prom-client's registry like its own. */
class StateMetric {
  readonly aggregator = 'sum';
  constructor(readonly name: string, readonly help: string, readonly type: MetricType, private readonly collect: () => Sample[]) {}

  get(): Promise<{ name: string; help: string; type: MetricType; aggregator: string; values: Sample[] }> {
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.collect() });
  }

  reset(): void { /* state, not accumulated: nothing to reset */ }
}

/** Registers the families on `registry`; `source` gives the current caches (undefined: none). */
export function registerObjectStateMetrics(registry: Registry, source: () => ObjectStateSource | undefined): void {
  // One pass over the pods per scrape serves three families: the first family's collect
  // computes all three and leaves two for the others (prom-client calls every family's get()
  // in registration order, synchronously, per scrape). A family asked for alone, or twice,
  // computes afresh.
  let left: { restarts?: Sample[]; waiting?: Sample[] } = {};
  const pods = (): Sample[] => {
    const phases: Sample[] = [];
    const restarts: Sample[] = [];
    const waiting: Sample[] = [];
    for (const p of source()?.pods() ?? []) {
      for (const s of podPhaseSamples(p)) phases.push(s);
      const c = containerSamples(p);
      for (const s of c.restarts) restarts.push(s);
      for (const s of c.waiting) waiting.push(s);
    }
    left = { restarts, waiting };
    return phases;
  };
  const take = (pick: 'restarts' | 'waiting'): Sample[] => {
    if (!left[pick]) pods();
    const out = left[pick] ?? [];
    delete left[pick];
    return out;
  };
  const deployments = (pick: 'spec' | 'available' | 'updated') => (): Sample[] =>
    [...(source()?.deployments() ?? [])].map((d) => deploymentSamples(d)[pick]);
  const families = [
    new StateMetric('kube_pod_status_phase', 'The pods current phase.', 'gauge', pods),
    new StateMetric('kube_pod_container_status_restarts_total', 'The number of container restarts per container.', 'counter', () => take('restarts')),
    new StateMetric('kube_pod_container_status_waiting_reason', 'Describes the reason the container is currently in waiting state.', 'gauge', () => take('waiting')),
    new StateMetric('kube_deployment_spec_replicas', 'Number of desired pods for a deployment.', 'gauge', deployments('spec')),
    new StateMetric('kube_deployment_status_replicas_available', 'The number of available replicas per deployment.', 'gauge', deployments('available')),
    new StateMetric('kube_deployment_status_replicas_updated', 'The number of updated replicas per deployment.', 'gauge', deployments('updated')),
    new StateMetric('kube_node_status_condition', 'The condition of a cluster node.', 'gauge', () => [...(source()?.nodes() ?? [])].flatMap(nodeConditionSamples)),
  ];
  for (const f of families) registry.registerMetric(f as unknown as Metric);
}
