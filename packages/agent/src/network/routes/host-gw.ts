// One pod network across hosts, as flannel's host-gw does it: for every other Node with a pod
// CIDR, a route to that CIDR via the Node's address. All of it is derived from Node objects
// (spec.podCIDR, status.addresses InternalIP); there is no state of its own. Routes are ours
// by their protocol number (`proto 84`), so a sync touches nothing else in the table.
//
// Pods keep their addresses between hosts (no NAT, as Kubernetes requires); traffic from this
// node's pods to anything outside the pod networks (the API server, cluster DNS on the host
// side, the outside) is masqueraded to the host's address, in a table of our own — CNI's own
// ipMasq would masquerade pod-to-pod traffic between hosts too, so it is off where this runs.
//
//   Node informer ──▶ desiredRoutes (pure) ──▶ ip route replace/del … proto 84
//                └──▶ pod CIDRs ──▶ nft: table ip tugboat-net-<node> { postrouting masquerade }
import { createHash } from 'node:crypto';
import type { Node } from '@tugboat/api';

export const ROUTE_PROTO = 84;

export interface PeerRoute {
  readonly cidr: string;
  readonly via: string;
  readonly node: string;
}

/** The routes this host needs: one per other Node whose pod CIDR is not on this host already. Pure. */
export function desiredRoutes(nodes: readonly Node[], self: string, localAddresses: ReadonlySet<string>): PeerRoute[] {
  const out: PeerRoute[] = [];
  for (const n of nodes) {
    const name = n.metadata?.name ?? '';
    const cidr = n.spec?.podCIDR;
    const via = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    // Our own network, and nodes that share this host's network (a local cluster without
    // --hosts: their bridges are here), need no route.
    if (!name || name === self || !cidr || !via || localAddresses.has(via)) continue;
    out.push({ cidr, via, node: name });
  }
  return out.sort((a, b) => a.cidr.localeCompare(b.cidr));
}

/** What to run to go from `current` (our routes now: cidr → via) to `desired`. Pure. */
export function routeChanges(current: ReadonlyMap<string, string>, desired: readonly PeerRoute[]): { replace: PeerRoute[]; remove: string[] } {
  const want = new Map(desired.map((r) => [r.cidr, r]));
  const replace = desired.filter((r) => current.get(r.cidr) !== r.via);
  const remove = [...current.keys()].filter((cidr) => !want.has(cidr)).sort();
  return { replace, remove };
}

export function tableName(nodeName: string): string {
  return `tugboat-net-${createHash('sha256').update(nodeName).digest('hex').slice(0, 8)}`;
}

/**
 * The masquerade table: traffic from this node's pods to anything outside every pod network
 * leaves with the host's address. Replaced whole on each change (it is two rules). Pure.
 */
export function masqueradeRuleset(table: string, ownPodCIDR: string | undefined, podCIDRs: readonly string[]): string {
  const lines = [`table ip ${table} {}`, `delete table ip ${table}`];
  if (!ownPodCIDR) return `${lines.join('\n')}\n`;
  const cidrs = [...new Set([ownPodCIDR, ...podCIDRs])].sort();
  lines.push(
    `table ip ${table} {`,
    '  set pod-networks {',
    '    type ipv4_addr; flags interval;',
    `    elements = { ${cidrs.join(', ')} }`,
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    ip saddr ${ownPodCIDR} ip daddr != @pod-networks masquerade`,
    '  }',
    '}',
  );
  return `${lines.join('\n')}\n`;
}
