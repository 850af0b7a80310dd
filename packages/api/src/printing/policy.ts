// PodDisruptionBudgets and PriorityClasses, with the columns of Kubernetes'
// printPodDisruptionBudget and printPriorityClass.
import type { PodDisruptionBudget, PriorityClass } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, column, created, type KindPrinter } from './columns.js';

export const poddisruptionbudgets: KindPrinter = {
  columns: [
    NAME_COLUMN,
    column('Min Available', 'string', 'The minimum number of pods that must be available simultaneously.  This can be either an integer or a string specifying a percentage, e.g. "28%".'),
    column('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable simultaneously.  This can be either an integer or a string specifying a percentage, e.g. "28%".'),
    column('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
    AGE_COLUMN,
  ],
  row(o, { now }) {
    const pdb = o as PodDisruptionBudget;
    const show = (v: number | string | undefined): string => (v === undefined ? 'N/A' : String(v));
    return [pdb.metadata?.name ?? '', show(pdb.spec?.minAvailable), show(pdb.spec?.maxUnavailable), pdb.status?.disruptionsAllowed ?? 0, created(o, now)];
  },
};

export const priorityclasses: KindPrinter = {
  columns: [
    NAME_COLUMN,
    column('Value', 'integer', 'value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec.'),
    column('Global-Default', 'boolean', 'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.'),
    AGE_COLUMN,
    column('PreemptionPolicy', 'string', 'preemptionPolicy is the Policy for preempting pods with lower priority.'),
  ],
  row(o, { now }) {
    const pc = o as unknown as PriorityClass;
    return [pc.metadata?.name ?? '', pc.value ?? 0, String(pc.globalDefault ?? false), created(o, now), pc.preemptionPolicy ?? ''];
  },
};
