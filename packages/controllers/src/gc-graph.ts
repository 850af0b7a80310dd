// The garbage collector's view of the world: a graph of objects by uid, each with its owner
// references and the set of its dependents, built from the shared informers. Plus the pure
// decisions taken on it (Kubernetes' garbagecollector: attemptToDeleteItem,
// processDeletingDependentsItem, orphanDependents).
import { FOREGROUND_DELETION_FINALIZER, ORPHAN_FINALIZER, type KubeObject, type OwnerReference, type PropagationPolicy } from '@tugboat/api';

export interface ObjectCoordinates {
  resource: string;
  namespace: string;
  name: string;
  uid: string;
}

export interface GraphNode {
  uid: string;
  /** Where the object lives; undefined for a virtual node (an owner we have not seen). */
  coordinates: ObjectCoordinates | undefined;
  owners: OwnerReference[];
  dependents: Set<string>;
  beingDeleted: boolean;
  finalizers: string[];
}

export function isDeletingDependents(n: GraphNode | undefined): boolean {
  return !!n && n.beingDeleted && n.finalizers.includes(FOREGROUND_DELETION_FINALIZER);
}

export function isOrphaning(n: GraphNode | undefined): boolean {
  return !!n && n.beingDeleted && n.finalizers.includes(ORPHAN_FINALIZER);
}

/** What changed when an object was observed, for the collector to enqueue. */
export interface GraphChange {
  node: GraphNode;
  /** Owners no longer referenced (or no longer blocking): they may be waiting for this one. */
  releasedOwners: string[];
  /** The object has just started a foreground deletion. */
  startedDeletingDependents: boolean;
  /** The object has just started an orphaning deletion. */
  startedOrphaning: boolean;
  /** Owners referenced but never seen: they must be checked against the API server. */
  unseenOwners: string[];
}

export class OwnerGraph {
  private readonly nodes = new Map<string, GraphNode>();

  get(uid: string): GraphNode | undefined {
    return this.nodes.get(uid);
  }

  /** An observed (not virtual) node. */
  observed(uid: string): GraphNode | undefined {
    const n = this.nodes.get(uid);
    return n?.coordinates ? n : undefined;
  }

  size(): number {
    return this.nodes.size;
  }

  dependents(uid: string): GraphNode[] {
    const n = this.nodes.get(uid);
    if (!n) return [];
    return [...n.dependents].map((d) => this.nodes.get(d)).filter((d): d is GraphNode => !!d?.coordinates);
  }

  /** Dependents whose reference to `uid` has blockOwnerDeletion: a foreground delete waits for them. */
  blockingDependents(uid: string): GraphNode[] {
    return this.dependents(uid).filter((d) => d.owners.some((r) => r.uid === uid && r.blockOwnerDeletion === true));
  }

  upsert(obj: KubeObject, resource: string): GraphChange | undefined {
    const m = obj.metadata;
    const uid = m?.uid;
    if (!uid) return undefined;
    const owners = [...(m?.ownerReferences ?? [])];
    const existing = this.nodes.get(uid);
    const wasDeletingDependents = isDeletingDependents(existing);
    const wasOrphaning = isOrphaning(existing);
    const before = existing?.owners ?? [];
    const node: GraphNode = existing ?? { uid, coordinates: undefined, owners: [], dependents: new Set(), beingDeleted: false, finalizers: [] };
    node.coordinates = { resource, namespace: m?.namespace ?? '', name: m?.name ?? '', uid };
    node.owners = owners;
    node.beingDeleted = !!m?.deletionTimestamp;
    node.finalizers = [...(m?.finalizers ?? [])];
    this.nodes.set(uid, node);

    const releasedOwners: string[] = [];
    for (const old of before) {
      const now = owners.find((r) => r.uid === old.uid);
      if (!now) {
        this.unlink(old.uid, uid);
        releasedOwners.push(old.uid);
      } else if (old.blockOwnerDeletion && !now.blockOwnerDeletion) {
        releasedOwners.push(old.uid);
      }
    }
    const unseenOwners: string[] = [];
    for (const r of owners) {
      let owner = this.nodes.get(r.uid);
      if (!owner) {
        owner = { uid: r.uid, coordinates: undefined, owners: [], dependents: new Set(), beingDeleted: false, finalizers: [] };
        this.nodes.set(r.uid, owner);
      }
      owner.dependents.add(uid);
      if (!owner.coordinates) unseenOwners.push(r.uid);
    }
    return {
      node,
      releasedOwners,
      startedDeletingDependents: !wasDeletingDependents && isDeletingDependents(node),
      startedOrphaning: !wasOrphaning && isOrphaning(node),
      unseenOwners,
    };
  }

  /** Removes an object that is gone; returns its node (dependents and owners as they were). */
  remove(uid: string): GraphNode | undefined {
    const node = this.nodes.get(uid);
    if (!node?.coordinates) return undefined;
    for (const r of node.owners) this.unlink(r.uid, uid);
    if (node.dependents.size > 0) {
      // Keep a virtual node so dependents added or changed later still find each other.
      this.nodes.set(uid, { uid, coordinates: undefined, owners: [], dependents: new Set(node.dependents), beingDeleted: false, finalizers: [] });
    } else {
      this.nodes.delete(uid);
    }
    return node;
  }

  private unlink(ownerUid: string, dependentUid: string): void {
    const owner = this.nodes.get(ownerUid);
    if (!owner) return;
    owner.dependents.delete(dependentUid);
    if (!owner.coordinates && owner.dependents.size === 0) this.nodes.delete(ownerUid);
  }
}

// ── Decisions ────────────────────────────────────────────────────────────────────────────

/** solid: exists; dangling: gone; waiting: being deleted in the foreground, waiting for its dependents. */
export type OwnerState = 'solid' | 'dangling' | 'waiting';

export interface OwnerFacts {
  /** False when the owner does not exist (or exists with another uid). */
  exists: boolean;
  beingDeleted?: boolean;
  finalizers?: readonly string[];
}

export function ownerState(f: OwnerFacts): OwnerState {
  if (!f.exists) return 'dangling';
  if (f.beingDeleted && f.finalizers?.includes(FOREGROUND_DELETION_FINALIZER)) return 'waiting';
  return 'solid';
}

export interface ItemFacts {
  beingDeleted: boolean;
  finalizers: readonly string[];
  /** The item has dependents of its own. */
  hasDependents: boolean;
  /** One of its dependents is itself deleting dependents (a cycle through blockOwnerDeletion). */
  dependentDeletingDependents: boolean;
}

export type DeleteDecision =
  | { action: 'none' }
  | { action: 'removeOwnerReferences'; uids: string[] }
  | { action: 'delete'; policy: PropagationPolicy; unblockUids: string[] };

/**
 * What to do with a dependent given the states of its owners (Kubernetes'
 * attemptToDeleteItem). An object that still has one live owner keeps living and only loses
 * its references to the gone or going ones; otherwise it is deleted — in the foreground when
 * an owner waits for it and it has dependents of its own (so the wait covers the whole
 * tree), else with the policy its own finalizers ask for.
 */
export function decideAttemptToDelete(item: ItemFacts, owners: readonly { uid: string; state: OwnerState }[]): DeleteDecision {
  if (item.beingDeleted) return { action: 'none' };
  if (owners.length === 0) return { action: 'none' };
  const solid = owners.filter((o) => o.state === 'solid');
  const dangling = owners.filter((o) => o.state === 'dangling').map((o) => o.uid);
  const waiting = owners.filter((o) => o.state === 'waiting').map((o) => o.uid);
  if (solid.length > 0) {
    if (dangling.length === 0 && waiting.length === 0) return { action: 'none' };
    return { action: 'removeOwnerReferences', uids: [...dangling, ...waiting] };
  }
  if (waiting.length > 0 && item.hasDependents) {
    return { action: 'delete', policy: 'Foreground', unblockUids: item.dependentDeletingDependents ? waiting : [] };
  }
  let policy: PropagationPolicy = 'Background';
  if (item.finalizers.includes(ORPHAN_FINALIZER)) policy = 'Orphan';
  else if (item.finalizers.includes(FOREGROUND_DELETION_FINALIZER)) policy = 'Foreground';
  return { action: 'delete', policy, unblockUids: [] };
}

export type ForegroundDecision =
  | { action: 'removeFinalizer' }
  | { action: 'deleteDependents'; uids: string[] };

/**
 * An owner deleting in the foreground (Kubernetes' processDeletingDependentsItem): once no
 * dependent blocks it, its finalizer goes (and the API server removes it); until then its
 * blocking dependents are pushed to deletion.
 */
export function decideDeletingDependents(blocking: readonly GraphNode[]): ForegroundDecision {
  if (blocking.length === 0) return { action: 'removeFinalizer' };
  return { action: 'deleteDependents', uids: blocking.filter((d) => !isDeletingDependents(d)).map((d) => d.uid) };
}
