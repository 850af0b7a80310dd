// A Deployment's rollout as a progress bar and kubectl rollout status's sentence.
import type { Deployment, ReplicaSet } from '@tugboat/api';

export interface RolloutProgress {
  readonly desired: number;
  readonly updated: number;
  readonly ready: number;
  readonly available: number;
  readonly complete: boolean;
  /** kubectl rollout status's words. */
  readonly message: string;
}

export function rolloutProgress(d: Deployment): RolloutProgress {
  const desired = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  const updated = s.updatedReplicas ?? 0;
  const ready = s.readyReplicas ?? 0;
  const available = s.availableReplicas ?? 0;
  const total = s.replicas ?? 0;
  const name = d.metadata?.name ?? '';
  const base = { desired, updated, ready, available };
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') return { ...base, complete: false, message: `deployment "${name}" exceeded its progress deadline` };
  if ((d.metadata?.generation ?? 0) > (s.observedGeneration ?? 0)) return { ...base, complete: false, message: 'Waiting for deployment spec update to be observed...' };
  if (updated < desired) return { ...base, complete: false, message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${desired} new replicas have been updated...` };
  if (total > updated) return { ...base, complete: false, message: `Waiting for deployment "${name}" rollout to finish: ${total - updated} old replicas are pending termination...` };
  if (available < updated) return { ...base, complete: false, message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...` };
  return { ...base, complete: true, message: `deployment "${name}" successfully rolled out` };
}

/** Whether `child` names `owner` (by uid) among its ownerReferences. */
export function ownedBy(child: { metadata?: { ownerReferences?: readonly { uid: string }[] } }, owner: { metadata?: { uid?: string } }): boolean {
  const uid = owner.metadata?.uid;
  return !!uid && (child.metadata?.ownerReferences ?? []).some((r) => r.uid === uid);
}

/** The deployment's revision of a ReplicaSet (annotation the deployment controller writes). */
export function revisionOf(rs: ReplicaSet): string {
  return rs.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? '';
}
