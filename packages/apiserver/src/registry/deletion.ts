// What a Delete does to an object, decided without I/O (as Kubernetes' graceful deletion
// and finalizer rules do): remove it now, or mark it (deletionTimestamp) and keep it until
// its finalizers are gone or, for a running pod, until its agent confirms it stopped.
import {
  FOREGROUND_DELETION_FINALIZER, ORPHAN_FINALIZER, PROPAGATION_POLICY_ANNOTATION,
  type KubeObject, type PropagationPolicy,
} from '@tugboat/api';
import { rfc3339 } from '@tugboat/api';

export interface DeleteRequestOptions {
  readonly gracePeriodSeconds?: number;
  readonly propagationPolicy?: PropagationPolicy;
}

export type DeletionPlan =
  /** Remove the key now. */
  | { readonly action: 'remove' }
  /** Write this object (deletionTimestamp set) and keep it. */
  | { readonly action: 'mark'; readonly object: KubeObject }
  /** Already being deleted and this request changes nothing. */
  | { readonly action: 'unchanged' };

export const DEFAULT_TERMINATION_GRACE_SECONDS = 30;

function podIsBoundAndRunning(obj: KubeObject): boolean {
  const spec = obj.spec as { nodeName?: string } | undefined;
  const status = obj.status as { phase?: string } | undefined;
  return !!spec?.nodeName && status?.phase !== 'Succeeded' && status?.phase !== 'Failed';
}

function podGracePeriod(obj: KubeObject, requested: number | undefined): number {
  if (requested !== undefined) return requested;
  const spec = obj.spec as { terminationGracePeriodSeconds?: number } | undefined;
  return spec?.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_SECONDS;
}

/** The finalizer Kubernetes adds for a policy, so the garbage collector can act on it. */
function policyFinalizer(policy: PropagationPolicy | undefined): string | undefined {
  switch (policy) {
    case 'Foreground': return FOREGROUND_DELETION_FINALIZER;
    case 'Orphan': return ORPHAN_FINALIZER;
    case 'Background':
    case undefined:
      return undefined;
  }
}

export function planDeletion(obj: KubeObject, opts: DeleteRequestOptions, now: Date): DeletionPlan {
  const meta = obj.metadata ?? {};
  const alreadyDeleting = !!meta.deletionTimestamp;
  const finalizers = [...(meta.finalizers ?? [])];
  const annotations = { ...(meta.annotations ?? {}) };
  if (!alreadyDeleting) {
    const f = policyFinalizer(opts.propagationPolicy);
    if (f && !finalizers.includes(f)) finalizers.push(f);
    annotations[PROPAGATION_POLICY_ANNOTATION] = opts.propagationPolicy ?? 'Background';
  }

  const mark = (deletionTimestamp: string, graceSeconds: number, extra: Partial<KubeObject> = {}): DeletionPlan => ({
    action: 'mark',
    object: {
      ...obj,
      ...extra,
      metadata: {
        ...meta,
        annotations,
        deletionTimestamp,
        deletionGracePeriodSeconds: graceSeconds,
        ...(finalizers.length ? { finalizers } : {}),
      },
    },
  });

  // A namespace goes Terminating; the namespace controller deletes what is in it, then it.
  if (obj.kind === 'Namespace') {
    if (alreadyDeleting) return { action: 'unchanged' };
    const status = { ...((obj.status as object | undefined) ?? {}), phase: 'Terminating' };
    return mark(rfc3339(now), 0, { status });
  }

  // A pod running on a node is stopped by its agent first, within the grace period.
  if (obj.kind === 'Pod' && podIsBoundAndRunning(obj)) {
    const grace = podGracePeriod(obj, opts.gracePeriodSeconds);
    if (grace > 0) {
      const current = meta.deletionGracePeriodSeconds;
      // A second delete may only shorten the grace period, never extend it.
      if (alreadyDeleting && current !== undefined && current <= grace) return { action: 'unchanged' };
      return mark(rfc3339(new Date(now.getTime() + grace * 1000)), grace);
    }
  }

  if (finalizers.length === 0) return { action: 'remove' };
  if (alreadyDeleting && (meta.deletionGracePeriodSeconds ?? 0) === 0) return { action: 'unchanged' };
  return mark(alreadyDeleting ? meta.deletionTimestamp! : rfc3339(now), 0);
}

/**
 * After an update: an object being deleted whose last finalizer is gone (and which is not
 * waiting for a graceful stop) is removed. Namespaces are removed by their controller.
 */
export function readyToRemove(obj: KubeObject): boolean {
  const meta = obj.metadata ?? {};
  return obj.kind !== 'Namespace' && !!meta.deletionTimestamp && (meta.finalizers ?? []).length === 0 && (meta.deletionGracePeriodSeconds ?? 0) === 0;
}
