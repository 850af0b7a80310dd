// The DNS server: UDP and TCP on one address, answering from the index through resolve(),
// forwarding what is outside the cluster domain to `--upstream` (NXDOMAIN without one).
//
//   datagram / TCP frame ─▶ cache (query bytes after the ID) ─hit─▶ copy, patch the ID, send
//                               │ miss
//                               ▼
//                         decode (dns-packet) ─▶ resolve(index) ─▶ encode ─▶ cache ─▶ send
//                                                   │ outside the zone (or an ExternalName
//                                                   ▼ CNAME out of it, to follow)
//                                               Forwarder ─▶ send (never cached)
//
// A response depends only on the query's bytes after the ID (flags, question, EDNS) and on
// the index, so encoded responses are kept per transport, keyed by those bytes, and all
// dropped when the index changes. A hit costs a map lookup and a 2-byte patch.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Answer } from 'dns-packet';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { createServer, isIP, isIPv6, type Server, type Socket as TcpSocket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { formatHostPort, parseHostPort, type HostPort } from '@tugboat/api';
import type { ClusterIndex } from './cluster-index.js';
import { Forwarder } from './forward.js';
import { typeLabel, type DnsMetrics, type Series } from './metrics.js';
import { inZone } from './names.js';
import { resolve, type Resolution, type ZoneConfig } from './resolve.js';
import { answersOf, decodeQuery, encodeQuery, encodeResponse, maxResponseSize, responseRcode, type Query, type RcodeName } from './wire.js';

export interface DnsServerOptions {
  /** HOST:PORT for UDP and TCP; port 0 picks one free for both. */
  readonly listen: string;
  /** The flag named in errors (default --listen). */
  readonly flag?: string;
  readonly index: ClusterIndex;
  readonly zone: ZoneConfig;
  readonly metrics: DnsMetrics;
  readonly upstreams?: readonly HostPort[];
  /** Until true, a name in the zone that is not found is SERVFAIL, not NXDOMAIN (CoreDNS's rule). */
  readonly synced?: () => boolean;
  /** Encoded responses kept per transport (default 10,000); the oldest goes first. */
  readonly maxCachedResponses?: number;
  /** How long an idle TCP connection is kept (default 10 s, CoreDNS's read timeout). */
  readonly tcpIdleMs?: number;
  readonly log?: (line: string) => void;
}

interface Cached {
  readonly buf: Buffer;
  readonly series: Series;
}

/** One transport of the server: its label values and its cached responses. */
interface Listener {
  readonly transport: 'udp' | 'tcp';
  readonly family: '1' | '2';
  readonly server: string;
  readonly cache: Map<string, Cached>;
}

type Reply = Buffer | Promise<Buffer | undefined> | undefined;

export class DnsServer {
  private readonly udpListener: Listener;
  private readonly tcpListener: Listener;
  private readonly forwarder: Forwarder | undefined;
  private readonly maxCached: number;
  private readonly connections = new Set<TcpSocket>();

  private constructor(
    private readonly opts: DnsServerOptions,
    private readonly udp: Socket,
    private readonly tcp: Server,
    /** HOST:PORT bound. */
    readonly address: string,
  ) {
    const family = isIPv6(parseHostPort(address, 'address').host) ? '2' : '1';
    const server = `dns://${address}`;
    this.udpListener = { transport: 'udp', family, server, cache: new Map() };
    this.tcpListener = { transport: 'tcp', family, server, cache: new Map() };
    this.forwarder = opts.upstreams?.length ? new Forwarder(opts.upstreams) : undefined;
    this.maxCached = opts.maxCachedResponses ?? 10_000;
    opts.index.onChange(() => this.dropCache());
    udp.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo));
    tcp.on('connection', (sock) => this.onConnection(sock));
  }

  /** Binds UDP and TCP on the same port; rejects with one line naming the flag. */
  static async start(opts: DnsServerOptions): Promise<DnsServer> {
    const flag = opts.flag ?? '--listen';
    const { host, port } = parseHostPort(opts.listen, flag);
    // With port 0 the UDP port is picked first; TCP may find it taken, so try a few.
    for (let attempt = 0; ; attempt++) {
      const udp = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', lookup: literalLookup });
      const udpPort = await new Promise<number>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, host, () => { udp.removeListener('error', reject); resolve(udp.address().port); });
      }).catch((e: NodeJS.ErrnoException) => {
        udp.close();
        throw new Error(bindError(flag, opts.listen, 'udp', e));
      });
      const tcp = createServer();
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen(udpPort, host, () => { tcp.removeListener('error', reject); resolve(); });
        });
      } catch (e) {
        udp.close();
        tcp.close();
        if (port === 0 && (e as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 10) continue;
        throw new Error(bindError(flag, opts.listen, 'tcp', e as NodeJS.ErrnoException));
      }
      // Bursts of queries must not overflow the kernel's default receive buffer.
      try { udp.setRecvBufferSize(4 * 1024 * 1024); } catch { /* capped by net.core.rmem_max: keep the default */ }
      udp.on('error', (e) => opts.log?.(`udp: ${e.message}`));
      tcp.maxConnections = 1_000;
      return new DnsServer(opts, udp, tcp, formatHostPort({ host, port: udpPort }));
    }
  }

  get port(): number {
    return this.udp.address().port;
  }

  async close(): Promise<void> {
    this.forwarder?.close();
    for (const c of this.connections) c.destroy();
    await Promise.all([
      new Promise<void>((r) => this.udp.close(() => r())),
      new Promise<void>((r) => this.tcp.close(() => r())),
    ]);
  }

  /** Forgets every encoded response (the index changed). */
  dropCache(): void {
    this.udpListener.cache.clear();
    this.tcpListener.cache.clear();
  }

  cachedResponses(): number {
    return this.udpListener.cache.size + this.tcpListener.cache.size;
  }

  // ── transports ──────────────────────────────────────────────────────────────────────────

  private onDatagram(msg: Buffer, rinfo: RemoteInfo): void {
    const reply = this.answer(msg, this.udpListener, performance.now());
    if (reply === undefined) return;
    if (reply instanceof Promise) void reply.then((r) => { if (r) this.udp.send(r, rinfo.port, rinfo.address); });
    else this.udp.send(reply, rinfo.port, rinfo.address);
  }

  private onConnection(sock: TcpSocket): void {
    this.connections.add(sock);
    sock.setNoDelay(true);
    sock.setTimeout(this.opts.tcpIdleMs ?? 10_000, () => sock.destroy());
    sock.on('error', () => undefined);
    sock.on('close', () => this.connections.delete(sock));
    let pending: Buffer = Buffer.alloc(0);
    const send = (r: Buffer | undefined): void => {
      if (!r || sock.destroyed) return;
      const len = Buffer.allocUnsafe(2);
      len.writeUInt16BE(r.length, 0);
      sock.write(Buffer.concat([len, r]));
    };
    // Messages are framed by a 2-byte length (RFC 1035 4.2.2); several may come in one read,
    // and answers may go back in any order (RFC 7766 6.2.1.1).
    sock.on('data', (d: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, d]) : d;
      while (pending.length >= 2) {
        const n = pending.readUInt16BE(0);
        if (pending.length < 2 + n) break;
        const msg = pending.subarray(2, 2 + n);
        pending = pending.subarray(2 + n);
        const reply = this.answer(msg, this.tcpListener, performance.now());
        if (reply instanceof Promise) void reply.then(send);
        else send(reply);
      }
    });
  }

  // ── answering ───────────────────────────────────────────────────────────────────────────

  /** The reply to one message: at once from the cache or the index, later when forwarded. */
  private answer(msg: Buffer, l: Listener, started: number): Reply {
    if (msg.length < 12) return undefined;
    const key = msg.toString('latin1', 2);
    const hit = l.cache.get(key);
    if (hit) {
      const out = Buffer.allocUnsafe(hit.buf.length);
      hit.buf.copy(out);
      out[0] = msg[0]!;
      out[1] = msg[1]!;
      hit.series.count((performance.now() - started) / 1000);
      return out;
    }
    return this.answerSlow(msg, key, l, started);
  }

  private series(l: Listener, zone: string, type: string, rcode: string, plugin: string): Series {
    return this.opts.metrics.seriesFor({ server: l.server, zone, proto: l.transport, family: l.family, type: typeLabel(type), rcode, plugin });
  }

  private answerSlow(msg: Buffer, key: string, l: Listener, started: number): Reply {
    const decoded = decodeQuery(msg);
    if (!decoded.ok) {
      if (decoded.id === undefined) return undefined;
      const out = encodeResponse({ id: decoded.id, flags: decoded.flags }, { rcode: decoded.rcode, authoritative: false, recursionAvailable: false }, 512);
      this.series(l, '.', 'other', decoded.rcode, '').count((performance.now() - started) / 1000);
      return out;
    }
    const q = decoded.query;
    const max = maxResponseSize(q, l.transport);
    const done = (out: Buffer, zone: string, rcode: string, plugin: string, cache: boolean): Buffer => {
      const series = this.series(l, zone, q.question.type, rcode, plugin);
      if (cache) this.remember(l, key, out, series);
      series.count((performance.now() - started) / 1000);
      return out;
    };
    const reply = (rcode: RcodeName, zone: string, cache: boolean): Buffer =>
      done(encodeResponse(q, { rcode, authoritative: false, recursionAvailable: false }, max), zone, rcode, '', cache);

    if (q.edns && q.edns.version > 0) return reply('BADVERS', '.', true);
    if (q.question.class !== undefined && q.question.class !== 'IN' && q.question.class !== 'ANY') return reply('REFUSED', '.', true);

    const res = resolve(this.opts.index, this.opts.zone, q.question.name, q.question.type);
    switch (res.kind) {
      case 'authoritative': {
        if (res.rcode === 'NXDOMAIN' && !(this.opts.synced?.() ?? true)) return reply('SERVFAIL', res.zone, false);
        const cname = res.answers[res.answers.length - 1];
        if (this.forwarder && cname?.type === 'CNAME' && (q.question.type === 'A' || q.question.type === 'AAAA') && !inZone(cname.data.toLowerCase(), this.opts.zone.zone)) {
          return this.chase(q, res, cname.data, l, started);
        }
        const out = encodeResponse(q, { rcode: res.rcode, authoritative: true, recursionAvailable: false, answers: res.answers, authorities: res.authorities, additionals: res.additionals }, max);
        return done(out, res.zone, res.rcode, 'kubernetes', true);
      }
      case 'refused':
        return reply('REFUSED', res.zone, true);
      case 'outside':
        if (!this.forwarder) return reply('NXDOMAIN', '.', true);
        return this.forward(msg, q, l, started);
    }
  }

  private async forward(msg: Buffer, q: Query, l: Listener, started: number): Promise<Buffer> {
    let out: Buffer;
    let plugin = 'forward';
    try {
      out = await this.forwarder!.forward(msg, l.transport);
    } catch (e) {
      this.opts.log?.(`forward ${q.question.name} ${q.question.type}: ${e instanceof Error ? e.message : String(e)}`);
      out = encodeResponse(q, { rcode: 'SERVFAIL', authoritative: false, recursionAvailable: false }, maxResponseSize(q, l.transport));
      plugin = '';
    }
    this.series(l, '.', q.question.type, responseRcode(out), plugin).count((performance.now() - started) / 1000);
    return out;
  }

  /**
   * An ExternalName's CNAME to a name outside the zone: its addresses are asked of the
   * upstream and appended, as CoreDNS does, since stub resolvers do not follow a CNAME
   * themselves. Not cached (the upstream's records have TTLs of their own); without an
   * answer from upstream the CNAME alone goes back.
   */
  private async chase(q: Query, res: Extract<Resolution, { kind: 'authoritative' }>, target: string, l: Listener, started: number): Promise<Buffer> {
    let extra: Answer[] = [];
    try {
      const reply = await this.forwarder!.forward(encodeQuery(target, q.question.type, q.id), l.transport);
      extra = answersOf(reply).filter((a) => a.type === 'CNAME' || a.type === q.question.type);
    } catch (e) {
      this.opts.log?.(`follow CNAME ${target}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const out = encodeResponse(q, { rcode: 'NOERROR', authoritative: true, recursionAvailable: false, answers: [...res.answers, ...extra], additionals: res.additionals }, maxResponseSize(q, l.transport));
    this.series(l, res.zone, q.question.type, 'NOERROR', 'kubernetes').count((performance.now() - started) / 1000);
    return out;
  }

  private remember(l: Listener, key: string, buf: Buffer, series: Series): void {
    if (l.cache.size >= this.maxCached) {
      const oldest = l.cache.keys().next();
      if (!oldest.done) l.cache.delete(oldest.value);
    }
    l.cache.set(key, { buf, series });
  }
}

/**
 * dgram resolves every destination before sending, even an IP literal, through dns.lookup on
 * the next tick. Replies go to the sender's address, always a literal: pass it through (a
 * name, as --listen may give, still goes to dns.lookup).
 */
function literalLookup(address: string, options: LookupOneOptions | number, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  const kind = isIP(address);
  if (kind) callback(null, address, kind);
  // dgram passes the family as a number (its lookup4 / lookup6).
  else dnsLookup(address, typeof options === 'number' ? { family: options } : options, callback);
}

function bindError(flag: string, listen: string, proto: string, e: NodeJS.ErrnoException): string {
  const why = e.code === 'EADDRINUSE' ? 'address already in use' : e.code === 'EACCES' ? 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)' : e.message;
  return `${flag} ${listen}: ${proto}: ${why}`;
}
