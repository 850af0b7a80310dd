// Density benchmark, shaped like ClusterLoader2's density test: how fast the whole control
// plane turns Deployments into Running pods on many (hollow) nodes.
//
//   npm run bench:density -- --nodes N --pods P [--deployments D] [--nodes-per-agent K]
//                            [--request cpu=1m,memory=1Mi] [--timeout 600]
//                            [--lease-interval 10s] [--lease-renew-interval 60s] [--node-status-interval 60s]
//                            [--node-monitor-grace-period 40s] [--apiserver-arg --FLAG=VALUE]
//                            [--list-probe SECONDS] [--idle SECONDS] [--idle-settle SECONDS]
//
// It brings up the real local control plane as a user does (`tctl cluster up --nodes 0
// --random-ports` in its own $TUGBOAT_HOME: etcd, API server, scheduler, controllers), then N
// hollow nodes in ceil(N/K) processes of `tugboat-agent --hollow K` (fake runtime; the admin
// kubeconfig, since one credential acts for all of a process's nodes), and waits for every
// Node to be Ready. Heartbeats are at Kubernetes' pace by default (a heartbeat every 10 s, the
// Lease itself written every 60 s, node status every 60 s, a node unreachable after 40 s of silence). Then it applies D Deployments of P pods in all, with requests so
// small that capacity never binds, and a pod informer timestamps each pod when it is first
// seen (created), bound (spec.nodeName) and Running. Halfway it times `tctl get pods -A` and
// `tctl get nodes`. It reports:
//   pods/s from the first apply until all P pods are Running;
//   startup latency (created → Running, both as the watch sees them) p50/p90/p99, and its halves;
//   API request latency p50/p99 per verb, from the API server's own histogram (the run's delta);
//   peak RSS (VmHWM) and CPU seconds of every component, etcd and the hollow agents;
//   etcd writes per pod (etcd revisions during the run / P; heartbeats included, and their
//   idle rate shown; the idle cluster's CPU shares and API requests/s are measured over --idle
//   seconds (10), after --idle-settle seconds (0) past the last node's Ready: a settle of
//   a status interval or more gives the steady state, once every node's first writes are done);
// and last: `density: P pods Running on N hollow nodes in T s: R pods/s; startup p99 X s;
// control plane RSS M MB` (control plane: API server + scheduler + controllers).
// Exits 1 when a node holds more than its allocatable (requests or pod count) or the pods are
// not all Running within --timeout seconds (it then reports what it got), 2 on an error.
// Everything is torn down on the way out (also on an error and on Ctrl-C).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { aggregatePodAmount, ApiError, Informer, parseQuantity, sleep, type Container, type KubeObject, type Node, type Pod } from '@tugboat/api';
import { startLocalCluster, type LocalClusterHandle } from '../harness/cluster.js';
import { BenchRun, runBench } from '../harness/bench-run.js';
import { HOLLOW_NODE_CAPACITY, HollowAgents, sleepDeployment, waitForReadyNodes } from '../harness/hollow.js';

interface Args {
  nodes: number;
  pods: number;
  deployments: number;
  nodesPerAgent: number;
  request: { cpu: string; memory: string };
  timeoutSeconds: number;
  leaseInterval: string;
  leaseRenewInterval: string;
  nodeStatusInterval: string;
  nodeMonitorGracePeriod: string;
  apiserverWorkers: number;
  /** One more API server flag (tctl cluster up --apiserver-arg), e.g. --list-from-cache=false to compare. */
  apiserverArg: string | undefined;
  /**
   * Seconds between the bench's own list probes (every pod, every node), 0 for none (the
   * default): a probe that lists 10,000 pods every second is load of its own on the API
   * server the run measures (see docs/benchmarks.md).
   */
  listProbeSeconds: number;
  idleSeconds: number;
  idleSettleSeconds: number;
}

const USAGE = 'flags: --nodes N, --pods P, --apiserver-workers N, --apiserver-arg --FLAG=VALUE, --list-probe SECONDS, --idle SECONDS, --idle-settle SECONDS, --deployments D, --nodes-per-agent K, --request cpu=Q,memory=Q, --timeout SECONDS, --lease-interval D, --lease-renew-interval D, --node-status-interval D, --node-monitor-grace-period D';

function parseArgs(argv: readonly string[]): Args {
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? '';
    const value = argv[++i];
    if (!flag.startsWith('--') || value === undefined) throw new Error(`expected --flag value, got ${JSON.stringify(flag)} (${USAGE})`);
    given.set(flag.slice(2), value);
  }
  const positive = (name: string, fallback: number): number => {
    const text = given.get(name);
    given.delete(name);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a positive integer, got ${JSON.stringify(text)}`);
    return n;
  };
  const nodes = positive('nodes', 100);
  const pods = positive('pods', 1000);
  const deployments = positive('deployments', Math.ceil(pods / 1000));
  const nodesPerAgent = positive('nodes-per-agent', 500);
  const timeoutSeconds = positive('timeout', 600);
  const apiserverWorkers = positive('apiserver-workers', 1);
  /** Seconds, 0 or more (0 when not given). */
  const seconds = (name: string, expected: string): number => {
    const text = given.get(name);
    given.delete(name);
    const n = text === undefined ? 0 : Number(text);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name}: expected ${expected}, got ${JSON.stringify(text)}`);
    return n;
  };
  const listProbeSeconds = seconds('list-probe', 'seconds (0: none)');
  const idleSeconds = positive('idle', 10);
  const idleSettleSeconds = seconds('idle-settle', 'seconds');
  const request = { cpu: '1m', memory: '1Mi' };
  const requestText = given.get('request');
  given.delete('request');
  for (const item of (requestText ?? '').split(',').filter(Boolean)) {
    const [name, value] = item.split('=');
    if ((name !== 'cpu' && name !== 'memory') || !value) throw new Error(`--request: expected cpu=Q,memory=Q, got ${JSON.stringify(item)}`);
    parseQuantity(value);
    request[name] = value;
  }
  const leaseInterval = given.get('lease-interval') ?? '10s';
  const leaseRenewInterval = given.get('lease-renew-interval') ?? '60s';
  given.delete('lease-renew-interval');
  const nodeStatusInterval = given.get('node-status-interval') ?? '60s';
  const nodeMonitorGracePeriod = given.get('node-monitor-grace-period') ?? '40s';
  given.delete('lease-interval');
  given.delete('node-status-interval');
  given.delete('node-monitor-grace-period');
  const apiserverArg = given.get('apiserver-arg');
  given.delete('apiserver-arg');
  const unknown = [...given.keys()];
  if (unknown.length) throw new Error(`unknown flag --${unknown[0]} (${USAGE})`);
  if (deployments > pods) throw new Error(`--deployments ${deployments} is more than --pods ${pods}`);
  return { nodes, pods, deployments, nodesPerAgent, request, timeoutSeconds, leaseInterval, leaseRenewInterval, nodeStatusInterval, nodeMonitorGracePeriod, apiserverWorkers, apiserverArg, listProbeSeconds, idleSeconds, idleSettleSeconds };
}

type PodItem = Pod & KubeObject;
type NodeItem = Node & KubeObject;

const NAMESPACE = 'density';
const NODE_CAPACITY = HOLLOW_NODE_CAPACITY;
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

const say = (line: string): void => { process.stdout.write(`${line}\n`); };
const secondsSince = (t0: number): number => (performance.now() - t0) / 1000;

// ---- processes: CPU and memory from /proc -------------------------------------------------

interface Proc { name: string; pid: number }
interface ProcSample { cpuSeconds: number; hwmMB: number }

function readOneProc(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After "pid (comm) ": field 3 (state) is index 0, utime (14) index 11, stime (15) index 12.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwmKb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
    return { cpuSeconds, hwmMB: hwmKb / 1024 };
  } catch {
    return undefined;
  }
}

/** A process's children (the API server's workers), from /proc/PID/task/TID/children. */
function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
      try {
        return readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}

/**
 * A component's CPU and peak RSS with its child processes (an API server with --workers is a
 * primary and its workers): CPU summed; peak RSS the sum of each process's peak, an upper bound.
 */
function readProc(pid: number): ProcSample | undefined {
  const own = readOneProc(pid);
  if (!own) return undefined;
  for (const child of childPids(pid)) {
    const c = readProc(child);
    if (c) { own.cpuSeconds += c.cpuSeconds; own.hwmMB += c.hwmMB; }
  }
  return own;
}

function sampleAll(procs: readonly Proc[]): Map<string, ProcSample> {
  const out = new Map<string, ProcSample>();
  for (const p of procs) {
    // The bench's own children are the hollow agents, counted on their own rows.
    const s = p.name === 'bench' ? readOneProc(p.pid) : readProc(p.pid);
    if (s) out.set(p.name, s);
  }
  return out;
}

/** "apiserver 97%, etcd 12%, …": each process's share of one core between two samples. */
function cpuShares(procs: readonly Proc[], before: Map<string, ProcSample>, after: Map<string, ProcSample>, seconds: number): string {
  const agentsCpu = (m: Map<string, ProcSample>): number => procs.filter((p) => p.name.startsWith('hollow-')).reduce((s, p) => s + (m.get(p.name)?.cpuSeconds ?? 0), 0);
  const parts = procs.filter((p) => !p.name.startsWith('hollow-')).map((p) => {
    const d = (after.get(p.name)?.cpuSeconds ?? 0) - (before.get(p.name)?.cpuSeconds ?? 0);
    return `${p.name} ${(100 * d / seconds).toFixed(0)}%`;
  });
  parts.push(`hollow agents ${(100 * (agentsCpu(after) - agentsCpu(before)) / seconds).toFixed(0)}%`);
  return parts.join(', ');
}

// ---- the API server's histograms ----------------------------------------------------------

/** label value (verb, operation) → cumulative count per upper bound, summed over other labels. */
type Histogram = Map<string, Map<number, number>>;

function parseHistogram(text: string, metric: string, by: readonly string[]): Histogram {
  const out: Histogram = new Map();
  const line = new RegExp(`^${metric}_bucket\\{([^}]*)\\} (\\S+)$`, 'gm');
  for (const m of text.matchAll(line)) {
    const labels = new Map([...(m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    const parts = by.map((l) => labels.get(l));
    const le = labels.get('le');
    if (parts.some((p) => p === undefined) || le === undefined) continue;
    const key = parts.join(' ');
    const bound = le === '+Inf' ? Infinity : Number(le);
    const buckets = out.get(key) ?? new Map<number, number>();
    buckets.set(bound, (buckets.get(bound) ?? 0) + Number(m[2]));
    out.set(key, buckets);
  }
  return out;
}

/** Prometheus' histogram_quantile over after − before: linear within the bucket. */
function bucketQuantile(buckets: readonly (readonly [number, number])[], q: number): number {
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total === 0) return NaN;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      if (bound === Infinity) return prevBound; // beyond the last finite bucket: its bound is a floor
      return prevBound + ((bound - prevBound) * (rank - prevCount)) / Math.max(count - prevCount, 1e-9);
    }
    prevBound = bound;
    prevCount = count;
  }
  return prevBound;
}

/** One line per key (sorted by name, or the `top` busiest), with its count, rate, p50 and p99. */
function histogramLines(before: Histogram, after: Histogram, seconds: number, top?: number): string[] {
  const lines: [number, string][] = [];
  for (const [key, buckets] of [...after].sort((a, b) => a[0].localeCompare(b[0]))) {
    const prior = before.get(key);
    const delta = [...buckets].map(([bound, count]) => [bound, count - (prior?.get(bound) ?? 0)] as const).sort((a, b) => a[0] - b[0]);
    const total = delta.at(-1)?.[1] ?? 0;
    if (total === 0) continue;
    const lastFinite = delta.filter(([b]) => b !== Infinity).at(-1)?.[0] ?? 0;
    const ms = (q: number): string => {
      const v = bucketQuantile(delta, q);
      return v >= lastFinite ? `> ${(lastFinite * 1000).toFixed(0)} ms` : `${(v * 1000).toFixed(1)} ms`;
    };
    lines.push([total, `  ${key.padEnd(top ? 30 : 14)} ${String(total).padStart(8)} (${(total / seconds).toFixed(0).padStart(5)}/s)  p50 ${ms(0.5)}, p99 ${ms(0.99)}`]);
  }
  return top ? lines.sort((a, b) => b[0] - a[0]).slice(0, top).map((l) => l[1]) : lines.map((l) => l[1]);
}

/** A counter's value summed by one label ('' sums everything), from a /metrics text. */
/** A counter summed by the values of labels `by` (joined with a space; none: one total under ''). */
function counterBy(text: string, metric: string, by: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(new RegExp(`^${metric}\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
    const labels = new Map([...(m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    const key = by.map((name) => labels.get(name) ?? '').join(' ');
    out.set(key, (out.get(key) ?? 0) + Number(m[2]));
  }
  return out;
}

/** A counter's growth between two scrapes, by labels `by`: only what grew, the most first. */
function counterDelta(before: string, after: string, metric: string, by: readonly string[]): [string, number][] {
  const b = counterBy(before, metric, by);
  return [...counterBy(after, metric, by)].map(([k, v]) => [k, v - (b.get(k) ?? 0)] as [string, number]).filter(([, v]) => v > 0).sort((x, y) => y[1] - x[1]);
}

/** Where the run's lists were answered: the list cache or etcd (and why), and the cache's waits. */
function listSourceLines(before: string, after: string, seconds: number): string[] {
  const cache = counterDelta(before, after, 'apiserver_cache_list_total', []).reduce((s, [, v]) => s + v, 0);
  const etcd = counterDelta(before, after, 'apiserver_storage_list_total', ['reason']);
  const lines = [`  from the list cache ${cache}; from etcd ${etcd.reduce((s, [, v]) => s + v, 0)}${etcd.length ? ` (${etcd.map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`];
  const wait = histogramLines(parseHistogram(before, 'apiserver_watch_cache_read_wait_seconds', []), parseHistogram(after, 'apiserver_watch_cache_read_wait_seconds', []), seconds);
  for (const l of wait) lines.push(`  waits for the cache to reach the revision asked:${l.slice(2)}`);
  return lines;
}

/** `apiserver_request_total` between two scrapes, per verb and resource, as "VERB resource N/s" (busiest first, over 0.5/s). */
function requestRates(before: string, after: string, seconds: number): string {
  const rates = counterDelta(before, after, 'apiserver_request_total', ['verb', 'resource']).map(([k, n]) => [k, n / seconds] as const).filter(([, r]) => r >= 0.5);
  return rates.map(([k, r]) => `${k} ${r.toFixed(0)}`).join(', ') || 'none';
}

async function scrape(httpAddress: string): Promise<string> {
  const res = await fetch(`http://${httpAddress}/metrics`);
  if (!res.ok) throw new Error(`GET http://${httpAddress}/metrics: ${res.status}`);
  return res.text();
}

// ---- etcd ---------------------------------------------------------------------------------

function etcdStatus(cluster: LocalClusterHandle): { revision: number; dbSizeMB: number } {
  const out = JSON.parse(cluster.etcdctl('endpoint', 'status', '-w', 'json')) as { Status: { header: { revision: number }; dbSize: number } }[];
  const s = out[0]?.Status;
  if (!s) throw new Error('etcdctl endpoint status: no status');
  return { revision: s.header.revision, dbSizeMB: s.dbSize / 2 ** 20 };
}

// ---- pods: what the watch saw -------------------------------------------------------------

interface PodTimes { created: number; scheduled?: number; running?: number }

class PodTracker {
  readonly times = new Map<string, PodTimes>();
  running = 0;
  scheduled = 0;
  lastCreated = 0;
  lastScheduled = 0;
  lastRunning = 0;

  observe(pod: PodItem): void {
    const uid = pod.metadata?.uid;
    if (!uid || pod.metadata?.namespace !== NAMESPACE || pod.metadata.deletionTimestamp) return;
    const now = performance.now();
    let t = this.times.get(uid);
    if (!t) {
      t = { created: now };
      this.times.set(uid, t);
      this.lastCreated = now;
    }
    if (t.scheduled === undefined && pod.spec?.nodeName) {
      t.scheduled = now;
      this.scheduled++;
      this.lastScheduled = now;
    }
    if (t.running === undefined && pod.status?.phase === 'Running') {
      t.running = now;
      this.running++;
      this.lastRunning = now;
    }
  }
}

/** Seconds at the quantile of unsorted millisecond samples. */
function quantileSeconds(samples: number[], q: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! / 1000;
}

function latencyLine(label: string, samples: number[]): string {
  const f = (q: number): string => quantileSeconds(samples, q).toFixed(2);
  return `  ${label.padEnd(22)} p50 ${f(0.5)} s, p90 ${f(0.9)} s, p99 ${f(0.99)} s, max ${f(1)} s (${samples.length} pods)`;
}

// ---- capacity: no node holds more than it has --------------------------------------------

function quantityOf(list: Record<string, unknown> | undefined, name: string, milli: boolean): number {
  const raw = list?.[name];
  if (raw === undefined || raw === null) return 0;
  const q = parseQuantity(raw as string | number);
  return milli ? q.milliValue() : q.value();
}

/** Kubernetes' rule (aggregatePodAmount), plus overhead. */
function podRequest(pod: PodItem, name: 'cpu' | 'memory'): number {
  const milli = name === 'cpu';
  const of = (c: Container): number => quantityOf(c.resources?.requests as Record<string, unknown> | undefined, name, milli);
  return aggregatePodAmount(pod.spec, of) + quantityOf(pod.spec?.overhead as Record<string, unknown> | undefined, name, milli);
}

/** From the informers' caches: a list of every pod may time out on a loaded API server. */
function capacityViolations(nodes: readonly NodeItem[], pods: readonly PodItem[]): string[] {
  const used = new Map<string, { cpu: number; memory: number; pods: number }>();
  for (const p of pods) {
    const node = p.spec?.nodeName;
    if (!node || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
    const u = used.get(node) ?? { cpu: 0, memory: 0, pods: 0 };
    u.cpu += podRequest(p, 'cpu');
    u.memory += podRequest(p, 'memory');
    u.pods++;
    used.set(node, u);
  }
  const out: string[] = [];
  const known = new Set<string>();
  for (const n of nodes) {
    const name = n.metadata?.name ?? '';
    known.add(name);
    const u = used.get(name);
    if (!u) continue;
    const alloc = (n.status?.allocatable ?? n.status?.capacity) as Record<string, unknown> | undefined;
    const cpu = quantityOf(alloc, 'cpu', true);
    const memory = quantityOf(alloc, 'memory', false);
    const podsMax = quantityOf(alloc, 'pods', false);
    if (u.cpu > cpu) out.push(`${name}: cpu requests ${u.cpu}m > allocatable ${cpu}m`);
    if (u.memory > memory) out.push(`${name}: memory requests ${u.memory} > allocatable ${memory}`);
    if (u.pods > podsMax) out.push(`${name}: ${u.pods} pods > allocatable ${podsMax}`);
  }
  for (const name of used.keys()) if (!known.has(name)) out.push(`${name}: pods bound to a node that does not exist`);
  return out;
}

// ---- the run ------------------------------------------------------------------------------

const run = new BenchRun();

function startAgents(cluster: LocalClusterHandle, args: Args): Proc[] {
  run.agents = HollowAgents.start(cluster, {
    nodes: args.nodes, nodesPerAgent: args.nodesPerAgent, capacity: NODE_CAPACITY,
    leaseInterval: args.leaseInterval, leaseRenewInterval: args.leaseRenewInterval, nodeStatusInterval: args.nodeStatusInterval,
  });
  return [...run.agents.processes];
}

async function timeTctl(cluster: LocalClusterHandle, args: string[]): Promise<string> {
  const t0 = performance.now();
  const res = await cluster.tctl(args, undefined, 120_000).catch((e: unknown) => ({ code: -1, stdout: '', stderr: e instanceof Error ? e.message : String(e) }));
  const s = secondsSince(t0);
  const rows = res.stdout.split('\n').filter(Boolean).length - 1;
  return res.code === 0 ? `tctl ${args.join(' ')}: ${s.toFixed(2)} s (${rows} rows)` : `tctl ${args.join(' ')}: FAILED after ${s.toFixed(2)} s: ${res.stderr.trim().split('\n')[0] ?? ''}`;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const cpus = os.cpus();
  say(`machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`);
  const agentCount = Math.ceil(args.nodes / args.nodesPerAgent);
  say(`settings: ${args.nodes} hollow nodes in ${agentCount} tugboat-agent --hollow process(es) (capacity ${NODE_CAPACITY}; --lease-interval ${args.leaseInterval} --lease-renew-interval ${args.leaseRenewInterval} --node-status-interval ${args.nodeStatusInterval}; admin kubeconfig); ` +
    `controllers --node-monitor-grace-period ${args.nodeMonitorGracePeriod}; apiserver --workers ${args.apiserverWorkers}; ` +
    `${args.pods} pods as ${args.deployments} Deployment(s), requests cpu ${args.request.cpu} memory ${args.request.memory}; timeout ${args.timeoutSeconds} s`);

  const upStart = performance.now();
  // Kubernetes' pairing: a Lease renewed every 10 s, a node unreachable after 40 s of silence
  // (Tugboat's default grace of 10 s suits its own 2 s renewals, and would flap hollow nodes).
  run.starting = startLocalCluster({ nodes: 0, args: ['--node-monitor-grace-period', args.nodeMonitorGracePeriod, ...(args.apiserverWorkers > 1 ? [`--apiserver-arg=--workers=${args.apiserverWorkers}`] : []), ...(args.apiserverArg ? [`--apiserver-arg=${args.apiserverArg}`] : [])] });
  const cluster = await run.starting;
  run.cluster = cluster;
  const client = cluster.client();
  run.onCleanup(() => client.close());
  const components = await cluster.components();
  const api = components.find((c) => c.role === 'apiserver');
  if (!api?.addresses['http']) throw new Error('tctl cluster status: no API server HTTP address');
  const apiHttp = api.addresses['http'];
  say(`cluster: tctl cluster up --nodes 0 --random-ports --node-monitor-grace-period ${args.nodeMonitorGracePeriod} in ${secondsSince(upStart).toFixed(1)} s: ${components.map((c) => `${c.name} (pid ${c.pid})`).join(', ')}`);

  // The bench reads the cluster through watches (a list of everything may time out under load):
  // Nodes for readiness and allocatable, every pod for the capacity check, the density pods' times.
  const watchClient = cluster.client();
  run.onCleanup(() => watchClient.close());
  const nodeInformer = new Informer<NodeItem>(watchClient, 'nodes', { onError: (e) => say(`  node watch: ${e.message} (relisting)`) });
  run.onCleanup(() => nodeInformer.stop());
  await nodeInformer.start();
  const tracker = new PodTracker();
  const podInformer = new Informer<PodItem>(watchClient, 'pods', { onError: (e) => say(`  pod watch: ${e.message} (relisting)`) });
  run.onCleanup(() => podInformer.stop());
  podInformer.onAdd((p) => tracker.observe(p)).onUpdate((_, p) => tracker.observe(p));
  await podInformer.start();

  const procs: Proc[] = components.filter((c) => c.state === 'running').map((c) => ({ name: c.name, pid: c.pid }));
  procs.push(...startAgents(cluster, args));
  // Its own share of the machine too (the pod informer, the polling).
  procs.push({ name: 'bench', pid: process.pid });
  const nodesSeconds = await waitForReadyNodes(nodeInformer, args.nodes, run.agents!, args.timeoutSeconds, say);
  say(`nodes: ${args.nodes} hollow nodes Ready ${nodesSeconds.toFixed(1)} s after the agents started`);

  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });

  // Heartbeats alone, before any pod: the etcd writes per second an idle cluster of this size makes.
  if (args.idleSettleSeconds > 0) {
    say(`idle: settling ${args.idleSettleSeconds} s first`);
    await sleep(args.idleSettleSeconds * 1000);
  }
  const idleSeconds = args.idleSeconds;
  const idle0 = etcdStatus(cluster);
  const idleProc0 = sampleAll(procs);
  const idleMetrics0 = await scrape(apiHttp);
  await sleep(idleSeconds * 1000);
  const idle1 = etcdStatus(cluster);
  const idleRequests = requestRates(idleMetrics0, await scrape(apiHttp), idleSeconds);
  const idleWritesPerSecond = (idle1.revision - idle0.revision) / idleSeconds;
  say(`idle: ${idleWritesPerSecond.toFixed(0)} etcd writes/s from heartbeats (${idleSeconds} s before the first apply); cpu ${cpuShares(procs, idleProc0, sampleAll(procs), idleSeconds)}`);
  say(`idle: API requests/s ${idleRequests}`);
  const floor = await timeTctl(cluster, ['get', 'namespaces']);
  say(`idle: ${floor} (a tctl process's own start-up, for reference)`);

  // ---- the measured run
  const metricsBefore = await scrape(apiHttp);
  const etcdBefore = etcdStatus(cluster);
  const procBefore = sampleAll(procs);
  const t0 = performance.now();
  const sizes = Array.from({ length: args.deployments }, (_, i) => Math.floor(args.pods / args.deployments) + (i < args.pods % args.deployments ? 1 : 0));
  // An overloaded API server (thousands of nodes) may answer Timeout or Unavailable: try again,
  // as a user would; the run's clock keeps going.
  const applyOnce = async (obj: KubeObject): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.apply(obj, { fieldManager: 'density-bench' });
        return;
      } catch (e) {
        if (!(e instanceof ApiError && (e.reason === 'Timeout' || e.reason === 'Unavailable')) || attempt >= 10) throw e;
        say(`  apply of ${obj.metadata?.name ?? ''}: ${e.message} (attempt ${attempt}; retrying)`);
        await sleep(1000);
      }
    }
  };
  await Promise.all(sizes.map((n, i) => applyOnce(sleepDeployment(`density-${i + 1}`, NAMESPACE, n, args.request))));
  say(`applied ${args.deployments} Deployment(s) in ${secondsSince(t0).toFixed(2)} s`);

  const deadline = t0 + args.timeoutSeconds * 1000;
  let midway: Promise<string[]> | undefined;
  // Once, halfway (by pods Running, or by the clock when the run is slow): is the API still responsive?
  const startMidway = (): void => {
    midway ??= (async () => {
      const at = `t=${secondsSince(t0).toFixed(0)} s, ${tracker.running} Running`;
      const lines = [await timeTctl(cluster, ['get', 'pods', '-A']), await timeTctl(cluster, ['get', 'nodes'])];
      return lines.map((l) => `  ${l} (started at ${at})`);
    })();
  };
  // With --list-probe S, throughout the run, the API's list latency without a tctl process's
  // start-up: the bench's own client lists every pod as tctl does (pages of 500) and every
  // node, then waits S seconds.
  const probes = { pods: [] as number[], nodes: [] as number[], stopped: args.listProbeSeconds === 0 };
  const probing = (async () => {
    while (!probes.stopped) {
      const t = performance.now();
      await watchClient.listAll('pods').then(() => probes.pods.push(performance.now() - t), () => undefined);
      const n = performance.now();
      await watchClient.listAll('nodes').then(() => probes.nodes.push(performance.now() - n), () => undefined);
      await sleep(args.listProbeSeconds * 1000);
    }
  })();
  let lastTick = performance.now();
  let lastSample = procBefore;
  while (tracker.running < args.pods && performance.now() < deadline) {
    await sleep(200);
    if (tracker.running >= args.pods / 2 || performance.now() > t0 + (deadline - t0) / 2) startMidway();
    const dead = run.agents?.dead();
    if (dead) throw dead;
    if (performance.now() - lastTick >= 10_000) {
      const sample = sampleAll(procs);
      const s = (performance.now() - lastTick) / 1000;
      say(`  t=${secondsSince(t0).toFixed(0)} s: ${tracker.times.size} created, ${tracker.scheduled} scheduled, ${tracker.running} Running; cpu ${cpuShares(procs, lastSample, sample, s)}`);
      lastSample = sample;
      lastTick = performance.now();
    }
  }
  const done = tracker.running >= args.pods;
  const runSeconds = secondsSince(t0);
  const elapsed = done ? (tracker.lastRunning - t0) / 1000 : runSeconds;
  const procAfter = sampleAll(procs);
  const etcdAfter = etcdStatus(cluster);
  const metricsAfter = await scrape(apiHttp);
  startMidway();
  const midwayLines = await midway!;
  probes.stopped = true;
  await probing;
  // Again once the midway lists are done, so they are counted among the lists.
  const metricsAfterMidway = await scrape(apiHttp);

  // ---- report
  say('');
  say(done
    ? `result: all ${args.pods} pods Running ${elapsed.toFixed(1)} s after the first apply: ${(args.pods / elapsed).toFixed(1)} pods/s`
    : `result: TIMED OUT after ${args.timeoutSeconds} s: ${tracker.times.size} created, ${tracker.scheduled} scheduled, ${tracker.running} of ${args.pods} Running`);
  const phase = (label: string, count: number, last: number): string => count === 0
    ? `  ${label.padEnd(10)} none`
    : `  ${label.padEnd(10)} ${String(count).padStart(6)}, the last ${((last - t0) / 1000).toFixed(1)} s after the apply (${(count / ((last - t0) / 1000)).toFixed(1)}/s)`;
  say('pods as the watch saw them:');
  say(phase('created', tracker.times.size, tracker.lastCreated));
  say(phase('scheduled', tracker.scheduled, tracker.lastScheduled));
  say(phase('Running', tracker.running, tracker.lastRunning));
  const times = [...tracker.times.values()];
  say('pod startup latency (as the watch saw it):');
  say(latencyLine('created → Running', times.flatMap((t) => (t.running !== undefined ? [t.running - t.created] : []))));
  say(latencyLine('created → scheduled', times.flatMap((t) => (t.scheduled !== undefined ? [t.scheduled - t.created] : []))));
  say(latencyLine('scheduled → Running', times.flatMap((t) => (t.running !== undefined && t.scheduled !== undefined ? [t.running - t.scheduled] : []))));
  const startupP99 = quantileSeconds(times.flatMap((t) => (t.running !== undefined ? [t.running - t.created] : [])), 0.99);

  say(`API requests during the run, by verb (the API server's apiserver_request_duration_seconds; unary calls only):`);
  const requests = (by: string[], top?: number): string[] => histogramLines(
    parseHistogram(metricsBefore, 'apiserver_request_duration_seconds', by), parseHistogram(metricsAfter, 'apiserver_request_duration_seconds', by), runSeconds, top);
  for (const l of requests(['verb'])) say(l);
  say('  the busiest verb and resource:');
  for (const l of requests(['verb', 'resource'], 8)) say(`  ${l}`);
  say(`etcd requests from the API server, by operation (etcd_request_duration_seconds):`);
  for (const l of histogramLines(parseHistogram(metricsBefore, 'etcd_request_duration_seconds', ['operation']), parseHistogram(metricsAfter, 'etcd_request_duration_seconds', ['operation']), runSeconds)) say(l);
  say('lists during the run (apiserver_cache_list_total, apiserver_storage_list_total by reason, apiserver_watch_cache_read_wait_seconds):');
  for (const l of listSourceLines(metricsBefore, metricsAfterMidway, runSeconds)) say(l);

  const writes = etcdAfter.revision - etcdBefore.revision;
  const heartbeatWrites = idleWritesPerSecond * runSeconds;
  const podsForWrites = Math.max(tracker.running, 1);
  say(`etcd: ${writes} writes during the run (revision ${etcdBefore.revision} → ${etcdAfter.revision}): ${(writes / podsForWrites).toFixed(2)} per Running pod; ` +
    `less the idle heartbeat rate (${idleWritesPerSecond.toFixed(0)}/s × ${runSeconds.toFixed(0)} s): ${((writes - heartbeatWrites) / podsForWrites).toFixed(2)} per pod; db ${etcdAfter.dbSizeMB.toFixed(0)} MB`);

  say(`processes: peak RSS (VmHWM), CPU seconds during the run (share of one core) and since start:`);
  const row = (name: string, hwm: number, during: number, total: number): string =>
    `  ${name.padEnd(14)} ${hwm.toFixed(0).padStart(6)} MB  ${during.toFixed(1).padStart(7)} s (${(100 * during / runSeconds).toFixed(0).padStart(3)}%)  ${total.toFixed(1).padStart(7)} s`;
  let controlPlaneMB = 0;
  const agentsTotal = { hwm: 0, during: 0, total: 0 };
  for (const p of procs) {
    const a = procAfter.get(p.name);
    const b = procBefore.get(p.name);
    if (!a) { say(`  ${p.name.padEnd(14)} (gone)`); continue; }
    const during = a.cpuSeconds - (b?.cpuSeconds ?? 0);
    if (p.name.startsWith('hollow-')) {
      agentsTotal.hwm += a.hwmMB;
      agentsTotal.during += during;
      agentsTotal.total += a.cpuSeconds;
    }
    if (p.name === 'apiserver' || p.name === 'scheduler' || p.name === 'controllers') controlPlaneMB += a.hwmMB;
    say(row(p.name, a.hwmMB, during, a.cpuSeconds));
  }
  say(row('hollow (all)', agentsTotal.hwm, agentsTotal.during, agentsTotal.total));
  say(`  control plane (apiserver + scheduler + controllers): ${controlPlaneMB.toFixed(0)} MB peak RSS`);

  say('tctl midway through the run (each a new tctl process):');
  for (const l of midwayLines) say(l);
  const probeLine = (label: string, ms: number[]): string => {
    const f = (q: number): string => quantileSeconds(ms, q).toFixed(2);
    return `  ${label.padEnd(26)} p50 ${f(0.5)} s, p90 ${f(0.9)} s, max ${f(1)} s (${ms.length} lists)`;
  };
  if (args.listProbeSeconds > 0) {
    say(`lists throughout the run (the bench's own gRPC client, then a pause of ${args.listProbeSeconds} s; no tctl start-up):`);
    say(probeLine('pods, all (pages of 500)', probes.pods));
    say(probeLine('nodes', probes.nodes));
  }

  const violations = capacityViolations(nodeInformer.list(), podInformer.list());
  say(violations.length === 0
    ? `capacity: every node within its allocatable (cpu, memory, pods)`
    : `capacity: BROKEN on ${violations.length} node(s): ${violations.slice(0, 10).join('; ')}${violations.length > 10 ? '; …' : ''}`);

  say(done
    ? `density: ${args.pods} pods Running on ${args.nodes} hollow nodes in ${elapsed.toFixed(1)} s: ${(args.pods / elapsed).toFixed(1)} pods/s; startup p99 ${startupP99.toFixed(2)} s; control plane RSS ${controlPlaneMB.toFixed(0)} MB`
    : `density: ${tracker.running} of ${args.pods} pods Running on ${args.nodes} hollow nodes after ${elapsed.toFixed(1)} s (timed out): ${(tracker.running / elapsed).toFixed(1)} pods/s; startup p99 ${Number.isNaN(startupP99) ? '-' : startupP99.toFixed(2)} s; control plane RSS ${controlPlaneMB.toFixed(0)} MB`);
  return done && violations.length === 0 ? 0 : 1;
}

runBench('bench:density', run, main);
