// Kubernetes' disruption controller: keeps each PodDisruptionBudget's status — how many of its
// pods are healthy, how many must be, how many may be disrupted now — which the API server's
// eviction subresource then spends one eviction at a time.
//
//   pods / budgets / replicasets / deployments informers ──▶ the budgets covering what changed
//        ──▶ queue "disruption" ──▶ sync(ns/name):
//              pods the budget covers
//              expectedAndDesired (pure): minAvailable as an int ─▶ expected = its pods;
//                  a percentage, or maxUnavailable ─▶ expected = Σ scale of their controllers
//                  (Deployment, else ReplicaSet), the percentage rounded up
//              liveDisruptedPods (pure): evictions not yet seen as deletions, for 2 min at most
//              countHealthy (pure): Ready, not being deleted, not just evicted
//              budgetStatus (pure) ──▶ UpdateStatus when it differs; a recheck when the oldest
//              eviction expires; on an error, disruptionsAllowed 0 (SyncFailed), so that an
//              eviction is never allowed on numbers the controller could not compute
import {
  ApiError, DISRUPTED_POD_TIMEOUT_MS, DISRUPTION_ALLOWED_CONDITION, SYNC_FAILED_REASON, budgetCoversPod, disruptionConditionCurrent, isPodReady,
  withDisruptionAllowedCondition,
  type Informer, type KubeObject, type OwnerReference, type PodDisruptionBudgetObject, type PodDisruptionBudgetStatus,
} from '@tugboat/api';
import { rfc3339 } from '@tugboat/api';
import type { DeploymentObject, PodObject, ReplicaSetObject, SharedInformers } from './informers.js';
import { scaledValue } from './rollout.js';
import { QueueController, type ControllerOptions } from './queue-controller.js';

export const DISRUPTION_CONTROLLER = 'disruption';

/** A controller of pods and how many it wants, or why there is none. */
export type ControllerScale = { readonly uid: string; readonly scale: number } | undefined;

export interface BudgetCounts {
  readonly expectedPods: number;
  readonly desiredHealthy: number;
  /** Pods no controller owns: they cannot count towards a percentage (a warning, not an error). */
  readonly unmanaged: readonly string[];
}

function controllerOf(pod: PodObject): OwnerReference | undefined {
  return (pod.metadata?.ownerReferences ?? []).find((r) => r.controller);
}

/** Σ scale of the pods' controllers, each counted once (getExpectedScale). Throws when a controller cannot be found. */
export function expectedScale(pods: readonly PodObject[], scaleOf: (ref: OwnerReference, namespace: string) => ControllerScale): { expected: number; unmanaged: string[] } {
  const scales = new Map<string, number>();
  const unmanaged: string[] = [];
  for (const pod of pods) {
    const ref = controllerOf(pod);
    if (!ref) { unmanaged.push(pod.metadata?.name ?? ''); continue; }
    if (scales.has(ref.uid)) continue;
    const found = scaleOf(ref, pod.metadata?.namespace ?? '');
    if (!found) throw new Error(`found no controllers for pod "${pod.metadata?.name ?? ''}"`);
    scales.set(found.uid, found.scale);
  }
  let expected = 0;
  for (const n of scales.values()) expected += n;
  return { expected, unmanaged };
}

/** expectedPods and desiredHealthy of a budget over `pods` (getExpectedPodCount). */
export function expectedAndDesired(pdb: PodDisruptionBudgetObject, pods: readonly PodObject[], scaleOf: (ref: OwnerReference, namespace: string) => ControllerScale): BudgetCounts {
  const spec = pdb.spec ?? {};
  if (spec.maxUnavailable !== undefined) {
    const { expected, unmanaged } = expectedScale(pods, scaleOf);
    const maxUnavailable = scaledValue(spec.maxUnavailable, expected, true, 'spec.maxUnavailable');
    return { expectedPods: expected, desiredHealthy: Math.max(0, expected - maxUnavailable), unmanaged };
  }
  if (spec.minAvailable !== undefined) {
    if (typeof spec.minAvailable === 'number') return { expectedPods: pods.length, desiredHealthy: spec.minAvailable, unmanaged: [] };
    const { expected, unmanaged } = expectedScale(pods, scaleOf);
    return { expectedPods: expected, desiredHealthy: scaledValue(spec.minAvailable, expected, true, 'spec.minAvailable'), unmanaged };
  }
  return { expectedPods: 0, desiredHealthy: 0, unmanaged: [] };
}

/**
 * The evictions still in flight (buildDisruptedPodMap): a pod evicted less than 2 min ago and
 * not yet being deleted. Also when the oldest of them expires (ms), for a recheck.
 */
export function liveDisruptedPods(pods: readonly PodObject[], disrupted: Readonly<Record<string, string>> | undefined, nowMs: number): { disrupted: Record<string, string>; recheckAt?: number } {
  const out: Record<string, string> = {};
  let recheckAt: number | undefined;
  if (!disrupted) return { disrupted: out };
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const name = pod.metadata?.name ?? '';
    const at = disrupted[name];
    if (at === undefined) continue;
    const expires = Date.parse(at) + DISRUPTED_POD_TIMEOUT_MS;
    if (!(expires > nowMs)) continue; // not deleted in time: the eviction did not happen
    out[name] = at;
    if (recheckAt === undefined || expires < recheckAt) recheckAt = expires;
  }
  return recheckAt === undefined ? { disrupted: out } : { disrupted: out, recheckAt };
}

/** Ready pods that are neither being deleted nor about to be (countHealthyPods). */
export function countHealthy(pods: readonly PodObject[], disrupted: Readonly<Record<string, string>>, nowMs: number): number {
  let n = 0;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const at = disrupted[pod.metadata?.name ?? ''];
    if (at !== undefined && Date.parse(at) + DISRUPTED_POD_TIMEOUT_MS > nowMs) continue;
    if (isPodReady(pod)) n++;
  }
  return n;
}

/**
 * The status to write (updatePdbStatus): disruptions allowed are healthy − desired, and none
 * while the budget expects no pods (its first pods may appear before this controller counts them).
 */
export function budgetStatus(pdb: PodDisruptionBudgetObject, counts: BudgetCounts, currentHealthy: number, disrupted: Record<string, string>, nowIso: string): PodDisruptionBudgetStatus {
  const allowed = counts.expectedPods <= 0 ? 0 : Math.max(0, currentHealthy - counts.desiredHealthy);
  const status: PodDisruptionBudgetStatus = {
    ...(pdb.status?.conditions ? { conditions: pdb.status.conditions } : {}),
    currentHealthy,
    desiredHealthy: counts.desiredHealthy,
    expectedPods: counts.expectedPods,
    disruptionsAllowed: allowed,
    ...(Object.keys(disrupted).length ? { disruptedPods: disrupted } : {}),
    ...(pdb.metadata?.generation !== undefined ? { observedGeneration: pdb.metadata.generation } : {}),
  };
  return withDisruptionAllowedCondition(status, nowIso);
}

function sameDisrupted(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>>): boolean {
  const ak = Object.keys(a ?? {});
  return ak.length === Object.keys(b).length && ak.every((k) => a?.[k] === b[k]);
}

/** Whether the stored status already says all of this (no write then). */
export function statusCurrent(pdb: PodDisruptionBudgetObject, next: PodDisruptionBudgetStatus): boolean {
  const st = pdb.status;
  return !!st && st.currentHealthy === next.currentHealthy && st.desiredHealthy === next.desiredHealthy && st.expectedPods === next.expectedPods
    && st.disruptionsAllowed === next.disruptionsAllowed && sameDisrupted(st.disruptedPods, next.disruptedPods ?? {})
    && st.observedGeneration === pdb.metadata?.generation && disruptionConditionCurrent(pdb);
}

export interface DisruptionOptions extends ControllerOptions {
  informers: SharedInformers;
}

export class DisruptionController extends QueueController {
  private readonly pdbs: Informer<PodDisruptionBudgetObject>;
  private readonly pods: Informer<PodObject>;
  private readonly replicaSets: Informer<ReplicaSetObject>;
  private readonly deployments: Informer<DeploymentObject>;

  constructor(opts: DisruptionOptions) {
    super(DISRUPTION_CONTROLLER, opts, 2);
    this.pdbs = opts.informers.forResource<PodDisruptionBudgetObject>('poddisruptionbudgets');
    this.pods = opts.informers.pods();
    this.replicaSets = opts.informers.replicaSets();
    this.deployments = opts.informers.deployments();
    const enqueueBudget = (b: PodDisruptionBudgetObject): void => this.queue.add(`${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}`);
    this.pdbs.onAdd(enqueueBudget).onUpdate((_o, b) => enqueueBudget(b)).onDelete(enqueueBudget);
    const enqueueFor = (p: PodObject): void => { for (const b of this.budgetsCovering(p)) enqueueBudget(b); };
    // A pod that stops matching a budget changes that budget too.
    this.pods.onAdd(enqueueFor).onUpdate((old, p) => { enqueueFor(old); enqueueFor(p); }).onDelete(enqueueFor);
  }

  private budgetsCovering(pod: PodObject): PodDisruptionBudgetObject[] {
    const out: PodDisruptionBudgetObject[] = [];
    for (const b of this.pdbs.items()) if (budgetCoversPod(b, pod)) out.push(b);
    return out;
  }

  /** The Deployment of a ReplicaSet's pod, else the ReplicaSet (the finders Kubernetes tries for these kinds). */
  private scaleOf(ref: OwnerReference, namespace: string): ControllerScale {
    if (ref.kind !== 'ReplicaSet' || !/^(apps|extensions)\//.test(ref.apiVersion)) return undefined;
    const rs = this.replicaSets.get(`${namespace}/${ref.name}`);
    if (!rs || rs.metadata?.uid !== ref.uid) return undefined;
    const owner = (rs.metadata?.ownerReferences ?? []).find((r) => r.controller);
    if (owner?.kind === 'Deployment') {
      const d = this.deployments.get(`${namespace}/${owner.name}`);
      if (!d || d.metadata?.uid !== owner.uid) return undefined;
      return { uid: owner.uid, scale: d.spec?.replicas ?? 1 };
    }
    return { uid: ref.uid, scale: rs.spec?.replicas ?? 1 };
  }

  async sync(key: string): Promise<void> {
    const pdb = this.pdbs.get(key);
    if (!pdb) return;
    try {
      await this.trySync(pdb);
    } catch (e) {
      if (e instanceof ApiError && e.reason === 'Conflict') throw e;
      await this.failSafe(pdb, e);
      throw e;
    }
  }

  private async trySync(pdb: PodDisruptionBudgetObject): Promise<void> {
    const ns = pdb.metadata?.namespace ?? '';
    const pods: PodObject[] = [];
    for (const p of this.pods.items()) if (p.metadata?.namespace === ns && budgetCoversPod(pdb, p)) pods.push(p);
    const counts = expectedAndDesired(pdb, pods, (ref, n) => this.scaleOf(ref, n));
    const now = this.clock.now();
    const { disrupted, recheckAt } = liveDisruptedPods(pods, pdb.status?.disruptedPods, now);
    const status = budgetStatus(pdb, counts, countHealthy(pods, disrupted, now), disrupted, rfc3339(now));
    if (!statusCurrent(pdb, status)) await this.client.updateStatus<KubeObject>({ ...pdb, status });
    if (recheckAt !== undefined) this.queue.addAfter(`${ns}/${pdb.metadata?.name ?? ''}`, recheckAt - now);
  }

  /** Numbers that could not be computed allow nothing (Kubernetes' failSafe), and say why. */
  private async failSafe(pdb: PodDisruptionBudgetObject, err: unknown): Promise<void> {
    const st = pdb.status ?? { currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, disruptionsAllowed: 0 };
    const message = err instanceof Error ? err.message : String(err);
    const old = st.conditions?.find((c) => c.type === DISRUPTION_ALLOWED_CONDITION);
    const condition = {
      type: DISRUPTION_ALLOWED_CONDITION, status: 'False', reason: SYNC_FAILED_REASON, message,
      lastTransitionTime: old?.status === 'False' && old.lastTransitionTime ? old.lastTransitionTime : rfc3339(this.clock.now()),
      ...(st.observedGeneration !== undefined ? { observedGeneration: st.observedGeneration } : {}),
    };
    const status = { ...st, disruptionsAllowed: 0, conditions: [...(st.conditions ?? []).filter((c) => c.type !== DISRUPTION_ALLOWED_CONDITION), condition] };
    await this.client.updateStatus<KubeObject>({ ...pdb, status }).catch(() => undefined);
  }
}
