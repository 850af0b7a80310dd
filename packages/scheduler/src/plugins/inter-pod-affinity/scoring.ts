// InterPodAffinity's PreScore state, after Kubernetes' interpodaffinity/scoring.go: one weight
// per topology pair, and a node's score is the sum of the weights of its own pairs. Kubernetes
// walks the existing pods every cycle; the same sums come here from the cache's indexes
// (term-groups.ts), in proportion to the number of distinct terms:
//   + weight × pods matching each of the incoming pod's preferred affinity terms (- for anti);
//   + hardPodAffinityWeight × placed pods whose required affinity term matches the incoming pod;
//   + weight × placed pods whose preferred affinity term matches it (- for anti-affinity).
import type { Labels } from '@tugboat/api';
import { termMatches, withResolvedNamespaces, type WeightedAffinityTerm } from '../../framework/affinity-terms.js';
import type { PodInfo } from '../../framework/pod-info.js';
import type { ClusterSnapshot, ObjectListers, TermKind } from '../../framework/snapshot.js';

/** Kubernetes' default: an existing pod's required affinity to the incoming pod counts as a
 *  preferred term of this weight. */
export const DEFAULT_HARD_POD_AFFINITY_WEIGHT = 1;

/** One source of weight: `weight` × the count of the node's value of `key`. */
export interface Contribution {
  readonly key: string;
  readonly weight: number;
  readonly count: (value: string) => number;
}

/** The contributions (live counts, not copied: the sum is taken per scored node), or undefined
 *  when no existing pod bears on this pod (skip scoring). */
export function computeContributions(pod: PodInfo, snapshot: ClusterSnapshot, listers: ObjectListers, hardPodAffinityWeight: number): Contribution[] | undefined {
  const out: Contribution[] = [];
  // The incoming pod's preferred terms against the placed pods.
  const resolve = (t: WeightedAffinityTerm): WeightedAffinityTerm => withResolvedNamespaces(t, (sel) => listers.namespacesMatching(sel));
  const own = (terms: readonly WeightedAffinityTerm[] | undefined, sign: number): void => {
    for (const t of (terms ?? []).map(resolve)) {
      const counts = snapshot.countsOfPodsMatchingAll([t]);
      if (counts.size > 0) out.push({ key: t.topologyKey, weight: sign * t.weight, count: (v) => counts.get(t.topologyKey, v) });
    }
  };
  own(pod.affinity?.preferredAffinity, 1);
  own(pod.affinity?.preferredAntiAffinity, -1);
  // The placed pods' terms against the incoming pod, whose namespace labels are known.
  const nsLabels: Labels = listers.namespaceLabels(pod.pod.metadata?.namespace ?? '') ?? {};
  const theirs = (kind: TermKind, weight: (groupWeight: number) => number): void => {
    for (const g of snapshot.groupedTerms(kind)) {
      const w = weight(g.weight);
      if (w === 0 || g.counts.size === 0 || !termMatches(g.term, pod.pod, nsLabels)) continue;
      const counts = g.counts;
      out.push({ key: g.term.topologyKey, weight: w, count: (v) => counts.get(v) ?? 0 });
    }
  };
  if (hardPodAffinityWeight > 0) theirs('requiredAffinity', () => hardPodAffinityWeight);
  theirs('preferredAffinity', (w) => w);
  theirs('preferredAntiAffinity', (w) => -w);
  return out.length > 0 ? out : undefined;
}

/** The node's score: Σ weight × count of its value, over the contributions. */
export function scoreNode(contributions: readonly Contribution[], labels: Readonly<Record<string, string>>): number {
  let sum = 0;
  for (const c of contributions) {
    const v = labels[c.key];
    if (v !== undefined) sum += c.weight * c.count(v);
  }
  return sum;
}

/** Kubernetes' NormalizeScore: (score - min) scaled to 0..100 over the range, whole numbers;
 *  all equal gives 0 everywhere. */
export function normalizeMinMax(scores: Float64Array, count: number, maxScore: number): void {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < count; i++) {
    const s = scores[i]!;
    if (s < min) min = s;
    if (s > max) max = s;
  }
  const range = max - min;
  for (let i = 0; i < count; i++) scores[i] = range > 0 ? Math.trunc((maxScore * (scores[i]! - min)) / range) : 0;
}
