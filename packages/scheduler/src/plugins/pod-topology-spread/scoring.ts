// PodTopologySpread's Score, after Kubernetes' podtopologyspread/scoring.go. For each
// ScheduleAnyway constraint, a node scores count × log(domains + 2) + (maxSkew - 1), where
// count is the matching pods in the node's domain (on the node itself for the hostname key,
// counted at Score time); fewer is better, so NormalizeScore reverses it. Nodes lacking a
// topology key score 0 (only required for the pod's own constraints: the system defaults let
// nodes without a zone still spread by hostname).
import { requiredNodeMatcher } from '@tugboat/api';
import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import type { ClusterSnapshot } from '../../framework/snapshot.js';
import { LABEL_HOSTNAME, everyNodeCounts, hasAllTopologyKeys, nodeCounts, topologyKeys, type SpreadConstraint } from './common.js';

const NO_COUNTS: ReadonlyMap<NodeInfo, number> = new Map();

/** Score of a node left out of scoring; normalized to 0. */
export const IGNORED = -1;

export interface SpreadPreScoreState {
  readonly constraints: readonly SpreadConstraint[];
  readonly ignored: ReadonlySet<NodeInfo>;
  /** Per constraint: topology value → matching pods (no entries for the hostname key). */
  readonly counts: Map<string, number>[];
  /** Per constraint on the hostname key: matching pods per node. */
  readonly perNode: ReadonlyMap<NodeInfo, number>[];
  /** Per constraint: log(number of domains among the feasible nodes + 2). */
  readonly weights: number[];
}

export function computeSpreadPreScoreState(
  pod: PodInfo, constraints: readonly SpreadConstraint[], requireAllTopologies: boolean,
  feasible: readonly NodeInfo[], count: number, snapshot: ClusterSnapshot,
): SpreadPreScoreState {
  const ignored = new Set<NodeInfo>();
  const counts = constraints.map(() => new Map<string, number>());
  for (let k = 0; k < count; k++) {
    const node = feasible[k]!;
    if (requireAllTopologies && !hasAllTopologyKeys(node.labels, constraints)) {
      ignored.add(node);
      continue;
    }
    constraints.forEach((c, i) => {
      if (c.topologyKey !== LABEL_HOSTNAME) counts[i]!.set(node.labels[c.topologyKey] ?? '', 0);
    });
  }
  const weights = constraints.map((c, i) => Math.log((c.topologyKey === LABEL_HOSTNAME ? count - ignored.size : counts[i]!.size) + 2));

  // Count the matching pods of every node (not only the feasible ones) in the domains the
  // feasible nodes span; per node for the hostname key. From the cache's live counts when
  // every node counts for the pod, else through the cache's label index.
  const ns = pod.pod.metadata?.namespace ?? '';
  const required = requiredNodeMatcher(pod.pod.spec);
  if (constraints.every((c) => everyNodeCounts(c, required))) {
    const keys = requireAllTopologies ? topologyKeys(constraints) : [];
    const perNode = constraints.map((c, i): ReadonlyMap<NodeInfo, number> => {
      if (c.selector.isEmpty()) return NO_COUNTS;
      const live = snapshot.spreadCounts(ns, c.selector, c.topologyKey, keys);
      if (c.topologyKey === LABEL_HOSTNAME) return live.podsByNode;
      const m = counts[i]!;
      for (const value of m.keys()) m.set(value, live.podsByValue.get(value) ?? 0);
      return NO_COUNTS;
    });
    return { constraints, ignored, counts, perNode, weights };
  }
  const perNode = constraints.map(() => new Map<NodeInfo, number>());
  constraints.forEach((c, i) => {
    if (c.selector.isEmpty()) return;
    const m = counts[i]!;
    const hosts = perNode[i]!;
    const byHost = c.topologyKey === LABEL_HOSTNAME;
    snapshot.forEachPodMatching(ns, c.selector, (p, node) => {
      if (!node.node || p.pod.metadata?.deletionTimestamp) return;
      if (byHost) {
        hosts.set(node, (hosts.get(node) ?? 0) + 1);
        return;
      }
      if (requireAllTopologies && !hasAllTopologyKeys(node.labels, constraints)) return;
      const value = node.labels[c.topologyKey] ?? '';
      const current = m.get(value);
      if (current !== undefined && nodeCounts(c, pod.pod, node, required)) m.set(value, current + 1);
    });
  });
  return { constraints, ignored, counts, perNode, weights };
}

export function spreadScore(s: SpreadPreScoreState, node: NodeInfo): number {
  if (s.ignored.has(node)) return IGNORED;
  let score = 0;
  for (let i = 0; i < s.constraints.length; i++) {
    const c = s.constraints[i]!;
    const value = node.labels[c.topologyKey];
    if (value === undefined) continue;
    const n = (c.topologyKey === LABEL_HOSTNAME ? s.perNode[i]!.get(node) : s.counts[i]!.get(value)) ?? 0;
    score += n * s.weights[i]! + (c.maxSkew - 1);
  }
  return Math.round(score);
}

/** Fewer matching pods is better: MAX × (max + min - score) / max, whole numbers; ignored
 *  nodes 0; all zero gives MAX everywhere. */
export function normalizeSpreadScores(scores: Float64Array, count: number, maxScore: number): void {
  let min = Infinity;
  let max = 0;
  for (let i = 0; i < count; i++) {
    const s = scores[i]!;
    if (s === IGNORED) continue;
    if (s < min) min = s;
    if (s > max) max = s;
  }
  for (let i = 0; i < count; i++) {
    const s = scores[i]!;
    if (s === IGNORED) scores[i] = 0;
    else if (max === 0) scores[i] = maxScore;
    else scores[i] = Math.trunc((maxScore * (max + min - s)) / max);
  }
}
