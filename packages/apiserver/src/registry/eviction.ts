// The pods/eviction subresource (policy/v1 Eviction), as Kubernetes' EvictionREST: a delete
// that a PodDisruptionBudget may refuse. Shared by the REST route and the gRPC Evict call.
//
//   pod not Running (Pending, Succeeded, Failed) or already being deleted ──▶ delete, no budget
//   budgets covering the pod: none ──▶ delete │ more than one ──▶ 500, as Kubernetes
//   one ──▶ pod not Ready and the budget healthy enough (or AlwaysAllow) ──▶ delete, on condition
//           the pod is still the one read (a pod turning Ready meanwhile gets 429)
//       └─▶ chargeBudget (pure) on the budget's status, written with a compare-and-swap (a lost
//           race is redone on a fresh read): disruptionsAllowed 0 ──▶ 429 TooManyRequests;
//           else disruptionsAllowed − 1 and the pod in disruptedPods ──▶ delete
import {
  ApiError, DISRUPTION_BUDGET_CAUSE, EVICTION_REFUSED_MESSAGE, MAX_DISRUPTED_PODS, budgetCoversPod, isPodReady, withDisruptionAllowedCondition,
  type KubeObject, type Pod, type PodDisruptionBudgetObject,
} from '@tugboat/api';
import type { DeleteRequest, Registry } from './registry.js';
import { rfc3339 } from '@tugboat/api';

type PodObject = Pod & KubeObject;

/** Pods whose eviction disrupts nothing a budget counts: they go without a budget check. */
export function canIgnoreBudget(pod: PodObject): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata?.deletionTimestamp;
}

export type BudgetCheck =
  | { readonly kind: 'charge' }
  /** Deleting an unready pod costs the budget nothing, if the pod is still as read. */
  | { readonly kind: 'free' };

/** What a budget asks of an eviction of `pod` before the budget's own arithmetic (IfHealthyBudget, AlwaysAllow). */
export function budgetCheck(pod: PodObject, pdb: PodDisruptionBudgetObject): BudgetCheck {
  if (isPodReady(pod)) return { kind: 'charge' };
  if (pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow') return { kind: 'free' };
  const st = pdb.status;
  if (st && st.currentHealthy >= st.desiredHealthy && st.desiredHealthy > 0) return { kind: 'free' };
  return { kind: 'charge' };
}

export function tooManyRequests(cause: string): ApiError {
  return new ApiError('TooManyRequests', EVICTION_REFUSED_MESSAGE, [], { causes: [{ reason: DISRUPTION_BUDGET_CAUSE, message: cause }] });
}

function budgetForbidden(name: string, why: string): ApiError {
  return new ApiError('Forbidden', `poddisruptionbudgets.policy "${name}" is forbidden: ${why}`);
}

/**
 * The budget after charging it one eviction of `podName` (checkAndDecrement), or the error
 * that refuses it. Pure: `now` is the time recorded in disruptedPods.
 */
export function chargeBudget(pdb: PodDisruptionBudgetObject, podName: string, now: string, dryRun: boolean): PodDisruptionBudgetObject {
  const name = pdb.metadata?.name ?? '';
  const st = pdb.status ?? { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
  // A spec the controller has not counted yet: its numbers are not to be trusted.
  if ((st.observedGeneration ?? 0) < (pdb.metadata?.generation ?? 0)) throw tooManyRequests(`The disruption budget ${name} is still being processed by the server.`);
  if (st.disruptionsAllowed < 0) throw budgetForbidden(name, 'pdb disruptions allowed is negative');
  if (Object.keys(st.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) {
    throw budgetForbidden(name, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  }
  if (st.disruptionsAllowed === 0) {
    throw tooManyRequests(`The disruption budget ${name} needs ${st.desiredHealthy} healthy pods and has ${st.currentHealthy} currently`);
  }
  let status = { ...st, disruptionsAllowed: st.disruptionsAllowed - 1 };
  if (status.disruptionsAllowed === 0) status = withDisruptionAllowedCondition(status, now);
  if (!dryRun) status = { ...status, disruptedPods: { ...(st.disruptedPods ?? {}), [podName]: now } };
  return { ...pdb, status };
}

/** The eviction's DeleteOptions, on condition that the pod is still the version read. */
function pinned(opts: DeleteRequest, pod: PodObject): DeleteRequest {
  if (opts.preconditionResourceVersion) return opts;
  return { ...opts, preconditionResourceVersion: pod.metadata?.resourceVersion ?? '' };
}

export class Evictions {
  constructor(private readonly registry: Registry, private readonly now: () => Date = () => new Date()) {}

  /** Evicts the pod (deletes it with `opts`) unless a budget forbids it now. Returns what the delete returned. */
  async evict(namespace: string, name: string, opts: DeleteRequest): Promise<KubeObject> {
    // Terminal, pending and terminating pods go without a budget check; a resourceVersion
    // precondition keeps a pod that started running meanwhile from slipping through.
    for (let attempt = 0; ; attempt++) {
      const pod = await this.registry.get('pods', namespace, name) as PodObject;
      if (!canIgnoreBudget(pod)) return this.evictCounted(pod, opts);
      const terminal = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed' || !!pod.metadata?.deletionTimestamp;
      try {
        return await this.registry.delete('pods', namespace, name, terminal ? opts : pinned(opts, pod));
      } catch (e) {
        const retry = e instanceof ApiError && e.reason === 'Conflict' && !opts.preconditionResourceVersion && attempt < 20;
        if (!retry) throw e;
      }
    }
  }

  private async evictCounted(pod: PodObject, opts: DeleteRequest): Promise<KubeObject> {
    const namespace = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    const pdbs = (await this.registry.list('poddisruptionbudgets', { namespace })).items
      .filter((b) => budgetCoversPod(b as PodDisruptionBudgetObject, pod)) as PodDisruptionBudgetObject[];
    if (pdbs.length > 1) throw new ApiError('Internal', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    let deleteOpts = opts;
    const pdb = pdbs[0];
    if (pdb) {
      const pdbName = pdb.metadata?.name ?? '';
      if (budgetCheck(pod, pdb).kind === 'free') {
        deleteOpts = pinned(opts, pod);
      } else {
        await this.registry.modify('poddisruptionbudgets', namespace, pdbName, (cur) => chargeBudget(cur as PodDisruptionBudgetObject, name, rfc3339(this.now()), !!opts.dryRun), {
          status: true, ...(opts.dryRun ? { dryRun: true } : {}),
        });
      }
    }
    try {
      return await this.registry.delete('pods', namespace, name, deleteOpts);
    } catch (e) {
      // The unready pod changed (turned Ready?) since it was read: the client should try again.
      if (e instanceof ApiError && e.reason === 'Conflict' && deleteOpts !== opts && pdb) {
        throw tooManyRequests(`The disruption budget ${pdb.metadata?.name ?? ''} is still being processed by the server.`);
      }
      throw e;
    }
  }
}
