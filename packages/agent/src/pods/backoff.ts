// Kubernetes' container restart back-off (client-go flowcontrol.Backoff as kubelet uses it,
// without jitter): the first restart is immediate, then 10 s, 20 s, 40s … capped at 5 min.
// The window resets when a container ran for more than twice the cap (10 min) before it
// exited again. The clock is injected so the timing is tested without sleeping.

export const DEFAULT_BACKOFF_INITIAL_MS = 10_000;
export const DEFAULT_BACKOFF_MAX_MS = 300_000;

interface Entry {
  backoffMs: number;
  /** When the last restart was allowed (ms). */
  lastUpdate: number;
}

export class BackOff {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly initialMs: number = DEFAULT_BACKOFF_INITIAL_MS,
    private readonly maxMs: number = DEFAULT_BACKOFF_MAX_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The current back-off of `key`, ms (0 when none). */
  get(key: string): number {
    return this.entries.get(key)?.backoffMs ?? 0;
  }

  /** A restart is allowed now for an exit at `eventTime`: move the back-off to its next step. */
  next(key: string, eventTime: number): void {
    const e = this.entries.get(key);
    if (!e || this.hasExpired(eventTime, e.lastUpdate)) {
      this.entries.set(key, { backoffMs: this.initialMs, lastUpdate: this.now() });
    } else {
      this.entries.set(key, { backoffMs: Math.min(e.backoffMs * 2, this.maxMs), lastUpdate: this.now() });
    }
  }

  /** True while less than the current back-off has passed since `eventTime` (the container's exit). */
  isInBackOffSince(key: string, eventTime: number): boolean {
    const e = this.entries.get(key);
    if (!e || this.hasExpired(eventTime, e.lastUpdate)) return false;
    return this.now() - eventTime < e.backoffMs;
  }

  /** How long until a restart for an exit at `eventTime` is allowed, ms (0: now). */
  remaining(key: string, eventTime: number): number {
    if (!this.isInBackOffSince(key, eventTime)) return 0;
    return Math.max(0, eventTime + this.get(key) - this.now());
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Drops every key with `prefix` (a pod that went away). */
  deletePrefix(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }

  private hasExpired(eventTime: number, lastUpdate: number): boolean {
    // Stable if it ran fine for twice the cap.
    return eventTime - lastUpdate > this.maxMs * 2;
  }
}

/** Go's time.Duration.String() for whole seconds and above: "10s", "1m20s", "5m0s". */
export function formatGoDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const totalSeconds = ms / 1000;
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = +(totalSeconds % 60).toFixed(3);
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
