// InterPodAffinity's PreFilter state, after Kubernetes' interpodaffinity/filtering.go: per
// topology pair, how many existing pods (1) have a required anti-affinity term matching the
// incoming pod, (2) match all of its required affinity terms, (3) match each of its required
// anti-affinity terms. Kubernetes walks the pods for these every cycle; here the cache keeps
// them (term-groups.ts), so PreFilter only picks the live counts and Filter reads them:
//   (1) the groups of placed pods' anti-affinity terms whose term matches the incoming pod;
//   (2), (3) the cache's live counts for the incoming pod's (namespace-resolved) terms.
// addPod / removePod (preemption's what-if) write to deltas on top; the live counts are never
// modified by a plugin.
import type { Labels } from '@tugboat/api';
import { matchesAllTerms, termMatches, withResolvedNamespaces, type AffinityTerm } from '../../framework/affinity-terms.js';
import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import type { ClusterSnapshot, ObjectListers, TermGroup } from '../../framework/snapshot.js';
import { TopologyCounts } from '../../framework/topology-counts.js';

export interface PreFilterState {
  /** The incoming pod's required terms, namespace selectors resolved to names. */
  readonly requiredAffinity: readonly AffinityTerm[];
  readonly requiredAntiAffinity: readonly AffinityTerm[];
  /** Labels of the incoming pod's namespace (existing pods' namespace selectors match them). */
  readonly namespaceLabels: Labels;
  /** (1): the groups whose term matches the incoming pod (live), plus what addPod/removePod changed. */
  readonly existingGroups: readonly TermGroup[];
  readonly existingDelta: TopologyCounts;
  /** The topology keys of existingGroups and existingDelta. */
  existingKeys: readonly string[];
  /** (2): live counts of pods matching all required affinity terms (undefined: no such terms). */
  readonly affinity: TopologyCounts | undefined;
  readonly affinityDelta: TopologyCounts;
  /** (3): per required anti-affinity term, live counts of the pods it matches. */
  readonly antiAffinity: readonly TopologyCounts[];
  readonly antiAffinityDelta: TopologyCounts;
}

/** Adds (multiplier 1) or takes away (-1) what one existing pod on `node` contributes. */
export function updateWithPod(s: PreFilterState, pod: PodInfo, existing: PodInfo, node: NodeInfo, multiplier: number): void {
  const labels = node.labels;
  for (const t of existing.affinity?.requiredAntiAffinity ?? []) {
    if (termMatches(t, pod.pod, s.namespaceLabels)) s.existingDelta.add(t.topologyKey, labels[t.topologyKey], multiplier);
  }
  s.existingKeys = [...new Set([...s.existingGroups.map((g) => g.term.topologyKey), ...s.existingDelta.keys()])];
  // The incoming pod's terms have their namespaces resolved: no namespace labels needed.
  if (s.requiredAffinity.length > 0 && matchesAllTerms(s.requiredAffinity, existing.pod, undefined)) {
    for (const t of s.requiredAffinity) s.affinityDelta.add(t.topologyKey, labels[t.topologyKey], multiplier);
  }
  for (const t of s.requiredAntiAffinity) {
    if (termMatches(t, existing.pod, undefined)) s.antiAffinityDelta.add(t.topologyKey, labels[t.topologyKey], multiplier);
  }
}

/** The PreFilter state for `pod`, or undefined when nothing can keep it off a node. */
export function computePreFilterState(pod: PodInfo, snapshot: ClusterSnapshot, listers: ObjectListers): PreFilterState | undefined {
  const resolve = (t: AffinityTerm): AffinityTerm => withResolvedNamespaces(t, (sel) => listers.namespacesMatching(sel));
  const namespaceLabels = listers.namespaceLabels(pod.pod.metadata?.namespace ?? '') ?? {};
  const existingGroups: TermGroup[] = [];
  for (const g of snapshot.groupedTerms('requiredAntiAffinity')) if (termMatches(g.term, pod.pod, namespaceLabels)) existingGroups.push(g);
  const requiredAffinity = (pod.affinity?.requiredAffinity ?? []).map(resolve);
  const requiredAntiAffinity = (pod.affinity?.requiredAntiAffinity ?? []).map(resolve);
  if (existingGroups.length === 0 && requiredAffinity.length === 0 && requiredAntiAffinity.length === 0) return undefined;
  return {
    requiredAffinity,
    requiredAntiAffinity,
    namespaceLabels,
    existingGroups,
    existingDelta: new TopologyCounts(),
    existingKeys: [...new Set(existingGroups.map((g) => g.term.topologyKey))],
    affinity: requiredAffinity.length > 0 ? snapshot.countsOfPodsMatchingAll(requiredAffinity) : undefined,
    affinityDelta: new TopologyCounts(),
    antiAffinity: requiredAntiAffinity.map((t) => snapshot.countsOfPodsMatchingAll([t])),
    antiAffinityDelta: new TopologyCounts(),
  };
}

function affinityCount(s: PreFilterState, key: string, value: string): number {
  return (s.affinity?.get(key, value) ?? 0) + s.affinityDelta.get(key, value);
}

/** No pair has a positive count: no pod anywhere matches all the required affinity terms. */
function noAffinityMatchAnywhere(s: PreFilterState): boolean {
  for (const [k, v] of s.affinity?.entries() ?? []) if (affinityCount(s, k, v) > 0) return false;
  for (const [k, v] of s.affinityDelta.entries()) if (affinityCount(s, k, v) > 0) return false;
  return true;
}

/** Every required affinity term is met in the node's topology, or the pod is the first of a
 *  group that has affinity to itself (no pod matches anywhere yet, and the pod matches its own
 *  terms): then any node with the topology labels will do, or such pods would wait forever. */
export function satisfiesPodAffinity(s: PreFilterState, pod: PodInfo, labels: Readonly<Record<string, string>>): boolean {
  let podsExist = true;
  for (const t of s.requiredAffinity) {
    const v = labels[t.topologyKey];
    if (v === undefined) return false;
    if (affinityCount(s, t.topologyKey, v) <= 0) podsExist = false;
  }
  if (podsExist) return true;
  return noAffinityMatchAnywhere(s) && matchesAllTerms(s.requiredAffinity, pod.pod, undefined);
}

/** No pod matching one of the incoming pod's required anti-affinity terms runs in the node's
 *  topology (counts of terms with the same key add up, as in Kubernetes' one map). */
export function satisfiesPodAntiAffinity(s: PreFilterState, labels: Readonly<Record<string, string>>): boolean {
  const terms = s.requiredAntiAffinity;
  for (let i = 0; i < terms.length; i++) {
    const key = terms[i]!.topologyKey;
    const v = labels[key];
    if (v === undefined) continue;
    let n = s.antiAffinityDelta.get(key, v);
    for (let j = 0; j < terms.length; j++) if (terms[j]!.topologyKey === key) n += s.antiAffinity[j]!.get(key, v);
    if (n > 0) return false;
  }
  return true;
}

/** No existing pod whose required anti-affinity matches the incoming pod runs in the node's topology. */
export function satisfiesExistingPodsAntiAffinity(s: PreFilterState, labels: Readonly<Record<string, string>>): boolean {
  for (const key of s.existingKeys) {
    const v = labels[key];
    if (v === undefined) continue;
    let n = s.existingDelta.get(key, v);
    for (const g of s.existingGroups) if (g.term.topologyKey === key) n += g.counts.get(v) ?? 0;
    if (n > 0) return false;
  }
  return true;
}
