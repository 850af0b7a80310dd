// One small interface per extension point, as Kubernetes' scheduling framework has them. A
// plugin implements the points it needs; the profile says which plugins run at each point.
//
// Order within a cycle:  PreFilter → Filter (per node) → PreScore → Score (per feasible node)
//                        → NormalizeScore → (weighted sum, pick) → Reserve
// and Unreserve when a later step (Reserve of another plugin, or Bind) fails.
import type { CycleState } from './cycle-state.js';
import type { NodeInfo } from './node-info.js';
import type { PodInfo } from './pod-info.js';
import { SUCCESS, errorStatus, type Status } from './status.js';
import type { ClusterSnapshot, ObjectListers } from './snapshot.js';

/** Scores are on 0..MAX_NODE_SCORE after normalizing. */
export const MAX_NODE_SCORE = 100;

export interface Plugin {
  readonly name: string;
}

export interface PreFilterPlugin extends Plugin {
  /** Once per cycle. `skip`: this plugin's Filter is not needed for this pod. Anything else
   *  but success rejects the pod on every node. */
  preFilter(state: CycleState, pod: PodInfo): Status;
}

/**
 * Kubernetes' PreFilterExtensions: update what PreFilter computed as if `other` were added to
 * (or removed from) `node`, without a new PreFilter. Preemption uses them to ask "would the pod
 * fit if these victims were gone?"; the framework runs them with runPreFilterAddPod/RemovePod.
 */
export interface PreFilterExtensions {
  addPod(state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo): Status;
  removePod(state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo): Status;
}

export interface FilterPlugin extends Plugin {
  /** Per node, hot: return the shared SUCCESS and allocate nothing when the node fits. */
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status;
}

export interface PreScorePlugin extends Plugin {
  /** Once per cycle, with the feasible nodes. `skip`: do not call Score for this pod. */
  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], count: number): Status;
}

export interface ScorePlugin extends Plugin {
  /** Per feasible node, hot: a pure number. Plugins without normalizeScore must return
   *  0..MAX_NODE_SCORE. Scoring cannot fail for one node; a plugin that cannot score a pod
   *  says so in preScore. */
  score(state: CycleState, pod: PodInfo, node: NodeInfo): number;
  /** Rescales scores[0..count) in place to 0..MAX_NODE_SCORE. */
  normalizeScore?(state: CycleState, pod: PodInfo, scores: Float64Array, count: number): void;
}

export interface ReservePlugin extends Plugin {
  /** Called once the node is chosen, before binding. */
  reserve(state: CycleState, pod: PodInfo, nodeName: string): Status;
  /** Undo reserve; must be idempotent (it may run for a plugin whose reserve never ran). */
  unreserve(state: CycleState, pod: PodInfo, nodeName: string): void;
}

export function isPreFilter(p: Plugin): p is PreFilterPlugin { return typeof (p as PreFilterPlugin).preFilter === 'function'; }
/**
 * A PreFilter extension (addPod or removePod) that updates the state the plugin's PreFilter
 * wrote under `key`; an error when there is none (PreFilter skipped or never ran).
 */
export function updatingPreFilterState<S>(
  plugin: string, key: string, update: (s: S, pod: PodInfo, other: PodInfo, node: NodeInfo) => void,
): PreFilterExtensions['addPod'] {
  return (state, pod, other, node) => {
    const s = state.read<S>(key);
    if (!s) return errorStatus(`${plugin}: no pre-filter state for pod ${pod.key}`, plugin);
    update(s, pod, other, node);
    return SUCCESS;
  };
}

export function hasPreFilterExtensions(p: Plugin): p is PreFilterPlugin & PreFilterExtensions {
  return isPreFilter(p) && typeof (p as Partial<PreFilterExtensions>).addPod === 'function' && typeof (p as Partial<PreFilterExtensions>).removePod === 'function';
}
export function isFilter(p: Plugin): p is FilterPlugin { return typeof (p as FilterPlugin).filter === 'function'; }
export function isPreScore(p: Plugin): p is PreScorePlugin { return typeof (p as PreScorePlugin).preScore === 'function'; }
export function isScore(p: Plugin): p is ScorePlugin { return typeof (p as ScorePlugin).score === 'function'; }
export function isReserve(p: Plugin): p is ReservePlugin { return typeof (p as ReservePlugin).reserve === 'function'; }

/** What a plugin factory is given. */
export interface FrameworkHandle {
  /** The scheduler's clock, ms since the epoch. */
  now(): number;
  /** The nodes and the pods placed on them (the scheduler's cache). */
  readonly snapshot: ClusterSnapshot;
  /** Namespaces, Services, ReplicaSets (informer caches). */
  readonly listers: ObjectListers;
}

export type PluginFactory = (handle: FrameworkHandle) => Plugin;

/** Plugin name → factory. */
export type Registry = ReadonlyMap<string, PluginFactory>;

/**
 * Normalizes to 0..MAX_NODE_SCORE by the largest score; `reverse` for "fewer is better"
 * raw scores (taint counts, pods of the same owner). Kubernetes' DefaultNormalizeScore.
 */
export function defaultNormalizeScore(scores: Float64Array, count: number, reverse: boolean): void {
  let max = 0;
  for (let i = 0; i < count; i++) if (scores[i]! > max) max = scores[i]!;
  if (max === 0) {
    if (reverse) scores.fill(MAX_NODE_SCORE, 0, count);
    return;
  }
  for (let i = 0; i < count; i++) {
    const s = (scores[i]! * MAX_NODE_SCORE) / max;
    scores[i] = reverse ? MAX_NODE_SCORE - s : s;
  }
}
