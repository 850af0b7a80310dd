// One worker per pod: syncs of one pod never overlap, a request that comes in while a sync
// runs makes it run once more afterwards (requests collapse), and a sync may ask to run
// again after a delay (back-off ends, a retry). Different pods sync concurrently.

export type SyncFn = (uid: string) => Promise<number | undefined>;

interface WorkerState {
  running: boolean;
  dirty: boolean;
  /** Cleared (set to undefined) when it fires. */
  timer?: NodeJS.Timeout | undefined;
  timerAt?: number | undefined;
}

export class PodWorkers {
  private readonly workers = new Map<string, WorkerState>();
  private stopped = false;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(
    private readonly sync: SyncFn,
    private readonly onError: (uid: string, err: unknown) => void,
    private readonly errorRetryMs = 2_000,
  ) {}

  /** Sync `uid` now (or after delayMs; an earlier request wins). */
  enqueue(uid: string, delayMs = 0): void {
    if (this.stopped) return;
    let w = this.workers.get(uid);
    if (!w) { w = { running: false, dirty: false }; this.workers.set(uid, w); }
    if (delayMs > 0) {
      const at = Date.now() + delayMs;
      if (w.timer && w.timerAt !== undefined && w.timerAt <= at) return;
      if (w.timer) clearTimeout(w.timer);
      w.timerAt = at;
      w.timer = setTimeout(() => {
        const cur = this.workers.get(uid);
        if (cur) { cur.timer = undefined; cur.timerAt = undefined; }
        this.enqueue(uid);
      }, delayMs);
      w.timer.unref?.();
      return;
    }
    if (w.running) { w.dirty = true; return; }
    void this.run(uid, w);
  }

  private async run(uid: string, w: WorkerState): Promise<void> {
    w.running = true;
    let again: number | undefined;
    try {
      again = await this.sync(uid);
    } catch (e) {
      this.onError(uid, e);
      again = this.errorRetryMs;
    }
    w.running = false;
    if (this.stopped) { this.maybeIdle(); return; }
    if (w.dirty) {
      w.dirty = false;
      void this.run(uid, w);
      return;
    }
    if (again !== undefined) this.enqueue(uid, again);
    else if (!w.timer) this.workers.delete(uid);
    this.maybeIdle();
  }

  /** Stops taking work; resolves when no sync is running. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.workers.values()) if (w.timer) clearTimeout(w.timer);
    if (![...this.workers.values()].some((w) => w.running)) return;
    await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  private maybeIdle(): void {
    if (!this.stopped || [...this.workers.values()].some((w) => w.running)) return;
    for (const r of this.idleWaiters.splice(0)) r();
  }
}
