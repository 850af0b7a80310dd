// End to end: Jobs on `tctl cluster up` with the process runtime (pods are host processes),
// driven through tctl as a user would; then the same with real kubectl when it is installed.
// The controller manager runs with --job-backoff-base=1s so failed pods are replaced in
// seconds (Kubernetes: 10 s, doubling).
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '@tugboat/api';
import { startLocalCluster, type LocalClusterHandle, type TctlResult } from '../harness/cluster.js';
import { kubectlMissing, runKubectl } from '../harness/kubectl.js';
import { eventually, followPods, podsOf } from './helpers.js';

let cluster: LocalClusterHandle;

test.before(async () => {
  cluster = await startLocalCluster({ nodes: 2, runtime: 'process', args: ['--controllers-arg=--job-backoff-base=1s'] });
});

test.after.always(async () => {
  await cluster?.destroy();
});

interface JobView {
  metadata: { name: string; uid: string };
  status?: { active?: number; succeeded?: number; failed?: number; completedIndexes?: string; conditions?: { type: string; status: string; reason?: string }[]; uncountedTerminatedPods?: { succeeded?: string[]; failed?: string[] } };
}

async function getJob(name: string): Promise<JobView | undefined> {
  const r = await cluster.tctl(['get', 'job', name, '-o', 'json']);
  return r.code === 0 ? JSON.parse(r.stdout) as JobView : undefined;
}

function job(name: string, opts: { completions?: number; parallelism?: number; backoffLimit?: number; indexed?: boolean; command: string; restartPolicy?: string }): string {
  return `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
spec:
${opts.completions !== undefined ? `  completions: ${opts.completions}\n` : ''}${opts.parallelism !== undefined ? `  parallelism: ${opts.parallelism}\n` : ''}${opts.backoffLimit !== undefined ? `  backoffLimit: ${opts.backoffLimit}\n` : ''}${opts.indexed ? '  completionMode: Indexed\n' : ''}  template:
    metadata:
      labels: {app: ${name}}
    spec:
      restartPolicy: ${opts.restartPolicy ?? 'Never'}
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: busybox
        command: ["sh", "-c", ${JSON.stringify(opts.command)}]
`;
}

async function apply(manifest: string): Promise<void> {
  const r = await cluster.tctl(['apply', '-f', '-'], manifest);
  if (r.code !== 0) throw new Error(`apply: ${r.stdout} ${r.stderr}`);
}

async function waitCondition(name: string, condition: string, timeout = '120s'): Promise<void> {
  const r = await cluster.tctl(['wait', `--for=condition=${condition}`, `job/${name}`, `--timeout=${timeout}`], undefined, 150_000);
  if (r.code !== 0) throw new Error(`wait ${condition} job/${name}: ${r.stdout} ${r.stderr} ${JSON.stringify(await getJob(name))}`);
}

test.serial('completions 5, parallelism 2: never more than 2 pods at once, then Complete with 5 succeeded; tctl get shows it', async (t) => {
  let maxRunning = 0;
  const follower = await followPods(cluster, 'app=five', (pods) => {
    maxRunning = Math.max(maxRunning, pods.filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed').length);
  });
  try {
    await apply(job('five', { completions: 5, parallelism: 2, command: 'sleep 1' }));
    await waitCondition('five', 'complete');
  } finally {
    await follower.stop();
  }
  const j = await getJob('five');
  t.is(j?.status?.succeeded, 5);
  t.is(j?.status?.failed ?? 0, 0);
  t.log(`largest number of unfinished pods at once: ${maxRunning}`);
  t.true(maxRunning <= 2, `${maxRunning} pods ran at once`);
  t.is((await podsOf(cluster, 'app=five')).length, 5);
  const table = await cluster.tctl(['get', 'jobs']);
  t.regex(table.stdout, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\n/);
  t.regex(table.stdout, /\nfive\s+Complete\s+5\/5\s+\d+s\s+\d+s\n/);
  const wide = await cluster.tctl(['get', 'job', 'five', '-o', 'wide']);
  t.regex(wide.stdout, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR\n/);
  t.regex(wide.stdout, /main\s+busybox\s+batch\.kubernetes\.io\/controller-uid=/);
  const described = await cluster.tctl(['describe', 'job', 'five']);
  t.regex(described.stdout, /Pods Statuses:\s+0 Active \(0 Ready\) \/ 5 Succeeded \/ 0 Failed/);
});

test.serial('exit 1 with backoffLimit 2: Failed with BackoffLimitExceeded after exactly 3 pods', async (t) => {
  await apply(job('fails', { backoffLimit: 2, command: 'exit 1' }));
  await waitCondition('fails', 'failed');
  const j = await getJob('fails');
  t.is(j?.status?.conditions?.find((c) => c.type === 'Failed')?.reason, 'BackoffLimitExceeded');
  t.is(j?.status?.failed, 3);
  await sleep(2_500); // longer than the next back-off would be: no fourth pod comes
  t.is((await podsOf(cluster, 'app=fails')).length, 3);
  const table = await cluster.tctl(['get', 'job', 'fails']);
  t.regex(table.stdout, /\nfails\s+Failed\s+0\/1\s/);
});

test.serial('Indexed: indexes 0-4 exactly once each, each pod echoing its JOB_COMPLETION_INDEX; tctl logs job/x', async (t) => {
  await apply(job('indexed', { completions: 5, parallelism: 3, indexed: true, command: 'echo index=$JOB_COMPLETION_INDEX host=$(hostname)' }));
  await waitCondition('indexed', 'complete');
  const j = await getJob('indexed');
  t.is(j?.status?.completedIndexes, '0-4');
  t.is(j?.status?.succeeded, 5);
  const pods = await podsOf(cluster, 'app=indexed');
  t.is(pods.length, 5);
  const seen: string[] = [];
  for (const p of pods) {
    const log = await cluster.tctl(['logs', p.metadata.name]);
    const m = /index=(\d+)/.exec(log.stdout);
    seen.push(m?.[1] ?? `?${log.stdout}${log.stderr}`);
    t.is(p.metadata.labels?.['batch.kubernetes.io/job-completion-index'], m?.[1]);
  }
  t.deepEqual(seen.sort(), ['0', '1', '2', '3', '4']);
  const first = await cluster.tctl(['logs', 'job/indexed']);
  t.is(first.code, 0, first.stderr);
  t.regex(first.stdout, /^index=\d host=/);
});

test.serial('a Job whose template has restartPolicy Always is refused at apply: one line naming the field, nothing stored', async (t) => {
  const r = await cluster.tctl(['apply', '-f', '-'], job('always', { command: 'true', restartPolicy: 'Always' }));
  t.not(r.code, 0);
  t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  t.regex(r.stderr, /spec\.template\.spec\.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"/);
  t.is(await getJob('always'), undefined);
});

test.serial('tctl create job NAME --image -- CMD, as kubectl; --from=cronjob says what is missing', async (t) => {
  const r = await cluster.tctl(['create', 'job', 'hello', '--image=busybox', '--', 'echo', 'hello from a job']);
  t.is(r.stdout, 'job.batch/hello created\n', r.stderr);
  await waitCondition('hello', 'complete');
  t.is((await cluster.tctl(['logs', 'job/hello'])).stdout, 'hello from a job\n');
  const from = await cluster.tctl(['create', 'job', 'manual', '--from=cronjob/nightly']);
  t.not(from.code, 0);
  t.regex(from.stderr, /cronjobs are not served yet|cronjobs?(\.batch)? "nightly" not found/);
});

test.serial('controller manager SIGKILLed in the middle of an Indexed Job: no finished index runs again, nothing is counted twice', async (t) => {
  const starts = new Map<string, number>();
  const follower = await followPods(cluster, 'app=crashy', (pods) => {
    for (const p of pods) {
      const i = p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index'] ?? '?';
      const key = `${i}/${p.metadata?.uid ?? ''}`;
      if (!starts.has(key)) starts.set(key, 1);
    }
  });
  const kills: number[] = [];
  try {
    await apply(job('crashy', { completions: 8, parallelism: 3, indexed: true, command: 'sleep 1; echo done $JOB_COMPLETION_INDEX' }));
    for (let k = 0; k < 3; k++) {
      const wait = 500 + Math.floor(Math.random() * 1500);
      kills.push(wait);
      await sleep(wait);
      const before = (await cluster.components()).find((c) => c.name === 'controllers');
      if (!before || before.state !== 'running') throw new Error('controllers not running');
      process.kill(before.pid, 'SIGKILL');
      await eventually('controllers stopped', async () => (await cluster.components()).find((c) => c.name === 'controllers')?.state === 'stopped', 10_000, 50);
      const up = await cluster.tctl(['cluster', 'up']);
      if (up.code !== 0) throw new Error(`cluster up: ${up.stdout} ${up.stderr}`);
    }
    await waitCondition('crashy', 'complete', '180s');
  } finally {
    await follower.stop();
  }
  t.log(`controller manager SIGKILLed after ${kills.join(', ')} ms pauses`);
  const j = await getJob('crashy');
  t.is(j?.status?.succeeded, 8);
  t.is(j?.status?.completedIndexes, '0-7');
  t.is(j?.status?.failed ?? 0, 0);
  const perIndex = new Map<string, number>();
  for (const key of starts.keys()) {
    const i = key.split('/')[0] ?? '';
    perIndex.set(i, (perIndex.get(i) ?? 0) + 1);
  }
  t.deepEqual([...perIndex.keys()].sort(), ['0', '1', '2', '3', '4', '5', '6', '7']);
  t.true([...perIndex.values()].every((n) => n === 1), `pods per index: ${JSON.stringify(Object.fromEntries(perIndex))}`);
});

const noKubectl = kubectlMissing();
if (noKubectl) console.log(`jobs.test.ts: kubectl test skipped: ${noKubectl}`);
const kubectlTest = noKubectl ? test.serial.skip : test.serial;

function kubectl(home: string, args: readonly string[], input?: string): Promise<TctlResult> {
  return runKubectl(cluster.home, home, args, { input, timeoutMs: 150_000 });
}

// The pi Job of Kubernetes' documentation, with a shell loop for perl (the process runtime runs host commands).
const PI_JOB = `apiVersion: batch/v1
kind: Job
metadata:
  name: pi
spec:
  template:
    spec:
      containers:
      - name: pi
        image: perl:5.34.0
        command: ["sh", "-c", "echo 3.14159"]
      restartPolicy: Never
  backoffLimit: 4
`;

kubectlTest('kubectl apply of the docs\' pi Job, kubectl get jobs, kubectl wait --for=condition=complete', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'tugboat-kubectl-jobs-'));
  try {
    const applied = await kubectl(home, ['apply', '-f', '-'], PI_JOB);
    t.is(applied.stdout, 'job.batch/pi created\n', applied.stderr);
    const waited = await kubectl(home, ['wait', '--for=condition=complete', 'job/pi', '--timeout=120s']);
    t.is(waited.stdout, 'job.batch/pi condition met\n', waited.stderr);
    const got = await kubectl(home, ['get', 'jobs']);
    t.regex(got.stdout, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\n/);
    t.regex(got.stdout, /\npi\s+Complete\s+1\/1\s/);
    const logs = await kubectl(home, ['logs', 'job/pi']);
    t.is(logs.stdout, '3.14159\n', logs.stderr);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
