// What the scheduler knows about one node: the Node object, its allocatable resources, the
// requests of the pods placed on it (bound or assumed), and its heartbeat Lease. Filters and
// scores read only this, so one cycle is a loop over NodeInfos without any lookups.
import type { Node, Taint } from '@tugboat/api';
import type { PodInfo } from './pod-info.js';
import { nodeAllocatable, type Resources } from './resources.js';

export interface NodeLeaseInfo {
  /** spec.renewTime, ms since the epoch. */
  renewTimeMs: number;
  /** spec.leaseDurationSeconds, in ms. */
  durationMs: number;
}

export class NodeInfo {
  node: Node | undefined;
  allocatable = { cpuMilli: 0, memory: 0, pods: 0 };
  readonly requested: Resources = { cpuMilli: 0, memory: 0 };
  readonly nonZeroRequested: Resources = { cpuMilli: 0, memory: 0 };
  readonly pods = new Map<string, PodInfo>();
  /** How many of this node's pods each owner (by uid) has, for spreading. */
  readonly ownerCounts = new Map<string, number>();
  labels: Readonly<Record<string, string>> = {};
  unschedulable = false;
  /** The Ready condition is True. */
  ready = false;
  /** Taints with effect NoSchedule or NoExecute: a pod must tolerate every one to fit. */
  hardTaints: readonly Taint[] = [];
  /** Taints with effect PreferNoSchedule: lower the score. */
  softTaints: readonly Taint[] = [];
  lease: NodeLeaseInfo | undefined;
  /** Bumped on every change; lets callers notice one. */
  generation = 0;

  constructor(readonly name: string, node?: Node) {
    if (node) this.setNode(node);
  }

  setNode(node: Node): void {
    this.node = node;
    this.allocatable = nodeAllocatable(node.status as Parameters<typeof nodeAllocatable>[0]);
    this.labels = node.metadata?.labels ?? {};
    this.unschedulable = node.spec?.unschedulable === true;
    this.ready = (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
    const taints = node.spec?.taints ?? [];
    this.hardTaints = taints.filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
    this.softTaints = taints.filter((t) => t.effect === 'PreferNoSchedule');
    this.generation++;
  }

  setLease(lease: NodeLeaseInfo | undefined): void {
    this.lease = lease;
    this.generation++;
  }

  /** The node's lease was renewed within its duration. */
  leaseLive(nowMs: number): boolean {
    return this.lease !== undefined && nowMs < this.lease.renewTimeMs + this.lease.durationMs;
  }

  addPod(p: PodInfo): void {
    if (this.pods.has(p.key)) this.removePod(p.key);
    this.pods.set(p.key, p);
    this.requested.cpuMilli += p.requests.cpuMilli;
    this.requested.memory += p.requests.memory;
    this.nonZeroRequested.cpuMilli += p.nonZero.cpuMilli;
    this.nonZeroRequested.memory += p.nonZero.memory;
    if (p.ownerUid) this.ownerCounts.set(p.ownerUid, (this.ownerCounts.get(p.ownerUid) ?? 0) + 1);
    this.generation++;
  }

  removePod(key: string): PodInfo | undefined {
    const p = this.pods.get(key);
    if (!p) return undefined;
    this.pods.delete(key);
    this.requested.cpuMilli -= p.requests.cpuMilli;
    this.requested.memory -= p.requests.memory;
    this.nonZeroRequested.cpuMilli -= p.nonZero.cpuMilli;
    this.nonZeroRequested.memory -= p.nonZero.memory;
    if (p.ownerUid) {
      const n = (this.ownerCounts.get(p.ownerUid) ?? 1) - 1;
      if (n > 0) this.ownerCounts.set(p.ownerUid, n);
      else this.ownerCounts.delete(p.ownerUid);
    }
    this.generation++;
    return p;
  }
}
