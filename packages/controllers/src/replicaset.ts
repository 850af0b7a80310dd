// The ReplicaSet controller: keeps spec.replicas active pods matching the selector.
//
//   pod / replicaset informer events ──▶ enqueue "ns/name" of the owning (or matching) RS
//   sync(key): claim pods (adopt orphans, release mismatches) → if expectations are met,
//              create or delete the difference → write status
//
// Pods being deleted (deletionTimestamp set) and finished pods do not count, so when a node
// dies and its pods are evicted the replacements are created at once, even though the old
// pods stay Terminating until their agent confirms.
//
// The same controller keeps v1 ReplicationControllers (Kubernetes' replication manager is
// its ReplicaSet controller behind a conversion adapter): a `ReplicatedKind` says which
// resource it reads and names in owner references, and how that kind's object reads as a
// ReplicaSet (an RC's equality selector is a LabelSelector's matchLabels). Writes go to the
// object as stored, so an RC stays an RC.
import {
  objectKey, retryOnConflict, selectorFromLabelSelector, type Informer, type KubeObject, type LabelSelector, type Pod, type PodTemplateSpec,
  type ReplicaSetStatus, type ReplicationController,
} from '@tugboat/api';
import { describe, isApiError } from './controller.js';
import { deepEqual } from './canonical.js';
import type { EventRecorder } from './events.js';
import { ControllerExpectations } from './expectations.js';
import type { PodObject, ReplicaSetObject, SharedInformers } from './informers.js';
import { CONTROLLER_INDEX, claimObjects, controllerIndexValues, controllerRef, newControllerRef, ownerStillValid } from './owner-refs.js';
import { creationTime, isPodActive, isPodAvailable, isPodReady, podReadySince, randomSuffix, restartCount } from './pod-util.js';
import { slowStartBatch } from './slow-start.js';
import { QueueController, type ControllerOptions } from './queue-controller.js';

export const REPLICASET_CONTROLLER = 'replicaset-controller';
export const REPLICATION_CONTROLLER = 'replication-controller';

/** A kind kept by this controller, and how its objects read as ReplicaSets. */
export interface ReplicatedKind {
  readonly kind: 'ReplicaSet' | 'ReplicationController';
  readonly apiVersion: 'apps/v1' | 'v1';
  readonly resource: 'replicasets' | 'replicationcontrollers';
  /** The work queue's name (Kubernetes': replicaset, replicationmanager). */
  readonly queueName: string;
  /** The stored object as a ReplicaSet (a view: never written back). */
  asReplicaSet(obj: KubeObject): ReplicaSetObject;
}

export const REPLICA_SET_KIND: ReplicatedKind = {
  kind: 'ReplicaSet', apiVersion: 'apps/v1', resource: 'replicasets', queueName: 'replicaset',
  asReplicaSet: (obj) => obj as ReplicaSetObject,
};

export const REPLICATION_CONTROLLER_KIND: ReplicatedKind = {
  kind: 'ReplicationController', apiVersion: 'v1', resource: 'replicationcontrollers', queueName: 'replicationmanager',
  asReplicaSet: (obj) => {
    const rc = obj as ReplicationController & KubeObject;
    const selector: LabelSelector = rc.spec?.selector ? { matchLabels: { ...rc.spec.selector } } : {};
    const { selector: _sel, ...spec } = rc.spec ?? {};
    void _sel;
    return { ...rc, apiVersion: 'apps/v1', kind: 'ReplicaSet', spec: { ...spec, selector } } as ReplicaSetObject;
  },
};
/** At most this many creates or deletes per sync (Kubernetes' BurstReplicas). */
export const BURST_REPLICAS = 500;
/** Lower deletion cost → deleted first (Kubernetes' annotation). */
export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

type ReplicaSetCondition = NonNullable<ReplicaSetStatus['conditions']>[number];

// ── Pure decisions ────────────────────────────────────────────────────────────────────────

const PHASE_ORDER: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function deletionCost(pod: Pod): number {
  const v = Number(pod.metadata?.annotations?.[POD_DELETION_COST_ANNOTATION]);
  return Number.isFinite(v) ? v : 0;
}

/** t1 sorts first if it is zero (unknown) or later than t2. */
function afterOrZero(t1: number, t2: number): boolean {
  if (t1 === 0 || t2 === 0) return t1 === 0;
  return t1 > t2;
}

/**
 * Kubernetes' ActivePodsWithRanks order: the pods to delete first come first.
 * Unscheduled < scheduled; Pending < Unknown < Running; not ready < ready; lower deletion
 * cost; more pods of the same workload on its node (spreads what stays); ready for less
 * time; more restarts; newer.
 */
export function compareForDeletion(a: Pod, rankA: number, b: Pod, rankB: number): number {
  const na = a.spec?.nodeName ?? '';
  const nb = b.spec?.nodeName ?? '';
  if (na !== nb && (na === '' || nb === '')) return na === '' ? -1 : 1;
  const pa = PHASE_ORDER[a.status?.phase ?? 'Pending'] ?? 0;
  const pb = PHASE_ORDER[b.status?.phase ?? 'Pending'] ?? 0;
  if (pa !== pb) return pa - pb;
  const ra = isPodReady(a);
  const rb = isPodReady(b);
  if (ra !== rb) return ra ? 1 : -1;
  const ca = deletionCost(a);
  const cb = deletionCost(b);
  if (ca !== cb) return ca - cb;
  if (rankA !== rankB) return rankB - rankA;
  if (ra && rb) {
    const ta = podReadySince(a) ?? 0;
    const tb = podReadySince(b) ?? 0;
    if (ta !== tb) return afterOrZero(ta, tb) ? -1 : 1;
  }
  const xa = restartCount(a);
  const xb = restartCount(b);
  if (xa !== xb) return xb - xa;
  const ta = creationTime(a);
  const tb = creationTime(b);
  if (ta !== tb) return afterOrZero(ta, tb) ? -1 : 1;
  return 0;
}

/**
 * Which `count` pods of `pods` to delete. `related` are the active pods of the whole
 * workload (all ReplicaSets of the same Deployment), used to rank pods by how crowded their
 * node is.
 */
export function podsToDelete<P extends Pod>(pods: readonly P[], related: readonly Pod[], count: number): P[] {
  if (count >= pods.length) return [...pods];
  const onNode = new Map<string, number>();
  for (const p of related) {
    if (!isPodActive(p)) continue;
    const n = p.spec?.nodeName ?? '';
    onNode.set(n, (onNode.get(n) ?? 0) + 1);
  }
  const ranked = pods.map((pod) => ({ pod, rank: onNode.get(pod.spec?.nodeName ?? '') ?? 0 }));
  ranked.sort((x, y) => compareForDeletion(x.pod, x.rank, y.pod, y.rank));
  return ranked.slice(0, count).map((r) => r.pod);
}

function labelsContain(labels: Record<string, string> | undefined, required: Record<string, string> | undefined): boolean {
  for (const [k, v] of Object.entries(required ?? {})) if (labels?.[k] !== v) return false;
  return true;
}

/** The status a ReplicaSet should have, given its claimed active pods. */
export function replicaSetStatus(
  rs: ReplicaSetObject,
  pods: readonly Pod[],
  manageError: { reason: 'FailedCreate' | 'FailedDelete'; message: string } | undefined,
  nowMs: number,
): ReplicaSetStatus {
  const minReady = rs.spec?.minReadySeconds ?? 0;
  const templateLabels = rs.spec?.template?.metadata?.labels;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const p of pods) {
    if (labelsContain(p.metadata?.labels, templateLabels)) fullyLabeled++;
    if (isPodReady(p)) ready++;
    if (isPodAvailable(p, minReady, nowMs)) available++;
  }
  let conditions: ReplicaSetCondition[] = [...(rs.status?.conditions ?? [])];
  const failure = conditions.find((c) => c.type === 'ReplicaFailure');
  if (manageError && !failure) {
    conditions.push({ type: 'ReplicaFailure', status: 'True', reason: manageError.reason, message: manageError.message, lastTransitionTime: new Date(nowMs).toISOString() });
  } else if (!manageError && failure) {
    conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');
  }
  return {
    replicas: pods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    ...(rs.metadata?.generation !== undefined ? { observedGeneration: rs.metadata.generation } : {}),
    ...(conditions.length ? { conditions } : {}),
  };
}

/** A pod for `owner` from its template: a generated name, the template's labels, and `owner` as controller. */
export function podFromTemplate(
  owner: KubeObject, template: PodTemplateSpec, suffix = randomSuffix(),
  ref: { apiVersion: string; kind: string } = REPLICA_SET_KIND,
  prefix = `${owner.metadata?.name ?? 'pod'}-`,
): PodObject {
  const meta = template.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      // Named here as well as by generateName, so a create that times out and is retried
      // cannot make two pods.
      name: `${prefix}${suffix}`,
      generateName: prefix,
      namespace: owner.metadata?.namespace ?? 'default',
      ...(meta.labels ? { labels: { ...meta.labels } } : {}),
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
      ownerReferences: [newControllerRef(owner, ref.apiVersion, ref.kind)],
    },
    spec: structuredClone(template.spec ?? { containers: [] }),
  };
}

// ── The controller ────────────────────────────────────────────────────────────────────────

export interface ReplicaSetControllerOptions extends ControllerOptions {
  informers: SharedInformers;
  recorder: EventRecorder;
  burstReplicas?: number;
  /** The kind kept (default: ReplicaSets). */
  kind?: ReplicatedKind;
}

export class ReplicaSetController extends QueueController {
  readonly expectations: ControllerExpectations;
  private readonly pods: Informer<PodObject>;
  private readonly stored: Informer<KubeObject>;
  private readonly kind: ReplicatedKind;
  private readonly recorder: EventRecorder;
  private readonly burst: number;

  constructor(opts: ReplicaSetControllerOptions) {
    super((opts.kind ?? REPLICA_SET_KIND).queueName, opts, 5);
    this.recorder = opts.recorder;
    this.burst = opts.burstReplicas ?? BURST_REPLICAS;
    this.kind = opts.kind ?? REPLICA_SET_KIND;
    this.expectations = new ControllerExpectations(this.clock);
    this.pods = opts.informers.pods().addIndex(CONTROLLER_INDEX, controllerIndexValues);
    this.stored = opts.informers.forResource<KubeObject>(this.kind.resource);

    this.stored
      .onAdd((rs) => this.enqueue(rs))
      .onUpdate((_old, rs) => this.enqueue(rs))
      .onDelete((rs) => {
        this.expectations.delete(objectKey(rs));
        this.enqueue(rs);
      });
    this.pods
      .onAdd((pod) => this.addPod(pod))
      .onUpdate((old, pod) => this.updatePod(old, pod))
      .onDelete((pod) => this.deletePod(pod));
  }

  private enqueue(rs: KubeObject): void {
    this.queue.add(objectKey(rs));
  }

  /** Every cached object of the kind, read as a ReplicaSet. */
  private replicaSets(): ReplicaSetObject[] {
    return this.stored.list().map((o) => this.kind.asReplicaSet(o));
  }

  private replicaSet(key: string): ReplicaSetObject | undefined {
    const obj = this.stored.get(key);
    return obj && this.kind.asReplicaSet(obj);
  }

  /** The ReplicaSet a controller reference points to, if it is in the cache with that uid. */
  private resolveControllerRef(namespace: string, pod: KubeObject): ReplicaSetObject | undefined {
    const ref = controllerRef(pod);
    if (!ref || ref.kind !== this.kind.kind) return undefined;
    const rs = this.replicaSet(`${namespace}/${ref.name}`);
    return rs && rs.metadata?.uid === ref.uid ? rs : undefined;
  }

  /** ReplicaSets in the pod's namespace whose selector matches it (candidates to adopt it). */
  private matchingReplicaSets(pod: PodObject): ReplicaSetObject[] {
    const ns = pod.metadata?.namespace;
    return this.replicaSets().filter((rs) => {
      if (rs.metadata?.namespace !== ns) return false;
      const sel = selectorFromLabelSelector(rs.spec?.selector);
      return !sel.isEmpty() && sel.matches(pod.metadata?.labels);
    });
  }

  private addPod(pod: PodObject): void {
    if (pod.metadata?.deletionTimestamp) {
      // Seen for the first time already terminating (e.g. after a relist): count it gone.
      this.deletePod(pod);
      return;
    }
    const ns = pod.metadata?.namespace ?? '';
    if (controllerRef(pod)) {
      const rs = this.resolveControllerRef(ns, pod);
      if (!rs) return;
      const key = objectKey(rs);
      this.expectations.creationObserved(key);
      this.queue.add(key);
      return;
    }
    for (const rs of this.matchingReplicaSets(pod)) this.enqueue(rs);
  }

  private updatePod(old: PodObject, pod: PodObject): void {
    if (old.metadata?.resourceVersion === pod.metadata?.resourceVersion) return;
    const labelsChanged = !deepEqual(old.metadata?.labels ?? {}, pod.metadata?.labels ?? {});
    if (pod.metadata?.deletionTimestamp) {
      this.deletePod(pod);
      if (labelsChanged) this.deletePod(old);
      return;
    }
    const ns = pod.metadata?.namespace ?? '';
    const oldRef = controllerRef(old);
    const curRef = controllerRef(pod);
    const refChanged = oldRef?.uid !== curRef?.uid;
    if (refChanged && oldRef) {
      const oldRs = this.resolveControllerRef(ns, old);
      if (oldRs) this.enqueue(oldRs);
    }
    if (curRef) {
      const rs = this.resolveControllerRef(ns, pod);
      if (!rs) return;
      this.enqueue(rs);
      // Ready now, available only after minReadySeconds: look again then.
      const minReady = rs.spec?.minReadySeconds ?? 0;
      if (minReady > 0 && !isPodReady(old) && isPodReady(pod)) this.queue.addAfter(objectKey(rs), minReady * 1000 + 1);
      return;
    }
    if (labelsChanged || refChanged) for (const rs of this.matchingReplicaSets(pod)) this.enqueue(rs);
  }

  private deletePod(pod: PodObject): void {
    const rs = this.resolveControllerRef(pod.metadata?.namespace ?? '', pod);
    if (!rs) return;
    const key = objectKey(rs);
    this.expectations.deletionObserved(key, objectKey(pod));
    this.queue.add(key);
  }

  async sync(key: string): Promise<void> {
    const rs = this.replicaSet(key);
    if (!rs) {
      this.expectations.delete(key);
      return;
    }
    const ns = rs.metadata?.namespace ?? '';
    const selector = selectorFromLabelSelector(rs.spec?.selector);
    const needsSync = this.expectations.satisfied(key);

    // What it may claim: its own pods and the namespace's orphans (another controller's are never adopted).
    const active = [...this.pods.byIndex(CONTROLLER_INDEX, `uid/${rs.metadata?.uid ?? ''}`), ...this.pods.byIndex(CONTROLLER_INDEX, `orphan/${ns}`)]
      .filter((p) => p.metadata?.namespace === ns && isPodActive(p));
    const { claimed, errors } = await claimObjects<PodObject>({
      client: this.client,
      resource: 'pods',
      owner: rs,
      ownerApiVersion: this.kind.apiVersion,
      ownerKind: this.kind.kind,
      selector,
      objects: active,
      canAdopt: ownerStillValid(this.client, this.kind.resource, rs),
    });
    if (errors.length) throw errors[0];

    let manageError: { reason: 'FailedCreate' | 'FailedDelete'; message: string } | undefined;
    let thrown: unknown;
    if (needsSync && !rs.metadata?.deletionTimestamp) {
      try {
        await this.manageReplicas(key, rs, claimed);
      } catch (e) {
        thrown = e;
        manageError = { reason: claimed.length < (rs.spec?.replicas ?? 1) ? 'FailedCreate' : 'FailedDelete', message: describe(e) };
      }
    }

    const status = replicaSetStatus(rs, claimed, manageError, this.clock.now());
    await this.writeStatus(rs, status);
    if (thrown) throw thrown;

    const minReady = rs.spec?.minReadySeconds ?? 0;
    const replicas = rs.spec?.replicas ?? 1;
    if (minReady > 0 && status.readyReplicas === replicas && status.availableReplicas !== replicas) {
      this.queue.addAfter(key, minReady * 1000);
    }
  }

  private async manageReplicas(key: string, rs: ReplicaSetObject, pods: PodObject[]): Promise<void> {
    const want = rs.spec?.replicas ?? 1;
    const diff = pods.length - want;
    if (diff < 0) {
      const count = Math.min(-diff, this.burst);
      // Expect before creating: the informer may deliver our pods before create() returns.
      this.expectations.expectCreations(key, count);
      const template = rs.spec?.template ?? {};
      const { successes, error } = await slowStartBatch(count, 1, async () => {
        try {
          const pod = await this.client.create<PodObject>(podFromTemplate(rs, template, randomSuffix(), this.kind));
          this.recorder.event(this.original(rs), 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata?.name ?? ''}`);
        } catch (e) {
          this.recorder.event(this.original(rs), 'Warning', 'FailedCreate', `Error creating: ${describe(e)}`);
          throw e;
        }
      });
      // Pods never created will never be observed.
      for (let i = successes; i < count; i++) this.expectations.creationObserved(key);
      if (error !== undefined) throw error;
      return;
    }
    if (diff > 0) {
      const count = Math.min(diff, this.burst);
      const victims = podsToDelete(pods, this.relatedPods(rs, pods), count);
      this.expectations.expectDeletions(key, victims.map((p) => objectKey(p)));
      const failures: unknown[] = [];
      await Promise.all(victims.map(async (pod) => {
        const name = pod.metadata?.name ?? '';
        try {
          await this.client.delete('pods', pod.metadata?.namespace ?? '', name, { ...(pod.metadata?.uid ? { preconditionUid: pod.metadata.uid } : {}) });
          this.recorder.event(this.original(rs), 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
        } catch (e) {
          this.expectations.deletionObserved(key, objectKey(pod));
          if (isApiError(e, 'NotFound')) return;
          this.recorder.event(this.original(rs), 'Warning', 'FailedDelete', `Error deleting: ${describe(e)}`);
          failures.push(e);
        }
      }));
      if (failures.length) throw failures[0];
    }
  }

  /** Active pods of every ReplicaSet controlled by the same owner as `rs` (one Deployment). */
  private relatedPods(rs: ReplicaSetObject, own: PodObject[]): PodObject[] {
    const owner = controllerRef(rs);
    if (!owner) return own;
    const ns = rs.metadata?.namespace;
    const siblings = this.replicaSets()
      .filter((r) => r.metadata?.namespace === ns && controllerRef(r)?.uid === owner.uid)
      .map((r) => r.metadata?.uid ?? '');
    return siblings.flatMap((uid) => this.pods.byIndex(CONTROLLER_INDEX, `uid/${uid}`))
      .filter((p) => p.metadata?.namespace === ns && isPodActive(p));
  }

  /** The object as stored (an RC stays an RC), for writes and events. */
  private original(rs: ReplicaSetObject): KubeObject {
    return this.stored.get(objectKey(rs)) ?? rs;
  }

  private async writeStatus(rs: ReplicaSetObject, status: ReplicaSetStatus): Promise<void> {
    if (deepEqual(rs.status ?? {}, status)) return;
    // Our cache may be behind: after a conflict, write onto the stored object once; a second
    // conflict requeues.
    await retryOnConflict(async (attempt) => {
      if (attempt === 0) {
        await this.client.updateStatus<KubeObject>({ ...this.original(rs), status });
        return;
      }
      const fresh = await this.client.tryGet<KubeObject>(this.kind.resource, rs.metadata?.namespace ?? '', rs.metadata?.name ?? '');
      if (!fresh || fresh.metadata?.uid !== rs.metadata?.uid) return;
      await this.client.updateStatus<KubeObject>({ ...fresh, status: { ...status, ...(fresh.metadata?.generation !== undefined && status.observedGeneration !== undefined ? { observedGeneration: Math.min(status.observedGeneration, fresh.metadata.generation) } : {}) } });
    }, 2);
  }
}
