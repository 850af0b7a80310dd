// Rollout arithmetic of the Deployment controller, as pure functions over the Deployment and
// its ReplicaSets (Kubernetes' deployment/util): how far the new ReplicaSet may scale up,
// how far old ones may scale down, and how a scaling event is split across ReplicaSets in
// the middle of a rollout. The controller only applies what these return.
import type { DeploymentStatus } from '@tugboat/api';
import type { DeploymentObject, ReplicaSetObject } from './informers.js';
import { creationTime } from './pod-util.js';

export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';

export const DEFAULT_MAX_SURGE = '25%';
export const DEFAULT_MAX_UNAVAILABLE = '25%';

export type IntOrPercent = number | string;

/**
 * An absolute number or a percentage of `total`. Kubernetes rounds surge up and
 * unavailability down. Throws an Error naming `field` when the value is malformed.
 */
export function scaledValue(value: IntOrPercent, total: number, roundUp: boolean, field: string): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw new Error(`${field}: Invalid value: ${value}: must be a non-negative integer or a percentage`);
    return value;
  }
  const m = /^(\d+)%$/.exec(value.trim());
  if (!m) throw new Error(`${field}: Invalid value: "${value}": must be an integer or a percentage (e.g. "25%")`);
  const pct = Number(m[1]);
  const raw = (pct * total) / 100;
  return roundUp ? Math.ceil(raw) : Math.floor(raw);
}

export function isRollingUpdate(d: DeploymentObject): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

export function desiredReplicas(d: DeploymentObject): number {
  return d.spec?.replicas ?? 1;
}

function surgeSetting(d: DeploymentObject): IntOrPercent {
  return d.spec?.strategy?.rollingUpdate?.maxSurge ?? DEFAULT_MAX_SURGE;
}

function unavailableSetting(d: DeploymentObject): IntOrPercent {
  return d.spec?.strategy?.rollingUpdate?.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE;
}

/** The strategy error a user must fix, or undefined. Both limits 0 would never make progress. */
export function strategyError(d: DeploymentObject): string | undefined {
  const type = d.spec?.strategy?.type ?? 'RollingUpdate';
  if (type !== 'RollingUpdate' && type !== 'Recreate') return `spec.strategy.type: Unsupported value: "${type}": supported values: "Recreate", "RollingUpdate"`;
  if (type !== 'RollingUpdate') return undefined;
  const base = 'spec.strategy.rollingUpdate';
  try {
    // Validated against 100 so that "0%" and 0 are both seen as zero whatever the replicas.
    const surge = scaledValue(surgeSetting(d), 100, true, `${base}.maxSurge`);
    const unavailable = scaledValue(unavailableSetting(d), 100, false, `${base}.maxUnavailable`);
    if (typeof unavailableSetting(d) === 'string' && unavailable > 100) return `${base}.maxUnavailable: Invalid value: "${String(unavailableSetting(d))}": must not be greater than 100%`;
    if (surge === 0 && unavailable === 0) return `${base}.maxUnavailable: Invalid value: ${JSON.stringify(unavailableSetting(d))}: may not be 0 when maxSurge is 0`;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  return undefined;
}

/**
 * Kubernetes' ResolveFenceposts: absolute surge and unavailability for `desired` replicas.
 * If rounding makes both 0 (e.g. 25% of 1 replica for unavailability, 0 surge), one pod may
 * be unavailable, or the rollout could never move.
 */
export function resolveFenceposts(maxSurge: IntOrPercent, maxUnavailable: IntOrPercent, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge, desired, true, 'maxSurge');
  let unavailable = scaledValue(maxUnavailable, desired, false, 'maxUnavailable');
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function maxSurge(d: DeploymentObject): number {
  if (!isRollingUpdate(d)) return 0;
  return resolveFenceposts(surgeSetting(d), unavailableSetting(d), desiredReplicas(d)).surge;
}

export function maxUnavailable(d: DeploymentObject): number {
  const replicas = desiredReplicas(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const { unavailable } = resolveFenceposts(surgeSetting(d), unavailableSetting(d), replicas);
  return Math.min(unavailable, replicas);
}

export function specReplicas(rs: ReplicaSetObject | undefined): number {
  return rs?.spec?.replicas ?? 0;
}

/**
 * Pods of `rs` that count as available. Never more than spec.replicas: right after a scale
 * down the status still shows the old count until the ReplicaSet controller catches up, and
 * trusting it would let a rollout take down more pods than maxUnavailable allows.
 */
export function availableReplicas(rs: ReplicaSetObject | undefined): number {
  if (!rs) return 0;
  return Math.min(rs.status?.availableReplicas ?? 0, specReplicas(rs));
}

export function sumSpecReplicas(rss: readonly (ReplicaSetObject | undefined)[]): number {
  return rss.reduce((n, rs) => n + specReplicas(rs), 0);
}

/** Oldest first; ties by name, so every run picks the same order. */
export function byCreationOldestFirst(a: ReplicaSetObject, b: ReplicaSetObject): number {
  return creationTime(a) - creationTime(b) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

/** ReplicaSets with pods wanted. */
export function filterActive(rss: readonly (ReplicaSetObject | undefined)[]): ReplicaSetObject[] {
  return rss.filter((rs): rs is ReplicaSetObject => !!rs && specReplicas(rs) > 0);
}

/**
 * Pods a ReplicaSet has or is about to have: the larger of spec and status. Right after an
 * old ReplicaSet is scaled down its spec is already lower, but its pods live on until the
 * ReplicaSet controller deletes them and reports it; counting by spec alone (as Kubernetes'
 * NewRSNewReplicas does) lets a busy cluster briefly run more than replicas + maxSurge pods.
 */
export function podsOrWanted(rs: ReplicaSetObject | undefined): number {
  return Math.max(specReplicas(rs), rs?.status?.replicas ?? 0);
}

/**
 * How many replicas the new ReplicaSet should have now (Kubernetes' NewRSNewReplicas, but
 * counting pods that still exist: see podsOrWanted).
 */
export function newReplicaSetReplicas(d: DeploymentObject, allRSs: readonly ReplicaSetObject[], newRS: ReplicaSetObject): number {
  const replicas = desiredReplicas(d);
  if (!isRollingUpdate(d)) return replicas;
  const current = allRSs.reduce((n, rs) => n + podsOrWanted(rs), 0);
  const maxTotal = replicas + maxSurge(d);
  if (current >= maxTotal) return specReplicas(newRS);
  const scaleUp = Math.min(maxTotal - current, replicas - specReplicas(newRS));
  return specReplicas(newRS) + Math.max(0, scaleUp);
}

/** The new ReplicaSet's target in a rolling update: never above the desired count. */
export function reconcileNewReplicaSetTarget(d: DeploymentObject, allRSs: readonly ReplicaSetObject[], newRS: ReplicaSetObject): number {
  if (specReplicas(newRS) > desiredReplicas(d)) return desiredReplicas(d);
  return newReplicaSetReplicas(d, allRSs, newRS);
}

export interface ScaleStep {
  rs: ReplicaSetObject;
  replicas: number;
}

/**
 * How far to scale old ReplicaSets down in a rolling update (Kubernetes'
 * reconcileOldReplicaSets): first unhealthy old pods (they are not available anyway), then
 * available ones, oldest ReplicaSet first, keeping at least replicas − maxUnavailable
 * available pods in total.
 */
export function planOldScaleDown(
  d: DeploymentObject,
  allRSs: readonly ReplicaSetObject[],
  oldRSs: readonly ReplicaSetObject[],
  newRS: ReplicaSetObject | undefined,
): ScaleStep[] {
  const active = filterActive(oldRSs).sort(byCreationOldestFirst);
  if (sumSpecReplicas(active) === 0) return [];
  const sizes = new Map(active.map((rs) => [rs, specReplicas(rs)]));
  const minAvailable = desiredReplicas(d) - maxUnavailable(d);
  const newUnavailable = specReplicas(newRS) - availableReplicas(newRS);
  const maxScaledDown = sumSpecReplicas(allRSs) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return [];

  // 1. Unhealthy replicas of old ReplicaSets can go without reducing availability.
  let cleaned = 0;
  for (const rs of active) {
    if (cleaned >= maxScaledDown) break;
    const size = sizes.get(rs) ?? 0;
    const unhealthy = size - availableReplicas(rs);
    if (size === 0 || unhealthy <= 0) continue;
    const n = Math.min(maxScaledDown - cleaned, unhealthy);
    sizes.set(rs, size - n);
    cleaned += n;
  }

  // 2. Available old replicas, as far as total availability allows.
  const available = allRSs.reduce((n, rs) => n + availableReplicas(rs), 0);
  if (available > minAvailable) {
    const total = available - minAvailable;
    let scaled = 0;
    for (const rs of active) {
      if (scaled >= total) break;
      const size = sizes.get(rs) ?? 0;
      if (size === 0) continue;
      const n = Math.min(size, total - scaled);
      sizes.set(rs, size - n);
      scaled += n;
    }
  }
  return active.filter((rs) => sizes.get(rs) !== specReplicas(rs)).map((rs) => ({ rs, replicas: sizes.get(rs) ?? 0 }));
}

function intAnnotation(rs: ReplicaSetObject, key: string): number | undefined {
  const v = rs.metadata?.annotations?.[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isInteger(n) ? n : undefined;
}

export function desiredReplicasAnnotation(rs: ReplicaSetObject): number | undefined {
  return intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);
}

/** The replica annotations a ReplicaSet of `d` should carry (used for proportional scaling). */
export function replicasAnnotations(d: DeploymentObject): Record<string, string> {
  return {
    [DESIRED_REPLICAS_ANNOTATION]: String(desiredReplicas(d)),
    [MAX_REPLICAS_ANNOTATION]: String(desiredReplicas(d) + maxSurge(d)),
  };
}

/** The only ReplicaSet with pods, or the newest when none has any (Kubernetes' FindActiveOrLatest). */
export function findActiveOrLatest(newRS: ReplicaSetObject | undefined, oldRSs: readonly ReplicaSetObject[]): ReplicaSetObject | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => byCreationOldestFirst(b, a));
  const active = filterActive([...newestFirst, newRS]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  if (active.length === 1) return active[0];
  return undefined;
}

/** The new ReplicaSet runs everything the Deployment wants, all available. */
export function isSaturated(d: DeploymentObject, rs: ReplicaSetObject | undefined): boolean {
  if (!rs) return false;
  const desired = desiredReplicasAnnotation(rs);
  return desired === desiredReplicas(d) && specReplicas(rs) === desiredReplicas(d) && (rs.status?.availableReplicas ?? 0) === desiredReplicas(d);
}

/**
 * A scaling event in the middle of a rollout (Kubernetes' scale): the added or removed
 * replicas are shared among the active ReplicaSets in proportion to their sizes, so a
 * rollout in progress keeps its ratio; the rounding leftover goes to the largest.
 */
export function planProportionalScale(d: DeploymentObject, newRS: ReplicaSetObject | undefined, oldRSs: readonly ReplicaSetObject[]): ScaleStep[] {
  const replicas = desiredReplicas(d);
  const single = findActiveOrLatest(newRS, oldRSs);
  if (single) return specReplicas(single) === replicas && desiredReplicasAnnotation(single) === replicas ? [] : [{ rs: single, replicas }];
  if (isSaturated(d, newRS)) return filterActive(oldRSs).map((rs) => ({ rs, replicas: 0 }));
  if (!isRollingUpdate(d)) return [];

  const all = filterActive([...oldRSs, newRS]);
  const allowed = replicas > 0 ? replicas + maxSurge(d) : 0;
  const toAdd = allowed - sumSpecReplicas(all);
  // Larger first; on scale-up newer first among equals, on scale-down older first.
  all.sort((a, b) => specReplicas(b) - specReplicas(a) || (toAdd > 0 ? byCreationOldestFirst(b, a) : byCreationOldestFirst(a, b)));
  const sizes = new Map(all.map((rs) => [rs, specReplicas(rs)]));
  if (toAdd !== 0) {
    let added = 0;
    for (const rs of all) {
      const p = proportion(rs, d, toAdd, added);
      sizes.set(rs, specReplicas(rs) + p);
      added += p;
    }
    const first = all[0];
    if (first && added !== toAdd) sizes.set(first, Math.max(0, (sizes.get(first) ?? 0) + toAdd - added));
  }
  // A ReplicaSet whose size stays still gets the new annotations too (Kubernetes' scale calls
  // scaleReplicaSet on every one): left with the old desired-replicas, it would make every
  // later sync another scaling event, and the rollout would never go on.
  return all
    .filter((rs) => sizes.get(rs) !== specReplicas(rs) || annotationsStale(rs, d))
    .map((rs) => ({ rs, replicas: sizes.get(rs) ?? 0 }));
}

function annotationsStale(rs: ReplicaSetObject, d: DeploymentObject): boolean {
  return Object.entries(replicasAnnotations(d)).some(([k, v]) => rs.metadata?.annotations?.[k] !== v);
}

function proportion(rs: ReplicaSetObject, d: DeploymentObject, toAdd: number, added: number): number {
  if (specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

function replicaSetFraction(rs: ReplicaSetObject, d: DeploymentObject): number {
  if (desiredReplicas(d) === 0) return -specReplicas(rs);
  const deploymentReplicas = desiredReplicas(d) + maxSurge(d);
  const annotated = intAnnotation(rs, MAX_REPLICAS_ANNOTATION) ?? d.status?.replicas ?? 0;
  if (annotated === 0) return 0;
  const newSize = (specReplicas(rs) * deploymentReplicas) / annotated;
  return Math.round(newSize) - specReplicas(rs);
}

/** Every pod is new, wanted and available, and the controller has seen the latest spec. */
export function deploymentComplete(d: DeploymentObject, status: DeploymentStatus): boolean {
  const replicas = desiredReplicas(d);
  return (status.updatedReplicas ?? 0) === replicas
    && (status.replicas ?? 0) === replicas
    && (status.availableReplicas ?? 0) === replicas
    && (status.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
}

/** Something moved since the last status: more new pods, fewer old ones, more ready or available. */
export function deploymentProgressing(d: DeploymentObject, status: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (status.replicas ?? 0) - (status.updatedReplicas ?? 0);
  return (status.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0)
    || newOld < oldOld
    || (status.readyReplicas ?? 0) > (old.readyReplicas ?? 0)
    || (status.availableReplicas ?? 0) > (old.availableReplicas ?? 0);
}
