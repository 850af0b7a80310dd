// One scheduling cycle, top to bottom, as Kubernetes' schedule_one.go:
//
//   pop a pod → PreFilter → Filter over nodes (stop early once enough fit) → PreScore →
//   Score → NormalizeScore → weighted sum → pick the best (ties at random) → assume it on
//   the node in the cache → Reserve → bind asynchronously (the next cycle starts at once).
//   No node fits → PostFilter (preemption): nominate a node, evict victims there (async, by
//   the Preemptor), park the pod until they are gone.
//
// Everything up to the bind is synchronous: while a cycle runs, no informer event can change
// the cache under it, and the assumed pod is accounted before the next cycle looks.
import type { CycleState } from './framework/cycle-state.js';
import { CycleState as NewCycleState } from './framework/cycle-state.js';
import type { Framework } from './framework/framework.js';
import type { NodeInfo } from './framework/node-info.js';
import type { PodInfo } from './framework/pod-info.js';
import { SUCCESS, type Status } from './framework/status.js';
import type { PostFilterResult } from './framework/interfaces.js';
import type { SchedulerCache } from './cache.js';
import type { QueuedPodInfo, SchedulingQueue } from './queue.js';

/** Writes the decision to the API server (or, in the benchmark, straight to the cache). */
export interface Binder {
  bind(pod: PodInfo, nodeName: string): Promise<void>;
}

export type BindFailure = 'gone' | 'retry';

/** What to do with the pod's status.nominatedNodeName along with its Unschedulable condition. */
export type Nomination = { readonly nodeName: string } | 'clear' | undefined;

/** Tells users what happened (pod conditions, events, logs). Must not throw. */
export interface Reporter {
  scheduled(pod: PodInfo, nodeName: string): void;
  unschedulable(pod: PodInfo, message: string, diagnosis: ReadonlyMap<string, Status>, nomination?: Nomination): void;
  failed(pod: PodInfo, message: string): void;
}

/** Carries out a preemption decision (the API server's deletes, or the benchmark's cache).
 *  Must not throw; its work may finish after the cycle. */
export interface Preemptor {
  preempt(preemptor: PodInfo, nodeName: string, victims: readonly PodInfo[], clearNominated: readonly PodInfo[]): void;
}

export type AttemptResult = 'scheduled' | 'unschedulable' | 'error';

export interface CycleMetrics {
  attempt(result: AttemptResult, seconds: number): void;
  binding(seconds: number): void;
  /** A PostFilter ran; `victims` when it nominated a node. */
  preemptionAttempt?(victims: number | undefined): void;
}

export type ScheduleResult =
  | { kind: 'scheduled'; nodeName: string; evaluatedNodes: number; feasibleNodes: number }
  | { kind: 'unschedulable'; message: string; diagnosis: ReadonlyMap<string, Status>; postFilter?: PostFilterResult }
  | { kind: 'error'; message: string };

export interface ScheduleOneOptions {
  framework: Framework;
  cache: SchedulerCache;
  queue: SchedulingQueue;
  binder: Binder;
  reporter: Reporter;
  /** Acts on preemption decisions; without one, PostFilter does not run. */
  preemptor?: Preemptor;
  metrics?: CycleMetrics;
  /** Wall clock, ms since the epoch (leases are compared with it). */
  now?: () => number;
  /** [0, 1), for breaking ties between equally good nodes. */
  random?: () => number;
  /** Classifies a bind error: 'gone' (pod deleted or already bound: drop it) or 'retry'. */
  classifyBindError?: (err: unknown) => BindFailure;
}

/** Kubernetes never stops filtering before this many feasible nodes. */
export const MIN_FEASIBLE_NODES_TO_FIND = 100;
/** Kubernetes' adaptive percentage: 50% minus 1% per 125 nodes, at least 5%. */
export const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

export class ScheduleOne {
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly classify: (err: unknown) => BindFailure;
  // Where the next cycle starts walking the node list, so early stops do not always favour
  // the same nodes.
  private nextStartNodeIndex = 0;
  // Buffers reused by every cycle: the hot loop allocates nothing per node.
  private feasible: NodeInfo[] = [];
  private verdicts: Status[] = [];
  private totals = new Float64Array(256);
  private readonly inFlightBindings = new Set<Promise<void>>();

  constructor(private readonly o: ScheduleOneOptions) {
    this.now = o.now ?? Date.now;
    this.random = o.random ?? Math.random;
    this.classify = o.classifyBindError ?? (() => 'retry');
  }

  /** Runs one cycle for the next active pod; false when none was waiting. */
  scheduleOne(): boolean {
    const { queue, cache, framework, reporter } = this.o;

    const qp = queue.pop();
    if (!qp) return false;
    const pod = qp.podInfo;
    const podCycle = queue.currentCycle();
    const started = performance.now();
    const state = new NewCycleState(this.now());

    const result = this.schedulePod(state, pod);
    switch (result.kind) {
      case 'unschedulable': {
        const nomination = this.actOnPostFilter(pod, result.postFilter);
        // Parked until something changes — for a preemptor, until its victims are gone.
        queue.addUnschedulable(qp, podCycle);
        this.observe('unschedulable', started);
        const extra = result.postFilter?.code === 'unschedulable' ? ` ${result.postFilter.message}` : '';
        reporter.unschedulable(pod, result.message + extra, result.diagnosis, nomination);
        return true;
      }
      case 'error':
        queue.addBackoff(qp);
        this.observe('error', started);
        reporter.failed(pod, result.message);
        return true;
      case 'scheduled':
        break;
    }

    // Assume before binding: the next cycle must see this node's resources as taken.
    const nodeName = result.nodeName;
    cache.assumePod(pod, nodeName);
    queue.nominator.delete(pod.key);
    const reserved = framework.runReserve(state, pod, nodeName);
    if (reserved.code !== 'success') {
      cache.forgetPod(pod.key);
      queue.addBackoff(qp);
      this.observe('error', started);
      reporter.failed(pod, `reserve on node ${nodeName} failed: ${reserved.reasons.join(', ')}`);
      return true;
    }
    this.observe('scheduled', started);

    const binding = this.bindingCycle(state, qp, nodeName);
    this.inFlightBindings.add(binding);
    void binding.finally(() => this.inFlightBindings.delete(binding));
    return true;
  }

  /** Filter → score → pick, for one pod, against the cache as it is. No side effects on the
   *  cache or queue (plugins may write to `state`). */
  schedulePod(state: CycleState, pod: PodInfo): ScheduleResult {
    const { cache, framework } = this.o;
    const nodes = cache.nodes();
    const numNodes = nodes.length;
    if (numNodes === 0) return { kind: 'unschedulable', message: 'no nodes available to schedule pods', diagnosis: new Map() };

    const pre = framework.runPreFilter(state, pod);
    switch (pre.status.code) {
      case 'success':
      case 'skip':
        break;
      case 'error':
        return { kind: 'error', message: `pre-filter ${pre.status.plugin ?? ''}: ${pre.status.reasons.join(', ')}` };
      case 'unschedulable':
      case 'unresolvable': {
        // The pod cannot fit on any node, for one reason: say it once, as Kubernetes does
        // for PreFilter rejections, rather than counting it per node.
        const diagnosis = new Map(nodes.map((n) => [n.name, pre.status]));
        return { kind: 'unschedulable', message: `0/${numNodes} nodes are available: ${pre.status.reasons.join(', ')}.`, diagnosis };
      }
    }

    // Filter, stopping once enough nodes fit (big clusters need not look at every node).
    // Rejections are only turned into a diagnosis when no node fits, so a rejected node
    // costs one array write.
    const want = numFeasibleNodesToFind(numNodes, framework.profile.percentageOfNodesToScore);
    // Buffers sized once (and grown with the cluster), written by index: no per-cycle garbage.
    if (this.feasible.length < numNodes) {
      this.feasible = new Array<NodeInfo>(numNodes).fill(nodes[0]!);
      this.verdicts = new Array<Status>(numNodes).fill(SUCCESS);
    }
    const feasible = this.feasible;
    const verdicts = this.verdicts;
    let found = 0;
    let processed = 0;
    const start = this.nextStartNodeIndex % numNodes;
    // Pods nominated by preemptions hold their room (checked per node only when there are any).
    const nominated = framework.hasNominatedPods();
    for (; processed < numNodes && found < want; processed++) {
      let i = start + processed;
      if (i >= numNodes) i -= numNodes;
      const node = nodes[i]!;
      const status = nominated ? framework.runFilterWithNominatedPods(state, pod, node, pre.filters) : framework.runFilter(state, pod, node, pre.filters);
      if (status.code === 'success') {
        feasible[found++] = node;
      } else if (status.code === 'error') {
        return { kind: 'error', message: `filter ${status.plugin ?? ''} on node ${node.name}: ${status.reasons.join(', ')}` };
      }
      verdicts[processed] = status;
    }
    this.nextStartNodeIndex = (start + processed) % numNodes;

    if (found === 0) {
      // Every node was looked at and rejected: maybe preemption can make room.
      const diagnosis = new Map<string, Status>();
      for (let k = 0; k < processed; k++) diagnosis.set(nodes[(start + k) % numNodes]!.name, verdicts[k]!);
      const message = fitErrorMessage(numNodes, diagnosis.values());
      const postFilter = this.o.preemptor ? framework.runPostFilter(state, pod, diagnosis) : undefined;
      if (postFilter?.code === 'error') return { kind: 'error', message: `${message} ${postFilter.message}` };
      return { kind: 'unschedulable', message, diagnosis, ...(postFilter ? { postFilter } : {}) };
    }
    if (found === 1 || !framework.hasScorePlugins()) {
      return { kind: 'scheduled', nodeName: feasible[0]!.name, evaluatedNodes: processed, feasibleNodes: found };
    }

    // Score the feasible nodes: each plugin, normalized, weighted, summed.
    const pre2 = framework.runPreScore(state, pod, feasible, found);
    if (pre2.status.code !== 'success') return { kind: 'error', message: pre2.status.reasons.join(', ') };
    if (this.totals.length < found) this.totals = new Float64Array(Math.max(found, this.totals.length * 2));
    framework.runScore(state, pod, feasible, found, pre2.scorers, this.totals);

    const best = selectHost(this.totals, found, this.random);
    return { kind: 'scheduled', nodeName: feasible[best]!.name, evaluatedNodes: processed, feasibleNodes: found };
  }

  /** Bindings started and not yet answered. */
  bindingsInFlight(): number {
    return this.inFlightBindings.size;
  }

  /** Resolves once fewer than `max` bindings are in flight. */
  async bindingSlot(max: number): Promise<void> {
    while (this.inFlightBindings.size >= max) await Promise.race(this.inFlightBindings);
  }

  /** Hands a preemption decision to the Preemptor and keeps the nominator in step; returns
   *  what the pod's status.nominatedNodeName should become. */
  private actOnPostFilter(pod: PodInfo, r: PostFilterResult | undefined): Nomination {
    const { queue, preemptor, metrics } = this.o;
    if (!r) return undefined;
    switch (r.code) {
      case 'nominated':
        metrics?.preemptionAttempt?.(r.victims.length);
        queue.nominator.add(pod, r.nodeName);
        for (const p of r.clearNominated) queue.nominator.delete(p.key);
        preemptor?.preempt(pod, r.nodeName, r.victims, r.clearNominated);
        return { nodeName: r.nodeName };
      case 'unschedulable':
        metrics?.preemptionAttempt?.(undefined);
        if (!r.clearNomination || (queue.nominator.nodeOf(pod.key) === undefined && !pod.pod.status?.nominatedNodeName)) return undefined;
        queue.nominator.delete(pod.key);
        return 'clear';
      case 'error':
        metrics?.preemptionAttempt?.(undefined);
        return undefined;
    }
  }

  /** Resolves when every binding started so far has finished. */
  async waitForBindings(): Promise<void> {
    while (this.inFlightBindings.size > 0) await Promise.allSettled([...this.inFlightBindings]);
  }

  private async bindingCycle(state: CycleState, qp: QueuedPodInfo, nodeName: string): Promise<void> {
    const { binder, cache, queue, framework, reporter, metrics } = this.o;
    const pod = qp.podInfo;
    const started = performance.now();
    try {
      // Awaited only when a PreBind plugin has work for this pod: otherwise the bind starts in this very turn.
      const preBind = framework.runPreBind(state, pod, nodeName);
      const pre = preBind instanceof Promise ? await preBind : preBind;
      if (pre.code !== 'success') throw new Error(`${pre.plugin ?? 'PreBind'}: ${pre.reasons.join(', ')}`);
      await binder.bind(pod, nodeName);
    } catch (e) {
      // Undo the assumption; retry later unless the pod is gone or bound by someone else.
      framework.runUnreserve(state, pod, nodeName);
      cache.forgetPod(pod.key);
      const message = `binding pod ${pod.key} to node ${nodeName} failed: ${e instanceof Error ? e.message : String(e)}`;
      if (this.classify(e) === 'gone') queue.done(pod.key);
      else queue.addBackoff(qp);
      metrics?.attempt('error', (performance.now() - started) / 1000);
      reporter.failed(pod, message);
      return;
    }
    cache.finishBinding(pod.key);
    queue.done(pod.key);
    metrics?.binding((performance.now() - started) / 1000);
    reporter.scheduled(pod, nodeName);
  }

  private observe(result: AttemptResult, started: number): void {
    this.o.metrics?.attempt(result, (performance.now() - started) / 1000);
  }
}

/**
 * How many feasible nodes a cycle looks for before it stops filtering (Kubernetes'
 * numFeasibleNodesToFind): every node below 100 nodes; otherwise `percentage` of them
 * (0: adaptive, 50% - 1% per 125 nodes, at least 5%), and never fewer than 100.
 */
export function numFeasibleNodesToFind(numNodes: number, percentage: number): number {
  if (numNodes < MIN_FEASIBLE_NODES_TO_FIND) return numNodes;
  let p = percentage;
  if (p <= 0) p = Math.max(50 - Math.floor(numNodes / 125), MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND);
  if (p >= 100) return numNodes;
  return Math.max(Math.floor((numNodes * p) / 100), MIN_FEASIBLE_NODES_TO_FIND);
}

/** The index of the highest total; among equal totals each is equally likely (reservoir sampling). */
export function selectHost(totals: Float64Array, count: number, random: () => number): number {
  let best = 0;
  let max = totals[0]!;
  let ties = 1;
  for (let i = 1; i < count; i++) {
    const t = totals[i]!;
    if (t > max) {
      max = t;
      best = i;
      ties = 1;
    } else if (t === max) {
      ties++;
      if (random() * ties < 1) best = i;
    }
  }
  return best;
}

/**
 * `0/3 nodes are available: 2 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: gpu}.`
 * Each node counts once per reason of the status that rejected it. Kubernetes sorts the
 * "count reason" strings as text; we sort by count (most first), then by reason, which reads
 * the same when counts are equal and puts the commonest reason first otherwise.
 */
export function fitErrorMessage(numAllNodes: number, statuses: Iterable<Status>): string {
  const counts = new Map<string, number>();
  for (const s of statuses) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  const parts = [...counts].sort(([ra, a], [rb, b]) => b - a || (ra < rb ? -1 : ra > rb ? 1 : 0)).map(([r, n]) => `${n} ${r}`);
  return parts.length > 0 ? `0/${numAllNodes} nodes are available: ${parts.join(', ')}.` : `0/${numAllNodes} nodes are available.`;
}
