// One small interface per extension point, as Kubernetes' scheduling framework has them. A
// plugin implements the points it needs; the profile says which plugins run at each point.
//
// Order within a cycle:  PreFilter → Filter (per node) → PreScore → Score (per feasible node)
//                        → NormalizeScore → (weighted sum, pick) → Reserve
// and Unreserve when a later step (Reserve of another plugin, or Bind) fails. When no node
// passes Filter, PostFilter (preemption) may nominate a node and name the pods to evict.
import type { CycleState } from './cycle-state.js';
import type { NodeInfo } from './node-info.js';
import type { PodInfo } from './pod-info.js';
import { SUCCESS, errorStatus, type Status } from './status.js';
import type { ClusterSnapshot, ObjectListers, VolumeAccess } from './snapshot.js';

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

/** What a PostFilter plugin may run: the filters (with nominated pods) on a copy of a node,
 *  and the PreFilter extensions that keep the cycle's state in step with that copy. */
export interface FilterRunner {
  runFilterWithNominatedPods(state: CycleState, pod: PodInfo, node: NodeInfo): Status;
  runPreFilterAddPod(state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo): Status;
  runPreFilterRemovePod(state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo): Status;
}

/**
 * A PostFilter plugin's decision, a value the cycle acts on (Kubernetes' plugin makes the API
 * calls itself; here the scheduler does, so the decision stays a pure function of the cache):
 *   nominated      run on `nodeName` once `victims` are gone; lower-priority pods nominated
 *                  there lose their nomination (`clearNominated`);
 *   unschedulable  no help; `clearNomination`: drop the pod's own nomination as well;
 *   error          retry after back-off.
 */
export type PostFilterResult =
  | { readonly code: 'nominated'; readonly nodeName: string; readonly victims: readonly PodInfo[]; readonly clearNominated: readonly PodInfo[] }
  | { readonly code: 'unschedulable'; readonly message: string; readonly clearNomination: boolean }
  | { readonly code: 'error'; readonly message: string };

export interface PostFilterPlugin extends Plugin {
  /** Called when no node passed Filter; `diagnosis` holds each node's rejection. */
  postFilter(state: CycleState, pod: PodInfo, diagnosis: ReadonlyMap<string, Status>, fw: FilterRunner): PostFilterResult;
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

/**
 * Kubernetes' PreBind: after Reserve, in the binding cycle (asynchronous, off the scheduling
 * loop), before the pod is bound; anything but success undoes the reservation and the pod is
 * tried again after back-off. VolumeBinding uses it to give claims their node and wait for them.
 */
export interface PreBindPlugin extends Plugin {
  /** Kubernetes' PreBindPreFlight: `skip` when PreBind has nothing to do for this pod (then the
   *  bind is not delayed by even one await). */
  preBindPreFlight(state: CycleState, pod: PodInfo, nodeName: string): Status;
  preBind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status>;
}

export function isPreBind(p: Plugin): p is PreBindPlugin { return typeof (p as PreBindPlugin).preBind === 'function'; }
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
export function isPostFilter(p: Plugin): p is PostFilterPlugin { return typeof (p as PostFilterPlugin).postFilter === 'function'; }

/** Pending pods promised a node by a preemption (nominator.ts). */
export interface NominatedPods {
  readonly size: number;
  forNode(nodeName: string): readonly PodInfo[];
  nodeOf(key: string): string | undefined;
}

export const NO_NOMINATED_PODS: NominatedPods = Object.freeze({ size: 0, forNode: () => [], nodeOf: () => undefined });

/** What a plugin factory is given. */
export interface FrameworkHandle {
  /** The scheduler's clock, ms since the epoch. */
  now(): number;
  /** The nodes and the pods placed on them (the scheduler's cache). */
  readonly snapshot: ClusterSnapshot;
  /** Namespaces, Services, ReplicaSets, PodDisruptionBudgets (informer caches). */
  readonly listers: ObjectListers;
  /** Pods nominated to nodes by preemption; none when not given. */
  readonly nominator?: NominatedPods;
  /** [0, 1); Math.random when not given (preemption's sample offset). */
  random?(): number;
  /** Claims, volumes and classes, and the one write VolumeBinding makes; none in tests that do not need them. */
  readonly volumes?: VolumeAccess;
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
