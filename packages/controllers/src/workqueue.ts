// The work queue between event handlers and sync(key), with client-go's contract:
//
//   - add(key) of a key already waiting is a no-op: duplicates collapse into one sync;
//   - a key handed to a worker by get() is "processing" until done(key); it is never handed
//     to a second worker meanwhile;
//   - a key added while it is processing is kept aside and queued again at done(key), so the
//     change that caused the add is not lost;
//   - addAfter(key, ms) adds later (the soonest of several delays wins);
//   - addRateLimited(key) adds after the rate limiter's delay for that key (per-key
//     exponential back-off, 5 ms doubling to 1000 s); forget(key) resets it after a success.
//
// Time comes from an injected Clock, so back-off and delays are tested without sleeping.
import { realClock, type Clock, type Timer } from '@tugboat/api';
import type { WorkQueueMetrics } from './metrics.js';

export interface RateLimiter {
  /** How long to wait before the next retry of `key`; each call counts one failure. */
  when(key: string): number;
  forget(key: string): void;
  numRequeues(key: string): number;
}

/** client-go's ItemExponentialFailureRateLimiter: base · 2^failures, capped. */
export class ExponentialBackoffRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();

  constructor(readonly baseDelayMs = 5, readonly maxDelayMs = 1_000_000) {}

  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // 2^n overflows to Infinity long before it matters; the cap bounds it.
    return Math.min(this.baseDelayMs * 2 ** n, this.maxDelayMs);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

export interface WorkQueueOptions {
  /** The queue's name in metrics (`workqueue_depth{name=…}`). */
  name: string;
  clock?: Clock;
  rateLimiter?: RateLimiter;
  metrics?: WorkQueueMetrics;
}

type Waiter = (key: string | undefined) => void;

export class WorkQueue {
  readonly name: string;
  private readonly clock: Clock;
  private readonly rateLimiter: RateLimiter;
  private readonly metrics: WorkQueueMetrics | undefined;

  // Keys ready for a worker, in order; `dirty` holds every key that needs a sync (queued,
  // or waiting for its current processing to finish).
  private queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly waiters: Waiter[] = [];
  private readonly delayed = new Map<string, { at: number; timer: Timer }>();
  private readonly enqueuedAt = new Map<string, number>();
  private readonly startedAt = new Map<string, number>();
  private shuttingDown = false;

  constructor(options: WorkQueueOptions) {
    this.name = options.name;
    this.clock = options.clock ?? realClock;
    this.rateLimiter = options.rateLimiter ?? new ExponentialBackoffRateLimiter();
    this.metrics = options.metrics;
    this.metrics?.setDepth(this.name, 0);
  }

  add(key: string): void {
    if (this.shuttingDown) return;
    this.metrics?.add(this.name);
    if (this.dirty.has(key)) return;
    this.dirty.add(key);
    if (!this.enqueuedAt.has(key)) this.enqueuedAt.set(key, this.clock.now());
    // done(key) will queue it again; handing it out now would run it twice at once.
    if (this.processing.has(key)) return;
    this.queue.push(key);
    this.dispatch();
    this.reportDepth();
  }

  /** Adds `key` after `ms`; when it already waits, the earlier time wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.at <= at) return;
    existing?.timer.cancel();
    const timer = this.clock.setTimer(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, timer });
  }

  /** Re-adds a key whose sync failed, after its back-off. */
  addRateLimited(key: string): void {
    this.metrics?.retry(this.name);
    this.addAfter(key, this.rateLimiter.when(key));
  }

  /** The key synced successfully: its back-off starts again from the base delay. */
  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.rateLimiter.numRequeues(key);
  }

  /** The next key to process; undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.queue.length ? this.take() : undefined;
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The worker finished `key`; if it was added meanwhile, it is queued again now. */
  done(key: string): void {
    if (!this.processing.delete(key)) return;
    const started = this.startedAt.get(key);
    this.startedAt.delete(key);
    if (started !== undefined) this.metrics?.workDuration(this.name, (this.clock.now() - started) / 1000);
    if (this.dirty.has(key) && !this.shuttingDown) {
      this.queue.push(key);
      this.dispatch();
      this.reportDepth();
    }
  }

  /** Keys waiting for a worker (not counting delayed adds or keys being processed). */
  len(): number {
    return this.queue.length;
  }

  isProcessing(key: string): boolean {
    return this.processing.has(key);
  }

  /** Keys scheduled by addAfter / addRateLimited that have not come due. */
  delayedCount(): number {
    return this.delayed.size;
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) timer.cancel();
    this.delayed.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  private take(): string {
    const key = this.queue.shift() as string;
    this.dirty.delete(key);
    this.processing.add(key);
    const now = this.clock.now();
    const queued = this.enqueuedAt.get(key);
    this.enqueuedAt.delete(key);
    if (queued !== undefined) this.metrics?.queueDuration(this.name, (now - queued) / 1000);
    this.startedAt.set(key, now);
    this.reportDepth();
    return key;
  }

  private dispatch(): void {
    while (this.waiters.length && this.queue.length) {
      const waiter = this.waiters.shift() as Waiter;
      waiter(this.take());
    }
  }

  private reportDepth(): void {
    this.metrics?.setDepth(this.name, this.queue.length);
  }
}
