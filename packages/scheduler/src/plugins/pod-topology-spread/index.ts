// PodTopologySpread: spec.topologySpreadConstraints, as Kubernetes' plugin of that name.
// DoNotSchedule constraints filter (filtering.ts), ScheduleAnyway constraints score
// (scoring.ts). A pod with no constraints of its own gets the cluster defaults (hostname
// maxSkew 3, zone maxSkew 5, both ScheduleAnyway) with a selector built from its Services and
// its controlling ReplicaSet: that is what spreads the replicas of a Deployment.
import type { CycleState } from '../../framework/cycle-state.js';
import type { FilterPlugin, FrameworkHandle, PreFilterExtensions, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../../framework/interfaces.js';
import { MAX_NODE_SCORE, updatingPreFilterState } from '../../framework/interfaces.js';
import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import { SKIP, SUCCESS, unresolvable, unschedulable, type Status } from '../../framework/status.js';
import { PluginNames } from '../names.js';
import { SYSTEM_DEFAULT_CONSTRAINTS, podConstraints, type TopologySpreadConstraint } from './common.js';
import { computeSpreadPreFilterState, spreadVerdict, updateSpreadWithPod, type SpreadPreFilterState } from './filtering.js';
import { computeSpreadPreScoreState, normalizeSpreadScores, spreadScore, type SpreadPreScoreState } from './scoring.js';

// Kubernetes' words.
export const REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const REASON_NODE_LABEL_NOT_MATCH = `${REASON_CONSTRAINTS_NOT_MATCH} (missing required label)`;

const NAME = PluginNames.PodTopologySpread;
const SKEW_REJECTED = unschedulable(REASON_CONSTRAINTS_NOT_MATCH, NAME);
const LABEL_REJECTED = unresolvable(REASON_NODE_LABEL_NOT_MATCH, NAME);
const PRE_FILTER_KEY = `${NAME}/pre-filter`;
const PRE_SCORE_KEY = `${NAME}/pre-score`;

export interface PodTopologySpreadArgs {
  /** Constraints for pods without their own; Kubernetes' system defaults when not given. */
  defaultConstraints?: readonly TopologySpreadConstraint[];
}

export class PodTopologySpread implements PreFilterPlugin, PreFilterExtensions, FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = NAME;
  private readonly defaults: readonly TopologySpreadConstraint[];
  // With the system defaults, nodes without a zone label still spread by hostname.
  private readonly systemDefaulted: boolean;

  constructor(private readonly handle: FrameworkHandle, args: PodTopologySpreadArgs = {}) {
    this.defaults = args.defaultConstraints ?? SYSTEM_DEFAULT_CONSTRAINTS;
    this.systemDefaulted = args.defaultConstraints === undefined;
  }

  preFilter(state: CycleState, pod: PodInfo): Status {
    const constraints = podConstraints(pod.pod, 'DoNotSchedule', this.defaults, this.handle.listers);
    if (constraints.length === 0) return SKIP;
    state.write(PRE_FILTER_KEY, computeSpreadPreFilterState(pod, constraints, this.handle.snapshot));
    return SUCCESS;
  }

  // Preemption's what-if: the state as if `other` were added to / removed from `node`.
  readonly addPod = updatingPreFilterState<SpreadPreFilterState>(NAME, PRE_FILTER_KEY, (s, pod, other, node) => updateSpreadWithPod(s, pod, other, node, 1));
  readonly removePod = updatingPreFilterState<SpreadPreFilterState>(NAME, PRE_FILTER_KEY, (s, pod, other, node) => updateSpreadWithPod(s, pod, other, node, -1));

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const s = state.read<SpreadPreFilterState>(PRE_FILTER_KEY);
    if (!s) return SUCCESS;
    const verdict = spreadVerdict(s, pod, node.labels);
    switch (verdict) {
      case 'fits': return SUCCESS;
      case 'missing-label': return LABEL_REJECTED;
      case 'skew': return SKEW_REJECTED;
    }
  }

  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], count: number): Status {
    if (count === 0) return SKIP;
    const constraints = podConstraints(pod.pod, 'ScheduleAnyway', this.defaults, this.handle.listers);
    if (constraints.length === 0) return SKIP;
    const requireAllTopologies = (pod.pod.spec?.topologySpreadConstraints ?? []).length > 0 || !this.systemDefaulted;
    state.write(PRE_SCORE_KEY, computeSpreadPreScoreState(pod, constraints, requireAllTopologies, nodes, count, this.handle.snapshot));
    return SUCCESS;
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    const s = state.read<SpreadPreScoreState>(PRE_SCORE_KEY);
    return s ? spreadScore(s, node) : 0;
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, scores: Float64Array, count: number): void {
    normalizeSpreadScores(scores, count, MAX_NODE_SCORE);
  }
}

export const factory = (handle: FrameworkHandle): PodTopologySpread => new PodTopologySpread(handle);
