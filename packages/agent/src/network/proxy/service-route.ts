// Host-originated traffic to a ClusterIP (the agent's host, and process-runtime pods, which are
// host processes). The kernel routes a locally made packet — choosing its source address —
// before the output hook runs, so a ClusterIP with no route at all fails with ENETUNREACH
// before the proxy's DNAT could rewrite it. Packets from pods and from outside are DNATed in
// prerouting, before any routing, and need nothing.
//
// What we found: with a default route (any real machine, the root namespace of a local
// cluster) the packet reaches the output hook, is DNATed there and routed again to its
// endpoint; no route is needed and none is added. Without a route that covers the ClusterIPs
// (a namespace holding only its own links, as a simulated host may), the proxy adds exactly
// one: the smallest prefix covering the ClusterIPs it serves,
//
//   ip route replace <prefix> dev lo src <node address> proto 85
//
// on lo, so that a packet nothing DNATs stays on the machine, and with the node's address as
// its source, so replies find their way back. It is ours by protocol number, changes with the
// prefix, and goes when a default route appears or the proxy stops.
import { formatIPv4, parseIPv4, parseIPv4Cidr, prefixMask } from '@tugboat/api';
import { run } from '../../system/subprocess.js';
import { isIPv4 } from './service-ports.js';

export const SERVICE_ROUTE_PROTO = 85;

/** The smallest CIDR that holds every address (undefined for none). Pure. */
export function coveringPrefix(ips: Iterable<string>): string | undefined {
  let lo: number | undefined;
  let hi: number | undefined;
  for (const ip of ips) {
    const n = parseIPv4(ip);
    if (n === undefined) continue;
    lo = lo === undefined ? n : Math.min(lo, n);
    hi = hi === undefined ? n : Math.max(hi, n);
  }
  if (lo === undefined || hi === undefined) return undefined;
  let bits = 32;
  while (bits > 0 && ((lo & prefixMask(bits)) >>> 0) !== ((hi & prefixMask(bits)) >>> 0)) bits--;
  return `${formatIPv4((lo & prefixMask(bits)) >>> 0)}/${bits}`;
}

/** A CIDR, or an address as its /32 (how `ip route` prints a host route). */
function asCidr(text: string): { base: number; prefix: number } | undefined {
  if (text.includes('/')) return parseIPv4Cidr(text);
  const n = parseIPv4(text);
  return n === undefined ? undefined : { base: n, prefix: 32 };
}

/** Whether `outer` holds all of `inner` (both CIDRs or addresses). Pure. */
export function cidrContains(outer: string, inner: string): boolean {
  const o = asCidr(outer);
  const i = asCidr(inner);
  if (!o || !i || i.prefix < o.prefix) return false;
  return ((i.base & prefixMask(o.prefix)) >>> 0) === o.base;
}

interface RouteJson { dst?: string; protocol?: string | number }

/** Whether a route other than ours already takes packets for `prefix` somewhere. Pure. */
export function prefixRouted(routes: readonly RouteJson[], prefix: string): boolean {
  return routes.some((r) => String(r.protocol ?? '') !== String(SERVICE_ROUTE_PROTO) && !!r.dst && (r.dst === 'default' || cidrContains(r.dst, prefix)));
}

export interface ServiceRouteOptions {
  /** The node's address (its InternalIP): the source of host-originated Service traffic. */
  readonly nodeIP: string;
  readonly log: (line: string) => void;
  /** Test hook: act in this network namespace. */
  readonly netns?: string;
}

export class ServiceRoute {
  /** The prefix our route covers now, if we added one. */
  private current: string | undefined;
  private lastNote = '';
  private readonly ip: (args: string[]) => ReturnType<typeof run>;

  constructor(private readonly options: ServiceRouteOptions) {
    const ns = options.netns;
    this.ip = (args) => run('ip', ns ? ['-n', ns, ...args] : args);
  }

  /** The route we keep, if any. */
  get prefix(): string | undefined { return this.current; }

  private note(line: string): void {
    if (line !== this.lastNote) this.options.log(line);
    this.lastNote = line;
  }

  /** Makes ClusterIPs in `prefix` routable for host-originated traffic if nothing else does. */
  async ensure(prefix: string | undefined): Promise<void> {
    if (!prefix) return this.remove();
    const res = await this.ip(['-4', '-j', 'route', 'show', 'table', 'main']);
    if (res.code !== 0) throw new Error(`ip route show: ${res.stderr.trim()}`);
    const routes = JSON.parse(res.stdout || '[]') as RouteJson[];
    if (prefixRouted(routes, prefix)) {
      await this.remove();
      this.note(`service proxy: host-originated ClusterIP traffic (${prefix}) takes this host's existing routes; no route added`);
      return;
    }
    if (this.current === prefix) return;
    const src = await this.sourceAddress();
    if (!src) {
      this.note(`service proxy: no route to ClusterIPs ${prefix} and no non-loopback address to add one from: the host and process-runtime pods cannot reach Services`);
      return;
    }
    const add = await this.ip(['-4', 'route', 'replace', prefix, 'dev', 'lo', 'src', src, 'proto', String(SERVICE_ROUTE_PROTO)]);
    if (add.code !== 0) throw new Error(`ip route replace ${prefix} dev lo src ${src}: ${add.stderr.trim()}`);
    const previous = this.current;
    this.current = prefix;
    if (previous && previous !== prefix) await this.ip(['-4', 'route', 'del', previous, 'proto', String(SERVICE_ROUTE_PROTO)]);
    this.note(`service proxy: no route covered ClusterIPs ${prefix}: added ${prefix} dev lo src ${src} proto ${SERVICE_ROUTE_PROTO}, so the host and process-runtime pods reach Services`);
  }

  async remove(): Promise<void> {
    if (!this.current) return;
    const res = await this.ip(['-4', 'route', 'del', this.current, 'proto', String(SERVICE_ROUTE_PROTO)]);
    if (res.code !== 0 && !/No such process/.test(res.stderr)) throw new Error(`ip route del ${this.current}: ${res.stderr.trim()}`);
    this.current = undefined;
  }

  /** The node's address when it is a usable source, else this host's first global address. */
  private async sourceAddress(): Promise<string | undefined> {
    const res = await this.ip(['-4', '-j', 'addr', 'show', 'scope', 'global']);
    if (res.code !== 0) return undefined;
    const links = JSON.parse(res.stdout || '[]') as { addr_info?: { local?: string }[] }[];
    const addresses = links.flatMap((l) => (l.addr_info ?? []).map((a) => a.local)).filter(isIPv4);
    return addresses.includes(this.options.nodeIP) ? this.options.nodeIP : addresses[0];
  }
}
