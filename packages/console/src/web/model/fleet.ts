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

// Names sort as people read them (node-2 before node-10). The key pads every run of digits, so
// a sort compares plain strings: Intl's numeric collation, 1,000 times a render, took a fifth
// of the main thread during live updates (bench:console). Node names repeat render after
// render; their keys are kept.
const sortKeys = new Map<string, string>();
function naturalKey(name: string): string {
  let key = sortKeys.get(name);
  if (key === undefined) {
    key = name.replace(/\d+/g, (d) => d.padStart(20, '0'));
    if (sortKeys.size > 100_000) sortKeys.clear();
    sortKeys.set(name, key);
  }
  return key;
}
const compareKeys = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const byName = (a: Pod, b: Pod): number =>
  compareKeys(a.metadata?.namespace ?? '', b.metadata?.namespace ?? '') || compareKeys(naturalKey(a.metadata?.name ?? ''), naturalKey(b.metadata?.name ?? ''));

/** The pods bound to each node that hold resources, in the order given (the view sorts what it shows). */
export function podsByNode(pods: Iterable<Pod>): Map<string, Pod[]> {
  const out = new Map<string, Pod[]>();
  for (const p of pods) {
    const node = p.spec?.nodeName;
    if (!node || !holdsResources(p)) continue;
    const list = out.get(node);
    if (list) list.push(p);
    else out.set(node, [p]);
  }
  return out;
}

/** Case-insensitive substring of the node's name; an empty search matches all. */
export function matchesSearch(node: Node, search: string): boolean {
  const s = search.trim().toLowerCase();
  return s === '' || (node.metadata?.name ?? '').toLowerCase().includes(s);
}

interface CachedTile {
  readonly tile: NodeTile;
  /** The pods as given, to tell whether any changed (a watch event replaces a pod's object). */
  readonly given: readonly Pod[];
}

// By Node object (replaced by every watch event on it): a render recomputes only the tiles whose
// node or pods changed, and hands the view the same NodeTile otherwise, so a heat-map cell whose
// tile is the same object is not re-rendered. 1,000 nodes heartbeating change a few per render.
const tiles = new WeakMap<Node, CachedTile>();

const samePods = (a: readonly Pod[], b: readonly Pod[]): boolean => a.length === b.length && a.every((p, i) => p === b[i]);

function tileOf(node: Node, given: readonly Pod[]): NodeTile {
  const cached = tiles.get(node);
  if (cached && samePods(cached.given, given)) return cached.tile;
  const load = nodeLoad(node, given);
  const tile: NodeTile = { name: node.metadata?.name ?? '', node, state: nodeState(node), load, level: loadLevel(load.fraction), pods: [...given].sort(byName) };
  tiles.set(node, { tile, given });
  return tile;
}

const NO_PODS: readonly Pod[] = [];

export function buildFleet(nodes: Iterable<Node>, pods: Iterable<Pod>, search: string): Fleet {
  const allPods = [...pods];
  const onNode = podsByNode(allPods);
  const shown: NodeTile[] = [];
  let ready = 0;
  let notReady = 0;
  let cordoned = 0;
  let total = 0;
  for (const node of nodes) {
    const tile = tileOf(node, onNode.get(node.metadata?.name ?? '') ?? NO_PODS);
    total++;
    if (tile.state.readiness === 'Ready') ready++;
    else notReady++;
    if (tile.state.cordoned) cordoned++;
    if (matchesSearch(node, search)) shown.push(tile);
  }
  shown.sort((a, b) => compareKeys(naturalKey(a.name), naturalKey(b.name)));
  const live = allPods.filter((p) => !p.metadata?.deletionTimestamp && holdsResources(p));
  const unscheduled = live.filter((p) => !p.spec?.nodeName)
    .sort((a, b) => compareKeys(a.metadata?.creationTimestamp ?? '', b.metadata?.creationTimestamp ?? ''));
  return {
    tiles: shown,
    summary: { nodes: total, ready, notReady, cordoned, pods: live.length, pending: unscheduled.length },
    mode: shown.length > FULL_TILES_MAX ? 'heatmap' : 'tiles',
    unscheduled,
  };
}
