// The scheduling queue, as Kubernetes' PriorityQueue: three parts.
//
//   add ──▶ active (heap: priority, then time queued) ──pop──▶ a scheduling cycle
//              ▲                                                   │ failed
//              │ backoff over                                      ▼
//           backoff (heap: when the backoff ends) ◀── error / moved while backing off
//              ▲
//              │ cluster event (node added/changed, pod deleted) or 60 s passed
//           unschedulable (set) ◀── "fits nowhere"
//
// A pod with spec.schedulingGates waits in a fourth part, gated, and is never tried until an
// update removes its last gate (Kubernetes' SchedulingGates PreEnqueue check); then it is active.
//
// Back-off grows with each failed attempt: 1 s, 2 s, 4 s … at most 10 s. A pod that fits
// nowhere waits in unschedulable until something happens that could make it fit; if that
// something happened *while* it was being scheduled, it goes to backoff instead, so the event
// is not lost. Time comes from an injected clock and nothing here sleeps: the owner calls
// flush() periodically, tests call it after moving their clock.
import type { Pod } from '@tugboat/api';
import { KeyedHeap } from './heap.js';
import { newPodInfo, type PodInfo } from './framework/pod-info.js';
import { Nominator } from './nominator.js';

export interface QueuedPodInfo {
  podInfo: PodInfo;
  /** When it last entered the queue: orders equal priorities and starts its back-off. */
  timestamp: number;
  /** Scheduling attempts so far. */
  attempts: number;
  /** When its first attempt started. */
  initialAttemptTimestamp: number | undefined;
  /** When it entered the unschedulable part. */
  unschedulableSince: number | undefined;
}

export interface QueueOptions {
  now?: () => number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A pod stays at most this long in unschedulable without an event. */
  maxUnschedulableMs?: number;
  /** Follows the queued pods' nominations; a new one when not given. */
  nominator?: Nominator;
}

export interface PendingCounts {
  active: number;
  backoff: number;
  unschedulable: number;
  gated: number;
}

/** Whether a pod still waits for its scheduling gates to be removed. */
export function isGated(pod: Pod): boolean {
  return (pod.spec?.schedulingGates?.length ?? 0) > 0;
}

export const QUEUE_DEFAULTS = { initialBackoffMs: 1_000, maxBackoffMs: 10_000, maxUnschedulableMs: 60_000 } as const;

const keyOf = (qp: QueuedPodInfo): string => qp.podInfo.key;

export class SchedulingQueue {
  /** Which queued pods are nominated to which node (status.nominatedNodeName or preemption). */
  readonly nominator: Nominator;
  private readonly now: () => number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxUnschedulableMs: number;
  private readonly active = new KeyedHeap<QueuedPodInfo>(keyOf, (a, b) =>
    a.podInfo.priority !== b.podInfo.priority ? a.podInfo.priority > b.podInfo.priority : a.timestamp < b.timestamp);
  private readonly backoff = new KeyedHeap<QueuedPodInfo>(keyOf, (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b));
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  private readonly gated = new Map<string, QueuedPodInfo>();
  // Popped and being scheduled; a delete or update meanwhile is remembered here.
  private readonly inFlight = new Map<string, { qp: QueuedPodInfo; deleted: boolean; updated: boolean }>();
  private schedulingCycle = 0;
  private moveRequestCycle = -1;
  private waiters: (() => void)[] = [];
  private closed = false;

  constructor(opts: QueueOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.initialBackoffMs = opts.initialBackoffMs ?? QUEUE_DEFAULTS.initialBackoffMs;
    this.maxBackoffMs = opts.maxBackoffMs ?? QUEUE_DEFAULTS.maxBackoffMs;
    this.maxUnschedulableMs = opts.maxUnschedulableMs ?? QUEUE_DEFAULTS.maxUnschedulableMs;
    this.nominator = opts.nominator ?? new Nominator();
  }

  /** A new pending pod (or a newer version of one already queued). */
  add(pod: Pod | PodInfo): void {
    const info = 'key' in pod ? pod : newPodInfo(pod);
    if (this.has(info.key)) { this.update(info); return; }
    this.nominator.sync(info);
    const qp: QueuedPodInfo = { podInfo: info, timestamp: this.now(), attempts: 0, initialAttemptTimestamp: undefined, unschedulableSince: undefined };
    if (isGated(info.pod)) this.gated.set(info.key, qp);
    else this.pushActive(qp);
  }

  /** A queued pod changed: it may fit now, so an unschedulable one is retried. */
  update(pod: Pod | PodInfo): void {
    const info = 'key' in pod ? pod : newPodInfo(pod);
    this.nominator.sync(info);
    const flight = this.inFlight.get(info.key);
    if (flight) {
      flight.qp.podInfo = info;
      flight.updated = true;
      return;
    }
    const inActive = this.active.get(info.key);
    if (inActive) { inActive.podInfo = info; this.active.push(inActive); return; }
    const inBackoff = this.backoff.get(info.key);
    if (inBackoff) { inBackoff.podInfo = info; this.backoff.push(inBackoff); return; }
    const waiting = this.gated.get(info.key);
    if (waiting) {
      waiting.podInfo = info;
      if (isGated(info.pod)) return;
      // Its last gate is gone: from now on it is a pending pod like any other.
      this.gated.delete(info.key);
      waiting.timestamp = this.now();
      this.pushActive(waiting);
      return;
    }
    const parked = this.unschedulable.get(info.key);
    if (parked) {
      parked.podInfo = info;
      this.unschedulable.delete(info.key);
      this.requeue(parked);
      return;
    }
    this.add(info);
  }

  /** The pod is gone, or bound, or no longer ours. */
  delete(key: string): void {
    this.nominator.delete(key);
    this.active.delete(key);
    this.backoff.delete(key);
    this.unschedulable.delete(key);
    this.gated.delete(key);
    const flight = this.inFlight.get(key);
    if (flight) flight.deleted = true;
  }

  has(key: string): boolean {
    return this.active.has(key) || this.backoff.has(key) || this.unschedulable.has(key) || this.gated.has(key) || this.inFlight.has(key);
  }

  /** The next pod to schedule, or undefined when none is active. Starts a scheduling cycle. */
  pop(): QueuedPodInfo | undefined {
    const qp = this.active.pop();
    if (!qp) return undefined;
    this.schedulingCycle++;
    qp.attempts++;
    qp.initialAttemptTimestamp ??= this.now();
    this.inFlight.set(qp.podInfo.key, { qp, deleted: false, updated: false });
    return qp;
  }

  /** Resolves once a pod is active (or at once if one is), or when wake() or close() is called. */
  waitForActive(): Promise<void> {
    if (this.closed || this.active.size > 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Releases everyone in waitForActive (the scheduler stops leading, say). */
  wake(): void {
    if (this.waiters.length === 0) return;
    for (const w of this.waiters.splice(0)) w();
  }

  /** The cycle number of the latest pop; pass it back to addUnschedulable. */
  currentCycle(): number { return this.schedulingCycle; }

  /** The pod was placed (or dropped): it leaves the queue. */
  done(key: string): void {
    this.inFlight.delete(key);
  }

  /** The pod fits nowhere: park it until the cluster changes (or back off, if it already did). */
  addUnschedulable(qp: QueuedPodInfo, podCycle: number): void {
    const flight = this.inFlight.get(qp.podInfo.key);
    this.inFlight.delete(qp.podInfo.key);
    if (flight?.deleted) return;
    qp.timestamp = this.now();
    if (flight?.updated || this.moveRequestCycle >= podCycle) {
      this.backoff.push(qp);
    } else {
      qp.unschedulableSince = qp.timestamp;
      this.unschedulable.set(qp.podInfo.key, qp);
    }
  }

  /** The attempt failed for a reason other than fit (an API error): retry after back-off. */
  addBackoff(qp: QueuedPodInfo): void {
    const flight = this.inFlight.get(qp.podInfo.key);
    this.inFlight.delete(qp.podInfo.key);
    if (flight?.deleted) return;
    qp.timestamp = this.now();
    this.backoff.push(qp);
  }

  /** Something changed that may let parked pods fit (node added or changed, pod deleted). */
  moveAllToActiveOrBackoff(): void {
    for (const qp of this.unschedulable.values()) this.requeue(qp);
    this.unschedulable.clear();
    this.moveRequestCycle = this.schedulingCycle;
  }

  /** Moves pods whose back-off is over to active, and pods parked for too long back. */
  flush(): void {
    const now = this.now();
    for (let qp = this.backoff.peek(); qp && this.backoffExpiry(qp) <= now; qp = this.backoff.peek()) {
      this.backoff.pop();
      this.pushActive(qp);
    }
    for (const [key, qp] of this.unschedulable) {
      if (now - (qp.unschedulableSince ?? qp.timestamp) >= this.maxUnschedulableMs) {
        this.unschedulable.delete(key);
        this.requeue(qp);
      }
    }
  }

  /** 1 s, 2 s, 4 s … capped, by the number of attempts so far. */
  backoffDuration(qp: QueuedPodInfo): number {
    let d = this.initialBackoffMs;
    for (let i = 1; i < qp.attempts && d < this.maxBackoffMs; i++) d *= 2;
    return Math.min(d, this.maxBackoffMs);
  }

  backoffExpiry(qp: QueuedPodInfo): number {
    return qp.timestamp + this.backoffDuration(qp);
  }

  counts(): PendingCounts {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size, gated: this.gated.size };
  }

  close(): void {
    this.closed = true;
    this.wake();
  }

  private requeue(qp: QueuedPodInfo): void {
    qp.unschedulableSince = undefined;
    if (this.backoffExpiry(qp) > this.now()) this.backoff.push(qp);
    else this.pushActive(qp);
  }

  private pushActive(qp: QueuedPodInfo): void {
    this.active.push(qp);
    this.wake();
  }
}
