// StatefulSets, with the columns of Kubernetes' printStatefulSet: READY is "ready/desired",
// and -o wide adds the template's containers and images (no selector column).
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import { AGE_COLUMN, NAME_COLUMN, column, created, type KindPrinter } from './columns.js';
import { TEMPLATE_COLUMNS, templateCells } from './workloads.js';

export const statefulsets: KindPrinter = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', 'Number of the pod with ready state'),
    AGE_COLUMN,
    // Containers and Images; kubectl shows no Selector for StatefulSets.
    ...TEMPLATE_COLUMNS.slice(0, 2),
  ],
  row(o, { now }) {
    const sts = o as StatefulSet;
    return [
      sts.metadata?.name ?? '', `${sts.status?.readyReplicas ?? 0}/${sts.spec?.replicas ?? 1}`, created(o, now),
      ...templateCells(sts.spec?.template),
    ];
  },
};
