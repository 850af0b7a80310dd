// Kubernetes' EndpointSlice controller: the selected pods of every Service with a selector, as
// EndpointSlices (discovery.k8s.io/v1) of at most 100 endpoints, grouped by the ports the pods
// resolve (pods that resolve a named targetPort differently land in different slices).
//
//   service events ──▶ key "ns/name";  pod events ──▶ keys of the Services the pod is (or was) in
//   slice events not caused by our own writes (a user edit, a deletion) ──▶ its Service's key, 1 s later
//   sync(key): desired endpoints (per port set) vs the Service's slices in the cache
//        → reconcileSlices (pure): keep what is equal, update slices whose endpoints changed,
//          fill slices that have room, create slices only for what is left, delete empty ones
//        → writes; each slice's written resourceVersion is remembered, and a cache older than
//          our writes is never acted on (the sync is retried once it caught up)
//
// Unlike Endpoints, terminating pods stay (conditions.terminating, serving while still ready),
// so proxies can drain them. A Service's slices are owned by it (ownerReference, controller):
// the garbage collector removes them with it.
import { objectKey, type Endpoint, type EndpointPort, type Informer, type OwnerReference } from '@tugboat/api';
import { canonicalJson, deepEqual } from './canonical.js';
import { describe, isApiError, isExpectedRace, StaleCacheError } from './controller.js';
import {
  HEADLESS_SERVICE_LABEL, findPort, isServiceIPSet, podIPv4s, revision, selectedPods, servesSelectedPods, servicesForPodEvent,
  shouldPodBeInEndpoints, shouldSetHostname,
} from './endpoint-util.js';
import type { EventRecorder } from './events.js';
import type { EndpointSliceObject, NodeObject, PodObject, ServiceObject, SharedInformers } from './informers.js';
import { ZONE_LABEL } from './node-lifecycle.js';
import { isPodReady, randomSuffix } from './pod-util.js';
import { namespaceGoneOrGoing } from './serviceaccounts.js';

export const ENDPOINTSLICE_CONTROLLER = 'endpoint-slice-controller';
/** The value of the managed-by label on the slices this controller owns. */
export const ENDPOINTSLICE_MANAGER = 'endpointslice-controller.k8s.io';
import { SERVICE_NAME_LABEL as LABEL_SERVICE_NAME } from '@tugboat/api';
import { QueueController, type ControllerOptions } from './queue-controller.js';

export { LABEL_SERVICE_NAME };
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
/** Kubernetes' --max-endpoints-per-slice default. */
export const DEFAULT_MAX_ENDPOINTS_PER_SLICE = 100;
/** Slice events are coalesced for this long before the Service is synced (Kubernetes' endpointSliceChangeMinSyncDelay). */
export const SLICE_CHANGE_MIN_SYNC_DELAY_MS = 1000;

const ADDRESS_TYPE = 'IPv4';

// ── Pure decisions ────────────────────────────────────────────────────────────────────────

/** The endpoint ports `pod` offers for the Service: each Service port it resolves, in the Service's order. */
export function endpointPorts(svc: ServiceObject, pod: PodObject): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    out.push({ name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
  }
  return out;
}

/** Identifies a set of ports whatever their order (Kubernetes' PortMapKey). */
export function portSetKey(ports: readonly EndpointPort[] | undefined): string {
  const normal = (ports ?? []).map((p) => canonicalJson({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP', appProtocol: p.appProtocol }));
  return JSON.stringify(normal.sort());
}

/** Identifies an endpoint across syncs: its addresses, hostname and pod (Kubernetes' endpoint hash). */
export function endpointKey(ep: Endpoint): string {
  return JSON.stringify([[...ep.addresses].sort(), ep.hostname ?? '', ep.targetRef?.namespace ?? '', ep.targetRef?.name ?? '']);
}

/** What the key leaves out: node, zone, conditions and the pod's uid (not its resourceVersion). */
function endpointsEqualBeyondKey(a: Endpoint, b: Endpoint): boolean {
  const rest = (e: Endpoint): unknown => ({
    nodeName: e.nodeName,
    zone: e.zone,
    conditions: { ready: e.conditions?.ready, serving: e.conditions?.serving, terminating: e.conditions?.terminating },
    targetRef: e.targetRef ? { ...e.targetRef, resourceVersion: undefined } : undefined,
  });
  return deepEqual(rest(a), rest(b));
}

/**
 * Kubernetes' podToEndpoint. `serving` is the pod's readiness even while it terminates; `ready`
 * is serving and not terminating (or always, with publishNotReadyAddresses).
 */
export function podToEndpoint(pod: PodObject, node: NodeObject | undefined, svc: ServiceObject): Endpoint {
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata?.deletionTimestamp;
  const ready = svc.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const zone = node?.metadata?.labels?.[ZONE_LABEL];
  return {
    addresses: podIPv4s(pod),
    conditions: { ready, serving, terminating },
    ...(shouldSetHostname(pod, svc) ? { hostname: pod.spec?.hostname ?? '' } : {}),
    ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
    ...(zone ? { zone } : {}),
    targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' },
  };
}

/** A slice's labels: the Service's own (less the reserved ones), the headless mark, service-name and managed-by. */
export function sliceLabels(svc: ServiceObject): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata?.labels ?? {})) {
    if (k !== LABEL_SERVICE_NAME && k !== LABEL_MANAGED_BY && k !== HEADLESS_SERVICE_LABEL) labels[k] = v;
  }
  if (!isServiceIPSet(svc)) labels[HEADLESS_SERVICE_LABEL] = '';
  labels[LABEL_SERVICE_NAME] = svc.metadata?.name ?? '';
  labels[LABEL_MANAGED_BY] = ENDPOINTSLICE_MANAGER;
  return labels;
}

export function serviceOwnerRef(svc: ServiceObject): OwnerReference {
  return { apiVersion: 'v1', kind: 'Service', name: svc.metadata?.name ?? '', uid: svc.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
}

function ownedBy(slice: EndpointSliceObject, svc: ServiceObject): boolean {
  return (slice.metadata?.ownerReferences ?? []).some((r) => r.uid === svc.metadata?.uid && r.kind === 'Service' && r.apiVersion === 'v1');
}

/** A new, unnamed slice for `svc` with `ports` and no endpoints yet. */
export function newSlice(svc: ServiceObject, ports: EndpointPort[]): EndpointSliceObject {
  const prefix = `${svc.metadata?.name ?? ''}-`;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: prefix,
      namespace: svc.metadata?.namespace ?? '',
      labels: sliceLabels(svc),
      ownerReferences: [serviceOwnerRef(svc)],
    },
    addressType: ADDRESS_TYPE,
    ports,
    endpoints: [],
  };
}

export interface SlicePlan {
  /** New slices: metadata.name unset (the caller names them). */
  create: EndpointSliceObject[];
  /** Existing slices (name and resourceVersion kept) with their new content. */
  update: EndpointSliceObject[];
  delete: EndpointSliceObject[];
  /** Pods left out for now (their Node is unknown); the sync is retried. */
  problems: string[];
}

export interface ReconcileInput {
  service: ServiceObject;
  /** The pods the Service selects. */
  pods: readonly PodObject[];
  /** The Service's slices managed by this controller, not being deleted. */
  existing: readonly EndpointSliceObject[];
  node: (name: string) => NodeObject | undefined;
  maxEndpointsPerSlice?: number;
}

/**
 * Kubernetes' reconciler, as a pure function. Per set of ports: endpoints already in a slice
 * stay in it (updated in place if their conditions changed), slices that lost endpoints or
 * changed are updated and topped up first, then leftovers go into the unchanged slice they fit
 * best, and only then into new slices. Slices no longer wanted are deleted — or, when new ones
 * are needed too, rewritten in place instead. A Service with no endpoints keeps one empty
 * placeholder slice.
 */
export function reconcileSlices(input: ReconcileInput): SlicePlan {
  const { service: svc } = input;
  const max = input.maxEndpointsPerSlice ?? DEFAULT_MAX_ENDPOINTS_PER_SLICE;
  let create: EndpointSliceObject[] = [];
  const update: EndpointSliceObject[] = [];
  const toDelete: EndpointSliceObject[] = [];
  const problems: string[] = [];
  const labels = sliceLabels(svc);

  const existingByPorts = new Map<string, EndpointSliceObject[]>();
  let existingOfType = 0;
  for (const slice of input.existing) {
    if (slice.addressType !== ADDRESS_TYPE) { toDelete.push(slice); continue; }
    existingOfType++;
    if (!ownedBy(slice, svc)) { toDelete.push(slice); continue; }
    const key = portSetKey(slice.ports);
    existingByPorts.set(key, [...(existingByPorts.get(key) ?? []), slice]);
  }
  const deletedOfType = (): number => toDelete.filter((s) => s.addressType === ADDRESS_TYPE).length;

  const desired = new Map<string, { ports: EndpointPort[]; endpoints: Map<string, Endpoint> }>();
  const pods = [...input.pods].sort((a, b) => objectKey(a).localeCompare(objectKey(b)));
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ports = endpointPorts(svc, pod);
    const key = portSetKey(ports);
    let group = desired.get(key);
    if (!group) {
      group = { ports, endpoints: new Map() };
      desired.set(key, group);
    }
    const nodeName = pod.spec?.nodeName ?? '';
    const node = nodeName ? input.node(nodeName) : undefined;
    // A pod on a Node that does not exist is left out (and the sync retried) unless the
    // Service publishes every address it has.
    if (!node && svc.spec?.publishNotReadyAddresses !== true) {
      problems.push(`skipping Pod ${pod.metadata?.name ?? ''} for Service ${objectKey(svc)}: Node ${nodeName} Not Found`);
      continue;
    }
    const ep = podToEndpoint(pod, node, svc);
    if (ep.addresses.length) group.endpoints.set(endpointKey(ep), ep);
  }

  for (const [key, group] of desired) {
    const r = reconcilePortSet(svc, labels, existingByPorts.get(key) ?? [], group.endpoints, group.ports, max);
    create.push(...r.create);
    update.push(...r.update);
    toDelete.push(...r.delete);
  }
  for (const [key, slices] of existingByPorts) if (!desired.has(key)) toDelete.push(...slices);

  // No endpoints at all: one empty placeholder slice, kept if it is already there.
  if (existingOfType === deletedOfType() && create.length === 0) {
    const placeholder = newSlice(svc, []);
    const ofType = toDelete.filter((s) => s.addressType === ADDRESS_TYPE);
    const only = ofType.length === 1 ? ofType[0] : undefined;
    if (only && isPlaceholderOf(only, placeholder)) toDelete.splice(toDelete.indexOf(only), 1);
    else create.push(placeholder);
  }

  // Slices to create and slices to delete together: rewrite the doomed ones instead.
  const finalDelete: EndpointSliceObject[] = [];
  for (const doomed of toDelete) {
    const replacement = create.length && doomed.addressType === ADDRESS_TYPE && ownedBy(doomed, svc) ? create[create.length - 1] : undefined;
    if (!replacement) { finalDelete.push(doomed); continue; }
    create = create.slice(0, -1);
    update.push({ ...replacement, metadata: { ...doomed.metadata, labels: replacement.metadata?.labels ?? {}, ownerReferences: replacement.metadata?.ownerReferences ?? [] } });
  }
  return { create, update, delete: finalDelete, problems };
}

/** Kubernetes' placeholderSliceCompare: same namespace, labels, owners, ports and (no) endpoints. */
function isPlaceholderOf(slice: EndpointSliceObject, placeholder: EndpointSliceObject): boolean {
  return slice.metadata?.namespace === placeholder.metadata?.namespace
    && deepEqual(slice.metadata?.labels ?? {}, placeholder.metadata?.labels ?? {})
    && deepEqual(slice.metadata?.ownerReferences ?? [], placeholder.metadata?.ownerReferences ?? [])
    && deepEqual(slice.ports ?? [], []) && (slice.endpoints ?? []).length === 0;
}

/** Kubernetes' reconcileByPortMapping for one set of ports; consumes `wanted`. */
function reconcilePortSet(
  svc: ServiceObject,
  labels: Record<string, string>,
  existing: readonly EndpointSliceObject[],
  wanted: Map<string, Endpoint>,
  ports: EndpointPort[],
  max: number,
): { create: EndpointSliceObject[]; update: EndpointSliceObject[]; delete: EndpointSliceObject[] } {
  const byName = new Map<string, EndpointSliceObject>();
  const unchanged = new Set<string>();
  const toUpdate = new Set<string>();
  const toDelete: EndpointSliceObject[] = [];

  // 1. Keep each wanted endpoint where it is; drop the unwanted.
  for (const slice of existing) {
    const name = slice.metadata?.name ?? '';
    byName.set(name, slice);
    const kept: Endpoint[] = [];
    let changed = false;
    for (const ep of slice.endpoints ?? []) {
      const key = endpointKey(ep);
      const want = wanted.get(key);
      if (!want) continue;
      kept.push(want);
      if (!endpointsEqualBeyondKey(want, ep)) changed = true;
      wanted.delete(key);
    }
    const labelsChanged = !deepEqual(slice.metadata?.labels ?? {}, labels);
    if (changed || kept.length !== (slice.endpoints ?? []).length) {
      if (kept.length === 0) toDelete.push(slice);
      else {
        byName.set(name, { ...slice, metadata: { ...slice.metadata, labels }, endpoints: kept });
        toUpdate.add(name);
      }
    } else if (labelsChanged) {
      byName.set(name, { ...slice, metadata: { ...slice.metadata, labels } });
      toUpdate.add(name);
    } else {
      unchanged.add(name);
    }
  }

  const take = (slice: EndpointSliceObject): void => {
    const endpoints = [...(slice.endpoints ?? [])];
    for (const [key, ep] of wanted) {
      if (endpoints.length >= max) break;
      endpoints.push(ep);
      wanted.delete(key);
    }
    slice.endpoints = endpoints;
  };

  // 2. Top up the slices being written anyway, fullest first.
  if (wanted.size && toUpdate.size) {
    const slices = [...toUpdate].map((n) => byName.get(n)!).sort((a, b) => (b.endpoints?.length ?? 0) - (a.endpoints?.length ?? 0));
    for (const s of slices) take(s);
  }

  // 3. What is left: into the unchanged slice it fits best, else new slices.
  const create: EndpointSliceObject[] = [];
  while (wanted.size) {
    let fill: EndpointSliceObject | undefined;
    if (wanted.size < max && unchanged.size) {
      const best = sliceToFill([...unchanged].map((n) => byName.get(n)!), wanted.size, max);
      if (best) fill = { ...best, metadata: { ...best.metadata, labels }, endpoints: [...(best.endpoints ?? [])] };
    }
    if (!fill) {
      const fresh = newSlice(svc, ports);
      take(fresh);
      create.push(fresh);
      continue;
    }
    take(fill);
    const name = fill.metadata?.name ?? '';
    byName.set(name, fill);
    toUpdate.add(name);
    unchanged.delete(name);
  }
  return { create, update: [...toUpdate].map((n) => byName.get(n)!), delete: toDelete };
}

/** Kubernetes' getSliceToFill: the slice that `count` more endpoints bring closest to full without overflowing. */
function sliceToFill(slices: readonly EndpointSliceObject[], count: number, max: number): EndpointSliceObject | undefined {
  let closest = max;
  let best: EndpointSliceObject | undefined;
  for (const s of slices) {
    const diff = max - (count + (s.endpoints?.length ?? 0));
    if (diff >= 0 && diff < closest) {
      closest = diff;
      best = s;
      if (diff === 0) break;
    }
  }
  return best;
}

// ── Our own writes (Kubernetes' EndpointSliceTracker) ─────────────────────────────────────

const DELETED = -1;

/**
 * The resourceVersion of every slice we wrote, per Service, or DELETED for slices we deleted.
 * A slice event carrying what we wrote needs no sync; a cache that lacks our write, or still
 * has what we deleted, is stale.
 */
export class SliceTracker {
  private readonly byService = new Map<string, Map<string, number>>();

  wrote(serviceKey: string, slice: EndpointSliceObject): void {
    this.forService(serviceKey).set(slice.metadata?.uid ?? '', revision(slice));
  }

  deleted(serviceKey: string, slice: EndpointSliceObject): void {
    this.forService(serviceKey).set(slice.metadata?.uid ?? '', DELETED);
  }

  /** Whether a slice event is news to us (not the echo of our own write). */
  shouldSync(serviceKey: string, slice: EndpointSliceObject): boolean {
    const v = this.byService.get(serviceKey)?.get(slice.metadata?.uid ?? '');
    return v === undefined || v === DELETED || revision(slice) > v;
  }

  /** A slice disappeared: whether we deleted it. Forgets it either way. */
  handleDeletion(serviceKey: string, slice: EndpointSliceObject): boolean {
    const m = this.byService.get(serviceKey);
    const uid = slice.metadata?.uid ?? '';
    const expected = m?.get(uid) === DELETED;
    m?.delete(uid);
    return expected;
  }

  stale(serviceKey: string, slices: readonly EndpointSliceObject[]): boolean {
    const m = this.byService.get(serviceKey);
    if (!m) return false;
    const present = new Set<string>();
    for (const s of slices) {
      const uid = s.metadata?.uid ?? '';
      present.add(uid);
      const v = m.get(uid);
      if (v !== undefined && (v === DELETED || v > revision(s))) return true;
    }
    for (const [uid, v] of m) if (v !== DELETED && !present.has(uid)) return true;
    return false;
  }

  forgetService(serviceKey: string): void {
    this.byService.delete(serviceKey);
  }

  private forService(key: string): Map<string, number> {
    let m = this.byService.get(key);
    if (!m) {
      m = new Map();
      this.byService.set(key, m);
    }
    return m;
  }
}

// ── The controller ────────────────────────────────────────────────────────────────────────

export interface EndpointSliceControllerOptions extends ControllerOptions {
  informers: SharedInformers;
  recorder: EventRecorder;
  /** Kubernetes' --concurrent-service-endpoint-syncs (default 5). */
  workers?: number;
  maxEndpointsPerSlice?: number;
}

export class EndpointSliceController extends QueueController {
  readonly tracker = new SliceTracker();
  private readonly services: Informer<ServiceObject>;
  private readonly pods: Informer<PodObject>;
  private readonly slices: Informer<EndpointSliceObject>;
  private readonly nodes: Informer<NodeObject>;
  private readonly recorder: EventRecorder;
  private readonly maxEndpointsPerSlice: number;

  constructor(opts: EndpointSliceControllerOptions) {
    super('endpoint_slice', opts, 5);
    this.recorder = opts.recorder;
    this.maxEndpointsPerSlice = opts.maxEndpointsPerSlice ?? DEFAULT_MAX_ENDPOINTS_PER_SLICE;
    this.services = opts.informers.services();
    this.pods = opts.informers.pods();
    this.slices = opts.informers.endpointSlices();
    this.nodes = opts.informers.nodes();
    this.enqueueOnEvents(this.services);
    this.pods
      .onAdd((p) => this.enqueueFor(undefined, p))
      .onUpdate((old, p) => this.enqueueFor(old, p))
      .onDelete((p) => this.enqueueFor(p, undefined));
    this.slices
      .onAdd((s) => { if (managed(s) && this.tracker.shouldSync(serviceKeyOf(s), s)) this.enqueueSlice(s); })
      .onUpdate((old, s) => {
        // A relabelled slice moves between Services: both look again.
        if (old.metadata?.labels?.[LABEL_SERVICE_NAME] !== s.metadata?.labels?.[LABEL_SERVICE_NAME]) {
          // It left the old Service's slices as surely as if deleted.
          this.tracker.handleDeletion(serviceKeyOf(old), old);
          this.enqueueSlice(old);
          this.enqueueSlice(s);
        } else if (managed(old) !== managed(s) || (managed(s) && this.tracker.shouldSync(serviceKeyOf(s), s))) {
          if (!managed(s)) this.tracker.handleDeletion(serviceKeyOf(s), s);
          this.enqueueSlice(s);
        }
      })
      .onDelete((s) => {
        if (managed(s) && !this.tracker.handleDeletion(serviceKeyOf(s), s)) this.enqueueSlice(s);
      });
  }

  private enqueueFor(old: PodObject | undefined, cur: PodObject | undefined): void {
    for (const key of servicesForPodEvent(this.services.items(), old, cur)) this.queue.add(key);
  }

  private enqueueSlice(s: EndpointSliceObject): void {
    if (!s.metadata?.labels?.[LABEL_SERVICE_NAME]) return;
    this.queue.addAfter(serviceKeyOf(s), SLICE_CHANGE_MIN_SYNC_DELAY_MS);
  }

  async sync(key: string): Promise<void> {
    const svc = this.services.get(key);
    if (!svc) {
      // Its slices are the garbage collector's now (they are owned by the Service).
      this.tracker.forgetService(key);
      return;
    }
    if (!servesSelectedPods(svc)) return;
    const namespace = svc.metadata?.namespace ?? '';
    const name = svc.metadata?.name ?? '';
    const existing = this.slices.list().filter((s) => s.metadata?.namespace === namespace && managed(s)
      && s.metadata?.labels?.[LABEL_SERVICE_NAME] === name && !s.metadata?.deletionTimestamp);
    if (this.tracker.stale(key, existing)) throw new StaleCacheError(`EndpointSlice informer cache is behind our last write for Service ${key}`);

    const plan = reconcileSlices({
      service: svc,
      pods: selectedPods(svc, this.pods.items()),
      existing,
      node: (n) => this.nodes.get(n),
      maxEndpointsPerSlice: this.maxEndpointsPerSlice,
    });
    try {
      await this.apply(key, svc, plan);
    } catch (e) {
      if (!isExpectedRace(e)) {
        this.recorder.event(svc, 'Warning', 'FailedToUpdateEndpointSlices', `Error updating Endpoint Slices for Service ${key}: ${describe(e)}`);
      }
      throw e;
    }
    if (plan.problems.length) throw new Error(plan.problems[0]);
  }

  private async apply(key: string, svc: ServiceObject, plan: SlicePlan): Promise<void> {
    // A Service being deleted gets no new slices: the garbage collector is removing them.
    if (!svc.metadata?.deletionTimestamp) {
      for (const slice of plan.create) {
        const prefix = slice.metadata?.generateName ?? '';
        try {
          // Named here as well as by generateName, so a create that times out and is retried
          // cannot make two slices.
          const created = await this.client.create<EndpointSliceObject>({ ...slice, metadata: { ...slice.metadata, name: `${prefix}${randomSuffix()}` } });
          this.tracker.wrote(key, created);
        } catch (e) {
          if (await namespaceGoneOrGoing(this.client, e, svc.metadata?.namespace ?? '')) return;
          throw e;
        }
      }
    }
    for (const slice of plan.update) {
      this.tracker.wrote(key, await this.client.update<EndpointSliceObject>(slice));
    }
    for (const slice of plan.delete) {
      try {
        await this.client.delete('endpointslices', slice.metadata?.namespace ?? '', slice.metadata?.name ?? '', slice.metadata?.uid ? { preconditionUid: slice.metadata.uid } : {});
      } catch (e) {
        if (!isApiError(e, 'NotFound', 'Conflict')) throw e;
        continue;
      }
      this.tracker.deleted(key, slice);
    }
  }
}

function managed(s: EndpointSliceObject): boolean {
  return s.metadata?.labels?.[LABEL_MANAGED_BY] === ENDPOINTSLICE_MANAGER;
}

function serviceKeyOf(s: EndpointSliceObject): string {
  return `${s.metadata?.namespace ?? ''}/${s.metadata?.labels?.[LABEL_SERVICE_NAME] ?? ''}`;
}
