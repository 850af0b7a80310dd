import test from 'ava';
import { admitObject } from '../admission.js';
import { ApiError } from '../errors.js';
import type { KubeObject } from '../types.js';

function cronJob(spec: Record<string, unknown>, name = 'hello'): KubeObject {
  return {
    apiVersion: 'batch/v1', kind: 'CronJob',
    metadata: { name, namespace: 'default' },
    spec: {
      schedule: '* * * * *',
      jobTemplate: { spec: { template: { spec: { containers: [{ name: 'hello', image: 'busybox', command: ['date'] }], restartPolicy: 'OnFailure' } } } },
      ...spec,
    },
  };
}

function message(obj: KubeObject): string {
  const r = admitObject(obj);
  return r.ok ? '' : ApiError.invalid('CronJob', obj.metadata?.name ?? '', r.errors).message;
}

test('Kubernetes\' defaults: Allow, not suspended, history 3 and 1; the jobTemplate keeps its Job fields unset', (t) => {
  const r = admitObject(cronJob({}));
  if (!r.ok) return t.fail(JSON.stringify(r.errors));
  const spec = r.object['spec'] as Record<string, unknown>;
  t.is(spec['concurrencyPolicy'], 'Allow');
  t.is(spec['suspend'], false);
  t.is(spec['successfulJobsHistoryLimit'], 3);
  t.is(spec['failedJobsHistoryLimit'], 1);
  const jobSpec = (spec['jobTemplate'] as { spec: Record<string, unknown> }).spec;
  t.is(jobSpec['backoffLimit'], undefined);
  t.is(jobSpec['selector'], undefined);
  const podSpec = (jobSpec['template'] as { spec: Record<string, unknown> }).spec;
  t.is(podSpec['restartPolicy'], 'OnFailure');
  t.is(podSpec['dnsPolicy'], 'ClusterFirst');
  t.deepEqual(r.object['status'], {});
});

test('macros, names and time zones that Kubernetes accepts', (t) => {
  for (const schedule of ['@hourly', '@daily', '@midnight', '@weekly', '@monthly', '@yearly', '@every 1h30m', '*/15 * * * *', '0 9 * * MON-FRI', '0 0 1 jan,jul *']) {
    t.is(message(cronJob({ schedule })), '', schedule);
  }
  t.is(message(cronJob({ timeZone: 'America/New_York' })), '');
  t.is(message(cronJob({ timeZone: 'Etc/UTC' })), '');
});

test('a schedule that does not parse: one line naming spec.schedule, in robfig\'s words', (t) => {
  t.is(message(cronJob({ schedule: 'every minute' })), 'CronJob "hello" is invalid: spec.schedule: Invalid value: "every minute": expected exactly 5 fields, found 2: [every minute]');
  t.is(message(cronJob({ schedule: '61 * * * *' })), 'CronJob "hello" is invalid: spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61');
  t.is(message(cronJob({ schedule: '0 0 * * 7' })), 'CronJob "hello" is invalid: spec.schedule: Invalid value: "0 0 * * 7": end of range (7) above maximum (6): 7');
  t.regex(message(cronJob({ schedule: '* * * * * *' })), /spec\.schedule: Invalid value: "\* \* \* \* \* \*": expected exactly 5 fields, found 6/);
  t.regex(message(cronJob({ schedule: '@fortnightly' })), /spec\.schedule: Invalid value: "@fortnightly": unrecognized descriptor: @fortnightly$/);
  t.regex(message(cronJob({ schedule: '' })), /spec\.schedule: Required value/);
});

test('TZ= or CRON_TZ= in the schedule is refused: the zone belongs in spec.timeZone', (t) => {
  t.is(message(cronJob({ schedule: 'TZ=Europe/Berlin 0 9 * * *' })), 'CronJob "hello" is invalid: spec.schedule: Invalid value: "TZ=Europe/Berlin 0 9 * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
  t.regex(message(cronJob({ schedule: 'CRON_TZ=UTC 0 9 * * *' })), /cannot use TZ or CRON_TZ in schedule, use timeZone field instead$/);
});

test('an unknown or implicit time zone names spec.timeZone', (t) => {
  t.is(message(cronJob({ timeZone: 'Mars/Olympus_Mons' })), 'CronJob "hello" is invalid: spec.timeZone: Invalid value: "Mars/Olympus_Mons": unknown time zone Mars/Olympus_Mons');
  t.is(message(cronJob({ timeZone: 'Local' })), 'CronJob "hello" is invalid: spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones');
  t.regex(message(cronJob({ timeZone: '' })), /spec\.timeZone: Invalid value: "": timeZone must be nil or non-empty string$/);
  t.regex(message(cronJob({ timeZone: '../etc/passwd' })), /unknown time zone \.\.\/etc\/passwd$/);
});

test('names over 52 characters, bad policies and limits, and a jobTemplate checked as a Job\'s', (t) => {
  t.regex(message(cronJob({}, 'a'.repeat(53))), /metadata\.name: Invalid value: "a{53}": must be no more than 52 characters$/);
  t.is(message(cronJob({}, 'a'.repeat(52))), '');
  t.regex(message(cronJob({ concurrencyPolicy: 'Sometimes' })), /spec\.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"/);
  t.regex(message(cronJob({ successfulJobsHistoryLimit: -1 })), /spec\.successfulJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0/);
  t.regex(message(cronJob({ startingDeadlineSeconds: -5 })), /spec\.startingDeadlineSeconds: Invalid value: -5/);
  const always = cronJob({ jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Always' } } } } });
  t.regex(message(always), /spec\.jobTemplate\.spec\.template\.spec\.restartPolicy: Unsupported value: "Always"/);
  const selector = cronJob({ jobTemplate: { spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Never' } } } } });
  t.regex(message(selector), /spec\.jobTemplate\.spec\.selector: Invalid value: .*`selector` will be auto-generated/);
  t.regex(message(cronJob({ jobTemplate: {} })), /spec\.jobTemplate\.spec\.template: Required value/);
});
