// Keys that expire on their own (Events, --event-ttl) are written with an etcd lease, and
// writes close in time share one. A lease per write would add a grant to every event write
// and leave etcd tracking one lease per event; kube-apiserver's storage instead grants a
// lease a little longer than asked (5% of the TTL, at most 60 s) and hands it to every write
// that comes while it still outlives their TTL, so each key lives at least its TTL and at
// most TTL + that margin. One lease carries at most 1,000 keys, so its expiry is never one
// huge delete.
//
//   write(key, ttl) ─▶ leaseFor(ttl): the current lease fits? ─ yes ─▶ its id
//                                                 └─ no ─▶ grant(ttl + margin) ─▶ the new id

/** The margin a lease gets beyond the TTL, as a fraction of it (kube-apiserver's 5%)... */
export const LEASE_REUSE_FRACTION = 0.05;
/** ...and at most this many seconds. */
export const LEASE_REUSE_MAX_SECONDS = 60;
/** Keys attached to one lease at most. */
export const LEASE_MAX_KEYS = 1_000;

export interface LeaseState {
  readonly id: string;
  /** When etcd will expire it (ms), counted from before the grant was asked: never late. */
  readonly expiresAt: number;
  /** Keys handed this lease so far. */
  attached: number;
}

/** How much longer than `ttlSeconds` a new lease is granted for, in seconds. */
export function reuseMarginSeconds(ttlSeconds: number): number {
  return Math.min(Math.floor(ttlSeconds * LEASE_REUSE_FRACTION), LEASE_REUSE_MAX_SECONDS);
}

/**
 * Whether `lease` may carry one more key that must live `ttlSeconds` from `now`: the lease
 * outlives it, by no more than the margin (an old lease would keep the key too long), and
 * has room. Pure.
 */
export function canReuse(lease: LeaseState | undefined, ttlSeconds: number, now: number): boolean {
  if (!lease || lease.attached >= LEASE_MAX_KEYS) return false;
  const due = now + ttlSeconds * 1000;
  return due < lease.expiresAt && lease.expiresAt <= due + reuseMarginSeconds(ttlSeconds) * 1000;
}

export class LeaseManager {
  /** The lease being handed out, per TTL. */
  private readonly current = new Map<number, LeaseState>();
  /** A grant in flight per TTL: writes arriving meanwhile wait for it rather than grant their own. */
  private readonly pending = new Map<number, Promise<LeaseState>>();

  constructor(
    /** Grants a lease of `ttlSeconds` in etcd and resolves with its id. */
    private readonly grant: (ttlSeconds: number) => Promise<string>,
    private readonly now: () => number = Date.now,
  ) {}

  /** A lease id under which a key lives at least `ttlSeconds` (whole seconds, ≥ 1). */
  async leaseFor(ttlSeconds: number): Promise<string> {
    const ttl = Math.max(1, Math.ceil(ttlSeconds));
    const lease = this.current.get(ttl);
    if (canReuse(lease, ttl, this.now())) {
      lease!.attached++;
      return lease!.id;
    }
    const inFlight = this.pending.get(ttl);
    if (inFlight) {
      const granted = await inFlight.catch(() => undefined);
      // Waiters share the fresh lease while it fits (with a margin of 0, a short TTL, it fits no one).
      if (granted && canReuse(granted, ttl, this.now())) {
        granted.attached++;
        return granted.id;
      }
    }
    return (await this.grantNew(ttl)).id;
  }

  private grantNew(ttl: number): Promise<LeaseState> {
    const asked = this.now();
    const total = ttl + reuseMarginSeconds(ttl);
    const p = this.grant(total).then((id) => {
      const state: LeaseState = { id, expiresAt: asked + total * 1000, attached: 1 };
      this.current.set(ttl, state);
      return state;
    });
    this.pending.set(ttl, p);
    const clear = (): void => { if (this.pending.get(ttl) === p) this.pending.delete(ttl); };
    p.then(clear, clear);
    return p;
  }
}
