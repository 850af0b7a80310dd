// The garbage collector: deletes objects whose owners are gone, through ownerReferences.
//
//   informers (every kind that can own or be owned) ──▶ OwnerGraph (uid → owners, dependents)
//        │ on changes, enqueue uids
//        ▼
//   attempt-to-delete queue: a dependent whose owners are all gone is deleted (Background,
//        or as its own finalizers ask); one with a live owner only loses the dead references;
//        an owner deleting in the foreground (foregroundDeletion finalizer) pushes its
//        blocking dependents to deletion and drops the finalizer once they are gone
//   attempt-to-orphan queue: an owner deleted with the orphan finalizer has the reference
//        removed from each dependent, then the finalizer
//
// The API server decides the policy when an owner is deleted (it adds the finalizers); this
// controller carries it out.
import { FOREGROUND_DELETION_FINALIZER, ORPHAN_FINALIZER, kindInfo, type KubeObject, type OwnerReference, type TugboatClient } from '@tugboat/api';
import { realClock, type Clock } from '@tugboat/api';
import { consoleLogger, isApiError, runWorkers, type Logger } from './controller.js';
import {
  OwnerGraph, decideAttemptToDelete, decideDeletingDependents, isDeletingDependents, isOrphaning, ownerState,
  type GraphNode, type OwnerFacts,
} from './gc-graph.js';
import type { SharedInformers } from './informers.js';
import type { ControllerMetrics } from './metrics.js';
import { updateWithRetry } from './owner-refs.js';
import { WorkQueue } from './workqueue.js';

/** Resources the collector watches by default: every kind that owns or is owned in practice. */
export const GC_RESOURCES = ['pods', 'replicasets', 'deployments', 'configmaps', 'secrets', 'nodes', 'leases', 'services', 'endpointslices', 'jobs', 'cronjobs', 'daemonsets', 'statefulsets', 'controllerrevisions', 'replicationcontrollers',
  // A StatefulSet's claims, owned by the set or a pod under persistentVolumeClaimRetentionPolicy Delete.
  'persistentvolumeclaims'];

const ABSENT_CACHE_SIZE = 10_000;

export interface GarbageCollectorOptions {
  client: TugboatClient;
  informers: SharedInformers;
  resources?: readonly string[];
  clock?: Clock;
  metrics?: ControllerMetrics;
  log?: Logger;
  workers?: number;
}

export class GarbageCollector {
  readonly graph = new OwnerGraph();
  readonly deleteQueue: WorkQueue;
  readonly orphanQueue: WorkQueue;
  private readonly client: TugboatClient;
  private readonly log: Logger;
  private readonly workers: number;
  // Owners confirmed gone by the API server, so each is looked up once (insertion-ordered: LRU).
  private readonly absentOwners = new Set<string>();

  constructor(opts: GarbageCollectorOptions) {
    this.client = opts.client;
    this.log = opts.log ?? consoleLogger;
    this.workers = opts.workers ?? 10;
    const clock = opts.clock ?? realClock;
    const metrics = opts.metrics ? { metrics: opts.metrics } : {};
    this.deleteQueue = new WorkQueue({ name: 'garbage_collector_attempt_to_delete', clock, ...metrics });
    this.orphanQueue = new WorkQueue({ name: 'garbage_collector_attempt_to_orphan', clock, ...metrics });
    for (const resource of opts.resources ?? GC_RESOURCES) {
      opts.informers.forResource<KubeObject>(resource)
        .onAdd((obj) => this.observe(obj, resource, true))
        .onUpdate((_old, obj) => this.observe(obj, resource, false))
        .onDelete((obj) => this.gone(obj));
    }
  }

  run(): Promise<void> {
    return Promise.all([
      runWorkers(this.deleteQueue, (uid) => this.attemptToDelete(uid), this.workers, this.log),
      runWorkers(this.orphanQueue, (uid) => this.attemptToOrphan(uid), Math.max(1, Math.floor(this.workers / 2)), this.log),
    ]).then(() => undefined);
  }

  stop(): void {
    this.deleteQueue.shutDown();
    this.orphanQueue.shutDown();
  }

  // ── Graph maintenance (informer handlers: enqueue only) ─────────────────────────────────

  private observe(obj: KubeObject, resource: string, added: boolean): void {
    const before = obj.metadata?.uid ? this.graph.observed(obj.metadata.uid)?.owners : undefined;
    const change = this.graph.upsert(obj, resource);
    if (!change) return;
    const { node } = change;
    if (change.startedOrphaning) this.orphanQueue.add(node.uid);
    if (change.startedDeletingDependents) for (const dep of this.graph.dependents(node.uid)) this.deleteQueue.add(dep.uid);
    if (isDeletingDependents(node)) this.deleteQueue.add(node.uid);
    for (const uid of change.releasedOwners) {
      if (isDeletingDependents(this.graph.observed(uid))) this.deleteQueue.add(uid);
    }
    // A dependent needs a look when first seen, when its references change, or when it names
    // an owner we have never seen (gone before we started, or not yet in our cache).
    const ownersChanged = !added && JSON.stringify(before ?? []) !== JSON.stringify(node.owners);
    if (node.owners.length && (added || ownersChanged || change.unseenOwners.length)) this.deleteQueue.add(node.uid);
  }

  private gone(obj: KubeObject): void {
    const uid = obj.metadata?.uid;
    if (!uid) return;
    const node = this.graph.remove(uid);
    if (!node) return;
    this.rememberAbsent(uid);
    for (const dep of node.dependents) this.deleteQueue.add(dep);
    for (const r of node.owners) {
      if (isDeletingDependents(this.graph.observed(r.uid))) this.deleteQueue.add(r.uid);
    }
  }

  private rememberAbsent(uid: string): void {
    this.absentOwners.delete(uid);
    this.absentOwners.add(uid);
    if (this.absentOwners.size > ABSENT_CACHE_SIZE) {
      const oldest = this.absentOwners.values().next().value;
      if (oldest !== undefined) this.absentOwners.delete(oldest);
    }
  }

  // ── Workers ───────────────────────────────────────────────────────────────────────────

  private async attemptToDelete(uid: string): Promise<void> {
    const node = this.graph.observed(uid);
    if (!node?.coordinates) return;
    if (isDeletingDependents(node)) {
      await this.processDeletingDependents(node);
      return;
    }
    if (node.beingDeleted || node.owners.length === 0) return;

    const owners: { uid: string; state: ReturnType<typeof ownerState> }[] = [];
    for (const ref of node.owners) owners.push({ uid: ref.uid, state: ownerState(await this.ownerFacts(ref, node.coordinates.namespace)) });
    const dependents = this.graph.dependents(uid);
    const decision = decideAttemptToDelete({
      beingDeleted: node.beingDeleted,
      finalizers: node.finalizers,
      hasDependents: dependents.length > 0,
      dependentDeletingDependents: dependents.some(isDeletingDependents),
    }, owners);

    const { resource, namespace, name } = node.coordinates;
    switch (decision.action) {
      case 'none':
        return;
      case 'removeOwnerReferences':
        await this.removeOwnerReferences(node, decision.uids);
        return;
      case 'delete':
        if (decision.unblockUids.length) {
          // Break a cycle of foreground waits: this item stops blocking the waiting owners.
          await updateWithRetry<KubeObject>(this.client, resource, namespace, name, uid, (o) => {
            const refs = o.metadata?.ownerReferences ?? [];
            if (!refs.some((r) => decision.unblockUids.includes(r.uid) && r.blockOwnerDeletion)) return false;
            o.metadata = { ...o.metadata, ownerReferences: refs.map((r) => (decision.unblockUids.includes(r.uid) ? { ...r, blockOwnerDeletion: false } : r)) };
            return true;
          });
        }
        try {
          await this.client.delete(resource, namespace, name, { propagationPolicy: decision.policy, preconditionUid: uid });
        } catch (e) {
          // Already gone, or recreated under the same name (the uid precondition failed).
          if (!isApiError(e, 'NotFound', 'Conflict')) throw e;
        }
        return;
    }
  }

  private async processDeletingDependents(node: GraphNode): Promise<void> {
    const decision = decideDeletingDependents(this.graph.blockingDependents(node.uid));
    switch (decision.action) {
      case 'removeFinalizer':
        await this.removeFinalizer(node, FOREGROUND_DELETION_FINALIZER);
        return;
      case 'deleteDependents':
        // Re-checked when each of them goes away (see gone()).
        for (const uid of decision.uids) this.deleteQueue.add(uid);
        return;
    }
  }

  private async attemptToOrphan(uid: string): Promise<void> {
    const node = this.graph.observed(uid);
    if (!node || !isOrphaning(node)) return;
    const errors: unknown[] = [];
    await Promise.all(this.graph.dependents(uid).map((dep) => this.removeOwnerReferences(dep, [uid]).catch((e: unknown) => { errors.push(e); })));
    if (errors.length) throw errors[0];
    await this.removeFinalizer(node, ORPHAN_FINALIZER);
  }

  // ── Facts and writes ─────────────────────────────────────────────────────────────────────

  /** Whether an owner exists: from the graph, else asked of the API server (our cache may lag). */
  private async ownerFacts(ref: OwnerReference, namespace: string): Promise<OwnerFacts> {
    const seen = this.graph.observed(ref.uid);
    if (seen) return { exists: true, beingDeleted: seen.beingDeleted, finalizers: seen.finalizers };
    if (this.absentOwners.has(ref.uid)) return { exists: false };
    const info = kindInfo(ref.kind);
    // A kind we do not know cannot be checked: never delete on a guess.
    if (!info) return { exists: true };
    const owner = await this.client.tryGet<KubeObject>(info.resource, info.namespaced ? namespace : '', ref.name);
    if (!owner || owner.metadata?.uid !== ref.uid) {
      this.rememberAbsent(ref.uid);
      return { exists: false };
    }
    return { exists: true, beingDeleted: !!owner.metadata?.deletionTimestamp, finalizers: owner.metadata?.finalizers ?? [] };
  }

  private async removeOwnerReferences(node: GraphNode, uids: readonly string[]): Promise<void> {
    if (!node.coordinates) return;
    const { resource, namespace, name, uid } = node.coordinates;
    await updateWithRetry<KubeObject>(this.client, resource, namespace, name, uid, (o) => {
      const refs = o.metadata?.ownerReferences ?? [];
      const kept = refs.filter((r) => !uids.includes(r.uid));
      if (kept.length === refs.length) return false;
      o.metadata = { ...o.metadata, ownerReferences: kept };
      return true;
    });
  }

  private async removeFinalizer(node: GraphNode, finalizer: string): Promise<void> {
    if (!node.coordinates) return;
    const { resource, namespace, name, uid } = node.coordinates;
    await updateWithRetry<KubeObject>(this.client, resource, namespace, name, uid, (o) => {
      const f = o.metadata?.finalizers ?? [];
      if (!f.includes(finalizer)) return false;
      o.metadata = { ...o.metadata, finalizers: f.filter((x) => x !== finalizer) };
      return true;
    });
  }
}
