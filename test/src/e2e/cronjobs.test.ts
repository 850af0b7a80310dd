// End to end: CronJobs on `tctl cluster up` with the process runtime (pods are host processes),
// driven through tctl as a user would; then Kubernetes' own `hello` CronJob through real kubectl
// when it is installed. The controller manager runs on the real clock: the first run of a
// "* * * * *" CronJob comes at the first whole minute after it is created (up to a minute's wait).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '@tugboat/api';
import { startLocalCluster, type LocalClusterHandle } from '../harness/cluster.js';

let cluster: LocalClusterHandle;
const work = mkdtempSync(join(tmpdir(), 'tugboat-cronjobs-'));

test.before(async () => {
  cluster = await startLocalCluster({ nodes: 1, runtime: 'process' });
});

test.after.always(async () => {
  await cluster?.destroy();
  rmSync(work, { recursive: true, force: true });
});

interface JobView {
  metadata: { name: string; creationTimestamp: string; annotations?: Record<string, string>; ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[] };
  status?: { succeeded?: number; conditions?: { type: string; status: string }[] };
}

async function jobs(): Promise<JobView[]> {
  const r = await cluster.tctl(['get', 'jobs', '-o', 'json']);
  if (r.code !== 0) throw new Error(`get jobs: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { items: JobView[] }).items;
}

async function waitComplete(name: string): Promise<void> {
  const r = await cluster.tctl(['wait', '--for=condition=complete', `job/${name}`, '--timeout=90s'], undefined, 120_000);
  if (r.code !== 0) throw new Error(`wait job/${name}: ${r.stdout} ${r.stderr}`);
}

test.serial('a "* * * * *" CronJob: its first Job is created within 2 s after its minute and completes; create job --from runs it by hand', async (t) => {
  // Not in a minute's last 15 s: the table below must be read before the first Job is due
  // (CI once created it 1 s before the minute, and `get cj` already showed the Job active).
  const second = new Date().getSeconds();
  if (second >= 45) await sleep((61 - second) * 1000);
  const made = await cluster.tctl(['create', 'cronjob', 'every', '--image=busybox', '--schedule=* * * * *', '--', 'sh', '-c', 'echo hello from tugboat']);
  t.is(made.stdout, 'cronjob.batch/every created\n', made.stderr);
  const table = await cluster.tctl(['get', 'cj']);
  t.regex(table.stdout, /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE$/m);
  t.regex(table.stdout, /^every\s+\* \* \* \* \*\s+<none>\s+False\s+0\s+<none>\s+\S+$/m);

  let first: JobView | undefined;
  let seenAt = 0;
  const deadline = Date.now() + 75_000;
  while (!first && Date.now() < deadline) {
    first = (await jobs()).find((j) => j.metadata.ownerReferences?.some((o) => o.kind === 'CronJob' && o.name === 'every'));
    seenAt = Date.now();
    if (!first) await sleep(200);
  }
  if (!first) return t.fail('no Job within 75 s');
  const minute = Number(/^every-(\d+)$/.exec(first.metadata.name)?.[1]) * 60_000;
  t.true(Number.isFinite(minute), first.metadata.name);
  const createdLag = Date.parse(first.metadata.creationTimestamp) - minute;
  t.log(`first Job ${first.metadata.name}: created ${createdLag} ms after its minute (creationTimestamp, whole seconds); seen by polling ${seenAt - minute} ms after`);
  t.true(createdLag >= 0 && createdLag <= 2000, `created ${createdLag} ms after its minute`);
  t.is(first.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'], new Date(minute).toISOString().replace('.000Z', 'Z'));
  await waitComplete(first.metadata.name);

  const wide = await cluster.tctl(['get', 'cronjobs', '-o', 'wide']);
  t.regex(wide.stdout, /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/m);
  t.regex(wide.stdout, /^every\s+\* \* \* \* \*\s+<none>\s+False\s+\d\s+\d+s\s+\S+\s+every\s+busybox\s+<none>$/m);
  const all = await cluster.tctl(['get', 'all']);
  t.regex(all.stdout, /cronjob\.batch\/every/);

  const manual = await cluster.tctl(['create', 'job', 'by-hand', '--from=cronjob/every']);
  t.is(manual.stdout, 'job.batch/by-hand created\n', manual.stderr);
  const byHand = (await jobs()).find((j) => j.metadata.name === 'by-hand');
  t.is(byHand?.metadata.annotations?.['cronjob.kubernetes.io/instantiate'], 'manual');
  t.like(byHand?.metadata.ownerReferences?.[0], { kind: 'CronJob', name: 'every', controller: true });
  await waitComplete('by-hand');

  const described = await cluster.tctl(['describe', 'cronjob', 'every']);
  t.regex(described.stdout, /^Schedule:\s+\* \* \* \* \*$/m);
  t.regex(described.stdout, /^Concurrency Policy:\s+Allow$/m);
  t.regex(described.stdout, /SuccessfulCreate/);
  const bad = await cluster.tctl(['create', 'cronjob', 'bad', '--image=busybox', '--schedule=TZ=UTC * * * * *']);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /spec\.schedule: Invalid value: "TZ=UTC \* \* \* \* \*": cannot use TZ or CRON_TZ in schedule, use timeZone field instead/);
  await cluster.tctl(['delete', 'cronjob', 'every']);
});

// Kubernetes' CronJob page example, with the image the e2e tests use (the process runtime reads none).
const HELLO = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: hello
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: hello
            image: busybox
            imagePullPolicy: IfNotPresent
            command:
            - /bin/sh
            - -c
            - date; echo Hello from the Kubernetes cluster
          restartPolicy: OnFailure
`;
const haveKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
if (!haveKubectl) console.log('cronjobs.test.ts: the kubectl test is skipped: no kubectl on PATH');

(haveKubectl ? test.serial : test.serial.skip)('kubectl: apply the hello CronJob, get cronjobs', async (t) => {
  const env = { ...process.env, KUBECONFIG: join(cluster.home, 'kubeconfig'), HOME: work };
  const kubectl = (args: string[], input?: string): { code: number | null; stdout: string; stderr: string } => {
    const r = spawnSync('kubectl', args, { env, input: input ?? '', encoding: 'utf8', timeout: 120_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const apply = kubectl(['apply', '-f', '-'], HELLO);
  t.is(apply.stdout, 'cronjob.batch/hello created\n', apply.stderr);
  const get = kubectl(['get', 'cronjobs']);
  t.regex(get.stdout, /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE$/m, get.stderr);
  t.regex(get.stdout, /^hello\s+\* \* \* \* \*\s+<none>\s+False\s+\d\s+\S+\s+\S+$/m);
  const again = kubectl(['apply', '-f', '-'], HELLO);
  t.is(again.stdout, 'cronjob.batch/hello unchanged\n', again.stderr);
  const yaml = kubectl(['get', 'cronjob', 'hello', '-o', 'yaml']);
  t.regex(yaml.stdout, /concurrencyPolicy: Allow/);
  t.regex(yaml.stdout, /successfulJobsHistoryLimit: 3/);
});
