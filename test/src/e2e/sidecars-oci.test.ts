// Sidecar containers (init containers with restartPolicy: Always, Kubernetes 1.29+) on real
// containers, as a user: `tctl cluster up --nodes 1 --runtime oci` with a busybox image from a
// local registry, then only tctl.
//
//   pod tailer:  init sidecar `log` ── tail -f /shared/app.log ──▶ its stdout (tctl logs -c log)
//                container `app`    ── a line a second ──▶ /shared/app.log (emptyDir)
//                on SIGTERM each appends a line to /record/order (a hostPath this test reads)
//
// Deleting the pod must stop `app` before `log`: app takes 2 s to exit on SIGTERM, so stopping
// both at once would put the sidecar's line first. A Job whose pod has a sidecar completes.
//
// Skipped, with the reason printed, only where containers cannot run: not root, or no runc.
// Networks: the cluster's own slot (packages/ctl/src/cluster/network.ts); no traffic is sent to pods.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalCluster, type LocalClusterHandle, type TctlResult } from '../harness/cluster.js';
import { startBusyboxRegistry, type BusyboxRegistry } from '../harness/images.js';
import { eventually } from './helpers.js';

const skipReason = process.getuid?.() !== 0 ? 'not root: real containers need root'
  : spawnSync('runc', ['--version'], { stdio: 'ignore' }).status !== 0 ? 'runc is not installed' : undefined;
if (skipReason) console.log(`e2e sidecar (oci) tests skipped: ${skipReason}`);
const serial = skipReason ? test.skip : test.serial;

interface Status {
  name: string;
  ready: boolean;
  started?: boolean;
  restartCount: number;
  state?: { running?: unknown; waiting?: { reason?: string }; terminated?: { exitCode: number; reason?: string } };
}
interface PodJson {
  metadata: { name: string; deletionTimestamp?: string };
  status: { phase?: string; conditions?: { type: string; status: string }[]; initContainerStatuses?: Status[]; containerStatuses?: Status[] };
}

let cluster: LocalClusterHandle;
let images: BusyboxRegistry | undefined;
let work = '';
let image = '';

test.before(async () => {
  if (skipReason) return;
  images = await startBusyboxRegistry('sidecars');
  ({ work, image } = images);
  cluster = await startLocalCluster({ nodes: 1, runtime: 'oci', args: ['--controllers-arg=--job-backoff-base=1s'] });
});

test.after.always(async () => {
  await cluster?.destroy();
  await images?.destroy();
});

async function tctl(args: readonly string[], input?: string): Promise<TctlResult> {
  return cluster.tctl(args, input, 120_000);
}

async function ok(args: readonly string[], input?: string): Promise<string> {
  const res = await tctl(args, input);
  if (res.code !== 0) throw new Error(`tctl ${args.join(' ')} exited ${res.code}: ${res.stderr}${res.stdout}`);
  return res.stdout;
}

async function getPod(name: string): Promise<PodJson | undefined> {
  const res = await tctl(['get', 'pod', name, '-o', 'json']);
  return res.code === 0 ? JSON.parse(res.stdout) as PodJson : undefined;
}

const requests = { requests: { cpu: '10m', memory: '8Mi' } };

serial('a sidecar tails the main container\'s log in a shared emptyDir: Running 2/2, its logs; on deletion the main container stops first', async (t) => {
  const record = join(work, 'record');
  mkdirSync(record, { recursive: true });
  const order = join(record, 'order');
  await ok(['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'tailer' },
    spec: {
      terminationGracePeriodSeconds: 15,
      volumes: [{ name: 'shared', emptyDir: {} }, { name: 'record', hostPath: { path: record, type: 'Directory' } }],
      initContainers: [{
        name: 'log', image, restartPolicy: 'Always', resources: requests,
        volumeMounts: [{ name: 'shared', mountPath: '/shared' }, { name: 'record', mountPath: '/record' }],
        // tail in the background so the shell (pid 1) can take SIGTERM at once.
        command: ['sh', '-c', 'touch /shared/app.log; tail -f /shared/app.log & t=$!; '
          + 'trap \'echo "log stopped $(date +%s)" >> /record/order; kill $t; exit 0\' TERM; wait $t'],
      }],
      containers: [{
        name: 'app', image, resources: requests,
        volumeMounts: [{ name: 'shared', mountPath: '/shared' }, { name: 'record', mountPath: '/record' }],
        // Takes 2 s to exit on SIGTERM: a sidecar stopped at the same time would write first.
        command: ['sh', '-c', 'trap \'sleep 2; echo "app stopped $(date +%s)" >> /record/order; exit 0\' TERM; '
          + 'i=0; while true; do echo "app line $i" >> /shared/app.log; i=$((i+1)); sleep 1 & wait $!; done'],
      }],
    },
  }));
  const pod = await eventually('tailer running with both containers ready', async () => {
    const p = await getPod('tailer');
    return p?.status.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? p : undefined;
  }, 90_000, 250);
  t.like(pod.status.initContainerStatuses?.[0], { name: 'log', started: true, ready: true, restartCount: 0 });
  t.truthy(pod.status.initContainerStatuses?.[0]?.state?.running);
  t.like(pod.status.containerStatuses?.[0], { name: 'app', ready: true });
  t.true(pod.status.conditions?.some((c) => c.type === 'Initialized' && c.status === 'True'));
  const table = await ok(['get', 'pod', 'tailer']);
  t.regex(table, /^tailer\s+2\/2\s+Running\s+0\s/m, table);

  const logs = await eventually('the sidecar\'s logs carrying the app\'s lines', async () => {
    const out = await ok(['logs', 'tailer', '-c', 'log']);
    return /app line 0\napp line 1\napp line 2\n/.test(out) ? out : undefined;
  }, 30_000, 500);
  t.regex(logs, /^app line 0\n/);

  const deleteStarted = Date.now();
  await ok(['delete', 'pod', 'tailer']);
  await eventually('tailer gone', async () => (await getPod('tailer')) === undefined, 60_000, 250);
  const tookMs = Date.now() - deleteStarted;
  t.true(existsSync(order), 'neither container recorded its SIGTERM');
  const lines = readFileSync(order, 'utf8').trim().split('\n');
  t.deepEqual(lines.map((l) => l.split(' ').slice(0, 2).join(' ')), ['app stopped', 'log stopped'], lines.join(' | '));
  const [appAt = NaN, logAt = NaN] = lines.map((l) => Number(l.split(' ')[2]));
  // Seconds on the host's clock (containers share it): the sidecar got its SIGTERM (it wrote
  // its line, so no SIGKILL) right after the app exited, not a grace period later. (How long
  // the delete took to reach the agent depends on the machine's load: only logged.)
  const deleteAt = Math.floor(deleteStarted / 1000);
  t.true(logAt >= appAt && logAt - appAt <= 3, lines.join(' | '));
  t.log(`app stopped ${appAt - deleteAt} s and the sidecar ${logAt - deleteAt} s after the delete; the pod was gone from the API after ${tookMs} ms`);
  const events = await ok(['get', 'events', '--field-selector', 'involvedObject.name=tailer']);
  t.regex(events, /Killing[\s\S]*Stopping container app/, events);
});

serial('a Job whose pod has a sidecar completes: the sidecar is stopped once the main container succeeded', async (t) => {
  await ok(['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'with-sidecar' },
    spec: {
      backoffLimit: 0,
      template: {
        spec: {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 10,
          initContainers: [{
            name: 'proxy', image, restartPolicy: 'Always', resources: requests,
            command: ['sh', '-c', 'trap "exit 0" TERM; echo proxy up; while true; do sleep 1 & wait $!; done'],
          }],
          containers: [{ name: 'work', image, resources: requests, command: ['sh', '-c', 'echo working; sleep 1; echo done'] }],
        },
      },
    },
  }));
  const waited = await tctl(['wait', '--for=condition=complete', 'job/with-sidecar', '--timeout=90s']);
  t.is(waited.code, 0, waited.stderr + waited.stdout);
  const pods = JSON.parse(await ok(['get', 'pods', '-l', 'job-name=with-sidecar', '-o', 'json'])) as { items: PodJson[] };
  t.is(pods.items.length, 1);
  const pod = pods.items[0]!;
  t.is(pod.status.phase, 'Succeeded');
  t.like(pod.status.containerStatuses?.[0]?.state?.terminated, { exitCode: 0, reason: 'Completed' });
  const proxy = pod.status.initContainerStatuses?.[0];
  t.truthy(proxy?.state?.terminated, JSON.stringify(proxy));
  t.is(proxy?.restartCount, 0, 'the sidecar was not restarted once the pod finished');
  t.is(await ok(['logs', pod.metadata.name, '-c', 'work']), 'working\ndone\n');
});
