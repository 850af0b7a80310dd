// What the proxy needs to know about its node besides Services: which of its addresses accept
// NodePort traffic (kube-proxy's --nodeport-addresses), and whether it can run at all. Pure.
import { parseIPv4Cidr } from '@tugboat/api';
import { isIPv4 } from './service-ports.js';
import { cidrContains } from './service-route.js';

/**
 * `--nodeport-addresses`: CIDRs and/or `primary` (the node's InternalIP), comma-separated.
 * Throws one line naming the flag.
 */
export function parseNodePortAddresses(text: string): string[] {
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new Error('--nodeport-addresses: expected CIDRs (e.g. 198.19.255.0/24) or primary');
  for (const item of items) {
    if (item === 'primary') continue;
    if (!parseIPv4Cidr(item)) {
      throw new Error(`--nodeport-addresses: ${JSON.stringify(item)} is not an IPv4 CIDR or "primary"`);
    }
  }
  return items;
}

/**
 * The addresses NodePorts are served on, for `--nodeport-addresses` values: the local
 * addresses inside any CIDR, and the node's own address for `primary`. Loopback never
 * (kube-proxy neither: a DNAT from 127.0.0.1 to a pod cannot be routed back).
 */
export function resolveNodePortIPs(spec: readonly string[], nodeIP: string, localAddresses: readonly string[]): string[] {
  const out = new Set<string>();
  for (const item of spec) {
    if (item === 'primary') {
      if (isIPv4(nodeIP)) out.add(nodeIP);
      continue;
    }
    for (const a of localAddresses) if (cidrContains(item, a)) out.add(a);
  }
  return [...out].filter((a) => !a.startsWith('127.')).sort();
}

export type ProxyModeChoice = 'nftables' | 'off' | 'auto';

/** `--proxy-mode`: nftables when asked for or (auto) when it can work; off with the reason why. */
export function resolveProxyMode(choice: ProxyModeChoice, can: { root: boolean; nft: boolean }): { mode: 'nftables' } | { mode: 'off'; reason: string } {
  const missing = !can.nft ? 'nft is not installed' : !can.root ? 'the agent is not root' : undefined;
  switch (choice) {
    case 'off':
      return { mode: 'off', reason: '--proxy-mode off' };
    case 'nftables':
      if (missing) throw new Error(`--proxy-mode nftables: ${missing}`);
      return { mode: 'nftables' };
    case 'auto':
      return missing ? { mode: 'off', reason: missing } : { mode: 'nftables' };
  }
}
