// The back-off between a Job's failed pods and their replacements (Kubernetes'
// backoff_utils.go), pure: base × 2^(failures since the last success − 1), capped, counted
// from the last failure. Computed from the pods themselves, so a restarted controller keeps
// waiting as long as the one before it would have.
import type { Pod } from '@tugboat/api';

/** Kubernetes' DefaultJobPodFailureBackOff and the cap of the older MaxJobBackOff. */
export const DEFAULT_JOB_BACKOFF_BASE_MS = 10_000;
export const MAX_JOB_BACKOFF_MS = 6 * 60_000;

export interface BackoffRecord {
  /** Failed pods that finished after the last succeeded one. */
  failuresAfterLastSuccess: number;
  /** When the last of them finished (ms since the epoch); 0 with none. */
  lastFailureTime: number;
}

/** When the pod finished: its containers' last finishedAt, else its deletion, else its creation. */
export function podFinishTime(pod: Pod): number {
  let latest = 0;
  for (const s of [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])]) {
    const t = s.state?.terminated?.finishedAt ? Date.parse(s.state.terminated.finishedAt) : NaN;
    if (Number.isFinite(t) && t > latest) latest = t;
  }
  if (latest) return latest;
  for (const ts of [pod.metadata?.deletionTimestamp, pod.metadata?.creationTimestamp]) {
    const t = ts ? Date.parse(ts) : NaN;
    if (Number.isFinite(t)) return t;
  }
  return 0;
}

/** The record from a Job's finished pods: `failed` are those counted as failures. */
export function backoffRecord(succeeded: readonly Pod[], failed: readonly Pod[]): BackoffRecord {
  const lastSuccess = succeeded.reduce((t, p) => Math.max(t, podFinishTime(p)), 0);
  let failures = 0;
  let lastFailureTime = 0;
  for (const p of failed) {
    const t = podFinishTime(p);
    if (t < lastSuccess) continue;
    failures++;
    lastFailureTime = Math.max(lastFailureTime, t);
  }
  return { failuresAfterLastSuccess: failures, lastFailureTime };
}

/** base × 2^(n−1), capped; 0 without failures. */
export function backoffDelay(failures: number, baseMs: number, maxMs = MAX_JOB_BACKOFF_MS): number {
  if (failures <= 0) return 0;
  // 2^(n−1) overflows to Infinity long after the cap is reached: Math.min handles it.
  return Math.min(maxMs, baseMs * 2 ** (failures - 1));
}

/** How long before a replacement pod may be created (0: now). */
export function remainingBackoff(record: BackoffRecord, nowMs: number, baseMs: number, maxMs = MAX_JOB_BACKOFF_MS): number {
  if (record.failuresAfterLastSuccess === 0) return 0;
  const until = record.lastFailureTime + backoffDelay(record.failuresAfterLastSuccess, baseMs, maxMs);
  return Math.max(0, until - nowMs);
}
