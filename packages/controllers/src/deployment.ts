// The Deployment controller: one ReplicaSet per pod template, rolled from old to new.
//
//   deployment / replicaset / pod informer events ──▶ enqueue the Deployment's "ns/name"
//   sync(key): claim ReplicaSets → deleting? status only → paused? scale only →
//              rollback requested? → scaling event? proportional scale →
//              RollingUpdate (scale new up within maxSurge, old down within maxUnavailable)
//              or Recreate (old to 0, wait for their pods to go, new up) → clean up
//              history → status with Available and Progressing conditions
//
// The arithmetic lives in rollout.ts (pure); this file reads caches and writes the results.
import { objectKey, selectorFromLabelSelector, type DeploymentStatus, type Informer, type KubeObject } from '@tugboat/api';
import { describe, isApiError } from './controller.js';
import { deepEqual } from './canonical.js';
import {
  REASON, ROLLBACK_TO_ANNOTATION, REVISION_ANNOTATION, DEFAULT_REVISION_HISTORY_LIMIT,
  deploymentTimedOut, equalIgnoreHash, findNewReplicaSet, getCondition, lastRevision, maxRevision, newCondition,
  progressDeadlineSeconds, removeCondition, revisionOf, setCondition, setNewReplicaSetAnnotations, templateWithoutHash, withTransitionOf,
} from './deployment-util.js';
import type { EventRecorder } from './events.js';
import type { DeploymentObject, PodObject, ReplicaSetObject, SharedInformers } from './informers.js';
import { claimObjects, controllerRef, isControlledBy, newControllerRef, ownerStillValid } from './owner-refs.js';
import { POD_TEMPLATE_HASH_LABEL, computeHash } from './pod-template-hash.js';
import {
  byCreationOldestFirst, deploymentComplete, deploymentProgressing, desiredReplicas, desiredReplicasAnnotation,
  filterActive, isRollingUpdate, maxUnavailable, newReplicaSetReplicas, planOldScaleDown, planProportionalScale,
  reconcileNewReplicaSetTarget, replicasAnnotations, specReplicas, strategyError,
} from './rollout.js';
import { QueueController, type ControllerOptions } from './queue-controller.js';

export const DEPLOYMENT_CONTROLLER = 'deployment-controller';

export interface DeploymentControllerOptions extends ControllerOptions {
  informers: SharedInformers;
  recorder: EventRecorder;
}

/** The status a Deployment should show for its ReplicaSets (conditions other than Available kept). */
export function calculateStatus(d: DeploymentObject, allRSs: readonly ReplicaSetObject[], newRS: ReplicaSetObject | undefined, nowMs: number): DeploymentStatus {
  const available = allRSs.reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0);
  const total = allRSs.reduce((n, rs) => n + specReplicas(rs), 0);
  const status: DeploymentStatus = {
    ...(d.metadata?.generation !== undefined ? { observedGeneration: d.metadata.generation } : {}),
    replicas: allRSs.reduce((n, rs) => n + (rs.status?.replicas ?? 0), 0),
    updatedReplicas: newRS?.status?.replicas ?? 0,
    readyReplicas: allRSs.reduce((n, rs) => n + (rs.status?.readyReplicas ?? 0), 0),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
    ...(d.status?.collisionCount !== undefined ? { collisionCount: d.status.collisionCount } : {}),
    ...(d.status?.conditions ? { conditions: d.status.conditions.map((c) => ({ ...c })) } : {}),
  };
  if (available >= desiredReplicas(d) - maxUnavailable(d)) {
    setCondition(status, newCondition('Available', 'True', REASON.minimumAvailable, 'Deployment has minimum availability.', nowMs));
  } else {
    setCondition(status, newCondition('Available', 'False', REASON.minimumUnavailable, 'Deployment does not have minimum availability.', nowMs));
  }
  return status;
}

/** The Progressing condition after this sync (Kubernetes' syncRolloutStatus), applied to `status`. */
export function updateProgressing(d: DeploymentObject, status: DeploymentStatus, newRS: ReplicaSetObject | undefined, nowMs: number): void {
  if (progressDeadlineSeconds(d) === undefined) {
    removeCondition(status, 'Progressing');
    return;
  }
  const current = getCondition(status, 'Progressing');
  const complete = status.replicas === status.updatedReplicas && current?.reason === REASON.newRSAvailable;
  if (complete) return;
  const rsName = newRS?.metadata?.name ?? '';
  if (deploymentComplete(d, status)) {
    setCondition(status, newCondition('Progressing', 'True', REASON.newRSAvailable, `ReplicaSet "${rsName}" has successfully progressed.`, nowMs));
  } else if (deploymentProgressing(d, status)) {
    const fresh = newCondition('Progressing', 'True', REASON.rsUpdated, `ReplicaSet "${rsName}" is progressing.`, nowMs);
    // Progress refreshes lastUpdateTime (the deadline counts from it), keeps the transition.
    const cond = current?.status === 'True' ? withTransitionOf(fresh, current) : fresh;
    if (current) removeCondition(status, 'Progressing');
    setCondition(status, cond);
  } else if (deploymentTimedOut(d, status, nowMs)) {
    setCondition(status, newCondition('Progressing', 'False', REASON.timedOut, `ReplicaSet "${rsName}" has timed out progressing.`, nowMs));
  }
}

export class DeploymentController extends QueueController {
  private readonly deployments: Informer<DeploymentObject>;
  private readonly replicaSets: Informer<ReplicaSetObject>;
  private readonly pods: Informer<PodObject>;
  private readonly recorder: EventRecorder;

  constructor(opts: DeploymentControllerOptions) {
    super('deployment', opts, 5);
    this.recorder = opts.recorder;
    this.deployments = opts.informers.deployments();
    this.replicaSets = opts.informers.replicaSets();
    this.pods = opts.informers.pods();

    this.enqueueOnEvents(this.deployments);
    this.replicaSets
      .onAdd((rs) => this.replicaSetChanged(undefined, rs))
      .onUpdate((old, rs) => this.replicaSetChanged(old, rs))
      .onDelete((rs) => {
        const d = this.resolveControllerRef(rs);
        if (d) this.enqueue(d);
      });
    // Recreate waits for the old pods to be gone: their deletion is the signal to go on.
    this.pods.onDelete((pod) => this.podDeleted(pod));
    this.pods.onUpdate((old, pod) => {
      if (!old.metadata?.deletionTimestamp && pod.metadata?.deletionTimestamp) this.podDeleted(pod);
    });
  }

  private enqueue(d: KubeObject): void {
    this.queue.add(objectKey(d));
  }

  private resolveControllerRef(obj: KubeObject): DeploymentObject | undefined {
    const ref = controllerRef(obj);
    if (!ref || ref.kind !== 'Deployment') return undefined;
    const d = this.deployments.get(`${obj.metadata?.namespace ?? ''}/${ref.name}`);
    return d && d.metadata?.uid === ref.uid ? d : undefined;
  }

  private matchingDeployments(rs: ReplicaSetObject): DeploymentObject[] {
    return this.deployments.list().filter((d) => {
      if (d.metadata?.namespace !== rs.metadata?.namespace) return false;
      const sel = selectorFromLabelSelector(d.spec?.selector);
      return !sel.isEmpty() && sel.matches(rs.metadata?.labels);
    });
  }

  private replicaSetChanged(old: ReplicaSetObject | undefined, rs: ReplicaSetObject): void {
    if (old && old.metadata?.resourceVersion === rs.metadata?.resourceVersion) return;
    const oldRef = old ? controllerRef(old) : undefined;
    const ref = controllerRef(rs);
    if (old && oldRef && oldRef.uid !== ref?.uid) {
      const prev = this.resolveControllerRef(old);
      if (prev) this.enqueue(prev);
    }
    if (ref) {
      const d = this.resolveControllerRef(rs);
      if (d) this.enqueue(d);
      return;
    }
    if (!old || !deepEqual(old.metadata?.labels ?? {}, rs.metadata?.labels ?? {}) || oldRef) {
      for (const d of this.matchingDeployments(rs)) this.enqueue(d);
    }
  }

  private podDeleted(pod: PodObject): void {
    const ref = controllerRef(pod);
    if (!ref || ref.kind !== 'ReplicaSet') return;
    const rs = this.replicaSets.get(`${pod.metadata?.namespace ?? ''}/${ref.name}`);
    if (!rs || rs.metadata?.uid !== ref.uid) return;
    const d = this.resolveControllerRef(rs);
    if (d && d.spec?.strategy?.type === 'Recreate') this.enqueue(d);
  }

  async sync(key: string): Promise<void> {
    const cached = this.deployments.get(key);
    if (!cached) return;
    // Work on a copy: the cache is shared and must only change through the informer.
    let d: DeploymentObject = structuredClone(cached);

    const selector = selectorFromLabelSelector(d.spec?.selector);
    if (selector.isEmpty()) {
      this.recorder.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) {
        await this.client.updateStatus<DeploymentObject>({ ...d, status: { ...d.status, observedGeneration: d.metadata?.generation ?? 0 } });
      }
      return;
    }

    const rsList = await this.claimReplicaSets(d);

    if (d.metadata?.deletionTimestamp) {
      await this.syncStatusOnly(d, rsList);
      return;
    }

    const invalid = strategyError(d);
    if (invalid) {
      this.recorder.event(d, 'Warning', 'InvalidStrategy', `Deployment "${d.metadata?.name ?? ''}" is invalid: ${invalid}`);
      await this.syncStatusOnly(d, rsList);
      return;
    }

    d = await this.checkPausedConditions(d);
    if (d.spec?.paused) {
      await this.syncScale(d, rsList);
      return;
    }
    if (d.metadata?.annotations?.[ROLLBACK_TO_ANNOTATION] !== undefined) {
      await this.rollback(d, rsList);
      return;
    }
    if (this.isScalingEvent(d, rsList)) {
      await this.syncScale(d, rsList);
      return;
    }
    if (isRollingUpdate(d)) await this.rolloutRolling(d, rsList);
    else await this.rolloutRecreate(d, rsList);
  }

  // ── ReplicaSets of the Deployment ────────────────────────────────────────────────────

  private async claimReplicaSets(d: DeploymentObject): Promise<ReplicaSetObject[]> {
    const ns = d.metadata?.namespace;
    const { claimed, errors } = await claimObjects<ReplicaSetObject>({
      client: this.client,
      resource: 'replicasets',
      owner: d,
      ownerApiVersion: 'apps/v1',
      ownerKind: 'Deployment',
      selector: selectorFromLabelSelector(d.spec?.selector),
      objects: this.replicaSets.list().filter((rs) => rs.metadata?.namespace === ns),
      canAdopt: ownerStillValid(this.client, 'deployments', d),
    });
    if (errors.length) throw errors[0];
    return claimed.map((rs) => structuredClone(rs));
  }

  /** The new ReplicaSet (created if asked and missing) and the old ones; syncs revisions. */
  private async getAllReplicaSets(d: DeploymentObject, rsList: ReplicaSetObject[], create: boolean): Promise<{ d: DeploymentObject; newRS: ReplicaSetObject | undefined; oldRSs: ReplicaSetObject[] }> {
    const existing = findNewReplicaSet(d, rsList);
    const oldRSs = rsList.filter((rs) => rs !== existing);
    const newRevision = maxRevision(oldRSs) + 1;

    if (existing) {
      let rs = existing;
      const annotationsChanged = setNewReplicaSetAnnotations(d, rs, newRevision);
      const minReady = d.spec?.minReadySeconds ?? 0;
      if (annotationsChanged || (rs.spec?.minReadySeconds ?? 0) !== minReady) {
        rs = await this.client.update<ReplicaSetObject>({ ...rs, spec: { ...rs.spec, selector: rs.spec?.selector ?? {}, minReadySeconds: minReady } });
      }
      d = await this.setDeploymentRevision(d, revisionOf(rs));
      if (progressDeadlineSeconds(d) !== undefined && !getCondition(d.status, 'Progressing')) {
        const status = { ...d.status };
        setCondition(status, newCondition('Progressing', 'True', REASON.foundNewRS, `Found new replica set "${rs.metadata?.name ?? ''}"`, this.clock.now()));
        d = await this.writeStatus(d, status);
      }
      return { d, newRS: rs, oldRSs };
    }
    if (!create) return { d, newRS: undefined, oldRSs };

    const hash = computeHash(d.spec?.template, d.status?.collisionCount);
    const template = structuredClone(d.spec?.template ?? {});
    template.metadata = { ...template.metadata, labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash } };
    const selector = structuredClone(d.spec?.selector ?? {});
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
    const name = `${d.metadata?.name ?? ''}-${hash}`;
    const draft: ReplicaSetObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace: d.metadata?.namespace ?? 'default',
        labels: { ...(template.metadata.labels ?? {}) },
        annotations: { ...replicasAnnotations(d) },
        ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')],
      },
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
    };
    const replicas = newReplicaSetReplicas(d, [...oldRSs, draft], draft);
    draft.spec = { ...draft.spec, selector, replicas };
    setNewReplicaSetAnnotations(d, draft, newRevision);

    let created: ReplicaSetObject;
    let alreadyExisted = false;
    try {
      created = await this.client.create<ReplicaSetObject>(draft);
    } catch (e) {
      if (!isApiError(e, 'AlreadyExists')) {
        const status = { ...d.status };
        setCondition(status, newCondition('Progressing', 'False', REASON.failedRSCreate, `Failed to create new replica set "${name}": ${describe(e)}`, this.clock.now()));
        await this.writeStatus(d, status);
        this.recorder.event(d, 'Warning', 'FailedCreate', `Failed to create new replica set "${name}": ${describe(e)}`);
        throw e;
      }
      // Ours, not yet in the cache? Or a different template with the same hash?
      const found = await this.client.tryGet<ReplicaSetObject>('replicasets', d.metadata?.namespace ?? '', name);
      if (found && isControlledBy(found, d.metadata?.uid) && equalIgnoreHash(found.spec?.template, d.spec?.template)) {
        created = found;
        alreadyExisted = true;
      } else {
        const status = { ...d.status, collisionCount: (d.status?.collisionCount ?? 0) + 1 };
        await this.writeStatus(d, status);
        throw new Error(`hash collision for replica set "${name}": collisionCount raised to ${status.collisionCount}`);
      }
    }
    if (!alreadyExisted && replicas > 0) {
      this.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} from 0 to ${replicas}`);
    }
    d = await this.setDeploymentRevision(d, newRevision);
    if (!alreadyExisted && progressDeadlineSeconds(d) !== undefined) {
      const status = { ...d.status };
      setCondition(status, newCondition('Progressing', 'True', REASON.newRSCreated, `Created new replica set "${name}"`, this.clock.now()));
      d = await this.writeStatus(d, status);
    }
    return { d, newRS: created, oldRSs };
  }

  private async setDeploymentRevision(d: DeploymentObject, revision: number): Promise<DeploymentObject> {
    if (revision <= 0 || d.metadata?.annotations?.[REVISION_ANNOTATION] === String(revision)) return d;
    const updated = await this.client.update<DeploymentObject>({
      ...d,
      metadata: { ...d.metadata, annotations: { ...(d.metadata?.annotations ?? {}), [REVISION_ANNOTATION]: String(revision) } },
    });
    const status = d.status ?? updated.status;
    return status === undefined ? updated : { ...updated, status };
  }

  // ── Strategies ───────────────────────────────────────────────────────────────────────

  private async rolloutRolling(d0: DeploymentObject, rsList: ReplicaSetObject[]): Promise<void> {
    let { d, newRS, oldRSs } = await this.getAllReplicaSets(d0, rsList, true);
    if (!newRS) return;
    const allRSs = (): ReplicaSetObject[] => [...oldRSs, ...(newRS ? [newRS] : [])];

    // Scale the new ReplicaSet up as far as maxSurge allows.
    if (specReplicas(newRS) !== desiredReplicas(d)) {
      const target = reconcileNewReplicaSetTarget(d, allRSs(), newRS);
      if (target !== specReplicas(newRS)) {
        newRS = await this.scaleReplicaSet(newRS, target, d);
        await this.syncRolloutStatus(d, allRSs(), newRS);
        return;
      }
    }

    // Scale old ReplicaSets down as far as maxUnavailable allows.
    const plan = planOldScaleDown(d, allRSs(), oldRSs, newRS);
    if (plan.length) {
      for (const step of plan) {
        const scaled = await this.scaleReplicaSet(step.rs, step.replicas, d);
        oldRSs = oldRSs.map((rs) => (rs === step.rs ? scaled : rs));
      }
      await this.syncRolloutStatus(d, allRSs(), newRS);
      return;
    }

    if (deploymentComplete(d, d.status ?? {})) await this.cleanupDeployment(d, oldRSs);
    await this.syncRolloutStatus(d, allRSs(), newRS);
  }

  private async rolloutRecreate(d0: DeploymentObject, rsList: ReplicaSetObject[]): Promise<void> {
    let { d, newRS, oldRSs } = await this.getAllReplicaSets(d0, rsList, false);
    const all = (): ReplicaSetObject[] => [...oldRSs, ...(newRS ? [newRS] : [])];

    // 1. Every old ReplicaSet to 0.
    let scaledDown = false;
    for (const rs of filterActive(oldRSs)) {
      const scaled = await this.scaleReplicaSet(rs, 0, d);
      oldRSs = oldRSs.map((o) => (o === rs ? scaled : o));
      scaledDown = true;
    }
    if (scaledDown) {
      await this.syncRolloutStatus(d, all(), newRS);
      return;
    }
    // 2. Wait until no old pod runs (terminating ones included): Recreate never overlaps.
    if (this.oldPodsRunning(newRS, oldRSs)) {
      await this.syncRolloutStatus(d, all(), newRS);
      return;
    }
    // 3. The new ReplicaSet, at full size.
    if (!newRS) ({ d, newRS, oldRSs } = await this.getAllReplicaSets(d, rsList, true));
    if (newRS && specReplicas(newRS) !== desiredReplicas(d)) newRS = await this.scaleReplicaSet(newRS, desiredReplicas(d), d);
    if (deploymentComplete(d, d.status ?? {})) await this.cleanupDeployment(d, oldRSs);
    await this.syncRolloutStatus(d, all(), newRS);
  }

  private oldPodsRunning(newRS: ReplicaSetObject | undefined, oldRSs: readonly ReplicaSetObject[]): boolean {
    if (oldRSs.some((rs) => (rs.status?.replicas ?? 0) > 0)) return true;
    const oldUids = new Set(oldRSs.map((rs) => rs.metadata?.uid ?? ''));
    const ns = oldRSs[0]?.metadata?.namespace ?? newRS?.metadata?.namespace;
    return this.pods.list().some((p) => {
      if (p.metadata?.namespace !== ns) return false;
      const uid = controllerRef(p)?.uid;
      if (!uid || !oldUids.has(uid)) return false;
      const phase = p.status?.phase;
      return phase !== 'Succeeded' && phase !== 'Failed';
    });
  }

  /** Scaling only: paused, or replicas changed in the middle of a rollout. */
  private async syncScale(d0: DeploymentObject, rsList: ReplicaSetObject[]): Promise<void> {
    let { d, newRS, oldRSs } = await this.getAllReplicaSets(d0, rsList, false);
    for (const step of planProportionalScale(d, newRS, oldRSs)) {
      const scaled = await this.scaleReplicaSet(step.rs, step.replicas, d);
      if (step.rs === newRS) newRS = scaled;
      else oldRSs = oldRSs.map((rs) => (rs === step.rs ? scaled : rs));
    }
    if (d.spec?.paused && d.metadata?.annotations?.[ROLLBACK_TO_ANNOTATION] === undefined) await this.cleanupDeployment(d, oldRSs);
    await this.syncDeploymentStatus(d, [...oldRSs, ...(newRS ? [newRS] : [])], newRS);
  }

  private isScalingEvent(d: DeploymentObject, rsList: readonly ReplicaSetObject[]): boolean {
    return filterActive(rsList).some((rs) => {
      const desired = desiredReplicasAnnotation(rs);
      return desired !== undefined && desired !== desiredReplicas(d);
    });
  }

  /** `rollout undo` through the legacy annotation: the template of revision N becomes the Deployment's. */
  private async rollback(d0: DeploymentObject, rsList: ReplicaSetObject[]): Promise<void> {
    const { d, newRS, oldRSs } = await this.getAllReplicaSets(d0, rsList, true);
    const all = [...oldRSs, ...(newRS ? [newRS] : [])];
    let target = Number(d.metadata?.annotations?.[ROLLBACK_TO_ANNOTATION] ?? '0');
    if (!Number.isInteger(target) || target < 0) target = 0;
    if (target === 0) target = lastRevision(all);
    const rs = target > 0 ? all.find((r) => revisionOf(r) === target) : undefined;
    const next = structuredClone(d);
    const annotations = { ...(next.metadata?.annotations ?? {}) };
    delete annotations[ROLLBACK_TO_ANNOTATION];
    next.metadata = { ...next.metadata, annotations };
    if (!rs) {
      this.recorder.event(d, 'Warning', 'RollbackRevisionNotFound', target === 0 ? 'Unable to find last revision.' : `Unable to find the revision ${target} to rollback to.`);
    } else if (equalIgnoreHash(d.spec?.template, rs.spec?.template)) {
      this.recorder.event(d, 'Warning', 'RollbackTemplateUnchanged', `The rollback revision contains the same template as current deployment "${d.metadata?.name ?? ''}"`);
    } else {
      next.spec = { ...next.spec, selector: next.spec?.selector ?? {}, template: templateWithoutHash(rs.spec?.template) };
      this.recorder.event(d, 'Normal', 'DeploymentRollback', `Rolled back deployment "${d.metadata?.name ?? ''}" to revision ${target}`);
    }
    await this.client.update<DeploymentObject>(next);
  }

  // ── Writes ───────────────────────────────────────────────────────────────────────────

  /** Sets spec.replicas (and the replica annotations); records ScalingReplicaSet. */
  private async scaleReplicaSet(rs: ReplicaSetObject, replicas: number, d: DeploymentObject): Promise<ReplicaSetObject> {
    const from = specReplicas(rs);
    const ann = { ...(rs.metadata?.annotations ?? {}), ...replicasAnnotations(d) };
    if (from === replicas && deepEqual(ann, rs.metadata?.annotations ?? {})) return rs;
    const updated = await this.client.update<ReplicaSetObject>({
      ...rs,
      metadata: { ...rs.metadata, annotations: ann },
      spec: { ...rs.spec, selector: rs.spec?.selector ?? {}, replicas },
    });
    if (from !== replicas) {
      const dir = replicas > from ? 'up' : 'down';
      this.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${dir} replica set ${rs.metadata?.name ?? ''} from ${from} to ${replicas}`);
    }
    return updated;
  }

  /** Deletes old, empty ReplicaSets beyond revisionHistoryLimit, oldest revision first. */
  private async cleanupDeployment(d: DeploymentObject, oldRSs: readonly ReplicaSetObject[]): Promise<void> {
    const limit = d.spec?.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT;
    const alive = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp);
    const diff = alive.length - limit;
    if (diff <= 0) return;
    const byRevision = [...alive].sort((a, b) => revisionOf(a) - revisionOf(b) || byCreationOldestFirst(a, b));
    for (const rs of byRevision.slice(0, diff)) {
      if ((rs.status?.replicas ?? 0) !== 0 || specReplicas(rs) !== 0) continue;
      if ((rs.metadata?.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      try {
        await this.client.delete('replicasets', rs.metadata?.namespace ?? '', rs.metadata?.name ?? '', { ...(rs.metadata?.uid ? { preconditionUid: rs.metadata.uid } : {}) });
      } catch (e) {
        if (!isApiError(e, 'NotFound')) throw e;
      }
    }
  }

  private async checkPausedConditions(d: DeploymentObject): Promise<DeploymentObject> {
    if (progressDeadlineSeconds(d) === undefined) return d;
    const cond = getCondition(d.status, 'Progressing');
    if (cond?.reason === REASON.timedOut) return d;
    const pausedCond = cond?.reason === REASON.paused;
    const now = this.clock.now();
    const status = { ...d.status };
    if (d.spec?.paused && !pausedCond) {
      setCondition(status, newCondition('Progressing', 'Unknown', REASON.paused, 'Deployment is paused', now));
    } else if (!d.spec?.paused && pausedCond) {
      setCondition(status, newCondition('Progressing', 'Unknown', REASON.resumed, 'Deployment is resumed', now));
    } else {
      return d;
    }
    return this.writeStatus(d, status);
  }

  private async syncStatusOnly(d0: DeploymentObject, rsList: ReplicaSetObject[]): Promise<void> {
    const { d, newRS, oldRSs } = await this.getAllReplicaSets(d0, rsList, false);
    await this.syncDeploymentStatus(d, [...oldRSs, ...(newRS ? [newRS] : [])], newRS);
  }

  private async syncDeploymentStatus(d: DeploymentObject, allRSs: ReplicaSetObject[], newRS: ReplicaSetObject | undefined): Promise<void> {
    const status = calculateStatus(d, allRSs, newRS, this.clock.now());
    await this.writeStatus(d, status);
  }

  private async syncRolloutStatus(d: DeploymentObject, allRSs: ReplicaSetObject[], newRS: ReplicaSetObject | undefined): Promise<void> {
    const now = this.clock.now();
    const status = calculateStatus(d, allRSs, newRS, now);
    updateProgressing(d, status, newRS, now);
    // ReplicaFailure mirrors the new ReplicaSet's own failure (e.g. pods it cannot create).
    const failure = newRS?.status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
    if (failure) {
      setCondition(status, newCondition('ReplicaFailure', 'True', failure.reason ?? 'FailedCreate', failure.message ?? '', now));
    } else {
      removeCondition(status, 'ReplicaFailure');
    }
    await this.writeStatus(d, status);
    this.requeueStuckDeployment(d, status, now);
  }

  /** Comes back when the progress deadline would pass, to report ProgressDeadlineExceeded. */
  private requeueStuckDeployment(d: DeploymentObject, status: DeploymentStatus, nowMs: number): void {
    const deadline = progressDeadlineSeconds(d);
    const cond = getCondition(status, 'Progressing');
    if (deadline === undefined || !cond) return;
    if (cond.reason === REASON.newRSAvailable || cond.reason === REASON.timedOut) return;
    if (deploymentComplete(d, status)) return;
    const from = Date.parse(cond.lastUpdateTime ?? '');
    if (!Number.isFinite(from)) return;
    const after = from + deadline * 1000 - nowMs;
    this.queue.addAfter(objectKey(d), Math.max(1, after + 1000));
  }

  /** Writes `status` if it differs from what the Deployment shows; returns the Deployment as stored. */
  private async writeStatus(d: DeploymentObject, status: DeploymentStatus): Promise<DeploymentObject> {
    if (deepEqual(d.status ?? {}, status)) return d;
    return this.client.updateStatus<DeploymentObject>({ ...d, status });
  }
}
