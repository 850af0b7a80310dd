// Kubernetes' endpoints controller: every Service with a selector has an Endpoints object of
// the same name listing the selected pods' addresses, ready ones in `addresses`, the others in
// `notReadyAddresses`, per port (a named targetPort resolved on each pod).
//
//   service events ──▶ key "ns/name";  pod events ──▶ keys of the Services the pod is (or was) in
//   sync(key): Service gone → delete its Endpoints; no selector / ExternalName → leave alone;
//              else subsets from the pods in the cache (repacked into Kubernetes' canonical
//              form), written only when they, the labels or the capacity annotation changed
//
// Pod events enqueue at once (Kubernetes' default endpoint-updates-batch-period is 0): a pod
// that stops being ready leaves `addresses` within one sync.
import { objectKey, type EndpointAddress, type EndpointSubset, type CoreEndpointPort, type Informer } from '@tugboat/api';
import { deepEqual, canonicalJson } from './canonical.js';
import { describe, isApiError, StaleCacheError } from './controller.js';
import {
  HEADLESS_SERVICE_LABEL, findPort, isServiceIPSet, podIPv4s, revision, selectedPods, servesSelectedPods, servicesForPodEvent,
  shouldPodBeInEndpoints, shouldSetHostname,
} from './endpoint-util.js';
import type { EventRecorder } from './events.js';
import type { EndpointsObject, PodObject, ServiceObject, SharedInformers } from './informers.js';
import { isPodReady } from './pod-util.js';
import { namespaceGoneOrGoing } from './serviceaccounts.js';
import { QueueController, type ControllerOptions } from './queue-controller.js';

export const ENDPOINT_CONTROLLER = 'endpoint-controller';
/** More addresses than this in one Endpoints object are truncated (Kubernetes' maxCapacity). */
export const ENDPOINTS_MAX_CAPACITY = 1000;
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';
/** Endpoints carrying this annotation are a leader-election lock, not a Service's: never removed. */
const LEADER_ELECTION_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';

// ── Pure decisions ────────────────────────────────────────────────────────────────────────

/**
 * The subsets a Service's Endpoints should hold for `pods` (already selected), in Kubernetes'
 * canonical (repacked) form.
 */
export function endpointSubsets(svc: ServiceObject, pods: readonly PodObject[]): EndpointSubset[] {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const ports = svc.spec?.ports ?? [];
  const headless = svc.spec?.clusterIP === 'None';
  const raw: EndpointSubset[] = [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue;
    const ip = podIPv4s(pod)[0];
    if (!ip) continue;
    const address: EndpointAddress = {
      ip,
      ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
      ...(shouldSetHostname(pod, svc) ? { hostname: pod.spec?.hostname ?? '' } : {}),
      targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' },
    };
    const ready = publishNotReady || isPodReady(pod);
    const subset = (epPorts: CoreEndpointPort[]): EndpointSubset => ({
      ...(ready ? { addresses: [address] } : { notReadyAddresses: [address] }),
      ...(epPorts.length ? { ports: epPorts } : {}),
    });
    if (ports.length === 0) {
      // A headless Service may have no ports: its endpoints are the addresses alone.
      if (headless) raw.push(subset([]));
      continue;
    }
    for (const sp of ports) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      raw.push(subset([{
        ...(sp.name ? { name: sp.name } : {}),
        port,
        protocol: sp.protocol ?? 'TCP',
        ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}),
      }]));
    }
  }
  return repackSubsets(raw);
}

const addressKey = (a: EndpointAddress): string => `${a.ip}\u0000${a.targetRef?.uid ?? ''}`;

/** Kubernetes' LessEndpointAddress: by IP text, then target uid (none first). */
function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  if (a.ip !== b.ip) return a.ip < b.ip ? -1 : 1;
  const ua = a.targetRef?.uid;
  const ub = b.targetRef?.uid;
  if (ua === ub) return 0;
  if (ua === undefined) return -1;
  if (ub === undefined) return 1;
  return ua < ub ? -1 : 1;
}

const byJson = <T>(a: T, b: T): number => {
  const ja = canonicalJson(a);
  const jb = canonicalJson(b);
  return ja < jb ? -1 : ja > jb ? 1 : 0;
};

/**
 * Kubernetes' RepackSubsets: expands subsets to (address, port, ready) and packs them again so
 * that each subset holds the ports that exactly the same addresses (with the same readiness)
 * offer. An address not ready on any port is not ready on that port's subset ("not ready wins").
 * Subsets without ports are kept (the headless case). Sorted, so equal inputs compare equal.
 */
export function repackSubsets(subsets: readonly EndpointSubset[]): EndpointSubset[] {
  const NO_PORTS = '';
  const addresses = new Map<string, EndpointAddress>();
  const byPort = new Map<string, { port: CoreEndpointPort | undefined; ready: Map<string, boolean> }>();
  const note = (portKey: string, port: CoreEndpointPort | undefined, a: EndpointAddress, ready: boolean): void => {
    const key = addressKey(a);
    if (!addresses.has(key)) addresses.set(key, a);
    let entry = byPort.get(portKey);
    if (!entry) {
      entry = { port, ready: new Map() };
      byPort.set(portKey, entry);
    }
    // Not ready wins: once an address is not ready on a port it stays so.
    if (entry.ready.get(key) !== false) entry.ready.set(key, ready);
  };
  for (const s of subsets) {
    const ports: (CoreEndpointPort | undefined)[] = s.ports?.length ? s.ports : [undefined];
    for (const port of ports) {
      const portKey = port ? canonicalJson(port) : NO_PORTS;
      for (const a of s.addresses ?? []) note(portKey, port, a, true);
      for (const a of s.notReadyAddresses ?? []) note(portKey, port, a, false);
    }
  }
  // Ports offered by the same addresses (with the same readiness) share a subset.
  const groups = new Map<string, { ready: Map<string, boolean>; ports: CoreEndpointPort[] }>();
  for (const { port, ready } of byPort.values()) {
    const key = canonicalJson([...ready.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    let g = groups.get(key);
    if (!g) {
      g = { ready, ports: [] };
      groups.set(key, g);
    }
    if (port) g.ports.push(port);
  }
  const out: EndpointSubset[] = [];
  for (const g of groups.values()) {
    const ready: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    for (const [key, isReady] of g.ready) {
      const a = addresses.get(key);
      if (a) (isReady ? ready : notReady).push(a);
    }
    ready.sort(compareAddresses);
    notReady.sort(compareAddresses);
    g.ports.sort(byJson);
    out.push({
      ...(ready.length ? { addresses: ready } : {}),
      ...(notReady.length ? { notReadyAddresses: notReady } : {}),
      ...(g.ports.length ? { ports: g.ports } : {}),
    });
  }
  return out.sort(byJson);
}

/**
 * Kubernetes' truncateEndpoints: over ENDPOINTS_MAX_CAPACITY addresses, keep ready ones first,
 * spreading what fits over the subsets in proportion to their size. Returns whether it cut.
 */
export function truncateSubsets(subsets: EndpointSubset[], max = ENDPOINTS_MAX_CAPACITY): boolean {
  let totalReady = 0;
  let totalNotReady = 0;
  for (const s of subsets) {
    totalReady += s.addresses?.length ?? 0;
    totalNotReady += s.notReadyAddresses?.length ?? 0;
  }
  if (totalReady + totalNotReady <= max) return false;
  const truncateReady = totalReady > max;
  const room = truncateReady ? max : max - totalReady;
  const total = truncateReady ? totalReady : totalNotReady;
  let left = room;
  for (let i = 0; i < subsets.length; i++) {
    const s = subsets[i];
    if (!s) continue;
    const inSubset = truncateReady ? s.addresses?.length ?? 0 : s.notReadyAddresses?.length ?? 0;
    const take = Math.min(Math.ceil((inSubset / total) * room), left);
    const { addresses: ready = [], notReadyAddresses: notReady = [], ...rest } = s;
    // Ready addresses are cut only when they alone are too many; then no not-ready one stays.
    const keptReady = truncateReady ? ready.slice(0, take) : ready;
    const keptNotReady = truncateReady ? [] : notReady.slice(0, take);
    left -= truncateReady ? keptReady.length : keptNotReady.length;
    subsets[i] = {
      ...(keptReady.length ? { addresses: keptReady } : {}),
      ...(keptNotReady.length ? { notReadyAddresses: keptNotReady } : {}),
      ...rest,
    };
  }
  return true;
}

/** The labels an Endpoints object carries: the Service's, plus the headless mark when it has no ClusterIP. */
export function endpointsLabels(svc: ServiceObject): Record<string, string> {
  const labels = { ...(svc.metadata?.labels ?? {}) };
  if (isServiceIPSet(svc)) delete labels[HEADLESS_SERVICE_LABEL];
  else labels[HEADLESS_SERVICE_LABEL] = '';
  return labels;
}

/** Subsets compared as Kubernetes does: the pods' resourceVersions in targetRef do not count. */
function subsetsEqual(a: readonly EndpointSubset[], b: readonly EndpointSubset[]): boolean {
  const strip = (subsets: readonly EndpointSubset[]): unknown => subsets.map((s) => ({
    ...s,
    ...(s.addresses ? { addresses: s.addresses.map(withoutTargetVersion) } : {}),
    ...(s.notReadyAddresses ? { notReadyAddresses: s.notReadyAddresses.map(withoutTargetVersion) } : {}),
  }));
  return deepEqual(strip(a), strip(b));
}

function withoutTargetVersion(a: EndpointAddress): EndpointAddress {
  if (!a.targetRef?.resourceVersion) return a;
  const { resourceVersion: _rv, ...ref } = a.targetRef;
  return { ...a, targetRef: ref };
}

/**
 * The Endpoints object to write for `svc`, or undefined when `current` already says it: the
 * same subsets (after truncation, so an over-capacity Service is not rewritten on every sync),
 * labels and over-capacity annotation. Anything else on the object (other annotations) is kept.
 */
export function desiredEndpoints(svc: ServiceObject, pods: readonly PodObject[], current: EndpointsObject | undefined): EndpointsObject | undefined {
  const subsets = endpointSubsets(svc, pods);
  const truncated = truncateSubsets(subsets);
  const labels = endpointsLabels(svc);
  if (current) {
    const annotationRight = (current.metadata?.annotations?.[OVER_CAPACITY_ANNOTATION] === 'truncated') === truncated;
    if (subsetsEqual(current.subsets ?? [], subsets) && deepEqual(current.metadata?.labels ?? {}, labels) && annotationRight) return undefined;
  }
  const annotations = { ...(current?.metadata?.annotations ?? {}) };
  if (truncated) annotations[OVER_CAPACITY_ANNOTATION] = 'truncated';
  else delete annotations[OVER_CAPACITY_ANNOTATION];
  const { labels: _labels, annotations: _annotations, ...meta } = current?.metadata ?? {};
  return {
    ...(current ?? {}),
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      ...meta,
      name: svc.metadata?.name ?? '',
      namespace: svc.metadata?.namespace ?? '',
      ...(Object.keys(labels).length ? { labels } : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
    subsets,
  };
}

// ── The controller ────────────────────────────────────────────────────────────────────────

export interface EndpointsControllerOptions extends ControllerOptions {
  informers: SharedInformers;
  recorder: EventRecorder;
  /** Kubernetes' --concurrent-endpoint-syncs (default 5). */
  workers?: number;
}

export class EndpointsController extends QueueController {
  private readonly services: Informer<ServiceObject>;
  private readonly pods: Informer<PodObject>;
  private readonly endpoints: Informer<EndpointsObject>;
  private readonly recorder: EventRecorder;
  // The resourceVersion of our last write per key: a cache older than it is stale (our write
  // is not in it yet) and must not be acted on (Kubernetes' staleEndpointsTracker).
  private readonly written = new Map<string, number>();

  constructor(opts: EndpointsControllerOptions) {
    super('endpoint', opts, 5);
    this.recorder = opts.recorder;
    this.services = opts.informers.services();
    this.pods = opts.informers.pods();
    this.endpoints = opts.informers.endpoints();
    this.enqueueOnEvents(this.services);
    this.pods
      .onAdd((p) => this.enqueueFor(undefined, p))
      .onUpdate((old, p) => this.enqueueFor(old, p))
      .onDelete((p) => this.enqueueFor(p, undefined));
    this.endpoints.onDelete((ep) => {
      const key = objectKey(ep);
      this.written.delete(key);
      this.queue.add(key);
    });
  }

  override run(): Promise<void> {
    // Endpoints whose Service went while no controller ran are found once, at start
    // (Kubernetes' checkLeftoverEndpoints); afterwards Service deletions are seen as they happen.
    for (const ep of this.endpoints.list()) {
      if (ep.metadata?.annotations?.[LEADER_ELECTION_ANNOTATION] === undefined) this.queue.add(objectKey(ep));
    }
    return super.run();
  }

  private enqueueFor(old: PodObject | undefined, cur: PodObject | undefined): void {
    for (const key of servicesForPodEvent(this.services.items(), old, cur)) this.queue.add(key);
  }

  async sync(key: string): Promise<void> {
    const [namespace = '', name = ''] = key.split('/');
    const svc = this.services.get(key);
    if (!svc) {
      // The Service is gone: so are its endpoints, whoever wrote them.
      try {
        await this.client.delete('endpoints', namespace, name);
      } catch (e) {
        if (!isApiError(e, 'NotFound')) throw e;
      }
      this.written.delete(key);
      return;
    }
    if (!servesSelectedPods(svc)) return;

    const current = this.endpoints.get(key);
    const written = this.written.get(key);
    if (written !== undefined && (!current || revision(current) < written)) {
      throw new StaleCacheError(`endpoints informer cache is behind our last write of ${key}`);
    }
    const next = desiredEndpoints(svc, selectedPods(svc, this.pods.items()), current);
    if (!next) return;
    try {
      const saved = current
        ? await this.client.update<EndpointsObject>(next)
        : await this.client.create<EndpointsObject>(next);
      this.written.set(key, revision(saved));
    } catch (e) {
      if (!current && await namespaceGoneOrGoing(this.client, e, namespace)) return;
      if (!isApiError(e, 'Conflict', 'AlreadyExists', 'NotFound')) {
        this.recorder.event(next, 'Warning', current ? 'FailedToUpdateEndpoint' : 'FailedToCreateEndpoint',
          current ? `Failed to update endpoint ${key}: ${describe(e)}` : `Failed to create endpoint for service ${key}: ${describe(e)}`);
      }
      throw e;
    }
  }
}
