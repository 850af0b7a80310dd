// A pod's status as kubelet computes it (generateAPIPodStatus, getPhase), from the pod and
// what the runtime says about its containers. Pure: the clock is an argument, and every
// timestamp that has not changed is carried over, so an unchanged pod yields an identical
// status and no write.
import { isRestartableInitContainer, parseQuantity, rfc3339 } from '@tugboat/api';
import type { Container, ContainerState, ContainerStatus, PodCondition, PodStatus } from '@tugboat/api';
import type { ProbeResults } from '../probes/probe-types.js';
import { containerIdUri, type ContainerInfo, type RuntimeName } from '../runtimes/runtime.js';
import type { Waiting } from './pod-actions.js';
import { initProgress } from './init-containers.js';
import {
  containersOf, initContainersOf, instancesOf, isSidecar, isTerminalPhase, regularContainersFinished, restartPolicyFor, restartPolicyOf, shouldRestart,
  type PodObject,
} from './pod-util.js';

export interface StatusInput {
  pod: PodObject;
  containers: readonly ContainerInfo[];
  /** Why a container that should run is not running (CrashLoopBackOff, RunContainerError, CreateContainerConfigError…): kubelet's reason cache. */
  waiting: ReadonlyMap<string, Waiting>;
  runtime: RuntimeName;
  hostIP: string;
  podIP?: string;
  now: Date;
  /**
   * The prober's verdicts. With them a container with a startup probe is `started` only
   * once it passed, and one with a readiness probe is `ready` only while it passes; without
   * (a runtime that is not probed) every running container is both.
   */
  probes?: ProbeResults;
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

function terminatedState(c: ContainerInfo, runtime: RuntimeName): ContainerState {
  return {
    terminated: {
      exitCode: c.exitCode ?? 0,
      reason: c.reason ?? ((c.exitCode ?? 0) === 0 ? 'Completed' : 'Error'),
      ...(c.message ? { message: c.message } : {}),
      ...(c.startedAt ? { startedAt: rfc3339(c.startedAt) } : {}),
      ...(c.finishedAt ? { finishedAt: rfc3339(c.finishedAt) } : {}),
      containerID: containerIdUri(runtime, c.id),
    },
  };
}

function stateOf(c: ContainerInfo, runtime: RuntimeName): ContainerState {
  switch (c.state) {
    case 'running': return { running: { startedAt: rfc3339(c.startedAt ?? c.createdAt) } };
    case 'exited': return terminatedState(c, runtime);
    case 'created':
    case 'unknown':
      return { waiting: { reason: 'ContainerCreating' } };
  }
}

/**
 * An init container of an initialized pod whose instances are gone (garbage collection, a
 * restarted agent): it succeeded — the regular containers ran — so its last stored
 * terminated status stands, as kubelet keeps the old status of a container it no longer sees.
 */
function completedInitStatus(pod: PodObject, status: ContainerStatus): ContainerStatus {
  const old = pod.status?.initContainerStatuses?.find((s) => s.name === status.name);
  if (old?.state?.terminated) return { ...old, ready: old.state.terminated.exitCode === 0 };
  return { ...status, ready: true, state: { terminated: { exitCode: 0, reason: 'Completed' } } };
}

/** Where the pod stands, for an init container's status. */
export interface InitContext {
  initialized: boolean;
  /** Every regular container finished for good: the sidecars are being stopped, not restarted. */
  finished: boolean;
}

/**
 * One containerStatuses entry (kubelet's convertToAPIContainerStatuses for one container), or
 * with `init` one initContainerStatuses entry. A plain init container: not probed, ready once
 * it exited 0, never restarted once the pod is initialized. A sidecar: probed, started and
 * ready as a regular container, restarted until the pod finishes.
 */
export function containerStatusFor(input: StatusInput, spec: Container, terminating: boolean, init?: InitContext): ContainerStatus {
  const [latest, previous] = instancesOf(input.containers, spec.name);
  const status: ContainerStatus = {
    name: spec.name,
    image: spec.image ?? '',
    imageID: '',
    ready: false,
    restartCount: 0,
    started: false,
    // kubelet's default for a container not created yet: with init containers every one waits on initialization.
    state: { waiting: { reason: initContainersOf(input.pod).length ? 'PodInitializing' : 'ContainerCreating' } },
    lastState: {},
  };
  const cached = input.waiting.get(spec.name);
  const sidecar = init !== undefined && isRestartableInitContainer(spec);
  const plainInit = init !== undefined && !sidecar;
  if (!latest) {
    if (plainInit && init.initialized) return completedInitStatus(input.pod, status);
    if (cached) status.state = { waiting: { reason: cached.reason, message: cached.message } };
    return status;
  }
  status.imageID = latest.imageRef;
  status.containerID = containerIdUri(input.runtime, latest.id);
  status.restartCount = latest.attempt;
  status.state = stateOf(latest, input.runtime);
  if (previous && previous.state === 'exited') status.lastState = terminatedState(previous, input.runtime);
  const running = latest.state === 'running';
  const probes = plainInit ? undefined : input.probes;
  const started = running && (!probes || !spec.startupProbe || probes.result(latest.id, 'startup') === 'success');
  status.started = started;
  status.ready = started && !terminating && (!probes || !spec.readinessProbe || probes.result(latest.id, 'readiness') === 'success');
  // A container that will be restarted is Waiting, with why (as kubelet does with its reason cache).
  const restartable = sidecar ? !init.finished : !init?.initialized;
  const willRestart = latest.state === 'exited' && !terminating && !isTerminalPhase(input.pod.status?.phase) && restartable
    && shouldRestart(restartPolicyFor(input.pod, spec.name), latest.exitCode);
  if (willRestart && cached) {
    status.lastState = status.state;
    status.state = { waiting: { reason: cached.reason, message: cached.message } };
  }
  // An init container is ready once it completed (kubelet's prober manager says so).
  if (plainInit) status.ready = status.state?.terminated?.exitCode === 0;
  return status;
}

/**
 * kubelet's getPhase over the computed container statuses (and init container statuses). A
 * sidecar that runs counts as running and one not started yet holds the pod Pending (until
 * the pod was initialized once); a stopped sidecar does not count at all, so a pod whose
 * regular containers finished is Succeeded or Failed from them alone.
 */
export function podPhase(
  pod: PodObject, statuses: readonly ContainerStatus[], terminating: boolean, initStatuses: readonly ContainerStatus[] = [], initialized = false,
): PodPhase {
  const current = pod.status?.phase;
  if (current === 'Succeeded' || current === 'Failed') return current;
  let pendingInitialization = 0, pendingSidecars = 0, failedInitialization = 0;
  let waiting = 0, running = 0, stopped = 0, succeeded = 0, unknown = 0;
  for (const s of initStatuses) {
    if (isSidecar(pod, s.name)) {
      if (s.state?.running) {
        running++;
        if (!s.started) pendingSidecars++;
      } else if (s.state?.terminated || (s.state?.waiting && s.lastState?.terminated)) {
        // A stopped sidecar, or one waiting to be restarted: not part of the phase.
      } else if (s.state?.waiting) {
        waiting++;
        pendingSidecars++;
      } else unknown++;
      continue;
    }
    if (s.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInitialization++;
    } else if (s.state?.waiting && s.lastState?.terminated) {
      // Waiting to be restarted after a failure (CrashLoopBackOff).
      if (s.lastState.terminated.exitCode !== 0) failedInitialization++;
    } else pendingInitialization++;
  }
  // A failed init container is never retried under Never: the pod failed.
  if (failedInitialization > 0 && restartPolicyOf(pod) === 'Never') return 'Failed';
  if (pendingInitialization > 0 || (pendingSidecars > 0 && !initialized)) return 'Pending';
  for (const s of statuses) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  if (statuses.length === 0) return 'Pending';
  if (waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (terminating) return stopped === succeeded ? 'Succeeded' : 'Failed';
    switch (restartPolicyOf(pod)) {
      case 'Always': return 'Running';
      case 'OnFailure': return stopped === succeeded ? 'Succeeded' : 'Running';
      case 'Never': return stopped === succeeded ? 'Succeeded' : 'Failed';
    }
  }
  return 'Pending';
}

function condition(pod: PodObject, now: Date, type: string, status: 'True' | 'False', reason?: string, message?: string): PodCondition {
  const old = pod.status?.conditions?.find((c) => c.type === type);
  const lastTransitionTime = old && old.status === status && old.lastTransitionTime ? old.lastTransitionTime : rfc3339(now);
  return {
    type,
    status,
    lastTransitionTime,
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  };
}

function milli(q: string | number | undefined): number | undefined {
  if (q === undefined) return undefined;
  try { return parseQuantity(q).milliValue(); } catch { return undefined; }
}

/** Kubernetes' QoS class from the containers' requests and limits. */
export function qosClass(containers: readonly Container[]): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      const l = lim[r];
      const q = req[r] ?? l;
      if (l === undefined || q === undefined) { guaranteed = false; continue; }
      const lm = milli(l), qm = milli(q);
      if (lm === undefined || qm === undefined ? String(l) !== String(q) : lm !== qm) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/**
 * kubelet's GeneratePodInitializedCondition: True once every plain init container completed
 * and every sidecar started — and it stays True once the regular containers ran, while a
 * sidecar restarts.
 */
function initializedCondition(pod: PodObject, now: Date, initStatuses: readonly ContainerStatus[], phase: PodPhase, initialized: boolean): PodCondition {
  const incomplete = initStatuses.filter((s) => (isSidecar(pod, s.name) ? !s.started : !s.ready)).map((s) => s.name);
  if (phase === 'Succeeded') return condition(pod, now, 'Initialized', 'True', 'PodCompleted');
  if (initialized || incomplete.length === 0) return condition(pod, now, 'Initialized', 'True');
  return condition(pod, now, 'Initialized', 'False', 'ContainersNotInitialized', `containers with incomplete status: [${incomplete.join(' ')}]`);
}

export function computePodStatus(input: StatusInput): PodStatus {
  const { pod, now } = input;
  const terminating = !!pod.metadata?.deletionTimestamp;
  const specs = containersOf(pod);
  const initSpecs = initContainersOf(pod);
  const { initialized } = initProgress(pod, input.containers, input.probes);
  const finished = regularContainersFinished(pod, input.containers);
  const initContainerStatuses = initSpecs.map((c) => containerStatusFor(input, c, terminating, { initialized, finished }));
  const containerStatuses = specs.map((c) => containerStatusFor(input, c, terminating));
  const phase = podPhase(pod, containerStatuses, terminating, initContainerStatuses, initialized);
  const completed = phase === 'Succeeded' || phase === 'Failed';
  // Sidecars count toward readiness, listed first (kubelet's GenerateContainersReadyCondition).
  const sidecarStatuses = initContainerStatuses.filter((s) => isSidecar(pod, s.name));
  const unready = [...sidecarStatuses, ...containerStatuses].filter((s) => !s.ready).map((s) => s.name);
  const ready = unready.length === 0 && !completed;
  const notReady = completed
    ? { reason: 'PodCompleted', message: undefined }
    : { reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` };
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  const ours = new Set(['PodScheduled', 'Initialized', 'ContainersReady', 'Ready']);
  const conditions: PodCondition[] = [
    ...(pod.status?.conditions ?? []).filter((c) => !ours.has(c.type)),
    initializedCondition(pod, now, initContainerStatuses, phase, initialized),
    ready ? condition(pod, now, 'Ready', 'True') : condition(pod, now, 'Ready', 'False', notReady.reason, notReady.message),
    ready ? condition(pod, now, 'ContainersReady', 'True') : condition(pod, now, 'ContainersReady', 'False', notReady.reason, notReady.message),
    scheduled && scheduled.status === 'True' ? scheduled : condition(pod, now, 'PodScheduled', 'True'),
  ];
  const podIP = input.podIP ?? input.hostIP;
  return {
    ...(pod.status?.nominatedNodeName ? { nominatedNodeName: pod.status.nominatedNodeName } : {}),
    phase,
    conditions,
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    podIP,
    podIPs: [{ ip: podIP }],
    startTime: pod.status?.startTime ?? rfc3339(now),
    ...(initSpecs.length ? { initContainerStatuses } : {}),
    containerStatuses,
    qosClass: pod.status?.qosClass ?? qosClass([...initSpecs, ...specs]),
  };
}

/**
 * A stable JSON form for "did anything change" (key order does not matter): JSON.stringify's
 * text with every object's keys sorted. Built directly rather than through a replacer that
 * copies each object sorted — this runs twice per pod sync, and at fleet scale the copies were
 * a tenth of a hollow agent's CPU.
 */
export function canonicalJson(v: unknown): string {
  return canonical(v) ?? 'null';
}

function canonical(v: unknown): string | undefined {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  const withJson = v as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === 'function') return canonical(withJson.toJSON());
  if (Array.isArray(v)) return `[${v.map((x) => canonical(x) ?? 'null').join(',')}]`;
  const o = v as Record<string, unknown>;
  let out = '';
  for (const k of Object.keys(o).sort()) {
    const val = canonical(o[k]);
    if (val === undefined) continue; // undefined, functions, symbols: left out, as JSON.stringify does
    out += `${out ? ',' : ''}${JSON.stringify(k)}:${val}`;
  }
  return `{${out}}`;
}
