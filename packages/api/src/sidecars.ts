// Sidecar containers (Kubernetes 1.29+, KEP-753): init containers with `restartPolicy:
// Always`. They start in init order, keep running beside the regular containers, and count in
// the pod's readiness. The agent runs them, the printers count them; both ask here.
import type { Container, PodSpec } from './types.js';

/** Kubernetes' IsRestartableInitContainer: an init container that is a sidecar. */
export function isRestartableInitContainer(c: Container | undefined): boolean {
  return c?.restartPolicy === 'Always';
}

/** The sidecars of a pod, in declaration order. */
export function restartableInitContainers(spec: PodSpec | undefined): Container[] {
  return (spec?.initContainers ?? []).filter(isRestartableInitContainer);
}
