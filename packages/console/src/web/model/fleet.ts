// The fleet view's decisions: which nodes to show, which pods sit on each, and whether the
// nodes are few enough for full tiles or must aggregate into a heat map.
import type { Node, Pod } from '@tugboat/api';
import { holdsResources, loadLevel, nodeLoad, nodeState, type LoadLevel, type NodeLoad, type NodeState } from './load.js';

/** Up to this many nodes each gets a full tile with its pods; beyond, one small cell each. */
export const FULL_TILES_MAX = 64;

export interface NodeTile {
  readonly name: string;
  readonly node: Node;
  readonly state: NodeState;
  readonly load: NodeLoad;
  readonly level: LoadLevel;
  /** The pods bound to it that have not terminated, by namespace then name. */
  readonly pods: readonly Pod[];
}

export interface FleetSummary {
  readonly nodes: number;
  readonly ready: number;
  readonly notReady: number;
  readonly cordoned: number;
  readonly pods: number;
  /** Pods no node has taken yet (the scheduler's queue). */
  readonly pending: number;
}

export interface Fleet {
  readonly tiles: readonly NodeTile[];
  readonly summary: FleetSummary;
  readonly mode: 'tiles' | 'heatmap';
  /** Pods waiting for a node, oldest first. */
  readonly unscheduled: readonly Pod[];
}

const byName = (a: { metadata?: { namespace?: string; name?: string } }, b: { metadata?: { namespace?: string; name?: string } }): number =>
  (a.metadata?.namespace ?? '').localeCompare(b.metadata?.namespace ?? '') || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '', undefined, { numeric: true });

export function podsByNode(pods: Iterable<Pod>): Map<string, Pod[]> {
  const out = new Map<string, Pod[]>();
  for (const p of pods) {
    const node = p.spec?.nodeName;
    if (!node || !holdsResources(p)) continue;
    const list = out.get(node);
    if (list) list.push(p);
    else out.set(node, [p]);
  }
  for (const list of out.values()) list.sort(byName);
  return out;
}

/** Case-insensitive substring of the node's name; an empty search matches all. */
export function matchesSearch(node: Node, search: string): boolean {
  const s = search.trim().toLowerCase();
  return s === '' || (node.metadata?.name ?? '').toLowerCase().includes(s);
}

export function buildFleet(nodes: Iterable<Node>, pods: Iterable<Pod>, search: string): Fleet {
  const allPods = [...pods];
  const onNode = podsByNode(allPods);
  const tiles: NodeTile[] = [];
  let ready = 0;
  let notReady = 0;
  let cordoned = 0;
  let total = 0;
  for (const node of nodes) {
    const name = node.metadata?.name ?? '';
    const state = nodeState(node);
    total++;
    if (state.readiness === 'Ready') ready++;
    else notReady++;
    if (state.cordoned) cordoned++;
    if (!matchesSearch(node, search)) continue;
    const nodePods = onNode.get(name) ?? [];
    const load = nodeLoad(node, nodePods);
    tiles.push({ name, node, state, load, level: loadLevel(load.fraction), pods: nodePods });
  }
  tiles.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  const live = allPods.filter((p) => !p.metadata?.deletionTimestamp && holdsResources(p));
  const unscheduled = live.filter((p) => !p.spec?.nodeName)
    .sort((a, b) => (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? ''));
  return {
    tiles,
    summary: { nodes: total, ready, notReady, cordoned, pods: live.length, pending: unscheduled.length },
    mode: tiles.length > FULL_TILES_MAX ? 'heatmap' : 'tiles',
    unscheduled,
  };
}
