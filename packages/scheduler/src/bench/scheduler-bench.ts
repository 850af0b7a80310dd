// The scheduler benchmark: the real scheduling cycle (framework, in-tree plugins, default
// profile, cache, queue) in one process against a generated cluster. There is no API server:
// the binder confirms each binding straight into the cache, as the informer would on seeing
// the bound pod. It checks every placement (no node over-committed, node selectors and
// taints honoured) and exits non-zero if one is wrong.
//
//   npm run bench:scheduler -- --nodes 5000 --pods 10000 [--seed 1] [--percentage 0] [--config FILE]
import os from 'node:os';
import type { Node, Pod, Taint } from '@tugboat/api';
import { SchedulerCache } from '../cache.js';
import { loadConfig } from '../config.js';
import { Framework } from '../framework/framework.js';
import type { PodInfo } from '../framework/pod-info.js';
import { DEFAULT_PROFILE } from '../framework/profile.js';
import { IN_TREE_REGISTRY } from '../plugins/registry.js';
import { toleratedBy } from '../plugins/taint-toleration/tolerations.js';
import { SchedulingQueue } from '../queue.js';
import { ScheduleOne, type Binder, type Reporter } from '../schedule-one.js';

interface Args { nodes: number; pods: number; seed: number; percentage: number | undefined; config: string }

const USAGE = 'usage: --nodes N --pods N [--seed N] [--percentage P] [--config FILE]';

function parseArgs(argv: string[]): Args {
  const args: Args = { nodes: 5000, pods: 10000, seed: 1, percentage: undefined, config: '' };
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
    // Half the pods belong to "ReplicaSets" of 20, which spreading scores.
    const owner = i % 2 === 0 ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `rs-${Math.floor(i / 40)}`, uid: `uid-rs-${Math.floor(i / 40)}`, controller: true }] : undefined;
    out.push({
      cpuMilli: noRequests ? 0 : cpuMilli,
      memory: noRequests ? 0 : memBytes,
      pod: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `pod-${i + 1}`, namespace: 'default', uid: `uid-pod-${i + 1}`, ...(owner ? { ownerReferences: owner } : {}) },
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

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const rand = prng(args.seed);
  const nodes = generateNodes(args.nodes, rand);
  const pods = generatePods(args.pods, rand);
  const now = Date.now();

  const cache = new SchedulerCache();
  for (const n of nodes) {
    cache.addNode(n.node);
    cache.setNodeLease(n.node.metadata!.name!, { renewTimeMs: now, durationMs: 3_600_000 });
  }
  const queue = new SchedulingQueue();
  const base = args.config ? loadConfig(args.config).profile : DEFAULT_PROFILE;
  const profile = args.percentage === undefined ? base : { ...base, percentageOfNodesToScore: args.percentage };
  const framework = new Framework(profile, IN_TREE_REGISTRY, { now: Date.now });

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
  const cycle = new ScheduleOne({ framework, cache, queue, binder, reporter, random: rand });

  const profileLine = [...profile.filter].join(', ') + ' | ' + profile.score.map((s) => `${s.name}×${s.weight}`).join(', ');
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`);
  console.log(`cluster: ${args.nodes} nodes (4–32 cpu, 5% tainted dedicated=gpu:NoSchedule, 3% spot:PreferNoSchedule, 30% disktype=ssd), ${args.pods} pods (100m–2 cpu, 128Mi–2Gi; 5% gpu selector+toleration, 10% ssd selector, 5% zone affinity; half in owners of 20)`);
  console.log(`profile: ${profileLine}; feasible nodes sought per cycle: ${profile.percentageOfNodesToScore === 0 ? 'adaptive (Kubernetes\' percentageOfNodesToScore rule)' : `${profile.percentageOfNodesToScore}%`}`);
  console.log('binding: in-memory assume/confirm in the cache (no API server involved)');

  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  for (const p of pods) queue.add(p.pod);
  let cycles = 0;
  while (cycle.scheduleOne()) {
    // Let the bindings' promise callbacks run now and then, as the event loop would.
    if (++cycles % 1000 === 0) await new Promise<void>((r) => setImmediate(r));
  }
  await cycle.waitForBindings();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;

  const problems = verify(nodes, pods, placement);
  const counts = queue.counts();
  // CPU time next to wall time shows whether other processes competed for the cores.
  console.log(`cpu time: ${cpuSeconds.toFixed(2)} s (${Math.round(placement.size / cpuSeconds)} pods per cpu-second)`);
  console.log(`cycles: ${cycles}, unschedulable: ${unschedulable}, errors: ${failed}, left in queue: active ${counts.active}, backoff ${counts.backoff}, unschedulable ${counts.unschedulable}`);
  if (problems.length > 0) {
    for (const p of problems.slice(0, 20)) console.error(`FAIL: ${p}`);
    console.error(`FAIL: ${problems.length} placement problem(s)`);
    process.exitCode = 1;
  } else {
    console.log('check: no node over-committed; every nodeSelector and NoSchedule taint honoured');
  }
  console.log(`scheduled ${placement.size} pods on ${args.nodes} nodes in ${seconds.toFixed(2)} s: ${Math.round(placement.size / seconds)} pods/s`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : String(e));
  process.exit(1);
});
