// PodTopologySpread's cache-side index. A pending pod's constraint counts the placed pods of its
// namespace that its selector matches, per value of its topology key, over the nodes that carry
// every key the pod's constraints name. Walking 5,000 nodes and every matching pod for that in
// each cycle was the plugin's whole cost; here the counts are built once per (namespace,
// selector, topology key, keys a node must carry) and then kept as pods are placed and removed.
//
//   place / remove a pod ──▶ every entry of its namespace whose selector matches: ±1 in its
//                            node's domain, and on its node
//   node added, removed, relabelled ──▶ all entries dropped; rebuilt on next use (rare events;
//                            status heartbeats do not count)
//
// Pods being deleted and pods on nodes without a Node object are not counted, as in the walk.
// At most MAX_ENTRIES sets are kept (least recently used go first).
import type { Pod, Selector } from '@tugboat/api';
import type { NodeInfo } from './framework/node-info.js';
import type { SpreadCountsView } from './framework/snapshot.js';

const MAX_ENTRIES = 64;

class Entry implements SpreadCountsView {
  readonly nodesByValue = new Map<string, number>();
  readonly podsByValue = new Map<string, number>();
  readonly podsByNode = new Map<NodeInfo, number>();
  lastUsed = 0;

  constructor(
    readonly namespace: string,
    readonly selector: Selector,
    readonly topologyKey: string,
    readonly requiredKeys: readonly string[],
  ) {}

  /** The domain of a node, or undefined when the node does not count (lacks a required key).
   *  Without the key itself among the required ones a node without it is the domain "". */
  domainOf(node: NodeInfo): string | undefined {
    for (const k of this.requiredKeys) if (node.labels[k] === undefined) return undefined;
    return node.labels[this.topologyKey] ?? '';
  }

  matches(pod: Pod): boolean {
    return pod.metadata?.namespace === this.namespace && !pod.metadata?.deletionTimestamp && this.selector.matches(pod.metadata?.labels ?? {});
  }

  countNode(node: NodeInfo): void {
    const value = this.domainOf(node);
    if (value !== undefined) bump(this.nodesByValue, value, 1);
  }

  countPod(node: NodeInfo, sign: number): void {
    bump(this.podsByNode, node, sign);
    const value = this.domainOf(node);
    if (value !== undefined) bump(this.podsByValue, value, sign);
  }
}

function bump<K>(m: Map<K, number>, k: K, delta: number): void {
  const n = (m.get(k) ?? 0) + delta;
  if (n === 0) m.delete(k);
  else m.set(k, n);
}

export class SpreadCounts {
  private readonly entries = new Map<string, Entry>();
  private readonly byNamespace = new Map<string, Set<Entry>>();
  private tick = 0;

  /**
   * The live counts for one constraint; `nodes` and `forEachPod` build them the first time
   * (every node with a Node object; every placed pod of the namespace the selector matches,
   * with its node). Do not modify.
   */
  get(
    namespace: string, selector: Selector, topologyKey: string, requiredKeys: readonly string[],
    nodes: readonly NodeInfo[], forEachPod: (fn: (pod: Pod, node: NodeInfo) => void) => void,
  ): SpreadCountsView {
    const id = [namespace, selector.toString(), topologyKey, ...requiredKeys].join('\u0000');
    let e = this.entries.get(id);
    if (!e) {
      if (this.entries.size >= MAX_ENTRIES) this.evictOldest();
      e = new Entry(namespace, selector, topologyKey, requiredKeys);
      for (const n of nodes) e.countNode(n);
      const built = e;
      forEachPod((pod, node) => { if (node.node && built.matches(pod)) built.countPod(node, 1); });
      this.entries.set(id, e);
      let set = this.byNamespace.get(namespace);
      if (!set) this.byNamespace.set(namespace, set = new Set());
      set.add(e);
    }
    e.lastUsed = ++this.tick;
    return e;
  }

  /** A pod placed on (1) or removed from (-1) a node with a Node object. */
  place(pod: Pod, node: NodeInfo, sign: number): void {
    const set = this.byNamespace.get(pod.metadata?.namespace ?? '');
    if (!set) return;
    for (const e of set) if (e.matches(pod)) e.countPod(node, sign);
  }

  /** A node came, went or was relabelled: domains changed; rebuild on next use. */
  clear(): void {
    this.entries.clear();
    this.byNamespace.clear();
  }

  private evictOldest(): void {
    let oldest: string | undefined;
    let at = Infinity;
    for (const [id, e] of this.entries) if (e.lastUsed < at) { at = e.lastUsed; oldest = id; }
    if (oldest === undefined) return;
    const e = this.entries.get(oldest)!;
    this.entries.delete(oldest);
    this.byNamespace.get(e.namespace)?.delete(e);
  }
}
