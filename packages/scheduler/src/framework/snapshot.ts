// What plugins may read besides the pod and the node in hand (Kubernetes' SharedLister and
// informer listers): the cluster as the cache holds it, and the few other objects some
// plugins need. A cycle is synchronous, so the cache itself is the snapshot: nothing changes
// under a cycle while it runs.
import type {
  Labels, PersistentVolumeClaimObject, PersistentVolumeObject, PodDisruptionBudgetObject, ReplicaSet, ReplicationController, Selector, Service,
  StorageClassObject,
} from '@tugboat/api';
import type { AffinityTerm } from './affinity-terms.js';
import type { NodeInfo } from './node-info.js';
import type { PodInfo } from './pod-info.js';
import type { TopologyCounts } from './topology-counts.js';

export type TermKind = 'requiredAffinity' | 'requiredAntiAffinity' | 'preferredAffinity' | 'preferredAntiAffinity';

/** Placed pods' terms of one kind that are the same term (and weight), with how many such pods
 *  run per value of its topology key (on nodes with a Node object). Live: kept by the cache. */
export interface TermGroup {
  readonly term: AffinityTerm;
  /** The weight of preferred terms; 0 for required ones. */
  readonly weight: number;
  readonly counts: ReadonlyMap<string, number>;
}

/** PodTopologySpread's live counts for one constraint (cache-side, spread-counts.ts). */
export interface SpreadCountsView {
  /** The domains: nodes that count (they carry every required key), per value of the key. */
  readonly nodesByValue: ReadonlyMap<string, number>;
  /** Matching placed pods (not being deleted) on the nodes that count, per value of the key. */
  readonly podsByValue: ReadonlyMap<string, number>;
  /** Matching placed pods per node, whatever its labels (spreading by hostname). */
  readonly podsByNode: ReadonlyMap<NodeInfo, number>;
}

export interface ClusterSnapshot {
  /** Every schedulable node (with a Node object); live, do not modify. */
  nodes(): readonly NodeInfo[];
  /** Nodes running at least one pod with inter-pod affinity terms (Kubernetes' HavePodsWithAffinityList). */
  nodesWithAffinityPods(): Iterable<NodeInfo>;
  /** Nodes running at least one pod with required anti-affinity terms. */
  nodesWithRequiredAntiAffinityPods(): Iterable<NodeInfo>;
  /** The placed pods' terms of one kind, one entry per distinct term. */
  groupedTerms(kind: TermKind): Iterable<TermGroup>;
  /** Per topology pair of each term: the placed pods matching every one of `terms` (namespace
   *  selectors resolved, or {}). Live, kept up to date by the cache: do not modify. */
  countsOfPodsMatchingAll(terms: readonly AffinityTerm[]): TopologyCounts;
  /** Calls `fn` for each placed pod of the namespace whose labels match (through a label index,
   *  not a walk over every pod). The node may lack a Node object. */
  forEachPodMatching(namespace: string, selector: Selector, fn: (pod: PodInfo, node: NodeInfo) => void): void;
  /** The namespaces that have placed pods. */
  namespacesWithPods(): Iterable<string>;
  /** For placed pods of `namespace` that `selector` matches: their count per value of
   *  `topologyKey` over the nodes carrying every key of `requiredKeys` (a node without the
   *  topology key itself is the value ""), and per node. Live, kept by the cache: do not modify. */
  spreadCounts(namespace: string, selector: Selector, topologyKey: string, requiredKeys: readonly string[]): SpreadCountsView;
}

export interface ObjectListers {
  /** A namespace's labels; undefined when the namespace is unknown. */
  namespaceLabels(name: string): Labels | undefined;
  /** The names of the namespaces whose labels match. */
  namespacesMatching(selector: Selector): string[];
  /** The Services of a namespace. */
  services(namespace: string): Iterable<Service>;
  replicaSet(namespace: string, name: string): ReplicaSet | undefined;
  replicationController(namespace: string, name: string): ReplicationController | undefined;
  /** Every PodDisruptionBudget (DefaultPreemption prefers victims whose budget allows it). */
  podDisruptionBudgets(): readonly PodDisruptionBudgetObject[];
}

/** Listers of an empty cluster: no namespaces, Services or ReplicaSets (tests, benchmarks). */
export const NO_OBJECTS: ObjectListers = Object.freeze({
  namespaceLabels: () => undefined,
  namespacesMatching: () => [],
  services: () => [],
  replicaSet: () => undefined,
  replicationController: () => undefined,
  podDisruptionBudgets: () => [],
});

/** What VolumeBinding reads (informer caches) and writes (a claim's selected node). */
export interface VolumeAccess {
  claim(namespace: string, name: string): PersistentVolumeClaimObject | undefined;
  volume(name: string): PersistentVolumeObject | undefined;
  volumes(): Iterable<PersistentVolumeObject>;
  storageClass(name: string): StorageClassObject | undefined;
  /** Annotates the claim with volume.kubernetes.io/selected-node (a compare-and-swap on a fresh read). */
  selectNode(namespace: string, name: string, nodeName: string): Promise<void>;
  /** Resolves when something about claims or volumes changed, or after `ms`. */
  changed(ms: number): Promise<void>;
}
