// What one sync of a pod must do (kubelet's computePodActions + doBackOff): which containers
// to start, and with which attempt number; which wait in CrashLoopBackOff and for how long.
// Init containers come first (init-containers.ts); regular containers only once the plain ones
// all succeeded and the sidecars all started. Sidecars are restarted whenever they exit.
// A decision only — no I/O. The back-off it consults and advances has an injected clock.
import type { ProbeResults } from '../probes/probe-types.js';
import type { ContainerInfo } from '../runtimes/runtime.js';
import { BackOff, formatGoDuration } from './backoff.js';
import { initProgress } from './init-containers.js';
import {
  backoffKey, containersOf, formatPod, instancesOf, isSidecar, isTerminalPhase, regularContainersFinished, restartPolicyFor, restartPolicyOf,
  shouldRestart, sidecarsOf, type PodObject,
} from './pod-util.js';

export interface StartAction {
  name: string;
  attempt: number;
}

export interface Waiting {
  reason: string;
  message: string;
}

export interface PodActions {
  start: StartAction[];
  /** Containers waiting out their back-off (reason CrashLoopBackOff). */
  backingOff: Map<string, Waiting>;
  /** Sync again after this long (the earliest back-off ends), ms. */
  requeueAfterMs?: number;
  /**
   * Every regular container finished for good (restartPolicy Never, or OnFailure after
   * success): stop what still runs — the sidecars, in termination order — and start nothing;
   * the status then makes the pod Succeeded or Failed (kubelet's KillPod).
   */
  stopPod: boolean;
}

export function computePodActions(pod: PodObject, containers: readonly ContainerInfo[], backoff: BackOff, probes?: ProbeResults): PodActions {
  const actions: PodActions = { start: [], backingOff: new Map(), stopPod: false };
  // A finished pod never runs again (Kubernetes never leaves Succeeded/Failed).
  if (isTerminalPhase(pod.status?.phase) || pod.metadata?.deletionTimestamp) return actions;
  // Init containers first, in order; sidecars among them keep running (init-containers.ts).
  const init = initProgress(pod, containers, probes);
  // Under Never a failed init container ends the pod: nothing more starts, the status makes it Failed.
  if (init.failed && !shouldRestart(restartPolicyFor(pod, init.failed.name), init.failed.instance.exitCode)) return actions;
  if (init.initialized && regularContainersFinished(pod, containers)) {
    actions.stopPod = true;
    return actions;
  }
  for (const s of init.start) {
    if (s.after) restartOrBackOff(pod, s.after, backoff, actions);
    else actions.start.push({ name: s.name, attempt: 0 });
  }
  if (init.failed) restartOrBackOff(pod, init.failed.instance, backoff, actions);
  if (!init.initialized) return actions;
  const policy = restartPolicyOf(pod);
  for (const spec of containersOf(pod)) {
    const [latest] = instancesOf(containers, spec.name);
    if (!latest) {
      actions.start.push({ name: spec.name, attempt: 0 });
      continue;
    }
    switch (latest.state) {
      case 'created':
      case 'running':
      case 'unknown':
        break;
      case 'exited':
        if (shouldRestart(policy, latest.exitCode)) restartOrBackOff(pod, latest, backoff, actions);
        break;
    }
  }
  return actions;
}

/** kubelet's doBackOff for an exited instance that is to be restarted: now, or after its back-off. */
function restartOrBackOff(pod: PodObject, latest: ContainerInfo, backoff: BackOff, actions: PodActions): void {
  const key = backoffKey(pod, latest.name);
  const exitedAt = (latest.finishedAt ?? latest.createdAt).getTime();
  if (backoff.isInBackOffSince(key, exitedAt)) {
    actions.backingOff.set(latest.name, {
      reason: 'CrashLoopBackOff',
      message: `back-off ${formatGoDuration(backoff.get(key))} restarting failed container=${latest.name} pod=${formatPod(pod)}`,
    });
    const wait = backoff.remaining(key, exitedAt);
    actions.requeueAfterMs = Math.min(actions.requeueAfterMs ?? Infinity, Math.max(1, wait));
    return;
  }
  backoff.next(key, exitedAt);
  actions.start.push({ name: latest.name, attempt: latest.attempt + 1 });
}

export interface KillAction {
  name: string;
  /** The runtime container to stop. */
  id: string;
  /** The Killing event's message, kubelet's words. */
  message: string;
  graceSeconds: number;
}

/**
 * Running containers whose liveness or startup probe failed: kubelet kills them (and the
 * restart policy and back-off decide what follows, as for any exit). A decision only.
 */
export function computeProbeKills(pod: PodObject, containers: readonly ContainerInfo[], probes: ProbeResults | undefined): KillAction[] {
  if (!probes || isTerminalPhase(pod.status?.phase) || pod.metadata?.deletionTimestamp) return [];
  const kills: KillAction[] = [];
  const restart = restartPolicyOf(pod) !== 'Never';
  // Sidecars are probed like regular containers (liveness, startup) and always restarted.
  for (const spec of [...sidecarsOf(pod), ...containersOf(pod)]) {
    const [latest] = instancesOf(containers, spec.name);
    if (!latest || latest.state !== 'running') continue;
    const failed = probes.result(latest.id, 'startup') === 'failure' ? { kind: 'startup', probe: spec.startupProbe }
      : probes.result(latest.id, 'liveness') === 'failure' ? { kind: 'liveness', probe: spec.livenessProbe }
        : undefined;
    if (!failed) continue;
    kills.push({
      name: spec.name,
      id: latest.id,
      message: isSidecar(pod, spec.name)
        ? `Init container ${spec.name} failed ${failed.kind} probe`
        : `Container ${spec.name} failed ${failed.kind} probe${restart ? ', will be restarted' : ''}`,
      // A probe's own grace period wins over the pod's (Kubernetes' ProbeTerminationGracePeriod).
      graceSeconds: failed.probe?.terminationGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30,
    });
  }
  return kills;
}
