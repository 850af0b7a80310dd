// The DaemonSet controller's decisions, as pure functions of the DaemonSet, the nodes and the
// pods it owns (Kubernetes' pkg/controller/daemon: podsShouldBeOnNode, rollingUpdate,
// updateDaemonSetStatus, and the ControllerRevision history).
//
//   nodes × owned pods (grouped by target node)
//     ──▶ planNodes:      nodes that need a pod · pods to delete (misscheduled, failed, extras)
//     ──▶ planRollingUpdate: old pods to delete (maxUnavailable) or nodes to surge onto (maxSurge)
//     ──▶ daemonSetStatus
import type { ControllerRevision, DaemonSet, DaemonSetStatus, Node, Pod, PodSpec } from '@tugboat/api';
import { canonicalJson } from './canonical.js';
import { CONTROLLER_REVISION_HASH_LABEL, revisionsToDelete, templateRevisionData } from './controller-history.js';
import { nodeShouldRunDaemonPod, targetNodeName, type NodePlacement } from './daemonset-nodes.js';
import { computeHash } from './pod-template-hash.js';
import { creationTime, isPodAvailable, isPodReady } from './pod-util.js';
import { scaledValue } from './rollout.js';

// The revision history is shared with StatefulSets (controller-history.ts).
export { CONTROLLER_REVISION_HASH_LABEL, revisionsToDelete };

// ── History ───────────────────────────────────────────────────────────────────────────────

/** The hash of the DaemonSet's template, as its current ControllerRevision is named and labelled. */
export function daemonSetHash(ds: DaemonSet): string {
  return computeHash(ds.spec?.template, ds.status?.collisionCount);
}

/** What a revision of the DaemonSet records (see templateRevisionData). */
export function revisionData(ds: DaemonSet): Record<string, unknown> {
  return templateRevisionData(ds.spec?.template);
}

/** Whether `cr` records the DaemonSet's current template. */
export function revisionMatches(ds: DaemonSet, cr: ControllerRevision): boolean {
  return canonicalJson(cr.data) === canonicalJson(revisionData(ds));
}

// ── Pods per node ─────────────────────────────────────────────────────────────────────────

/**
 * Owned pods by the node they are for; pods with no target node are left out, and so are
 * finished pods already being deleted (they hold nothing on their node).
 */
export function podsByNode<P extends Pod>(pods: readonly P[]): Map<string, P[]> {
  const out = new Map<string, P[]>();
  for (const p of pods) {
    const finished = p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
    if (finished && p.metadata?.deletionTimestamp) continue;
    const node = targetNodeName(p);
    if (node === undefined) continue;
    const list = out.get(node);
    if (list) list.push(p);
    else out.set(node, [p]);
  }
  return out;
}

export function isPodUpdated(pod: Pod, hash: string): boolean {
  return pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash;
}

/** Oldest first; among equals, a running pod before a pending one (Kubernetes' podByCreationTimestampAndPhase). */
function byAgeThenPhase(a: Pod, b: Pod): number {
  const ta = creationTime(a);
  const tb = creationTime(b);
  if (ta !== tb) return ta - tb;
  const ra = a.status?.phase === 'Running' ? 0 : 1;
  const rb = b.status?.phase === 'Running' ? 0 : 1;
  if (ra !== rb) return ra - rb;
  return (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

export interface NodePlan<P extends Pod> {
  /** Nodes that should run a daemon pod and have none. */
  readonly nodesNeedingPods: string[];
  /** Pods to delete: on nodes they should not be on, finished, or extra. */
  readonly podsToDelete: P[];
  /** Failed pods among podsToDelete, by node (for events and back-off). */
  readonly failedOn: Map<string, P>;
}

/** Kubernetes' podsShouldBeOnNode over every node, plus pods pinned to nodes that no longer exist. */
export function planNodes<P extends Pod>(
  nodes: readonly Node[], placement: (n: Node) => NodePlacement, byNode: ReadonlyMap<string, P[]>,
  hash: string, surge: boolean, minReadySeconds: number, nowMs: number,
): NodePlan<P> {
  const nodesNeedingPods: string[] = [];
  const podsToDelete: P[] = [];
  const failedOn = new Map<string, P>();
  const known = new Set<string>();
  for (const node of nodes) {
    const name = node.metadata?.name ?? '';
    known.add(name);
    const { shouldRun, shouldContinueRunning } = placement(node);
    const pods = byNode.get(name) ?? [];
    if (shouldRun && pods.length === 0) {
      nodesNeedingPods.push(name);
    } else if (shouldContinueRunning) {
      const running: P[] = [];
      for (const p of pods) {
        if (p.metadata?.deletionTimestamp) continue;
        if (p.status?.phase === 'Failed') {
          podsToDelete.push(p);
          failedOn.set(name, p);
        } else if (p.status?.phase === 'Succeeded') {
          podsToDelete.push(p);
        } else {
          running.push(p);
        }
      }
      if (running.length <= 1) continue;
      running.sort(byAgeThenPhase);
      if (!surge) {
        // One pod a node: the oldest stays.
        podsToDelete.push(...running.slice(1));
        continue;
      }
      // With surge, an old and a new pod may share a node while the new one comes up:
      // the oldest of each stays, the old one only until the new one is available.
      let oldestNew: P | undefined;
      let oldestOld: P | undefined;
      for (const p of running) {
        if (isPodUpdated(p, hash)) {
          if (!oldestNew) { oldestNew = p; continue; }
        } else if (!oldestOld) { oldestOld = p; continue; }
        podsToDelete.push(p);
      }
      if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodAvailable(oldestNew, minReadySeconds, nowMs))) podsToDelete.push(oldestOld);
    } else {
      for (const p of pods) if (!p.metadata?.deletionTimestamp) podsToDelete.push(p);
    }
  }
  // A pod pinned to a node that is gone will never be scheduled (Kubernetes' getUnscheduledPodsWithoutNode).
  for (const [name, pods] of byNode) {
    if (known.has(name)) continue;
    for (const p of pods) if (!p.spec?.nodeName && !p.metadata?.deletionTimestamp) podsToDelete.push(p);
  }
  return { nodesNeedingPods, podsToDelete, failedOn };
}

// ── Rolling update ────────────────────────────────────────────────────────────────────────

/** The live pods on a node split into at most one new and one old; undefined when there are more (manage prunes first). */
function updatedAndOld<P extends Pod>(pods: readonly P[], hash: string): { newPod?: P; oldPod?: P } | undefined {
  let newPod: P | undefined;
  let oldPod: P | undefined;
  for (const p of pods) {
    if (p.metadata?.deletionTimestamp) continue;
    if (isPodUpdated(p, hash)) {
      if (newPod) return undefined;
      newPod = p;
    } else {
      if (oldPod) return undefined;
      oldPod = p;
    }
  }
  return { ...(newPod ? { newPod } : {}), ...(oldPod ? { oldPod } : {}) };
}

export interface RollingUpdateLimits {
  readonly maxSurge: number;
  readonly maxUnavailable: number;
  readonly desired: number;
}

/** maxSurge and maxUnavailable as numbers of nodes, both rounded up (Kubernetes' updatedDesiredNodeCounts). */
export function rollingUpdateLimits(ds: DaemonSet, desired: number): RollingUpdateLimits {
  const ru = ds.spec?.updateStrategy?.rollingUpdate;
  const maxSurge = scaledValue(ru?.maxSurge ?? 0, desired, true, 'spec.updateStrategy.rollingUpdate.maxSurge');
  let maxUnavailable = scaledValue(ru?.maxUnavailable ?? 1, desired, true, 'spec.updateStrategy.rollingUpdate.maxUnavailable');
  // An impossible setting (both zero) still makes progress, one node at a time.
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable, desired };
}

export interface RollingUpdatePlan<P extends Pod> {
  readonly podsToDelete: P[];
  readonly nodesToCreate: string[];
}

/**
 * Kubernetes' rollingUpdate. Without surge: old pods are deleted (the manage step then makes
 * new ones) while no more than maxUnavailable nodes are without an available pod, an old pod
 * that is not available anyway going first. With surge: a new pod is made next to the old one
 * on up to maxSurge nodes at once, and the old one deleted once the new one is available.
 */
export function planRollingUpdate<P extends Pod>(
  byNode: ReadonlyMap<string, P[]>, hash: string, limits: RollingUpdateLimits, shouldRun: (node: string) => boolean,
  minReadySeconds: number, nowMs: number,
): RollingUpdatePlan<P> {
  const available = (p: P): boolean => isPodAvailable(p, minReadySeconds, nowMs);
  const nodes = [...byNode.keys()].sort();
  if (limits.maxSurge === 0) {
    let unavailable = 0;
    const allowed: P[] = [];
    const candidates: P[] = [];
    for (const node of nodes) {
      const split = updatedAndOld(byNode.get(node) ?? [], hash);
      if (!split) { unavailable++; continue; }
      const { newPod, oldPod } = split;
      if ((!newPod && !oldPod) || (newPod && oldPod)) {
        unavailable++;
      } else if (newPod) {
        if (!available(newPod)) unavailable++;
      } else if (oldPod) {
        if (!available(oldPod)) {
          allowed.push(oldPod);
          unavailable++;
        } else if (unavailable < limits.maxUnavailable) {
          candidates.push(oldPod);
        }
      }
    }
    const remaining = Math.min(Math.max(limits.maxUnavailable - unavailable, 0), candidates.length);
    return { podsToDelete: [...allowed, ...candidates.slice(0, remaining)], nodesToCreate: [] };
  }

  const podsToDelete: P[] = [];
  const notRunHere: P[] = [];
  const allowedNodes: string[] = [];
  const candidateNodes: string[] = [];
  let surging = 0;
  let numAvailable = 0;
  for (const node of nodes) {
    const split = updatedAndOld(byNode.get(node) ?? [], hash);
    if (!split) { surging++; continue; }
    const { newPod, oldPod } = split;
    if (oldPod ? available(oldPod) : newPod && available(newPod)) numAvailable++;
    if (!oldPod) continue;
    if (!newPod) {
      if (!available(oldPod)) {
        if (!shouldRun(node)) podsToDelete.push(oldPod);
        else allowedNodes.push(node);
      } else if (!shouldRun(node)) {
        notRunHere.push(oldPod);
      } else if (surging < limits.maxSurge) {
        candidateNodes.push(node);
      }
      continue;
    }
    if (!available(newPod)) { surging++; continue; }
    podsToDelete.push(oldPod);
  }
  // With surge the owner expects full availability: a pod on a node it should leave goes only
  // once enough pods elsewhere are available.
  const deletable = Math.min(Math.max(numAvailable - limits.desired, 0), notRunHere.length);
  podsToDelete.push(...notRunHere.slice(0, deletable));
  const remaining = Math.min(Math.max(limits.maxSurge - surging, 0), candidateNodes.length);
  return { podsToDelete, nodesToCreate: [...allowedNodes, ...candidateNodes.slice(0, remaining)] };
}

// ── Status ────────────────────────────────────────────────────────────────────────────────

/** Kubernetes' updateDaemonSetStatus counts, over every node. */
export function daemonSetStatus(
  ds: DaemonSet, nodes: readonly Node[], placement: (n: Node) => NodePlacement, byNode: ReadonlyMap<string, Pod[]>, hash: string, nowMs: number,
): DaemonSetStatus {
  const minReady = ds.spec?.minReadySeconds ?? 0;
  let desired = 0;
  let current = 0;
  let misscheduled = 0;
  let ready = 0;
  let available = 0;
  let updated = 0;
  for (const node of nodes) {
    const { shouldRun } = placement(node);
    const pods = byNode.get(node.metadata?.name ?? '') ?? [];
    const scheduled = pods.length > 0;
    if (shouldRun) {
      desired++;
      if (!scheduled) continue;
      current++;
      // The oldest pod counts for the node (a surging new one is not ready yet).
      const pod = [...pods].sort(byAgeThenPhase)[0]!;
      if (isPodReady(pod)) {
        ready++;
        if (isPodAvailable(pod, minReady, nowMs)) available++;
      }
      if (isPodUpdated(pod, hash)) updated++;
    } else if (scheduled) {
      misscheduled++;
    }
  }
  const out: DaemonSetStatus = {
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    desiredNumberScheduled: desired,
    numberReady: ready,
    ...(ds.metadata?.generation !== undefined ? { observedGeneration: ds.metadata.generation } : {}),
    updatedNumberScheduled: updated,
    numberAvailable: available,
    numberUnavailable: desired - available,
  };
  if (ds.status?.collisionCount !== undefined) out.collisionCount = ds.status.collisionCount;
  if (ds.status?.conditions?.length) out.conditions = ds.status.conditions;
  return out;
}

/** Placement of every node for one DaemonSet, computed once per sync. */
export function placementFor(spec: PodSpec): (n: Node) => NodePlacement {
  const memo = new Map<string, NodePlacement>();
  return (n) => {
    const name = n.metadata?.name ?? '';
    let p = memo.get(name);
    if (!p) { p = nodeShouldRunDaemonPod(n, spec); memo.set(name, p); }
    return p;
  };
}
