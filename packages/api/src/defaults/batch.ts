// Kubernetes' batch/v1 defaults for Jobs (pkg/apis/batch/v1/defaults.go) and the selector its
// Job strategy generates on create (pkg/registry/batch/job/strategy.go, generateSelector).
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import { defaultPodSpec } from './pod.js';

/** Labels Kubernetes puts on a Job's pod template when it generates the selector. */
export const JOB_CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_JOB_CONTROLLER_UID_LABEL = 'controller-uid';
export const LEGACY_JOB_NAME_LABEL = 'job-name';
/** backoffLimit when neither it nor backoffLimitPerIndex is given. */
export const DEFAULT_JOB_BACKOFF_LIMIT = 6;
const MAX_INT32 = 2_147_483_647;

export function defaultJob(job: Job): void {
  const spec = (job.spec ??= { template: {} });
  // A non-parallel Job may leave both unset; a work-queue Job sets parallelism only.
  if (spec.completions === undefined && spec.parallelism === undefined) spec.completions = 1;
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex !== undefined ? MAX_INT32 : DEFAULT_JOB_BACKOFF_LIMIT;
  const templateLabels = spec.template?.metadata?.labels;
  if (templateLabels && Object.keys(job.metadata?.labels ?? {}).length === 0) job.metadata = { ...job.metadata, labels: { ...templateLabels } };
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  for (const rule of spec.podFailurePolicy?.rules ?? []) {
    for (const pattern of rule.onPodConditions ?? []) pattern.status ||= 'True';
  }
  spec.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  defaultJobPodSpec(spec.template?.spec);
  generateJobSelector(job);
}

function defaultJobPodSpec(podSpec: PodSpec | undefined): void {
  if (!podSpec) return;
  // Not Always: a Job's pods must finish, and a template without a restartPolicy is
  // refused by validation ("Required value") rather than defaulted into an invalid one.
  const given = podSpec.restartPolicy;
  defaultPodSpec(podSpec);
  if (given === undefined) delete podSpec.restartPolicy;
}

/**
 * Kubernetes' SetDefaults_CronJob, and the pod template's defaults inside the jobTemplate. The
 * jobTemplate's own Job fields (completions, backoffLimit, selector…) stay unset, as Kubernetes
 * stores them: each Job gets its defaults when the controller creates it.
 */
export function defaultCronJob(cj: CronJob): void {
  const spec = (cj.spec ??= { schedule: '', jobTemplate: {} });
  spec.concurrencyPolicy ||= 'Allow';
  spec.suspend ??= false;
  spec.successfulJobsHistoryLimit ??= 3;
  spec.failedJobsHistoryLimit ??= 1;
  defaultJobPodSpec(spec.jobTemplate?.spec?.template?.spec);
}

/**
 * Unless spec.manualSelector is true, the selector is the Job's uid and the template carries
 * the labels that select it (and name the Job), as Kubernetes' Job strategy does on create.
 * Needs metadata.uid (the API server draws it before admission); without one (a client-side
 * dry run) nothing is generated. Labels the user set are kept: validation refuses wrong ones.
 */
export function generateJobSelector(job: Job): void {
  const uid = job.metadata?.uid;
  const name = job.metadata?.name;
  const spec = job.spec;
  if (!uid || !spec || spec.manualSelector === true) return;
  const template = (spec.template ??= {});
  const meta = (template.metadata ??= {});
  const labels = (meta.labels ??= {});
  if (name) {
    labels[LEGACY_JOB_NAME_LABEL] ??= name;
    labels[JOB_NAME_LABEL] ??= name;
  }
  labels[LEGACY_JOB_CONTROLLER_UID_LABEL] ??= uid;
  labels[JOB_CONTROLLER_UID_LABEL] ??= uid;
  const selector = (spec.selector ??= {});
  const matchLabels = (selector.matchLabels ??= {});
  matchLabels[JOB_CONTROLLER_UID_LABEL] ??= uid;
}
