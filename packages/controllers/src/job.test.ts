// Integration: the Job controller against a real API server on a real etcd. No scheduler or
// agent runs: a stand-in "runs" each pod — Running at once, then finished after a moment with
// the exit code its image names ("exit-0", "exit-1", "exit-42") — and confirms deletions.
import test from 'ava';
import { Informer, retryOnConflict, type KubeObject, type TugboatClient } from '@tugboat/api';
import { waitFor } from '@tugboat/test';
import type { PodObject } from './informers.js';
import type { JobObject } from './job.js';
import { JOB_TRACKING_FINALIZER } from './job-tracking.js';
import { etcdAvailable, mutate, startTestCluster, type TestCluster } from './testing/cluster.js';

let cluster: TestCluster | undefined;
let runner: { stop(): void; maxActive(app: string): number } | undefined;
const NS = 'default';
const RUN_MS = 150;

/** Runs pods to completion and tracks how many of each app ran at once. */
function podRunner(c: TugboatClient): { stop(): void; maxActive(app: string): number } {
  const inf = new Informer<PodObject>(c, 'pods');
  const running = new Map<string, Set<string>>();
  const peak = new Map<string, number>();
  const started = new Set<string>();
  const app = (p: PodObject): string => p.metadata?.labels?.['app'] ?? '';
  const finish = (p: PodObject): void => {
    running.get(app(p))?.delete(p.metadata?.uid ?? '');
  };
  const handle = (p: PodObject): void => {
    const ns = p.metadata?.namespace ?? NS;
    const name = p.metadata?.name ?? '';
    if (p.metadata?.deletionTimestamp) {
      finish(p);
      void c.delete('pods', ns, name, { gracePeriodSeconds: 0 }).catch(() => undefined);
      return;
    }
    const uid = p.metadata?.uid ?? '';
    if (started.has(uid)) return;
    started.add(uid);
    const set = running.get(app(p)) ?? new Set<string>();
    set.add(uid);
    running.set(app(p), set);
    peak.set(app(p), Math.max(peak.get(app(p)) ?? 0, set.size));
    const image = p.spec?.containers[0]?.image ?? 'exit-0';
    const code = Number(/^exit-(\d+)$/.exec(image)?.[1] ?? 0);
    const startedAt = new Date().toISOString();
    // Running first, then finished: each write on a fresh read, so a slow one never leaves a pod running for ever.
    const markedRunning = c.updateStatus<PodObject>({ ...p, status: { ...p.status, phase: 'Running', startTime: startedAt } }).catch(() => undefined);
    setTimeout(() => {
      finish(p);
      void retryOnConflict(async () => {
        await markedRunning;
        const cur = await c.tryGet<PodObject>('pods', ns, name);
        if (!cur || cur.metadata?.uid !== uid || cur.metadata.deletionTimestamp) return;
        await c.updateStatus<PodObject>({
          ...cur,
          status: {
            ...cur.status,
            phase: code === 0 ? 'Succeeded' : 'Failed',
            containerStatuses: [{ name: 'c', image, imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: code, reason: code === 0 ? 'Completed' : 'Error', startedAt, finishedAt: new Date().toISOString() } } }],
          },
        });
      }).catch(() => undefined);
    }, RUN_MS);
  };
  inf.onAdd(handle).onUpdate((_o, p) => handle(p));
  void inf.start();
  return { stop: () => inf.stop(), maxActive: (a) => peak.get(a) ?? 0 };
}

test.before(async () => {
  if (!etcdAvailable()) return;
  cluster = await startTestCluster({ controllers: ['job', 'garbagecollector'], jobBackoffBaseMs: 100 });
  runner = podRunner(cluster.client);
});

test.after.always(async () => {
  runner?.stop();
  await cluster?.stop();
});

function client(): TugboatClient {
  if (!cluster) throw new Error('no cluster');
  return cluster.client;
}

const skipWithoutEtcd = etcdAvailable() ? test : test.skip;
if (!etcdAvailable()) console.log('job.test.ts: skipped, no etcd binary');

function job(name: string, spec: Partial<NonNullable<JobObject['spec']>>, image = 'exit-0'): JobObject {
  return {
    apiVersion: 'batch/v1', kind: 'Job',
    metadata: { name, namespace: NS },
    spec: { template: { metadata: { labels: { app: name } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image }] } }, ...spec },
  };
}

async function podsOf(c: TugboatClient, name: string): Promise<PodObject[]> {
  return (await c.list<PodObject>('pods', { namespace: NS, labelSelector: `app=${name}` })).items;
}

const getJob = (c: TugboatClient, name: string): Promise<JobObject> => c.get<JobObject>('jobs', NS, name);
const condition = (j: JobObject, type: string) => j.status?.conditions?.find((x) => x.type === type && x.status === 'True');

async function reasons(c: TugboatClient, name: string): Promise<string[]> {
  return (await c.list<KubeObject & { reason?: string; involvedObject?: { name?: string; kind?: string } }>('events', { namespace: NS })).items
    .filter((e) => e.involvedObject?.name === name && e.involvedObject.kind === 'Job').map((e) => e.reason ?? '');
}

skipWithoutEtcd('completions 5, parallelism 2: never more than 2 pods at once, then Complete with 5 succeeded', async (t) => {
  const c = client();
  await c.create(job('five', { completions: 5, parallelism: 2 }));
  await waitFor('Complete', async () => !!condition(await getJob(c, 'five'), 'Complete'), 30_000).catch(async (e: unknown) => {
    t.log(JSON.stringify((await getJob(c, 'five')).status), JSON.stringify((await podsOf(c, 'five')).map((p) => [p.metadata?.name, p.status?.phase, p.metadata?.finalizers, p.metadata?.deletionTimestamp])));
    throw e;
  });
  const j = await getJob(c, 'five');
  t.is(j.status?.succeeded, 5);
  t.is(j.status?.failed ?? 0, 0);
  t.is(j.status?.active, 0);
  t.deepEqual(j.status?.uncountedTerminatedPods, {});
  t.truthy(j.status?.startTime);
  t.truthy(j.status?.completionTime);
  t.truthy(condition(j, 'SuccessCriteriaMet'), 'the interim condition stays, as in Kubernetes 1.31+');
  const peak = runner?.maxActive('five') ?? 0;
  t.true(peak >= 1 && peak <= 2, `${peak} pods ran at once`);
  const pods = await podsOf(c, 'five');
  t.is(pods.length, 5, 'exactly five pods ran');
  t.true(pods.every((p) => !p.metadata?.finalizers?.includes(JOB_TRACKING_FINALIZER)), 'every finalizer is removed once counted');
  t.true(pods.every((p) => p.metadata?.labels?.['batch.kubernetes.io/job-name'] === 'five' && p.metadata.labels['batch.kubernetes.io/controller-uid'] === j.metadata?.uid));
  await waitFor('events', async () => (await reasons(c, 'five')).includes('Completed'), 5_000);
  t.true((await reasons(c, 'five')).includes('SuccessfulCreate'));
});

skipWithoutEtcd('exit 1 with backoffLimit 2: Failed/BackoffLimitExceeded after exactly 3 pods, with growing back-off', async (t) => {
  const c = client();
  await c.create(job('fails', { backoffLimit: 2 }, 'exit-1'));
  await waitFor('Failed', async () => !!condition(await getJob(c, 'fails'), 'Failed'), 30_000);
  const j = await getJob(c, 'fails');
  t.is(condition(j, 'Failed')?.reason, 'BackoffLimitExceeded');
  t.is(condition(j, 'Failed')?.message, 'Job has reached the specified backoff limit');
  t.is(condition(j, 'FailureTarget')?.reason, 'BackoffLimitExceeded');
  t.is(j.status?.failed, 3);
  t.is(j.status?.completionTime, undefined, 'a failed Job has no completion time');
  await new Promise((r) => setTimeout(r, 500));
  const pods = (await podsOf(c, 'fails')).sort((a, b) => Date.parse(a.metadata?.creationTimestamp ?? '') - Date.parse(b.metadata?.creationTimestamp ?? ''));
  t.is(pods.length, 3, 'no fourth pod');
  // Back-off 100 ms then 200 ms after each failure (timestamps have second precision: only the total is checked).
  t.true((await reasons(c, 'fails')).includes('BackoffLimitExceeded'));
});

skipWithoutEtcd('Indexed: indexes 0-4 run exactly once each, completedIndexes reads 0-4', async (t) => {
  const c = client();
  await c.create(job('indexed', { completions: 5, parallelism: 3, completionMode: 'Indexed' }));
  await waitFor('Complete', async () => !!condition(await getJob(c, 'indexed'), 'Complete'), 30_000);
  const j = await getJob(c, 'indexed');
  t.is(j.status?.completedIndexes, '0-4');
  t.is(j.status?.succeeded, 5);
  const pods = await podsOf(c, 'indexed');
  const indexes = pods.map((p) => p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index']).sort();
  t.deepEqual(indexes, ['0', '1', '2', '3', '4']);
  for (const p of pods) {
    const i = p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index'];
    t.is(p.spec?.hostname, `indexed-${i}`);
    t.is(p.metadata?.labels?.['batch.kubernetes.io/job-completion-index'], i);
    t.true(p.spec?.containers[0]?.env?.some((e) => e.name === 'JOB_COMPLETION_INDEX'));
  }
});

skipWithoutEtcd('podFailurePolicy FailJob on exit code 42 fails the Job at once, with Kubernetes\' message', async (t) => {
  const c = client();
  await c.create(job('policy', {
    backoffLimit: 6,
    podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { containerName: 'c', operator: 'In', values: [42] } }] },
  }, 'exit-42'));
  await waitFor('Failed', async () => !!condition(await getJob(c, 'policy'), 'Failed'), 30_000);
  const j = await getJob(c, 'policy');
  t.is(condition(j, 'Failed')?.reason, 'PodFailurePolicy');
  t.regex(condition(j, 'Failed')?.message ?? '', /^Container c for pod default\/policy-\w+ failed with exit code 42 matching FailJob rule at index 0$/);
  t.is((await podsOf(c, 'policy')).length, 1);
});

skipWithoutEtcd('activeDeadlineSeconds: Failed with DeadlineExceeded, running pods deleted', async (t) => {
  const c = client();
  // Pods of image "exit-0" finish in 150 ms; completions 1000 keeps it busy past the deadline.
  await c.create(job('deadline', { completions: 1000, parallelism: 2, activeDeadlineSeconds: 1 }));
  await waitFor('Failed', async () => !!condition(await getJob(c, 'deadline'), 'Failed'), 30_000);
  const j = await getJob(c, 'deadline');
  t.is(condition(j, 'Failed')?.reason, 'DeadlineExceeded');
  t.is(condition(j, 'Failed')?.message, 'Job was active longer than specified deadline');
  await waitFor('no pod left running', async () => (await podsOf(c, 'deadline')).every((p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' || !!p.metadata?.deletionTimestamp), 10_000);
  t.is(j.status?.active, 0);
});

skipWithoutEtcd('suspend deletes the active pods and says Suspended; resume runs it to the end', async (t) => {
  const c = client();
  await c.create(job('pause', { completions: 2, parallelism: 1, suspend: true }));
  await waitFor('Suspended', async () => !!condition(await getJob(c, 'pause'), 'Suspended'), 15_000);
  t.is((await podsOf(c, 'pause')).length, 0, 'a suspended Job starts no pod');
  t.is((await getJob(c, 'pause')).status?.startTime, undefined);
  await mutate<JobObject>(c, 'jobs', NS, 'pause', (j) => ({ ...j, spec: { ...j.spec!, suspend: false } }));
  await waitFor('Complete', async () => !!condition(await getJob(c, 'pause'), 'Complete'), 30_000);
  const j = await getJob(c, 'pause');
  t.is(j.status?.conditions?.find((x) => x.type === 'Suspended')?.status, 'False');
  t.is(j.status?.conditions?.find((x) => x.type === 'Suspended')?.reason, 'JobResumed');
});

skipWithoutEtcd('ttlSecondsAfterFinished deletes the finished Job and its pods', async (t) => {
  const c = client();
  await c.create(job('ttl', { ttlSecondsAfterFinished: 1 }));
  await waitFor('Complete', async () => !!condition(await getJob(c, 'ttl'), 'Complete'), 15_000);
  await waitFor('Job and pods gone', async () => !(await c.tryGet('jobs', NS, 'ttl')) && (await podsOf(c, 'ttl')).length === 0, 15_000);
  t.pass();
});

skipWithoutEtcd('a deleted Job\'s running pods lose the tracking finalizer and go', async (t) => {
  const c = client();
  await c.create(job('gone', { completions: 1 }, 'exit-0'));
  await waitFor('a pod', async () => (await podsOf(c, 'gone')).length > 0, 15_000);
  await c.delete('jobs', NS, 'gone');
  await waitFor('pods gone', async () => (await podsOf(c, 'gone')).length === 0, 15_000);
  t.pass();
});
