// A pod as the scheduler holds it: the object plus what the hot path needs, computed once
// when the pod enters the queue (or the cache), not once per node.
import type { Pod } from '@tugboat/api';
import { podRequests, type Resources } from './resources.js';

export interface PodInfo {
  /** "namespace/name". */
  readonly key: string;
  readonly pod: Pod;
  readonly requests: Resources;
  /** Requests with Kubernetes' non-zero defaults, for scoring. */
  readonly nonZero: Resources;
  /** uid of the controlling owner (ReplicaSet, …), '' when none: spreading groups by it. */
  readonly ownerUid: string;
  readonly priority: number;
  /** Why the pod's requests cannot be read (a bad quantity); the pod cannot be scheduled. */
  readonly invalid?: string;
}

export function newPodInfo(pod: Pod): PodInfo {
  const owner = pod.metadata?.ownerReferences?.find((r) => r.controller) ?? pod.metadata?.ownerReferences?.[0];
  const base = { key: podKey(pod), pod, ownerUid: owner?.uid ?? '', priority: pod.spec?.priority ?? 0 };
  try {
    const { requests, nonZero } = podRequests(pod);
    return { ...base, requests, nonZero };
  } catch (e) {
    const zero = { cpuMilli: 0, memory: 0 };
    return { ...base, requests: zero, nonZero: zero, invalid: `pod ${base.key}: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** "namespace/name", the key of the queue and the cache. */
export function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}
