// PodDisruptionBudget validation (Kubernetes' pkg/apis/policy/validation, policy/v1).
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { UNHEALTHY_POD_EVICTION_POLICIES } from '../disruption-budget.js';
import { validateIntOrPercent } from './apps.js';
import { child, invalid, key, nonNegative, notSupported, oneOf, required, type Errs } from './field-errors.js';
import { validateLabelSelector } from './meta.js';

const PERCENT = /^([0-9]+)%$/;

/** An int or a percentage of at most 100% (apps' ValidatePositiveIntOrPercent and IsNotMoreThan100Percent). */
function validateBudgetValue(v: number | string | undefined, path: string): Errs {
  if (v === undefined) return [];
  const errs = validateIntOrPercent(v, path);
  const m = typeof v === 'string' ? PERCENT.exec(v) : null;
  if (m && Number(m[1]) > 100) errs.push(invalid(path, v, 'must not be greater than 100%'));
  return errs;
}

export function validatePodDisruptionBudget(pdb: PodDisruptionBudget): Errs {
  const spec = pdb.spec ?? {};
  const errs: Errs = [];
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
    errs.push(invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  }
  errs.push(...validateBudgetValue(spec.minAvailable, 'spec.minAvailable'));
  errs.push(...validateBudgetValue(spec.maxUnavailable, 'spec.maxUnavailable'));
  errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  errs.push(...oneOf('spec.unhealthyPodEvictionPolicy', spec.unhealthyPodEvictionPolicy, UNHEALTHY_POD_EVICTION_POLICIES));
  return errs;
}

const CONDITION_STATUSES = ['False', 'True', 'Unknown'];

/** What the disruption controller and the eviction subresource may write (ValidatePodDisruptionBudgetStatusUpdate). */
export function validatePodDisruptionBudgetStatus(pdb: PodDisruptionBudget): Errs {
  const st = pdb.status;
  if (!st) return [];
  const errs: Errs = [];
  for (const f of ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods'] as const) errs.push(...nonNegative(child('status', f), st[f]));
  (st.conditions ?? []).forEach((c, i) => {
    const p = `status.conditions[${i}]`;
    if (!c.type) errs.push(required(child(p, 'type')));
    if (!CONDITION_STATUSES.includes(c.status)) errs.push(notSupported(child(p, 'status'), c.status, CONDITION_STATUSES));
    if (!c.reason) errs.push(required(child(p, 'reason')));
    if (!c.lastTransitionTime) errs.push(required(child(p, 'lastTransitionTime')));
  });
  for (const [name, t] of Object.entries(st.disruptedPods ?? {})) {
    if (!t) errs.push(required(key('status.disruptedPods', name)));
  }
  return errs;
}
