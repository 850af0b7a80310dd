// Builders for the scheduler's tests: small Nodes and Pods with just the fields that matter.
import { NODE_LEASE_NAMESPACE, NODE_USAGE_ANNOTATION, POD_USAGE_ANNOTATION, microTime, type KubeObject, type Lease, type TugboatClient } from '@tugboat/api';
import type { Affinity, Labels, Node, Pod, PodDisruptionBudgetObject, ReplicaSet, ReplicationController, Selector, Service, Taint, Toleration } from '@tugboat/api';
import { CycleState } from './framework/cycle-state.js';
import { NodeInfo } from './framework/node-info.js';
import { newPodInfo, type PodInfo } from './framework/pod-info.js';
import type { ObjectListers } from './framework/snapshot.js';
import type { TopologySpreadConstraint } from './plugins/pod-topology-spread/common.js';

export const NOW = Date.parse('2024-05-01T10:00:00Z');

export interface NodeSpecLite {
  cpu?: string;
  memory?: string;
  pods?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  ready?: boolean;
  annotations?: Record<string, string>;
}

export function makeNode(name: string, o: NodeSpecLite = {}): Node {
  const resources = { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...o.labels }, ...(o.annotations ? { annotations: o.annotations } : {}) },
    spec: { ...(o.unschedulable ? { unschedulable: true } : {}), ...(o.taints ? { taints: o.taints } : {}) },
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
    },
  };
}

/** The annotations an agent writes (packages/agent/src/node/usage.ts): each pod's use by
 *  "namespace/name", and the node's as their sum, measured at `at`. */
export function usageAnnotations(pods: Record<string, { cpu: string; memory: string }>, at = NOW): Record<string, string> {
  return {
    [NODE_USAGE_ANNOTATION]: JSON.stringify({ cpu: '0', memory: '0', timestamp: new Date(at).toISOString() }),
    [POD_USAGE_ANNOTATION]: JSON.stringify(pods),
  };
}

export interface PodSpecLite {
  cpu?: string;
  memory?: string;
  namespace?: string;
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  affinity?: Affinity;
  owner?: string;
  labels?: Record<string, string>;
  topologySpreadConstraints?: TopologySpreadConstraint[];
  deleting?: boolean;
  priority?: number;
  schedulerName?: string;
}

export function makePod(name: string, o: PodSpecLite = {}): Pod {
  const requests: Record<string, string> = {};
  if (o.cpu) requests['cpu'] = o.cpu;
  if (o.memory) requests['memory'] = o.memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.namespace ?? 'default',
      uid: `uid-${name}`,
      ...(o.labels ? { labels: o.labels } : {}),
      ...(o.deleting ? { deletionTimestamp: new Date(NOW).toISOString() } : {}),
      ...(o.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: o.owner, uid: `uid-${o.owner}`, controller: true }] } : {}),
    },
    spec: {
      containers: [{ name: 'app', image: 'busybox', ...(Object.keys(requests).length ? { resources: { requests } } : {}) }],
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
      ...(o.tolerations ? { tolerations: o.tolerations } : {}),
      ...(o.affinity ? { affinity: o.affinity } : {}),
      ...(o.topologySpreadConstraints ? { topologySpreadConstraints: o.topologySpreadConstraints } : {}),
      ...(o.priority !== undefined ? { priority: o.priority } : {}),
      ...(o.schedulerName ? { schedulerName: o.schedulerName } : {}),
    },
    status: { phase: 'Pending' },
  };
}

/** A NodeInfo with a live lease (renewed at NOW, 40 s) unless told otherwise. */
export function makeNodeInfo(name: string, o: NodeSpecLite & { lease?: 'live' | 'expired' | 'none' } = {}, pods: Pod[] = []): NodeInfo {
  const info = new NodeInfo(name, makeNode(name, o));
  const lease = o.lease ?? 'live';
  if (lease !== 'none') info.setLease({ renewTimeMs: lease === 'live' ? NOW : NOW - 60_000, durationMs: 40_000 });
  for (const p of pods) info.addPod(newPodInfo({ ...p, spec: { ...p.spec!, nodeName: name } }));
  return info;
}

export function podInfo(name: string, o: PodSpecLite = {}): PodInfo {
  return newPodInfo(makePod(name, o));
}

export function cycleState(): CycleState {
  return new CycleState(NOW);
}

/** In-memory listers for plugins' tests: namespaces (name → labels), Services, ReplicaSets. */
export function makeListers(o: { namespaces?: Record<string, Labels>; services?: Service[]; replicaSets?: ReplicaSet[]; replicationControllers?: ReplicationController[]; pdbs?: PodDisruptionBudgetObject[] } = {}): ObjectListers {
  const byName = <T extends { metadata?: { namespace?: string; name?: string } }>(list: T[] | undefined, ns: string, name: string): T | undefined =>
    (list ?? []).find((x) => x.metadata?.namespace === ns && x.metadata?.name === name);
  return {
    namespaceLabels: (name) => o.namespaces?.[name],
    namespacesMatching: (s: Selector) => Object.entries(o.namespaces ?? {}).filter(([, l]) => s.matches(l)).map(([n]) => n),
    services: (ns) => (o.services ?? []).filter((s) => s.metadata?.namespace === ns),
    replicaSet: (ns, name) => byName(o.replicaSets, ns, name),
    replicationController: (ns, name) => byName(o.replicationControllers, ns, name),
    podDisruptionBudgets: () => o.pdbs ?? [],
  };
}

/** A ReplicaSet `name` in `default` selecting `app: name` (what makePod's owner points at). */
export function makeReplicaSet(name: string, namespace = 'default'): ReplicaSet {
  return {
    apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name, namespace },
    // replicas 0: no controller should make pods of it in a test that runs one.
    spec: { replicas: 0, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'busybox' }] } } },
  };
}

/** A fake node in the API: the Node and a Lease renewed now for 600 s (no agent keeps it). */
export async function createNodeWithLease(client: TugboatClient, node: Node): Promise<void> {
  const name = node.metadata!.name!;
  await client.create(node as Node & KubeObject);
  const lease: Lease & KubeObject = {
    apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: NODE_LEASE_NAMESPACE },
    spec: { holderIdentity: name, leaseDurationSeconds: 600, renewTime: microTime(Date.now()) },
  };
  await client.create(lease);
}
