// The scheduler's cache: every node with the requests of the pods placed on it. A pod the
// scheduler has chosen a node for is *assumed* there at once, before the API server has
// confirmed the binding, so the next cycle (milliseconds later) already sees the node's
// resources as taken. Then:
//   bind succeeded → finishBinding: the assumption stands until the informer shows the bound
//                    pod (addPod confirms it), however late: the API server said the pod is
//                    bound, so forgetting it would only invite a second bind (a TTL is
//                    available for tests, as Kubernetes' durationToExpireAssumedPod, 0 there);
//   bind failed    → forgetPod: the resources are free again.
// Pods bound to nodes the cache does not know yet are kept on a node entry without a Node
// object, which is not offered to cycles.
import { LabelSelectorRequirements, NOTHING, type Lease, type Node, type Pod, type Selector } from '@tugboat/api';
import { NodeInfo, type NodeLeaseInfo } from './framework/node-info.js';
import { newPodInfo, podKey, withPod, type PodInfo } from './framework/pod-info.js';
import type { AffinityTerm } from './framework/affinity-terms.js';
import type { ClusterSnapshot, SpreadCountsView, TermGroup, TermKind } from './framework/snapshot.js';
import type { TopologyCounts } from './framework/topology-counts.js';
import { MatchCounts, TermGroups } from './term-groups.js';
import { SpreadCounts } from './spread-counts.js';

/**
 * 0: an assumed pod whose binding succeeded never expires (Kubernetes' default since 1.23). A
 * 30 s TTL made every pod the informer was slower than that to confirm, under load, be bound
 * a second time and refused.
 */
export const DEFAULT_ASSUMED_POD_TTL_MS = 0;

interface PodState {
  info: PodInfo;
  nodeName: string;
  assumed: boolean;
  /** For assumed pods whose binding finished: when the assumption lapses. */
  deadline: number | undefined;
}

export interface CacheOptions {
  now?: () => number;
  assumedPodTtlMs?: number;
  /** Where a node's unreadable usage report is told (once per node, until it reads again). */
  log?: (line: string) => void;
}

/** A finished pod holds nothing on its node. */
export function podIsTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export function leaseInfo(lease: Lease): NodeLeaseInfo | undefined {
  const renew = lease.spec?.renewTime;
  const renewTimeMs = renew ? Date.parse(renew) : NaN;
  if (!Number.isFinite(renewTimeMs)) return undefined;
  return { renewTimeMs, durationMs: (lease.spec?.leaseDurationSeconds ?? 40) * 1000 };
}

interface Placed { readonly info: PodInfo; readonly node: NodeInfo }

// The placed pods of one namespace, by label: spreading and affinity count the pods a selector
// matches, and with `key=value` in the selector only the pods carrying that label are looked at.
class NamespaceIndex {
  readonly all = new Map<string, Placed>();
  readonly byLabel = new Map<string, Map<string, Map<string, Placed>>>();

  add(p: Placed): void {
    this.all.set(p.info.key, p);
    for (const [k, v] of Object.entries(p.info.pod.metadata?.labels ?? {})) {
      let values = this.byLabel.get(k);
      if (!values) this.byLabel.set(k, values = new Map());
      let pods = values.get(v);
      if (!pods) values.set(v, pods = new Map());
      pods.set(p.info.key, p);
    }
  }

  remove(info: PodInfo): void {
    this.all.delete(info.key);
    for (const [k, v] of Object.entries(info.pod.metadata?.labels ?? {})) {
      const values = this.byLabel.get(k);
      const pods = values?.get(v);
      if (!pods) continue;
      pods.delete(info.key);
      if (pods.size === 0) values!.delete(v);
      if (values!.size === 0) this.byLabel.delete(k);
    }
  }

  /** The smallest set of candidates the selector allows: the pods with one of the values of its
   *  narrowest `=` / `in` requirement, or every pod. */
  candidates(selector: Selector): Iterable<Placed>[] {
    let best: Iterable<Placed>[] | undefined;
    let bestSize = this.all.size;
    if (selector instanceof LabelSelectorRequirements) {
      for (const r of selector.requirements) {
        if (r.operator !== '=' && r.operator !== '==' && r.operator !== 'in') continue;
        const values = this.byLabel.get(r.key);
        const sets = r.values.map((v) => values?.get(v)).filter((m): m is Map<string, Placed> => m !== undefined);
        const size = sets.reduce((n, m) => n + m.size, 0);
        if (size <= bestSize) {
          bestSize = size;
          best = sets.map((m) => m.values());
        }
      }
    }
    return best ?? [this.all.values()];
  }
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

export class SchedulerCache implements ClusterSnapshot {
  private readonly infos = new Map<string, NodeInfo>();
  // Nodes with a Node object, in a stable order that cycles walk round-robin.
  private readonly list: NodeInfo[] = [];
  private readonly index = new Map<string, number>();
  private readonly pods = new Map<string, PodState>();
  private readonly leases = new Map<string, NodeLeaseInfo>();
  // Nodes whose pods have inter-pod affinity terms: InterPodAffinity's PreFilter looks at these
  // instead of at every pod in the cluster.
  private readonly affinityNodes = new Set<NodeInfo>();
  private readonly antiAffinityNodes = new Set<NodeInfo>();
  private readonly namespaces = new Map<string, NamespaceIndex>();
  // InterPodAffinity's indexes (term-groups.ts): placed pods' terms by distinct term, and live
  // counts of the pods pending pods' terms select.
  private readonly termGroups = new TermGroups();
  private readonly matchCounts = new MatchCounts();
  // PodTopologySpread's live counts per constraint (spread-counts.ts).
  private readonly spread = new SpreadCounts();
  private readonly now: () => number;
  private readonly ttl: number;
  private readonly log: (line: string) => void;
  // Nodes whose garbled usage report was logged: an agent rewrites it every 10 s, and one line
  // says it as well as a line per update.
  private readonly badUsageLogged = new Set<string>();

  constructor(opts: CacheOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.ttl = opts.assumedPodTtlMs ?? DEFAULT_ASSUMED_POD_TTL_MS;
    this.log = opts.log ?? (() => {});
  }

  /** The schedulable node list; live, do not modify. */
  nodes(): readonly NodeInfo[] { return this.list; }
  nodesWithAffinityPods(): Iterable<NodeInfo> { return this.affinityNodes; }
  nodesWithRequiredAntiAffinityPods(): Iterable<NodeInfo> { return this.antiAffinityNodes; }
  groupedTerms(kind: TermKind): Iterable<TermGroup> { return this.termGroups.groups(kind); }

  countsOfPodsMatchingAll(terms: readonly AffinityTerm[]): TopologyCounts {
    return this.matchCounts.get(terms, (add) => {
      const first = terms[0]!;
      // A namespace selector left on a term is {} (every namespace); others were resolved.
      const namespaces = first.namespaceSelector.isEmpty() ? [...this.namespaces.keys()] : first.namespaces;
      for (const ns of namespaces) this.forEachPodMatching(ns, first.selector, (p, node) => { if (node.node) add(p.pod, node); });
    });
  }

  forEachPodMatching(namespace: string, selector: Selector, fn: (pod: PodInfo, node: NodeInfo) => void): void {
    const index = this.namespaces.get(namespace);
    if (!index || selector === NOTHING) return;
    for (const list of index.candidates(selector)) {
      for (const p of list) if (selector.matches(p.info.pod.metadata?.labels ?? {})) fn(p.info, p.node);
    }
  }

  namespacesWithPods(): Iterable<string> { return this.namespaces.keys(); }

  spreadCounts(namespace: string, selector: Selector, topologyKey: string, requiredKeys: readonly string[]): SpreadCountsView {
    return this.spread.get(namespace, selector, topologyKey, requiredKeys, this.list,
      (add) => this.forEachPodMatching(namespace, selector, (p, node) => add(p.pod, node)));
  }
  nodeCount(): number { return this.list.length; }
  getNode(name: string): NodeInfo | undefined { return this.infos.get(name); }
  podCount(): number { return this.pods.size; }
  isAssumed(key: string): boolean { return this.pods.get(key)?.assumed === true; }
  /** The node a pod is placed on (bound or assumed). */
  nodeOf(key: string): string | undefined { return this.pods.get(key)?.nodeName; }

  // --- nodes ---------------------------------------------------------------------------

  /** Adds or updates a node. */
  addNode(node: Node): NodeInfo {
    const name = node.metadata?.name ?? '';
    let info = this.infos.get(name);
    if (!info) {
      info = new NodeInfo(name);
      this.infos.set(name, info);
    }
    // A node's pods count for InterPodAffinity under its labels, and only while it has a Node
    // object: recount them when it gets one or its labels change (not on status heartbeats).
    const counted = info.node !== undefined;
    const relabelled = !counted || !sameLabels(info.labels, node.metadata?.labels ?? {});
    if (relabelled && counted) this.accountNodeTerms(info, -1);
    info.setNode(node);
    if (relabelled) {
      this.accountNodeTerms(info, 1);
      this.spread.clear();
    }
    this.noteUsageError(info);
    if (!info.lease && this.leases.has(name)) info.setLease(this.leases.get(name));
    if (!this.index.has(name)) {
      this.index.set(name, this.list.length);
      this.list.push(info);
    }
    return info;
  }

  updateNode(node: Node): NodeInfo { return this.addNode(node); }

  removeNode(name: string): void {
    const info = this.infos.get(name);
    if (!info) return;
    const i = this.index.get(name);
    if (i !== undefined) {
      // Swap-remove keeps removal O(1); the order only decides where cycles start looking.
      const last = this.list.pop()!;
      if (last !== info) {
        this.list[i] = last;
        this.index.set(last.name, i);
      }
      this.index.delete(name);
    }
    if (info.node) this.accountNodeTerms(info, -1);
    this.spread.clear();
    this.badUsageLogged.delete(name);
    info.node = undefined;
    if (info.pods.size === 0) this.infos.delete(name);
  }

  private noteUsageError(info: NodeInfo): void {
    if (!info.usageError) {
      this.badUsageLogged.delete(info.name);
    } else if (!this.badUsageLogged.has(info.name)) {
      this.badUsageLogged.add(info.name);
      this.log(`node ${info.name}: ${info.usageError}; its usage report is ignored (NodeResourcesLoadAware scores it on requests)`);
    }
  }

  /** Records a node's heartbeat Lease (namespace tugboat-node-lease, named after the node). */
  setNodeLease(nodeName: string, lease: NodeLeaseInfo | undefined): void {
    if (lease) this.leases.set(nodeName, lease);
    else this.leases.delete(nodeName);
    this.infos.get(nodeName)?.setLease(lease);
  }

  // --- pods ----------------------------------------------------------------------------

  /** Places the pod on the node before the binding is confirmed. */
  assumePod(pod: PodInfo, nodeName: string): void {
    if (this.pods.has(pod.key)) throw new Error(`pod ${pod.key} is already in the scheduler cache`);
    this.place(pod, nodeName);
    this.pods.set(pod.key, { info: pod, nodeName, assumed: true, deadline: undefined });
  }

  /** The binding call returned: start the clock on the assumption. */
  finishBinding(key: string): void {
    const s = this.pods.get(key);
    if (s?.assumed && this.ttl > 0) s.deadline = this.now() + this.ttl;
  }

  /** The binding failed: the assumed pod is gone from its node. */
  forgetPod(key: string): void {
    const s = this.pods.get(key);
    if (!s?.assumed) return;
    this.unplace(key, s.nodeName);
    this.pods.delete(key);
  }

  /** A bound pod seen by the informer: confirms an assumed pod, or adds one bound elsewhere. */
  addPod(pod: Pod): void {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName || podIsTerminal(pod)) return;
    const key = podKey(pod);
    const prev = this.pods.get(key);
    if (prev) this.unplace(key, prev.nodeName);
    // A pod's requests cannot change (Kubernetes forbids it), so confirming the pod we
    // assumed reuses what was computed then.
    const info = prev && prev.info.pod.metadata?.uid === pod.metadata?.uid ? withPod(prev.info, pod) : newPodInfo(pod);
    this.place(info, nodeName);
    this.pods.set(key, { info, nodeName, assumed: false, deadline: undefined });
  }

  updatePod(pod: Pod): void {
    if (podIsTerminal(pod) || !pod.spec?.nodeName) this.removePod(pod);
    else this.addPod(pod);
  }

  removePod(pod: Pod): void {
    const key = podKey(pod);
    const s = this.pods.get(key);
    if (!s) return;
    this.unplace(key, s.nodeName);
    this.pods.delete(key);
  }

  /** Drops assumed pods whose binding finished more than the TTL ago and that the informer
   *  never showed (the bind was lost, or the pod was deleted meanwhile). Returns their keys. */
  cleanupExpiredAssumedPods(): string[] {
    const now = this.now();
    const expired: string[] = [];
    for (const [key, s] of this.pods) {
      if (s.assumed && s.deadline !== undefined && now >= s.deadline) expired.push(key);
    }
    for (const key of expired) {
      const s = this.pods.get(key)!;
      this.unplace(key, s.nodeName);
      this.pods.delete(key);
    }
    return expired;
  }

  private place(pod: PodInfo, nodeName: string): void {
    let info = this.infos.get(nodeName);
    if (!info) {
      info = new NodeInfo(nodeName);
      this.infos.set(nodeName, info);
    }
    info.addPod(pod);
    if (pod.affinity) this.trackAffinity(info);
    if (info.node) {
      if (pod.affinity) this.termGroups.account(pod.affinity, info.labels, 1);
      this.matchCounts.place(pod.pod, info, 1);
      this.spread.place(pod.pod, info, 1);
    }
    const ns = pod.pod.metadata?.namespace ?? '';
    let index = this.namespaces.get(ns);
    if (!index) this.namespaces.set(ns, index = new NamespaceIndex());
    index.add({ info: pod, node: info });
  }

  private accountNodeTerms(info: NodeInfo, sign: number): void {
    if (info.pods.size === 0) return;
    for (const p of info.pods.values()) if (p.affinity) this.termGroups.account(p.affinity, info.labels, sign);
    this.matchCounts.clear();
  }

  private trackAffinity(info: NodeInfo): void {
    if (info.podsWithAffinity.size > 0) this.affinityNodes.add(info);
    else this.affinityNodes.delete(info);
    if (info.podsWithRequiredAntiAffinity.size > 0) this.antiAffinityNodes.add(info);
    else this.antiAffinityNodes.delete(info);
  }

  private unplace(key: string, nodeName: string): void {
    const info = this.infos.get(nodeName);
    if (!info) return;
    const removed = info.removePod(key);
    if (removed) {
      if (removed.affinity) this.trackAffinity(info);
      if (info.node) {
        if (removed.affinity) this.termGroups.account(removed.affinity, info.labels, -1);
        this.matchCounts.place(removed.pod, info, -1);
        this.spread.place(removed.pod, info, -1);
      }
      const ns = removed.pod.metadata?.namespace ?? '';
      const index = this.namespaces.get(ns);
      index?.remove(removed);
      if (index?.all.size === 0) this.namespaces.delete(ns);
    }
    if (!info.node && info.pods.size === 0) this.infos.delete(nodeName);
  }
}
