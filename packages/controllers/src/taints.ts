// Taints and tolerations, as Kubernetes matches them (v1helper.TolerationsTolerateTaint, in
// @tugboat/api so the scheduler and the controllers agree).
import { tolerates, type Taint, type Toleration } from '@tugboat/api';

export { tolerates };

/** The tolerations of `tolerations` that tolerate `taint`. */
export function tolerationsFor(tolerations: readonly Toleration[] | undefined, taint: Taint): Toleration[] {
  return (tolerations ?? []).filter((t) => tolerates(t, taint));
}

export function noExecuteTaints(taints: readonly Taint[] | undefined): Taint[] {
  return (taints ?? []).filter((t) => t.effect === 'NoExecute');
}

