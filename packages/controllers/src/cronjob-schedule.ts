// When a CronJob should start a Job, as pure functions of its schedule and the time
// (Kubernetes' pkg/controller/cronjob/utils.go: mostRecentScheduleTime, nextScheduleTime,
// nextScheduleTimeDuration). The schedule is parsed in the CronJob's time zone by
// @tugboat/api's parseCronSchedule, which walks it as robfig/cron does.
//
//   earliest = max(lastScheduleTime ?? creationTimestamp, now − startingDeadlineSeconds)
//   t1, t2 = the first two activations after earliest
//   now < t1: nothing due │ now < t2: t1 is due │ else: the count of missed starts is estimated
//   from t2 − t1 (as Kubernetes does, so an outage of years costs no more than a few steps),
//   and the latest activation ≤ now is found by walking from shortly before it.
import { parseCronSchedule, type CronJob, type CronSchedule } from '@tugboat/api';

/** Kubernetes' nextScheduleDelta: requeue a little after the activation, for clock skew. */
export const NEXT_SCHEDULE_DELTA_MS = 100;
/** Over this many missed starts Kubernetes warns (TooManyMissedTimes) and still starts the latest. */
export const MANY_MISSED_STARTS = 100;

export type MissedSchedules = 'none' | 'few' | 'many';

export interface ScheduleFacts {
  readonly schedule: CronSchedule;
  /** metadata.creationTimestamp, ms. */
  readonly createdMs: number;
  /** status.lastScheduleTime, ms. */
  readonly lastScheduleMs?: number;
  readonly startingDeadlineSeconds?: number;
}

export interface MostRecent {
  /** Where the search started: the last schedule time or the creation time (or the deadline's start). */
  readonly earliestMs: number;
  /** The latest activation in (earliest, now], if any. */
  readonly mostRecentMs?: number;
  readonly missed: MissedSchedules;
  /** Kubernetes' estimate of the activations in (earliest, now]. */
  readonly missedCount: number;
  /** A schedule that parses but cannot be walked (no two activations a second apart). */
  readonly error?: string;
}

const SECOND = 1000;

/** What a CronJob object says about its schedule; an error for a schedule or zone that does not parse. */
export function scheduleFacts(cj: CronJob): ScheduleFacts | { error: string } {
  const spec = cj.spec;
  const parsed = parseCronSchedule(spec?.schedule ?? '', spec?.timeZone ?? 'UTC');
  if (!parsed.ok) return { error: parsed.error };
  const created = Date.parse(cj.metadata?.creationTimestamp ?? '');
  const last = cj.status?.lastScheduleTime ? Date.parse(cj.status.lastScheduleTime) : NaN;
  const sds = spec?.startingDeadlineSeconds;
  return {
    schedule: parsed.schedule,
    createdMs: Number.isFinite(created) ? created : 0,
    ...(Number.isFinite(last) ? { lastScheduleMs: last } : {}),
    ...(sds !== undefined && sds !== null ? { startingDeadlineSeconds: sds } : {}),
  };
}

/** Go's Duration.Round(time.Second) of a non-negative span, in whole seconds. */
function roundSeconds(ms: number): number {
  return Math.floor((ms + SECOND / 2) / SECOND);
}

export function mostRecentScheduleTime(f: ScheduleFacts, nowMs: number, includeStartingDeadline: boolean): MostRecent {
  let earliest = f.lastScheduleMs ?? f.createdMs;
  if (includeStartingDeadline && f.startingDeadlineSeconds !== undefined) {
    // Nothing before this point will be started.
    const deadline = nowMs - f.startingDeadlineSeconds * SECOND;
    if (deadline > earliest) earliest = deadline;
  }
  const t1 = f.schedule.next(earliest);
  const t2 = t1 === undefined ? undefined : f.schedule.next(t1);
  if (t1 !== undefined && nowMs < t1) return { earliestMs: earliest, missed: 'none', missedCount: 0 };
  if (t1 !== undefined && t2 !== undefined && nowMs < t2) return { earliestMs: earliest, mostRecentMs: t1, missed: 'none', missedCount: 1 };
  // robfig returns the zero time for a schedule with no activation (31 February): Kubernetes
  // then finds no second between two activations.
  const between = t1 === undefined || t2 === undefined ? 0 : roundSeconds(t2 - t1);
  if (t1 === undefined || between < 1) {
    return { earliestMs: earliest, missed: 'none', missedCount: 0, error: 'time difference between two schedules is less than 1 second' };
  }
  const elapsed = Math.trunc((nowMs - t1) / SECOND);
  const missedCount = Math.floor(elapsed / between) + 1;
  // Start one interval before the estimate and let the schedule find the real activations:
  // right for @every and for irregular schedules such as "30 6-16/4 * * 1-5".
  const potentialEarliest = t1 + (missedCount - 2) * between * SECOND;
  let mostRecent: number | undefined;
  for (let t = f.schedule.next(potentialEarliest); t !== undefined && t <= nowMs; t = f.schedule.next(t)) mostRecent = t;
  const missed: MissedSchedules = missedCount > MANY_MISSED_STARTS ? 'many' : missedCount > 0 ? 'few' : 'none';
  return { earliestMs: earliest, ...(mostRecent !== undefined ? { mostRecentMs: mostRecent } : {}), missed, missedCount };
}

export interface NextScheduleTime {
  /** The activation to start now, if one is due (within startingDeadlineSeconds). */
  readonly scheduledMs?: number;
  readonly missedCount: number;
  /** Over 100 missed: the controller records TooManyMissedTimes and starts the latest anyway. */
  readonly tooManyMissed: boolean;
  readonly error?: string;
}

/** Kubernetes' nextScheduleTime: the activation due now, counting only those within startingDeadlineSeconds. */
export function nextScheduleTime(f: ScheduleFacts, nowMs: number): NextScheduleTime {
  const r = mostRecentScheduleTime(f, nowMs, true);
  const base = { missedCount: r.missedCount, tooManyMissed: false, ...(r.error ? { error: r.error } : {}) };
  if (r.mostRecentMs === undefined || r.mostRecentMs > nowMs) return base;
  return { ...base, scheduledMs: r.mostRecentMs, tooManyMissed: r.missed === 'many' };
}

/**
 * Kubernetes' nextScheduleTimeDuration: how long until the next activation after the latest
 * one (ignoring the starting deadline), plus the 100 ms delta; undefined when there is none.
 */
export function nextRequeueMs(f: ScheduleFacts, nowMs: number): number | undefined {
  const r = mostRecentScheduleTime(f, nowMs, false);
  let from: number;
  if (r.error) from = nowMs;
  else if (r.mostRecentMs !== undefined) from = r.mostRecentMs;
  else from = r.missed === 'none' ? r.earliestMs : nowMs;
  const next = f.schedule.next(from);
  return next === undefined ? undefined : next + NEXT_SCHEDULE_DELTA_MS - nowMs;
}

/** Whether a due activation is past its starting deadline (Kubernetes' tooLate). */
export function pastStartingDeadline(f: ScheduleFacts, scheduledMs: number, nowMs: number): boolean {
  return f.startingDeadlineSeconds !== undefined && scheduledMs + f.startingDeadlineSeconds * SECOND < nowMs;
}

/** The Job for an activation is `<cronjob>-<minutes since the epoch>`: one name per run, so a retry never starts it twice. */
export function jobNameFor(cronJobName: string, scheduledMs: number): string {
  return `${cronJobName}-${Math.floor(scheduledMs / 60_000)}`;
}
