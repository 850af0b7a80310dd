// The CronJob schedule decisions on fixed clocks (Kubernetes' utils_test.go cases, and the DST
// changes of America/New_York in 2026: 8 March 02:00 EST → 03:00 EDT, 1 November 02:00 EDT → 01:00 EST).
import test from 'ava';
import { parseCronSchedule } from '@tugboat/api';
import {
  jobNameFor, mostRecentScheduleTime, nextRequeueMs, nextScheduleTime, pastStartingDeadline, scheduleFacts,
  NEXT_SCHEDULE_DELTA_MS, type ScheduleFacts,
} from './cronjob-schedule.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string => (ms === undefined ? 'none' : new Date(ms).toISOString().replace('.000Z', 'Z'));

function facts(schedule: string, created: string, opts: { last?: string; deadline?: number; zone?: string } = {}): ScheduleFacts {
  const p = parseCronSchedule(schedule, opts.zone);
  if (!p.ok) throw new Error(p.error);
  return {
    schedule: p.schedule, createdMs: at(created),
    ...(opts.last ? { lastScheduleMs: at(opts.last) } : {}),
    ...(opts.deadline !== undefined ? { startingDeadlineSeconds: opts.deadline } : {}),
  };
}

/** The activations of a schedule after `from`. */
function activations(schedule: string, zone: string, from: string, n: number): string[] {
  const p = parseCronSchedule(schedule, zone);
  if (!p.ok) throw new Error(p.error);
  const out: string[] = [];
  let t: number | undefined = at(from);
  for (let i = 0; i < n && t !== undefined; i++) out.push(iso((t = p.schedule.next(t))));
  return out;
}

test('every minute: due at the minute, nothing before it, requeue at the next minute + 100 ms', (t) => {
  const f = facts('* * * * *', '2026-01-01T00:00:20Z');
  t.deepEqual(nextScheduleTime(f, at('2026-01-01T00:00:59.999Z')), { missedCount: 0, tooManyMissed: false });
  t.is(nextRequeueMs(f, at('2026-01-01T00:00:59.999Z')), 1 + NEXT_SCHEDULE_DELTA_MS);
  const due = nextScheduleTime(f, at('2026-01-01T00:01:00.100Z'));
  t.is(iso(due.scheduledMs), '2026-01-01T00:01:00Z');
  t.is(due.missedCount, 1);
  // After the Job of 00:01 is recorded as lastScheduleTime, nothing is due until 00:02.
  const after = facts('* * * * *', '2026-01-01T00:00:20Z', { last: '2026-01-01T00:01:00Z' });
  t.is(nextScheduleTime(after, at('2026-01-01T00:01:30Z')).scheduledMs, undefined);
  t.is(nextRequeueMs(after, at('2026-01-01T00:01:30Z')), 30_000 + NEXT_SCHEDULE_DELTA_MS);
  t.is(jobNameFor('hello', at('2026-01-01T00:01:00Z')), `hello-${at('2026-01-01T00:01:00Z') / 60_000}`);
});

test('*/15: the quarter hours; a sync between them finds the last one it has not started', (t) => {
  t.deepEqual(activations('*/15 * * * *', 'UTC', '2026-01-01T00:07:13Z', 4), ['2026-01-01T00:15:00Z', '2026-01-01T00:30:00Z', '2026-01-01T00:45:00Z', '2026-01-01T01:00:00Z']);
  const f = facts('*/15 * * * *', '2026-01-01T00:00:00Z', { last: '2026-01-01T00:15:00Z' });
  const due = nextScheduleTime(f, at('2026-01-01T00:31:00Z'));
  t.is(iso(due.scheduledMs), '2026-01-01T00:30:00Z');
  t.is(nextRequeueMs(f, at('2026-01-01T00:31:00Z')), 14 * 60_000 + NEXT_SCHEDULE_DELTA_MS);
});

test('@daily in America/New_York: midnight local across both DST changes (a 23-hour and a 25-hour day)', (t) => {
  const spring = activations('@daily', 'America/New_York', '2026-03-07T12:00:00Z', 3);
  t.deepEqual(spring, ['2026-03-08T05:00:00Z', '2026-03-09T04:00:00Z', '2026-03-10T04:00:00Z']);
  const fall = activations('@daily', 'America/New_York', '2026-10-31T12:00:00Z', 3);
  t.deepEqual(fall, ['2026-11-01T04:00:00Z', '2026-11-02T05:00:00Z', '2026-11-03T05:00:00Z']);
  // The controller, woken at each requeue, starts exactly these.
  let last = '2026-03-07T05:00:00Z';
  for (const expected of spring) {
    const f = facts('@daily', '2026-03-01T00:00:00Z', { zone: 'America/New_York', last });
    const wake = at(last) + (nextRequeueMs(f, at(last) + 1000) ?? 0) + 1000;
    t.is(iso(nextScheduleTime(f, wake).scheduledMs), expected);
    last = expected;
  }
});

test('America/New_York: 02:30 does not exist on 8 March and is skipped; 01:30 happens twice on 1 November and runs twice (robfig/cron, as Kubernetes)', (t) => {
  t.deepEqual(activations('30 2 * * *', 'America/New_York', '2026-03-07T12:00:00Z', 2), ['2026-03-09T06:30:00Z', '2026-03-10T06:30:00Z']);
  t.deepEqual(activations('30 1 * * *', 'America/New_York', '2026-10-31T12:00:00Z', 3), ['2026-11-01T05:30:00Z', '2026-11-01T06:30:00Z', '2026-11-02T06:30:00Z']);
  // Hourly through the fall-back: the 01:00 hour is there twice.
  t.deepEqual(activations('0 * * * *', 'America/New_York', '2026-11-01T03:30:00Z', 4), ['2026-11-01T04:00:00Z', '2026-11-01T05:00:00Z', '2026-11-01T06:00:00Z', '2026-11-01T07:00:00Z']);
  // And the controller sees the second 01:30 as a new activation after the first.
  const f = facts('30 1 * * *', '2026-10-01T00:00:00Z', { zone: 'America/New_York', last: '2026-11-01T05:30:00Z' });
  t.is(iso(nextScheduleTime(f, at('2026-11-01T06:30:01Z')).scheduledMs), '2026-11-01T06:30:00Z');
});

test('a 3-hour outage of an every-minute CronJob: the latest missed minute starts, 180 missed (over 100: TooManyMissedTimes)', (t) => {
  const f = facts('* * * * *', '2026-01-01T00:00:00Z', { last: '2026-01-01T09:00:00Z' });
  const now = at('2026-01-01T12:00:30Z');
  const due = nextScheduleTime(f, now);
  t.is(iso(due.scheduledMs), '2026-01-01T12:00:00Z');
  t.is(due.missedCount, 180);
  t.true(due.tooManyMissed);
  t.false(pastStartingDeadline(f, due.scheduledMs!, now));
});

test('a 3-hour outage of an hourly CronJob: 3 missed, the latest starts', (t) => {
  const f = facts('0 * * * *', '2026-01-01T00:00:00Z', { last: '2026-01-01T09:00:00Z' });
  const due = nextScheduleTime(f, at('2026-01-01T12:10:00Z'));
  t.is(iso(due.scheduledMs), '2026-01-01T12:00:00Z');
  t.is(due.missedCount, 3);
  t.false(due.tooManyMissed);
});

test('a 3-hour outage with startingDeadlineSeconds: only activations inside the deadline count', (t) => {
  // 200 s: 12:00 is within it at 12:02; the missed count starts at the deadline, not at 09:00.
  const within = facts('* * * * *', '2026-01-01T00:00:00Z', { last: '2026-01-01T09:00:00Z', deadline: 200 });
  const now = at('2026-01-01T12:02:10Z');
  const due = nextScheduleTime(within, now);
  t.is(iso(due.scheduledMs), '2026-01-01T12:02:00Z');
  t.is(due.missedCount, 4);
  t.false(due.tooManyMissed);
  // Hourly with a 10-minute deadline, woken at 12:30: 12:00 is too late, nothing is started.
  const hourly = facts('0 * * * *', '2026-01-01T00:00:00Z', { last: '2026-01-01T09:00:00Z', deadline: 600 });
  t.is(nextScheduleTime(hourly, at('2026-01-01T12:30:00Z')).scheduledMs, undefined);
  // The requeue still aims at the next activation (13:00), ignoring the deadline.
  t.is(nextRequeueMs(hourly, at('2026-01-01T12:30:00Z')), 30 * 60_000 + NEXT_SCHEDULE_DELTA_MS);
  // Kubernetes' tooLate: an activation older than the deadline.
  t.true(pastStartingDeadline(hourly, at('2026-01-01T12:00:00Z'), at('2026-01-01T12:10:01Z')));
  t.false(pastStartingDeadline(hourly, at('2026-01-01T12:00:00Z'), at('2026-01-01T12:09:59Z')));
});

test('over 100 missed: a 2-day-old every-minute CronJob never scheduled warns and starts the latest minute', (t) => {
  const f = facts('* * * * *', '2026-01-01T00:00:00Z');
  const due = nextScheduleTime(f, at('2026-01-03T00:00:05Z'));
  t.is(iso(due.scheduledMs), '2026-01-03T00:00:00Z');
  t.is(due.missedCount, 2880);
  t.true(due.tooManyMissed);
  const few = nextScheduleTime(f, at('2026-01-01T01:40:05Z'));
  t.is(few.missedCount, 100);
  t.false(few.tooManyMissed);
  t.true(nextScheduleTime(f, at('2026-01-01T01:41:05Z')).tooManyMissed);
});

test('irregular schedules and @every land on real activations after an outage', (t) => {
  // 06:30, 10:30, 14:30 on weekdays: the estimate from t2 − t1 is rough, the walk is exact.
  const f = facts('30 6-16/4 * * 1-5', '2026-01-01T00:00:00Z', { last: '2026-01-05T06:30:00Z' });
  t.is(iso(nextScheduleTime(f, at('2026-01-07T12:00:00Z')).scheduledMs), '2026-01-07T10:30:00Z');
  const every = facts('@every 90s', '2026-01-01T00:00:00Z', { last: '2026-01-01T00:03:00Z' });
  t.is(iso(nextScheduleTime(every, at('2026-01-01T00:10:00Z')).scheduledMs), '2026-01-01T00:09:00Z');
});

test('scheduleFacts reads the object; a bad schedule or zone is an error, not a throw', (t) => {
  const ok = scheduleFacts({ metadata: { creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { schedule: '@hourly', timeZone: 'Europe/Berlin', startingDeadlineSeconds: 30, jobTemplate: {} }, status: { lastScheduleTime: '2026-01-01T05:00:00Z' } });
  if ('error' in ok) return t.fail(ok.error);
  t.is(ok.lastScheduleMs, at('2026-01-01T05:00:00Z'));
  t.is(ok.startingDeadlineSeconds, 30);
  t.deepEqual(scheduleFacts({ spec: { schedule: 'nope', jobTemplate: {} } }), { error: 'expected exactly 5 fields, found 1: [nope]' });
  t.true('error' in scheduleFacts({ spec: { schedule: 'TZ=Mars/Olympus * * * * *', jobTemplate: {} } }));
});
