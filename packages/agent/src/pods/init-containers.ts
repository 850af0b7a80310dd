// Where a pod's initialization stands (kubelet's findNextInitContainerToRun): init containers
// run one at a time, in order, each to completion, before any regular container. Pure: read
// off the runtime's container instances, so an agent restart picks up where it was.
import type { ContainerInfo } from '../runtimes/runtime.js';
import { containersOf, initContainersOf, instancesOf, type PodObject } from './pod-util.js';

export type InitProgress =
  /** Every init container succeeded (or the pod has none): the regular containers may run. */
  | { kind: 'done' }
  /** An init container is running or being created: wait for it. */
  | { kind: 'running'; name: string }
  /** Start this init container (its first instance): the ones before it succeeded. */
  | { kind: 'next'; name: string }
  /** This init container's latest instance failed: restart it (back-off) or, under Never, the pod failed. */
  | { kind: 'failed'; name: string; instance: ContainerInfo };

/** kubelet's isInitContainerFailed. */
export function isFailedInstance(c: ContainerInfo): boolean {
  return c.reason === 'OOMKilled' || (c.state === 'exited' && (c.exitCode ?? 0) !== 0);
}

export function initProgress(pod: PodObject, containers: readonly ContainerInfo[]): InitProgress {
  const inits = initContainersOf(pod);
  if (inits.length === 0) return { kind: 'done' };
  // A regular container with an instance means initialization finished before: the init
  // containers' own instances may be gone since (garbage collection, a restarted agent that
  // adopted the pod) and must not run again.
  if (containersOf(pod).some((c) => instancesOf(containers, c.name).length > 0)) return { kind: 'done' };
  // A failure anywhere decides first (the latest failed one, as kubelet scans backwards).
  for (let i = inits.length - 1; i >= 0; i--) {
    const name = inits[i]?.name ?? '';
    const [latest] = instancesOf(containers, name);
    if (latest && isFailedInstance(latest)) return { kind: 'failed', name, instance: latest };
  }
  // Otherwise the furthest one that has an instance says where we are.
  for (let i = inits.length - 1; i >= 0; i--) {
    const name = inits[i]?.name ?? '';
    const [latest] = instancesOf(containers, name);
    if (!latest) continue;
    if (latest.state !== 'exited') return { kind: 'running', name };
    const next = inits[i + 1];
    return next ? { kind: 'next', name: next.name } : { kind: 'done' };
  }
  return { kind: 'next', name: inits[0]?.name ?? '' };
}
