// How much of one resource a pod asks for, Kubernetes' way (component-helpers resource.PodRequests,
// with sidecars, KEP-753): the regular containers run together, so they add up; sidecars start
// in init order and keep running, so each adds to the sum and to every init container started
// after it; a plain init container runs alone beside the sidecars before it, so the pod needs at
// least its peak. Overhead is the caller's to add. The scheduler, tctl's describe/top and the
// density bench all size pods with this, so they never disagree.
import { isRestartableInitContainer } from './sidecars.js';
import type { Container, PodSpec } from './types.js';

/** `amountOf(container, fieldPath)` is the container's amount of the resource (0 when unset). */
export function aggregatePodAmount(spec: PodSpec | undefined, amountOf: (c: Container, path: string) => number): number {
  let sum = 0;
  (spec?.containers ?? []).forEach((c, i) => { sum += amountOf(c, `spec.containers[${i}]`); });
  let sidecars = 0;
  let initPeak = 0;
  (spec?.initContainers ?? []).forEach((c, i) => {
    const amount = amountOf(c, `spec.initContainers[${i}]`);
    if (isRestartableInitContainer(c)) {
      sum += amount;
      sidecars += amount;
      initPeak = Math.max(initPeak, sidecars);
    } else {
      initPeak = Math.max(initPeak, amount + sidecars);
    }
  });
  return Math.max(sum, initPeak);
}
