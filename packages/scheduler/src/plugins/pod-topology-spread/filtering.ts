// PodTopologySpread's Filter, after Kubernetes' podtopologyspread/filtering.go. PreFilter counts
// the matching pods per topology value of each DoNotSchedule constraint over the nodes that
// count (they have every constraint's key and pass the inclusion policies) — from the cache's
// live counts when every node with the keys counts, else by a walk; Filter then checks
//   matching pods in the node's domain + 1 if the pod matches itself - global minimum <= maxSkew
// where the global minimum is 0 while fewer than minDomains domains exist.
import { requiredNodeMatcher, type NodeMatcher } from '@tugboat/api';
import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import type { ClusterSnapshot } from '../../framework/snapshot.js';
import { everyNodeCounts, hasAllTopologyKeys, nodeCounts, topologyKeys, type SpreadConstraint } from './common.js';

export interface SpreadPreFilterState {
  readonly constraints: readonly SpreadConstraint[];
  /** Per constraint: topology value → matching pods in that domain. */
  readonly counts: Map<string, number>[];
  /** Per constraint: the global minimum (0 while there are fewer domains than minDomains). */
  readonly minimums: number[];
}

export function computeSpreadPreFilterState(pod: PodInfo, constraints: readonly SpreadConstraint[], snapshot: ClusterSnapshot): SpreadPreFilterState {
  const ns = pod.pod.metadata?.namespace ?? '';
  const required = requiredNodeMatcher(pod.pod.spec);
  // Usually every node with the keys counts: then the cache's live counts are the answer, and
  // only the domains are copied (the state is changed by preemption's what-ifs).
  if (constraints.every((c) => everyNodeCounts(c, required))) {
    const keys = topologyKeys(constraints);
    const counts = constraints.map((c) => {
      const live = snapshot.spreadCounts(ns, c.selector, c.topologyKey, keys);
      const m = new Map<string, number>();
      const pods = c.selector.isEmpty() ? undefined : live.podsByValue;
      for (const value of live.nodesByValue.keys()) m.set(value, pods?.get(value) ?? 0);
      return m;
    });
    return { constraints, counts, minimums: constraints.map((c, i) => globalMinimum(counts[i]!, c.minDomains)) };
  }
  return walkSpreadPreFilterState(pod, constraints, snapshot, required);
}

/** The same by walking every node and every matching pod: for pods whose node affinity or
 *  tolerations leave some nodes out of the counts. */
export function walkSpreadPreFilterState(pod: PodInfo, constraints: readonly SpreadConstraint[], snapshot: ClusterSnapshot, required: NodeMatcher | undefined): SpreadPreFilterState {
  const counts = constraints.map(() => new Map<string, number>());
  const ns = pod.pod.metadata?.namespace ?? '';
  const counted = (c: SpreadConstraint, node: NodeInfo): boolean => hasAllTopologyKeys(node.labels, constraints) && nodeCounts(c, pod.pod, node, required);
  // The domains: every value of the key among the nodes that count, even without pods.
  const nodes = snapshot.nodes();
  for (let i = 0; i < constraints.length; i++) {
    const c = constraints[i]!;
    const m = counts[i]!;
    for (let k = 0; k < nodes.length; k++) {
      const node = nodes[k]!;
      if (counted(c, node)) {
        const value = node.labels[c.topologyKey]!;
        if (!m.has(value)) m.set(value, 0);
      }
    }
    // Then the matching pods, found through the cache's label index.
    if (c.selector.isEmpty()) continue;
    snapshot.forEachPodMatching(ns, c.selector, (p, node) => {
      if (!node.node || p.pod.metadata?.deletionTimestamp || !counted(c, node)) return;
      const value = node.labels[c.topologyKey]!;
      m.set(value, m.get(value)! + 1);
    });
  }
  return { constraints, counts, minimums: constraints.map((c, i) => globalMinimum(counts[i]!, c.minDomains)) };
}

/** Adds (1) or takes away (-1) one pod on `node` (PreFilter extensions, for preemption). */
export function updateSpreadWithPod(s: SpreadPreFilterState, pod: PodInfo, other: PodInfo, node: NodeInfo, multiplier: number): void {
  const m = other.pod.metadata;
  if (m?.namespace !== pod.pod.metadata?.namespace || !hasAllTopologyKeys(node.labels, s.constraints)) return;
  const required = requiredNodeMatcher(pod.pod.spec);
  s.constraints.forEach((c, i) => {
    if (!nodeCounts(c, pod.pod, node, required) || !c.selector.matches(m?.labels ?? {})) return;
    const value = node.labels[c.topologyKey]!;
    const counts = s.counts[i]!;
    counts.set(value, (counts.get(value) ?? 0) + multiplier);
    s.minimums[i] = globalMinimum(counts, c.minDomains);
  });
}

function globalMinimum(counts: Map<string, number>, minDomains: number): number {
  // Fewer domains than minDomains: the missing ones count as empty.
  if (counts.size < minDomains) return 0;
  let min = Infinity;
  for (const n of counts.values()) if (n < min) min = n;
  return min === Infinity ? 0 : min;
}

export type SpreadVerdict = 'fits' | 'missing-label' | 'skew';

/** Whether placing the pod on a node with these labels keeps every constraint's skew. */
export function spreadVerdict(s: SpreadPreFilterState, pod: PodInfo, labels: Readonly<Record<string, string>>): SpreadVerdict {
  const podLabels = pod.pod.metadata?.labels ?? {};
  for (let i = 0; i < s.constraints.length; i++) {
    const c = s.constraints[i]!;
    const value = labels[c.topologyKey];
    if (value === undefined) return 'missing-label';
    const counts = s.counts[i]!;
    const self = c.selector.matches(podLabels) ? 1 : 0;
    const skew = (counts.get(value) ?? 0) + self - s.minimums[i]!;
    if (skew > c.maxSkew) return 'skew';
  }
  return 'fits';
}
