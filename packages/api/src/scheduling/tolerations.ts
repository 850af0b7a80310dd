// Kubernetes' toleration rules (v1helper.TolerationsTolerateTaint,
// FindMatchingUntoleratedTaint): whether a pod's tolerations let it on a tainted node.
import type { Taint, Toleration } from '../types.js';

/** Two taints are the same taint when key and effect match (the value may differ): Kubernetes' Taint.MatchTaint. */
export function sameTaint(a: Taint, b: Taint): boolean {
  return a.key === b.key && a.effect === b.effect;
}

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

/** The first of `taints` that `include` selects and no toleration tolerates, if any. */
export function findUntoleratedTaint(taints: readonly Taint[] | undefined, tolerations: readonly Toleration[] | undefined, include: (t: Taint) => boolean): Taint | undefined {
  return (taints ?? []).find((t) => include(t) && !toleratedBy(tolerations, t));
}
