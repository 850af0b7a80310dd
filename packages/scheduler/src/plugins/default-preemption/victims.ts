// Which pods on one node must go for the preemptor to fit there (Kubernetes'
// SelectVictimsOnNode): take away every lower-priority pod; if the pod still does not fit, the
// node is no candidate. Otherwise put the pods back one by one, the most important first —
// first those whose PodDisruptionBudget the eviction would break, then the others — and keep
// back every pod the preemptor fits beside. What could not be put back is the victim list.
//
// It works on a copy of the node; the cycle's PreFilter state is changed through the
// PreFilter extensions (deltas) and restored before returning, so the next node starts clean.
import type { PodDisruptionBudgetObject, Pod } from '@tugboat/api';
import { selectorFromLabelSelector } from '@tugboat/api';
import type { CycleState } from '../../framework/cycle-state.js';
import type { FilterRunner } from '../../framework/interfaces.js';
import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import { unresolvable, type Status } from '../../framework/status.js';

export const REASON_NO_VICTIMS = 'No preemption victims found for incoming pod';
const NO_VICTIMS = unresolvable(REASON_NO_VICTIMS);

export type VictimSelection =
  | { readonly ok: true; readonly victims: readonly PodInfo[]; readonly pdbViolations: number }
  | { readonly ok: false; readonly status: Status };

/** When the pod started, ms; one that has not started yet counts as starting now (Kubernetes' GetPodStartTime). */
export function podStartTime(pod: Pod, now: number): number {
  const t = pod.status?.startTime ? Date.parse(pod.status.startTime) : NaN;
  return Number.isFinite(t) ? t : now;
}

/** Kubernetes' MoreImportantPod: higher priority first; equal priority, the one running longer. */
export function moreImportant(a: PodInfo, b: PodInfo, now: number): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  return podStartTime(a.pod, now) - podStartTime(b.pod, now);
}

function budgetSelectsPod(pdb: PodDisruptionBudgetObject, pod: Pod): boolean {
  const sel = pdb.spec?.selector;
  // Preemption treats a missing or empty selector as matching nothing (unlike eviction).
  if (!sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0)) return false;
  try {
    return selectorFromLabelSelector(sel).matches(pod.metadata?.labels ?? {});
  } catch {
    return false; // an invalid selector covers nothing
  }
}

/**
 * Splits `pods` (order kept) into those whose eviction would take a budget below zero
 * disruptions allowed, counted in order, and the others (Kubernetes' filterPodsWithPDBViolation).
 * A pod the budget already lists in status.disruptedPods was charged already.
 */
export function splitByBudgetViolation(pods: readonly PodInfo[], pdbs: readonly PodDisruptionBudgetObject[]): { violating: PodInfo[]; nonViolating: PodInfo[] } {
  const allowed = pdbs.map((b) => b.status?.disruptionsAllowed ?? 0);
  const violating: PodInfo[] = [];
  const nonViolating: PodInfo[] = [];
  for (const p of pods) {
    const meta = p.pod.metadata;
    let violated = false;
    if (Object.keys(meta?.labels ?? {}).length > 0) {
      pdbs.forEach((b, i) => {
        if ((b.metadata?.namespace ?? '') !== (meta?.namespace ?? '') || !budgetSelectsPod(b, p.pod)) return;
        if (meta?.name && b.status?.disruptedPods?.[meta.name] !== undefined) return;
        allowed[i]!--;
        if (allowed[i]! < 0) violated = true;
      });
    }
    (violated ? violating : nonViolating).push(p);
  }
  return { violating, nonViolating };
}

/** The victims on `live` for `pod`, most important first; `live` is not changed (a copy is). */
export function selectVictimsOnNode(
  fw: FilterRunner, state: CycleState, pod: PodInfo, live: NodeInfo, pdbs: readonly PodDisruptionBudgetObject[], now: number,
): VictimSelection {
  const potential: PodInfo[] = [];
  for (const p of live.pods.values()) if (p.priority < pod.priority) potential.push(p);
  if (potential.length === 0) return { ok: false, status: NO_VICTIMS };
  const node = live.clone();
  const removed: PodInfo[] = [];
  const restore = (): void => { for (const p of removed) fw.runPreFilterAddPod(state, pod, p, node); };
  const take = (p: PodInfo): Status => {
    node.removePod(p.key);
    removed.push(p);
    return fw.runPreFilterRemovePod(state, pod, p, node);
  };
  for (const p of potential) {
    const s = take(p);
    if (s.code !== 'success') { restore(); return { ok: false, status: s }; }
  }
  // Not even without every lower-priority pod: preemption cannot help here (Kubernetes does not
  // consider affinity of the preemptor to its victims either).
  const without = fw.runFilterWithNominatedPods(state, pod, node);
  if (without.code !== 'success') { restore(); return { ok: false, status: without }; }

  potential.sort((a, b) => moreImportant(a, b, now));
  const { violating, nonViolating } = splitByBudgetViolation(potential, pdbs);
  const victims: PodInfo[] = [];
  let pdbViolations = 0;
  // Put `p` back; true when the pod still fits beside it.
  const reprieve = (p: PodInfo): boolean | Status => {
    node.addPod(p);
    removed.splice(removed.indexOf(p), 1);
    const added = fw.runPreFilterAddPod(state, pod, p, node);
    if (added.code !== 'success') return added;
    if (fw.runFilterWithNominatedPods(state, pod, node).code === 'success') return true;
    const s = take(p);
    if (s.code !== 'success') return s;
    victims.push(p);
    return false;
  };
  for (const list of [violating, nonViolating]) {
    for (const p of list) {
      const r = reprieve(p);
      if (typeof r !== 'boolean') { restore(); return { ok: false, status: r }; }
      if (!r && list === violating) pdbViolations++;
    }
  }
  restore();
  if (violating.length > 0 && nonViolating.length > 0) victims.sort((a, b) => moreImportant(a, b, now));
  return { ok: true, victims, pdbViolations };
}
