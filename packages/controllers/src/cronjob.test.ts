// Integration: the CronJob controller against a real API server on a real etcd, on a FakeClock
// that the test moves to each minute. No Job controller runs: a Job stays active until the test
// writes its Complete condition, so concurrency policies and history limits are seen exactly.
import test from 'ava';
import type { KubeObject, TugboatClient } from '@tugboat/api';
import { waitFor } from '@tugboat/test';
import { FakeClock } from '@tugboat/api';
import { CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION, type CronJobObject, type JobObject } from './cronjob.js';
import { jobNameFor } from './cronjob-schedule.js';
import { etcdAvailable, startTestCluster, type TestCluster } from './testing/cluster.js';

const NS = 'default';
const MINUTE = 60_000;
const clock = new FakeClock(Date.now());
let cluster: TestCluster | undefined;

test.before(async () => {
  if (!etcdAvailable()) return;
  cluster = await startTestCluster({ controllers: ['cronjob'], clock });
});

test.after.always(async () => {
  await cluster?.stop();
});

const skipWithoutEtcd = etcdAvailable() ? test.serial : test.serial.skip;
if (!etcdAvailable()) console.log('cronjob.test.ts: skipped, no etcd binary');

function client(): TugboatClient {
  if (!cluster) throw new Error('no cluster');
  return cluster.client;
}

function cronJob(name: string, spec: Partial<NonNullable<CronJobObject['spec']>> = {}): CronJobObject {
  return {
    apiVersion: 'batch/v1', kind: 'CronJob',
    metadata: { name, namespace: NS },
    spec: {
      schedule: '* * * * *',
      jobTemplate: { metadata: { labels: { cron: name } }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } },
      ...spec,
    },
  };
}

/** Moves the fake clock to just after the next whole minute after `fromMs` (at least past now). */
function tickMinute(fromMs: number): number {
  const minute = Math.floor(Math.max(fromMs, clock.now()) / MINUTE) * MINUTE + MINUTE;
  clock.advance(minute + 200 - clock.now());
  return minute;
}

async function jobsOf(name: string): Promise<JobObject[]> {
  return (await client().list<JobObject>('jobs', { namespace: NS, labelSelector: `cron=${name}` })).items.filter((j) => !j.metadata?.deletionTimestamp);
}

async function reasons(name: string): Promise<string[]> {
  return (await client().list<KubeObject & { reason?: string; involvedObject?: { name?: string; kind?: string } }>('events', { namespace: NS })).items
    .filter((e) => e.involvedObject?.name === name && e.involvedObject.kind === 'CronJob').map((e) => e.reason ?? '');
}

async function complete(job: JobObject, outcome: 'Complete' | 'Failed', startTime: string): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  await client().updateStatus<JobObject>({
    ...job,
    status: {
      startTime, ...(outcome === 'Complete' ? { completionTime: now, succeeded: 1 } : { failed: 1 }),
      conditions: [{ type: outcome, status: 'True', lastProbeTime: now, lastTransitionTime: now }],
    },
  });
}

skipWithoutEtcd('Allow: a Job per minute named <cronjob>-<minutes since epoch>, owned, annotated, in status.active', async (t) => {
  const c = client();
  const created = await c.create(cronJob('every'));
  const first = tickMinute(Date.parse(created.metadata?.creationTimestamp ?? ''));
  await waitFor('the first Job', async () => (await jobsOf('every')).length === 1);
  const [job] = await jobsOf('every');
  t.is(job?.metadata?.name, jobNameFor('every', first));
  t.is(job?.metadata?.annotations?.[CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION], new Date(first).toISOString().replace('.000Z', 'Z'));
  const owner = job?.metadata?.ownerReferences?.[0];
  t.like(owner, { kind: 'CronJob', name: 'every', uid: created.metadata?.uid, controller: true, blockOwnerDeletion: true });
  await waitFor('status.active', async () => (await c.get<CronJobObject>('cronjobs', NS, 'every')).status?.active?.length === 1);
  const cj = await c.get<CronJobObject>('cronjobs', NS, 'every');
  t.is(cj.status?.lastScheduleTime, new Date(first).toISOString().replace('.000Z', 'Z'));
  t.is(cj.status?.active?.[0]?.name, job?.metadata?.name);
  // Allow: the next minute starts another though the first is still running.
  tickMinute(first);
  await waitFor('the second Job', async () => (await jobsOf('every')).length === 2);
  t.true((await reasons('every')).includes('SuccessfulCreate'));
  // A restart (a resync of the same minute) never makes the same run twice.
  await c.delete('cronjobs', NS, 'every');
});

skipWithoutEtcd('Forbid: no new Job while one is active (JobAlreadyActive); once it completes the skipped minute starts', async (t) => {
  const c = client();
  const created = await c.create(cronJob('forbid', { concurrencyPolicy: 'Forbid' }));
  const first = tickMinute(Date.parse(created.metadata?.creationTimestamp ?? ''));
  await waitFor('the first Job', async () => (await jobsOf('forbid')).length === 1);
  await waitFor('active', async () => (await c.get<CronJobObject>('cronjobs', NS, 'forbid')).status?.active?.length === 1);
  const second = tickMinute(first);
  await waitFor('JobAlreadyActive', async () => (await reasons('forbid')).includes('JobAlreadyActive'));
  t.is((await jobsOf('forbid')).length, 1);
  const [job] = await jobsOf('forbid');
  await complete(job!, 'Complete', new Date(first).toISOString().replace('.000Z', 'Z'));
  await waitFor('SawCompletedJob', async () => (await reasons('forbid')).includes('SawCompletedJob'));
  // The minute skipped while the first ran is still unmet (Kubernetes records no skipped run),
  // so it starts now, late, as Kubernetes does without a startingDeadlineSeconds.
  await waitFor('the skipped minute\'s Job', async () => (await jobsOf('forbid')).some((j) => j.metadata?.name === jobNameFor('forbid', second)));
  // The Job is created before the status that records it is written: wait for that write.
  await waitFor('the status to record the new run', async () => (await c.get<CronJobObject>('cronjobs', NS, 'forbid')).status?.active?.[0]?.name === jobNameFor('forbid', second));
  const cj = await c.get<CronJobObject>('cronjobs', NS, 'forbid');
  t.truthy(cj.status?.lastSuccessfulTime);
  t.is(cj.status?.lastScheduleTime, new Date(second).toISOString().replace('.000Z', 'Z'));
  t.deepEqual(cj.status?.active?.map((r) => r.name), [jobNameFor('forbid', second)]);
  await c.delete('cronjobs', NS, 'forbid');
});

skipWithoutEtcd('Replace: the active Job is deleted (SuccessfulDelete) and the new minute\'s Job takes its place', async (t) => {
  const c = client();
  const created = await c.create(cronJob('replace', { concurrencyPolicy: 'Replace' }));
  const first = tickMinute(Date.parse(created.metadata?.creationTimestamp ?? ''));
  await waitFor('the first Job', async () => (await jobsOf('replace')).length === 1);
  await waitFor('active', async () => (await c.get<CronJobObject>('cronjobs', NS, 'replace')).status?.active?.length === 1);
  const second = tickMinute(first);
  await waitFor('replaced', async () => {
    const names = (await jobsOf('replace')).map((j) => j.metadata?.name);
    return names.length === 1 && names[0] === jobNameFor('replace', second);
  });
  t.true((await reasons('replace')).includes('SuccessfulDelete'));
  await waitFor('active is the new one', async () => {
    const active = (await c.get<CronJobObject>('cronjobs', NS, 'replace')).status?.active ?? [];
    return active.length === 1 && active[0]?.name === jobNameFor('replace', second);
  });
  t.pass();
  await c.delete('cronjobs', NS, 'replace');
});

skipWithoutEtcd('history limits: finished Jobs beyond successfulJobsHistoryLimit 1 and failedJobsHistoryLimit 1 go, oldest first', async (t) => {
  const c = client();
  const created = await c.create(cronJob('history', { successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1, suspend: true }));
  // Finished Jobs of earlier runs, made as the controller would have (suspended: it starts none).
  const owner = { apiVersion: 'batch/v1', kind: 'CronJob', name: 'history', uid: created.metadata?.uid ?? '', controller: true };
  const runs: Array<[string, 'Complete' | 'Failed', string]> = [
    ['history-1', 'Complete', '2026-01-01T00:01:00Z'], ['history-2', 'Complete', '2026-01-01T00:02:00Z'], ['history-3', 'Complete', '2026-01-01T00:03:00Z'],
    ['history-4', 'Failed', '2026-01-01T00:04:00Z'], ['history-5', 'Failed', '2026-01-01T00:05:00Z'],
  ];
  for (const [name, outcome, start] of runs) {
    const job = await c.create<JobObject>({
      apiVersion: 'batch/v1', kind: 'Job',
      metadata: { name, namespace: NS, labels: { cron: 'history' }, ownerReferences: [owner] },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    await complete(job, outcome, start);
  }
  // Any change to the CronJob syncs it.
  const cur = await c.get<CronJobObject>('cronjobs', NS, 'history');
  await c.update({ ...cur, metadata: { ...cur.metadata, labels: { touched: 'yes' } } });
  await waitFor('the oldest removed', async () => (await jobsOf('history')).length === 2, 15_000);
  t.deepEqual((await jobsOf('history')).map((j) => j.metadata?.name).sort(), ['history-3', 'history-5']);
  t.true((await reasons('history')).includes('SuccessfulDelete'));
  await c.delete('cronjobs', NS, 'history');
});

skipWithoutEtcd('suspend: nothing starts while suspended; an invalid CronJob is refused whole, nothing stored', async (t) => {
  const c = client();
  const created = await c.create(cronJob('paused', { suspend: true }));
  tickMinute(Date.parse(created.metadata?.creationTimestamp ?? ''));
  await new Promise((r) => setTimeout(r, 300));
  t.is((await jobsOf('paused')).length, 0);
  const err = await t.throwsAsync(c.create(cronJob('bad', { schedule: 'TZ=UTC * * * * *' })));
  t.is(err?.message, 'CronJob "bad" is invalid: spec.schedule: Invalid value: "TZ=UTC * * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
  const zone = await t.throwsAsync(c.create(cronJob('bad', { timeZone: 'Nowhere/Special' })));
  t.is(zone?.message, 'CronJob "bad" is invalid: spec.timeZone: Invalid value: "Nowhere/Special": unknown time zone Nowhere/Special');
  t.is(await c.tryGet('cronjobs', NS, 'bad'), undefined);
  await c.delete('cronjobs', NS, 'paused');
});
