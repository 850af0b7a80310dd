// A node-level job on a timer (log rotation, image GC): start, stop that waits for a pass
// under way, failures logged rather than thrown, and the timer never holds the process open.
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  /** `what` names the job in the log line of a failed pass; intervalMs 0 never starts it. */
  constructor(
    private readonly what: string,
    private readonly intervalMs: number,
    private readonly pass: () => Promise<unknown>,
    private readonly log: (message: string) => void,
  ) {}

  start(): void {
    if (this.timer || this.intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.running = this.pass().catch((e: unknown) => this.log(`${this.what}: ${e instanceof Error ? e.message : String(e)}`));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
