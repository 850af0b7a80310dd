// This host's IPv4 addresses (in the agent's network namespace): where NodePorts are served
// (proxy/), and how the router tells a node that shares this network from a peer (routes/).
import { networkInterfaces } from 'node:os';

export function localIPv4Addresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4') out.push(a.address);
  return out;
}
