// The scheduler's cache: every node with the requests of the pods placed on it. A pod the
// scheduler has chosen a node for is *assumed* there at once, before the API server has
// confirmed the binding, so the next cycle (milliseconds later) already sees the node's
// resources as taken. Then:
//   bind succeeded → finishBinding: the assumption expires after a TTL unless the informer
//                    shows the bound pod first (addPod confirms it);
//   bind failed    → forgetPod: the resources are free again.
// Pods bound to nodes the cache does not know yet are kept on a node entry without a Node
// object, which is not offered to cycles.
import type { Lease, Node, Pod } from '@tugboat/api';
import { NodeInfo, type NodeLeaseInfo } from './framework/node-info.js';
import { newPodInfo, podKey, withPod, type PodInfo } from './framework/pod-info.js';

export const DEFAULT_ASSUMED_POD_TTL_MS = 30_000;

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

export class SchedulerCache {
  private readonly infos = new Map<string, NodeInfo>();
  // Nodes with a Node object, in a stable order that cycles walk round-robin.
  private readonly list: NodeInfo[] = [];
  private readonly index = new Map<string, number>();
  private readonly pods = new Map<string, PodState>();
  private readonly leases = new Map<string, NodeLeaseInfo>();
  private readonly now: () => number;
  private readonly ttl: number;

  constructor(opts: CacheOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.ttl = opts.assumedPodTtlMs ?? DEFAULT_ASSUMED_POD_TTL_MS;
  }

  /** The schedulable node list; live, do not modify. */
  nodes(): readonly NodeInfo[] { return this.list; }
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
    info.setNode(node);
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
    info.node = undefined;
    if (info.pods.size === 0) this.infos.delete(name);
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
    if (s?.assumed) s.deadline = this.now() + this.ttl;
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
  }

  private unplace(key: string, nodeName: string): void {
    const info = this.infos.get(nodeName);
    if (!info) return;
    info.removePod(key);
    if (!info.node && info.pods.size === 0) this.infos.delete(nodeName);
  }
}
