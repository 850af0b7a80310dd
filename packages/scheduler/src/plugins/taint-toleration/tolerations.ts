// Kubernetes' toleration rule (v1helper.TolerationsTolerateTaint), shared by the filters that
// look at taints (TaintToleration, NodeUnschedulable).
import type { Taint, Toleration } from '@tugboat/api';

export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? 'Equal') {
    case 'Exists': return true;
    case 'Equal':
    case '': return (t.value ?? '') === (taint.value ?? '');
    default: return false;
  }
}

export function toleratedBy(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  if (!tolerations) return false;
  for (const t of tolerations) if (tolerates(t, taint)) return true;
  return false;
}
