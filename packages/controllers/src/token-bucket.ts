// A token bucket (rate per second, burst), on the injected clock: the node lifecycle
// controller's eviction limiter, so a failing node does not delete all its pods in one
// instant and a misjudgement can be stopped before it has done everything.
import { realClock, type Clock } from '@tugboat/api';

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(readonly ratePerSecond: number, readonly burst: number, private readonly clock: Clock = realClock) {
    if (!(ratePerSecond > 0)) throw new Error(`token bucket: rate must be > 0, got ${ratePerSecond}`);
    this.burst = Math.max(1, Math.floor(burst));
    this.tokens = this.burst;
    this.last = clock.now();
  }

  /** Takes one token if there is one. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is available (0 if one is now). */
  waitMs(): number {
    this.refill();
    if (this.tokens >= 1) return 0;
    return Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000);
  }

  available(): number {
    this.refill();
    return Math.floor(this.tokens);
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.ratePerSecond);
  }
}
