// In which order a pod's containers are stopped (kubelet's terminationOrdering, KEP-753): the
// regular containers (and a plain init container still running) first, all at once; then the
// sidecars one by one in reverse order of declaration, each once everything before it exited —
// so a log shipper or proxy outlives the containers it serves. The pod's grace period covers
// the whole: a later wave gets what is left of it, yet at least kubelet's minimum window.
//
//   grace ├── main, app (SIGTERM … exit) ──┼── sidecar s2 ──┼── sidecar s1 ──┤
import type { ContainerInfo } from '../runtimes/runtime.js';
import { isSidecar, sidecarsOf, type PodObject } from './pod-util.js';

/** kubelet's minimumGracePeriodInSeconds: a sidecar stopped late still gets this long after SIGTERM. */
export const MINIMUM_SIDECAR_GRACE_SECONDS = 2;

/** The live containers of a pod in the waves they are stopped in (each wave at once, the next after it). */
export function terminationWaves(pod: PodObject, live: readonly ContainerInfo[]): ContainerInfo[][] {
  const first = live.filter((c) => !isSidecar(pod, c.name));
  const waves = first.length ? [first] : [];
  for (const spec of sidecarsOf(pod).reverse()) {
    const wave = live.filter((c) => c.name === spec.name);
    if (wave.length) waves.push(wave);
  }
  return waves;
}

/**
 * The grace period of a wave that starts `elapsedMs` into the pod's `graceSeconds`: what is
 * left, rounded up as kubelet does (it subtracts whole seconds waited), but not below the
 * minimum window — unless the pod's own grace is shorter (0: kill at once).
 */
export function remainingGraceSeconds(graceSeconds: number, elapsedMs: number): number {
  const left = Math.max(0, Math.ceil((graceSeconds * 1000 - elapsedMs) / 1000));
  return Math.max(left, Math.min(graceSeconds, MINIMUM_SIDECAR_GRACE_SECONDS));
}
