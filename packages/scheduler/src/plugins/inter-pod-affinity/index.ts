// InterPodAffinity: podAffinity and podAntiAffinity, as Kubernetes' plugin of that name.
//   PreFilter  counts per topology pair (filtering.ts), once per cycle;
//   Filter     the node's pairs against those counts: required affinity met, no pod the
//              incoming pod's anti-affinity names, no existing pod whose anti-affinity names it;
//   PreScore   weights per topology pair from preferred terms (both ways) and existing
//              pods' required affinity, as live counts from the cache (scoring.ts);
//   Score      the node's pairs summed; NormalizeScore min–max to 0..100.
// addPod / removePod update the PreFilter counts for preemption's what-if checks.
import type { CycleState } from '../../framework/cycle-state.js';
import type { FilterPlugin, FrameworkHandle, PreFilterExtensions, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../../framework/interfaces.js';
import { MAX_NODE_SCORE, updatingPreFilterState } from '../../framework/interfaces.js';
import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import { SKIP, SUCCESS, unresolvable, unschedulable, type Status } from '../../framework/status.js';
import { PluginNames } from '../names.js';
import {
  computePreFilterState, satisfiesExistingPodsAntiAffinity, satisfiesPodAffinity, satisfiesPodAntiAffinity, updateWithPod,
  type PreFilterState,
} from './filtering.js';
import { DEFAULT_HARD_POD_AFFINITY_WEIGHT, computeContributions, normalizeMinMax, scoreNode, type Contribution } from './scoring.js';

// Kubernetes' words.
export const REASON_AFFINITY_RULES = "node(s) didn't match pod affinity rules";
export const REASON_ANTI_AFFINITY_RULES = "node(s) didn't match pod anti-affinity rules";
export const REASON_EXISTING_ANTI_AFFINITY_RULES = "node(s) didn't satisfy existing pods anti-affinity rules";

const NAME = PluginNames.InterPodAffinity;
// A required affinity term unmet on a node stays unmet until pods change: Kubernetes calls it
// unresolvable for that node (preemption cannot help), anti-affinity only unschedulable.
const AFFINITY_REJECTED = unresolvable(REASON_AFFINITY_RULES, NAME);
const ANTI_AFFINITY_REJECTED = unschedulable(REASON_ANTI_AFFINITY_RULES, NAME);
const EXISTING_ANTI_AFFINITY_REJECTED = unschedulable(REASON_EXISTING_ANTI_AFFINITY_RULES, NAME);
const PRE_FILTER_KEY = `${NAME}/pre-filter`;
const PRE_SCORE_KEY = `${NAME}/pre-score`;

export interface InterPodAffinityArgs {
  /** Weight of an existing pod's required affinity term that the incoming pod matches (0: ignore). */
  hardPodAffinityWeight?: number;
}

export class InterPodAffinity implements PreFilterPlugin, PreFilterExtensions, FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = NAME;
  private readonly hardPodAffinityWeight: number;

  constructor(private readonly handle: FrameworkHandle, args: InterPodAffinityArgs = {}) {
    this.hardPodAffinityWeight = args.hardPodAffinityWeight ?? DEFAULT_HARD_POD_AFFINITY_WEIGHT;
  }

  preFilter(state: CycleState, pod: PodInfo): Status {
    const s = computePreFilterState(pod, this.handle.snapshot, this.handle.listers);
    if (!s) return SKIP;
    state.write(PRE_FILTER_KEY, s);
    return SUCCESS;
  }

  // Preemption's what-if: the state as if `other` were added to / removed from `node`.
  readonly addPod = updatingPreFilterState<PreFilterState>(NAME, PRE_FILTER_KEY, (s, pod, other, node) => updateWithPod(s, pod, other, node, 1));
  readonly removePod = updatingPreFilterState<PreFilterState>(NAME, PRE_FILTER_KEY, (s, pod, other, node) => updateWithPod(s, pod, other, node, -1));

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (!s) return SUCCESS;
    const labels = node.labels;
    if (!satisfiesPodAffinity(s, pod, labels)) return AFFINITY_REJECTED;
    if (!satisfiesPodAntiAffinity(s, labels)) return ANTI_AFFINITY_REJECTED;
    if (!satisfiesExistingPodsAntiAffinity(s, labels)) return EXISTING_ANTI_AFFINITY_REJECTED;
    return SUCCESS;
  }

  preScore(state: CycleState, pod: PodInfo, _nodes: readonly NodeInfo[], count: number): Status {
    if (count === 0) return SKIP;
    const contributions = computeContributions(pod, this.handle.snapshot, this.handle.listers, this.hardPodAffinityWeight);
    if (!contributions) return SKIP;
    state.write(PRE_SCORE_KEY, contributions);
    return SUCCESS;
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    const contributions = state.read<readonly Contribution[]>(PRE_SCORE_KEY);
    return contributions ? scoreNode(contributions, node.labels) : 0;
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, scores: Float64Array, count: number): void {
    normalizeMinMax(scores, count, MAX_NODE_SCORE);
  }
}

export const factory = (handle: FrameworkHandle): InterPodAffinity => new InterPodAffinity(handle);
