// How a pod reads at a glance: kubectl's STATUS, READY and RESTARTS columns (computed by
// @tugboat/api's podSummary, as tctl prints them), a colour for them, and why it is Pending.
import type { Pod } from '@tugboat/api';
import { podSummary } from '@tugboat/api/printing/pod-status';

/** kubectl get pods' STATUS: CrashLoopBackOff, Completed, Terminating, …, else the phase. */
export function podStatusText(pod: Pod): string {
  return podSummary(pod, Date.now()).status;
}

/** "ready/total" containers (sidecars count as containers). */
export function readyText(pod: Pod): string {
  return podSummary(pod, Date.now()).ready;
}

export function restarts(pod: Pod): number {
  return podSummary(pod, Date.now()).restartCount;
}

/**
 * The scheduler's word on a pod it could not place: the PodScheduled condition it wrote
 * ("0/3 nodes are available: 3 Insufficient cpu."), or undefined once the pod is bound.
 */
export function schedulingProblem(pod: Pod): { reason: string; message: string } | undefined {
  if (pod.spec?.nodeName) return undefined;
  const c = pod.status?.conditions?.find((x) => x.type === 'PodScheduled');
  if (!c || c.status !== 'False') return undefined;
  return { reason: c.reason ?? 'Unschedulable', message: c.message ?? '' };
}

/** A coarse colour for the status: ok, waiting, bad, done. */
export type PodHealth = 'ok' | 'waiting' | 'bad' | 'done';

const WAITING: ReadonlySet<string> = new Set(['Pending', 'ContainerCreating', 'Terminating', 'PodInitializing']);

export function podHealth(pod: Pod): PodHealth {
  const { status, ready } = podSummary(pod, Date.now());
  if (status === 'Running') {
    const [n, total] = ready.split('/');
    return n === total ? 'ok' : 'waiting';
  }
  if (status === 'Completed' || status === 'Succeeded') return 'done';
  if (WAITING.has(status) || (status.startsWith('Init:') && !/Error|CrashLoop|ExitCode|Signal/.test(status))) return 'waiting';
  return 'bad';
}
