// What the scheduler knows about one node: the Node object, its allocatable resources, the
// requests of the pods placed on it (bound or assumed), and its heartbeat Lease. Filters and
// scores read only this, so one cycle is a loop over NodeInfos without any lookups.
import { NODE_USAGE_ANNOTATION, POD_USAGE_ANNOTATION, isNodeReady, parseNodeUsage, type Node, type NodeUsageReport, type Taint } from '@tugboat/api';
import type { PodInfo } from './pod-info.js';
import { nodeAllocatable } from './resources.js';

export interface NodeLeaseInfo {
  /** spec.renewTime, ms since the epoch. */
  renewTimeMs: number;
  /** spec.leaseDurationSeconds, in ms. */
  durationMs: number;
}

// The numbers filters and scores read are plain fields of this object, not nested objects:
// a cycle touches hundreds of NodeInfos, and each extra pointer to follow is a cache miss.
export class NodeInfo {
  node: Node | undefined;
  allocatableCpuMilli = 0;
  allocatableMemory = 0;
  allocatablePods = 0;
  /** Sum of the requests of the pods on the node (bound or assumed). */
  requestedCpuMilli = 0;
  requestedMemory = 0;
  /** The same with Kubernetes' non-zero defaults for unset requests, for scoring. */
  nonZeroCpuMilli = 0;
  nonZeroMemory = 0;
  /** Per pod the larger of its reported use and its non-zero request, summed (the load
   *  NodeResourcesLoadAware scores). A pod the report does not name (placed since, or not yet
   *  running) counts its request; without a report this equals nonZero*. */
  loadCpuMilli = 0;
  loadMemory = 0;
  podCount = 0;
  /** When the heartbeat Lease runs out (renewTime + duration), ms; -Infinity without one. */
  leaseExpiresAtMs = Number.NEGATIVE_INFINITY;
  readonly pods = new Map<string, PodInfo>();
  /** The pods with terms that score other pods: required affinity or preferred terms
   *  (InterPodAffinity's PreScore; pods with only required anti-affinity cannot add to a score). */
  readonly podsWithAffinity = new Map<string, PodInfo>();
  /** The pods with required anti-affinity terms (they may keep a new pod off the node). */
  readonly podsWithRequiredAntiAffinity = new Map<string, PodInfo>();
  labels: Readonly<Record<string, string>> = {};
  unschedulable = false;
  /** The Ready condition is True. */
  ready = false;
  /** Taints with effect NoSchedule or NoExecute: a pod must tolerate every one to fit. */
  hardTaints: readonly Taint[] = [];
  /** Taints with effect PreferNoSchedule: lower the score. */
  softTaints: readonly Taint[] = [];
  lease: NodeLeaseInfo | undefined;
  /** What the agent last reported on the Node (tugboat.io/usage, tugboat.io/pod-usage). */
  usage: NodeUsageReport | undefined;
  /** Why the report on the Node could not be read; it is then ignored. */
  usageError: string | undefined;
  // The annotations the report was parsed from: a node update that leaves them alone (a
  // label, a condition) does not parse them again.
  private usageText: string | undefined;
  private podUsageText: string | undefined;
  /** Bumped on every change; lets callers notice one. */
  generation = 0;

  constructor(readonly name: string, node?: Node) {
    if (node) this.setNode(node);
  }

  setNode(node: Node): void {
    this.node = node;
    const a = nodeAllocatable(node.status as Parameters<typeof nodeAllocatable>[0]);
    this.allocatableCpuMilli = a.cpuMilli;
    this.allocatableMemory = a.memory;
    this.allocatablePods = a.pods;
    this.labels = node.metadata?.labels ?? {};
    this.unschedulable = node.spec?.unschedulable === true;
    this.ready = isNodeReady(node);
    const taints = node.spec?.taints ?? [];
    this.hardTaints = taints.filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
    this.softTaints = taints.filter((t) => t.effect === 'PreferNoSchedule');
    this.setUsage(node.metadata?.annotations);
    this.generation++;
  }

  private setUsage(annotations: Readonly<Record<string, string>> | undefined): void {
    const text = annotations?.[NODE_USAGE_ANNOTATION];
    const podText = annotations?.[POD_USAGE_ANNOTATION];
    if (text === this.usageText && podText === this.podUsageText) return;
    this.usageText = text;
    this.podUsageText = podText;
    const parsed = parseNodeUsage(annotations);
    this.usage = parsed && 'report' in parsed ? parsed.report : undefined;
    this.usageError = parsed && 'error' in parsed ? parsed.error : undefined;
    this.loadCpuMilli = 0;
    this.loadMemory = 0;
    for (const p of this.pods.values()) this.addLoad(p, 1);
  }

  // Trimaran's rule for a stale report: a pod counts at least what it requested, more when it
  // was seen using more.
  private addLoad(p: PodInfo, sign: number): void {
    const used = this.usage?.pods.get(p.key);
    this.loadCpuMilli += sign * (used && used.cpuMilli > p.nonZero.cpuMilli ? used.cpuMilli : p.nonZero.cpuMilli);
    this.loadMemory += sign * (used && used.memory > p.nonZero.memory ? used.memory : p.nonZero.memory);
  }

  /** A copy to change without touching this one (preemption's and nominated pods' what-ifs):
   *  the Node, taints and labels are shared (never modified in place), the pod maps copied. */
  clone(): NodeInfo {
    const c = new NodeInfo(this.name);
    c.node = this.node;
    c.allocatableCpuMilli = this.allocatableCpuMilli;
    c.allocatableMemory = this.allocatableMemory;
    c.allocatablePods = this.allocatablePods;
    c.requestedCpuMilli = this.requestedCpuMilli;
    c.requestedMemory = this.requestedMemory;
    c.nonZeroCpuMilli = this.nonZeroCpuMilli;
    c.nonZeroMemory = this.nonZeroMemory;
    c.loadCpuMilli = this.loadCpuMilli;
    c.loadMemory = this.loadMemory;
    c.usage = this.usage;
    c.usageError = this.usageError;
    c.usageText = this.usageText;
    c.podUsageText = this.podUsageText;
    c.podCount = this.podCount;
    c.leaseExpiresAtMs = this.leaseExpiresAtMs;
    for (const [k, p] of this.pods) c.pods.set(k, p);
    for (const [k, p] of this.podsWithAffinity) c.podsWithAffinity.set(k, p);
    for (const [k, p] of this.podsWithRequiredAntiAffinity) c.podsWithRequiredAntiAffinity.set(k, p);
    c.labels = this.labels;
    c.unschedulable = this.unschedulable;
    c.ready = this.ready;
    c.hardTaints = this.hardTaints;
    c.softTaints = this.softTaints;
    c.lease = this.lease;
    c.generation = this.generation;
    return c;
  }

  setLease(lease: NodeLeaseInfo | undefined): void {
    this.lease = lease;
    this.leaseExpiresAtMs = lease ? lease.renewTimeMs + lease.durationMs : Number.NEGATIVE_INFINITY;
    this.generation++;
  }

  /** The node's lease was renewed within its duration. */
  leaseLive(nowMs: number): boolean {
    return nowMs < this.leaseExpiresAtMs;
  }

  addPod(p: PodInfo): void {
    if (this.pods.has(p.key)) this.removePod(p.key);
    this.pods.set(p.key, p);
    this.podCount++;
    this.requestedCpuMilli += p.requests.cpuMilli;
    this.requestedMemory += p.requests.memory;
    this.nonZeroCpuMilli += p.nonZero.cpuMilli;
    this.nonZeroMemory += p.nonZero.memory;
    this.addLoad(p, 1);
    const a = p.affinity;
    if (a) {
      if (a.requiredAffinity.length + a.preferredAffinity.length + a.preferredAntiAffinity.length > 0) this.podsWithAffinity.set(p.key, p);
      if (a.requiredAntiAffinity.length > 0) this.podsWithRequiredAntiAffinity.set(p.key, p);
    }
    this.generation++;
  }

  removePod(key: string): PodInfo | undefined {
    const p = this.pods.get(key);
    if (!p) return undefined;
    this.pods.delete(key);
    this.podCount--;
    this.requestedCpuMilli -= p.requests.cpuMilli;
    this.requestedMemory -= p.requests.memory;
    this.nonZeroCpuMilli -= p.nonZero.cpuMilli;
    this.nonZeroMemory -= p.nonZero.memory;
    this.addLoad(p, -1);
    if (p.affinity) {
      this.podsWithAffinity.delete(key);
      this.podsWithRequiredAntiAffinity.delete(key);
    }
    this.generation++;
    return p;
  }
}
