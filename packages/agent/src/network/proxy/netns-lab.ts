// A node and its pods in network namespaces made for a test or the bench, nothing in the
// caller's namespace: the "node" namespace holds a bridge for its pods and a link to an
// "outside" namespace, as a host has; pods are namespaces on the bridge; small node `net` /
// `dgram` servers and clients run inside them with `ip netns exec`. Addresses, all inside
// 198.18.0.0/15 and distinct per process (pid), are
//
//   pods        198.18.<2xx>.0/25   bridge (the node's side, the pods' gateway) .1, pods .10 …
//   outside     198.18.<2xx>.128/30 node .129 (its InternalIP), outside .130
//   root link   198.18.<2xx>.132/30 caller's namespace .133, node .134 (linkToRoot: to reach
//               an API server listening in the caller's namespace)
//
// The node namespace has no default route: host-originated Service traffic then needs the
// proxy's own route (service-route.ts).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { nftInstalled } from './nft.js';

export class LabError extends Error {
  override readonly name = 'LabError';
}

/** Why this lab cannot run here, or undefined. */
export function labUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (network namespaces need it)';
  if (spawnSync('ip', ['-V'], { stdio: 'ignore' }).status !== 0) return 'iproute2 (ip) is not installed';
  if (!nftInstalled()) return 'nft (nftables) is not installed';
  return undefined;
}

function sh(args: readonly string[]): string {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new LabError(`ip ${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`);
  return r.stdout;
}

const SERVER = `
const [kind, host, port, name] = process.argv.slice(1);
if (kind === 'tcp') {
  require('net').createServer((s) => { s.on('error', () => {}); s.end(name + ' ' + s.remoteAddress + '\\n'); })
    .listen(Number(port), host, () => console.log('ready'));
} else {
  const u = require('dgram').createSocket('udp4');
  u.on('message', (m, r) => u.send(name + ' ' + r.address + '\\n', r.port, r.address));
  u.bind(Number(port), host, () => console.log('ready'));
}`;

// One request: TCP connect and read, or a UDP datagram on a fresh socket and its answer;
// prints "ok <name> <source the server saw>" or "error <code>".
const CLIENT = `
const [kind, host, port, count, streamMs] = process.argv.slice(1);
function once() {
  return new Promise((resolve) => {
    let done = false;
    const finish = (line, close) => { if (!done) { done = true; close(); resolve(line); } };
    if (kind === 'tcp') {
      const s = require('net').connect(Number(port), host);
      let buf = '';
      s.setTimeout(1500, () => finish('error ETIMEDOUT', () => s.destroy()));
      s.on('data', (d) => { buf += d; });
      s.on('end', () => finish('ok ' + buf.trim(), () => s.destroy()));
      s.on('error', (e) => finish('error ' + e.code, () => s.destroy()));
    } else {
      const u = require('dgram').createSocket('udp4');
      const t = setTimeout(() => finish('error ETIMEDOUT', () => u.close()), 1500);
      u.on('message', (m) => finish('ok ' + String(m).trim(), () => { clearTimeout(t); u.close(); }));
      u.on('error', (e) => finish('error ' + e.code, () => { clearTimeout(t); u.close(); }));
      u.connect(Number(port), host, () => u.send('x'));
    }
  });
}
(async () => {
  const n = Number(count);
  for (let i = 0; n === 0 || i < n; i++) {
    console.log(await once());
    if (Number(streamMs) > 0) await new Promise((r) => setTimeout(r, Number(streamMs)));
  }
})();`;

export interface Reply {
  readonly ok: boolean;
  /** The server's name, or the error code. */
  readonly what: string;
  /** The source address the server saw. */
  readonly source?: string;
  /** When the caller read it (Date.now()). */
  readonly at: number;
}

function parseReply(line: string): Reply {
  const [status, what = '', source] = line.trim().split(/\s+/);
  return { ok: status === 'ok', what, ...(source ? { source } : {}), at: Date.now() };
}

export interface Pod {
  readonly ns: string;
  readonly ip: string;
}

export class NetnsLab {
  /** The third octet of every pod and link address: 198.18.<octet>.x. */
  readonly octet: number;
  readonly node: string;
  readonly outside: string;
  readonly gatewayIP: string;
  /** The node's address on its link to the outside (its InternalIP). */
  readonly nodeIP: string;
  readonly outsideIP: string;
  private readonly namespaces: string[] = [];
  private rootLink: string | undefined;
  private readonly children = new Set<ChildProcess>();
  private pods = 0;

  constructor(readonly tag = `tbp${process.pid}`) {
    this.octet = 200 + (process.pid % 50);
    this.node = `${tag}-node`;
    this.outside = `${tag}-out`;
    this.gatewayIP = `198.18.${this.octet}.1`;
    this.nodeIP = `198.18.${this.octet}.129`;
    this.outsideIP = `198.18.${this.octet}.130`;
  }

  private addNamespace(name: string): void {
    spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    sh(['netns', 'add', name]);
    this.namespaces.push(name);
    sh(['-n', name, 'link', 'set', 'lo', 'up']);
  }

  /** The node namespace with its pod bridge, and the outside namespace linked to it. */
  create(): this {
    this.addNamespace(this.node);
    this.addNamespace(this.outside);
    const n = this.node;
    sh(['-n', n, 'link', 'add', 'cbr0', 'type', 'bridge']);
    sh(['-n', n, 'addr', 'add', `${this.gatewayIP}/25`, 'dev', 'cbr0']);
    sh(['-n', n, 'link', 'set', 'cbr0', 'up']);
    sh(['-n', n, 'link', 'add', 'ext0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.outside]);
    sh(['-n', n, 'addr', 'add', `${this.nodeIP}/30`, 'dev', 'ext0']);
    sh(['-n', n, 'link', 'set', 'ext0', 'up']);
    sh(['-n', this.outside, 'addr', 'add', `${this.outsideIP}/30`, 'dev', 'eth0']);
    sh(['-n', this.outside, 'link', 'set', 'eth0', 'up']);
    sh(['-n', this.outside, 'route', 'add', 'default', 'via', this.nodeIP]);
    // A node forwards for its pods; bridged replies pass netfilter so conntrack un-NATs them (br_netfilter).
    spawnSync('ip', ['netns', 'exec', n, 'sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.bridge.bridge-nf-call-iptables=1'], { stdio: 'ignore' });
    return this;
  }

  /**
   * A link from the caller's namespace to the node (the only thing the lab puts there):
   * returns the caller's side and the node's side addresses.
   */
  linkToRoot(): { rootIP: string; nodeIP: string } {
    const name = `tbl${process.pid % 10_000_000}`;
    spawnSync('ip', ['link', 'del', name], { stdio: 'ignore' });
    sh(['link', 'add', name, 'type', 'veth', 'peer', 'name', 'root0', 'netns', this.node]);
    this.rootLink = name;
    const rootIP = `198.18.${this.octet}.133`;
    const nodeIP = `198.18.${this.octet}.134`;
    sh(['addr', 'add', `${rootIP}/30`, 'dev', name]);
    sh(['link', 'set', name, 'up']);
    sh(['-n', this.node, 'addr', 'add', `${nodeIP}/30`, 'dev', 'root0']);
    sh(['-n', this.node, 'link', 'set', 'root0', 'up']);
    return { rootIP, nodeIP };
  }

  /** A pod: a namespace on the node's bridge (hairpin on, as CNI's bridge plugin sets it). */
  addPod(name: string): Pod {
    const i = ++this.pods;
    const ns = `${this.tag}-${name}`;
    const ip = `198.18.${this.octet}.${10 + i}`;
    this.addNamespace(ns);
    sh(['-n', this.node, 'link', 'add', `vp${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    sh(['-n', this.node, 'link', 'set', `vp${i}`, 'master', 'cbr0']);
    sh(['-n', this.node, 'link', 'set', `vp${i}`, 'type', 'bridge_slave', 'hairpin', 'on']);
    sh(['-n', this.node, 'link', 'set', `vp${i}`, 'up']);
    sh(['-n', ns, 'addr', 'add', `${ip}/25`, 'dev', 'eth0']);
    sh(['-n', ns, 'link', 'set', 'eth0', 'up']);
    sh(['-n', ns, 'route', 'add', 'default', 'via', this.gatewayIP]);
    return { ns, ip };
  }

  private spawnNode(ns: string, script: string, args: readonly (string | number)[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script, ...args.map(String)], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  /** A server answering each connection (datagram) with `<name> <source address>`; resolves once it listens. */
  async serve(ns: string, kind: 'tcp' | 'udp', host: string, port: number, name: string): Promise<void> {
    const child = this.spawnNode(ns, SERVER, [kind, host, port, name]);
    let err = '';
    child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
    await new Promise<void>((resolve, reject) => {
      child.stdout?.once('data', () => resolve());
      child.once('exit', (code) => reject(new LabError(`${kind} server ${name} in ${ns} exited ${code}: ${err.trim()}`)));
    });
  }

  /** `count` requests one after another from `ns`, their replies in order. */
  async request(ns: string, kind: 'tcp' | 'udp', host: string, port: number, count: number): Promise<Reply[]> {
    const child = this.spawnNode(ns, CLIENT, [kind, host, port, count, 0]);
    const replies: Reply[] = [];
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    for await (const line of lines) {
      replies.push(parseReply(line));
      if (replies.length >= count) break;
    }
    child.kill();
    return replies;
  }

  /** Requests every `intervalMs` until stopped; each reply goes to `onReply` as it comes. */
  stream(ns: string, kind: 'tcp' | 'udp', host: string, port: number, intervalMs: number, onReply: (r: Reply) => void): { stop(): void } {
    const child = this.spawnNode(ns, CLIENT, [kind, host, port, 0, intervalMs]);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (l) => onReply(parseReply(l)));
    return { stop: () => { lines.close(); child.kill(); } };
  }

  /** `ip` in a namespace of the lab. */
  ip(ns: string, ...args: string[]): string {
    return sh(['-n', ns, ...args]);
  }

  /** Kills what runs in the lab and deletes its namespaces (links go with them). */
  destroy(): void {
    for (const c of this.children) c.kill('SIGKILL');
    for (const ns of this.namespaces.reverse()) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    this.namespaces.length = 0;
    // Gone with its peer in the node's namespace; deleted here in case that failed.
    if (this.rootLink) spawnSync('ip', ['link', 'del', this.rootLink], { stdio: 'ignore' });
    this.rootLink = undefined;
  }
}
