// TaintToleration: a node's NoSchedule / NoExecute taints must each be tolerated by the pod
// (filter); each PreferNoSchedule taint the pod does not tolerate lowers the node's score.
import type { Taint, Toleration } from '@tugboat/api';
import type { CycleState } from '../../framework/cycle-state.js';
import type { FilterPlugin, PreScorePlugin, ScorePlugin } from '../../framework/interfaces.js';
import { defaultNormalizeScore } from '../../framework/interfaces.js';
import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import { SKIP, SUCCESS, unresolvable, type Status } from '../../framework/status.js';
import { PluginNames } from '../names.js';
import { toleratedBy } from './tolerations.js';

const PREFER_KEY = `${PluginNames.TaintToleration}/prefer-no-schedule`;

/** Kubernetes' wording: `node(s) had untolerated taint {dedicated: gpu}`. */
export function untoleratedReason(taint: Taint): string {
  return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
}

// Statuses per taint object: a node's taints are the same objects until the node changes, so
// rejecting the same node again allocates nothing.
const rejections = new WeakMap<Taint, Status>();

function rejection(taint: Taint): Status {
  let s = rejections.get(taint);
  if (!s) {
    s = unresolvable(untoleratedReason(taint), PluginNames.TaintToleration);
    rejections.set(taint, s);
  }
  return s;
}

/** The first NoSchedule/NoExecute taint of the node the pod does not tolerate. Pure. */
export function firstUntolerated(tolerations: readonly Toleration[] | undefined, taints: readonly Taint[]): Taint | undefined {
  for (const taint of taints) if (!toleratedBy(tolerations, taint)) return taint;
  return undefined;
}

export class TaintToleration implements FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = PluginNames.TaintToleration;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    if (node.hardTaints.length === 0) return SUCCESS;
    const taint = firstUntolerated(pod.pod.spec?.tolerations, node.hardTaints);
    return taint ? rejection(taint) : SUCCESS;
  }

  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], count: number): Status {
    // No soft taint anywhere: every node would score the same.
    let any = false;
    for (let i = 0; i < count && !any; i++) any = nodes[i]!.softTaints.length > 0;
    if (!any) return SKIP;
    // Kubernetes counts tolerations with an empty effect too (they tolerate every effect).
    const tolerations = (pod.pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    state.write(PREFER_KEY, tolerations);
    return SUCCESS;
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    if (node.softTaints.length === 0) return 0;
    const tolerations = state.read<Toleration[]>(PREFER_KEY);
    let n = 0;
    for (const taint of node.softTaints) if (!toleratedBy(tolerations, taint)) n++;
    return n;
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, scores: Float64Array, count: number): void {
    defaultNormalizeScore(scores, count, true);
  }
}

export const factory = (): TaintToleration => new TaintToleration();
