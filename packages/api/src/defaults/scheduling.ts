// PriorityClass defaults (Kubernetes' scheduling/v1 SetDefaults_PriorityClass): a class that
// does not say how its pods treat others preempts lower priorities.
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';

export function defaultPriorityClass(pc: PriorityClass): void {
  pc.preemptionPolicy ??= 'PreemptLowerPriority';
}
