// End to end, disruption budgets and priorities on a local cluster (process runtime, 2 nodes):
// `tctl drain` on the node hosting 2 of 3 replicas of a Deployment with a PDB of minAvailable 2
// evicts one, retries the next every 5 s while the budget refuses (printing kubectl's line),
// and evicts it once the replacement is Ready — a watch shows available replicas never below 2.
// Then the same with the real kubectl (when installed), and the bad inputs: a PDB with both
// minAvailable and maxUnavailable, a pod naming a PriorityClass that does not exist — each
// refused in one line, nothing stored.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCluster, type LocalClusterHandle } from '../harness/cluster.js';
import { deployment, eventually, followPods, podsOf, type PodItem, type PodView } from './helpers.js';

let cluster: LocalClusterHandle;
let work: string;

test.before(async () => {
  work = mkdtempSync(join(tmpdir(), 'tugboat-disruption-'));
  cluster = await startLocalCluster({ nodes: 2, runtime: 'process' });
});

test.after.always(async () => {
  await cluster?.destroy();
  if (work) rmSync(work, { recursive: true, force: true });
});

const BUDGET = `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: guarded
spec:
  minAvailable: 2
  selector:
    matchLabels: {app: guarded}
`;

const isAvailable = (p: PodItem): boolean => !p.metadata?.deletionTimestamp && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

async function readyPods(app: string, n: number): Promise<PodView[]> {
  return eventually(`${n} ready pods of ${app}`, async () => {
    const pods = (await podsOf(cluster, `app=${app}`)).filter((p) => !p.metadata.deletionTimestamp);
    const ready = pods.filter((p) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    return pods.length === n && ready.length === n ? pods : undefined;
  }, 90_000);
}

async function budgetAllows(n: number): Promise<void> {
  await eventually(`the budget to allow ${n}`, async () => {
    const r = await cluster.tctl(['get', 'pdb', 'guarded', '-o', 'jsonpath={.status.disruptionsAllowed}']);
    return r.stdout.trim() === String(n) || undefined;
  }, 60_000);
}

const byNode = (pods: readonly PodView[]): Map<string, PodView[]> => {
  const m = new Map<string, PodView[]>();
  for (const p of pods) m.set(p.spec.nodeName ?? '', [...(m.get(p.spec.nodeName ?? '') ?? []), p]);
  return m;
};

/** Runs a drain while a watch records the fewest available replicas; returns both. */
async function drainWatched(run: () => Promise<{ code: number; stdout: string; stderr: string }>): Promise<{ res: { code: number; stdout: string; stderr: string }; fewest: number }> {
  let fewest = Infinity;
  const follower = await followPods(cluster, 'app=guarded', (pods) => { fewest = Math.min(fewest, pods.filter(isAvailable).length); });
  try {
    return { res: await run(), fewest };
  } finally {
    await follower.stop();
  }
}

const REFUSED = /^error when evicting pods\/"guarded-[a-z0-9-]+" -n "default" \(will retry after 5s\): Cannot evict pod as it would violate the pod's disruption budget\.$/m;

test.serial('tctl drain honours a PodDisruptionBudget: one at a time, each replacement Ready first', async (t) => {
  t.is((await cluster.tctl(['apply', '-f', '-'], deployment('guarded', { replicas: 3, cpu: '10m' }))).code, 0);
  const applied = await cluster.tctl(['apply', '-f', '-'], BUDGET);
  t.is(applied.stdout, 'poddisruptionbudget.policy/guarded created\n', applied.stderr);
  const pods = await readyPods('guarded', 3);
  await budgetAllows(1);
  const table = await cluster.tctl(['get', 'pdb']);
  t.regex(table.stdout, /^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE\nguarded\s+2\s+N\/A\s+1\s+\S+\n$/);
  const [node, hosted] = [...byNode(pods)].find(([, ps]) => ps.length === 2) ?? [];
  t.truthy(node, 'one node hosts 2 of the 3 replicas');

  const started = Date.now();
  const { res, fewest } = await drainWatched(() => cluster.tctl(['drain', node!, '--timeout', '150s']));
  t.is(res.code, 0, `${res.stdout}\n${res.stderr}`);
  t.log(`drain took ${((Date.now() - started) / 1000).toFixed(1)} s; fewest available replicas seen: ${fewest}`);
  t.regex(res.stdout, new RegExp(`^node/${node} cordoned\n`));
  for (const p of hosted!) t.regex(res.stdout, new RegExp(`^pod/${p.metadata.name} evicted$`, 'm'));
  t.regex(res.stdout, new RegExp(`node/${node} drained\n$`));
  t.regex(res.stderr, REFUSED, 'the second eviction waited for the budget');
  t.true(fewest >= 2, `available replicas fell to ${fewest}`);
  const after = await readyPods('guarded', 3);
  t.true(after.every((p) => p.spec.nodeName !== node));
  t.is((await cluster.tctl(['uncordon', node!])).code, 0);
});

const haveKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
if (!haveKubectl) console.log('disruption.test.ts: kubectl drain skipped: no kubectl on PATH');

function kubectl(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // Its own HOME: kubectl caches discovery under ~/.kube/cache.
    const child = spawn('kubectl', args, { env: { ...process.env, KUBECONFIG: join(cluster.home, 'kubeconfig'), HOME: work }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

(haveKubectl ? test.serial : test.serial.skip)('kubectl drain honours the same budget', async (t) => {
  // All 3 replicas are on one node now: draining it moves them one at a time.
  const pods = await readyPods('guarded', 3);
  const node = pods[0]!.spec.nodeName!;
  t.true(pods.every((p) => p.spec.nodeName === node));
  await budgetAllows(1);
  const { res, fewest } = await drainWatched(() => kubectl(['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=150s']));
  t.is(res.code, 0, `${res.stdout}\n${res.stderr}`);
  t.log(`kubectl drain: fewest available replicas seen: ${fewest}`);
  t.regex(res.stdout, /evicting pod default\/guarded-/);
  t.regex(res.stderr, REFUSED);
  t.regex(res.stdout, new RegExp(`node/${node} drained`));
  t.true(fewest >= 2, `available replicas fell to ${fewest}`);
  t.true((await readyPods('guarded', 3)).every((p) => p.spec.nodeName !== node));
  t.is((await cluster.tctl(['uncordon', node])).code, 0);
});

test.serial('bad input: both minAvailable and maxUnavailable, a PriorityClass that does not exist — one line each, nothing stored', async (t) => {
  const both = await cluster.tctl(['apply', '-f', '-'], BUDGET.replace('name: guarded', 'name: both').replace('  minAvailable: 2\n', '  minAvailable: 2\n  maxUnavailable: 1\n'));
  t.is(both.code, 1);
  t.is(both.stderr.trim().split('\n').length, 1, both.stderr);
  t.regex(both.stderr, /PodDisruptionBudget "both" is invalid: spec: Invalid value: .*minAvailable and maxUnavailable cannot be both set/);
  t.is((await cluster.tctl(['get', 'pdb', 'both'])).code, 1);

  const pod = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: classless\nspec:\n  priorityClassName: foo\n  containers:\n  - name: c\n    image: busybox\n    command: [sleep, "3600"]\n';
  const refused = await cluster.tctl(['apply', '-f', '-'], pod);
  t.is(refused.code, 1);
  t.is(refused.stderr.trim().split('\n').length, 1, refused.stderr);
  t.regex(refused.stderr, /pods "classless" is forbidden: no PriorityClass with name foo was found/);
  t.is((await cluster.tctl(['get', 'pod', 'classless'])).code, 1);

  const classes = await cluster.tctl(['get', 'pc']);
  t.regex(classes.stdout, /^NAME\s+VALUE\s+GLOBAL-DEFAULT\s+AGE\s+PREEMPTIONPOLICY\n/);
  t.regex(classes.stdout, /^system-node-critical\s+2000001000\s+false\s+\S+\s+PreemptLowerPriority$/m);
});
