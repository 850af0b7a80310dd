// The local oci cluster's addresses, and with --hosts its simulated servers.
//
// Every oci cluster on this machine claims a network slot (0–5) for as long as its
// $TUGBOAT_HOME holds it (until `down --purge`), so two clusters never share a pod subnet, a
// service range or a bridge:
//
//   slot i ─▶ pods      198.18.(16i).0/20    one /24 per node, from the node IPAM controller
//             services  198.19.(16i).0/20    .1 reserved (kubernetes), .10 the cluster DNS
//             hosts     198.19.(240+i).0/24  bridge tbhost<i> in this namespace at .1; with
//                                            --hosts node-k is network namespace
//                                            tugboat-<i>-node-k at .(10+k), its default route
//                                            via .1
//
// All of it inside 198.18.0.0/15 (benchmarking addresses, never routed on the internet), and
// apart from what the tests use on their own (198.18.100–249.0/24, 198.19.254–255.0/24).
// Claims are files named by slot holding the home that owns them; a claim whose home is gone
// (or names another slot) is free again.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CliError } from '../errors.js';
import { readState } from './state.js';

export const NETWORK_SLOTS = 6;

export interface ClusterNetwork {
  readonly slot: number;
  /** --cluster-cidr for the node IPAM controller. */
  readonly clusterCIDR: string;
  /** The API server's --service-cluster-ip-range. */
  readonly serviceRange: string;
  /** The kube-dns Service's ClusterIP (agents' --cluster-dns). */
  readonly dnsIP: string;
  /** The bridge in this (the root) network namespace, and its address. */
  readonly bridge: string;
  readonly bridgeAddress: string;
  readonly prefixLength: 24;
}

/** The addresses of a slot. Pure. */
export function clusterNetwork(slot: number): ClusterNetwork {
  if (!Number.isInteger(slot) || slot < 0 || slot >= NETWORK_SLOTS) throw new Error(`network slot ${slot} is not 0–${NETWORK_SLOTS - 1}`);
  return {
    slot,
    clusterCIDR: `198.18.${16 * slot}.0/20`,
    serviceRange: `198.19.${16 * slot}.0/20`,
    dnsIP: `198.19.${16 * slot}.10`,
    bridge: `tbhost${slot}`,
    bridgeAddress: `198.19.${240 + slot}.1`,
    prefixLength: 24,
  };
}

/** Node `node-k`'s simulated server: its network namespace and address. Pure. */
export function hostOf(net: ClusterNetwork, nodeName: string): { netns: string; address: string; veth: string } {
  const k = Number(/^node-(\d+)$/.exec(nodeName)?.[1] ?? NaN);
  if (!Number.isInteger(k) || k < 1 || k > 200) throw new CliError(`--hosts: node ${JSON.stringify(nodeName)} is not node-1 … node-200`);
  return { netns: `tugboat-${net.slot}-${nodeName}`, address: `198.19.${240 + net.slot}.${10 + k}`, veth: `tbh${net.slot}n${k}` };
}

function claimsDir(): string {
  return process.getuid?.() === 0 ? '/run/tugboat/networks' : join(tmpdir(), `tugboat-${process.getuid?.() ?? 'user'}-networks`);
}

/**
 * Whether a claim of `slot` by `home` still stands: the home is still there (a cluster being
 * started has no cluster.json yet) and its cluster, if any, names no other slot. `down --purge`
 * releases its claim; one is left behind only when a home is removed by hand.
 */
function claimStands(home: string, slot: number): boolean {
  if (!existsSync(home)) return false;
  const s = readState(home);
  return !s || s.networkSlot === undefined || s.networkSlot === slot;
}

/**
 * This home's slot: the one it had, else the first free one. Claimed with an exclusive create,
 * so two clusters starting at once never take the same slot.
 */
export function claimNetworkSlot(home: string, had: number | undefined): number {
  const dir = claimsDir();
  mkdirSync(dir, { recursive: true });
  const me = resolve(home);
  const owner = (i: number): string | undefined => {
    try { return readFileSync(join(dir, String(i)), 'utf8').trim(); } catch { return undefined; }
  };
  if (had !== undefined) {
    const o = owner(had);
    if (o === undefined || o === me) {
      writeFileSync(join(dir, String(had)), me);
      return had;
    }
  }
  for (let i = 0; i < NETWORK_SLOTS; i++) {
    const o = owner(i);
    if (o === me) return i;
    if (o !== undefined && o !== me && claimStands(o, i)) continue;
    if (o !== undefined) rmSync(join(dir, String(i)), { force: true });
    try {
      writeFileSync(join(dir, String(i)), me, { flag: 'wx' });
      return i;
    } catch {
      // Someone claimed it just now: the next one.
    }
  }
  throw new CliError(`every local cluster network (${NETWORK_SLOTS}) is taken by other oci clusters on this machine (claims in ${dir}); remove one with: tctl cluster down --purge`);
}

export function releaseNetworkSlot(home: string, slot: number): void {
  const path = join(claimsDir(), String(slot));
  try {
    if (readFileSync(path, 'utf8').trim() === resolve(home)) rmSync(path, { force: true });
  } catch { /* not claimed */ }
}

function ip(args: readonly string[], allow?: RegExp): string {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0 && !(allow && allow.test(r.stderr))) throw new CliError(`ip ${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`);
  return r.stdout;
}

/** The cluster's bridge in this namespace, with its address: where pods reach the cluster DNS, and --hosts servers each other. Idempotent. */
export function ensureBridge(net: ClusterNetwork): void {
  if (!existsSync(`/sys/class/net/${net.bridge}`)) ip(['link', 'add', net.bridge, 'type', 'bridge'], /File exists/);
  ip(['addr', 'replace', `${net.bridgeAddress}/${net.prefixLength}`, 'dev', net.bridge]);
  ip(['link', 'set', net.bridge, 'up']);
}

/**
 * A simulated server for `nodeName`: a network namespace with one link to the bridge, its
 * address and a default route via the bridge, forwarding on (it routes its pods' traffic).
 * Idempotent.
 */
export function ensureHost(net: ClusterNetwork, nodeName: string): { netns: string; address: string } {
  const h = hostOf(net, nodeName);
  if (!existsSync(`/run/netns/${h.netns}`)) ip(['netns', 'add', h.netns], /File exists/);
  if (!existsSync(`/sys/class/net/${h.veth}`)) {
    // The peer may be left inside the namespace from an earlier run whose host side went.
    ip(['-n', h.netns, 'link', 'del', 'eth0'], /Cannot find device|does not exist/);
    ip(['link', 'add', h.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.netns]);
  }
  ip(['link', 'set', h.veth, 'master', net.bridge]);
  ip(['link', 'set', h.veth, 'up']);
  ip(['-n', h.netns, 'link', 'set', 'lo', 'up']);
  ip(['-n', h.netns, 'addr', 'replace', `${h.address}/${net.prefixLength}`, 'dev', 'eth0']);
  ip(['-n', h.netns, 'link', 'set', 'eth0', 'up']);
  ip(['-n', h.netns, 'route', 'replace', 'default', 'via', net.bridgeAddress]);
  const fwd = spawnSync('ip', ['netns', 'exec', h.netns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'], { encoding: 'utf8' });
  if (fwd.status !== 0) throw new CliError(`--hosts: cannot turn on forwarding in ${h.netns}: ${fwd.stderr.trim()}`);
  return h;
}

/** Removes a simulated server (its pods' namespaces are the agent's to remove). */
export function removeHost(net: ClusterNetwork, nodeName: string): void {
  const h = hostOf(net, nodeName);
  ip(['link', 'del', h.veth], /Cannot find device|does not exist/);
  ip(['netns', 'del', h.netns], /No such file|does not exist/);
}

export function removeBridge(net: ClusterNetwork): void {
  ip(['link', 'del', net.bridge], /Cannot find device|does not exist/);
}

/** The command line that runs `command args` inside a network namespace (and nothing else changed: same mounts, same /sys). */
export function inNetns(netns: string | undefined, command: string, args: readonly string[]): { command: string; args: string[] } {
  return netns ? { command: 'nsenter', args: [`--net=/run/netns/${netns}`, '--', command, ...args] } : { command, args: [...args] };
}
