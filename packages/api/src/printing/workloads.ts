// Pods, Deployments and ReplicaSets, with the columns of Kubernetes' printPod,
// printDeployment and printReplicaSet.
import type { Deployment, KubeObject, Pod, PodTemplateSpec, ReplicaSet } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, column, created, wide, type KindPrinter, type RowCondition } from './columns.js';
import { formatSelector, orNone } from './format.js';
import { podSummary } from './pod-status.js';

export const TEMPLATE_COLUMNS = [
  wide(column('Containers', 'string', 'Names of each container in the template.')),
  wide(column('Images', 'string', 'Images referenced by each container in the template.')),
  wide(column('Selector', 'string', 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.')),
];

export function templateCells(t: PodTemplateSpec | undefined): [string, string] {
  const containers = t?.spec?.containers ?? [];
  return [orNone(containers.map((c) => c.name).join(',')), orNone(containers.map((c) => c.image ?? '').join(','))];
}

/** "1/2": readiness gates whose condition is True, of all the pod's gates; "<none>" without. */
function readinessGates(pod: Pod): string {
  const gates = pod.spec?.readinessGates ?? [];
  if (gates.length === 0) return '<none>';
  const conditions = pod.status?.conditions ?? [];
  const ready = gates.filter((g) => conditions.find((c) => c.type === g.conditionType)?.status === 'True').length;
  return `${ready}/${gates.length}`;
}

export const pods: KindPrinter = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'string', 'The aggregate status of the containers in this pod.'),
    // A string, not an integer: it reads "3 (5m ago)" after a recent restart.
    column('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    AGE_COLUMN,
    wide(column('IP', 'string', 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.')),
    wide(column('Node', 'string', 'NodeName indicates in which node this pod is scheduled.')),
    wide(column('Nominated Node', 'string', 'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.')),
    wide(column('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness.')),
  ],
  row(o, { now }) {
    const pod = o as Pod;
    const s = podSummary(pod, now);
    return [
      pod.metadata?.name ?? '', s.ready, s.status, s.restarts, created(o, now),
      orNone(pod.status?.podIP), orNone(pod.spec?.nodeName), orNone(pod.status?.nominatedNodeName), readinessGates(pod),
    ];
  },
  conditions(o): RowCondition[] {
    // Kubernetes marks finished pods so that a client may hide them.
    switch ((o as Pod).status?.phase) {
      case 'Succeeded': return [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
      case 'Failed': return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
      default: return [];
    }
  },
};

export const deployments: KindPrinter = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', 'Number of the pod with ready state'),
    // Kubernetes declares these two "string" and sends integers; kubectl prints either.
    column('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    column('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
    AGE_COLUMN,
    ...TEMPLATE_COLUMNS,
  ],
  row(o, { now }) {
    const d = o as Deployment;
    const st = d.status ?? {};
    return [
      d.metadata?.name ?? '', `${st.readyReplicas ?? 0}/${d.spec?.replicas ?? 1}`, st.updatedReplicas ?? 0, st.availableReplicas ?? 0, created(o, now),
      ...templateCells(d.spec?.template), formatSelector(d.spec?.selector),
    ];
  },
};

export const replicasets: KindPrinter = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', 'Replicas is the number of desired replicas.'),
    column('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
    column('Ready', 'integer', 'readyReplicas is the number of pods targeted by this ReplicaSet with a Ready Condition.'),
    AGE_COLUMN,
    ...TEMPLATE_COLUMNS,
  ],
  row(o: KubeObject, { now }) {
    const rs = o as ReplicaSet;
    return [
      rs.metadata?.name ?? '', rs.spec?.replicas ?? 1, rs.status?.replicas ?? 0, rs.status?.readyReplicas ?? 0, created(o, now),
      ...templateCells(rs.spec?.template), formatSelector(rs.spec?.selector),
    ];
  },
};
