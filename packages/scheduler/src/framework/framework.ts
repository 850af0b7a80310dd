// The framework: a profile turned into plugin lists, and the loops that run one extension
// point over them. It knows nothing about queues, caches or the API; schedule-one.ts drives it.
import type { CycleState } from './cycle-state.js';
import {
  NO_NOMINATED_PODS, hasPreFilterExtensions, isFilter, isPostFilter, isPreBind, isPreFilter, isPreScore, isReserve, isScore,
  type FilterPlugin, type FilterRunner, type FrameworkHandle, type NominatedPods, type Plugin, type PostFilterPlugin, type PostFilterResult,
  type PreBindPlugin, type PreFilterExtensions, type PreFilterPlugin, type PreScorePlugin, type Registry, type ReservePlugin, type ScorePlugin,
} from './interfaces.js';
import type { NodeInfo } from './node-info.js';
import type { PodInfo } from './pod-info.js';
import type { Profile } from './profile.js';
import { SUCCESS, errorStatus, withPlugin, type Status } from './status.js';

// The PreFilter plugins that returned skip in this cycle (their extensions do not run either).
const SKIPPED_FILTERS_KEY = 'framework/skipped-filters';
// The filters runPreFilter chose for this pod, for runFilterWithNominatedPods.
const FILTERS_KEY = 'framework/filters';

export interface WeightedScorePlugin {
  readonly plugin: ScorePlugin & Partial<PreScorePlugin>;
  readonly weight: number;
}

export class Framework implements FilterRunner {
  private readonly preFilterPlugins: readonly PreFilterPlugin[];
  private readonly postFilterPlugins: readonly PostFilterPlugin[];
  private readonly nominator: NominatedPods;
  private readonly filterPlugins: readonly FilterPlugin[];
  private readonly scorePlugins: readonly WeightedScorePlugin[];
  private readonly reservePlugins: readonly ReservePlugin[];
  private readonly preBindPlugins: readonly PreBindPlugin[];
  private scratch = new Float64Array(256);

  /** Throws one line naming the profile field when the profile is wrong. */
  constructor(readonly profile: Profile, registry: Registry, handle: FrameworkHandle) {
    const instances = new Map<string, Plugin>();
    const instance = (name: string, field: string): Plugin => {
      let p = instances.get(name);
      if (!p) {
        const factory = registry.get(name);
        if (!factory) throw new Error(`profile ${field}: unknown plugin "${name}" (known: ${[...registry.keys()].join(', ')})`);
        p = factory(handle);
        instances.set(name, p);
      }
      return p;
    };
    const preFilter: PreFilterPlugin[] = [];
    const filter: FilterPlugin[] = [];
    profile.filter.forEach((name, i) => {
      const p = instance(name, `filter[${i}]`);
      if (!isPreFilter(p) && !isFilter(p)) throw new Error(`profile filter[${i}]: plugin "${name}" has no filter extension point`);
      if (isPreFilter(p)) preFilter.push(p);
      if (isFilter(p)) filter.push(p);
    });
    const postFilter: PostFilterPlugin[] = profile.postFilter.map((name, i) => {
      const p = instance(name, `postFilter[${i}]`);
      if (!isPostFilter(p)) throw new Error(`profile postFilter[${i}]: plugin "${name}" has no postFilter extension point`);
      return p;
    });
    const score: WeightedScorePlugin[] = [];
    profile.score.forEach(({ name, weight }, i) => {
      const p = instance(name, `score[${i}].name`);
      if (!isScore(p)) throw new Error(`profile score[${i}].name: plugin "${name}" has no score extension point`);
      if (!Number.isInteger(weight) || weight < 1) throw new Error(`profile score[${i}].weight: must be a positive integer, got ${weight}`);
      score.push({ plugin: p, weight });
    });
    const reserve: ReservePlugin[] = profile.reserve.map((name, i) => {
      const p = instance(name, `reserve[${i}]`);
      if (!isReserve(p)) throw new Error(`profile reserve[${i}]: plugin "${name}" has no reserve extension point`);
      return p;
    });
    this.preBindPlugins = (profile.preBind ?? []).map((name, i) => {
      const p = instance(name, `preBind[${i}]`);
      if (!isPreBind(p)) throw new Error(`profile preBind[${i}]: plugin "${name}" has no preBind extension point`);
      return p;
    });
    this.preFilterPlugins = preFilter;
    this.postFilterPlugins = postFilter;
    this.nominator = handle.nominator ?? NO_NOMINATED_PODS;
    this.filterPlugins = filter;
    this.scorePlugins = score;
    this.reservePlugins = reserve;
  }

  /** The filters to run for this pod (those whose PreFilter did not skip), or why none can. */
  runPreFilter(state: CycleState, pod: PodInfo): { status: Status; filters: readonly FilterPlugin[] } {
    let skipped: Set<string> | undefined;
    for (const p of this.preFilterPlugins) {
      const s = p.preFilter(state, pod);
      switch (s.code) {
        case 'success': break;
        case 'skip': (skipped ??= new Set()).add(p.name); break;
        case 'unschedulable':
        case 'unresolvable':
        case 'error':
          return { status: withPlugin(s, p.name), filters: [] };
      }
    }
    const filters = skipped ? this.filterPlugins.filter((p) => !skipped.has(p.name)) : this.filterPlugins;
    if (skipped) state.write(SKIPPED_FILTERS_KEY, skipped);
    state.write(FILTERS_KEY, filters);
    return { status: SUCCESS, filters };
  }

  /** PreFilter state as if `other` ran on `node` too (for preemption's what-if checks). */
  runPreFilterAddPod(state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo): Status {
    return this.runPreFilterExtension(state, (p) => p.addPod(state, pod, other, node));
  }

  /** PreFilter state as if `other` were gone from `node`. */
  runPreFilterRemovePod(state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo): Status {
    return this.runPreFilterExtension(state, (p) => p.removePod(state, pod, other, node));
  }

  private runPreFilterExtension(state: CycleState, run: (p: PreFilterExtensions) => Status): Status {
    const skipped = state.read<Set<string>>(SKIPPED_FILTERS_KEY);
    for (const p of this.preFilterPlugins) {
      if (!hasPreFilterExtensions(p) || skipped?.has(p.name)) continue;
      const s = run(p);
      if (s.code !== 'success') return withPlugin(s, p.name);
    }
    return SUCCESS;
  }

  /** Runs the filters on one node, stopping at the first that rejects it. Hot. */
  runFilter(state: CycleState, pod: PodInfo, node: NodeInfo, filters: readonly FilterPlugin[]): Status {
    for (let i = 0; i < filters.length; i++) {
      const s = filters[i]!.filter(state, pod, node);
      if (s.code !== 'success') return s;
    }
    return SUCCESS;
  }

  /**
   * Kubernetes' RunFilterPluginsWithNominatedPods: the node must fit the pod both with the pods
   * nominated to it (of the pod's priority or higher) counted as running there — the room a
   * preemption freed for them is theirs — and without them (anti-affinity to a nominated pod
   * that may never come must not keep the pod off). Without nominated pods, one plain run.
   */
  runFilterWithNominatedPods(state: CycleState, pod: PodInfo, node: NodeInfo, filters: readonly FilterPlugin[] = state.read<readonly FilterPlugin[]>(FILTERS_KEY) ?? this.filterPlugins): Status {
    if (this.nominator.size === 0) return this.runFilter(state, pod, node, filters);
    const nominated = this.nominator.forNode(node.name).filter((p) => p.key !== pod.key && p.priority >= pod.priority);
    if (nominated.length === 0) return this.runFilter(state, pod, node, filters);
    const withNominated = node.clone();
    const added: PodInfo[] = [];
    let status: Status = SUCCESS;
    for (const p of nominated) {
      withNominated.addPod(p);
      added.push(p);
      status = this.runPreFilterAddPod(state, pod, p, withNominated);
      if (status.code !== 'success') break;
    }
    if (status.code === 'success') status = this.runFilter(state, pod, withNominated, filters);
    // The extensions are deltas: taking the pods away again restores the cycle's state.
    for (let i = added.length - 1; i >= 0; i--) this.runPreFilterRemovePod(state, pod, added[i]!, withNominated);
    if (status.code !== 'success') return status;
    return this.runFilter(state, pod, node, filters);
  }

  /** Whether any pod is nominated anywhere (the hot loop skips the nominated-pods path when not). */
  hasNominatedPods(): boolean {
    return this.nominator.size > 0;
  }

  /**
   * The PostFilter plugins in order until one nominates a node or fails with an error; with
   * none, or none that helps, the last unschedulable answer (messages joined).
   */
  runPostFilter(state: CycleState, pod: PodInfo, diagnosis: ReadonlyMap<string, Status>): PostFilterResult | undefined {
    let last: PostFilterResult | undefined;
    for (const p of this.postFilterPlugins) {
      const r = p.postFilter(state, pod, diagnosis, this);
      switch (r.code) {
        case 'nominated':
        case 'error':
          return r;
        case 'unschedulable':
          last = last?.code === 'unschedulable' ? { ...r, message: `${last.message} ${r.message}` } : r;
          break;
      }
    }
    return last;
  }

  hasPostFilterPlugins(): boolean {
    return this.postFilterPlugins.length > 0;
  }

  /** The score plugins to run for this pod (those whose PreScore did not skip), or an error. */
  runPreScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], count: number): { status: Status; scorers: readonly WeightedScorePlugin[] } {
    let scorers: WeightedScorePlugin[] | undefined;
    for (let i = 0; i < this.scorePlugins.length; i++) {
      const sp = this.scorePlugins[i]!;
      const s = sp.plugin.preScore ? sp.plugin.preScore(state, pod, nodes, count) : SUCCESS;
      switch (s.code) {
        case 'success':
          scorers?.push(sp);
          break;
        case 'skip':
          scorers ??= this.scorePlugins.slice(0, i);
          break;
        case 'unschedulable':
        case 'unresolvable':
        case 'error':
          return { status: errorStatus(`${sp.plugin.name} pre-score: ${s.reasons.join(', ')}`, sp.plugin.name), scorers: [] };
      }
    }
    return { status: SUCCESS, scorers: scorers ?? this.scorePlugins };
  }

  /**
   * totals[i] = Σ weight × normalized score of nodes[i], for i < count. `perPlugin`, when
   * given, receives each plugin's normalized scores (for explaining a decision).
   */
  runScore(
    state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], count: number,
    scorers: readonly WeightedScorePlugin[], totals: Float64Array,
    perPlugin?: (plugin: string, scores: Float64Array) => void,
  ): void {
    totals.fill(0, 0, count);
    if (this.scratch.length < count) this.scratch = new Float64Array(Math.max(count, this.scratch.length * 2));
    const scores = this.scratch;
    for (const { plugin, weight } of scorers) {
      for (let i = 0; i < count; i++) scores[i] = plugin.score(state, pod, nodes[i]!);
      plugin.normalizeScore?.(state, pod, scores, count);
      for (let i = 0; i < count; i++) totals[i]! += weight * scores[i]!;
      perPlugin?.(plugin.name, scores.slice(0, count));
    }
  }

  /** Reserve on every reserve plugin; on a failure, unreserve all of them and return it. */
  runReserve(state: CycleState, pod: PodInfo, nodeName: string): Status {
    for (const p of this.reservePlugins) {
      const s = p.reserve(state, pod, nodeName);
      if (s.code !== 'success') {
        this.runUnreserve(state, pod, nodeName);
        return withPlugin(s, p.name);
      }
    }
    return SUCCESS;
  }

  /**
   * PreBind on every preBind plugin whose PreBindPreFlight does not skip, in order; the first
   * that does not succeed is returned. Synchronous SUCCESS when none has work for this pod.
   */
  runPreBind(state: CycleState, pod: PodInfo, nodeName: string): Status | Promise<Status> {
    const active = this.preBindPlugins.filter((p) => p.preBindPreFlight(state, pod, nodeName).code !== 'skip');
    if (active.length === 0) return SUCCESS;
    return (async () => {
      for (const p of active) {
        const s = await p.preBind(state, pod, nodeName);
        if (s.code !== 'success' && s.code !== 'skip') return withPlugin(s, p.name);
      }
      return SUCCESS;
    })();
  }

  /** Unreserve in reverse order (each plugin's unreserve is idempotent). */
  runUnreserve(state: CycleState, pod: PodInfo, nodeName: string): void {
    for (let i = this.reservePlugins.length - 1; i >= 0; i--) this.reservePlugins[i]!.unreserve(state, pod, nodeName);
  }

  hasScorePlugins(): boolean {
    return this.scorePlugins.length > 0;
  }
}
