// A pod's inter-pod affinity terms, compiled once when the pod enters the queue or the cache
// (Kubernetes' framework.AffinityTerm): InterPodAffinity reads them for the pod being
// scheduled and for every existing pod with terms, so selectors are never parsed per cycle.
//
// Kubernetes' rules, kept here:
// - a nil labelSelector matches no pod; {} matches every pod;
// - namespaces [] and no namespaceSelector: the pod's own namespace; a nil namespaceSelector
//   matches no namespace, {} every namespace;
// - matchLabelKeys / mismatchLabelKeys add `key in (value)` / `key notin (value)` with the
//   value of the pod's own label (keys the pod lacks are ignored), as the API server merges
//   them into labelSelector when the pod is created.
import {
  LabelSelectorRequirements, NOTHING, newRequirement, selectorFromLabelSelector,
  type Affinity, type Labels, type Pod, type Requirement, type Selector,
} from '@tugboat/api';

type PodAffinitySpec = NonNullable<Affinity['podAffinity']>;
export type PodAffinityTerm = NonNullable<PodAffinitySpec['requiredDuringSchedulingIgnoredDuringExecution']>[number];
type WeightedPodAffinityTerm = NonNullable<PodAffinitySpec['preferredDuringSchedulingIgnoredDuringExecution']>[number];

export interface AffinityTerm {
  /** Equal for terms that select the same pods in the same topology (the cache groups existing
   *  pods' anti-affinity terms by it). */
  readonly signature: string;
  readonly topologyKey: string;
  readonly selector: Selector;
  /** Namespaces named by the term (or the pod's own when it names none and has no selector). */
  readonly namespaces: ReadonlySet<string>;
  /** Matches namespaces by their labels; NOTHING when the term has none. */
  readonly namespaceSelector: Selector;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  readonly weight: number;
}

export interface PodAffinityTerms {
  readonly requiredAffinity: readonly AffinityTerm[];
  readonly requiredAntiAffinity: readonly AffinityTerm[];
  readonly preferredAffinity: readonly WeightedAffinityTerm[];
  readonly preferredAntiAffinity: readonly WeightedAffinityTerm[];
}

/** The pod matches the term: its namespace is one of the term's (by name, or by the labels
 *  `nsLabels` of the pod's namespace against the namespace selector), and its labels match. */
export function termMatches(term: AffinityTerm, pod: Pod, nsLabels: Labels | undefined): boolean {
  const ns = pod.metadata?.namespace ?? '';
  if (!term.namespaces.has(ns) && !term.namespaceSelector.matches(nsLabels ?? {})) return false;
  return term.selector.matches(pod.metadata?.labels ?? {});
}

/** Every term matches the pod (false for no terms). */
export function matchesAllTerms(terms: readonly AffinityTerm[], pod: Pod, nsLabels: Labels | undefined): boolean {
  if (terms.length === 0) return false;
  for (const t of terms) if (!termMatches(t, pod, nsLabels)) return false;
  return true;
}

function labelKeysRequirements(keys: readonly string[] | undefined, labels: Labels, operator: 'in' | 'notin'): Requirement[] {
  const out: Requirement[] = [];
  for (const k of keys ?? []) {
    const v = labels[k];
    if (v !== undefined) out.push(newRequirement(k, operator, [v]));
  }
  return out;
}

function compileTerm(t: PodAffinityTerm, pod: Pod): AffinityTerm {
  const labels = pod.metadata?.labels ?? {};
  let selector = selectorFromLabelSelector(t.labelSelector);
  const extra = [...labelKeysRequirements(t.matchLabelKeys, labels, 'in'), ...labelKeysRequirements(t.mismatchLabelKeys, labels, 'notin')];
  if (extra.length > 0 && selector !== NOTHING) {
    const base = selector instanceof LabelSelectorRequirements ? selector.requirements : [];
    selector = new LabelSelectorRequirements([...base, ...extra]);
  }
  const named = t.namespaces ?? [];
  const namespaces = new Set(named.length === 0 && !t.namespaceSelector ? [pod.metadata?.namespace ?? ''] : named);
  const namespaceSelector = t.namespaceSelector ? selectorFromLabelSelector(t.namespaceSelector) : NOTHING;
  const signature = [t.topologyKey, selector.toString(), [...namespaces].sort().join(','), namespaceSelector.toString()].join('\u0000');
  return { signature, topologyKey: t.topologyKey, selector, namespaces, namespaceSelector };
}

function compileWeighted(terms: readonly WeightedPodAffinityTerm[] | undefined, pod: Pod): WeightedAffinityTerm[] {
  return (terms ?? []).map((w) => ({ ...compileTerm(w.podAffinityTerm, pod), weight: w.weight }));
}

/** The pod's compiled terms, or undefined when it has none. Throws (an ApiError naming the
 *  selector) on a selector validation should have refused. */
export function compileAffinityTerms(pod: Pod): PodAffinityTerms | undefined {
  const a = pod.spec?.affinity;
  const pa = a?.podAffinity;
  const anti = a?.podAntiAffinity;
  if (!pa && !anti) return undefined;
  const terms: PodAffinityTerms = {
    requiredAffinity: (pa?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => compileTerm(t, pod)),
    requiredAntiAffinity: (anti?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => compileTerm(t, pod)),
    preferredAffinity: compileWeighted(pa?.preferredDuringSchedulingIgnoredDuringExecution, pod),
    preferredAntiAffinity: compileWeighted(anti?.preferredDuringSchedulingIgnoredDuringExecution, pod),
  };
  const count = terms.requiredAffinity.length + terms.requiredAntiAffinity.length + terms.preferredAffinity.length + terms.preferredAntiAffinity.length;
  return count > 0 ? terms : undefined;
}

/** A term whose namespace selector was resolved to names (Kubernetes'
 *  mergeAffinityTermNamespacesIfNotEmpty): the incoming pod's terms are matched against
 *  existing pods without looking up each pod's namespace labels. An empty selector ({})
 *  matches every namespace and is kept as it is. */
export function withResolvedNamespaces<T extends AffinityTerm>(term: T, namespacesMatching: (s: Selector) => readonly string[]): T {
  if (term.namespaceSelector === NOTHING || term.namespaceSelector.isEmpty()) return term;
  const namespaces = new Set([...term.namespaces, ...namespacesMatching(term.namespaceSelector)]);
  return { ...term, signature: `${term.signature}\u0000resolved`, namespaces, namespaceSelector: NOTHING };
}
