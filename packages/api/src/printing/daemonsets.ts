// DaemonSets, ReplicationControllers and ControllerRevisions, with the columns of
// Kubernetes' printDaemonSet, printReplicationController and printControllerRevision.
import type { KubeObject } from '../types.js';
import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { ReplicationController } from 'kubernetes-types/core/v1.js';
import { AGE_COLUMN, NAME_COLUMN, column, created, type KindPrinter } from './columns.js';
import { formatSelector, labelsOrNone } from './format.js';
import { TEMPLATE_COLUMNS, templateCells } from './workloads.js';

export const daemonsets: KindPrinter = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', 'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).'),
    column('Current', 'integer', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.'),
    column('Ready', 'integer', 'numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.'),
    column('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod'),
    column('Available', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)'),
    column('Node Selector', 'string', "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node."),
    AGE_COLUMN,
    ...TEMPLATE_COLUMNS,
  ],
  row(o, { now }) {
    const ds = o as DaemonSet;
    const st = ds.status;
    return [
      ds.metadata?.name ?? '', st?.desiredNumberScheduled ?? 0, st?.currentNumberScheduled ?? 0, st?.numberReady ?? 0,
      st?.updatedNumberScheduled ?? 0, st?.numberAvailable ?? 0, labelsOrNone(ds.spec?.template?.spec?.nodeSelector), created(o, now),
      ...templateCells(ds.spec?.template), formatSelector(ds.spec?.selector),
    ];
  },
};

export const replicationcontrollers: KindPrinter = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', 'Replicas is the number of desired replicas.'),
    column('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
    column('Ready', 'integer', 'The number of ready replicas for this replication controller.'),
    AGE_COLUMN,
    ...TEMPLATE_COLUMNS,
  ],
  row(o, { now }) {
    const rc = o as ReplicationController;
    return [
      rc.metadata?.name ?? '', rc.spec?.replicas ?? 1, rc.status?.replicas ?? 0, rc.status?.readyReplicas ?? 0, created(o, now),
      ...templateCells(rc.spec?.template), labelsOrNone(rc.spec?.selector),
    ];
  },
};

/** "daemonset.apps/fluentd": the revision's controller, as kubectl names it; "<none>" for an orphan. */
function controllerOf(o: KubeObject): string {
  const ref = o.metadata?.ownerReferences?.find((r) => r.controller);
  if (!ref) return '<none>';
  const group = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0] : '';
  return `${ref.kind.toLowerCase()}${group ? `.${group}` : ''}/${ref.name}`;
}

export const controllerrevisions: KindPrinter = {
  columns: [
    NAME_COLUMN,
    column('Controller', 'string', 'Controller of the object'),
    column('Revision', 'integer', 'Revision indicates the revision of the state represented by Data.'),
    AGE_COLUMN,
  ],
  row(o, { now }) {
    return [o.metadata?.name ?? '', controllerOf(o), (o as unknown as ControllerRevision).revision ?? 0, created(o, now)];
  },
};
