// The Job controller (Kubernetes' pkg/controller/job): runs a Job's pods to completion.
//
//   job / pod informer events ──▶ enqueue "ns/name" of the Job (a pod's controller reference)
//   sync(key):
//     claim pods ─▶ decide the finish (pure: backoffLimit, activeDeadlineSeconds,
//     podFailurePolicy, completions) ─▶ failing: delete active pods │ else: suspend, or create /
//     delete pods towards min(parallelism, remaining completions), after the failure back-off
//     ─▶ count finished pods through the job-tracking finalizer (job-tracking.ts) ─▶ status,
//     interim condition (FailureTarget / SuccessCriteriaMet), then Complete / Failed once no
//     pod is left running or uncounted
//   finished Jobs: ttlSecondsAfterFinished deletes them (Foreground: their pods go first)
//
// Pods that lost their Job keep the finalizer until this controller removes it ("pod:" keys).
import {
  objectKey, selectorFromLabelSelector, splitKey,
  type EnvVar, type Informer, type Job, type JobStatus, type KubeObject,
} from '@tugboat/api';
import { describe, isApiError, StaleCacheError } from './controller.js';
import { deepEqual } from './canonical.js';
import type { EventRecorder } from './events.js';
import { ControllerExpectations } from './expectations.js';
import type { PodObject, SharedInformers } from './informers.js';
import { backoffRecord, DEFAULT_JOB_BACKOFF_BASE_MS, MAX_JOB_BACKOFF_MS, remainingBackoff } from './job-backoff.js';
import {
  completionIndex, duplicateOrStalePods, firstPendingIndexes,
  JOB_COMPLETION_INDEX_ANNOTATION, JOB_COMPLETION_INDEX_ENV, JOB_COMPLETION_INDEX_LABEL,
} from './job-indexes.js';
import { matchPodFailurePolicy } from './job-pod-failure-policy.js';
import {
  countUncounted, ensureCondition, failJobMessage, FINISH_BACKOFF_LIMIT, FINISH_COMPLETE, FINISH_DEADLINE, hasTrackingFinalizer,
  interimCondition, isIndexedJob, isJobFinished, isPodFailedForJob, jobFinishTime, JOB_TRACKING_FINALIZER, pastBackoffLimitOnFailure,
  planTracking, recordedFinish, succeededIndexes, type JobFinish,
} from './job-tracking.js';
import { claimObjects, controllerRef, ownerStillValid, updateWithRetry } from './owner-refs.js';
import { isPodActive, isPodReady, isPodTerminal, randomSuffix } from './pod-util.js';
import { podFromTemplate, podsToDelete } from './replicaset.js';
import { slowStartBatch } from './slow-start.js';
import { QueueController, type ControllerOptions } from './queue-controller.js';

export const JOB_CONTROLLER = 'job-controller';
export type JobObject = Job & KubeObject;

/** Keys of orphaned pods whose tracking finalizer must go, in the Jobs' queue. */
const POD_KEY_PREFIX = 'pod:';

// ── Pure decisions ────────────────────────────────────────────────────────────────────────

/** How many pods should be running now (Kubernetes' manageJob "wantActive"). */
export function wantActive(job: Job, succeeded: number, active: number): number {
  const parallelism = Math.max(0, job.spec?.parallelism ?? 1);
  const completions = job.spec?.completions;
  if (completions === undefined || completions === null) {
    // A work-queue Job: once one pod succeeded, the rest only finish; none is added.
    return succeeded > 0 ? Math.min(active, parallelism) : parallelism;
  }
  return Math.max(0, Math.min(completions - succeeded, parallelism));
}

/** Whether the Job has all the successes it needs, with nothing left running. */
export function completionsReached(job: Job, succeeded: number, active: number): boolean {
  if (active > 0) return false;
  const completions = job.spec?.completions;
  return completions === undefined || completions === null ? succeeded > 0 : succeeded >= completions;
}

/** The moment activeDeadlineSeconds runs out (ms), if it is set and the Job has started. */
export function deadlineAt(job: Job): number | undefined {
  const ads = job.spec?.activeDeadlineSeconds;
  const start = job.status?.startTime ? Date.parse(job.status.startTime) : NaN;
  if (ads === undefined || ads === null || !Number.isFinite(start)) return undefined;
  return start + ads * 1000;
}

/** A pod for `job` from its template: finalizer, labels, owner; for Indexed Jobs the index everywhere Kubernetes puts it. */
export function jobPodFromTemplate(job: JobObject, index: number | undefined, suffix = randomSuffix()): PodObject {
  const name = job.metadata?.name ?? 'job';
  const prefix = index === undefined ? `${name}-` : `${name}-${index}-`;
  const pod = podFromTemplate(job, job.spec?.template ?? {}, suffix, { apiVersion: 'batch/v1', kind: 'Job' }, prefix);
  const meta = pod.metadata!;
  const spec = pod.spec!;
  if (index !== undefined) {
    meta.annotations = { ...meta.annotations, [JOB_COMPLETION_INDEX_ANNOTATION]: String(index) };
    meta.labels = { ...meta.labels, [JOB_COMPLETION_INDEX_LABEL]: String(index) };
    // A stable hostname per index, so pods of the same index find each other by name.
    spec.hostname ??= `${name}-${index}`;
    const env: EnvVar = { name: JOB_COMPLETION_INDEX_ENV, valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${JOB_COMPLETION_INDEX_ANNOTATION}']` } } };
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      if (!(c.env ?? []).some((e) => e.name === JOB_COMPLETION_INDEX_ENV)) c.env = [...(c.env ?? []), env];
    }
  }
  meta.finalizers = [...(meta.finalizers ?? []), JOB_TRACKING_FINALIZER];
  return pod;
}

/** Finalizer removals in flight per Job (Kubernetes' uidTrackingExpectations): those pods are counted already. */
export class FinalizerExpectations {
  private readonly byJob = new Map<string, Set<string>>();
  expect(key: string, uids: readonly string[]): void {
    const s = this.byJob.get(key) ?? new Set<string>();
    for (const u of uids) s.add(u);
    this.byJob.set(key, s);
  }
  observed(key: string, uid: string): void {
    this.byJob.get(key)?.delete(uid);
  }
  get(key: string): ReadonlySet<string> {
    return new Set(this.byJob.get(key) ?? []);
  }
  delete(key: string): void {
    this.byJob.delete(key);
  }
}

// ── The controller ────────────────────────────────────────────────────────────────────────

export interface JobControllerOptions extends ControllerOptions {
  informers: SharedInformers;
  recorder: EventRecorder;
  /** First back-off after a failed pod (Kubernetes: 10 s), doubled per further failure. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  burst?: number;
}

interface TrackArgs {
  job: JobObject;
  /** The status as the cache had it: only a difference is written. */
  stored: JobStatus;
  key: string;
  pods: PodObject[];
  expectedRemoved: ReadonlySet<string>;
  finish: JobFinish | undefined;
  settled: boolean;
  terminating: number;
  nowIso: string;
}

interface SyncState {
  job: JobObject;
  key: string;
  pods: PodObject[];
  active: PodObject[];
  terminating: number;
  succeeded: number;
}

export class JobController extends QueueController {
  readonly expectations: ControllerExpectations;
  readonly finalizerExpectations = new FinalizerExpectations();
  private readonly pods: Informer<PodObject>;
  private readonly jobs: Informer<JobObject>;
  private readonly recorder: EventRecorder;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly burst: number;
  /** The resourceVersion of our last status write per Job: an older cache would undo it. */
  private readonly written = new Map<string, number>();

  constructor(opts: JobControllerOptions) {
    super('job', opts, 5);
    this.recorder = opts.recorder;
    this.backoffBaseMs = opts.backoffBaseMs ?? DEFAULT_JOB_BACKOFF_BASE_MS;
    this.backoffMaxMs = opts.backoffMaxMs ?? MAX_JOB_BACKOFF_MS;
    this.burst = opts.burst ?? 500;
    this.expectations = new ControllerExpectations(this.clock);
    this.pods = opts.informers.pods();
    this.jobs = opts.informers.forResource<JobObject>('jobs');

    this.jobs
      .onAdd((job) => this.queue.add(objectKey(job)))
      .onUpdate((_old, job) => this.queue.add(objectKey(job)))
      .onDelete((job) => this.jobGone(job));
    this.pods
      .onAdd((pod) => this.podChanged(pod, true))
      .onUpdate((old, pod) => {
        if (old.metadata?.resourceVersion !== pod.metadata?.resourceVersion) this.podChanged(pod, false);
      })
      .onDelete((pod) => this.podDeleted(pod));
  }

  /** The Job a pod's controller reference names, if it is in the cache with that uid. */
  private ownerJob(pod: PodObject): JobObject | undefined {
    const ref = controllerRef(pod);
    if (!ref || ref.kind !== 'Job' || !ref.apiVersion?.startsWith('batch/')) return undefined;
    const job = this.jobs.get(`${pod.metadata?.namespace ?? ''}/${ref.name}`);
    return job && job.metadata?.uid === ref.uid ? job : undefined;
  }

  private podChanged(pod: PodObject, added: boolean): void {
    const job = this.ownerJob(pod);
    if (job) {
      const key = objectKey(job);
      if (added && !pod.metadata?.deletionTimestamp) this.expectations.creationObserved(key);
      if (pod.metadata?.deletionTimestamp) this.expectations.deletionObserved(key, objectKey(pod));
      if (!hasTrackingFinalizer(pod)) this.finalizerExpectations.observed(key, pod.metadata?.uid ?? '');
      this.queue.add(key);
      return;
    }
    if (hasTrackingFinalizer(pod) && controllerRef(pod)?.kind === 'Job') {
      this.queue.add(`${POD_KEY_PREFIX}${objectKey(pod)}`);
      return;
    }
    // An orphan may be adopted by a Job whose selector matches it.
    if (!controllerRef(pod)) {
      for (const j of this.jobs.list()) {
        if (j.metadata?.namespace === pod.metadata?.namespace && selectorFromLabelSelector(j.spec?.selector).matches(pod.metadata?.labels)) this.queue.add(objectKey(j));
      }
    }
  }

  private podDeleted(pod: PodObject): void {
    const job = this.ownerJob(pod);
    if (!job) return;
    const key = objectKey(job);
    this.expectations.deletionObserved(key, objectKey(pod));
    this.finalizerExpectations.observed(key, pod.metadata?.uid ?? '');
    this.queue.add(key);
  }

  private jobGone(job: JobObject): void {
    const key = objectKey(job);
    this.expectations.delete(key);
    this.finalizerExpectations.delete(key);
    this.written.delete(key);
    // Its pods keep the tracking finalizer until someone removes it: that is us.
    for (const p of this.pods.list()) {
      if (controllerRef(p)?.uid === job.metadata?.uid && hasTrackingFinalizer(p)) this.queue.add(`${POD_KEY_PREFIX}${objectKey(p)}`);
    }
  }

  async sync(key: string): Promise<void> {
    if (key.startsWith(POD_KEY_PREFIX)) return this.syncOrphanPod(key.slice(POD_KEY_PREFIX.length));
    const cached = this.jobs.get(key);
    if (!cached) {
      this.expectations.delete(key);
      this.finalizerExpectations.delete(key);
      return;
    }
    const rv = Number(cached.metadata?.resourceVersion ?? 0);
    if ((this.written.get(key) ?? 0) > rv) throw new StaleCacheError(`job ${key}: cache older than our last status write`);
    const job: JobObject = structuredClone(cached);
    if (isJobFinished(job)) return this.syncFinished(key, job);
    if (job.spec?.completionMode !== undefined && job.spec.completionMode !== 'NonIndexed' && job.spec.completionMode !== 'Indexed') {
      this.recorder.event(job, 'Warning', 'UnknownCompletionMode', 'Skipped Job sync because completion mode is unknown');
      return;
    }
    // Expectations are read before the pods, so a pod created after this read waits for the next sync.
    const satisfied = this.expectations.satisfied(key);
    const pods = await this.claimPods(job);
    const now = this.clock.now();
    const nowIso = new Date(now).toISOString();
    const status: JobStatus = (job.status ??= {});
    status.uncountedTerminatedPods ??= {};
    const expectedRemoved = this.finalizerExpectations.get(key);
    const active = pods.filter(isPodActive);
    let terminating = pods.filter((p) => !!p.metadata?.deletionTimestamp && !isPodTerminal(p)).length;
    const suspended = job.spec?.suspend === true;
    if (!status.startTime && !suspended) status.startTime = nowIso;

    // Counts including the pods this sync will add to uncountedTerminatedPods.
    const unc = status.uncountedTerminatedPods;
    const fresh = pods.filter((p) => hasTrackingFinalizer(p) && !expectedRemoved.has(p.metadata?.uid ?? ''));
    const newSucceeded = fresh.filter((p) => p.status?.phase === 'Succeeded' && !(unc.succeeded ?? []).includes(p.metadata?.uid ?? ''));
    const newFailed = fresh.filter((p) => isPodFailedForJob(p, job) && !(unc.failed ?? []).includes(p.metadata?.uid ?? '') && matchPodFailurePolicy(job.spec?.podFailurePolicy, p).countFailed);
    let succeeded = (status.succeeded ?? 0) + newSucceeded.length + (unc.succeeded ?? []).length;
    const failed = (status.failed ?? 0) + newFailed.length + (unc.failed ?? []).length;
    if (isIndexedJob(job)) succeeded = succeededIndexes(job, pods).now.reduce((n, iv) => n + iv.last - iv.first + 1, 0);

    let finish = recordedFinish(job);
    if (!finish) {
      const policyMessage = failJobMessage(job, pods);
      const deadline = deadlineAt(job);
      if (policyMessage) finish = { outcome: 'Failed', reason: 'PodFailurePolicy', message: policyMessage };
      else if (failed > (job.spec?.backoffLimit ?? 6) || pastBackoffLimitOnFailure(job, active)) finish = FINISH_BACKOFF_LIMIT;
      else if (!suspended && deadline !== undefined && now >= deadline) finish = FINISH_DEADLINE;
      else if (!suspended && deadline !== undefined) this.queue.addAfter(key, deadline - now);
    }

    let manageError: unknown;
    let activeCount = active.length;
    let ready = active.filter(isPodReady).length;
    // All deletions went through and the cache has everything we made: the final condition may be written.
    let settled = true;
    if (finish?.outcome === 'Failed') {
      const { deleted, deletedReady, error } = await this.deletePods(job, key, active, false);
      settled = deleted === active.length && satisfied;
      activeCount -= deleted;
      terminating += deleted;
      ready -= deletedReady;
      manageError = error;
    } else if (!finish) {
      if (satisfied && !job.metadata?.deletionTimestamp) {
        try {
          activeCount = await this.manageJob({ job, key, pods, active, terminating, succeeded }, failed, now);
        } catch (e) {
          manageError = e;
        }
        if (completionsReached(job, succeeded, activeCount)) finish = FINISH_COMPLETE;
        else {
          const c = suspended
            ? ensureCondition(status.conditions, 'Suspended', 'True', 'JobSuspended', 'Job suspended', nowIso)
            : ensureCondition(status.conditions, 'Suspended', 'False', 'JobResumed', 'Job resumed', nowIso);
          if (c.changed) {
            status.conditions = c.conditions;
            this.recorder.event(job, 'Normal', suspended ? 'Suspended' : 'Resumed', suspended ? 'Job suspended' : 'Job resumed');
            // activeDeadlineSeconds counts the time a Job runs without a pause.
            if (!suspended) status.startTime = nowIso;
          }
        }
      }
    }

    status.active = activeCount;
    status.ready = ready;
    status.terminating = terminating;
    await this.trackAndFinish({ job, stored: cached.status ?? {}, key, pods, expectedRemoved, finish, settled, terminating, nowIso });
    if (manageError !== undefined) throw manageError;
  }

  /** Claims the Job's pods (adopt matching orphans, release pods whose labels moved on); finished ones included. */
  private async claimPods(job: JobObject): Promise<PodObject[]> {
    const ns = job.metadata?.namespace ?? '';
    const candidates = this.pods.list().filter((p) => p.metadata?.namespace === ns);
    const { claimed, errors } = await claimObjects<PodObject>({
      client: this.client,
      resource: 'pods',
      owner: job,
      ownerApiVersion: 'batch/v1',
      ownerKind: 'Job',
      selector: selectorFromLabelSelector(job.spec?.selector),
      objects: candidates,
      canAdopt: ownerStillValid(this.client, 'jobs', job),
    });
    if (errors.length) throw errors[0];
    return claimed;
  }

  /** Creates or deletes pods; returns how many are active afterwards. */
  private async manageJob(s: SyncState, failed: number, now: number): Promise<number> {
    const { job, key, active } = s;
    if (job.spec?.suspend === true) {
      const { deleted, error } = await this.deletePods(job, key, active, true);
      if (error !== undefined) throw error;
      return active.length - deleted;
    }
    const indexed = isIndexedJob(job);
    const completions = job.spec?.completions ?? 0;
    let want = wantActive(job, s.succeeded, active.length);
    // Pods still terminating hold their slot when the Job replaces only failed pods.
    if (job.spec?.podReplacementPolicy === 'Failed') want = Math.max(0, want - s.terminating);
    const indexes = indexed ? succeededIndexes(job, s.pods).now : [];
    let victims: PodObject[] = indexed ? duplicateOrStalePods(active, indexes, completions) : [];
    const surplus = active.length - victims.length - want;
    if (surplus > 0) {
      const rest = active.filter((p) => !victims.includes(p));
      victims = [...victims, ...podsToDelete(rest, rest, surplus)];
    }
    if (victims.length) {
      const { deleted, error } = await this.deletePods(job, key, victims, true);
      if (error !== undefined) throw error;
      return active.length - deleted;
    }
    if (active.length >= want) return active.length;
    const countedFailed = s.pods.filter((p) => isPodFailedForJob(p, job) && matchPodFailurePolicy(job.spec?.podFailurePolicy, p).countFailed);
    const wait = failed > 0 ? remainingBackoff(backoffRecord(s.pods.filter((p) => p.status?.phase === 'Succeeded'), countedFailed), now, this.backoffBaseMs, this.backoffMaxMs) : 0;
    if (wait > 0) {
      this.queue.addAfter(key, wait);
      return active.length;
    }
    let diff = Math.min(want - active.length, this.burst);
    let toCreate: (number | undefined)[] = Array.from({ length: diff }, () => undefined);
    if (indexed) {
      const activeIndexes = active.map(completionIndex).filter((i): i is number => i !== undefined);
      toCreate = firstPendingIndexes(activeIndexes, indexes, diff, completions);
      diff = toCreate.length;
    }
    if (diff === 0) return active.length;
    // Expect before creating: the informer may deliver our pods before create() returns.
    this.expectations.expectCreations(key, diff);
    let next = 0;
    const { successes, error } = await slowStartBatch(diff, 1, async () => {
      const index = toCreate[next++];
      try {
        const pod = await this.client.create<PodObject>(jobPodFromTemplate(job, index));
        this.recorder.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata?.name ?? ''}`);
      } catch (e) {
        this.recorder.event(job, 'Warning', 'FailedCreate', `Error creating: ${describe(e)}`);
        throw e;
      }
    });
    // Pods never created will never be observed.
    for (let i = successes; i < diff; i++) this.expectations.creationObserved(key);
    if (error !== undefined) throw error;
    return active.length + successes;
  }

  /**
   * Deletes pods. `uncounted`: their finalizer goes first, so they never count as failed
   * (surplus and suspension); else they keep it and count as failed (a failing Job).
   */
  private async deletePods(job: JobObject, key: string, pods: readonly PodObject[], uncounted: boolean): Promise<{ deleted: number; deletedReady: number; error?: unknown }> {
    if (!pods.length) return { deleted: 0, deletedReady: 0 };
    this.expectations.expectDeletions(key, pods.map((p) => objectKey(p)));
    let deleted = 0;
    let deletedReady = 0;
    let error: unknown;
    await Promise.all(pods.map(async (pod) => {
      const name = pod.metadata?.name ?? '';
      try {
        if (uncounted && hasTrackingFinalizer(pod)) await this.removeFinalizer(pod);
        await this.client.delete('pods', pod.metadata?.namespace ?? '', name, { ...(pod.metadata?.uid ? { preconditionUid: pod.metadata.uid } : {}) });
        this.recorder.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
        deleted++;
        if (isPodReady(pod)) deletedReady++;
      } catch (e) {
        this.expectations.deletionObserved(key, objectKey(pod));
        if (isApiError(e, 'NotFound')) { deleted++; return; }
        this.recorder.event(job, 'Warning', 'FailedDelete', `Error deleting: ${describe(e)}`);
        error ??= e;
      }
    }));
    return { deleted, deletedReady, ...(error !== undefined ? { error } : {}) };
  }

  private async removeFinalizer(pod: PodObject): Promise<void> {
    await updateWithRetry<PodObject>(this.client, 'pods', pod.metadata?.namespace ?? '', pod.metadata?.name ?? '', pod.metadata?.uid, (p) => {
      const fins = p.metadata?.finalizers ?? [];
      if (!fins.includes(JOB_TRACKING_FINALIZER)) return false;
      p.metadata = { ...p.metadata, finalizers: fins.filter((f) => f !== JOB_TRACKING_FINALIZER) };
      return true;
    });
  }

  /** Counts finished pods (job-tracking.ts), writes the interim condition, then the final one when nothing is left. */
  private async trackAndFinish(t: TrackArgs): Promise<void> {
    const { job, stored, key, pods, expectedRemoved, finish, settled, terminating, nowIso } = t;
    const plan = planTracking({ job, pods, expectedRemoved, failing: finish?.outcome === 'Failed' });
    let status: JobStatus = plan.status;
    if (finish) status.conditions = ensureCondition(status.conditions, interimCondition(finish), 'True', finish.reason, finish.message, nowIso).conditions;
    // Step 1: uids and the interim condition are stored before any finalizer goes.
    let current = job;
    if (!deepEqual(stored, status)) current = await this.writeStatus(key, current, status);
    // Step 2.
    if (plan.removeFinalizer.length) {
      const uids = plan.removeFinalizer.map((p) => p.metadata?.uid ?? '');
      this.finalizerExpectations.expect(key, uids);
      const results = await Promise.allSettled(plan.removeFinalizer.map((p) => this.removeFinalizer(p)));
      const removed = new Set<string>();
      let error: unknown;
      results.forEach((r, i) => {
        const u = uids[i] ?? '';
        if (r.status === 'fulfilled') removed.add(u);
        else {
          this.finalizerExpectations.observed(key, u);
          if (isApiError(r.reason, 'NotFound')) removed.add(u);
          else error ??= r.reason;
        }
      });
      // Step 3, for the pods whose finalizer is gone now.
      const stillWith = new Set(pods.filter((p) => hasTrackingFinalizer(p) && !expectedRemoved.has(p.metadata?.uid ?? '') && !removed.has(p.metadata?.uid ?? '')).map((p) => p.metadata?.uid ?? ''));
      const counted = countUncounted(current.status ?? {}, stillWith);
      status = counted.status;
      if (counted.changed) current = await this.writeStatus(key, current, status);
      if (error !== undefined) throw error;
    }
    // The final condition: only with every pod counted and none still stopping.
    const left = (status.uncountedTerminatedPods?.succeeded ?? []).length + (status.uncountedTerminatedPods?.failed ?? []).length;
    if (!finish || !settled || left > 0 || terminating > 0) return;
    const final = ensureCondition(status.conditions, finish.outcome, 'True', finish.reason, finish.message, nowIso);
    if (!final.changed) return;
    status = { ...status, conditions: final.conditions, ...(finish.outcome === 'Complete' ? { completionTime: nowIso } : {}) };
    current = await this.writeStatus(key, current, status);
    if (finish.outcome === 'Complete') this.recorder.event(job, 'Normal', 'Completed', 'Job completed');
    else this.recorder.event(job, 'Warning', finish.reason, finish.message);
    const ttl = current.spec?.ttlSecondsAfterFinished;
    if (ttl !== undefined && ttl !== null) this.queue.addAfter(key, ttl * 1000);
  }

  /** A compare-and-swap on the Job as we read it: a conflict means our view was stale, and the sync is retried. */
  private async writeStatus(key: string, job: JobObject, status: JobStatus): Promise<JobObject> {
    const written = await this.client.updateStatus<JobObject>({ ...job, status });
    this.written.set(key, Number(written.metadata?.resourceVersion ?? 0));
    return written;
  }

  /** A finished Job: pods that still carry the finalizer lose it; ttlSecondsAfterFinished deletes the Job. */
  private async syncFinished(key: string, job: JobObject): Promise<void> {
    const uid = job.metadata?.uid;
    const leftovers = this.pods.list().filter((p) => controllerRef(p)?.uid === uid && hasTrackingFinalizer(p));
    await Promise.all(leftovers.map((p) => this.removeFinalizer(p)));
    const ttl = job.spec?.ttlSecondsAfterFinished;
    const finishedAt = jobFinishTime(job);
    if (ttl === undefined || ttl === null || finishedAt === undefined || job.metadata?.deletionTimestamp) return;
    const expireAt = finishedAt + ttl * 1000;
    const now = this.clock.now();
    if (now < expireAt) {
      this.queue.addAfter(key, expireAt - now);
      return;
    }
    const { namespace, name } = splitKey(key);
    try {
      // Foreground, as Kubernetes' TTL-after-finished controller: the pods go before the Job.
      await this.client.delete('jobs', namespace, name, { propagationPolicy: 'Foreground', ...(uid ? { preconditionUid: uid } : {}) });
    } catch (e) {
      if (!isApiError(e, 'NotFound', 'Conflict')) throw e;
    }
  }

  /** A pod whose Job is gone (or no longer controls it): its tracking finalizer is ours to remove. */
  private async syncOrphanPod(podKey: string): Promise<void> {
    const pod = this.pods.get(podKey);
    if (!pod || !hasTrackingFinalizer(pod)) return;
    if (this.ownerJob(pod)) return;
    await this.removeFinalizer(pod);
  }
}
