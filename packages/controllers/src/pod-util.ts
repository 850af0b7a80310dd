// Small pure predicates over pods, shared by the ReplicaSet, Deployment and node lifecycle
// controllers (Kubernetes' podutil).
import { randomInt } from 'node:crypto';
import { isPodReady, type Pod, type PodCondition } from '@tugboat/api';

/** Running or about to run: not finished and not being deleted. Owners count only these. */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}

export function isPodTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export function podCondition(pod: Pod, type: string): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === type);
}

// One definition of readiness for every component (the eviction subresource counts it too).
export { isPodReady };

/** When the pod last became Ready (ms since epoch), if it is ready. */
export function podReadySince(pod: Pod): number | undefined {
  const c = podCondition(pod, 'Ready');
  if (c?.status !== 'True') return undefined;
  const t = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return Number.isFinite(t) ? t : undefined;
}

/** Ready for at least minReadySeconds (Kubernetes' IsPodAvailable). */
export function isPodAvailable(pod: Pod, minReadySeconds: number, nowMs: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = podReadySince(pod);
  // A Ready condition without a time cannot prove it has been ready long enough.
  if (since === undefined) return false;
  return since + minReadySeconds * 1000 <= nowMs;
}

export function creationTime(obj: { metadata?: { creationTimestamp?: string } }): number {
  const t = obj.metadata?.creationTimestamp ? Date.parse(obj.metadata.creationTimestamp) : NaN;
  return Number.isFinite(t) ? t : 0;
}

export function restartCount(pod: Pod): number {
  return (pod.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
}

// Kubernetes' utilrand alphabet: no vowels (no accidental words) and no look-alikes (0/o, 1/l).
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** The random suffix of a generated name, as Kubernetes makes it (5 characters). */
export function randomSuffix(length = 5): string {
  let s = '';
  for (let i = 0; i < length; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return s;
}

/** Kubernetes' SafeEncodeString: each character mapped into the alphabet above. */
export function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += ALPHABET[s.charCodeAt(i) % ALPHABET.length];
  return out;
}
