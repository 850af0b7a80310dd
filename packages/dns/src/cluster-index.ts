// The cluster as DNS sees it: a slim view of each Service, EndpointSlice, Pod and Namespace,
// fed by informers and read by resolve(). Only what an answer depends on is kept (CoreDNS's
// object package does the same), so an object change that no answer can see — a pod's
// status conditions, a Service's labels — is no change here, and the encoded responses
// cached by the server stay valid.
import type { EndpointSlice, KubeObject, Namespace, Pod, Service } from '@tugboat/api';
import { canonicalIP, dashedIP } from './names.js';

export interface PortView {
  /** "" for an unnamed port. */
  readonly name: string;
  /** -1: the slice lists no ports (CoreDNS's sentinel): A records only, no SRV. */
  readonly port: number;
  readonly protocol: string;
}

export type ServiceKind = 'ClusterIP' | 'Headless' | 'ExternalName';

export interface ServiceView {
  readonly namespace: string;
  readonly name: string;
  readonly kind: ServiceKind;
  readonly clusterIPs: readonly string[];
  readonly externalName: string;
  readonly ports: readonly PortView[];
}

export interface EndpointView {
  readonly ip: string;
  /** The endpoint's name under its Service: its hostname, else the dashed IP (1-2-3-4). */
  readonly hostname: string;
}

export interface SliceView {
  /** namespace/name of the Service it belongs to (label kubernetes.io/service-name). */
  readonly service: string;
  readonly ports: readonly PortView[];
  /** Ready endpoints only (ready unset counts as ready, as the API documents). */
  readonly endpoints: readonly EndpointView[];
}

export interface PodView {
  readonly namespace: string;
  readonly ips: readonly string[];
}

import { SERVICE_NAME_LABEL } from '@tugboat/api';

export { SERVICE_NAME_LABEL };

// ── Views of API objects ──────────────────────────────────────────────────────────────────

export function serviceView(svc: Service): ServiceView {
  const spec = svc.spec ?? {};
  const kind: ServiceKind = spec.type === 'ExternalName' ? 'ExternalName' : spec.clusterIP === 'None' ? 'Headless' : 'ClusterIP';
  const ips = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  return {
    namespace: svc.metadata?.namespace ?? '',
    name: svc.metadata?.name ?? '',
    kind,
    clusterIPs: kind === 'ClusterIP' ? ips.filter((ip) => ip && ip !== 'None') : [],
    externalName: kind === 'ExternalName' ? (spec.externalName ?? '').replace(/\.$/, '') : '',
    ports: (spec.ports ?? []).map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' })),
  };
}

/** Undefined for a slice DNS ignores: no service-name label, or FQDN addresses. */
export function sliceView(slice: EndpointSlice): SliceView | undefined {
  const svc = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  if (!svc || (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6')) return undefined;
  const ports: PortView[] = slice.ports?.length
    ? slice.ports.map((p) => ({ name: p.name ?? '', port: p.port ?? -1, protocol: p.protocol ?? 'TCP' }))
    : [{ name: '', port: -1, protocol: '' }];
  const endpoints: EndpointView[] = [];
  for (const ep of slice.endpoints ?? []) {
    if (ep.conditions?.ready === false) continue;
    for (const ip of ep.addresses ?? []) endpoints.push({ ip, hostname: (ep.hostname || dashedIP(ip)).toLowerCase() });
  }
  return { service: `${slice.metadata?.namespace ?? ''}/${svc}`, ports, endpoints };
}

/** Undefined for a pod that has no address yet or is terminating (CoreDNS drops those too). */
export function podView(pod: Pod): PodView | undefined {
  if (pod.metadata?.deletionTimestamp) return undefined;
  const ips = new Set<string>();
  if (pod.status?.podIP) ips.add(pod.status.podIP);
  for (const p of pod.status?.podIPs ?? []) if (p.ip) ips.add(p.ip);
  if (ips.size === 0) return undefined;
  return { namespace: pod.metadata?.namespace ?? '', ips: [...ips] };
}

const keyOf = (o: KubeObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

// ── The index ─────────────────────────────────────────────────────────────────────────────

export class ClusterIndex {
  private readonly namespaces = new Set<string>();
  private readonly services = new Map<string, ServiceView>();
  private readonly slices = new Map<string, SliceView>();
  /** service key → slice key → view. */
  private readonly slicesByService = new Map<string, Map<string, SliceView>>();
  private readonly pods = new Map<string, PodView>();
  /** "namespace/ip" → how many live pods have it (a restarted pod may briefly share it). */
  private readonly podIPs = new Map<string, number>();
  private reverseMap: Map<string, string[]> | undefined;
  private readonly listeners: (() => void)[] = [];
  private generation = 0;
  private modifiedSeconds: number;

  constructor(private readonly now: () => number = Date.now) {
    this.modifiedSeconds = Math.floor(now() / 1000);
  }

  /** Called after every change an answer can see (the server drops its cached responses). */
  onChange(fn: () => void): void { this.listeners.push(fn); }

  /** Grows by one on every change. */
  version(): number { return this.generation; }

  /** When the data last changed, in Unix seconds: the zone's SOA serial, as CoreDNS has it. */
  serial(): number { return this.modifiedSeconds >>> 0; }

  private changed(): void {
    this.generation++;
    this.modifiedSeconds = Math.floor(this.now() / 1000);
    this.reverseMap = undefined;
    for (const fn of this.listeners) fn();
  }

  // Writers: each returns whether anything an answer depends on changed.

  setNamespace(name: string, exists: boolean): boolean {
    if (this.namespaces.has(name) === exists) return false;
    if (exists) this.namespaces.add(name);
    else this.namespaces.delete(name);
    this.changed();
    return true;
  }

  setService(key: string, view: ServiceView | undefined): boolean {
    const old = this.services.get(key);
    if (view ? old !== undefined && same(old, view) : old === undefined) return false;
    if (view) this.services.set(key, view);
    else this.services.delete(key);
    this.changed();
    return true;
  }

  setSlice(key: string, view: SliceView | undefined): boolean {
    const old = this.slices.get(key);
    if (view ? old !== undefined && same(old, view) : old === undefined) return false;
    if (old) {
      const group = this.slicesByService.get(old.service);
      group?.delete(key);
      if (group?.size === 0) this.slicesByService.delete(old.service);
    }
    if (view) {
      this.slices.set(key, view);
      let group = this.slicesByService.get(view.service);
      if (!group) this.slicesByService.set(view.service, (group = new Map()));
      group.set(key, view);
    } else {
      this.slices.delete(key);
    }
    this.changed();
    return true;
  }

  setPod(key: string, view: PodView | undefined): boolean {
    const old = this.pods.get(key);
    if (view ? old !== undefined && same(old, view) : old === undefined) return false;
    if (old) {
      for (const ip of old.ips) {
        const k = `${old.namespace}/${ip}`;
        const n = (this.podIPs.get(k) ?? 0) - 1;
        if (n > 0) this.podIPs.set(k, n);
        else this.podIPs.delete(k);
      }
    }
    if (view) {
      this.pods.set(key, view);
      for (const ip of view.ips) {
        const k = `${view.namespace}/${ip}`;
        this.podIPs.set(k, (this.podIPs.get(k) ?? 0) + 1);
      }
    } else {
      this.pods.delete(key);
    }
    // Only the set of (namespace, IP) pairs is visible to DNS.
    const visible = !old || !view || old.namespace !== view.namespace || !same(old.ips, view.ips);
    if (visible) this.changed();
    return visible;
  }

  // Object-level conveniences for informer handlers.

  putService(svc: Service & KubeObject): boolean { return this.setService(keyOf(svc), serviceView(svc)); }
  removeService(svc: KubeObject): boolean { return this.setService(keyOf(svc), undefined); }
  putSlice(slice: EndpointSlice & KubeObject): boolean { return this.setSlice(keyOf(slice), sliceView(slice)); }
  removeSlice(slice: KubeObject): boolean { return this.setSlice(keyOf(slice), undefined); }
  putPod(pod: Pod & KubeObject): boolean { return this.setPod(keyOf(pod), podView(pod)); }
  removePod(pod: KubeObject): boolean { return this.setPod(keyOf(pod), undefined); }
  putNamespace(ns: Namespace & KubeObject): boolean {
    // A namespace being deleted still exists until it is gone, as the API has it.
    return this.setNamespace(ns.metadata?.name ?? '', true);
  }
  removeNamespace(ns: KubeObject): boolean { return this.setNamespace(ns.metadata?.name ?? '', false); }

  // Readers (resolve.ts).

  namespaceExists(namespace: string): boolean { return this.namespaces.has(namespace); }

  service(namespace: string, name: string): ServiceView | undefined { return this.services.get(`${namespace}/${name}`); }

  slicesOf(namespace: string, name: string): Iterable<SliceView> {
    return this.slicesByService.get(`${namespace}/${name}`)?.values() ?? [];
  }

  podHasIP(namespace: string, ip: string): boolean { return this.podIPs.has(`${namespace}/${ip}`); }

  /**
   * The names (without the zone) an address has: a Service's ClusterIP names the Service
   * (`web.default.svc`); otherwise each ready endpoint with it (`web-0.db.default.svc`). The
   * map is rebuilt on the first reverse lookup after a change.
   */
  reverse(ip: string): readonly string[] {
    if (!this.reverseMap) this.reverseMap = this.buildReverse();
    return this.reverseMap.get(canonicalIP(ip)) ?? [];
  }

  private buildReverse(): Map<string, string[]> {
    const byService = new Map<string, string[]>();
    for (const s of this.services.values()) {
      for (const ip of s.clusterIPs) {
        const k = canonicalIP(ip);
        if (!byService.has(k)) byService.set(k, [`${s.name}.${s.namespace}.svc`]);
      }
    }
    const map = new Map(byService);
    for (const [svcKey, group] of this.slicesByService) {
      const svcName = svcKey.slice(svcKey.indexOf('/') + 1);
      const ns = svcKey.slice(0, svcKey.indexOf('/'));
      for (const slice of group.values()) {
        for (const ep of slice.endpoints) {
          const k = canonicalIP(ep.ip);
          if (byService.has(k)) continue;
          const name = `${ep.hostname}.${svcName}.${ns}.svc`;
          const names = map.get(k);
          if (!names) map.set(k, [name]);
          else if (!names.includes(name)) names.push(name);
        }
      }
    }
    return map;
  }

  /** Counts, for logs and tests. */
  size(): { namespaces: number; services: number; slices: number; pods: number } {
    return { namespaces: this.namespaces.size, services: this.services.size, slices: this.slices.size, pods: this.pods.size };
  }
}
