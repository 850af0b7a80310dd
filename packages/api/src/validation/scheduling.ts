// PriorityClass validation (Kubernetes' pkg/apis/scheduling/validation). One global default at
// most is the API server's check (it needs the other classes), not this file's.
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import { HIGHEST_USER_DEFINABLE_PRIORITY, PREEMPTION_POLICIES, SYSTEM_PRIORITY_CLASS_PREFIX, systemPriorityClassMismatch } from '../priority.js';
import { forbidden, invalid, oneOf, type Errs } from './field-errors.js';

export function validatePriorityClass(pc: PriorityClass): Errs {
  const errs: Errs = [];
  const name = pc.metadata?.name ?? '';
  if (name.startsWith(SYSTEM_PRIORITY_CLASS_PREFIX)) {
    const why = systemPriorityClassMismatch(name, pc.value, pc.globalDefault ?? false);
    if (why) errs.push(forbidden('metadata.name', `priority class names with '${SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are reserved for system use only. error: ${why}`));
  } else if (pc.value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  }
  errs.push(...oneOf('preemptionPolicy', pc.preemptionPolicy, PREEMPTION_POLICIES));
  return errs;
}

/** value and preemptionPolicy are fixed once made (pods were admitted with them). */
export function validatePriorityClassUpdate(pc: PriorityClass, old: PriorityClass): Errs {
  const errs: Errs = [];
  if (pc.value !== old.value) errs.push(forbidden('value', 'may not be changed in an update.'));
  if (pc.preemptionPolicy !== old.preemptionPolicy) errs.push(invalid('preemptionPolicy', pc.preemptionPolicy ?? null, 'field is immutable'));
  return errs;
}
