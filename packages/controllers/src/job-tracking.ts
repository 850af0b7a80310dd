// How a Job counts its finished pods without counting any twice (Kubernetes' "Job tracking
// with finalizers", KEP-2307), pure. Each pod carries the finalizer batch.kubernetes.io/
// job-tracking until it is counted, and counting takes three writes in this order:
//
//   1. status: the pod's uid joins status.uncountedTerminatedPods (an Indexed Job's succeeded
//      index goes straight into status.completedIndexes: the index is its own record)
//   2. pod: the finalizer is removed
//   3. status: uids whose pods lost the finalizer leave the list and move into the counters
//
// A controller killed between any two steps resumes correctly: after 1 the uid is listed
// (never added again), after 2 a listed uid without a finalizer is counted by step 3, after 3
// the pod has no finalizer and is never looked at again.
import type { Job, JobCondition, JobStatus, Pod } from '@tugboat/api';
import { completionIndex, countIndexes, formatIndexes, hasIndex, parseIndexes, withIndexes, type Interval } from './job-indexes.js';
import { matchPodFailurePolicy } from './job-pod-failure-policy.js';

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';

export function hasTrackingFinalizer(pod: Pod): boolean {
  return (pod.metadata?.finalizers ?? []).includes(JOB_TRACKING_FINALIZER);
}

export function isIndexedJob(job: Job): boolean {
  return job.spec?.completionMode === 'Indexed';
}

/** Pods being deleted count as failed unless the Job waits for them to fail (podReplacementPolicy Failed). */
export function isPodFailedForJob(pod: Pod, job: Job): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Failed') return true;
  if (phase === 'Succeeded') return false;
  if (job.spec?.podReplacementPolicy === 'Failed' || job.spec?.podFailurePolicy) return false;
  return !!pod.metadata?.deletionTimestamp;
}

// ── Conditions ────────────────────────────────────────────────────────────────────────────

export type JobConditionType = 'Complete' | 'Failed' | 'Suspended' | 'FailureTarget' | 'SuccessCriteriaMet';

export function findCondition(job: Job, type: JobConditionType): JobCondition | undefined {
  return job.status?.conditions?.find((c) => c.type === type);
}

export function hasTrueCondition(job: Job, type: JobConditionType): boolean {
  return findCondition(job, type)?.status === 'True';
}

export function isJobFinished(job: Job): boolean {
  return hasTrueCondition(job, 'Complete') || hasTrueCondition(job, 'Failed');
}

/** When the Job finished (its Complete or Failed condition's transition), in ms; undefined while it runs. */
export function jobFinishTime(job: Job): number | undefined {
  const c = (job.status?.conditions ?? []).find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  if (!c) return undefined;
  const t = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return Number.isFinite(t) ? t : undefined;
}

/**
 * Sets a condition's status, reason and message; the transition time moves only when the
 * status changes. Returns the new list and whether anything changed.
 */
export function ensureCondition(conditions: readonly JobCondition[] | undefined, type: JobConditionType, status: 'True' | 'False', reason: string, message: string, nowIso: string): { conditions: JobCondition[]; changed: boolean } {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === type);
  const cur = list[i];
  if (!cur) {
    // A False condition that never existed need not be written (Kubernetes: "Suspended" False only after a suspension).
    if (status === 'False') return { conditions: list, changed: false };
    list.push({ type, status, reason, message, lastProbeTime: nowIso, lastTransitionTime: nowIso });
    return { conditions: list, changed: true };
  }
  if (cur.status === status && cur.reason === reason && cur.message === message) return { conditions: list, changed: false };
  list[i] = { ...cur, status, reason, message, lastProbeTime: nowIso, ...(cur.status !== status ? { lastTransitionTime: nowIso } : {}) };
  return { conditions: list, changed: true };
}

/** Why a Job ends: the interim condition first (FailureTarget / SuccessCriteriaMet), the final one once every pod is accounted for. */
export interface JobFinish {
  outcome: 'Failed' | 'Complete';
  reason: string;
  message: string;
}

export const FINISH_BACKOFF_LIMIT: JobFinish = { outcome: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
export const FINISH_DEADLINE: JobFinish = { outcome: 'Failed', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
export const FINISH_COMPLETE: JobFinish = { outcome: 'Complete', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' };

export function interimCondition(f: JobFinish): JobConditionType {
  return f.outcome === 'Failed' ? 'FailureTarget' : 'SuccessCriteriaMet';
}

/** A finish already decided by an earlier sync (its interim condition is written). */
export function recordedFinish(job: Job): JobFinish | undefined {
  for (const [type, outcome] of [['SuccessCriteriaMet', 'Complete'], ['FailureTarget', 'Failed']] as const) {
    const c = findCondition(job, type);
    if (c?.status === 'True') return { outcome, reason: c.reason ?? '', message: c.message ?? '' };
  }
  return undefined;
}

/** The first FailJob match among failed pods not yet counted, as Kubernetes' getFailJobMessage. */
export function failJobMessage(job: Job, pods: readonly Pod[]): string | undefined {
  const policy = job.spec?.podFailurePolicy;
  if (!policy) return undefined;
  for (const p of pods) {
    if (p.status?.phase !== 'Failed' || !hasTrackingFinalizer(p)) continue;
    const m = matchPodFailurePolicy(policy, p);
    if (m.action === 'FailJob') return m.message;
  }
  return undefined;
}

/** With restartPolicy OnFailure failed containers restart in place: their restarts count against backoffLimit. */
export function pastBackoffLimitOnFailure(job: Job, activePods: readonly Pod[]): boolean {
  if (job.spec?.template?.spec?.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const p of activePods) {
    for (const s of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) restarts += s.restartCount ?? 0;
  }
  const limit = job.spec.backoffLimit ?? 6;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

// ── Counting ──────────────────────────────────────────────────────────────────────────────

export interface TrackingInput<P extends Pod = Pod> {
  job: Job;
  /** Every pod the Job owns, finished ones included. */
  pods: readonly P[];
  /** Pods whose finalizer removal is in flight (already counted; the cache has not caught up). */
  expectedRemoved: ReadonlySet<string>;
  /** A failure was decided: every unfinished pod counts as failed (the Job deletes them). */
  failing: boolean;
}

export interface TrackingPlan<P extends Pod = Pod> {
  /** Status with step 1 done (new uids listed, indexes recorded) and step 3 for pods already without finalizer. */
  status: JobStatus;
  /** Pods whose finalizer step 2 removes (only after `status` is written when `flush`). */
  removeFinalizer: P[];
  /** The status differs from the Job's: it must be written before any finalizer is removed. */
  flush: boolean;
}

const uid = (p: Pod): string => p.metadata?.uid ?? '';

/**
 * Step 3: listed uids whose pods no longer carry the finalizer (or are gone) move from
 * uncountedTerminatedPods into the counters. Returns the new status and whether it changed.
 */
export function countUncounted(status: JobStatus, withFinalizer: ReadonlySet<string>): { status: JobStatus; changed: boolean } {
  const unc = status.uncountedTerminatedPods ?? {};
  const succ = (unc.succeeded ?? []).filter((u) => withFinalizer.has(u));
  const fail = (unc.failed ?? []).filter((u) => withFinalizer.has(u));
  const movedS = (unc.succeeded ?? []).length - succ.length;
  const movedF = (unc.failed ?? []).length - fail.length;
  if (movedS === 0 && movedF === 0) return { status, changed: false };
  return {
    status: {
      ...status,
      succeeded: (status.succeeded ?? 0) + movedS,
      failed: (status.failed ?? 0) + movedF,
      uncountedTerminatedPods: { ...(succ.length ? { succeeded: succ } : {}), ...(fail.length ? { failed: fail } : {}) },
    },
    changed: true,
  };
}

/** Succeeded indexes: those recorded in status plus those of succeeded pods. */
export function succeededIndexes(job: Job, pods: readonly Pod[]): { previous: Interval[]; now: Interval[] } {
  const completions = job.spec?.completions ?? 0;
  const previous = parseIndexes(job.status?.completedIndexes, completions);
  const added: number[] = [];
  for (const p of pods) {
    const i = completionIndex(p);
    if (p.status?.phase === 'Succeeded' && i !== undefined && i < completions) added.push(i);
  }
  return { previous, now: withIndexes(previous, added) };
}

/** Steps 1 and 3 for one sync: what to write, and which finalizers may go after that write. */
export function planTracking<P extends Pod>(input: TrackingInput<P>): TrackingPlan<P> {
  const { job, pods, expectedRemoved, failing } = input;
  const indexed = isIndexedJob(job);
  const completions = job.spec?.completions ?? 0;
  const withFinalizer = new Set(pods.filter((p) => hasTrackingFinalizer(p) && !expectedRemoved.has(uid(p))).map(uid));
  let { status, changed } = countUncounted(structuredClone(job.status ?? {}), withFinalizer);
  const unc = status.uncountedTerminatedPods ?? {};
  const listedS = new Set(unc.succeeded ?? []);
  const listedF = new Set(unc.failed ?? []);
  const addS: string[] = [];
  const addF: string[] = [];
  const removeFinalizer: P[] = [];
  const previous = indexed ? parseIndexes(job.status?.completedIndexes, completions) : [];
  const newIndexes: number[] = [];
  const deleting = !!job.metadata?.deletionTimestamp;
  for (const p of pods) {
    const id = uid(p);
    if (!hasTrackingFinalizer(p) || expectedRemoved.has(id)) continue;
    const failed = isPodFailedForJob(p, job);
    const succeeded = p.status?.phase === 'Succeeded';
    // A running pod keeps its finalizer, unless the Job is going away or giving up.
    if (!succeeded && !failed && !failing && !deleting) continue;
    removeFinalizer.push(p);
    if (succeeded && !listedF.has(id)) {
      if (indexed) {
        const i = completionIndex(p);
        if (i !== undefined && i < completions && !hasIndex(previous, i)) newIndexes.push(i);
      } else if (!listedS.has(id)) addS.push(id);
    } else if (!succeeded && (failed || failing) && !listedF.has(id)) {
      const i = completionIndex(p);
      const inRange = !indexed || (i !== undefined && i < completions);
      if (inRange && matchPodFailurePolicy(job.spec?.podFailurePolicy, p).countFailed) addF.push(id);
    }
  }
  if (addS.length || addF.length) {
    changed = true;
    status = {
      ...status,
      uncountedTerminatedPods: {
        ...((unc.succeeded ?? []).length + addS.length ? { succeeded: [...(unc.succeeded ?? []), ...addS] } : {}),
        ...((unc.failed ?? []).length + addF.length ? { failed: [...(unc.failed ?? []), ...addF] } : {}),
      },
    };
  }
  if (indexed) {
    const all = withIndexes(previous, newIndexes);
    const text = formatIndexes(all);
    if (text !== (job.status?.completedIndexes ?? '')) changed = true;
    status = { ...status, completedIndexes: text, succeeded: countIndexes(all) };
    if ((job.status?.succeeded ?? 0) !== status.succeeded) changed = true;
  }
  status.uncountedTerminatedPods ??= {};
  return { status, removeFinalizer, flush: changed };
}
