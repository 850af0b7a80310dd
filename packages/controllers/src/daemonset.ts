// The DaemonSet controller: one pod of the DaemonSet on every node that should run it.
//
//   daemonset / node (labels, taints, unschedulable) / pod / controllerrevision events
//       ──▶ enqueue "ns/name" of the DaemonSet(s) concerned
//   sync(key): history (the ControllerRevision of the current template, its hash)
//              → claim pods → if expectations are met:
//                   planNodes (create where missing, delete where misscheduled, failed or extra)
//                   → else planRollingUpdate (RollingUpdate only; OnDelete waits for users)
//              → prune old revisions → write status
//
// Pods go through the scheduler, as in Kubernetes: each is created unbound, pinned to its
// node by required node affinity (matchFields metadata.name In [node]), with the DaemonSet
// default tolerations. A pod counts for its node from creation (by that affinity), and a
// deleted pod until it is gone, so a rolling update replaces one node's pod at a time.
import { objectKey, selectorFromLabelSelector, type DaemonSetStatus, type Informer, type KubeObject } from '@tugboat/api';
import { deepEqual } from './canonical.js';
import { ControllerHistory } from './controller-history.js';
import { describe, isApiError } from './controller.js';
import { daemonPodSpec, daemonPodTolerations, pinToNode } from './daemonset-nodes.js';
import {
  CONTROLLER_REVISION_HASH_LABEL, daemonSetHash, daemonSetStatus, placementFor, planNodes, planRollingUpdate, podsByNode,
  revisionsToDelete, rollingUpdateLimits,
} from './daemonset-plan.js';
import type { EventRecorder } from './events.js';
import { ControllerExpectations } from './expectations.js';
import type { ControllerRevisionObject, DaemonSetObject, NodeObject, PodObject, SharedInformers } from './informers.js';
import { claimForWorkload, controllerRef } from './owner-refs.js';
import { podFromTemplate } from './replicaset.js';
import { isPodReady } from './pod-util.js';
import { slowStartBatch } from './slow-start.js';
import { QueueController, type ControllerOptions } from './queue-controller.js';

export const DAEMONSET_CONTROLLER = 'daemonset-controller';
const DAEMONSET_REF = { apiVersion: 'apps/v1', kind: 'DaemonSet' } as const;
/** At most this many creates or deletes per sync (Kubernetes' BurstReplicas). */
const BURST = 250;
/** Back-off before a failed daemon pod on a node is replaced again (Kubernetes': 1 s doubling to 15 min). */
const FAILED_BACKOFF_INITIAL_MS = 1000;
const FAILED_BACKOFF_MAX_MS = 15 * 60 * 1000;

export interface DaemonSetControllerOptions extends ControllerOptions {
  informers: SharedInformers;
  recorder: EventRecorder;
}

export class DaemonSetController extends QueueController {
  readonly expectations: ControllerExpectations;
  private readonly daemonSets: Informer<DaemonSetObject>;
  private readonly nodes: Informer<NodeObject>;
  private readonly pods: Informer<PodObject>;
  private readonly revisions: Informer<ControllerRevisionObject>;
  private readonly revisionHistory: ControllerHistory;
  private readonly recorder: EventRecorder;
  /** "dsUid/node" → the back-off before the next failed pod there is replaced. */
  private readonly failedBackoff = new Map<string, { delayMs: number; until: number }>();

  constructor(opts: DaemonSetControllerOptions) {
    super('daemonset', opts, 2);
    this.recorder = opts.recorder;
    this.expectations = new ControllerExpectations(this.clock);
    this.daemonSets = opts.informers.daemonSets();
    this.nodes = opts.informers.nodes();
    this.pods = opts.informers.pods();
    this.revisions = opts.informers.controllerRevisions();
    this.revisionHistory = new ControllerHistory(this.client, DAEMONSET_REF);

    this.daemonSets
      .onAdd((ds) => this.enqueue(ds))
      .onUpdate((_old, ds) => this.enqueue(ds))
      .onDelete((ds) => {
        this.expectations.delete(objectKey(ds));
        this.enqueue(ds);
      });
    // Any node may change where every DaemonSet belongs; heartbeats (status) do not.
    this.nodes
      .onAdd(() => this.enqueueAll())
      .onUpdate((old, node) => { if (placementChanged(old, node)) this.enqueueAll(); })
      .onDelete(() => this.enqueueAll());
    this.pods
      .onAdd((pod) => this.addPod(pod))
      .onUpdate((old, pod) => this.updatePod(old, pod))
      .onDelete((pod) => this.deletePod(pod));
    const byRevision = (cr: ControllerRevisionObject): void => {
      const ds = this.resolveControllerRef(cr.metadata?.namespace ?? '', cr);
      if (ds) this.enqueue(ds);
    };
    this.revisions.onAdd(byRevision).onUpdate((_o, cr) => byRevision(cr)).onDelete(byRevision);
  }

  private enqueue(ds: KubeObject): void {
    this.queue.add(objectKey(ds));
  }

  private enqueueAll(): void {
    for (const ds of this.daemonSets.list()) this.enqueue(ds);
  }

  private resolveControllerRef(namespace: string, obj: KubeObject): DaemonSetObject | undefined {
    const ref = controllerRef(obj);
    if (!ref || ref.kind !== 'DaemonSet') return undefined;
    const ds = this.daemonSets.get(`${namespace}/${ref.name}`);
    return ds && ds.metadata?.uid === ref.uid ? ds : undefined;
  }

  private matchingDaemonSets(pod: PodObject): DaemonSetObject[] {
    const ns = pod.metadata?.namespace;
    return this.daemonSets.list().filter((ds) => {
      if (ds.metadata?.namespace !== ns) return false;
      const sel = selectorFromLabelSelector(ds.spec?.selector);
      return !sel.isEmpty() && sel.matches(pod.metadata?.labels);
    });
  }

  private addPod(pod: PodObject): void {
    if (pod.metadata?.deletionTimestamp) {
      this.deletePod(pod);
      return;
    }
    if (controllerRef(pod)) {
      const ds = this.resolveControllerRef(pod.metadata?.namespace ?? '', pod);
      if (!ds) return;
      this.expectations.creationObserved(objectKey(ds));
      this.enqueue(ds);
      return;
    }
    for (const ds of this.matchingDaemonSets(pod)) this.enqueue(ds);
  }

  private updatePod(old: PodObject, pod: PodObject): void {
    if (old.metadata?.resourceVersion === pod.metadata?.resourceVersion) return;
    const ns = pod.metadata?.namespace ?? '';
    if (pod.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp) {
      this.deletePod(pod);
      return;
    }
    const oldRef = controllerRef(old);
    const curRef = controllerRef(pod);
    if (oldRef && oldRef.uid !== curRef?.uid) {
      const oldDs = this.resolveControllerRef(ns, old);
      if (oldDs) this.enqueue(oldDs);
    }
    if (curRef) {
      const ds = this.resolveControllerRef(ns, pod);
      if (!ds) return;
      this.enqueue(ds);
      const minReady = ds.spec?.minReadySeconds ?? 0;
      if (minReady > 0 && !isPodReady(old) && isPodReady(pod)) this.queue.addAfter(objectKey(ds), minReady * 1000 + 1);
      return;
    }
    if (!deepEqual(old.metadata?.labels ?? {}, pod.metadata?.labels ?? {})) for (const ds of this.matchingDaemonSets(pod)) this.enqueue(ds);
  }

  private deletePod(pod: PodObject): void {
    const ds = this.resolveControllerRef(pod.metadata?.namespace ?? '', pod);
    if (!ds) return;
    this.expectations.deletionObserved(objectKey(ds), objectKey(pod));
    this.enqueue(ds);
  }

  async sync(key: string): Promise<void> {
    const ds = this.daemonSets.get(key);
    if (!ds) {
      this.expectations.delete(key);
      return;
    }
    // Being deleted: the garbage collector takes its pods; nothing to make or count.
    if (ds.metadata?.deletionTimestamp) return;
    const now = this.clock.now();
    const nodes = this.nodes.list();
    const { hash, old } = await this.history(ds);
    const pods = await this.claim(ds, 'pods', this.pods);
    const byNode = podsByNode(pods);
    const spec = daemonPodSpec(ds);
    const placement = placementFor(spec);
    const minReady = ds.spec?.minReadySeconds ?? 0;

    let thrown: unknown;
    if (this.expectations.satisfied(key)) {
      try {
        await this.manage(ds, key, nodes, placement, byNode, hash, now);
      } catch (e) {
        thrown = e;
      }
    }
    const live = new Set(pods.map((p) => p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '').filter(Boolean));
    await this.revisionHistory.delete(revisionsToDelete(old, ds.spec?.revisionHistoryLimit ?? 10, live));
    await this.writeStatus(ds, daemonSetStatus(ds, nodes, placement, byNode, hash, now));
    if (thrown) throw thrown;
    // Ready pods become available minReadySeconds later: look again then.
    if (minReady > 0 && pods.some((p) => isPodReady(p))) this.queue.addAfter(key, minReady * 1000);
  }

  /** Creates and deletes what planNodes asks for, or, when nothing is missing, the rolling update's next step. */
  private async manage(
    ds: DaemonSetObject, key: string, nodes: readonly NodeObject[], placement: ReturnType<typeof placementFor>,
    byNode: Map<string, PodObject[]>, hash: string, now: number,
  ): Promise<void> {
    const surge = ds.spec?.updateStrategy?.type === 'RollingUpdate' && rollingUpdateLimits(ds, 1).maxSurge > 0;
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const plan = planNodes(nodes, placement, byNode, hash, surge, minReady, now);
    const deletes = this.throttleFailed(ds, key, plan.podsToDelete, plan.failedOn, now);
    if (plan.nodesNeedingPods.length > 0 || deletes.length > 0) {
      await this.syncNodes(ds, key, deletes, plan.nodesNeedingPods, hash);
      return;
    }
    if (ds.spec?.updateStrategy?.type !== 'RollingUpdate') return;
    const byName = new Map(nodes.map((n) => [n.metadata?.name ?? '', n]));
    const shouldRun = (name: string): boolean => {
      const n = byName.get(name);
      return !!n && placement(n).shouldRun;
    };
    const desired = nodes.filter((n) => placement(n).shouldRun).length;
    const step = planRollingUpdate(byNode, hash, rollingUpdateLimits(ds, desired), shouldRun, minReady, now);
    if (step.podsToDelete.length > 0 || step.nodesToCreate.length > 0) await this.syncNodes(ds, key, step.podsToDelete, step.nodesToCreate, hash);
  }

  /** Failed pods are replaced with a per-node back-off, so a pod that cannot start does not spin. */
  private throttleFailed(ds: DaemonSetObject, key: string, deletes: PodObject[], failedOn: ReadonlyMap<string, PodObject>, now: number): PodObject[] {
    if (failedOn.size === 0) return deletes;
    const held = new Set<PodObject>();
    for (const [node, pod] of failedOn) {
      const bk = `${ds.metadata?.uid ?? ''}/${node}`;
      const b = this.failedBackoff.get(bk);
      if (b && now < b.until) {
        held.add(pod);
        this.queue.addAfter(key, b.until - now);
        continue;
      }
      const delayMs = b ? Math.min(b.delayMs * 2, FAILED_BACKOFF_MAX_MS) : FAILED_BACKOFF_INITIAL_MS;
      this.failedBackoff.set(bk, { delayMs, until: now + delayMs });
      this.recorder.event(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''} on node ${node}, will try to kill it`);
    }
    return deletes.filter((p) => !held.has(p));
  }

  private async syncNodes(ds: DaemonSetObject, key: string, deletes: readonly PodObject[], nodes: readonly string[], hash: string): Promise<void> {
    const creates = nodes.slice(0, BURST);
    const victims = deletes.slice(0, BURST);
    // Expect before writing: the informer may deliver our pods before the calls return.
    this.expectations.expectCreations(key, creates.length);
    this.expectations.expectDeletions(key, victims.map((p) => objectKey(p)));
    const template = structuredClone(ds.spec?.template ?? {});
    template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [CONTROLLER_REVISION_HASH_LABEL]: hash } };
    let next = 0;
    const failures: unknown[] = [];
    const created = creates.length === 0 ? { successes: 0, error: undefined } : await slowStartBatch(creates.length, 1, async () => {
      const node = creates[next++]!;
      const pod = podFromTemplate(ds, template, undefined, DAEMONSET_REF);
      pod.spec = { ...pod.spec!, affinity: pinToNode(pod.spec?.affinity, node), tolerations: daemonPodTolerations(pod.spec) };
      try {
        const made = await this.client.create<PodObject>(pod);
        this.recorder.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${made.metadata?.name ?? ''}`);
      } catch (e) {
        this.recorder.event(ds, 'Warning', 'FailedCreate', `Error creating: ${describe(e)}`);
        throw e;
      }
    });
    for (let i = created.successes; i < creates.length; i++) this.expectations.creationObserved(key);
    if (created.error !== undefined) failures.push(created.error);
    await Promise.all(victims.map(async (pod) => {
      const name = pod.metadata?.name ?? '';
      try {
        await this.client.delete('pods', pod.metadata?.namespace ?? '', name, { ...(pod.metadata?.uid ? { preconditionUid: pod.metadata.uid } : {}) });
        this.recorder.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
      } catch (e) {
        this.expectations.deletionObserved(key, objectKey(pod));
        if (isApiError(e, 'NotFound')) return;
        this.recorder.event(ds, 'Warning', 'FailedDelete', `Error deleting: ${describe(e)}`);
        failures.push(e);
      }
    }));
    if (failures.length) throw failures[0];
  }

  /** The DaemonSet's objects of `resource` in its namespace: adopted when they match, released when they stop. */
  private claim<T extends KubeObject>(ds: DaemonSetObject, resource: string, from: Informer<T>): Promise<T[]> {
    return claimForWorkload(this.client, ds, DAEMONSET_REF, 'daemonsets', resource, from.list());
  }

  // ── History: one ControllerRevision per template (Kubernetes' constructHistory) ─────────

  private async history(ds: DaemonSetObject): Promise<{ hash: string; old: ControllerRevisionObject[] }> {
    const claimed = await this.claim(ds, 'controllerrevisions', this.revisions);
    const { current, old } = await this.revisionHistory.sync(ds, ds.spec?.template, ds.status?.collisionCount, claimed, async () => {
      await this.client.updateStatus<DaemonSetObject>({ ...ds, status: {
        currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0,
        ...(ds.status ?? {}), collisionCount: (ds.status?.collisionCount ?? 0) + 1,
      } });
    });
    return { hash: current.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? daemonSetHash(ds), old };
  }

  private async writeStatus(ds: DaemonSetObject, status: DaemonSetStatus): Promise<void> {
    if (deepEqual(ds.status ?? {}, status)) return;
    // A conflict (our cache was behind) re-queues: the counts are made again on the newer object.
    await this.client.updateStatus<DaemonSetObject>({ ...ds, status });
  }
}

/** Whether a node update can change which DaemonSets belong on it. */
export function placementChanged(old: NodeObject, cur: NodeObject): boolean {
  return !deepEqual(old.metadata?.labels ?? {}, cur.metadata?.labels ?? {})
    || !deepEqual(old.spec?.taints ?? [], cur.spec?.taints ?? [])
    || !!old.spec?.unschedulable !== !!cur.spec?.unschedulable;
}
