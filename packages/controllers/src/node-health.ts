// Node lifecycle decisions, pure: is a node healthy, which NoExecute taints should it carry,
// is the cluster so broken that evictions must stop, and when must each pod on a tainted
// node go. node-lifecycle.ts reads the caches, asks these, and writes the answers.
import { NODE_HEARTBEATS_ANNOTATION, sameTaint, type KubeObject, type NodeCondition, type Pod, type Taint } from '@tugboat/api';
import { isPodTerminal } from './pod-util.js';
import { noExecuteTaints, tolerationsFor } from './taints.js';

export const UNREACHABLE_TAINT_KEY = 'node.kubernetes.io/unreachable';
export const NOT_READY_TAINT_KEY = 'node.kubernetes.io/not-ready';
export const NODE_STATUS_UNKNOWN_REASON = 'NodeStatusUnknown';
export const NODE_STATUS_UNKNOWN_MESSAGE = 'Kubelet stopped posting node status.';
export const NODE_NEVER_UPDATED_REASON = 'NodeStatusNeverUpdated';
export const DEFAULT_UNHEALTHY_THRESHOLD = 0.55;

/** Healthy; NotReady (its agent says so); Unreachable (its agent went silent). */
export type NodeHealth = 'Healthy' | 'NotReady' | 'Unreachable';

export interface NodeHealthInput {
  /** When this controller last saw a sign of life (lease renewal or status heartbeat), local clock. */
  lastProbeMs: number;
  ready: NodeCondition | undefined;
}

export interface NodeHealthResult {
  health: NodeHealth;
  /**
   * Healthy, but silent for more than half the grace period: likely to fail too. Counted as
   * unhealthy when deciding whether evictions must stop, so that several nodes lost at once
   * — whose leases lapse a few seconds apart — are seen together rather than one by one.
   */
  suspect: boolean;
  silentMs: number;
}

export function nodeHealth(input: NodeHealthInput, nowMs: number, gracePeriodMs: number): NodeHealthResult {
  const silentMs = Math.max(0, nowMs - input.lastProbeMs);
  if (silentMs > gracePeriodMs) return { health: 'Unreachable', suspect: false, silentMs };
  const ready = input.ready;
  // Our own Unknown (the agent was silent) stands only until the agent posts again.
  const agentSaysNotReady = ready?.status === 'False' || (ready?.status === 'Unknown' && ready.reason !== NODE_STATUS_UNKNOWN_REASON && ready.reason !== NODE_NEVER_UPDATED_REASON);
  if (agentSaysNotReady) return { health: 'NotReady', suspect: false, silentMs };
  return { health: 'Healthy', suspect: silentMs > gracePeriodMs / 2, silentMs };
}

export type DisruptionMode = 'Normal' | 'FullDisruption';

export interface Disruption {
  unhealthy: number;
  total: number;
  fraction: number;
  mode: DisruptionMode;
}

/**
 * More than `threshold` of the nodes unhealthy at once is more likely a problem between the
 * nodes and us (network, API server) than that many machines failing: evictions stop, so a
 * blip cannot delete every pod of the cluster (Kubernetes' "full disruption").
 */
export function disruption(results: readonly NodeHealthResult[], threshold = DEFAULT_UNHEALTHY_THRESHOLD): Disruption {
  const total = results.length;
  const unhealthy = results.filter((r) => r.health !== 'Healthy' || r.suspect).length;
  const fraction = total ? unhealthy / total : 0;
  return { unhealthy, total, fraction, mode: total > 0 && fraction > threshold ? 'FullDisruption' : 'Normal' };
}

export function formatDisruption(d: Disruption, threshold = DEFAULT_UNHEALTHY_THRESHOLD): string {
  const pct = (x: number): string => `${Math.round(x * 100)}%`;
  return `${d.unhealthy} of ${d.total} nodes (${pct(d.fraction)}) are unhealthy, over the ${pct(threshold)} threshold: evictions are halted (full disruption)`;
}

/** The NoExecute taint key this controller puts on a node in that health, if any. */
export function healthTaintKey(health: NodeHealth): string | undefined {
  switch (health) {
    case 'Unreachable': return UNREACHABLE_TAINT_KEY;
    case 'NotReady': return NOT_READY_TAINT_KEY;
    case 'Healthy': return undefined;
  }
}

/** One of the taints this controller manages (and so may remove). */
export function isHealthTaint(t: Taint): boolean {
  return t.effect === 'NoExecute' && (t.key === UNREACHABLE_TAINT_KEY || t.key === NOT_READY_TAINT_KEY);
}

/** The taints a node should have for its health; undefined when they are already right. */
export function desiredTaints(current: readonly Taint[] | undefined, health: NodeHealth, nowMs: number): Taint[] | undefined {
  const existing = current ?? [];
  const wantKey = healthTaintKey(health);
  const kept = existing.filter((t) => !isHealthTaint(t) || t.key === wantKey);
  const next = [...kept];
  if (wantKey && !kept.some((t) => t.key === wantKey && t.effect === 'NoExecute')) {
    next.push({ key: wantKey, effect: 'NoExecute', timeAdded: new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z') });
  }
  const same = next.length === existing.length && next.every((t) => existing.some((e) => sameTaint(e, t)));
  return same ? undefined : next;
}

/**
 * The conditions of a node whose agent went silent: each condition it posted becomes Unknown
 * (Kubernetes' tryUpdateNodeHealth); undefined when they already are.
 */
export function unknownConditions(conditions: readonly NodeCondition[] | undefined, nowMs: number): NodeCondition[] | undefined {
  const now = new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const current = conditions ?? [];
  let changed = false;
  const next = current.map((c) => {
    if (c.status === 'Unknown') return c;
    changed = true;
    return { ...c, status: 'Unknown', reason: NODE_STATUS_UNKNOWN_REASON, message: NODE_STATUS_UNKNOWN_MESSAGE, lastTransitionTime: now };
  });
  if (!current.some((c) => c.type === 'Ready')) {
    changed = true;
    next.push({ type: 'Ready', status: 'Unknown', reason: NODE_NEVER_UPDATED_REASON, message: 'Kubelet never posted node status.', lastTransitionTime: now, lastHeartbeatTime: now });
  }
  return changed ? next : undefined;
}

export type EvictionDecision =
  | { action: 'keep' }
  | { action: 'evict' }
  | { action: 'evictAt'; atMs: number };

/**
 * When a pod on a node with NoExecute taints must go (Kubernetes' taint manager): at once
 * if one taint is not tolerated; after the shortest tolerationSeconds of the tolerations
 * used, counted from when the taint was added; never if they all tolerate forever.
 */
export function podEvictionDecision(pod: Pod, taints: readonly Taint[] | undefined, nowMs: number): EvictionDecision {
  const noExec = noExecuteTaints(taints);
  if (noExec.length === 0) return { action: 'keep' };
  // Already going, or done: nothing to evict.
  if (pod.metadata?.deletionTimestamp || isPodTerminal(pod)) return { action: 'keep' };
  let at: number | undefined;
  for (const taint of noExec) {
    const used = tolerationsFor(pod.spec?.tolerations, taint);
    if (used.length === 0) return { action: 'evict' };
    const seconds = used.map((t) => t.tolerationSeconds).filter((s): s is number => typeof s === 'number');
    // A toleration without tolerationSeconds tolerates forever.
    if (seconds.length < used.length) continue;
    const min = Math.max(0, Math.min(...seconds));
    const added = taint.timeAdded ? Date.parse(taint.timeAdded) : NaN;
    const from = Number.isFinite(added) ? added : nowMs;
    const when = from + min * 1000;
    at = at === undefined ? when : Math.min(at, when);
  }
  if (at === undefined) return { action: 'keep' };
  return at <= nowMs ? { action: 'evict' } : { action: 'evictAt', atMs: at };
}

/**
 * When this controller last saw each node alive, by its own clock: a lease renewal, a status
 * heartbeat, or a batch of an API server's heartbeats naming it counts when its value changes
 * (so clock skew between machines does not matter). A node seen for the first time gets a full
 * grace period from then.
 */
export class ProbeTracker {
  private readonly nodes = new Map<string, { keys: Map<string, string>; at: number }>();

  observe(node: string, source: 'lease' | 'status' | 'heartbeat', value: string | undefined, nowMs: number): void {
    let rec = this.nodes.get(node);
    if (!rec) {
      rec = { keys: new Map(), at: nowMs };
      this.nodes.set(node, rec);
    }
    if (value === undefined) return;
    if (rec.keys.get(source) !== value) {
      const first = !rec.keys.has(source);
      rec.keys.set(source, value);
      // The first value seen is not news of life (it may be hours old); a change is.
      if (!first) rec.at = nowMs;
    }
  }

  lastProbe(node: string, nowMs: number): number {
    let rec = this.nodes.get(node);
    if (!rec) {
      rec = { keys: new Map(), at: nowMs };
      this.nodes.set(node, rec);
    }
    return rec.at;
  }

  forget(node: string): void {
    this.nodes.delete(node);
  }
}

/** The nodes an API server's heartbeat Lease names (its NODE_HEARTBEATS_ANNOTATION, comma-separated). */
export function heartbeatNodes(lease: KubeObject): string[] {
  const list = lease.metadata?.annotations?.[NODE_HEARTBEATS_ANNOTATION] ?? '';
  return list ? list.split(',') : [];
}
