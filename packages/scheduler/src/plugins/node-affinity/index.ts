// NodeAffinity: spec.nodeSelector and required node affinity must both match the node
// (filter); each preferred term that matches adds its weight (score). Both are compiled once
// per cycle in PreFilter / PreScore, so the per-node work is a few label lookups.
import type { PreferredSchedulingTerm } from '@tugboat/api';
import type { CycleState } from '../../framework/cycle-state.js';
import type { FilterPlugin, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../../framework/interfaces.js';
import { defaultNormalizeScore } from '../../framework/interfaces.js';
import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import { SKIP, SUCCESS, unresolvable, type Status } from '../../framework/status.js';
import { PluginNames } from '../names.js';
import { compileTerm, requiredNodeMatcher, type NodeMatcher } from './node-selector.js';

export const REASON_AFFINITY = "node(s) didn't match Pod's node affinity/selector";
const REJECTED = unresolvable(REASON_AFFINITY, PluginNames.NodeAffinity);
const REQUIRED_KEY = `${PluginNames.NodeAffinity}/required`;
const PREFERRED_KEY = `${PluginNames.NodeAffinity}/preferred`;

interface WeightedMatcher { weight: number; matches: NodeMatcher }

/** The pod's nodeSelector and required affinity as one predicate; undefined when it has neither. */
export function requiredMatcher(pod: PodInfo): NodeMatcher | undefined {
  return requiredNodeMatcher(pod.pod.spec);
}

function preferredMatchers(terms: readonly PreferredSchedulingTerm[] | undefined): WeightedMatcher[] {
  return (terms ?? []).filter((t) => t.weight > 0).map((t) => ({ weight: t.weight, matches: compileTerm(t.preference) }));
}

export class NodeAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = PluginNames.NodeAffinity;

  preFilter(state: CycleState, pod: PodInfo): Status {
    const m = requiredMatcher(pod);
    if (!m) return SKIP;
    state.write(REQUIRED_KEY, m);
    return SUCCESS;
  }

  filter(state: CycleState, _pod: PodInfo, node: NodeInfo): Status {
    const m = state.read<NodeMatcher>(REQUIRED_KEY);
    return !m || m(node.labels, node.name) ? SUCCESS : REJECTED;
  }

  preScore(state: CycleState, pod: PodInfo): Status {
    const preferred = preferredMatchers(pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
    if (preferred.length === 0) return SKIP;
    state.write(PREFERRED_KEY, preferred);
    return SUCCESS;
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    const preferred = state.read<WeightedMatcher[]>(PREFERRED_KEY) ?? [];
    let sum = 0;
    for (const p of preferred) if (p.matches(node.labels, node.name)) sum += p.weight;
    return sum;
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, scores: Float64Array, count: number): void {
    defaultNormalizeScore(scores, count, false);
  }
}

export const factory = (): NodeAffinity => new NodeAffinity();
