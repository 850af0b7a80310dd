// The scheduler benchmark: the real scheduling cycle (framework, in-tree plugins, default
// profile, cache, queue) in one process against a generated cluster. There is no API server:
// the binder confirms each binding straight into the cache, as the informer would on seeing
// the bound pod. It checks every placement (no node over-committed, node selectors and
// taints honoured) and exits non-zero if one is wrong.
//
//   npm run bench:scheduler -- [--scenario all|basic|NAME] --nodes 5000 --pods 10000 [--seed 1] [--percentage 0] [--config FILE]
//
// `basic` is the mixed workload below; the other scenarios (perf-scenarios.ts,
// preemption-scenarios.ts) are Kubernetes' scheduler_perf workloads for inter-pod affinity,
// topology spreading and preemption, printed beside Kubernetes' thresholds; LoadAwareScoring
// (load-aware-scenario.ts) counts where 100 pods go when requests lie. `all` (the default)
// runs basic, then each of them.
import os from 'node:os';
import type { Node, Pod, ReplicaSet, Taint } from '@tugboat/api';
import { SchedulerCache } from '../cache.js';
import { loadConfig } from '../config.js';
import { Framework } from '../framework/framework.js';
import { NO_OBJECTS, type ObjectListers } from '../framework/snapshot.js';
import type { Profile } from '../framework/profile.js';
import { PERF_SCENARIOS, perfNodes, perfPods, type PerfScenario } from './perf-scenarios.js';
import { LOAD_AWARE_SCENARIO, loadAwareCluster, loadAwareKind, loadAwarePods } from './load-aware-scenario.js';
import { PREEMPTION_SCENARIOS, defaultPod, highPriorityPod, lowPriorityPod, type PreemptionScenario } from './preemption-scenarios.js';
import type { PodInfo } from '../framework/pod-info.js';
import { DEFAULT_PROFILE } from '../framework/profile.js';
import { IN_TREE_REGISTRY } from '../plugins/registry.js';
import { toleratedBy } from '../plugins/taint-toleration/tolerations.js';
import { SchedulingQueue } from '../queue.js';
import { ScheduleOne, type Binder, type Preemptor, type Reporter } from '../schedule-one.js';

interface Args { nodes: number; pods: number; seed: number; percentage: number | undefined; config: string; scenario: string }

const SCENARIO_NAMES = [...PERF_SCENARIOS, ...PREEMPTION_SCENARIOS, LOAD_AWARE_SCENARIO].map((s) => s.name);
const USAGE = `usage: [--scenario all|basic|${SCENARIO_NAMES.join('|')}] --nodes N --pods N [--seed N] [--percentage P] [--config FILE]`;

function parseArgs(argv: string[]): Args {
  const args: Args = { nodes: 5000, pods: 10000, seed: 1, percentage: undefined, config: '', scenario: 'all' };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const value = inline ?? argv[++i];
    const bad = (): never => {
      console.error(`scheduler-bench: bad flag ${flag}${value === undefined ? '' : ` ${value}`} (${USAGE})`);
      process.exit(2);
    };
    if (value === undefined) bad();
    switch (flag) {
      case '--config': args.config = value!; break;
      case '--scenario':
        if (value !== 'all' && value !== 'basic' && !SCENARIO_NAMES.includes(value!)) bad();
        args.scenario = value!;
        break;
      case '--nodes':
      case '--pods':
      case '--seed':
      case '--percentage': {
        const n = Number(value);
        if (!Number.isFinite(n) || n < 0) bad();
        args[flag.slice(2) as 'nodes' | 'pods' | 'seed' | 'percentage'] = Math.floor(n);
        break;
      }
      default: bad();
    }
  }
  return args;
}

// A small seeded PRNG (mulberry32): the same cluster every run for the same seed.
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NODE_SIZES = [
  { cpu: '4', memory: '16Gi', cpuMilli: 4000, memBytes: 16 * 2 ** 30 },
  { cpu: '8', memory: '32Gi', cpuMilli: 8000, memBytes: 32 * 2 ** 30 },
  { cpu: '16', memory: '64Gi', cpuMilli: 16000, memBytes: 64 * 2 ** 30 },
  { cpu: '32', memory: '128Gi', cpuMilli: 32000, memBytes: 128 * 2 ** 30 },
];
const CPU_REQUESTS = [['100m', 100], ['250m', 250], ['500m', 500], ['1', 1000], ['2', 2000]] as const;
const MEMORY_REQUESTS = [['128Mi', 128 * 2 ** 20], ['256Mi', 256 * 2 ** 20], ['512Mi', 512 * 2 ** 20], ['1Gi', 2 ** 30], ['2Gi', 2 * 2 ** 30]] as const;
const ZONES = ['zone-a', 'zone-b', 'zone-c'];
const MAX_PODS = 110;
const GPU_TAINT: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
const SPOT_TAINT: Taint = { key: 'spot', value: 'true', effect: 'PreferNoSchedule' };

interface GeneratedNode { node: Node; cpuMilli: number; memory: number }
interface GeneratedPod { pod: Pod; cpuMilli: number; memory: number }

function generateNodes(n: number, rand: () => number): GeneratedNode[] {
  const out: GeneratedNode[] = [];
  for (let i = 0; i < n; i++) {
    const size = NODE_SIZES[Math.floor(rand() * NODE_SIZES.length)]!;
    const name = `node-${i + 1}`;
    const labels: Record<string, string> = { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'topology.kubernetes.io/zone': ZONES[i % ZONES.length]! };
    const taints: Taint[] = [];
    const r = rand();
    if (r < 0.05) { labels['accelerator'] = 'gpu'; taints.push(GPU_TAINT); }
    else if (r < 0.08) taints.push(SPOT_TAINT);
    if (rand() < 0.3) labels['disktype'] = 'ssd';
    out.push({
      cpuMilli: size.cpuMilli,
      memory: size.memBytes,
      node: {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name, labels },
        spec: taints.length ? { taints } : {},
        status: {
          capacity: { cpu: size.cpu, memory: size.memory, pods: String(MAX_PODS) },
          allocatable: { cpu: size.cpu, memory: size.memory, pods: String(MAX_PODS) },
          conditions: [{ type: 'Ready', status: 'True' }],
        },
      },
    });
  }
  return out;
}

function generatePods(n: number, rand: () => number): GeneratedPod[] {
  const out: GeneratedPod[] = [];
  for (let i = 0; i < n; i++) {
    const [cpu, cpuMilli] = CPU_REQUESTS[Math.floor(rand() * CPU_REQUESTS.length)]!;
    const [memory, memBytes] = MEMORY_REQUESTS[Math.floor(rand() * MEMORY_REQUESTS.length)]!;
    const noRequests = rand() < 0.05;
    const spec: NonNullable<Pod['spec']> = {
      schedulerName: 'default-scheduler',
      containers: [{ name: 'app', image: 'busybox', ...(noRequests ? {} : { resources: { requests: { cpu, memory } } }) }],
    };
    const r = rand();
    if (r < 0.05) {
      spec.nodeSelector = { accelerator: 'gpu' };
      spec.tolerations = [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }];
    } else if (r < 0.15) {
      spec.nodeSelector = { disktype: 'ssd' };
    } else if (r < 0.2) {
      spec.affinity = { nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone-a', 'zone-b'] }] }] },
        preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: 'disktype', operator: 'Exists' }] } }],
      } };
    }
    // Half the pods belong to ReplicaSets of 20, which the default topology spread constraints spread.
    const rs = `rs-${Math.floor(i / 40)}`;
    const owner = i % 2 === 0 ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs, uid: `uid-${rs}`, controller: true }] : undefined;
    out.push({
      cpuMilli: noRequests ? 0 : cpuMilli,
      memory: noRequests ? 0 : memBytes,
      pod: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `pod-${i + 1}`, namespace: 'default', uid: `uid-pod-${i + 1}`, ...(owner ? { ownerReferences: owner, labels: { rs } } : {}) },
        spec,
      },
    });
  }
  return out;
}

/** Independent of the cache: recomputes every node's load from the placements. */
function verify(nodes: GeneratedNode[], pods: GeneratedPod[], placement: Map<string, string>): string[] {
  const problems: string[] = [];
  const byName = new Map(nodes.map((n) => [n.node.metadata!.name!, { ...n, cpu: 0, mem: 0, count: 0 }]));
  for (const p of pods) {
    const nodeName = placement.get(`default/${p.pod.metadata!.name!}`);
    if (!nodeName) continue;
    const n = byName.get(nodeName);
    if (!n) { problems.push(`pod ${p.pod.metadata!.name} placed on unknown node ${nodeName}`); continue; }
    n.cpu += p.cpuMilli;
    n.mem += p.memory;
    n.count++;
    for (const [k, v] of Object.entries(p.pod.spec?.nodeSelector ?? {})) {
      if (n.node.metadata?.labels?.[k] !== v) problems.push(`pod ${p.pod.metadata!.name} on ${nodeName} breaks its nodeSelector ${k}=${v}`);
    }
    for (const t of n.node.spec?.taints ?? []) {
      if (t.effect !== 'PreferNoSchedule' && !toleratedBy(p.pod.spec?.tolerations, t)) problems.push(`pod ${p.pod.metadata!.name} on ${nodeName} does not tolerate ${t.key}=${t.value}`);
    }
  }
  for (const [name, n] of byName) {
    if (n.cpu > n.cpuMilli) problems.push(`node ${name} over-committed: cpu ${n.cpu}m > ${n.cpuMilli}m`);
    if (n.mem > n.memory) problems.push(`node ${name} over-committed: memory ${n.mem} > ${n.memory}`);
    if (n.count > MAX_PODS) problems.push(`node ${name} over-committed: ${n.count} pods > ${MAX_PODS}`);
  }
  return problems;
}

/** ReplicaSets named by the generated pods' owners, each selecting `rs: <name>`. */
function replicaSetListers(): ObjectListers {
  return {
    ...NO_OBJECTS,
    replicaSet: (namespace: string, name: string): ReplicaSet => ({
      apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name, namespace },
      spec: { selector: { matchLabels: { rs: name } }, template: {} },
    }),
  };
}

interface Run {
  placement: Map<string, string>; seconds: number; cpuSeconds: number; cycles: number; unschedulable: number; failed: number; left: string;
  /** Preemptions carried out, and the pods they evicted (from earlier runs too). */
  preemptions: number; evicted: Set<string>;
}

interface ScheduleExtras {
  /** While scheduling, a pod from `next` every `everyMs` of wall time (scheduler_perf's churn op). */
  churn?: { everyMs: number; next(): Pod };
}

/** The real cycle over `pods` against the cache, binding straight into the cache. */
async function schedule(cache: SchedulerCache, profile: Profile, listers: ObjectListers, pods: readonly Pod[], rand: () => number, extras: ScheduleExtras = {}): Promise<Run> {
  // The queue's clock runs ahead of the wall clock by the back-off waits skipped below.
  let skipped = 0;
  const now = (): number => Date.now() + skipped;
  const queue = new SchedulingQueue({ now });
  const framework = new Framework(profile, IN_TREE_REGISTRY, { now, snapshot: cache, listers, nominator: queue.nominator, random: rand });
  const placement = new Map<string, string>();
  // In place of the API server's Bind and the informer event that follows it: confirm the
  // assumed pod in the cache as bound.
  const binder: Binder = {
    bind(pod: PodInfo, nodeName: string): Promise<void> {
      placement.set(pod.key, nodeName);
      cache.addPod({ ...pod.pod, spec: { ...pod.pod.spec!, nodeName } } as Pod);
      return Promise.resolve();
    },
  };
  let unschedulable = 0;
  let failed = 0;
  const reporter: Reporter = {
    scheduled: () => {},
    unschedulable: () => { unschedulable++; },
    failed: (_p, message) => { failed++; if (failed <= 5) console.error(message); },
  };
  // In place of the deletes and the informer's delete events that follow: the victims leave
  // the cache at once, and the parked pods are retried.
  let preemptions = 0;
  const evicted = new Set<string>();
  const preemptor: Preemptor = {
    preempt(_pod, _node, victims) {
      preemptions++;
      for (const v of victims) {
        cache.removePod(v.pod);
        placement.delete(v.key);
        evicted.add(v.key);
      }
      queue.moveAllToActiveOrBackoff();
    },
  };
  const cycle = new ScheduleOne({ framework, cache, queue, binder, reporter, preemptor, random: rand, now });
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  for (const p of pods) queue.add(p);
  let cycles = 0;
  const churn = extras.churn;
  let nextChurn = churn ? started + churn.everyMs : Infinity;
  for (;;) {
    while (cycle.scheduleOne()) {
      // Let the bindings' promise callbacks run now and then, as the event loop would.
      if (++cycles % 1000 === 0) await new Promise<void>((r) => setImmediate(r));
      if (churn && performance.now() >= nextChurn) {
        queue.add(churn.next());
        nextChurn += churn.everyMs;
      }
    }
    await cycle.waitForBindings();
    // A preemptor waits in back-off (1 s and up) for its victims to go; here they went at once,
    // so move the queue's clock on rather than sleep through it.
    if (queue.counts().backoff === 0) break;
    skipped += 1_000;
    queue.flush();
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const counts = queue.counts();
  const left = `active ${counts.active}, backoff ${counts.backoff}, unschedulable ${counts.unschedulable}`;
  return { placement, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, cycles, unschedulable, failed, left, preemptions, evicted };
}

function newCache(nodes: readonly Node[]): SchedulerCache {
  const cache = new SchedulerCache();
  const now = Date.now();
  for (const n of nodes) {
    cache.addNode(n);
    cache.setNodeLease(n.metadata!.name!, { renewTimeMs: now, durationMs: 3_600_000 });
  }
  return cache;
}

async function runBasic(args: Args, profile: Profile): Promise<boolean> {
  const rand = prng(args.seed);
  const nodes = generateNodes(args.nodes, rand);
  const pods = generatePods(args.pods, rand);
  const cache = newCache(nodes.map((n) => n.node));
  const profileLine = [...profile.filter].join(', ') + ' | ' + profile.score.map((s) => `${s.name}×${s.weight}`).join(', ');
  console.log(`== basic`);
  console.log(`cluster: ${args.nodes} nodes (4–32 cpu, 5% tainted dedicated=gpu:NoSchedule, 3% spot:PreferNoSchedule, 30% disktype=ssd), ${args.pods} pods (100m–2 cpu, 128Mi–2Gi; 5% gpu selector+toleration, 10% ssd selector, 5% zone affinity; half in ReplicaSets of 20, spread by the default constraints)`);
  console.log(`profile: ${profileLine}; feasible nodes sought per cycle: ${profile.percentageOfNodesToScore === 0 ? 'adaptive (Kubernetes\' percentageOfNodesToScore rule)' : `${profile.percentageOfNodesToScore}%`}`);
  console.log('binding: in-memory assume/confirm in the cache (no API server involved)');
  const run = await schedule(cache, profile, replicaSetListers(), pods.map((p) => p.pod), rand);
  const problems = verify(nodes, pods, run.placement);
  // CPU time next to wall time shows whether other processes competed for the cores.
  console.log(`cpu time: ${run.cpuSeconds.toFixed(2)} s (${Math.round(run.placement.size / run.cpuSeconds)} pods per cpu-second)`);
  console.log(`cycles: ${run.cycles}, unschedulable: ${run.unschedulable}, errors: ${run.failed}, left in queue: ${run.left}`);
  if (problems.length > 0) {
    for (const p of problems.slice(0, 20)) console.error(`FAIL: ${p}`);
    console.error(`FAIL: ${problems.length} placement problem(s)`);
    return false;
  }
  console.log('check: no node over-committed; every nodeSelector and NoSchedule taint honoured');
  console.log(`scheduled ${run.placement.size} pods on ${args.nodes} nodes in ${run.seconds.toFixed(2)} s: ${Math.round(run.placement.size / run.seconds)} pods/s`);
  return true;
}

async function runPerf(s: PerfScenario, profile: Profile, seed: number): Promise<boolean> {
  const rand = prng(seed);
  const nodes = perfNodes(s);
  const zoneOf = new Map(nodes.map((n) => [n.metadata!.name!, n.metadata!.labels!['topology.kubernetes.io/zone']!]));
  const cache = newCache(nodes);
  const init = await schedule(cache, profile, NO_OBJECTS, perfPods(s.init, s.initPods, 'init-'), rand);
  const run = await schedule(cache, profile, NO_OBJECTS, perfPods(s.measure, s.measurePods, ''), rand);
  const placed = new Map([...init.placement, ...run.placement]);
  const problems = [...s.check(placed, zoneOf)];
  if (init.placement.size !== s.initPods) problems.push(`${s.initPods - init.placement.size} init pods not placed`);
  if (run.placement.size !== s.measurePods) problems.push(`${s.measurePods - run.placement.size} measured pods not placed (${run.left})`);
  const rate = run.placement.size / run.seconds;
  console.log(`== ${s.name} (${s.upstream}): ${s.nodes} nodes, ${s.initPods} init + ${s.measurePods} measured pods`);
  console.log(`${Math.round(rate)} pods/s (cpu ${Math.round(run.placement.size / run.cpuSeconds)} pods per cpu-second); kube-scheduler threshold ${s.threshold} pods/s, goal 10× = ${s.threshold * 10}: ${(rate / s.threshold).toFixed(1)}× ${rate >= s.threshold * 10 ? 'met' : 'NOT met'}`);
  for (const p of problems.slice(0, 10)) console.error(`FAIL: ${p}`);
  return problems.length === 0;
}

/** CPU of a scenario pod by its name (preemption-scenarios.ts' templates). */
function scenarioPodCpu(key: string): number {
  if (key.includes('/low-')) return 900;
  if (key.includes('/high-')) return 3000;
  return 100;
}

async function runPreemption(s: PreemptionScenario, profile: Profile, seed: number): Promise<boolean> {
  const rand = prng(seed);
  const nodes = perfNodes({ nodes: s.nodes, zones: ['zone1'] });
  const cache = newCache(nodes);
  const init = await schedule(cache, profile, NO_OBJECTS, Array.from({ length: s.initPods }, (_, i) => lowPriorityPod(i + 1)), rand);
  let churned = 0;
  const measured = s.measured === 'preemptors'
    ? Array.from({ length: s.measurePods }, (_, i) => highPriorityPod(i + 1))
    : Array.from({ length: s.measurePods }, (_, i) => defaultPod(i + 1));
  const run = await schedule(cache, profile, NO_OBJECTS, measured, rand,
    s.churnIntervalMs ? { churn: { everyMs: s.churnIntervalMs, next: () => highPriorityPod(++churned) } } : {});
  const isMeasured = (key: string): boolean => key.startsWith(s.measured === 'preemptors' ? 'default/high-' : 'default/pod-');
  const placedMeasured = [...run.placement.keys()].filter(isMeasured).length;
  const placedPreemptors = [...run.placement.keys()].filter((k) => k.startsWith('default/high-')).length;

  // Independent of the cache: every node's cpu from what is placed and not evicted.
  const problems: string[] = [];
  const cpu = new Map<string, number>();
  for (const [key, node] of [...init.placement, ...run.placement]) {
    if (run.evicted.has(key)) continue;
    cpu.set(node, (cpu.get(node) ?? 0) + scenarioPodCpu(key));
  }
  for (const [node, m] of cpu) if (m > 4000) problems.push(`node ${node} over-committed: cpu ${m}m > 4000m`);
  if (init.placement.size !== s.initPods) problems.push(`${s.initPods - init.placement.size} init pods not placed`);
  if (placedMeasured !== s.measurePods) problems.push(`${s.measurePods - placedMeasured} measured pods not placed (${run.left})`);
  if (placedPreemptors !== run.preemptions) problems.push(`${run.preemptions} preemptions but ${placedPreemptors} preemptors placed`);
  for (const key of run.evicted) if (!key.startsWith('default/low-')) problems.push(`${key} was preempted but is not a low-priority pod`);

  const rate = placedMeasured / run.seconds;
  console.log(`== ${s.name} (${s.upstream}): ${s.nodes} nodes, ${s.initPods} low-priority init pods, ${s.measurePods} measured ${s.measured === 'preemptors' ? 'high-priority pods' : `default pods with a high-priority pod every ${s.churnIntervalMs} ms`}`);
  console.log(`preemptions: ${run.preemptions} (${run.evicted.size} victims, ${(run.evicted.size / Math.max(run.preemptions, 1)).toFixed(1)} per preemptor); cycles: ${run.cycles}; back-off waits skipped: the victims' deletes are seen at once`);
  const against = s.threshold === undefined
    ? 'upstream sets no threshold for this workload'
    : `kube-scheduler threshold ${s.threshold} pods/s: ${(rate / s.threshold).toFixed(1)}×`;
  console.log(`${Math.round(rate)} pods/s (cpu ${Math.round(placedMeasured / run.cpuSeconds)} pods per cpu-second); ${against}`);
  for (const p of problems.slice(0, 10)) console.error(`FAIL: ${p}`);
  return problems.length === 0;
}

/** The same 100 pods with and without NodeResourcesLoadAware: how many each kind of node got. */
async function runLoadAware(profile: Profile, seed: number): Promise<boolean> {
  const s = LOAD_AWARE_SCENARIO;
  const place = async (p: Profile): Promise<Record<'busy' | 'idle', number>> => {
    const { nodes, running } = loadAwareCluster(new Date());
    const cache = newCache(nodes);
    for (const pod of running) cache.addPod(pod);
    const run = await schedule(cache, p, NO_OBJECTS, loadAwarePods(), prng(seed));
    const got = { busy: 0, idle: 0 };
    for (const node of run.placement.values()) got[loadAwareKind(node)]++;
    return got;
  };
  const withPlugin = await place(profile);
  const without = await place({ ...profile, score: profile.score.filter((w) => w.name !== 'NodeResourcesLoadAware') });
  console.log(`== ${s.name}: ${s.nodes} nodes of 4 cpu / 16Gi, each running ${s.runningPerNode} pods requesting ${s.request.cpu} / ${s.request.memory}; on the ${s.nodes / 2} busy nodes each uses ${s.busyUse.cpu}, on the ${s.nodes / 2} idle ones ${s.idleUse.cpu} (agents' usage reports); ${s.placements} pods of 100m / 128Mi placed`);
  const enabled = profile.score.some((w) => w.name === 'NodeResourcesLoadAware');
  console.log(`with NodeResourcesLoadAware${enabled ? '' : ' (not in this profile)'}: busy nodes ${withPlugin.busy}, idle nodes ${withPlugin.idle} of ${s.placements}`);
  console.log(`without it (requests alone): busy nodes ${without.busy}, idle nodes ${without.idle} of ${s.placements}`);
  const problems: string[] = [];
  if (withPlugin.busy + withPlugin.idle !== s.placements || without.busy + without.idle !== s.placements) problems.push('not every pod was placed');
  if (enabled && withPlugin.idle < 2 * withPlugin.busy) problems.push(`the idle nodes got ${withPlugin.idle}, not clearly more than the busy ones' ${withPlugin.busy}`);
  for (const p of problems) console.error(`FAIL: ${p}`);
  return problems.length === 0;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const base = args.config ? loadConfig(args.config).profile : DEFAULT_PROFILE;
  const profile = args.percentage === undefined ? base : { ...base, percentageOfNodesToScore: args.percentage };
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`);
  let ok = true;
  if (args.scenario === 'all' || args.scenario === 'basic') ok = (await runBasic(args, profile)) && ok;
  for (const s of PERF_SCENARIOS) {
    if (args.scenario === 'all' || args.scenario === s.name) ok = (await runPerf(s, profile, args.seed)) && ok;
  }
  for (const s of PREEMPTION_SCENARIOS) {
    if (args.scenario === 'all' || args.scenario === s.name) ok = (await runPreemption(s, profile, args.seed)) && ok;
  }
  if (args.scenario === 'all' || args.scenario === LOAD_AWARE_SCENARIO.name) ok = (await runLoadAware(profile, args.seed)) && ok;
  if (!ok) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : String(e));
  process.exit(1);
});
