// The StatefulSet controller: pods with stable names and storage, made and removed in order.
//
//   statefulset / pod / controllerrevision events ──▶ enqueue "ns/name" of the set
//   sync(key): claim pods (named "<set>-<ordinal>") and revisions
//              → history: the update revision (this template) and the current one (status.currentRevision)
//              → planStatefulSet (statefulset-plan.ts): what to create, delete, relabel, and which
//                claims to make or re-own, stopping where OrderedReady must wait
//              → carry the actions out (claims before their pod) → write status → prune history
//
// Pods are created under their final name, so a pod that is gone comes back as itself, with
// its claims "<template>-<set>-<ordinal>" (made before the pod, never deleted here: the
// garbage collector removes a claim whose owner the retention policy made the set or a
// condemned pod). A create that finds the name taken waits for the informer to catch up,
// which replaces the expectations other controllers keep.
import { objectKey, selectorFromLabelSelector, type Informer, type KubeObject, type OwnerReference } from '@tugboat/api';
import { deepEqual } from './canonical.js';
import { ControllerHistory, CONTROLLER_REVISION_HASH_LABEL, revisionsToDelete, templateOfRevision } from './controller-history.js';
import { describe, isApiError } from './controller.js';
import type { EventRecorder } from './events.js';
import type { ControllerRevisionObject, PodObject, SharedInformers, StatefulSetObject } from './informers.js';
import { claimForWorkload, controllerRef, newControllerRef, updateWithRetry } from './owner-refs.js';
import { isPodReady } from './pod-util.js';
import {
  claimOwnerRefs, claimsFor, isMemberOf, ordinalOf, planStatefulSet, statefulSetStatus, type Revisions, type StatefulAction,
} from './statefulset-plan.js';
import { QueueController, type ControllerOptions } from './queue-controller.js';

export const STATEFULSET_CONTROLLER = 'statefulset-controller';
const STATEFULSET_REF = { apiVersion: 'apps/v1', kind: 'StatefulSet' } as const;

type ClaimObject = KubeObject & { spec?: unknown };

export interface StatefulSetControllerOptions extends ControllerOptions {
  informers: SharedInformers;
  recorder: EventRecorder;
}

export class StatefulSetController extends QueueController {
  private readonly sets: Informer<StatefulSetObject>;
  private readonly pods: Informer<PodObject>;
  private readonly revisions: Informer<ControllerRevisionObject>;
  private readonly history: ControllerHistory;
  private readonly recorder: EventRecorder;

  constructor(opts: StatefulSetControllerOptions) {
    super('statefulset', opts, 2);
    this.recorder = opts.recorder;
    this.sets = opts.informers.statefulSets();
    this.pods = opts.informers.pods();
    this.revisions = opts.informers.controllerRevisions();
    this.history = new ControllerHistory(this.client, STATEFULSET_REF);

    this.enqueueOnEvents(this.sets);
    this.pods
      .onAdd((pod) => this.podChanged(pod))
      .onUpdate((old, pod) => {
        if (old.metadata?.resourceVersion === pod.metadata?.resourceVersion) return;
        const oldRef = controllerRef(old);
        if (oldRef && oldRef.uid !== controllerRef(pod)?.uid) this.podChanged(old);
        this.podChanged(pod);
        // Ready now, available minReadySeconds later: look again then.
        const set = this.ownerOf(pod);
        const minReady = set?.spec?.minReadySeconds ?? 0;
        if (set && minReady > 0 && !isPodReady(old) && isPodReady(pod)) this.queue.addAfter(objectKey(set), minReady * 1000 + 1);
      })
      .onDelete((pod) => this.podChanged(pod));
    const byRevision = (cr: ControllerRevisionObject): void => {
      const set = this.ownerOf(cr);
      if (set) this.enqueue(set);
    };
    this.revisions.onAdd(byRevision).onUpdate((_o, cr) => byRevision(cr)).onDelete(byRevision);
  }

  private enqueue(set: KubeObject): void {
    this.queue.add(objectKey(set));
  }

  private ownerOf(obj: KubeObject): StatefulSetObject | undefined {
    const ref = controllerRef(obj);
    if (!ref || ref.kind !== STATEFULSET_REF.kind) return undefined;
    const set = this.sets.get(`${obj.metadata?.namespace ?? ''}/${ref.name}`);
    return set && set.metadata?.uid === ref.uid ? set : undefined;
  }

  /** A pod's set, or for an orphan every set whose selector and name it matches (one may adopt it). */
  private podChanged(pod: PodObject): void {
    if (controllerRef(pod)) {
      const set = this.ownerOf(pod);
      if (set) this.enqueue(set);
      return;
    }
    for (const set of this.sets.list()) {
      if (set.metadata?.namespace !== pod.metadata?.namespace || !isMemberOf(set, pod)) continue;
      if (selectorFromLabelSelector(set.spec?.selector).matches(pod.metadata?.labels)) this.enqueue(set);
    }
  }

  async sync(key: string): Promise<void> {
    const set = this.sets.get(key);
    if (!set) return;
    const now = this.clock.now();
    // Pods whose name does not say they are this set's are not its pods, whatever their labels.
    const pods = (await this.claim(set, 'pods', this.pods)).filter((p) => isMemberOf(set, p) && ordinalOf(p) >= 0);
    const claimed = await this.claim(set, 'controllerrevisions', this.revisions);
    const { current: update, old } = await this.history.sync(set, set.spec?.template, set.status?.collisionCount, claimed, async () => {
      await this.client.updateStatus<StatefulSetObject>({ ...set, status: { replicas: 0, ...(set.status ?? {}), collisionCount: (set.status?.collisionCount ?? 0) + 1 } });
    });
    const currentCr = old.find((cr) => cr.metadata?.name === set.status?.currentRevision) ?? update;
    const revisions: Revisions = {
      current: { name: currentCr.metadata?.name ?? '', template: templateOfRevision(currentCr) },
      update: { name: update.metadata?.name ?? '', template: set.spec?.template },
    };

    let thrown: unknown;
    let deletedForUpdate = 0;
    // Being deleted: only the status is kept; the garbage collector takes the pods.
    if (!set.metadata?.deletionTimestamp) {
      const plan = planStatefulSet(set, pods, revisions, newControllerRef(set, STATEFULSET_REF.apiVersion, STATEFULSET_REF.kind), now);
      try {
        deletedForUpdate = await this.carryOut(set, plan.actions);
      } catch (e) {
        thrown = e;
      }
    }
    const status = statefulSetStatus(set, pods, revisions, set.status?.collisionCount ?? 0, deletedForUpdate, now);
    if (!deepEqual(set.status ?? {}, status)) await this.client.updateStatus<StatefulSetObject>({ ...set, status });

    // History beyond revisionHistoryLimit goes, except what the status or a pod still names.
    const liveNames = new Set([status.currentRevision, status.updateRevision, ...pods.map((p) => p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '')]);
    const liveHashes = new Set(claimed.filter((cr) => liveNames.has(cr.metadata?.name)).map((cr) => cr.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? ''));
    await this.history.delete(revisionsToDelete(old, set.spec?.revisionHistoryLimit ?? 10, liveHashes));
    if (thrown) throw thrown;
    const minReady = set.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && pods.some((p) => isPodReady(p))) this.queue.addAfter(key, minReady * 1000);
  }

  /**
   * The plan's actions, in order under OrderedReady (a plan there holds at most one create or
   * delete), all at once under Parallel. Returns how many pods were deleted for the update.
   */
  private async carryOut(set: StatefulSetObject, actions: readonly StatefulAction<PodObject>[]): Promise<number> {
    let deletedForUpdate = 0;
    const one = async (a: StatefulAction<PodObject>): Promise<void> => {
      switch (a.type) {
        case 'create':
          await this.createPod(set, a.ordinal, a.pod as PodObject);
          return;
        case 'ensureClaims':
          await this.ensureClaims(set, ordinalOf(a.pod), a.pod.metadata?.name ?? '');
          return;
        case 'claimOwners':
          await this.fixClaimOwners(set, a.pod);
          return;
        case 'relabel':
          await updateWithRetry<PodObject>(this.client, 'pods', a.pod.metadata?.namespace ?? '', a.pod.metadata?.name ?? '', a.pod.metadata?.uid, (p) => {
            p.metadata = { ...p.metadata, labels: { ...(p.metadata?.labels ?? {}), ...a.labels } };
            return true;
          });
          return;
        case 'delete':
          if (await this.deletePod(set, a.pod) && a.why === 'update') deletedForUpdate++;
          return;
      }
    };
    if (set.spec?.podManagementPolicy === 'Parallel') {
      const results = await Promise.allSettled(actions.map(one));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    } else {
      for (const a of actions) await one(a);
    }
    return deletedForUpdate;
  }

  private async createPod(set: StatefulSetObject, ordinal: number, pod: PodObject): Promise<void> {
    const name = pod.metadata?.name ?? '';
    const setName = set.metadata?.name ?? '';
    await this.ensureClaims(set, ordinal, name);
    try {
      await this.client.create<PodObject>(pod);
      this.recorder.event(set, 'Normal', 'SuccessfulCreate', `create Pod ${name} in StatefulSet ${setName} successful`);
    } catch (e) {
      // Our cache has not seen the pod yet (or it is still terminating): the next sync looks again.
      if (isApiError(e, 'AlreadyExists')) return;
      this.recorder.event(set, 'Warning', 'FailedCreate', `create Pod ${name} in StatefulSet ${setName} failed error: ${describe(e)}`);
      throw e;
    }
  }

  /** Creates the ordinal's claims that do not exist (Kubernetes' createPersistentVolumeClaims). */
  private async ensureClaims(set: StatefulSetObject, ordinal: number, pod: string): Promise<void> {
    const setName = set.metadata?.name ?? '';
    for (const claim of claimsFor(set, ordinal)) {
      const ns = claim.metadata?.namespace ?? '';
      const name = claim.metadata?.name ?? '';
      try {
        if (await this.client.tryGet<ClaimObject>('persistentvolumeclaims', ns, name)) continue;
        await this.client.create<ClaimObject>(claim as ClaimObject);
        this.recorder.event(set, 'Normal', 'SuccessfulCreate', `create Claim ${name} Pod ${pod} in StatefulSet ${setName} success`);
      } catch (e) {
        if (isApiError(e, 'AlreadyExists')) continue;
        this.recorder.event(set, 'Warning', 'FailedCreate', `create Claim ${name} for Pod ${pod} in StatefulSet ${setName} failed error: ${describe(e)}`);
        throw e;
      }
    }
  }

  /** Owner references of the pod's claims as the retention policy wants them. */
  private async fixClaimOwners(set: StatefulSetObject, pod: PodObject): Promise<void> {
    const ordinal = ordinalOf(pod);
    for (const claim of claimsFor(set, ordinal)) {
      const ns = claim.metadata?.namespace ?? '';
      const name = claim.metadata?.name ?? '';
      await updateWithRetry<ClaimObject>(this.client, 'persistentvolumeclaims', ns, name, undefined, (c) => {
        const refs: OwnerReference[] | undefined = claimOwnerRefs(c.metadata?.ownerReferences ?? [], set, pod);
        if (!refs) return false;
        c.metadata = { ...c.metadata, ownerReferences: refs };
        return true;
      });
    }
  }

  /** Deletes the pod (this very pod: a precondition on its uid); false when it was already gone. */
  private async deletePod(set: StatefulSetObject, pod: PodObject): Promise<boolean> {
    const name = pod.metadata?.name ?? '';
    const setName = set.metadata?.name ?? '';
    try {
      await this.client.delete('pods', pod.metadata?.namespace ?? '', name, { ...(pod.metadata?.uid ? { preconditionUid: pod.metadata.uid } : {}) });
      this.recorder.event(set, 'Normal', 'SuccessfulDelete', `delete Pod ${name} in StatefulSet ${setName} successful`);
      return true;
    } catch (e) {
      if (isApiError(e, 'NotFound')) return false;
      this.recorder.event(set, 'Warning', 'FailedDelete', `delete Pod ${name} in StatefulSet ${setName} failed error: ${describe(e)}`);
      throw e;
    }
  }

  /** The set's objects of `resource`: adopted when they match (pods only when named as its members), released when they stop. */
  private claim<T extends KubeObject>(set: StatefulSetObject, resource: string, from: Informer<T>): Promise<T[]> {
    const candidates = from.list().filter((o) => resource !== 'pods' || isMemberOf(set, o as PodObject) || !!controllerRef(o));
    return claimForWorkload(this.client, set, STATEFULSET_REF, 'statefulsets', resource, candidates);
  }
}
