// What the endpoints and endpointslice controllers share (Kubernetes' k8s.io/endpointslice/util
// and podutil.FindPort): which Services a pod belongs to, which pods make endpoints, which port
// a Service port reaches on a given pod, and which pod changes matter. Pure.
import { objectKey, parseIPv4, selectorFromSet, type Pod, type ServicePort } from '@tugboat/api';
import { deepEqual } from './canonical.js';
import type { PodObject, ServiceObject } from './informers.js';
import { isPodReady, isPodTerminal } from './pod-util.js';

/** Kubernetes' label on Endpoints and EndpointSlices of a Service without a ClusterIP. */
export const HEADLESS_SERVICE_LABEL = 'service.kubernetes.io/headless';

/**
 * A Service whose endpoints these controllers keep: one with a selector that is not
 * ExternalName. Without a selector (or with an empty one, which Kubernetes stores as none) its
 * endpoints are whoever else writes them.
 */
export function servesSelectedPods(svc: ServiceObject): boolean {
  return svc.spec?.type !== 'ExternalName' && Object.keys(svc.spec?.selector ?? {}).length > 0;
}

/** Whether `labels` (a pod's) match the Service's selector; a Service without one selects nothing. */
export function selectorMatches(svc: ServiceObject, labels: Record<string, string> | undefined): boolean {
  const selector = svc.spec?.selector;
  if (!selector || Object.keys(selector).length === 0) return false;
  return selectorFromSet(selector).matches(labels);
}

/** The pods of `pods` the Service selects (same namespace, selector matches). */
export function selectedPods(svc: ServiceObject, pods: Iterable<PodObject>): PodObject[] {
  const ns = svc.metadata?.namespace;
  const out: PodObject[] = [];
  for (const p of pods) if (p.metadata?.namespace === ns && selectorMatches(svc, p.metadata?.labels)) out.push(p);
  return out;
}

/** Has a ClusterIP (not headless, not yet unallocated). */
export function isServiceIPSet(svc: ServiceObject): boolean {
  const ip = svc.spec?.clusterIP;
  return !!ip && ip !== 'None';
}

/**
 * Kubernetes' ShouldPodBeInEndpoints: finished pods and pods without an IP never are;
 * terminating ones only when asked (EndpointSlices always ask, Endpoints only with
 * publishNotReadyAddresses).
 */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (!pod.status?.podIP && !pod.status?.podIPs?.length) return false;
  if (!includeTerminating && pod.metadata?.deletionTimestamp) return false;
  return true;
}

/** The pod's IPv4 addresses, podIPs first (what the agent reports), else podIP. */
export function podIPv4s(pod: Pod): string[] {
  const ips = pod.status?.podIPs?.length ? pod.status.podIPs.map((p) => p.ip) : [pod.status?.podIP];
  return ips.filter((ip): ip is string => !!ip && parseIPv4(ip) !== undefined);
}

/**
 * Kubernetes' FindPort: a numeric targetPort is used as is; a named one is the containerPort of
 * that name and the Service port's protocol in the pod's containers (or its sidecars, init
 * containers that keep running). Undefined when the pod has no such port: it is then left out
 * of the endpoints for that Service port.
 */
export function findPort(pod: Pod, svcPort: ServicePort): number | undefined {
  const target = svcPort.targetPort ?? svcPort.port;
  if (typeof target === 'number') return target;
  const protocol = svcPort.protocol ?? 'TCP';
  const match = (ports: readonly { name?: string; containerPort: number; protocol?: string }[] | undefined): number | undefined =>
    ports?.find((p) => p.name === target && (p.protocol ?? 'TCP') === protocol)?.containerPort;
  for (const c of pod.spec?.containers ?? []) {
    const port = match(c.ports);
    if (port !== undefined) return port;
  }
  for (const c of pod.spec?.initContainers ?? []) {
    if (c.restartPolicy !== 'Always') continue;
    const port = match(c.ports);
    if (port !== undefined) return port;
  }
  return undefined;
}

/** A pod's hostname is published when it names the Service as its subdomain (Kubernetes' ShouldSetHostname). */
export function shouldSetHostname(pod: Pod, svc: ServiceObject): boolean {
  return !!pod.spec?.hostname && pod.spec.subdomain === svc.metadata?.name && pod.metadata?.namespace === svc.metadata?.namespace;
}

/**
 * Kubernetes' podEndpointsChanged: `podChanged` when the pod's endpoint may differ (readiness,
 * deletion, IPs, or its phase — a pod that finished leaves), `labelsChanged` when the Services
 * it belongs to may differ (labels, hostname, subdomain).
 */
export function podEndpointsChanged(old: Pod, cur: Pod): { podChanged: boolean; labelsChanged: boolean } {
  const labelsChanged = !deepEqual(old.metadata?.labels ?? {}, cur.metadata?.labels ?? {})
    || old.spec?.hostname !== cur.spec?.hostname || old.spec?.subdomain !== cur.spec?.subdomain;
  const podChanged = old.metadata?.deletionTimestamp !== cur.metadata?.deletionTimestamp
    || isPodReady(old) !== isPodReady(cur)
    || old.status?.phase !== cur.status?.phase
    || old.status?.podIP !== cur.status?.podIP
    || !deepEqual((old.status?.podIPs ?? []).map((p) => p.ip), (cur.status?.podIPs ?? []).map((p) => p.ip));
  return { podChanged, labelsChanged };
}

function servicesMatching(services: Iterable<ServiceObject>, namespace: string | undefined, labels: Record<string, string> | undefined): Set<string> {
  const keys = new Set<string>();
  for (const svc of services) {
    if (svc.metadata?.namespace === namespace && selectorMatches(svc, labels)) keys.add(objectKey(svc));
  }
  return keys;
}

/**
 * The keys of the Services to sync after a pod event (Kubernetes' GetServicesToUpdateOnPodChange):
 * an added or deleted pod's Services; for an update, none when nothing that matters changed,
 * else the Services of its new labels — and, when the labels changed, those it left (and, if
 * the pod itself changed too, all of both). `services` may be scanned twice: an array or
 * Informer.items(), not a one-shot iterator.
 */
export function servicesForPodEvent(services: Iterable<ServiceObject>, old: PodObject | undefined, cur: PodObject | undefined): Set<string> {
  if (!old && !cur) return new Set();
  if (!old || !cur) {
    const pod = (cur ?? old)!;
    return servicesMatching(services, pod.metadata?.namespace, pod.metadata?.labels);
  }
  if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return new Set();
  const { podChanged, labelsChanged } = podEndpointsChanged(old, cur);
  if (!podChanged && !labelsChanged) return new Set();
  const now = servicesMatching(services, cur.metadata?.namespace, cur.metadata?.labels);
  if (!labelsChanged) return now;
  const before = servicesMatching(services, old.metadata?.namespace, old.metadata?.labels);
  const out = new Set<string>();
  for (const k of now) if (podChanged || !before.has(k)) out.add(k);
  for (const k of before) if (podChanged || !now.has(k)) out.add(k);
  return out;
}

/** An object's resourceVersion as a number (etcd revisions), 0 when absent. */
export function revision(obj: { metadata?: { resourceVersion?: string } }): number {
  const n = Number(obj.metadata?.resourceVersion ?? 0);
  return Number.isFinite(n) ? n : 0;
}
