// Pod networking through CNI, the way kubelet's runtimes do it: a network namespace per pod
// (`ip netns add`, so it persists without a process), then the standard plugins —
// loopback, bridge + host-local IPAM on the node's pod CIDR, portmap for hostPorts — run
// with the CNI protocol (CNI_* environment, JSON config on stdin, result on stdout).
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { run } from '../../system/subprocess.js';
import { findExecutable } from './runc.js';

export const CNI_VERSION = '1.0.0';
export const DEFAULT_CNI_PLUGIN_DIRS = ['/usr/lib/cni', '/opt/cni/bin', '/usr/libexec/cni'];

export interface NodeNetworkConfig {
  /** The node's pod CIDR, e.g. 10.88.1.0/24. */
  podCIDR: string;
  /** Linux bridge name (at most 15 characters). */
  bridge: string;
  /** CNI network name; also the host-local IPAM's directory name. */
  networkName: string;
  /** Where host-local keeps its leases. */
  ipamDataDir: string;
  pluginDirs: readonly string[];
  /** SNAT traffic leaving the pod CIDR (needs iptables). */
  ipMasq: boolean;
  /** hostPort mappings through the portmap plugin (needs iptables). */
  portMap: boolean;
}

export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  hostIP?: string;
}

export interface CniResult {
  cniVersion?: string;
  interfaces?: Array<{ name: string; mac?: string; sandbox?: string }>;
  ips?: Array<{ address: string; gateway?: string; interface?: number }>;
  routes?: Array<{ dst: string; gw?: string }>;
  dns?: Record<string, unknown>;
}

export class CniError extends Error {
  override readonly name = 'CniError';
}

/**
 * A bridge name for a node's pod network: ≤ 15 characters, stable, distinct per node and pod
 * CIDR on one machine — two local clusters both have a node-1, and must not share a bridge
 * when their pod networks differ.
 */
export function bridgeName(nodeName: string, podCIDR = ''): string {
  return `tb-${createHash('sha256').update(podCIDR ? `${nodeName}|${podCIDR}` : nodeName).digest('hex').slice(0, 8)}`;
}

export function defaultNetworkConfig(nodeName: string, podCIDR: string, ipamDataDir: string): NodeNetworkConfig {
  const iptables = findExecutable(['iptables']) !== undefined;
  return {
    podCIDR,
    bridge: bridgeName(nodeName, podCIDR),
    networkName: `tugboat-${bridgeName(nodeName, podCIDR).slice(3)}`,
    ipamDataDir,
    pluginDirs: DEFAULT_CNI_PLUGIN_DIRS,
    ipMasq: iptables,
    portMap: iptables,
  };
}

/**
 * The node's own address on the pod network: the first address of the pod CIDR, which the
 * bridge plugin (isGateway) gives the bridge and host-local hands pods as their gateway.
 */
export function podGateway(podCIDR: string): string {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(podCIDR);
  if (!m) throw new CniError(`pod CIDR ${JSON.stringify(podCIDR)} is not an IPv4 CIDR`);
  const bits = Number(m[5]);
  const ip = m.slice(1, 5).reduce((n, o) => n * 256 + Number(o), 0);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const first = ((ip & mask) >>> 0) + 1;
  return [24, 16, 8, 0].map((sh) => (first >>> sh) & 255).join('.');
}

/** The node's CNI network configuration list (what /etc/cni/net.d would hold). */
export function cniConfList(c: NodeNetworkConfig): { cniVersion: string; name: string; plugins: Array<Record<string, unknown>> } {
  const plugins: Array<Record<string, unknown>> = [{
    type: 'bridge',
    bridge: c.bridge,
    isGateway: true,
    ipMasq: c.ipMasq,
    hairpinMode: true,
    ipam: {
      type: 'host-local',
      ranges: [[{ subnet: c.podCIDR }]],
      routes: [{ dst: '0.0.0.0/0' }],
      dataDir: c.ipamDataDir,
    },
  }];
  if (c.portMap) plugins.push({ type: 'portmap', capabilities: { portMappings: true }, snat: true });
  return { cniVersion: CNI_VERSION, name: c.networkName, plugins };
}

export function findPlugin(dirs: readonly string[], type: string): string {
  if (!/^[\w.-]+$/.test(type)) throw new CniError(`bad CNI plugin type "${type}"`);
  for (const d of dirs) {
    const p = `${d}/${type}`;
    if (existsSync(p)) return p;
  }
  throw new CniError(`CNI plugin "${type}" not found in ${dirs.join(', ')} (install containernetworking-plugins)`);
}

export function cniAvailable(dirs: readonly string[] = DEFAULT_CNI_PLUGIN_DIRS): boolean {
  try {
    for (const t of ['bridge', 'host-local', 'loopback']) findPlugin(dirs, t);
    return true;
  } catch {
    return false;
  }
}

interface Invocation {
  command: 'ADD' | 'DEL' | 'CHECK';
  containerId: string;
  netns: string;
  ifName: string;
  args?: Record<string, string>;
}

/** Runs one CNI plugin; resolves with its parsed stdout (the result), rejects with its error message. */
async function execPlugin(dirs: readonly string[], type: string, config: Record<string, unknown>, inv: Invocation): Promise<CniResult> {
  const plugin = findPlugin(dirs, type);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: inv.command,
    CNI_CONTAINERID: inv.containerId,
    CNI_NETNS: inv.netns,
    CNI_IFNAME: inv.ifName,
    CNI_PATH: dirs.join(':'),
    ...(inv.args ? { CNI_ARGS: Object.entries(inv.args).map(([k, v]) => `${k}=${v}`).join(';') } : {}),
  };
  const res = await run(plugin, [], { env, input: JSON.stringify(config) }).catch((e: unknown) => {
    throw new CniError(`${type}: ${e instanceof Error ? e.message : String(e)}`);
  });
  const out = res.stdout;
  if (res.code === 0) {
    try {
      return out.trim() ? (JSON.parse(out) as CniResult) : {};
    } catch {
      throw new CniError(`${type} ${inv.command}: output is not JSON: ${out.slice(0, 200)}`);
    }
  }
  let msg = res.stderr.trim() || out.trim();
  try {
    const j = JSON.parse(out) as { msg?: string; details?: string };
    msg = [j.msg, j.details].filter(Boolean).join(': ') || msg;
  } catch {
    // plain text
  }
  throw new CniError(`${type} ${inv.command} failed: ${msg || `exit ${res.code}`}`);
}

export interface AttachResult {
  ip: string;
  result: CniResult;
}

/**
 * Connects a network namespace to the node's pod network: loopback up, then each plugin of
 * the list in order with the previous one's result (CNI 1.0 chaining).
 */
export async function cniAdd(c: NodeNetworkConfig, containerId: string, netns: string, pod: { namespace: string; name: string; uid: string }, portMappings: readonly PortMapping[] = []): Promise<AttachResult> {
  const inv: Invocation = {
    command: 'ADD', containerId, netns, ifName: 'eth0',
    args: { IgnoreUnknown: '1', K8S_POD_NAMESPACE: pod.namespace, K8S_POD_NAME: pod.name, K8S_POD_INFRA_CONTAINER_ID: containerId },
  };
  await execPlugin(c.pluginDirs, 'loopback', { cniVersion: CNI_VERSION, name: 'lo', type: 'loopback' }, { ...inv, ifName: 'lo' });
  const list = cniConfList(c);
  let prev: CniResult | undefined;
  for (const plugin of list.plugins) {
    const conf: Record<string, unknown> = { ...plugin, cniVersion: list.cniVersion, name: list.name };
    if (prev) conf.prevResult = prev;
    const caps = plugin.capabilities as Record<string, boolean> | undefined;
    if (caps?.portMappings) {
      if (portMappings.length === 0) continue;
      conf.runtimeConfig = { portMappings };
    }
    prev = await execPlugin(c.pluginDirs, String(plugin.type), conf, inv);
  }
  const ip = prev?.ips?.find((x) => !x.address.includes(':'))?.address.split('/')[0];
  if (!ip || !prev) throw new CniError(`the CNI network ${list.name} gave the pod no IPv4 address`);
  return { ip, result: prev };
}

/** Disconnects: every plugin in reverse order with the ADD result; errors of a gone netns are fine. */
export async function cniDel(c: NodeNetworkConfig, containerId: string, netns: string, prevResult: CniResult | undefined, portMappings: readonly PortMapping[] = []): Promise<void> {
  const inv: Invocation = { command: 'DEL', containerId, netns, ifName: 'eth0', args: { IgnoreUnknown: '1' } };
  const list = cniConfList(c);
  const errors: string[] = [];
  for (const plugin of [...list.plugins].reverse()) {
    const conf: Record<string, unknown> = { ...plugin, cniVersion: list.cniVersion, name: list.name };
    if (prevResult) conf.prevResult = prevResult;
    const caps = plugin.capabilities as Record<string, boolean> | undefined;
    if (caps?.portMappings) {
      if (portMappings.length === 0) continue;
      conf.runtimeConfig = { portMappings };
    }
    try {
      await execPlugin(c.pluginDirs, String(plugin.type), conf, inv);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  if (errors.length) throw new CniError(errors.join('; '));
}

// ---- network namespaces -------------------------------------------------------------------

export const NETNS_DIR = '/run/netns';

export function netnsPath(name: string): string {
  return `${NETNS_DIR}/${name}`;
}

/** A persistent network namespace (`ip netns add`); an existing one is kept. */
export async function netnsCreate(name: string): Promise<string> {
  const path = netnsPath(name);
  if (existsSync(path)) return path;
  const res = await run('ip', ['netns', 'add', name]);
  if (res.code !== 0 && !existsSync(path)) throw new CniError(`ip netns add ${name}: ${res.stderr.trim()}`);
  return path;
}

export async function netnsDelete(name: string): Promise<void> {
  if (!existsSync(netnsPath(name))) return;
  const res = await run('ip', ['netns', 'delete', name]);
  if (res.code !== 0 && existsSync(netnsPath(name))) throw new CniError(`ip netns delete ${name}: ${res.stderr.trim()}`);
}

// ---- /etc files of a pod ------------------------------------------------------------------

/** kubelet's /etc/hosts for a pod: localhost entries and the pod's own name. */
export function hostsFile(podIP: string, hostname: string, hostAliases: ReadonlyArray<{ ip?: string; hostnames?: string[] }> = []): string {
  const lines = [
    '# Kubernetes-managed hosts file (written by tugboat-agent).',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
    `${podIP}\t${hostname}`,
  ];
  for (const a of hostAliases) if (a.ip && a.hostnames?.length) lines.push(`${a.ip}\t${a.hostnames.join('\t')}`);
  return `${lines.join('\n')}\n`;
}
