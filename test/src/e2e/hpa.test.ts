// End to end on `tctl cluster up --runtime process`, as a user (issue 11's acceptance): a
// Deployment whose pods burn cpu (request 100m, no limit) under `tctl autoscale --cpu-percent 50`
// scales up within 60 s; once the load stops it scales back to one pod after the (shortened)
// downscale stabilization window. Meanwhile `tctl get hpa` shows the measured utilization against
// the target and `tctl top pods` lists the pods.
//
// The pods burn only while a file in this test's temp directory exists (the process runtime runs
// containers as host processes, so they see it): removing it stops the load in every pod, old and
// new, without touching the Deployment — the HPA is the only one changing replicas.
import test from 'ava';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject, TugboatClient } from '@tugboat/api';
import { startLocalCluster, type LocalClusterHandle } from '../harness/cluster.js';
import { applyManifest, eventually, podsOf } from './helpers.js';

/** Issue 11's bound for the scale-up. */
const SCALE_UP_BOUND_MS = 60_000;
const STABILIZATION = '5s';

let cluster: LocalClusterHandle;
let client: TugboatClient;
let dir: string;

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tugboat-hpa-'));
  cluster = await startLocalCluster({
    nodes: 1, runtime: 'process',
    args: [
      // Usage reported every second, HPAs reconciled every second, and a scale-down that waits
      // 5 s of low recommendations rather than 5 minutes.
      '--agent-arg=--node-status-interval=1s',
      '--controllers-arg=--horizontal-pod-autoscaler-sync-period=1s',
      `--controllers-arg=--horizontal-pod-autoscaler-downscale-stabilization=${STABILIZATION}`,
      // Room for four 100m pods whatever this machine's size.
      '--agent-arg=--capacity=cpu=2,memory=8Gi,pods=110',
    ],
  });
  client = cluster.client();
});

test.after.always(async () => {
  client?.close();
  await cluster?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The Deployment's desired replicas (what the HPA sets through its scale subresource). */
async function replicas(): Promise<number> {
  const d = await client.get<KubeObject & { spec?: { replicas?: number } }>('deployments', 'default', 'burn');
  return d.spec?.replicas ?? 1;
}

test.serial('a Deployment of cpu-burning pods under an HPA at 50% scales up within 60 s and back down after the stabilization window', async (t) => {
  // Cluster up is in before(); this covers a busy machine's slow pod starts.
  t.timeout(240_000);
  const flag = join(dir, 'burn');
  writeFileSync(flag, '');
  // `[` is a shell builtin: the loop forks nothing, so it is pure cpu until the file goes.
  await applyManifest(cluster, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: burn, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: burn}}
  template:
    metadata: {labels: {app: burn}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: busybox
        command: [sh, -c, 'while [ -e ${flag} ]; do :; done; exec sleep 3600']
        resources: {requests: {cpu: 100m, memory: 8Mi}}
`);
  await eventually('the first pod running', async () => (await podsOf(cluster, 'app=burn')).some((p) => p.status.phase === 'Running'), 90_000);

  const autoscale = await cluster.tctl(['autoscale', 'deployment/burn', '--min', '1', '--max', '4', '--cpu-percent', '50']);
  t.is(autoscale.code, 0, autoscale.stderr);
  t.regex(autoscale.stdout, /horizontalpodautoscaler\.autoscaling\/burn autoscaled/);
  const hpaAt = Date.now();

  // The first pod's cpu counts once it has been ready for a whole metrics window (10 s:
  // Kubernetes' cpu initialization rule), then one sync asks for more pods.
  const scaledUpTo = await eventually('the HPA scaling the Deployment up', async () => {
    const n = await replicas();
    return n > 1 ? n : undefined;
  }, SCALE_UP_BOUND_MS + 30_000, 500);
  const scaleUpMs = Date.now() - hpaAt;

  // While the pods burn: TARGETS shows a utilization far above the target, and top the pods.
  const targets = await eventually('tctl get hpa showing the cpu utilization', async () => {
    const res = await cluster.tctl(['get', 'hpa', 'burn']);
    return /cpu: \d+%\/50%/.exec(res.stdout)?.[0] && res.stdout;
  }, 30_000, 1_000);
  const measured = Number(/cpu: (\d+)%\/50%/.exec(targets)![1]);
  t.true(measured > 50, `utilization ${measured}% while burning`);
  const top = await eventually('tctl top pods listing the burning pods', async () => {
    const res = await cluster.tctl(['top', 'pods', '-l', 'app=burn']);
    return res.code === 0 && /^burn-\S+\s+\d+m\s+\d+Mi$/m.test(res.stdout) && res.stdout;
  }, 30_000, 1_000);
  t.regex(top, /^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/m);

  // Let the scale-up settle (more pods may still come) so the scale-down is measured from the top.
  const peak = await eventually('the replicas settling', async () => {
    const before = await replicas();
    await new Promise((r) => setTimeout(r, 3_000));
    return before === (await replicas()) && before;
  }, 30_000, 0);

  rmSync(flag);
  t.false(existsSync(flag));
  const stoppedAt = Date.now();
  await eventually('the HPA scaling the Deployment back to 1', async () => (await replicas()) === 1, 60_000, 500);
  const scaleDownMs = Date.now() - stoppedAt;

  t.log(`scale-up to ${scaledUpTo} after ${(scaleUpMs / 1000).toFixed(1)} s (peak ${peak}, ${measured}%/50% then); scale-down to 1 after ${(scaleDownMs / 1000).toFixed(1)} s of no load (stabilization ${STABILIZATION})`);
  t.true(scaleUpMs <= SCALE_UP_BOUND_MS, `scale-up took ${scaleUpMs} ms`);
  // The highest recommendation of the last 5 s wins, and the last high one was made at most one
  // sync (1 s) before the file went: no scale-down before 4 s, where without the window it
  // would come as soon as a report shows the load gone (1–3 s).
  t.true(scaleDownMs >= 4_000, `scaled down after ${scaleDownMs} ms, within the stabilization window`);
});
