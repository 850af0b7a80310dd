// ClusterIPs and node ports for Services, as Kubernetes' allocators hand them out: a ClusterIP
// from the service range (--service-cluster-ip-range), node ports from theirs
// (--service-node-port-range), asked for or picked at random, never the same twice.
//
// Each taken address is one etcd key (/registry/ranges/serviceips/<ip>,
// /registry/ranges/servicenodeports/<port>-<protocol>, valued with its Service), created in the
// SAME transaction as the Service that takes it (Storage.commit): two Services racing for an
// address cannot both win, and a failed create leaves nothing behind. Releases happen after a
// Service lets go (deleted, node ports removed); `repair` gives back any a crash left taken, as
// Kubernetes' repair controllers do.
import { ApiError, cidrSize, formatIPv4, formatIPv4Cidr, parseIPv4, parseIPv4Cidr, type FieldError, type KubeObject, type Service, type ServicePort } from '@tugboat/api';
import type { Storage, TxnOp } from '../storage/storage.js';

export const IP_PREFIX = '/registry/ranges/serviceips/';
export const PORT_PREFIX = '/registry/ranges/servicenodeports/';
export const DEFAULT_SERVICE_CLUSTER_IP_RANGE = '198.19.0.0/17';
export const DEFAULT_NODE_PORT_RANGE = '30000-32767';

type ServiceObject = Service & KubeObject;

export interface Cidr {
  readonly text: string;
  readonly base: number;
  readonly size: number;
}

export function parseCidr(text: string, flag: string): Cidr {
  const c = parseIPv4Cidr(text);
  if (!c || c.prefix < 8 || c.prefix > 30) throw new Error(`${flag}: expected an IPv4 CIDR from /8 to /30, got ${JSON.stringify(text)}`);
  return { text: formatIPv4Cidr(c), base: c.base, size: cidrSize(c.prefix) };
}

export function parsePortRange(text: string, flag: string): { min: number; max: number } {
  const m = /^(\d+)-(\d+)$/.exec(text);
  const min = m ? Number(m[1]) : NaN;
  const max = m ? Number(m[2]) : NaN;
  if (!m || min < 1 || max > 65535 || min > max) throw new Error(`${flag}: expected a port range like 30000-32767, got ${JSON.stringify(text)}`);
  return { min, max };
}

export interface ServiceRanges {
  readonly clusterIPs: Cidr;
  readonly nodePorts: { readonly min: number; readonly max: number };
}

const ipKey = (ip: string): string => `${IP_PREFIX}${ip}`;
const portKey = (port: number, protocol: string): string => `${PORT_PREFIX}${port}-${protocol}`;
const owner = (svc: KubeObject): string => `${svc.metadata?.namespace ?? ''}/${svc.metadata?.name ?? ''}`;
const needsClusterIP = (svc: ServiceObject): boolean => svc.spec?.type !== 'ExternalName' && svc.spec?.clusterIP !== 'None';
const needsNodePorts = (svc: ServiceObject): boolean => svc.spec?.type === 'NodePort' || svc.spec?.type === 'LoadBalancer';

/** What a Service write takes and gives back: the object with its addresses, keys to create, keys to release after. */
export interface AllocationPlan {
  readonly object: KubeObject;
  readonly take: readonly TxnOp[];
  /** Addresses picked at random (a clash means: pick again), as opposed to asked for. */
  readonly picked: ReadonlySet<string>;
  readonly release: readonly string[];
}

function invalidService(svc: KubeObject, errors: FieldError[]): ApiError {
  return ApiError.invalid('Service', svc.metadata?.name ?? '', errors);
}

export class ServiceAllocator {
  constructor(private readonly storage: Storage, readonly ranges: ServiceRanges, private readonly random: () => number = Math.random) {}

  private inRange(ip: string): boolean {
    const n = parseIPv4(ip);
    return n !== undefined && n > this.ranges.clusterIPs.base && n < this.ranges.clusterIPs.base + this.ranges.clusterIPs.size - 1;
  }

  private async taken(prefix: string): Promise<Set<string>> {
    const page = await this.storage.list(prefix);
    return new Set(page.items.map((kv) => kv.key.slice(prefix.length)));
  }

  /** A free ClusterIP at random, keeping the range's first address for the cluster's own Service (Kubernetes' rule). */
  private async freeIP(avoid: ReadonlySet<string>): Promise<string> {
    const taken = await this.taken(IP_PREFIX);
    const { base, size } = this.ranges.clusterIPs;
    const usable = size - 3;
    for (let tries = 0; tries < 64; tries++) {
      const ip = formatIPv4(base + 2 + Math.floor(this.random() * usable));
      if (!taken.has(ip) && !avoid.has(ip)) return ip;
    }
    for (let n = base + 2; n < base + size - 1; n++) if (!taken.has(formatIPv4(n)) && !avoid.has(formatIPv4(n))) return formatIPv4(n);
    throw new ApiError('Internal', `no ClusterIP is free in ${this.ranges.clusterIPs.text}`);
  }

  private async freePort(protocol: string, avoid: ReadonlySet<string>): Promise<number> {
    const taken = await this.taken(PORT_PREFIX);
    const { min, max } = this.ranges.nodePorts;
    for (let tries = 0; tries < 64; tries++) {
      const port = min + Math.floor(this.random() * (max - min + 1));
      const k = `${port}-${protocol}`;
      if (!taken.has(k) && !avoid.has(k)) return port;
    }
    for (let port = min; port <= max; port++) if (!taken.has(`${port}-${protocol}`) && !avoid.has(`${port}-${protocol}`)) return port;
    throw new ApiError('Internal', `no node port is free in ${min}-${max}`);
  }

  /**
   * The Service as it will be stored, and what it takes. `old` on an update: what it has is
   * kept (an update that leaves out its ClusterIP or node ports keeps them, as Kubernetes'
   * patchAllocatedValues does) and what it no longer uses is released.
   */
  async plan(input: KubeObject, old?: KubeObject): Promise<AllocationPlan> {
    const svc = structuredClone(input) as ServiceObject;
    const prev = old as ServiceObject | undefined;
    const spec = svc.spec ?? (svc.spec = {});
    const take: TxnOp[] = [];
    const picked = new Set<string>();
    const release: string[] = [];
    const errors: FieldError[] = [];
    const value = owner(svc);

    // ClusterIP.
    const hadIP = prev?.spec?.clusterIP && prev.spec.clusterIP !== 'None' ? prev.spec.clusterIP : undefined;
    if (needsClusterIP(svc)) {
      if (!spec.clusterIP && hadIP && prev?.spec?.type !== 'ExternalName') spec.clusterIP = hadIP;
      if (spec.clusterIP && spec.clusterIP !== hadIP) {
        if (!this.inRange(spec.clusterIP)) {
          errors.push({ path: 'spec.clusterIPs', type: 'Invalid', value: [spec.clusterIP], detail: `failed to allocate IP ${spec.clusterIP}: provided IP (${spec.clusterIP}) is not in the valid range. The range of valid IPs is ${this.ranges.clusterIPs.text}` });
        } else {
          take.push({ type: 'create', key: ipKey(spec.clusterIP), value });
        }
      } else if (!spec.clusterIP) {
        spec.clusterIP = await this.freeIP(new Set());
        take.push({ type: 'create', key: ipKey(spec.clusterIP), value });
        picked.add(ipKey(spec.clusterIP));
      }
      spec.clusterIPs = [spec.clusterIP];
      spec.ipFamilies = ['IPv4'];
      spec.ipFamilyPolicy ??= 'SingleStack';
    } else if (spec.clusterIP === 'None') {
      spec.clusterIPs = ['None'];
      spec.ipFamilies = ['IPv4'];
      spec.ipFamilyPolicy ??= 'SingleStack';
    }
    if (hadIP && hadIP !== spec.clusterIP) release.push(ipKey(hadIP));

    // Node ports.
    const had = new Map<string, number>();
    for (const p of prev?.spec?.ports ?? []) if (p.nodePort) had.set(`${p.port}/${p.protocol ?? 'TCP'}`, p.nodePort);
    const hadKeys = new Set([...(prev?.spec?.ports ?? [])].filter((p) => p.nodePort).map((p) => portKey(p.nodePort!, p.protocol ?? 'TCP')));
    const keep = new Set<string>();
    if (needsNodePorts(svc)) {
      const avoid = new Set<string>();
      for (const [i, p] of (spec.ports ?? []).entries()) {
        const protocol = p.protocol ?? 'TCP';
        const port: ServicePort = p;
        if (!port.nodePort) {
          const before = prev?.spec?.type === svc.spec?.type ? had.get(`${port.port}/${protocol}`) : undefined;
          if (before) port.nodePort = before;
        }
        if (port.nodePort) {
          const k = portKey(port.nodePort, protocol);
          if (hadKeys.has(k)) { keep.add(k); continue; }
          const { min, max } = this.ranges.nodePorts;
          if (port.nodePort < min || port.nodePort > max) {
            errors.push({ path: `spec.ports[${i}].nodePort`, type: 'Invalid', value: port.nodePort, detail: `provided port is not in the valid range. The range of valid ports is ${min}-${max}` });
            continue;
          }
          take.push({ type: 'create', key: k, value });
          avoid.add(`${port.nodePort}-${protocol}`);
        } else {
          port.nodePort = await this.freePort(protocol, avoid);
          const k = portKey(port.nodePort, protocol);
          take.push({ type: 'create', key: k, value });
          picked.add(k);
          avoid.add(`${port.nodePort}-${protocol}`);
        }
      }
    }
    for (const k of hadKeys) if (!keep.has(k)) release.push(k);
    if (errors.length) throw invalidService(svc, errors);
    return { object: svc, take, picked, release };
  }

  /** The error for an address another Service took first (asked for, not picked). */
  takenError(svc: KubeObject, key: string): ApiError {
    const s = svc as ServiceObject;
    if (key.startsWith(IP_PREFIX)) {
      const ip = key.slice(IP_PREFIX.length);
      return invalidService(svc, [{ path: 'spec.clusterIPs', type: 'Invalid', value: [ip], detail: `failed to allocate IP ${ip}: provided IP is already allocated` }]);
    }
    const [port, protocol] = key.slice(PORT_PREFIX.length).split('-');
    const i = (s.spec?.ports ?? []).findIndex((p) => String(p.nodePort) === port && (p.protocol ?? 'TCP') === protocol);
    return invalidService(svc, [{ path: `spec.ports[${Math.max(i, 0)}].nodePort`, type: 'Invalid', value: Number(port), detail: 'provided port is already allocated' }]);
  }

  /** Everything a Service holds (when it goes). */
  held(svc: KubeObject): string[] {
    const s = svc as ServiceObject;
    const keys: string[] = [];
    if (s.spec?.clusterIP && s.spec.clusterIP !== 'None') keys.push(ipKey(s.spec.clusterIP));
    for (const p of s.spec?.ports ?? []) if (p.nodePort) keys.push(portKey(p.nodePort, p.protocol ?? 'TCP'));
    return keys;
  }

  /** Gives addresses back, if `svc` still holds them; a failure is left for repair. */
  async release(svc: KubeObject, keys: readonly string[]): Promise<void> {
    const who = owner(svc);
    for (const key of keys) {
      try {
        const kv = await this.storage.get(key);
        if (kv && kv.value === who) await this.storage.delete(key, kv.modRevision);
      } catch {
        // etcd away: repair gives it back later.
      }
    }
  }

  /**
   * Gives back every address no Service holds (a crash between a Service going and its
   * release). Allocations are read before Services, so one made with a new Service is seen
   * with it and kept.
   */
  async repair(services: () => Promise<readonly KubeObject[]>): Promise<number> {
    const allocations = [...(await this.storage.list(IP_PREFIX)).items, ...(await this.storage.list(PORT_PREFIX)).items];
    const live = new Set<string>();
    for (const s of await services()) for (const k of this.held(s)) live.add(`${k}=${owner(s)}`);
    let released = 0;
    for (const kv of allocations) {
      if (live.has(`${kv.key}=${kv.value}`)) continue;
      const res = await this.storage.delete(kv.key, kv.modRevision);
      if (res.ok) released++;
    }
    return released;
  }
}
