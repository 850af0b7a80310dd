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
  readonly invalid: string | undefined;
}

export function newPodInfo(pod: Pod): PodInfo {
  const owner = pod.metadata?.ownerReferences?.find((r) => r.controller) ?? pod.metadata?.ownerReferences?.[0];
  const key = podKey(pod);
  try {
    const { requests, nonZero } = podRequests(pod);
    return make(key, pod, requests, nonZero, owner?.uid ?? '', pod.spec?.priority ?? 0, undefined);
  } catch (e) {
    const zero = { cpuMilli: 0, memory: 0 };
    return make(key, pod, zero, zero, owner?.uid ?? '', pod.spec?.priority ?? 0, `pod ${key}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The same pod info for a newer version of the pod object (requests cannot change). */
export function withPod(info: PodInfo, pod: Pod): PodInfo {
  return make(info.key, pod, info.requests, info.nonZero, info.ownerUid, info.priority, info.invalid);
}

// Every PodInfo is built here, with its fields in one order, so the hot path sees one object
// shape and its property reads stay monomorphic.
function make(key: string, pod: Pod, requests: Resources, nonZero: Resources, ownerUid: string, priority: number, invalid: string | undefined): PodInfo {
  return { key, pod, requests, nonZero, ownerUid, priority, invalid };
}

/** "namespace/name", the key of the queue and the cache. */
export function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}
