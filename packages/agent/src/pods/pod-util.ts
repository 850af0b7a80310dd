// Small facts about pods that the worker, the status computation and the logs server share.
import { isRestartableInitContainer, restartableInitContainers, type Container, type KubeObject, type Pod } from '@tugboat/api';
import type { ContainerInfo, PodRef } from '../runtimes/runtime.js';

export type PodObject = Pod & KubeObject;

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export function restartPolicyOf(pod: Pod): RestartPolicy {
  const p = pod.spec?.restartPolicy;
  return p === 'OnFailure' || p === 'Never' ? p : 'Always';
}

/** Kubernetes' ShouldContainerBeRestarted, for a container that exited with `exitCode`. */
export function shouldRestart(policy: RestartPolicy, exitCode: number | undefined): boolean {
  switch (policy) {
    case 'Always': return true;
    case 'OnFailure': return exitCode !== 0;
    case 'Never': return false;
  }
}

export function podRef(pod: Pod): PodRef {
  return { uid: pod.metadata?.uid ?? '', namespace: pod.metadata?.namespace ?? 'default', name: pod.metadata?.name ?? '' };
}

/** kubelet's format.Pod: `name_namespace(uid)`, as its messages print pods. */
export function formatPod(pod: Pod): string {
  const r = podRef(pod);
  return `${r.name}_${r.namespace}(${r.uid})`;
}

export function containersOf(pod: Pod): Container[] {
  return pod.spec?.containers ?? [];
}

export function initContainersOf(pod: Pod): Container[] {
  return pod.spec?.initContainers ?? [];
}

export function isInitContainer(pod: Pod, name: string): boolean {
  return initContainersOf(pod).some((c) => c.name === name);
}

/** The pod's sidecars (init containers with restartPolicy Always), in declaration order. */
export function sidecarsOf(pod: Pod): Container[] {
  return restartableInitContainers(pod.spec);
}

export function isSidecar(pod: Pod, name: string): boolean {
  return isRestartableInitContainer(initContainersOf(pod).find((c) => c.name === name));
}

/** The spec of a container or init container by name (Kubernetes keeps the names unique across both). */
export function containerSpec(pod: Pod, name: string): Container | undefined {
  return containersOf(pod).find((c) => c.name === name) ?? initContainersOf(pod).find((c) => c.name === name);
}

/**
 * The restart policy that applies to one container. An init container runs to completion:
 * it is restarted only after a failure, and never under Never (Always means OnFailure for it).
 * A sidecar is restarted whenever it exits, whatever the pod's policy (its own `Always`).
 */
export function restartPolicyFor(pod: Pod, name: string): RestartPolicy {
  if (isSidecar(pod, name)) return 'Always';
  const policy = restartPolicyOf(pod);
  return isInitContainer(pod, name) && policy === 'Always' ? 'OnFailure' : policy;
}

/**
 * Every regular container has finished for good: its latest instance exited and the pod's
 * policy (Never, or OnFailure after a success) will not restart it. Nothing keeps such a pod
 * alive — its sidecars are stopped and its phase is Succeeded or Failed (kubelet's KillPod
 * when no container is to be kept or started): how a Job's pod with sidecars completes.
 */
export function regularContainersFinished(pod: Pod, containers: readonly ContainerInfo[]): boolean {
  const specs = containersOf(pod);
  const policy = restartPolicyOf(pod);
  return specs.length > 0 && specs.every((spec) => {
    const [latest] = instancesOf(containers, spec.name);
    return latest?.state === 'exited' && !shouldRestart(policy, latest.exitCode);
  });
}

/** The event fieldPath kubelet gives a container: spec.containers{c} or spec.initContainers{c}. */
export function containerFieldPath(pod: Pod, name: string): string {
  return isInitContainer(pod, name) ? `spec.initContainers{${name}}` : `spec.containers{${name}}`;
}

export function isTerminalPhase(phase: string | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

/** The instances of one container, newest (highest attempt) first. */
export function instancesOf(containers: readonly ContainerInfo[], name: string): ContainerInfo[] {
  return containers.filter((c) => c.name === name).sort((a, b) => b.attempt - a.attempt);
}

/** Where a container's back-off is kept: per pod uid and container name. */
export function backoffKey(pod: Pod, containerName: string): string {
  return `${pod.metadata?.uid ?? ''}/${containerName}`;
}

export function gracePeriodSeconds(pod: Pod): number {
  return pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
}

/** Annotation on runtime containers: the pod's grace period, for stopping orphans whose pod is gone. */
export const GRACE_ANNOTATION = 'tugboat.io/termination-grace-period-seconds';
