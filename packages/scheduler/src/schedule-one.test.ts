// The scheduling cycle on an in-memory cluster: real framework, plugins, cache and queue; the
// binder writes straight into the cache, as the informer would after a real Bind.
import test from 'ava';
import { FakeClock } from '@tugboat/api';
import type { Node, Pod } from '@tugboat/api';
import { SchedulerCache } from './cache.js';
import { CycleState } from './framework/cycle-state.js';
import { NO_OBJECTS, type ObjectListers } from './framework/snapshot.js';
import { Framework } from './framework/framework.js';
import type { PodInfo } from './framework/pod-info.js';
import { DEFAULT_PROFILE, type Profile } from './framework/profile.js';
import { unschedulable } from './framework/status.js';
import { IN_TREE_REGISTRY } from './plugins/registry.js';
import { SchedulingQueue } from './queue.js';
import { ScheduleOne, fitErrorMessage, numFeasibleNodesToFind, selectHost, type Binder, type BindFailure } from './schedule-one.js';
import { NOW, makeListers, makeNode, makePod, makeReplicaSet, usageAnnotations } from './test-util.js';

interface Cluster {
  cache: SchedulerCache;
  queue: SchedulingQueue;
  cycle: ScheduleOne;
  clock: FakeClock;
  placed: Map<string, string>;
  unschedulable: Map<string, string>;
  failures: string[];
  runAll(): Promise<void>;
  perNode(): Record<string, number>;
}

function cluster(nodes: Node[], opts: { binder?: Binder; profile?: Profile; classify?: (e: unknown) => BindFailure; listers?: ObjectListers } = {}): Cluster {
  const clock = new FakeClock(NOW);
  const cache = new SchedulerCache({ now: () => clock.now() });
  for (const n of nodes) {
    cache.addNode(n);
    cache.setNodeLease(n.metadata!.name!, { renewTimeMs: NOW, durationMs: 40_000 });
  }
  const queue = new SchedulingQueue({ now: () => clock.now() });
  const placed = new Map<string, string>();
  const unsched = new Map<string, string>();
  const failures: string[] = [];
  const binder: Binder = opts.binder ?? {
    async bind(pod: PodInfo, nodeName: string) {
      cache.addPod({ ...pod.pod, spec: { ...pod.pod.spec!, nodeName } } as Pod);
    },
  };
  const framework = new Framework(opts.profile ?? DEFAULT_PROFILE, IN_TREE_REGISTRY, { now: () => clock.now(), snapshot: cache, listers: opts.listers ?? NO_OBJECTS });
  const cycle = new ScheduleOne({
    framework, cache, queue, binder, now: () => clock.now(),
    reporter: {
      scheduled: (p, n) => placed.set(p.key, n),
      unschedulable: (p, m) => unsched.set(p.key, m),
      failed: (_p, m) => failures.push(m),
    },
    ...(opts.classify ? { classifyBindError: opts.classify } : {}),
  });
  return {
    cache, queue, cycle, clock, placed, unschedulable: unsched, failures,
    async runAll() {
      while (cycle.scheduleOne()) { /* one cycle per pod */ }
      await cycle.waitForBindings();
    },
    perNode() {
      const out: Record<string, number> = {};
      for (const n of placed.values()) out[n] = (out[n] ?? 0) + 1;
      return out;
    },
  };
}

test('6 pods of 100m on 3 equal nodes: 2 on each (the least-loaded node wins)', async (t) => {
  const c = cluster([makeNode('node-1'), makeNode('node-2'), makeNode('node-3')]);
  for (let i = 1; i <= 6; i++) c.queue.add(makePod(`web-${i}`, { cpu: '100m' }));
  await c.runAll();
  t.deepEqual(c.perNode(), { 'node-1': 2, 'node-2': 2, 'node-3': 2 });
  t.is(c.cache.getNode('node-1')!.requestedCpuMilli, 200);
  t.false(c.queue.has('default/web-1'), 'bound pods leave the queue');
});

// Issue 11's acceptance for load-aware scoring: node-1's pods burn 1.5 cores beyond their
// requests, node-2's idle pods request the same; 100 pods of 10m follow.
test('over 100 placements the node whose pods burn cpu beyond their requests gets fewer pods than an idle node with the same requests', async (t) => {
  const requests = { cpu: '250m', memory: '256Mi' };
  const usage = (ns: string, cpu: string) => usageAnnotations({ [`${ns}/running-1`]: { cpu, memory: '64Mi' }, [`${ns}/running-2`]: { cpu, memory: '64Mi' } });
  const nodes = (withUsage: boolean) => [
    makeNode('node-1', withUsage ? { annotations: usage('burn', '1') } : {}),
    makeNode('node-2', withUsage ? { annotations: usage('idle', '5m') } : {}),
  ];
  const run = async (profile: Profile, withUsage: boolean): Promise<Record<string, number>> => {
    const c = cluster(nodes(withUsage), { profile });
    for (const [i, node] of ['node-1', 'node-1', 'node-2', 'node-2'].entries()) {
      c.cache.addPod(makePod(`running-${(i % 2) + 1}`, { ...requests, namespace: node === 'node-1' ? 'burn' : 'idle', nodeName: node }));
    }
    for (let i = 1; i <= 100; i++) c.queue.add(makePod(`small-${i}`, { cpu: '10m', memory: '16Mi' }));
    await c.runAll();
    return c.perNode();
  };
  const withPlugin = await run(DEFAULT_PROFILE, true);
  t.true((withPlugin['node-2'] ?? 0) >= 2 * (withPlugin['node-1'] ?? 0), JSON.stringify(withPlugin));
  const without = await run({ ...DEFAULT_PROFILE, score: DEFAULT_PROFILE.score.filter((s) => s.name !== 'NodeResourcesLoadAware') }, true);
  t.true(Math.abs((without['node-1'] ?? 0) - (without['node-2'] ?? 0)) <= 2, `requests alone: even, ${JSON.stringify(without)}`);
  const noReports = await run(DEFAULT_PROFILE, false);
  t.true(Math.abs((noReports['node-1'] ?? 0) - (noReports['node-2'] ?? 0)) <= 2, `no reports: the plugin skips, even, ${JSON.stringify(noReports)}`);
  t.log(`with NodeResourcesLoadAware ${JSON.stringify(withPlugin)}; without ${JSON.stringify(without)}`);
});

test('a pod that fits nowhere gets Kubernetes\' message, counted by reason', async (t) => {
  const c = cluster([
    makeNode('node-1', { cpu: '1' }),
    makeNode('node-2', { cpu: '1' }),
    makeNode('node-3', { cpu: '8', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
  ]);
  c.queue.add(makePod('big', { cpu: '2' }));
  await c.runAll();
  t.is(c.unschedulable.get('default/big'), '0/3 nodes are available: 2 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: gpu}.');
  t.deepEqual(c.queue.counts(), { active: 0, backoff: 0, unschedulable: 1, gated: 0 });
  t.is(c.placed.size, 0);
});

test('a cordoned node gets no new pods', async (t) => {
  const c = cluster([makeNode('node-1'), makeNode('node-2', { unschedulable: true }), makeNode('node-3')]);
  for (let i = 1; i <= 5; i++) c.queue.add(makePod(`p-${i}`, { cpu: '100m' }));
  await c.runAll();
  t.is(c.placed.size, 5);
  t.false([...c.placed.values()].includes('node-2'));
});

test('a nodeSelector is honoured even when the selected node is the busiest', async (t) => {
  const c = cluster([makeNode('node-1'), makeNode('node-2', { labels: { disktype: 'ssd' } }), makeNode('node-3')]);
  c.cache.addPod(makePod('existing', { cpu: '3', nodeName: 'node-2' }));
  c.queue.add(makePod('db', { cpu: '100m', nodeSelector: { disktype: 'ssd' } }));
  await c.runAll();
  t.is(c.placed.get('default/db'), 'node-2');
});

test('only pods tolerating a taint land on the tainted node', async (t) => {
  const gpu = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' as const };
  const c = cluster([makeNode('cpu-1', { cpu: '1' }), makeNode('gpu-1', { cpu: '16', taints: [gpu] })]);
  for (let i = 1; i <= 4; i++) c.queue.add(makePod(`plain-${i}`, { cpu: '100m' }));
  c.queue.add(makePod('trainer', { cpu: '4', tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] }));
  await c.runAll();
  for (let i = 1; i <= 4; i++) t.is(c.placed.get(`default/plain-${i}`), 'cpu-1');
  t.is(c.placed.get('default/trainer'), 'gpu-1');
});

test('a node whose lease expired takes no pods; it is explained', async (t) => {
  const c = cluster([makeNode('node-1'), makeNode('node-2')]);
  c.cache.setNodeLease('node-2', { renewTimeMs: NOW - 41_000, durationMs: 40_000 });
  c.queue.add(makePod('a', { cpu: '100m' }));
  c.queue.add(makePod('b', { cpu: '100m' }));
  await c.runAll();
  t.deepEqual(c.perNode(), { 'node-1': 2 });
  c.cache.setNodeLease('node-1', undefined);
  c.queue.add(makePod('c'));
  await c.runAll();
  t.is(c.unschedulable.get('default/c'), '0/2 nodes are available: 2 node(s) had no live lease.');
});

test('resources are accounted between cycles before any binding returns (assume)', async (t) => {
  // The binder never answers during the cycles: only the cache's assumption prevents
  // putting both pods on the one node that has room for one.
  const pending: (() => void)[] = [];
  const c = cluster([makeNode('node-1', { cpu: '1' })], { binder: { bind: () => new Promise<void>((r) => pending.push(r)) } });
  c.queue.add(makePod('a', { cpu: '600m' }));
  c.queue.add(makePod('b', { cpu: '600m' }));
  while (c.cycle.scheduleOne()) { /* both cycles run before any bind resolves */ }
  t.is(pending.length, 1);
  t.is(c.unschedulable.get('default/b'), '0/1 nodes are available: 1 Insufficient cpu.');
  for (const r of pending) r();
  await c.cycle.waitForBindings();
  t.is(c.placed.get('default/a'), 'node-1');
});

test('a failed bind forgets the assumed pod and retries it after back-off', async (t) => {
  let fail = true;
  const c = cluster([makeNode('node-1')], {
    binder: { async bind() { if (fail) throw new Error('connection refused'); } },
  });
  c.queue.add(makePod('a', { cpu: '500m' }));
  await c.runAll();
  t.is(c.cache.getNode('node-1')!.requestedCpuMilli, 0);
  t.false(c.cache.isAssumed('default/a'));
  t.deepEqual(c.queue.counts(), { active: 0, backoff: 1, unschedulable: 0, gated: 0 });
  t.regex(c.failures[0]!, /binding pod default\/a to node node-1 failed: connection refused/);
  fail = false;
  c.clock.advance(1_000);
  c.queue.flush();
  await c.runAll();
  t.is(c.placed.get('default/a'), 'node-1');
});

test('a bind failing because the pod is gone drops it', async (t) => {
  const c = cluster([makeNode('node-1')], {
    binder: { async bind() { throw new Error('not found'); } },
    classify: () => 'gone',
  });
  c.queue.add(makePod('a'));
  await c.runAll();
  t.false(c.queue.has('default/a'));
  t.is(c.cache.podCount(), 0);
});

test('a pod rejected in PreFilter (a request that does not parse) says why once', async (t) => {
  const c = cluster([makeNode('node-1'), makeNode('node-2')]);
  const bad = makePod('bad');
  c.queue.add({ ...bad, spec: { ...bad.spec!, containers: [{ name: 'app', image: 'busybox', resources: { requests: { cpu: 'lots' } } }] } });
  await c.runAll();
  t.regex(c.unschedulable.get('default/bad')!, /^0\/2 nodes are available: pod default\/bad: spec\.containers\[0\]\.resources\.requests\.cpu: .+\.$/);
});

test('no nodes at all', async (t) => {
  const c = cluster([]);
  c.queue.add(makePod('a'));
  await c.runAll();
  t.is(c.unschedulable.get('default/a'), 'no nodes available to schedule pods');
});

test('big clusters: filtering stops after enough feasible nodes, and the next cycle starts where it stopped', (t) => {
  const nodes = Array.from({ length: 300 }, (_, i) => makeNode(`n-${i}`));
  const c = cluster(nodes, { profile: { ...DEFAULT_PROFILE, percentageOfNodesToScore: 10 } });
  c.queue.add(makePod('a'));
  const qp = c.queue.pop()!;
  const r1 = c.cycle.schedulePod(new CycleState(NOW), qp.podInfo);
  const r2 = c.cycle.schedulePod(new CycleState(NOW), qp.podInfo);
  t.is(r1.kind, 'scheduled');
  if (r1.kind !== 'scheduled' || r2.kind !== 'scheduled') return;
  t.is(r1.evaluatedNodes, 100);
  t.is(r1.feasibleNodes, 100);
  // The second cycle looked at nodes 100..199, so it cannot have picked one of the first 100.
  t.true(Number(r2.nodeName.slice(2)) >= 100 && Number(r2.nodeName.slice(2)) < 200);
});

test('numFeasibleNodesToFind follows Kubernetes\' adaptive rule', (t) => {
  t.is(numFeasibleNodesToFind(50, 0), 50);
  t.is(numFeasibleNodesToFind(100, 0), 100);
  t.is(numFeasibleNodesToFind(1000, 0), 420);
  t.is(numFeasibleNodesToFind(5000, 0), 500);
  t.is(numFeasibleNodesToFind(10000, 0), 500);
  t.is(numFeasibleNodesToFind(5000, 100), 5000);
  t.is(numFeasibleNodesToFind(5000, 1), 100);
});

test('selectHost picks the maximum; ties are broken at random, each equally likely', (t) => {
  t.is(selectHost(Float64Array.from([1, 5, 3]), 3, Math.random), 1);
  const totals = Float64Array.from([7, 9, 9, 2, 9]);
  const seen = new Map<number, number>();
  for (let i = 0; i < 3000; i++) {
    const k = selectHost(totals, 5, Math.random);
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  t.deepEqual([...seen.keys()].sort(), [1, 2, 4]);
  for (const n of seen.values()) t.true(n > 800, `each tie chosen about a third of the time, got ${n}`);
});

test('fitErrorMessage counts each reason of each node, most frequent first', (t) => {
  const cpu = unschedulable('Insufficient cpu');
  const both = unschedulable(['Insufficient cpu', 'Insufficient memory']);
  const cordon = unschedulable('node(s) were unschedulable');
  t.is(fitErrorMessage(5, [cpu, both, cordon, cordon, cpu]), '0/5 nodes are available: 3 Insufficient cpu, 2 node(s) were unschedulable, 1 Insufficient memory.');
  t.is(fitErrorMessage(2, [cordon, unschedulable('Insufficient cpu')]), '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) were unschedulable.');
});

test('pods of one ReplicaSet are spread across nodes (the default topology spread constraints)', async (t) => {
  // Spreading outweighs the small load difference a 10m pod makes.
  const big = { cpu: '64', memory: '256Gi' };
  const c = cluster([makeNode('node-1', big), makeNode('node-2', big), makeNode('node-3', big)], { listers: makeListers({ replicaSets: [makeReplicaSet('web')] }) });
  for (let i = 1; i <= 6; i++) c.queue.add(makePod(`web-${i}`, { cpu: '10m', memory: '10Mi', owner: 'web', labels: { app: 'web' } }));
  await c.runAll();
  t.deepEqual(c.perNode(), { 'node-1': 2, 'node-2': 2, 'node-3': 2 });
});
