// End to end on three nodes, as a user: `tctl cluster up --nodes 3 --runtime process`,
// then pods are spread over the least-loaded nodes and run as real processes; cordon,
// node selectors, crash loops, deletion, logs -f, an agent restart that adopts its pods,
// and a node crash.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { startLocalCluster, type LocalClusterHandle } from '../harness/cluster.js';

let cluster: LocalClusterHandle;

test.before(async () => {
  cluster = await startLocalCluster({ nodes: 3, runtime: 'process' });
});

test.after.always(async () => {
  await cluster?.destroy();
});

interface PodView {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: { restartCount: number; state?: { waiting?: { reason?: string }; terminated?: { exitCode: number } } }[];
  };
}

async function pod(name: string): Promise<PodView> {
  const res = await cluster.tctl(['get', 'pod', name, '-o', 'json']);
  if (res.code !== 0) throw new Error(res.stderr);
  return JSON.parse(res.stdout) as PodView;
}

async function pods(selector: string): Promise<PodView[]> {
  const res = await cluster.tctl(['get', 'pods', '-l', selector, '-o', 'json']);
  return (JSON.parse(res.stdout) as { items: PodView[] }).items;
}

async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Host processes whose command line is exactly `argv`. */
function processesRunning(argv: readonly string[]): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (/^\d+ \(.*\) [ZX]/.test(stat)) continue;
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (cmd.length === argv.length && cmd.every((c, i) => c === argv[i])) found.push(Number(entry));
    } catch { /* gone meanwhile */ }
  }
  return found;
}

const podManifest = (name: string, opts: { labels?: string; cpu?: string; command: string[]; restartPolicy?: string; nodeSelector?: string; grace?: number }): string => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: {${opts.labels ?? ''}}
spec:
  restartPolicy: ${opts.restartPolicy ?? 'Always'}
  terminationGracePeriodSeconds: ${opts.grace ?? 3}
${opts.nodeSelector ? `  nodeSelector: {${opts.nodeSelector}}\n` : ''}  containers:
  - name: main
    image: busybox
    command: ${JSON.stringify(opts.command)}
    resources:
      requests: {cpu: ${opts.cpu ?? '100m'}, memory: 16Mi}
`;

test.serial('three nodes register and are Ready', async (t) => {
  const res = await cluster.tctl(['get', 'nodes']);
  t.is(res.code, 0, res.stderr);
  const lines = res.stdout.trim().split('\n');
  t.regex(lines[0]!, /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/);
  t.deepEqual(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2)), [['node-1', 'Ready'], ['node-2', 'Ready'], ['node-3', 'Ready']]);
  const wide = await cluster.tctl(['get', 'nodes', '-o', 'wide']);
  t.regex(wide.stdout, /^node-1\s+Ready\s+\S+\s+\S+\s+\S+\s+127\.0\.0\.1\s+\S+\/\S+\s+\S+\/\S+\s+\d+\/\d+$/m);
  const status = await cluster.components();
  t.deepEqual(status.filter((c) => c.role === 'agent').map((c) => c.name), ['node-1', 'node-2', 'node-3']);
});

test.serial('six pods of 100m spread two per node, all Running as live processes', async (t) => {
  const docs = [1, 2, 3, 4, 5, 6].map((i) => podManifest(`spread-${i}`, { labels: 'e2e: spread', command: ['sleep', `${3600 + i}`] }));
  const res = await cluster.tctl(['apply', '-f', '-'], docs.join('---\n'));
  t.is(res.code, 0, res.stderr);
  const wait = await cluster.tctl(['wait', '--for=condition=Ready', 'pods', '-l', 'e2e=spread', '--timeout', '60s']);
  t.is(wait.code, 0, wait.stderr);
  const running = await pods('e2e=spread');
  t.is(running.length, 6);
  const perNode = new Map<string, number>();
  for (const p of running) {
    t.is(p.status.phase, 'Running');
    perNode.set(p.spec.nodeName ?? '', (perNode.get(p.spec.nodeName ?? '') ?? 0) + 1);
  }
  t.deepEqual([...perNode.entries()].sort(), [['node-1', 2], ['node-2', 2], ['node-3', 2]]);
  for (let i = 1; i <= 6; i++) t.is(processesRunning(['sleep', `${3600 + i}`]).length, 1, `sleep ${3600 + i}`);
  const table = await cluster.tctl(['get', 'pods', '-l', 'e2e=spread', '-o', 'wide']);
  t.regex(table.stdout, /^spread-1\s+1\/1\s+Running\s+0\s+\S+\s+\S+\s+node-\d$/m);
});

test.serial('a pod bigger than any node stays Pending with the scheduler\'s reasons', async (t) => {
  t.is((await cluster.tctl(['apply', '-f', '-'], podManifest('huge', { cpu: '1000', command: ['sleep', '1'] }))).code, 0);
  const p = await eventually('an Unschedulable condition', async () => {
    const v = await pod('huge');
    return v.status.conditions?.find((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable') ? v : undefined;
  });
  t.is(p.status.phase ?? 'Pending', 'Pending');
  t.regex(p.status.conditions!.find((c) => c.type === 'PodScheduled')!.message ?? '', /^0\/3 nodes are available: 3 Insufficient cpu\./);
  const describe = await cluster.tctl(['describe', 'pod', 'huge']);
  t.regex(describe.stdout, /FailedScheduling/);
  t.is((await cluster.tctl(['delete', 'pod', 'huge'])).code, 0);
});

test.serial('a cordoned node gets no new pods; a node selector is honoured', async (t) => {
  t.is((await cluster.tctl(['cordon', 'node-1'])).stdout, 'node/node-1 cordoned\n');
  const nodes = await cluster.tctl(['get', 'nodes']);
  t.regex(nodes.stdout, /^node-1\s+Ready,SchedulingDisabled\s/m);
  const docs = [1, 2, 3, 4].map((i) => podManifest(`cordoned-${i}`, { labels: 'e2e: cordon', cpu: '10m', command: ['sleep', '600'] }));
  docs.push(podManifest('selected', { nodeSelector: 'kubernetes.io/hostname: node-3', cpu: '10m', command: ['sleep', '601'] }));
  t.is((await cluster.tctl(['apply', '-f', '-'], docs.join('---\n'))).code, 0);
  await cluster.tctl(['wait', '--for=condition=PodScheduled', 'pods', '--all', '--timeout', '30s']);
  for (const p of await pods('e2e=cordon')) t.not(p.spec.nodeName, 'node-1', p.metadata.name);
  t.is((await pod('selected')).spec.nodeName, 'node-3');
  t.is((await cluster.tctl(['uncordon', 'node-1'])).stdout, 'node/node-1 uncordoned\n');
  t.is((await cluster.tctl(['delete', 'pods', '-l', 'e2e=cordon', '--grace-period', '0', '--force'])).code, 0);
});

test.serial('a command that exits 1: restarts with back-off (CrashLoopBackOff), or ends Failed with restartPolicy Never', async (t) => {
  const docs = [
    podManifest('crasher', { command: ['sh', '-c', 'exit 1'], cpu: '10m' }),
    podManifest('once', { command: ['sh', '-c', 'exit 1'], cpu: '10m', restartPolicy: 'Never' }),
  ];
  t.is((await cluster.tctl(['apply', '-f', '-'], docs.join('---\n'))).code, 0);
  const failed = await eventually('pod once to fail', async () => {
    const p = await pod('once');
    return p.status.phase === 'Failed' ? p : undefined;
  });
  t.is(failed.status.containerStatuses?.[0]?.state?.terminated?.exitCode, 1);
  const crashing = await eventually('CrashLoopBackOff', async () => {
    const p = await pod('crasher');
    const c = p.status.containerStatuses?.[0];
    return c && c.restartCount >= 1 && c.state?.waiting?.reason === 'CrashLoopBackOff' ? p : undefined;
  });
  t.true(crashing.status.containerStatuses![0]!.restartCount >= 1);
  const table = await cluster.tctl(['get', 'pod', 'crasher']);
  t.regex(table.stdout, /^crasher\s+0\/1\s+(CrashLoopBackOff|Error)\s+\d+/m);
  await cluster.tctl(['delete', 'pod', 'crasher', 'once', '--grace-period', '0', '--force']);
});

test.serial('logs -f streams a running pod\'s output as it is written', async (t) => {
  t.is((await cluster.tctl(['apply', '-f', '-'], podManifest('talker', { cpu: '10m', command: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "line $i"; sleep 0.2; done'] }))).code, 0);
  t.is((await cluster.tctl(['wait', '--for=condition=Ready', 'pod/talker', '--timeout', '30s'])).code, 0);
  const follow = cluster.spawnTctl(['logs', '-f', 'talker']);
  try {
    const first = await follow.waitForOutput(/line \d+\n/);
    const seen = Number(/line (\d+)/.exec(first)![1]);
    const later = await follow.waitForOutput(new RegExp(`line ${seen + 5}\\n`));
    t.true(later.includes(`line ${seen + 1}\n`));
  } finally {
    t.is(await follow.stop(), 0, follow.stderr());
  }
  const tail = await cluster.tctl(['logs', 'talker', '--tail', '2']);
  t.is(tail.stdout.trim().split('\n').length, 2);
});

test.serial('deleting a pod stops its process within the grace period and the object goes away', async (t) => {
  t.is((await cluster.tctl(['apply', '-f', '-'], podManifest('doomed', { cpu: '10m', command: ['sleep', '4242'], grace: 2 }))).code, 0);
  t.is((await cluster.tctl(['wait', '--for=condition=Ready', 'pod/doomed', '--timeout', '30s'])).code, 0);
  t.is(processesRunning(['sleep', '4242']).length, 1);
  const del = await cluster.tctl(['delete', 'pod', 'doomed']);
  t.is(del.code, 0, del.stderr);
  t.is(del.stdout, 'pod "doomed" deleted\n');
  t.deepEqual(processesRunning(['sleep', '4242']), []);
  t.is((await cluster.tctl(['get', 'pod', 'doomed'])).code, 1);
});

test.serial('describe node shows its pods and allocations; top shows reported usage', async (t) => {
  const res = await cluster.tctl(['describe', 'node', 'node-2']);
  t.is(res.code, 0, res.stderr);
  t.regex(res.stdout, /^Non-terminated Pods:\s+\(\d+ in total\)$/m);
  t.regex(res.stdout, /^ {2}default\s+spread-\d/m);
  t.regex(res.stdout, /^ {2}cpu\s+\d+m \(\d+%\)/m);
  const top = await eventually('node usage', async () => {
    const r = await cluster.tctl(['top', 'nodes']);
    return r.code === 0 ? r.stdout : undefined;
  }, 30_000);
  t.regex(top, /^NAME\s+CPU\(cores\)\s+CPU%\s+MEMORY\(bytes\)\s+MEMORY%$/m);
  t.regex(top, /^node-1\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%$/m);
  const topPods = await eventually('pod usage', async () => {
    const r = await cluster.tctl(['top', 'pods', '-l', 'e2e=spread']);
    return r.code === 0 && r.stdout.split('\n').length >= 7 ? r.stdout : undefined;
  }, 30_000);
  t.regex(topPods, /^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)$/m);
  t.regex(topPods, /^spread-1\s+\d+m\s+\d+Mi$/m);
});

test.serial('an agent killed and started again adopts its pods: same processes, same restart counts', async (t) => {
  const before = await pods('e2e=spread');
  const onNode2 = before.filter((p) => p.spec.nodeName === 'node-2');
  const pidsBefore = onNode2.map((p) => processesRunning(['sleep', `${3600 + Number(p.metadata.name.split('-')[1])}`])[0]);
  const agent = (await cluster.components()).find((c) => c.name === 'node-2')!;
  process.kill(agent.pid, 'SIGKILL');
  const start = await cluster.tctl(['cluster', 'start-node', 'node-2']);
  t.is(start.code, 0, start.stderr);
  await new Promise((r) => setTimeout(r, 2000));
  const after = await pods('e2e=spread');
  for (const [i, p] of onNode2.entries()) {
    const now = after.find((x) => x.metadata.name === p.metadata.name)!;
    t.is(now.metadata.uid, p.metadata.uid);
    t.is(now.status.phase, 'Running');
    t.is(now.status.containerStatuses?.[0]?.restartCount, p.status.containerStatuses?.[0]?.restartCount);
    const pids = processesRunning(['sleep', `${3600 + Number(p.metadata.name.split('-')[1])}`]);
    t.deepEqual(pids, [pidsBefore[i]!], 'the same process, no duplicate');
  }
});

test.serial('stop-node kills the agent and every container it ran, as a crash; start-node brings it back', async (t) => {
  const onNode3 = (await pods('e2e=spread')).filter((p) => p.spec.nodeName === 'node-3').map((p) => Number(p.metadata.name.split('-')[1]));
  t.true(onNode3.length > 0);
  const stop = await cluster.tctl(['cluster', 'stop-node', 'node-3']);
  t.is(stop.code, 0, stop.stderr);
  for (const i of onNode3) t.deepEqual(processesRunning(['sleep', `${3600 + i}`]), [], `sleep ${3600 + i} should be gone`);
  t.is((await cluster.components()).find((c) => c.name === 'node-3')?.state, 'stopped');
  const start = await cluster.tctl(['cluster', 'start-node', 'node-3']);
  t.is(start.code, 0, start.stderr);
  t.regex(start.stdout, /node-3 is Ready/);
});
