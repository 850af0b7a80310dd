// The CronJob controller (Kubernetes' pkg/controller/cronjob, cronjob_controllerv2.go): starts
// a Job at each activation of a CronJob's schedule.
//
//   cronjob / job informer events ──▶ enqueue "ns/name" of the CronJob (a Job's controller reference)
//   sync(key):
//     1. history: delete finished Jobs over successfulJobsHistoryLimit / failedJobsHistoryLimit, oldest first
//     2. reconcile status.active with the Jobs that exist (SawCompletedJob, MissingJob, UnexpectedJob),
//        lastSuccessfulTime from the newest completed Job
//     3. deleting, unknown zone, suspended, unparseable schedule: stop here (no requeue)
//     4. the activation due now (cronjob-schedule.ts); too late for startingDeadlineSeconds: MissSchedule
//        Forbid with an active Job: JobAlreadyActive │ Replace: delete the active Jobs
//        create Job "<name>-<minutes since epoch>" (AlreadyExists: we made it before; adopt it into active)
//     5. one status write (CAS) ─▶ requeue at the next activation + 100 ms on the injected clock
import {
  ApiError, isKnownTimeZone, jobFromCronJobTemplate, objectKey, zoneOffsetMs,
  type CronJob, type CronJobStatus, type Informer, type Job, type KubeObject,
} from '@tugboat/api';
import { describe, isApiError, StaleCacheError } from './controller.js';
import {
  jobNameFor, nextRequeueMs, nextScheduleTime, pastStartingDeadline, scheduleFacts, type ScheduleFacts,
} from './cronjob-schedule.js';
import type { EventRecorder } from './events.js';
import { controllerRef, newControllerRef } from './owner-refs.js';
import { QueueController, type ControllerOptions } from './queue-controller.js';

export const CRONJOB_CONTROLLER = 'cronjob-controller';
/** When the Job was meant to start, in the CronJob's time zone (RFC 3339). */
export const CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

export type CronJobObject = CronJob & KubeObject;
export type JobObject = Job & KubeObject;

// ── Pure decisions ────────────────────────────────────────────────────────────────────────

type Finished = 'Complete' | 'Failed';

export function jobFinished(job: Job): Finished | undefined {
  const c = (job.status?.conditions ?? []).find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  return c?.type as Finished | undefined;
}

/** Finished Jobs to delete beyond the history limits, oldest start first (Kubernetes' byJobStartTime). */
export function jobsOverHistoryLimits(cj: CronJob, jobs: readonly JobObject[]): JobObject[] {
  const spec = cj.spec;
  const pick = (outcome: Finished, limit: number | undefined): JobObject[] => {
    if (limit === undefined || limit === null) return [];
    const finished = jobs.filter((j) => jobFinished(j) === outcome).sort(byStartTime);
    return finished.slice(0, Math.max(0, finished.length - limit));
  };
  return [...pick('Complete', spec?.successfulJobsHistoryLimit), ...pick('Failed', spec?.failedJobsHistoryLimit)];
}

function byStartTime(a: Job, b: Job): number {
  const sa = a.status?.startTime;
  const sb = b.status?.startTime;
  // Jobs that have not started go last.
  if (!sa || !sb) return sa ? -1 : sb ? 1 : (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
  const d = Date.parse(sa) - Date.parse(sb);
  return d !== 0 ? d : (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

/** RFC 3339 with the zone's offset, as Go's Format(time.RFC3339): "2026-03-08T01:30:00-05:00", or "…Z" in UTC. */
export function rfc3339InZone(ms: number, zone: string): string {
  const offset = zoneOffsetMs(zone, ms);
  const wall = new Date(ms + offset).toISOString().slice(0, 19);
  if (offset === 0) return `${wall}Z`;
  const abs = Math.abs(offset) / 60_000;
  return `${wall}${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** Go's time.RFC1123Z in UTC, as Kubernetes words MissSchedule: "Sun, 08 Mar 2026 07:30:00 +0000". */
export function rfc1123z(ms: number): string {
  const d = new Date(ms);
  const day = d.toUTCString().slice(0, 25); // "Sun, 08 Mar 2026 07:30:00"
  return `${day} +0000`;
}

/** The Job of one activation (Kubernetes' getJobFromTemplate2). */
export function jobForActivation(cj: CronJobObject, scheduledMs: number): JobObject {
  return jobFromCronJobTemplate(
    cj, jobNameFor(cj.metadata?.name ?? '', scheduledMs),
    { [CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]: rfc3339InZone(scheduledMs, cj.spec?.timeZone ?? 'UTC') },
    newControllerRef(cj, 'batch/v1', 'CronJob'),
  );
}

function jobRef(job: JobObject): NonNullable<CronJobStatus['active']>[number] {
  return {
    apiVersion: 'batch/v1', kind: 'Job', namespace: job.metadata?.namespace ?? '', name: job.metadata?.name ?? '',
    uid: job.metadata?.uid ?? '', resourceVersion: job.metadata?.resourceVersion ?? '',
  };
}

// ── The controller ────────────────────────────────────────────────────────────────────────

export interface CronJobControllerOptions extends ControllerOptions {
  informers: { forResource<T extends KubeObject>(resource: string): Informer<T> };
  recorder: EventRecorder;
}

interface SyncResult {
  requeueMs?: number;
  updateStatus: boolean;
  error?: unknown;
}

export class CronJobController extends QueueController {
  private readonly cronJobs: Informer<CronJobObject>;
  private readonly jobs: Informer<JobObject>;
  private readonly recorder: EventRecorder;
  /** The resourceVersion of our last status write per CronJob: an older cache would undo it. */
  private readonly written = new Map<string, number>();

  constructor(opts: CronJobControllerOptions) {
    super('cronjob', opts, 5);
    this.recorder = opts.recorder;
    this.cronJobs = opts.informers.forResource<CronJobObject>('cronjobs');
    this.jobs = opts.informers.forResource<JobObject>('jobs');
    this.cronJobs
      .onAdd((cj) => this.queue.add(objectKey(cj)))
      .onUpdate((old, cj) => this.cronJobUpdated(old, cj))
      .onDelete((cj) => { this.written.delete(objectKey(cj)); this.queue.add(objectKey(cj)); });
    this.jobs
      .onAdd((job) => this.enqueueOwner(job))
      .onUpdate((old, job) => {
        if (old.metadata?.resourceVersion === job.metadata?.resourceVersion) return;
        if (controllerRef(old)?.uid !== controllerRef(job)?.uid) this.enqueueOwner(old);
        this.enqueueOwner(job);
      })
      .onDelete((job) => this.enqueueOwner(job));
  }

  private enqueueOwner(job: JobObject): void {
    const ref = controllerRef(job);
    if (!ref || ref.kind !== 'CronJob') return;
    const cj = this.cronJobs.get(`${job.metadata?.namespace ?? ''}/${ref.name}`);
    if (cj && cj.metadata?.uid === ref.uid) this.queue.add(objectKey(cj));
  }

  /** A new schedule or zone requeues at its next activation; any other change syncs now (Kubernetes' updateCronJob). */
  private cronJobUpdated(old: CronJobObject, cj: CronJobObject): void {
    const key = objectKey(cj);
    if (old.spec?.schedule === cj.spec?.schedule && old.spec?.timeZone === cj.spec?.timeZone) {
      this.queue.add(key);
      return;
    }
    const facts = scheduleFacts(cj);
    if ('error' in facts) {
      this.recorder.event(cj, 'Warning', 'UnParseableCronJobSchedule', `unparseable schedule for cronjob: ${cj.spec?.schedule ?? ''}`);
      return;
    }
    const after = nextRequeueMs(facts, this.clock.now());
    if (after !== undefined) this.queue.addAfter(key, after);
  }

  /** The Jobs whose controller reference names this CronJob (labels may have changed since). */
  private ownedJobs(cj: CronJobObject): JobObject[] {
    const ns = cj.metadata?.namespace;
    return this.jobs.list().filter((j) => {
      const ref = controllerRef(j);
      return j.metadata?.namespace === ns && ref?.kind === 'CronJob' && ref.name === cj.metadata?.name;
    });
  }

  async sync(key: string): Promise<void> {
    const cached = this.cronJobs.get(key);
    if (!cached) {
      this.written.delete(key);
      return;
    }
    if ((this.written.get(key) ?? 0) > Number(cached.metadata?.resourceVersion ?? 0)) {
      throw new StaleCacheError(`cronjob ${key}: cache older than our last status write`);
    }
    const cj: CronJobObject = structuredClone(cached);
    cj.status ??= {};
    const jobs = this.ownedJobs(cj);
    const cleaned = await this.cleanupFinishedJobs(cj, jobs);
    const result = await this.syncCronJob(cj, jobs);
    if (cleaned.size > 0 || result.updateStatus) {
      const written = await this.client.updateStatus(cj);
      this.written.set(key, Number(written.metadata?.resourceVersion ?? 0));
    }
    if (result.requeueMs !== undefined) {
      this.queue.forget(key);
      this.queue.addAfter(key, Math.max(0, result.requeueMs));
    }
    if (result.error !== undefined) throw result.error;
  }

  /** Deletes finished Jobs over the history limits; returns the uids it deleted. */
  private async cleanupFinishedJobs(cj: CronJobObject, jobs: readonly JobObject[]): Promise<Set<string>> {
    const deleted = new Set<string>();
    for (const job of jobsOverHistoryLimits(cj, jobs)) {
      if (await this.deleteJob(cj, job)) deleted.add(job.metadata?.uid ?? '');
    }
    return deleted;
  }

  /** Deletes a Job (its pods in the background) and drops it from status.active. */
  private async deleteJob(cj: CronJobObject, job: JobObject): Promise<boolean> {
    const name = job.metadata?.name ?? '';
    try {
      await this.client.delete('jobs', job.metadata?.namespace ?? '', name, { propagationPolicy: 'Background' });
    } catch (e) {
      if (!isApiError(e, 'NotFound')) {
        this.recorder.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${describe(e)}`);
        this.log.error(`cronjob ${objectKey(cj)}: deleting job ${name}: ${describe(e)}`);
        return false;
      }
    }
    removeActive(cj.status!, job.metadata?.uid ?? '');
    this.recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${name}`);
    return true;
  }

  private async syncCronJob(cj: CronJobObject, jobs: readonly JobObject[]): Promise<SyncResult> {
    const now = this.clock.now();
    const status: CronJobStatus = cj.status!;
    let updateStatus = false;
    const children = new Set<string>();
    for (const j of jobs) {
      const uid = j.metadata?.uid ?? '';
      children.add(uid);
      const inActive = (status.active ?? []).some((r) => r.uid === uid);
      const finished = jobFinished(j);
      if (!inActive && !finished) {
        // Our cache may be older than our own write: ask the API server before calling it unexpected.
        const fresh = await this.client.tryGet<CronJobObject>('cronjobs', cj.metadata?.namespace ?? '', cj.metadata?.name ?? '');
        if ((fresh?.status?.active ?? []).some((r) => r.uid === uid)) {
          status.active = [...(status.active ?? []), ...(fresh?.status?.active ?? []).filter((r) => r.uid === uid)];
          continue;
        }
        this.recorder.event(cj, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${j.metadata?.name ?? ''}`);
      } else if (inActive && finished) {
        removeActive(status, uid);
        this.recorder.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata?.name ?? ''}, status: ${finished}`);
        updateStatus = true;
      }
      if (finished === 'Complete' && j.status?.completionTime) {
        const done = j.status.completionTime;
        if (!status.lastSuccessfulTime || Date.parse(done) > Date.parse(status.lastSuccessfulTime)) {
          status.lastSuccessfulTime = done;
          updateStatus = true;
        }
      }
    }
    // An active Job that is gone (checked with the API server, not only the cache) leaves the list.
    for (const ref of [...(status.active ?? [])]) {
      if (children.has(ref.uid ?? '')) continue;
      const found = await this.client.tryGet<JobObject>('jobs', ref.namespace ?? '', ref.name ?? '');
      if (!found) {
        this.recorder.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name ?? ''}`);
        removeActive(status, ref.uid ?? '');
        updateStatus = true;
      }
    }

    if (cj.metadata?.deletionTimestamp) return { updateStatus };
    const zone = cj.spec?.timeZone;
    if (zone !== undefined && zone !== null && !isKnownTimeZone(zone)) {
      this.recorder.event(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: ${JSON.stringify(zone)}: unknown time zone ${zone}`);
      return { updateStatus };
    }
    if (cj.spec?.suspend === true) return { updateStatus };
    const schedule = cj.spec?.schedule ?? '';
    if (schedule.includes('TZ')) {
      this.recorder.event(cj, 'Warning', 'UnsupportedSchedule', `CRON_TZ or TZ used in schedule ${JSON.stringify(schedule)} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`);
    }
    const facts = scheduleFacts(cj);
    if ('error' in facts) {
      this.recorder.event(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(schedule)} : ${facts.error}`);
      return { updateStatus };
    }
    const due = nextScheduleTime(facts, now);
    if (due.tooManyMissed) {
      this.recorder.event(cj, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
    }
    if (due.error) {
      this.recorder.event(cj, 'Warning', 'InvalidSchedule', `invalid schedule: ${cj.spec?.schedule ?? ''} : ${due.error}`);
      return { updateStatus };
    }
    const requeue = (): SyncResult => ({ updateStatus, ...optionalRequeue(nextRequeueMs(facts, now)) });
    const scheduled = due.scheduledMs;
    // Nothing due: the queue woke us early (a restart, an edit).
    if (scheduled === undefined) return requeue();
    if (pastStartingDeadline(facts, scheduled, now)) {
      this.recorder.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(scheduled)}`);
      return requeue();
    }
    const name = jobNameFor(cj.metadata?.name ?? '', scheduled);
    if ((status.active ?? []).some((r) => r.name === name) || (status.lastScheduleTime && Date.parse(status.lastScheduleTime) === scheduled)) {
      return requeue();
    }
    if (cj.spec?.concurrencyPolicy === 'Forbid' && (status.active ?? []).length > 0) {
      this.recorder.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return requeue();
    }
    if (cj.spec?.concurrencyPolicy === 'Replace') {
      for (const ref of [...(status.active ?? [])]) {
        let job: JobObject;
        try {
          job = await this.client.get<JobObject>('jobs', ref.namespace ?? '', ref.name ?? '');
        } catch (e) {
          this.recorder.event(cj, 'Warning', 'FailedGet', `Get job: ${describe(e)}`);
          return { updateStatus, error: e };
        }
        if (!(await this.deleteJob(cj, job))) return { updateStatus, error: new Error(`could not replace job ${ref.namespace ?? ''}/${ref.name ?? ''}`) };
        updateStatus = true;
      }
    }
    return this.startJob(cj, facts, scheduled, now, updateStatus);
  }

  private async startJob(cj: CronJobObject, facts: ScheduleFacts, scheduled: number, now: number, updateStatus: boolean): Promise<SyncResult> {
    const status = cj.status!;
    const wanted = jobForActivation(cj, scheduled);
    let job: JobObject;
    try {
      job = await this.client.create(wanted);
      this.recorder.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${job.metadata?.name ?? ''}`);
    } catch (e) {
      if (!isApiError(e, 'AlreadyExists')) {
        this.recorder.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${describe(e)}`);
        return { updateStatus, error: e };
      }
      // The name is the lock: this activation's Job exists. If we made it and the status write
      // after it was lost, put it (back) in the active list; if someone else did, leave it.
      const existing = await this.client.tryGet<JobObject>('jobs', wanted.metadata?.namespace ?? '', wanted.metadata?.name ?? '');
      if (!existing) return { updateStatus, error: new ApiError('Conflict', `job ${wanted.metadata?.name ?? ''} exists and is gone`) };
      if (controllerRef(existing)?.uid !== cj.metadata?.uid) return { updateStatus };
      if ((status.active ?? []).some((r) => r.uid === existing.metadata?.uid)) return { updateStatus };
      this.log.info(`cronjob ${objectKey(cj)}: job ${existing.metadata?.name ?? ''} already exists`);
      job = existing;
    }
    status.active = [...(status.active ?? []), jobRef(job)];
    status.lastScheduleTime = new Date(scheduled).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return { updateStatus: true, ...optionalRequeue(nextRequeueMs(facts, now)) };
  }
}

function optionalRequeue(ms: number | undefined): { requeueMs?: number } {
  return ms === undefined ? {} : { requeueMs: ms };
}

function removeActive(status: CronJobStatus, uid: string): void {
  const rest = (status.active ?? []).filter((r) => r.uid !== uid);
  // Kubernetes omits an empty list.
  if (rest.length) status.active = rest;
  else delete status.active;
}
