// CronJob validation (Kubernetes' ValidateCronJobCreate / validateCronJobSpec in
// pkg/apis/batch/validation), with its messages: the schedule must parse, the time zone must be
// a tz database name given in spec.timeZone and not in the schedule, the jobTemplate is checked
// as a Job's, and the name leaves room for the Job names the controller derives from it.
import type { CronJob, CronJobSpec } from 'kubernetes-types/batch/v1.js';
import { parseCronSchedule } from '../cron/schedule.js';
import { isKnownTimeZone } from '../cron/zone.js';
import { child, invalid, nonNegative, notSupported, required, type Errs } from './field-errors.js';
import { validateTemplateMeta } from './meta.js';
import { validateJobTemplateSpec } from './batch.js';

/** A Job is named `<cronjob>-<minutes since the epoch>` (11 more characters), and Job names are ≤ 63. */
export const MAX_CRONJOB_NAME_LENGTH = 52;
const CONCURRENCY_POLICIES = ['Allow', 'Forbid', 'Replace'];
/** A tz database file name component (https://data.iana.org/time-zones/theory.html#naming), as Kubernetes checks it. */
const TIME_ZONE_COMPONENT = /^[A-Za-z.\-_0-9+]{1,14}$/;

/**
 * Every write is checked as Kubernetes checks a create: a schedule with TZ= in it, a name over
 * 52 characters or an unknown zone could never be stored here, so no stored CronJob needs the
 * leniency Kubernetes keeps on update for objects older than those rules.
 */
export function validateCronJob(cj: CronJob): Errs {
  const errs = validateCronJobSpec(cj.spec, 'spec');
  const name = cj.metadata?.name ?? '';
  if (name.length > MAX_CRONJOB_NAME_LENGTH) errs.push(invalid('metadata.name', name, `must be no more than ${MAX_CRONJOB_NAME_LENGTH} characters`));
  return errs;
}

function validateCronJobSpec(spec: CronJobSpec | undefined, path: string): Errs {
  const p = (f: string): string => child(path, f);
  if (!spec) return [required(p('schedule'))];
  const errs: Errs = [];
  if (!spec.schedule) errs.push(required(p('schedule')));
  else errs.push(...validateSchedule(spec.schedule, p('schedule')));
  errs.push(...nonNegative(p('startingDeadlineSeconds'), spec.startingDeadlineSeconds));
  errs.push(...validateTimeZone(spec.timeZone, p('timeZone')));
  const policy = spec.concurrencyPolicy ?? '';
  if (policy === '') errs.push(required(p('concurrencyPolicy')));
  else if (!CONCURRENCY_POLICIES.includes(policy)) errs.push(notSupported(p('concurrencyPolicy'), policy, CONCURRENCY_POLICIES));
  const tPath = p('jobTemplate');
  errs.push(...validateTemplateMeta(spec.jobTemplate?.metadata, child(tPath, 'metadata')));
  errs.push(...validateJobTemplateSpec(spec.jobTemplate, tPath));
  errs.push(...nonNegative(p('successfulJobsHistoryLimit'), spec.successfulJobsHistoryLimit));
  errs.push(...nonNegative(p('failedJobsHistoryLimit'), spec.failedJobsHistoryLimit));
  return errs;
}

function validateSchedule(schedule: string, path: string): Errs {
  // Kubernetes checks for "TZ" anywhere, which covers CRON_TZ= too.
  if (schedule.includes('TZ')) return [invalid(path, schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead')];
  const parsed = parseCronSchedule(schedule);
  return parsed.ok ? [] : [invalid(path, schedule, parsed.error)];
}

function validateTimeZone(zone: string | undefined, path: string): Errs {
  if (zone === undefined || zone === null) return [];
  if (zone === '') return [invalid(path, zone, 'timeZone must be nil or non-empty string')];
  for (const part of zone.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !TIME_ZONE_COMPONENT.test(part)) return [invalid(path, zone, `unknown time zone ${zone}`)];
  }
  if (zone.toLowerCase() === 'local') return [invalid(path, zone, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones')];
  return isKnownTimeZone(zone) ? [] : [invalid(path, zone, `unknown time zone ${zone}`)];
}

/** The status the controller writes: counts and times only; the API server checks the types. */
export function validateCronJobStatus(cj: CronJob): Errs {
  const errs: Errs = [];
  (cj.status?.active ?? []).forEach((ref, i) => {
    if (!ref.name) errs.push(required(`status.active[${i}].name`));
  });
  return errs;
}
