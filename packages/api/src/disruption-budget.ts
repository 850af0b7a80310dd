// PodDisruptionBudget rules both sides need: which pods a budget covers (the disruption
// controller counts them, the eviction subresource charges them) and the DisruptionAllowed
// condition both write (Kubernetes' component-helpers/apps/poddisruptionbudget).
import type { Condition } from 'kubernetes-types/meta/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { selectorFromLabelSelector } from './labels.js';
import type { KubeObject, Pod } from './types.js';

export type PodDisruptionBudgetObject = PodDisruptionBudget & KubeObject;

export const DISRUPTION_ALLOWED_CONDITION = 'DisruptionAllowed';
export const SUFFICIENT_PODS_REASON = 'SufficientPods';
export const INSUFFICIENT_PODS_REASON = 'InsufficientPods';
export const SYNC_FAILED_REASON = 'SyncFailed';
/** The StatusCause type of an eviction a budget refused. */
export const DISRUPTION_BUDGET_CAUSE = 'DisruptionBudget';
/** Kubernetes' message when a budget refuses an eviction (kubectl drain retries on it). */
export const EVICTION_REFUSED_MESSAGE = "Cannot evict pod as it would violate the pod's disruption budget.";
/** An evicted pod not seen deleted within this long counts as healthy again (the controller's DeletionTimeout). */
export const DISRUPTED_POD_TIMEOUT_MS = 2 * 60_000;
/** Evictions the controller has not confirmed yet, beyond which the API server refuses more. */
export const MAX_DISRUPTED_PODS = 2000;
export const UNHEALTHY_POD_EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'] as const;

/**
 * Whether the budget covers the pod: same namespace, and its selector matches (policy/v1: no
 * selector covers nothing, an empty one every pod of the namespace).
 */
export function budgetCoversPod(pdb: PodDisruptionBudgetObject, pod: Pod): boolean {
  if ((pdb.metadata?.namespace ?? '') !== (pod.metadata?.namespace ?? '')) return false;
  const sel = pdb.spec?.selector;
  if (!sel) return false;
  try {
    return selectorFromLabelSelector(sel).matches(pod.metadata?.labels ?? {});
  } catch {
    return false; // an invalid selector covers nothing
  }
}

export function isPodReady(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * The status's DisruptionAllowed condition brought in line with disruptionsAllowed
 * (UpdateDisruptionAllowedCondition); the transition time moves only when the status flips.
 */
export function withDisruptionAllowedCondition(status: NonNullable<PodDisruptionBudget['status']>, now: string): NonNullable<PodDisruptionBudget['status']> {
  const allowed = status.disruptionsAllowed > 0;
  const want = { type: DISRUPTION_ALLOWED_CONDITION, status: allowed ? 'True' : 'False', reason: allowed ? SUFFICIENT_PODS_REASON : INSUFFICIENT_PODS_REASON };
  const conditions = status.conditions ?? [];
  const old = conditions.find((c) => c.type === DISRUPTION_ALLOWED_CONDITION);
  const next: Condition = {
    ...want,
    message: old?.status === want.status && old.reason === want.reason ? old.message : '',
    lastTransitionTime: old && old.status === want.status ? old.lastTransitionTime : now,
    ...(status.observedGeneration !== undefined ? { observedGeneration: status.observedGeneration } : {}),
  };
  return { ...status, conditions: [...conditions.filter((c) => c.type !== DISRUPTION_ALLOWED_CONDITION), next] };
}

/** Whether the condition already says what disruptionsAllowed says (ConditionsAreUpToDate), for the stored generation. */
export function disruptionConditionCurrent(pdb: PodDisruptionBudgetObject): boolean {
  const st = pdb.status;
  const c = st?.conditions?.find((x) => x.type === DISRUPTION_ALLOWED_CONDITION);
  if (!st || !c || st.observedGeneration !== pdb.metadata?.generation) return false;
  return st.disruptionsAllowed > 0 ? c.status === 'True' && c.reason === SUFFICIENT_PODS_REASON : c.status === 'False' && c.reason === INSUFFICIENT_PODS_REASON;
}
