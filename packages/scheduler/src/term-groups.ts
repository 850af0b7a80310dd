// Two cache-side indexes that keep InterPodAffinity's per-cycle work proportional to the number
// of distinct terms rather than to the number of pods:
//
// TermGroups   the placed pods' own terms, grouped by kind and signature (and weight), each
//              with how many pods carry it per value of its topology key. The incoming pod is
//              matched once per distinct term ("does this anti-affinity term name me?").
// MatchCounts  for the terms of pending pods (registered on first use, least recently used
//              dropped): how many placed pods match all of them per topology pair, kept up to
//              date as pods are placed and removed, so a ReplicaSet of pods with the same
//              affinity does not walk every pod for every replica.
//
// Both count only pods on nodes with a Node object, under the node's current labels; the cache
// calls `account` / `place` with -1 then +1 around any change of a node's labels.
import type { Pod } from '@tugboat/api';
import { matchesAllTerms, type AffinityTerm, type PodAffinityTerms, type WeightedAffinityTerm } from './framework/affinity-terms.js';
import type { NodeInfo } from './framework/node-info.js';
import type { TermGroup, TermKind } from './framework/snapshot.js';
import { TopologyCounts } from './framework/topology-counts.js';

interface Group extends TermGroup {
  readonly counts: Map<string, number>;
  members: number;
}

const KINDS: readonly TermKind[] = ['requiredAffinity', 'requiredAntiAffinity', 'preferredAffinity', 'preferredAntiAffinity'];

export class TermGroups {
  private readonly byKind = new Map<TermKind, Map<string, Group>>(KINDS.map((k) => [k, new Map()]));

  groups(kind: TermKind): Iterable<TermGroup> { return this.byKind.get(kind)!.values(); }

  /** Adds (1) or removes (-1) a pod's terms under the labels of its node. */
  account(terms: PodAffinityTerms, labels: Readonly<Record<string, string>>, sign: number): void {
    for (const kind of KINDS) {
      const list = terms[kind] as readonly (AffinityTerm | WeightedAffinityTerm)[];
      if (list.length === 0) continue;
      const groups = this.byKind.get(kind)!;
      for (const term of list) {
        const weight = 'weight' in term ? term.weight : 0;
        const key = weight ? `${term.signature}\u0000${weight}` : term.signature;
        let g = groups.get(key);
        if (!g) groups.set(key, g = { term, weight, counts: new Map(), members: 0 });
        g.members += sign;
        const value = labels[term.topologyKey];
        if (value !== undefined) {
          const n = (g.counts.get(value) ?? 0) + sign;
          if (n > 0) g.counts.set(value, n);
          else g.counts.delete(value);
        }
        if (g.members <= 0) groups.delete(key);
      }
    }
  }
}

interface Registered {
  readonly terms: readonly AffinityTerm[];
  readonly counts: TopologyCounts;
  lastUsed: number;
}

/** How many registrations are kept: each placed pod is checked against all of them. */
export const MAX_REGISTERED_TERM_SETS = 64;

export class MatchCounts {
  private readonly registered = new Map<string, Registered>();
  private tick = 0;

  /** Live counts for `terms` (build them with `fill` the first time). Do not modify. */
  get(terms: readonly AffinityTerm[], fill: (add: (pod: Pod, node: NodeInfo) => void) => void): TopologyCounts {
    const key = terms.map((t) => t.signature).join('\u0001');
    let r = this.registered.get(key);
    if (!r) {
      if (this.registered.size >= MAX_REGISTERED_TERM_SETS) this.evictOldest();
      const counts = new TopologyCounts();
      fill((pod, node) => {
        if (matchesAllTerms(terms, pod, undefined)) for (const t of terms) counts.add(t.topologyKey, node.labels[t.topologyKey], 1);
      });
      r = { terms, counts, lastUsed: 0 };
      this.registered.set(key, r);
    }
    r.lastUsed = ++this.tick;
    return r.counts;
  }

  /** A pod placed on (1) or removed from (-1) a node with a Node object. */
  place(pod: Pod, node: NodeInfo, sign: number): void {
    for (const r of this.registered.values()) {
      if (matchesAllTerms(r.terms, pod, undefined)) for (const t of r.terms) r.counts.add(t.topologyKey, node.labels[t.topologyKey], sign);
    }
  }

  /** Node labels changed or a node with pods came or went: recount on next use. */
  clear(): void {
    this.registered.clear();
  }

  private evictOldest(): void {
    let oldest: string | undefined;
    let at = Infinity;
    for (const [k, r] of this.registered) if (r.lastUsed < at) { at = r.lastUsed; oldest = k; }
    if (oldest !== undefined) this.registered.delete(oldest);
  }
}
