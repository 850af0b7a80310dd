// Forwarding names outside the cluster domain to upstream servers (`--upstream`), as CoreDNS's
// forward plugin does: UDP queries over UDP and TCP queries over TCP, the same message with
// only its ID changed, the answer passed back as the upstream wrote it. Upstreams are tried
// in turn; the one that answered last is asked first next time.
import { createSocket, type Socket } from 'node:dgram';
import { connect, isIPv6 } from 'node:net';
import { formatHostPort, type HostPort } from '@tugboat/api';

interface Pending {
  readonly upstream: HostPort;
  readonly originalId: number;
  readonly resolve: (buf: Buffer) => void;
  readonly timer: NodeJS.Timeout;
}

export class ForwardError extends Error {
  override readonly name = 'ForwardError';
}

export class Forwarder {
  private readonly pending = new Map<number, Pending>();
  private udp4: Socket | undefined;
  private udp6: Socket | undefined;
  private preferred = 0;
  private closed = false;

  constructor(readonly upstreams: readonly HostPort[], private readonly timeoutMs = 2_000) {}

  /** The upstream's answer to `query` (its ID restored), or a ForwardError when none answers. */
  async forward(query: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer> {
    const errors: string[] = [];
    for (let i = 0; i < this.upstreams.length; i++) {
      const n = (this.preferred + i) % this.upstreams.length;
      const upstream = this.upstreams[n]!;
      try {
        const answer = transport === 'udp' ? await this.overUdp(query, upstream) : await this.overTcp(query, upstream);
        this.preferred = n;
        return answer;
      } catch (e) {
        errors.push(`${formatHostPort(upstream)}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    throw new ForwardError(`no upstream answered: ${errors.join('; ')}`);
  }

  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    this.udp4?.close();
    this.udp6?.close();
  }

  private socketFor(host: string): Socket {
    const v6 = isIPv6(host);
    let s = v6 ? this.udp6 : this.udp4;
    if (!s) {
      s = createSocket(v6 ? 'udp6' : 'udp4');
      s.on('message', (msg, rinfo) => this.onAnswer(msg, rinfo.address, rinfo.port));
      // A send error (unreachable upstream) shows up as the timeout of that query.
      s.on('error', () => undefined);
      s.unref();
      if (v6) this.udp6 = s;
      else this.udp4 = s;
    }
    return s;
  }

  private onAnswer(msg: Buffer, address: string, port: number): void {
    if (msg.length < 12) return;
    const id = msg.readUInt16BE(0);
    const p = this.pending.get(id);
    // Only the upstream we asked may answer (a stray packet must not complete a query).
    if (!p || p.upstream.port !== port || p.upstream.host !== address) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    const out = Buffer.from(msg);
    out.writeUInt16BE(p.originalId, 0);
    p.resolve(out);
  }

  private freeId(): number {
    for (;;) {
      const id = Math.floor(Math.random() * 0x10000);
      if (!this.pending.has(id)) return id;
    }
  }

  private overUdp(query: Buffer, upstream: HostPort): Promise<Buffer> {
    if (this.closed) return Promise.reject(new ForwardError('forwarder closed'));
    return new Promise((resolve, reject) => {
      const id = this.freeId();
      const out = Buffer.from(query);
      out.writeUInt16BE(id, 0);
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ForwardError(`no answer in ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { upstream, originalId: query.readUInt16BE(0), resolve, timer });
      this.socketFor(upstream.host).send(out, upstream.port, upstream.host, (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new ForwardError(err.message));
      });
    });
  }

  private overTcp(query: Buffer, upstream: HostPort): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const sock = connect({ host: upstream.host, port: upstream.port });
      let got = Buffer.alloc(0);
      const fail = (why: string): void => { sock.destroy(); reject(new ForwardError(why)); };
      sock.setTimeout(this.timeoutMs, () => fail(`no answer in ${this.timeoutMs} ms`));
      sock.on('error', (e) => fail(e.message));
      sock.on('connect', () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(query.length);
        sock.write(Buffer.concat([len, query]));
      });
      sock.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
        if (got.length < 2) return;
        const n = got.readUInt16BE(0);
        if (got.length < 2 + n) return;
        sock.end();
        resolve(got.subarray(2, 2 + n));
      });
      sock.on('end', () => fail('connection closed before an answer'));
    });
  }
}
