// Where a pod's initialization stands (kubelet's computeInitContainerActions): init containers
// run one at a time, in order, before any regular container. A plain one must exit 0 before
// the next starts; a sidecar (restartPolicy Always) only has to have *started* — running, and
// past its startup probe if it has one — and then keeps running: restarted whenever it exits.
// Pure: read off the runtime's container instances (and the prober's verdicts), so an agent
// restart picks up where it was.
//
//   init:  i1 (plain) ── exit 0 ──▶ s1 (sidecar) ── started ──▶ i2 (plain) ── exit 0 ──▶ initialized
//                                    └── kept running (restarted with back-off) ─────────────────▶
import type { ProbeResults } from '../probes/probe-types.js';
import type { ContainerInfo } from '../runtimes/runtime.js';
import { containersOf, initContainersOf, instancesOf, isSidecar, type PodObject } from './pod-util.js';
import type { Container } from '@tugboat/api';

/** An init container to start now: its first instance, or (with `after`) a new one after that exited instance, once its back-off allows. */
export interface InitStart {
  name: string;
  after?: ContainerInfo;
}

export interface InitProgress {
  /** The regular containers may run: every plain init container succeeded and every sidecar started (or the pod has none). */
  initialized: boolean;
  /** Init containers to start, in spec order: the next one, and sidecars that are to keep running. */
  start: InitStart[];
  /** A plain init container's latest instance failed: restart it (back-off) or, under Never, the pod failed. */
  failed?: { name: string; instance: ContainerInfo };
}

/** kubelet's isInitContainerFailed. */
export function isFailedInstance(c: ContainerInfo): boolean {
  return c.reason === 'OOMKilled' || (c.state === 'exited' && (c.exitCode ?? 0) !== 0);
}

/**
 * A sidecar counts as done for the next init container once it runs and its startup probe (if
 * any) passed. Without probe verdicts (a runtime that is not probed) running is enough.
 */
export function sidecarStarted(spec: Container, latest: ContainerInfo | undefined, probes: ProbeResults | undefined): boolean {
  if (latest?.state !== 'running') return false;
  return !probes || !spec.startupProbe || probes.result(latest.id, 'startup') === 'success';
}

export function initProgress(pod: PodObject, containers: readonly ContainerInfo[], probes?: ProbeResults): InitProgress {
  const inits = initContainersOf(pod);
  // A regular container with an instance means initialization finished before: the plain init
  // containers' instances may be gone since (garbage collection, a restarted agent that
  // adopted the pod) and must not run again; only the sidecars are kept running.
  const initializedBefore = containersOf(pod).some((c) => instancesOf(containers, c.name).length > 0);
  // Otherwise the furthest init container with an instance says where we are: each one before
  // it succeeded (plain) or started once (sidecar), as kubelet scans backwards.
  let furthest = -1;
  if (!initializedBefore) {
    for (let i = inits.length - 1; i >= 0 && furthest < 0; i--) if (instancesOf(containers, inits[i]?.name ?? '').length) furthest = i;
  }
  const reached = initializedBefore ? inits.length : Math.max(furthest, 0);
  const start: InitStart[] = [];
  for (const spec of inits.slice(0, reached)) {
    if (!isSidecar(pod, spec.name)) continue;
    const [latest] = instancesOf(containers, spec.name);
    if (!latest) start.push({ name: spec.name });
    else if (latest.state === 'exited') start.push({ name: spec.name, after: latest });
  }
  if (initializedBefore || inits.length === 0) return { initialized: true, start };
  const spec = inits[reached];
  if (!spec) return { initialized: true, start };
  const [latest] = instancesOf(containers, spec.name);
  if (!latest) return { initialized: false, start: [...start, { name: spec.name }] };
  let done: boolean;
  if (isSidecar(pod, spec.name)) {
    if (latest.state === 'exited') start.push({ name: spec.name, after: latest });
    done = sidecarStarted(spec, latest, probes);
  } else {
    if (isFailedInstance(latest)) return { initialized: false, start, failed: { name: spec.name, instance: latest } };
    done = latest.state === 'exited';
  }
  if (!done) return { initialized: false, start };
  const next = inits[reached + 1];
  return next ? { initialized: false, start: [...start, { name: next.name }] } : { initialized: true, start };
}
