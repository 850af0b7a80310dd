// A pod as the scheduler holds it: the object plus what the hot path needs, computed once
// when the pod enters the queue (or the cache), not once per node.
import type { Pod } from '@tugboat/api';
import { compileAffinityTerms, type PodAffinityTerms } from './affinity-terms.js';
import { podRequests, type Resources } from './resources.js';

export interface PodInfo {
  /** "namespace/name". */
  readonly key: string;
  readonly pod: Pod;
  readonly requests: Resources;
  /** Requests with Kubernetes' non-zero defaults, for scoring. */
  readonly nonZero: Resources;
  /** Inter-pod affinity terms, compiled; undefined when the pod has none. */
  readonly affinity: PodAffinityTerms | undefined;
  readonly priority: number;
  /** Why the pod's requests cannot be read (a bad quantity); the pod cannot be scheduled. */
  readonly invalid: string | undefined;
}

export function newPodInfo(pod: Pod): PodInfo {
  const key = podKey(pod);
  try {
    const { requests, nonZero } = podRequests(pod);
    return make(key, pod, requests, nonZero, compileAffinityTerms(pod), pod.spec?.priority ?? 0, undefined);
  } catch (e) {
    const zero = { cpuMilli: 0, memory: 0 };
    return make(key, pod, zero, zero, undefined, pod.spec?.priority ?? 0, `pod ${key}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The same pod info for a newer version of the pod object (requests and affinity cannot change). */
export function withPod(info: PodInfo, pod: Pod): PodInfo {
  return make(info.key, pod, info.requests, info.nonZero, info.affinity, info.priority, info.invalid);
}

// Every PodInfo is built here, with its fields in one order, so the hot path sees one object
// shape and its property reads stay monomorphic.
function make(key: string, pod: Pod, requests: Resources, nonZero: Resources, affinity: PodAffinityTerms | undefined, priority: number, invalid: string | undefined): PodInfo {
  return { key, pod, requests, nonZero, affinity, priority, invalid };
}

/** "namespace/name", the key of the queue and the cache. */
export function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}
