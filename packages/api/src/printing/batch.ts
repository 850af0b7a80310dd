// Jobs, with the columns of Kubernetes' printJob (pkg/printers/internalversion).
import type { CronJob, Job, JobCondition } from 'kubernetes-types/batch/v1.js';
import { age, humanDuration } from './age.js';
import { AGE_COLUMN, NAME_COLUMN, column, created, wide, type KindPrinter } from './columns.js';
import { formatSelector } from './format.js';
import { templateCells } from './workloads.js';

function hasCondition(conditions: readonly JobCondition[] | undefined, type: string): boolean {
  return (conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

/** The STATUS cell: a finished Job's outcome first, then what it is doing. */
export function jobStatus(job: Job): string {
  const conditions = job.status?.conditions;
  if (hasCondition(conditions, 'Complete')) return 'Complete';
  if (hasCondition(conditions, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (hasCondition(conditions, 'Suspended')) return 'Suspended';
  if (hasCondition(conditions, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(conditions, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

/** "3/5"; a work-queue Job (no completions) reads "0/1", or "0/1 of 4" with parallelism 4. */
export function jobCompletions(job: Job): string {
  const succeeded = job.status?.succeeded ?? 0;
  const completions = job.spec?.completions;
  if (completions !== undefined && completions !== null) return `${succeeded}/${completions}`;
  const parallelism = job.spec?.parallelism ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

/** From start to completion, or to now while it runs; empty before it starts. */
export function jobDuration(job: Job, now: number): string {
  const start = job.status?.startTime ? Date.parse(job.status.startTime) : NaN;
  if (Number.isNaN(start)) return '';
  const end = job.status?.completionTime ? Date.parse(job.status.completionTime) : now;
  return humanDuration(Math.max(0, end - start));
}

export const jobs: KindPrinter = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'Status of the job.'),
    column('Completions', 'string', 'The number of pods which reached phase Succeeded. The value increases monotonically for a given spec. However, it may decrease in reaction to scale down of elastic indexed jobs.'),
    column('Duration', 'string', 'Time required to complete the job.'),
    AGE_COLUMN,
    wide(column('Containers', 'string', 'Names of each container in the template.')),
    wide(column('Images', 'string', 'Images referenced by each container in the template.')),
    wide(column('Selector', 'string', 'A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors')),
  ],
  row(o, { now }) {
    const job = o as Job;
    return [
      job.metadata?.name ?? '', jobStatus(job), jobCompletions(job), jobDuration(job, now), created(o, now),
      ...templateCells(job.spec?.template), formatSelector(job.spec?.selector),
    ];
  },
};

/** kubectl's printBoolPtr: "<unset>" when the field is absent. */
function boolOrUnset(v: boolean | undefined | null): string {
  if (v === undefined || v === null) return '<unset>';
  return v ? 'True' : 'False';
}

// Descriptions from Kubernetes' API documentation of the fields, as its printCronJob uses them.
export const cronjobs: KindPrinter = {
  columns: [
    NAME_COLUMN,
    column('Schedule', 'string', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
    column('Timezone', 'string', 'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, this will default to the time zone of the kube-controller-manager process. The set of valid time zone names and the time zone offset is loaded from the system-wide time zone database by the API server during CronJob validation and the controller manager during execution. If no system-wide time zone database can be found a bundled version of the database is used instead. If the time zone name becomes invalid during the lifetime of a CronJob or due to a change in host configuration, the controller will stop creating new new Jobs and will create a system event with the reason UnknownTimeZone. More information can be found in https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones'),
    column('Suspend', 'boolean', 'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false.'),
    column('Active', 'integer', 'A list of pointers to currently running jobs.'),
    column('Last Schedule', 'string', 'Information when was the last time the job was successfully scheduled.'),
    AGE_COLUMN,
    wide(column('Containers', 'string', 'Names of each container in the template.')),
    wide(column('Images', 'string', 'Images referenced by each container in the template.')),
    wide(column('Selector', 'string', 'A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors')),
  ],
  row(o, { now }) {
    const cj = o as CronJob;
    const last = cj.status?.lastScheduleTime;
    return [
      cj.metadata?.name ?? '', cj.spec?.schedule ?? '', cj.spec?.timeZone ?? '<none>', boolOrUnset(cj.spec?.suspend),
      (cj.status?.active ?? []).length, last ? age(last, now) : '<none>', created(o, now),
      ...templateCells(cj.spec?.jobTemplate?.spec?.template), formatSelector(cj.spec?.jobTemplate?.spec?.selector),
    ];
  },
};
