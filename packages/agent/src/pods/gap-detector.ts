// Notices that the agent was not running for a while: SIGSTOP, a frozen VM, a machine that
// slept. Its caches are then older than they look: while it was gone its node may have been
// declared dead and its pods evicted and replaced elsewhere, and the watch events that say so
// are still on their way. Until a pod is confirmed with the API server, the agent must not
// (re)start anything of it, or it runs a stale copy next to the replacement (fencing).
//
// A timer that should tick every `periodMs` tells: a tick that comes much later than that
// (or a tick overdue right now, before the timer had its chance) is a gap. A false alarm (an
// event loop that was merely busy) costs a GET per pod; a missed gap costs a pod running twice.

export class GapDetector {
  private last: number;
  private gapAt: number | undefined;

  /**
   * @param now a monotonic clock in ms (performance.now(): it keeps counting while the
   *            process is stopped, so the stop shows)
   * @param periodMs how often tick() is called
   * @param toleranceMs lateness that is not yet a gap (a busy event loop)
   */
  constructor(private readonly now: () => number, private readonly periodMs: number, private readonly toleranceMs: number) {
    this.last = now();
  }

  /** Called every periodMs. True when this tick reveals a gap. */
  tick(): boolean {
    const gap = this.overdue();
    this.last = this.now();
    if (gap) this.gapAt = this.last;
    return gap;
  }

  /**
   * The time of the last gap (monotonic ms), checking first whether one is going on now: a
   * tick overdue means the process has just resumed and its timers have not run yet.
   */
  lastGap(): number | undefined {
    if (this.overdue()) this.tick();
    return this.gapAt;
  }

  /** How long the current gap has lasted, or the last tick's lateness. */
  sinceLastTick(): number {
    return this.now() - this.last;
  }

  private overdue(): boolean {
    return this.now() - this.last > this.periodMs + this.toleranceMs;
  }
}

/** What a fresh read of a pod says about running it here after a gap. Pure. */
export type Confirmation = 'bound here' | 'gone' | 'bound elsewhere' | 'deleting';

export function confirmPod(
  fresh: { metadata?: { uid?: string; deletionTimestamp?: string }; spec?: { nodeName?: string } } | undefined,
  uid: string,
  nodeName: string,
): Confirmation {
  if (!fresh || fresh.metadata?.uid !== uid) return 'gone';
  if (fresh.spec?.nodeName !== nodeName) return 'bound elsewhere';
  if (fresh.metadata?.deletionTimestamp) return 'deleting';
  return 'bound here';
}
