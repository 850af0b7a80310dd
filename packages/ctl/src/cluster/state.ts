// The local cluster's state file, $TUGBOAT_HOME/cluster.json: every component tctl started,
// with its pid, addresses and the exact command to start it again (`cluster start-node`,
// `cluster up` after a crash). Written atomically after every change.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeStateFile } from '../config.js';

export type Role = 'etcd' | 'apiserver' | 'scheduler' | 'controllers' | 'dns' | 'agent' | 'prometheus';

export interface ComponentRecord {
  name: string;
  role: Role;
  pid: number;
  /** Named listen addresses: etcd {client, peer, metrics}, apiserver {grpc, http}, agents {grpc, http}, prometheus {http}, … */
  addresses: Record<string, string>;
  /** The executable and its arguments, exactly as started. */
  command: string;
  args: string[];
  logFile: string;
  dataDir?: string;
  /** The network namespace it runs in (a --hosts node's simulated server); absent: this one. */
  netns?: string;
  startedAt: string;
}

/** 2: every component on TLS with $TUGBOAT_HOME/pki (1 was plaintext; such a cluster must be purged). */
export const STATE_VERSION = 2;

export interface ClusterState {
  version: number;
  home: string;
  createdAt: string;
  runtime: string;
  /** The API server's --bind-address, when not the default. */
  bindAddress?: string;
  nodes: number;
  /** oci clusters: the claimed network slot (network.ts), kept until `down --purge`. */
  networkSlot?: number;
  /** --hosts: every node in a network namespace of its own. */
  hosts?: boolean;
  /** --monitoring: Prometheus runs too, and its file_sd targets follow the components. */
  monitoring?: boolean;
  components: ComponentRecord[];
}

export function statePath(home: string): string {
  return join(home, 'cluster.json');
}

export function readState(home: string): ClusterState | undefined {
  const path = statePath(home);
  if (!existsSync(path)) return undefined;
  try {
    const s = JSON.parse(readFileSync(path, 'utf8')) as ClusterState;
    if (!Array.isArray(s.components)) return undefined;
    return s;
  } catch {
    return undefined;
  }
}

export function writeState(state: ClusterState): void {
  writeStateFile(statePath(state.home), state);
}

/**
 * Start order; stop in reverse. Agents go after the control plane so the API is there when
 * they register; Prometheus last, so its first scrapes find everyone up.
 */
export const ROLE_ORDER: readonly Role[] = ['etcd', 'apiserver', 'scheduler', 'controllers', 'dns', 'agent', 'prometheus'];

export function sortByRole(components: readonly ComponentRecord[]): ComponentRecord[] {
  const nodeNumber = (c: ComponentRecord): number => Number(/(\d+)$/.exec(c.name)?.[1] ?? 0);
  return [...components].sort((a, b) => ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role) || nodeNumber(a) - nodeNumber(b));
}
