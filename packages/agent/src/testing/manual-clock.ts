// A clock for tests of timing logic (probes, token rotation): time moves only when the test says,
// and due timers fire in order, each followed by `settle` (what the timer started, e.g. a
// refresh), so a schedule is checked without sleeping.
import type { Clock, Timer } from '@tugboat/api';

export class ManualClock implements Clock {
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  constructor(private t: number) {}

  now(): number { return this.t; }

  setTimer(fn: () => void, ms: number): Timer {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return { cancel: () => { this.timers.delete(id); } };
  }

  /** Timers not yet fired. */
  pending(): number { return this.timers.size; }

  /**
   * Moves time on by `ms`, firing what falls due in order; before each look at the timers it
   * awaits `settle` (default: a few microtask turns), so what the last timer started (a
   * probe, a refresh) has finished and set its own next timer.
   */
  async advance(ms: number, settle: () => Promise<void> = microtasks): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const due = [...this.timers.entries()].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = Math.max(this.t, due[1].at);
      due[1].fn();
    }
    this.t = end;
  }
}

async function microtasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
