// The registry: every Objects operation on top of Storage. It owns the rules Kubernetes'
// generic registry owns — server-set metadata (uid, creationTimestamp, generation,
// resourceVersion), optimistic concurrency, namespaces, graceful deletion and finalizers,
// binding — and calls admission for validation and defaulting. It never talks to etcd.
import { randomUUID } from 'node:crypto';
import {
  ApiError, BUILTIN_NAMESPACES, admitObject, metricsKindOf, generateName as makeName, admitStatus, kindInfo, objectFields, parseFieldSelector, parseLabelSelector,
  type FieldSelector, type Selector, pickDefaultStorageClass, type PersistentVolumeClaimObject, type StorageClassObject,
  type KindInfo, type KubeObject, type Pod, type PriorityClassObject, type ObjectMeta, type PodCondition, type PropagationPolicy,
} from '@tugboat/api';
import { getMetrics, listMetrics, type MetricsSources } from '../metrics-api/resource-metrics-api.js';
import { computeApply } from '../apply/apply.js';
import { kindOfObject, resolveResource } from './kind-of.js';
import { admitServiceAccount, podServiceAccountName } from './service-account-admission.js';
import { admitStorageProtection } from './storage-protection-admission.js';
import { Evictions } from './eviction.js';
import { PriorityAdmission, keepPodPriority, type PriorityClassReader } from './priority-admission.js';
import { DEFAULT_NODE_PORT_RANGE, DEFAULT_SERVICE_CLUSTER_IP_RANGE, ServiceAllocator, parseCidr, parsePortRange, type AllocationPlan, type ServiceRanges } from './service-allocation.js';
import type { KeyOptions, KeyValue, Storage } from '../storage/storage.js';
import { decodeContinue, encodeContinue } from './continue-token.js';
import { planDeletion, readyToRemove } from './deletion.js';
import { checkKeySegment, objectStorageKey, resourcePrefix } from './keys.js';
import { decodeObject, encodeObject, isPlainObject, jsonEqual, sameStoredObject, specPart, type StoredValue } from './object-meta.js';
import { qualifiedResource, rfc3339 } from '@tugboat/api';

/** Kinds whose status is a subresource: Update keeps it as stored, UpdateStatus writes it. */
export const STATUS_KINDS: ReadonlySet<string> = new Set(['Pod', 'Node', 'Namespace', 'ReplicaSet', 'Deployment', 'PodDisruptionBudget', 'Job', 'CronJob', 'DaemonSet', 'StatefulSet', 'ReplicationController', 'PersistentVolume', 'PersistentVolumeClaim', 'HorizontalPodAutoscaler']);

const MAX_REQUEST_BYTES = 3 * 1024 * 1024;
/** How often a write that lost a race against an unrelated change is retried. */
const RETRIES = 5;

export interface WriteOptions {
  readonly dryRun?: boolean;
  /**
   * Unknown fields (Kubernetes' fieldValidation): Warn (the default) drops them with a warning
   * each; Strict refuses the write (BadRequest, Kubernetes' strict decoding message); Ignore
   * drops them silently.
   */
  readonly fieldValidation?: FieldValidation;
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

const UNKNOWN_FIELD = /^unknown field "/;

/**
 * The warnings a write answers with, under its fieldValidation; throws for Strict when the
 * object had fields Kubernetes does not define, before anything is written.
 */
export function applyFieldValidation(info: KindInfo, warnings: readonly string[], mode: FieldValidation | undefined): string[] {
  switch (mode ?? 'Warn') {
    case 'Warn':
      return [...warnings];
    case 'Ignore':
      return warnings.filter((w) => !UNKNOWN_FIELD.test(w));
    case 'Strict': {
      const unknown = warnings.filter((w) => UNKNOWN_FIELD.test(w));
      if (unknown.length) {
        const version = info.apiVersion.slice(info.apiVersion.indexOf('/') + 1);
        throw new ApiError('BadRequest', `${info.kind} in version "${version}" cannot be handled as a ${info.kind}: strict decoding error: ${unknown.join(', ')}`);
      }
      return [...warnings];
    }
  }
}

export interface ApplyOptions extends WriteOptions {
  /** Runs before an apply creates the object (authorization checks `create` there). */
  readonly beforeCreate?: () => Promise<void>;
}

export interface WriteResult {
  readonly object: KubeObject;
  readonly warnings: readonly string[];
}

export interface ListRequest {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
  readonly continue?: string;
  /** Read as of this revision (Kubernetes' resourceVersionMatch=Exact); Expired once compacted. */
  readonly revision?: number;
  /**
   * How fresh a list without `revision` or `continue` must be (Kubernetes' resourceVersion):
   * absent, the latest (resourceVersion unset: a consistent read); 0, any state
   * (resourceVersion "0"); N, revision N or later (resourceVersion N, NotOlderThan). etcd
   * answers all three with its latest state; the list cache with its own once it has reached
   * etcd's current revision, N, or at once.
   */
  readonly notOlderThan?: number;
}

/** A list's parsed selectors. */
export interface ListSelectors {
  readonly labels: Selector;
  readonly fields: FieldSelector;
}

/**
 * Answers lists from memory where it may (cache/list-cache.ts); undefined means etcd must
 * answer this one (a continue token, an exact revision, a cache not yet filled or too slow).
 */
export interface ListCacheHook {
  list(info: KindInfo, req: ListRequest, selectors: ListSelectors): Promise<ListResult | undefined>;
}

export interface ListResult {
  readonly items: readonly KubeObject[];
  /**
   * The items' JSON as clients are sent it, when the list cache holds them as text (pods):
   * then sending needs no encoding, and `items` decodes only when read.
   */
  readonly encodedItems?: readonly string[];
  readonly resourceVersion: string;
  readonly continue: string;
  readonly remainingItemCount: number;
}

export interface DeleteRequest {
  readonly gracePeriodSeconds?: number;
  readonly preconditionUid?: string;
  readonly preconditionResourceVersion?: string;
  readonly propagationPolicy?: string;
  readonly dryRun?: boolean;
}

export type ApplyOutcome = 'created' | 'configured' | 'unchanged';

export interface RegistryOptions {
  /** The clock; injected so tests of time-dependent rules need not sleep. */
  readonly now?: () => Date;
  /** The service ranges (--service-cluster-ip-range, --service-node-port-range). */
  readonly serviceRanges?: ServiceRanges;
  /**
   * Events are deleted by etcd this long after their last write (--event-ttl; default 1 h,
   * Kubernetes'); 0 keeps them until deleted.
   */
  readonly eventTtlSeconds?: number;
}

/** Kubernetes' --event-ttl default: one hour. */
export const DEFAULT_EVENT_TTL_SECONDS = 3600;

/** Kubernetes' message for a stale write. */
export function conflictError(info: KindInfo, name: string): ApiError {
  return new ApiError('Conflict', `Operation cannot be fulfilled on ${qualifiedResource(info)} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
}

/** A write's own idea of the object, computed from the stored one (see Registry.modify). */
export type Mutation = (current: KubeObject) => KubeObject | Promise<KubeObject>;

/** An update names the version it replaces (Kubernetes requires it of Update). */
export function requireResourceVersion(info: KindInfo, name: string, obj: KubeObject): void {
  if (!obj.metadata?.resourceVersion) throw ApiError.invalid(info.kind, name, [{ path: 'metadata.resourceVersion', type: 'Required', detail: 'must be specified for an update' }]);
}

/** The preconditions a written object carries: its resourceVersion and uid, when set, must be the stored ones. */
function checkPreconditions(info: KindInfo, name: string, obj: KubeObject, stored: KubeObject): void {
  const rv = obj.metadata?.resourceVersion;
  if (rv && rv !== stored.metadata?.resourceVersion) throw conflictError(info, name);
  const uid = obj.metadata?.uid;
  if (uid && uid !== stored.metadata?.uid) {
    throw new ApiError('Conflict', `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${stored.metadata?.uid ?? ''}`);
  }
}

function notFound(info: KindInfo, name: string): ApiError {
  return ApiError.notFound(qualifiedResource(info), name);
}

/** JSON text from a request → an object (BadRequest when it is not one). */
export function parseObjectJson(text: string): KubeObject {
  if (text.length > MAX_REQUEST_BYTES) throw new ApiError('RequestEntityTooLarge', `request is too large: ${text.length} bytes (limit ${MAX_REQUEST_BYTES})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ApiError('BadRequest', `the object is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isPlainObject(parsed)) throw new ApiError('BadRequest', 'the object must be a JSON object');
  if (parsed.metadata !== undefined && !isPlainObject(parsed.metadata)) throw new ApiError('BadRequest', 'metadata must be an object');
  return parsed as KubeObject;
}

function podConditionScheduled(now: Date): PodCondition {
  return { type: 'PodScheduled', status: 'True', lastTransitionTime: rfc3339(now) };
}

/** Where admission finds a ServiceAccount without asking etcd (the API server's informer). */
export type ServiceAccountLookup = (namespace: string, name: string) => KubeObject | undefined;

/**
 * Objects the server keeps current in memory (informers on its watch cache), by resource;
 * undefined when the resource is not kept or the object is not (yet) there.
 */
export type ObjectCache = (resource: string, namespace: string, name: string) => KubeObject | undefined;

/** The same for objects the server keeps as etcd's text (pods; see cache/held.ts): the text and its revision. */
export type StoredCache = (resource: string, namespace: string, name: string) => StoredValue | undefined;

/**
 * An answer about the object (invalid, forbidden, a failed precondition…), which a fresher copy
 * could change; not one about etcd or the server (Unavailable, Timeout, Internal), after which a
 * write's outcome may be unknown and must not be redone.
 */
function isRefusal(e: unknown): boolean {
  return e instanceof ApiError && e.reason !== 'Unavailable' && e.reason !== 'Timeout' && e.reason !== 'Internal';
}

/** A stored object and its key-value; `cached`: read from the server's memory, which may be behind etcd. */
type Found = { object: KubeObject; kv: KeyValue; cached?: true };

export class Registry {
  private readonly now: () => Date;
  /**
   * Set by the server once its informers exist: a pod's account is then read from memory, and
   * only one the cache does not have yet (made a moment ago) from etcd.
   */
  serviceAccountLookup: ServiceAccountLookup | undefined;

  /**
   * Set by the server once its informers exist: namespaces (checked on every create), leases
   * and nodes (renewed by every agent) are then read from memory where that is safe (see
   * readAt and checkNamespaceAcceptsCreates), which spares etcd a read on the hottest writes.
   */
  objectCache: ObjectCache | undefined;
  /** Set with objectCache, for the resources kept as text; consulted first. */
  storedCache: StoredCache | undefined;

  /** Set by the server: lists answered from memory (see ListCacheHook); unset, every list reads etcd. */
  listCache: ListCacheHook | undefined;

  /** Set with objectCache: every cached Node, for the resource metrics API (else Nodes are read from etcd). */
  cachedNodes: (() => Iterable<KubeObject> | undefined) | undefined;

  /** ClusterIPs and node ports of Services (see service-allocation.ts). */
  readonly services: ServiceAllocator;

  /**
   * Set by the server once its informers exist: Priority admission then reads PriorityClasses
   * from memory (pods are created on hot paths), etcd only for a class the cache lacks.
   */
  priorityClassCache: ReturnType<PriorityClassReader['cached']>;
  /** Kubernetes' Priority admission (see priority-admission.ts). */
  readonly priority: PriorityAdmission;
  /** The pods/eviction subresource, for REST and gRPC alike (see eviction.ts). */
  readonly evictions: Evictions;

  private readonly eventTtlSeconds: number;

  /** How long a key of this kind lives after a write: Events expire (--event-ttl), the rest stay. */
  private keyOptions(info: KindInfo): KeyOptions {
    return info.kind === 'Event' && this.eventTtlSeconds > 0 ? { ttlSeconds: this.eventTtlSeconds } : {};
  }

  constructor(readonly storage: Storage, options: RegistryOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.eventTtlSeconds = options.eventTtlSeconds ?? DEFAULT_EVENT_TTL_SECONDS;
    this.services = new ServiceAllocator(storage, options.serviceRanges ?? {
      clusterIPs: parseCidr(DEFAULT_SERVICE_CLUSTER_IP_RANGE, '--service-cluster-ip-range'),
      nodePorts: parsePortRange(DEFAULT_NODE_PORT_RANGE, '--service-node-port-range'),
    });
    this.evictions = new Evictions(this, this.now);
    const pcInfo = kindInfo('PriorityClass')!;
    this.priority = new PriorityAdmission({
      cached: () => this.priorityClassCache,
      read: async (name) => (await this.read(pcInfo, '', name))?.object as PriorityClassObject | undefined,
      list: async () => (await this.list(pcInfo.resource)).items as PriorityClassObject[],
    });
  }

  // ---- lookups -------------------------------------------------------------------------

  resolve(resource: string): KindInfo {
    return resolveResource(resource);
  }

  private kindOf(obj: KubeObject): KindInfo {
    return kindOfObject(obj);
  }

  /** Namespace defaulting: "default" for namespaced kinds, none for cluster-scoped ones. */
  private scope(info: KindInfo, obj: KubeObject): KubeObject {
    const metadata: ObjectMeta = { ...(obj.metadata ?? {}) };
    if (info.namespaced) metadata.namespace = metadata.namespace || 'default';
    else delete metadata.namespace;
    return { ...obj, metadata };
  }

  private namespaceOf(info: KindInfo, namespace: string | undefined): string {
    if (!info.namespaced) return '';
    const ns = namespace || 'default';
    checkKeySegment('namespace', ns);
    return ns;
  }

  private async read(info: KindInfo, namespace: string, name: string): Promise<Found | undefined> {
    checkKeySegment('name', name);
    const kv = await this.storage.get(objectStorageKey(info, namespace, name));
    return kv ? { object: decodeObject(kv.value, kv.modRevision), kv } : undefined;
  }

  /**
   * The stored object for a write that names `resourceVersion`: from the server's memory when
   * it holds exactly that version, else from etcd. Kubernetes' GuaranteedUpdate starts from its
   * watch cache the same way. It is safe because the write that follows is a compare-and-swap
   * on that revision: if etcd has moved on, the write fails with the Conflict the caller would
   * have got from a fresh read. A copy is returned, as admission may change what it is given.
   */
  private async readAt(info: KindInfo, namespace: string, name: string, resourceVersion: string | undefined): Promise<Found | undefined> {
    checkKeySegment('name', name);
    if (resourceVersion) {
      const stored = this.storedCache?.(info.resource, namespace, name);
      if (stored && String(stored.revision) === resourceVersion) return this.fromStored(info, namespace, name, stored);
    }
    const cached = resourceVersion ? this.objectCache?.(info.resource, namespace, name) : undefined;
    if (cached && cached.metadata?.resourceVersion === resourceVersion) return this.copyOf(info, cached) ?? this.read(info, namespace, name);
    return this.read(info, namespace, name);
  }

  /**
   * The first read of a write without a resourceVersion of its own (a PATCH, a binding): the
   * server's copy when it has one, else etcd. As Kubernetes' GuaranteedUpdate starting from its
   * watch cache, whatever the write decides from a copy that may be behind etcd is confirmed:
   * a write is a compare-and-swap on the copy's revision, and a refusal or a no-op is checked
   * against etcd (confirmCurrent) or redone on a fresh read.
   */
  private async readFirst(info: KindInfo, namespace: string, name: string): Promise<Found | undefined> {
    checkKeySegment('name', name);
    const stored = this.storedCache?.(info.resource, namespace, name);
    if (stored) return this.fromStored(info, namespace, name, stored);
    const cached = this.objectCache?.(info.resource, namespace, name);
    return (cached && this.copyOf(info, cached)) || this.read(info, namespace, name);
  }

  /** A copy of a cached object, as read from etcd at its revision (admission may change what it is given). */
  private copyOf(info: KindInfo, cached: KubeObject): Found | undefined {
    const revision = Number(cached.metadata?.resourceVersion);
    if (!Number.isSafeInteger(revision) || revision <= 0) return undefined;
    return this.fromStored(info, cached.metadata?.namespace ?? '', cached.metadata?.name ?? '', { value: encodeObject(cached), revision });
  }

  /** A cached object's text decoded, as a read of etcd at its revision would give it. */
  private fromStored(info: KindInfo, namespace: string, name: string, { value, revision }: StoredValue): Found {
    const key = objectStorageKey(info, namespace, name);
    // createRevision is not kept in memory; nothing on the write path reads it.
    return { object: decodeObject(value, revision), kv: { key, value, modRevision: revision, createRevision: 0 }, cached: true };
  }

  /**
   * A decision made without writing (nothing changed, or a refusal) from a copy that may be
   * behind etcd stands only if etcd still holds that revision; otherwise the caller's version
   * was stale: Conflict, which read-modify-write loops retry on a fresh read.
   */
  private async confirmCurrent(info: KindInfo, found: Found): Promise<void> {
    if (!found.cached) return;
    const kv = await this.storage.get(found.kv.key);
    if (kv?.modRevision !== found.kv.modRevision) throw conflictError(info, found.object.metadata?.name ?? '');
  }

  async get(resource: string, namespace: string, name: string): Promise<KubeObject> {
    const metrics = metricsKindOf(resource);
    if (metrics) return getMetrics(this.metricsSources(), metrics, namespace || 'default', name);
    const info = this.resolve(resource);
    const found = await this.read(info, this.namespaceOf(info, namespace), name);
    if (!found) throw notFound(info, name);
    return found.object;
  }

  /** Throws unless the namespace exists and is not being deleted (the rule for creates). */
  private async checkNamespaceAcceptsCreates(namespace: string): Promise<void> {
    const terminating = (ns: KubeObject): boolean =>
      !!ns.metadata?.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase === 'Terminating';
    // Kubernetes' NamespaceLifecycle admission answers from its informer too. Only a yes is
    // taken from memory: a namespace the cache lacks (made a moment ago) or sees terminating
    // (perhaps deleted and made again since) is read from etcd.
    const cached = this.objectCache?.('namespaces', '', namespace);
    if (cached && !terminating(cached)) return;
    const found = await this.read(kindInfo('Namespace')!, '', namespace);
    if (!found) throw ApiError.notFound('namespaces', namespace);
    if (terminating(found.object)) {
      throw new ApiError('Forbidden', `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  // ---- create --------------------------------------------------------------------------

  async create(input: KubeObject, opts: WriteOptions = {}): Promise<WriteResult> {
    const info = this.kindOf(input);
    let obj = this.scope(info, input);
    const generateName = obj.metadata?.generateName;
    const named = !!obj.metadata?.name;
    for (let attempt = 0; ; attempt++) {
      if (!named && generateName) obj = { ...obj, metadata: { ...obj.metadata, name: makeName(generateName) } };
      try {
        return await this.createOnce(info, obj, opts);
      } catch (e) {
        // A generated name that happens to exist: draw another, as the name was ours to pick.
        if (!named && generateName && e instanceof ApiError && e.reason === 'AlreadyExists' && attempt < 3) continue;
        throw e;
      }
    }
  }

  private async createOnce(info: KindInfo, input: KubeObject, opts: WriteOptions): Promise<WriteResult> {
    // The uid is drawn before admission: defaulting may name it (a Job's generated selector,
    // a label value: hence a UUID, as Kubernetes', never a nanoid that may end in "_" or "-").
    const uid = randomUUID();
    const admitted = admitObject({ ...input, metadata: { ...input.metadata, uid } });
    const name = input.metadata?.name ?? '';
    if (!admitted.ok) throw ApiError.invalid(info.kind, name, admitted.errors);
    admitted.warnings = applyFieldValidation(info, admitted.warnings, opts.fieldValidation);
    let obj = admitStorageProtection(info.kind, this.prepareForCreate(info, this.scope(info, admitted.object), uid));
    const meta = obj.metadata!;
    checkKeySegment('name', meta.name ?? '');
    if (info.namespaced) {
      checkKeySegment('namespace', meta.namespace!);
      await this.checkNamespaceAcceptsCreates(meta.namespace!);
    }
    if (info.kind === 'Pod') obj = await this.priority.admitPod(await this.admitPodServiceAccount(obj, !!opts.dryRun));
    if (info.kind === 'PriorityClass') await this.priority.checkClass(obj, true);
    if (info.kind === 'PersistentVolumeClaim') obj = await this.admitClaimClass(obj);
    const key = objectStorageKey(info, meta.namespace ?? '', meta.name!);
    const exists = (): ApiError => new ApiError('AlreadyExists', `${qualifiedResource(info)} "${meta.name}" already exists`);
    if (info.kind === 'Service') {
      // The Service and the addresses it takes, in one transaction; an address picked at
      // random that someone took meanwhile is picked again.
      for (let attempt = 0; ; attempt++) {
        const plan = await this.services.plan(obj);
        if (opts.dryRun) return { object: plan.object, warnings: admitted.warnings };
        const res = await this.storage.commit([{ type: 'create', key, value: encodeObject(plan.object) }, ...plan.take]);
        if (res.ok) return { object: { ...plan.object, metadata: { ...meta, resourceVersion: String(res.revision) } }, warnings: admitted.warnings };
        if (res.failed.includes(key)) throw exists();
        const asked = res.failed.find((k) => !plan.picked.has(k));
        if (asked || attempt >= RETRIES) throw this.services.takenError(plan.object, asked ?? res.failed[0]!);
      }
    }
    if (opts.dryRun) return { object: obj, warnings: admitted.warnings };
    const res = await this.storage.create(key, encodeObject(obj), this.keyOptions(info));
    if (!res.ok) throw exists();
    return { object: { ...obj, metadata: { ...meta, resourceVersion: String(res.revision) } }, warnings: admitted.warnings };
  }

  /**
   * Kubernetes' DefaultStorageClass admission: a claim that names no class (storageClassName
   * absent; "" means "no class" and stays) gets the default class, if there is one. Claims
   * are made seldom, so the classes are read from etcd.
   */
  private async admitClaimClass(pvc: KubeObject): Promise<KubeObject> {
    const claim = pvc as PersistentVolumeClaimObject;
    if (!claim.spec || claim.spec.storageClassName !== undefined) return pvc;
    const def = pickDefaultStorageClass((await this.list('storageclasses')).items as StorageClassObject[]);
    const name = def?.metadata?.name;
    return name ? { ...claim, spec: { ...claim.spec, storageClassName: name } } : pvc;
  }

  /**
   * ServiceAccount admission: the pod's account must exist, and its token volume is added
   * (see service-account-admission.ts). A namespace's `default` account always exists in
   * Kubernetes (a controller makes it); when a pod needs it before the controller has made it
   * — or with no controller running — it is made here, so pods never wait for it.
   */
  private async admitPodServiceAccount(pod: KubeObject, dryRun: boolean): Promise<KubeObject> {
    const ns = pod.metadata?.namespace ?? 'default';
    const saName = podServiceAccountName(pod as Pod & KubeObject);
    const saInfo = kindInfo('ServiceAccount')!;
    let sa = this.serviceAccountLookup?.(ns, saName) ?? (await this.read(saInfo, ns, saName))?.object;
    if (!sa && saName === 'default' && !dryRun) {
      try {
        sa = (await this.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: ns } })).object;
      } catch (e) {
        if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) throw e;
        sa = (await this.read(saInfo, ns, saName))?.object;
      }
    }
    if (!sa && !(saName === 'default' && dryRun)) {
      throw new ApiError('Forbidden', `pods "${pod.metadata?.name ?? ''}" is forbidden: error looking up service account ${ns}/${saName}: serviceaccount "${saName}" not found`);
    }
    const automount = (sa as { automountServiceAccountToken?: boolean } | undefined)?.automountServiceAccountToken ?? true;
    return admitServiceAccount(pod as Pod & KubeObject, automount);
  }

  /** Server-set metadata and the status a new object starts with (Kubernetes' PrepareForCreate). */
  private prepareForCreate(info: KindInfo, obj: KubeObject, uid: string): KubeObject {
    const {
      resourceVersion: _rv, deletionTimestamp: _dt, deletionGracePeriodSeconds: _dg, uid: _uid,
      creationTimestamp: _ct, generation: _g, ...metadata
    } = obj.metadata ?? {};
    void _rv; void _dt; void _dg; void _uid; void _ct; void _g;
    const out: KubeObject = {
      ...obj,
      metadata: { ...metadata, uid, creationTimestamp: rfc3339(this.now()), generation: 1 },
    };
    switch (info.kind) {
      case 'Pod': {
        const qosClass = (obj.status as { qosClass?: string } | undefined)?.qosClass;
        out.status = { phase: 'Pending', ...(qosClass ? { qosClass } : {}) };
        break;
      }
      case 'Namespace':
        out.status = { phase: 'Active' };
        break;
      case 'PersistentVolume':
      case 'PersistentVolumeClaim':
        // The binder owns the phase from here (Kubernetes' strategies reset status, defaults say Pending).
        out.status = { phase: 'Pending' };
        break;
      case 'ReplicaSet':
      case 'Deployment':
      case 'DaemonSet':
      case 'StatefulSet':
      case 'ReplicationController':
      case 'Job':
      case 'CronJob':
      case 'HorizontalPodAutoscaler':
        out.status = {};
        break;
      default:
        // Nodes arrive with their status (the agent registers capacity and addresses at once).
        break;
    }
    return out;
  }

  // ---- update --------------------------------------------------------------------------

  /** The object named by a write request, scoped, and the key it lives at. */
  private target(input: KubeObject): { info: KindInfo; obj: KubeObject; namespace: string; name: string } {
    const info = this.kindOf(input);
    const obj = this.scope(info, input);
    const name = obj.metadata?.name ?? '';
    if (!name) throw ApiError.invalid(info.kind, '', [{ path: 'metadata.name', type: 'Required' }]);
    checkKeySegment('name', name);
    const namespace = obj.metadata?.namespace ?? '';
    if (info.namespaced) checkKeySegment('namespace', namespace);
    return { info, obj, namespace, name };
  }

  async update(input: KubeObject, opts: WriteOptions = {}): Promise<WriteResult> {
    const { info, obj, namespace, name } = this.target(input);
    requireResourceVersion(info, name, obj);
    const found = await this.readAt(info, namespace, name, obj.metadata?.resourceVersion);
    if (!found) throw notFound(info, name);
    checkPreconditions(info, name, obj, found.object);
    const res = await this.refusalConfirmed(info, found, () => this.updateFrom(info, found, obj, opts));
    return { object: res.object, warnings: res.warnings };
  }

  /**
   * Read-modify-write, with one read per attempt: `mutate` makes the new object (or, with
   * `status`, its new status) from the stored one, which is then written with a compare-and-swap
   * on what was read — PATCH, server-side apply, scale, and updates that record managed fields.
   * A resourceVersion the mutation sets other than the stored one is a precondition (Conflict,
   * the caller's); without one, losing a race to another writer is redone on a fresh read, as
   * Kubernetes' patcher does.
   */
  async modify(resource: string, namespaceIn: string, name: string, mutate: Mutation, opts: WriteOptions & { readonly status?: boolean } = {}): Promise<WriteResult> {
    const info = this.resolve(resource);
    const namespace = this.namespaceOf(info, namespaceIn);
    if (opts.status && !STATUS_KINDS.has(info.kind)) throw new ApiError('BadRequest', `${qualifiedResource(info)} have no status to update`);
    for (let attempt = 0; ; attempt++) {
      const found = attempt === 0 ? await this.readFirst(info, namespace, name) : await this.read(info, namespace, name);
      if (!found) throw notFound(info, name);
      let next: KubeObject;
      try {
        next = await mutate(found.object);
        checkPreconditions(info, name, next, found.object);
      } catch (e) {
        // Refused on a copy that may be behind etcd: decide again on what etcd holds.
        if (found.cached && isRefusal(e)) continue;
        throw e;
      }
      try {
        return opts.status ? await this.updateStatusFrom(info, found, next, opts) : await this.updateFrom(info, found, next, opts);
      } catch (e) {
        if (e instanceof ApiError && e.reason === 'Conflict' && attempt < RETRIES) continue;
        // Refused on a copy that may be behind etcd: decide again on what etcd holds.
        if (found.cached && isRefusal(e)) continue;
        throw e;
      }
    }
  }

  /**
   * Writes `input` over the stored object: server-owned metadata and (for status kinds) the
   * status come from what is stored; admission validates the change; no write when nothing
   * changed; removal when the last finalizer of a deleted object went away.
   */
  private async updateFrom(
    info: KindInfo,
    current: Found,
    input: KubeObject,
    opts: WriteOptions,
  ): Promise<WriteResult & { changed: boolean }> {
    const cur = current.object;
    const curMeta = cur.metadata ?? {};
    const name = curMeta.name ?? '';
    const candidate: KubeObject = { ...input, metadata: this.serverMetadata(input.metadata ?? {}, curMeta) };
    if (STATUS_KINDS.has(info.kind)) {
      if (cur.status === undefined) delete candidate.status;
      else candidate.status = cur.status;
    }
    if (curMeta.deletionTimestamp) {
      const added = (candidate.metadata?.finalizers ?? []).filter((f) => !(curMeta.finalizers ?? []).includes(f));
      if (added.length) {
        throw ApiError.invalid(info.kind, name, [{ path: 'metadata.finalizers', type: 'Forbidden', detail: `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}` }]);
      }
    }
    const admitted = admitObject(info.kind === 'Pod' ? keepPodPriority(candidate, cur) : candidate, cur);
    if (!admitted.ok) throw ApiError.invalid(info.kind, name, admitted.errors);
    admitted.warnings = applyFieldValidation(info, admitted.warnings, opts.fieldValidation);
    if (info.kind === 'PriorityClass') await this.priority.checkClass(admitted.object, false);
    // A Service keeps the addresses it has unless it lets them go, and takes new ones with the write.
    const plan = info.kind === 'Service' ? await this.services.plan(admitted.object, cur) : undefined;
    const admittedObject = plan?.object ?? admitted.object;
    let next: KubeObject = { ...admittedObject, metadata: this.serverMetadata(admittedObject.metadata ?? {}, curMeta) };
    if (!jsonEqual(specPart(next), specPart(cur))) next = { ...next, metadata: { ...next.metadata, generation: (curMeta.generation ?? 1) + 1 } };
    if (sameStoredObject(next, cur)) {
      await this.confirmCurrent(info, current);
      return { object: cur, warnings: admitted.warnings, changed: false };
    }
    const written = await this.write(info, current, next, opts, plan);
    if (plan && !opts.dryRun) await this.services.release(cur, plan.release);
    return { ...written, warnings: admitted.warnings, changed: true };
  }

  /** Metadata of an update: the caller's labels, annotations, finalizers, owners; the rest as stored. */
  private serverMetadata(requested: ObjectMeta, stored: ObjectMeta): ObjectMeta {
    const {
      resourceVersion: _rv, namespace: _ns, deletionTimestamp: _dt, deletionGracePeriodSeconds: _dg, generateName: _gn,
      name: _name, uid: _uid, creationTimestamp: _ct, generation: _gen, ...meta
    } = requested;
    void _rv; void _ns; void _dt; void _dg; void _gn; void _name; void _uid; void _ct; void _gen;
    return {
      ...meta,
      ...(stored.name !== undefined ? { name: stored.name } : {}),
      ...(stored.namespace !== undefined ? { namespace: stored.namespace } : {}),
      ...(stored.generateName !== undefined ? { generateName: stored.generateName } : {}),
      ...(stored.uid !== undefined ? { uid: stored.uid } : {}),
      ...(stored.creationTimestamp !== undefined ? { creationTimestamp: stored.creationTimestamp } : {}),
      ...(stored.generation !== undefined ? { generation: stored.generation } : {}),
      ...(stored.deletionTimestamp !== undefined ? { deletionTimestamp: stored.deletionTimestamp } : {}),
      ...(stored.deletionGracePeriodSeconds !== undefined ? { deletionGracePeriodSeconds: stored.deletionGracePeriodSeconds } : {}),
    };
  }

  /** The CAS write of `next` over `current` (or its removal when it is ready to go). */
  private async write(info: KindInfo, current: { object: KubeObject; kv: KeyValue }, next: KubeObject, opts: WriteOptions, plan?: AllocationPlan): Promise<{ object: KubeObject }> {
    const name = current.object.metadata?.name ?? '';
    // current.object was decoded at kv.modRevision, so that is its resourceVersion.
    if (opts.dryRun) return { object: { ...next, metadata: { ...next.metadata, resourceVersion: String(current.kv.modRevision) } } };
    if (readyToRemove(next)) {
      const res = await this.storage.delete(current.kv.key, current.kv.modRevision);
      if (!res.ok) throw conflictError(info, name);
      await this.removed(info, current.object);
      return { object: { ...next, metadata: { ...next.metadata, resourceVersion: String(res.revision) } } };
    }
    if (plan && plan.take.length) {
      const res = await this.storage.commit([{ type: 'update', key: current.kv.key, value: encodeObject(next), expectedRevision: current.kv.modRevision }, ...plan.take]);
      if (res.ok) return { object: { ...next, metadata: { ...next.metadata, resourceVersion: String(res.revision) } } };
      if (res.failed.includes(current.kv.key)) throw conflictError(info, name);
      throw this.services.takenError(next, res.failed.find((k) => !plan.picked.has(k)) ?? res.failed[0]!);
    }
    const res = await this.storage.update(current.kv.key, encodeObject(next), current.kv.modRevision, this.keyOptions(info));
    if (!res.ok) throw conflictError(info, name);
    return { object: { ...next, metadata: { ...next.metadata, resourceVersion: String(res.revision) } } };
  }

  /** After an object is gone from etcd: what it held is given back (a Service's addresses). */
  private async removed(info: KindInfo, obj: KubeObject): Promise<void> {
    if (info.kind === 'Service') await this.services.release(obj, this.services.held(obj));
  }

  async updateStatus(input: KubeObject, opts: WriteOptions = {}): Promise<WriteResult> {
    const { info, obj, namespace, name } = this.target(input);
    if (!STATUS_KINDS.has(info.kind)) throw new ApiError('BadRequest', `${qualifiedResource(info)} have no status to update`);
    requireResourceVersion(info, name, obj);
    const found = await this.readAt(info, namespace, name, obj.metadata?.resourceVersion);
    if (!found) throw notFound(info, name);
    if (found.object.metadata?.resourceVersion !== obj.metadata?.resourceVersion) throw conflictError(info, name);
    return this.refusalConfirmed(info, found, () => this.updateStatusFrom(info, found, obj, opts));
  }

  /** Runs a write decided on `found`; a refusal decided on a cached copy stands only if that copy is current. */
  private async refusalConfirmed<R>(info: KindInfo, found: Found, write: () => Promise<R>): Promise<R> {
    try {
      return await write();
    } catch (e) {
      if (isRefusal(e) && !(e instanceof ApiError && e.reason === 'Conflict')) await this.confirmCurrent(info, found);
      throw e;
    }
  }

  /** Writes `input`'s status over the stored object; metadata and spec stay as stored. */
  private async updateStatusFrom(info: KindInfo, found: Found, input: KubeObject, opts: WriteOptions): Promise<WriteResult> {
    const cur = found.object;
    const name = cur.metadata?.name ?? '';
    const candidate: KubeObject = { ...cur };
    if (input.status === undefined) delete candidate.status;
    else candidate.status = input.status;
    const admitted = admitStatus(candidate, cur);
    if (!admitted.ok) throw ApiError.invalid(info.kind, name, admitted.errors);
    admitted.warnings = applyFieldValidation(info, admitted.warnings, opts.fieldValidation);
    const next: KubeObject = { ...cur };
    if (admitted.object.status === undefined) delete next.status;
    else next.status = admitted.object.status;
    if (sameStoredObject(next, cur)) {
      await this.confirmCurrent(info, found);
      return { object: cur, warnings: admitted.warnings };
    }
    const res = await this.write(info, found, next, opts);
    return { object: res.object, warnings: admitted.warnings };
  }

  // ---- delete --------------------------------------------------------------------------

  async delete(resource: string, namespaceIn: string, name: string, req: DeleteRequest = {}): Promise<KubeObject> {
    const info = this.resolve(resource);
    const namespace = this.namespaceOf(info, namespaceIn);
    const policy = parsePropagationPolicy(req.propagationPolicy);
    if (req.gracePeriodSeconds !== undefined && (!Number.isInteger(req.gracePeriodSeconds) || req.gracePeriodSeconds < 0)) {
      throw new ApiError('BadRequest', `gracePeriodSeconds must be a non-negative integer, got ${req.gracePeriodSeconds}`);
    }
    if (info.kind === 'Namespace' && BUILTIN_UNDELETABLE.has(name)) {
      throw new ApiError('Forbidden', `namespace ${name} is forbidden: this namespace may not be deleted`);
    }
    for (let attempt = 0; ; attempt++) {
      const found = await this.read(info, namespace, name);
      if (!found) throw notFound(info, name);
      const meta = found.object.metadata ?? {};
      if (req.preconditionUid && req.preconditionUid !== meta.uid) {
        throw new ApiError('Conflict', `Precondition failed: UID in precondition: ${req.preconditionUid}, UID in object meta: ${meta.uid ?? ''}`);
      }
      if (req.preconditionResourceVersion && req.preconditionResourceVersion !== meta.resourceVersion) {
        throw new ApiError('Conflict', `Precondition failed: ResourceVersion in precondition: ${req.preconditionResourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion ?? ''}`);
      }
      const plan = planDeletion(found.object, { ...(req.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: req.gracePeriodSeconds } : {}), ...(policy ? { propagationPolicy: policy } : {}) }, this.now());
      if (plan.action === 'unchanged') return found.object;
      if (req.dryRun) return plan.action === 'mark' ? plan.object : found.object;
      const res = plan.action === 'remove'
        ? await this.storage.delete(found.kv.key, found.kv.modRevision)
        : await this.storage.update(found.kv.key, encodeObject(plan.object), found.kv.modRevision, this.keyOptions(info));
      if (res.ok) {
        if (plan.action === 'remove') await this.removed(info, found.object);
        const obj = plan.action === 'mark' ? plan.object : found.object;
        return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(res.revision) } };
      }
      // Someone changed it meanwhile: a delete is not a compare-and-swap for its caller
      // (unless it gave a resourceVersion precondition), so read again and redo.
      if (req.preconditionResourceVersion || attempt >= RETRIES) throw conflictError(info, name);
    }
  }

  /**
   * The namespace controller's last step: removes a Terminating namespace (once it is empty,
   * which the caller checked, and has no finalizers left). A race with a write is left for
   * the next pass.
   */
  async removeTerminatingNamespace(name: string): Promise<boolean> {
    const info = kindInfo('Namespace')!;
    const found = await this.read(info, '', name);
    if (!found) return true;
    const meta = found.object.metadata ?? {};
    if (!meta.deletionTimestamp || (meta.finalizers ?? []).length > 0) return false;
    const res = await this.storage.delete(found.kv.key, found.kv.modRevision);
    return res.ok;
  }

  // ---- list ----------------------------------------------------------------------------

  /** Where metrics.k8s.io reads from (see metrics-api/): cached Nodes, pods from etcd. */
  private metricsSources(): MetricsSources {
    return {
      nodes: async () => this.cachedNodes?.() ?? (await this.list('nodes')).items,
      pods: async (namespace, labelSelector, fieldSelector) => (await this.list('pods', { namespace, labelSelector, fieldSelector })).items,
      pod: (namespace, name) => this.get('pods', namespace, name),
      now: () => this.now(),
    };
  }

  async list(resource: string, req: ListRequest = {}): Promise<ListResult> {
    const metrics = metricsKindOf(resource);
    if (metrics) {
      const items = await listMetrics(this.metricsSources(), metrics, req.namespace ?? '', req.labelSelector ?? '', req.fieldSelector ?? '');
      return { items, resourceVersion: '', continue: '', remainingItemCount: 0 };
    }
    const info = this.resolve(resource);
    const selectors = this.listSelectors(info, req);
    const cached = await this.listCache?.list(info, req, selectors);
    return cached ?? this.readList(info, req, selectors);
  }

  /** A list read from etcd whatever the list cache holds: what that cache fills itself from. */
  async listFromStorage(resource: string, req: ListRequest = {}): Promise<ListResult> {
    const info = this.resolve(resource);
    return this.readList(info, req, this.listSelectors(info, req));
  }

  /** Checks the namespace and parses the selectors (BadRequest before anything is read). */
  private listSelectors(info: KindInfo, req: ListRequest): ListSelectors {
    if (info.namespaced && req.namespace) checkKeySegment('namespace', req.namespace);
    return { labels: parseLabelSelector(req.labelSelector ?? ''), fields: parseFieldSelector(req.fieldSelector ?? '', info.kind) };
  }

  /** The etcd path: pages of at most 1,000 keys, decoded and filtered here. */
  private async readList(info: KindInfo, req: ListRequest, { labels, fields }: ListSelectors): Promise<ListResult> {
    const filtered = !labels.isEmpty() || !fields.isEmpty();
    const prefix = resourcePrefix(info, req.namespace);
    const limit = req.limit && req.limit > 0 ? req.limit : 0;
    let revision: number | undefined = req.revision;
    let startKey = prefix;
    if (req.continue) {
      const token = decodeContinue(req.continue, prefix);
      revision = token.revision;
      startKey = token.startKey;
    }
    const items: KubeObject[] = [];
    let nextKey = '';
    let remaining = 0;
    // With a selector, a page may need several reads to find `limit` matching objects.
    // Reads go in pages of at most 1,000 keys, so no etcd answer outgrows a gRPC message.
    const chunk = Math.min(limit && !filtered ? limit : Math.max(limit, 500), 1_000);
    for (;;) {
      let page;
      try {
        page = await this.storage.list(prefix, { startKey, limit: chunk, ...(revision ? { revision } : {}) });
      } catch (e) {
        if (e instanceof ApiError && e.reason === 'Expired' && req.continue) {
          throw new ApiError('Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.', [], { cause: e });
        }
        throw e;
      }
      revision ??= page.revision;
      let i = 0;
      for (; i < page.items.length; i++) {
        const kv = page.items[i]!;
        const obj = decodeObject(kv.value, kv.modRevision);
        if (filtered && !(labels.matches(obj.metadata?.labels) && fields.matches(objectFields(obj)))) continue;
        items.push(obj);
        if (limit && items.length >= limit) break;
      }
      const full = limit > 0 && items.length >= limit;
      const lastExamined = page.items[Math.min(i, page.items.length - 1)];
      const moreAfter = i < page.items.length - 1 || page.more;
      if (full) {
        if (moreAfter && lastExamined) {
          nextKey = lastExamined.key + '\0';
          remaining = filtered ? 0 : page.count - (i + 1);
        }
        break;
      }
      if (!page.more || !lastExamined) break;
      startKey = page.items[page.items.length - 1]!.key + '\0';
    }
    return {
      items,
      resourceVersion: String(revision),
      continue: nextKey ? encodeContinue({ revision: revision!, startKey: nextKey }) : '',
      remainingItemCount: remaining,
    };
  }

  // ---- bind ----------------------------------------------------------------------------

  /** Sets spec.nodeName of an unbound pod and its PodScheduled condition, atomically. */
  async bind(namespaceIn: string, name: string, nodeName: string, uid = ''): Promise<KubeObject> {
    const info = kindInfo('Pod')!;
    const namespace = this.namespaceOf(info, namespaceIn);
    if (!nodeName) throw ApiError.invalid('Binding', name, [{ path: 'target.name', type: 'Required' }]);
    checkKeySegment('name', nodeName);
    for (let attempt = 0; ; attempt++) {
      const found = attempt === 0 ? await this.readFirst(info, namespace, name) : await this.read(info, namespace, name);
      if (!found) throw notFound(info, name);
      const pod = found.object;
      const spec = (pod.spec ?? {}) as { nodeName?: string };
      // A refusal decided on a cached copy is decided again on what etcd holds.
      if (found.cached && ((uid && uid !== pod.metadata?.uid) || pod.metadata?.deletionTimestamp || spec.nodeName)) continue;
      if (uid && uid !== pod.metadata?.uid) {
        throw new ApiError('Conflict', `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${pod.metadata?.uid ?? ''}`);
      }
      if (pod.metadata?.deletionTimestamp) throw new ApiError('Conflict', `Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is being deleted, cannot be assigned to a host`);
      if (spec.nodeName) throw new ApiError('Conflict', `Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is already assigned to node "${spec.nodeName}"`);
      const status = (pod.status ?? {}) as { conditions?: PodCondition[] };
      const conditions = (status.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
      const next: KubeObject = {
        ...pod,
        spec: { ...spec, nodeName },
        status: { ...status, conditions: [...conditions, podConditionScheduled(this.now())] },
      };
      const res = await this.storage.update(found.kv.key, encodeObject(next), found.kv.modRevision);
      if (res.ok) return { ...next, metadata: { ...next.metadata, resourceVersion: String(res.revision) } };
      // A status write raced us; read again (a bind that raced us is caught above).
      if (attempt >= RETRIES) throw conflictError(info, name);
    }
  }

  // ---- apply ---------------------------------------------------------------------------

  async apply(input: KubeObject, opts: ApplyOptions = {}): Promise<WriteResult & { result: ApplyOutcome }> {
    const { info, obj, namespace, name } = this.target(input);
    for (let attempt = 0; ; attempt++) {
      const found = await this.read(info, namespace, name);
      try {
        if (!found) {
          // Apply is a patch; one that makes a new object needs the right to create it too.
          await opts.beforeCreate?.();
          const created = await this.create(computeApply(obj, undefined), opts);
          return { ...created, result: 'created' };
        }
        const next = computeApply(obj, found.object);
        const res = await this.updateFrom(info, found, next, opts);
        return { object: res.object, warnings: res.warnings, result: res.changed ? 'configured' : 'unchanged' };
      } catch (e) {
        // Apply is declarative: a race with another writer is retried, not reported.
        const raced = e instanceof ApiError && ((found && e.reason === 'Conflict') || (!found && e.reason === 'AlreadyExists'));
        if (raced && attempt < RETRIES) continue;
        throw e;
      }
    }
  }
}

/** Namespaces that always exist; deleting one is refused (Kubernetes refuses default and kube-system). */
const BUILTIN_UNDELETABLE: ReadonlySet<string> = new Set(BUILTIN_NAMESPACES);

function parsePropagationPolicy(text: string | undefined): PropagationPolicy | undefined {
  switch (text) {
    case undefined:
    case '':
      return undefined;
    case 'Background':
    case 'Foreground':
    case 'Orphan':
      return text;
    default:
      throw new ApiError('BadRequest', `propagationPolicy must be Background, Foreground or Orphan, not ${JSON.stringify(text)}`);
  }
}
