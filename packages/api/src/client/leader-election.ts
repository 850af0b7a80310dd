// Leader election through a Lease object, as client-go's leaderelection package does it.
//
// Several replicas of a component (scheduler, controllers) run; the one whose identity is in
// the Lease's spec.holderIdentity leads. The leader renews spec.renewTime every renew
// interval; a candidate takes the Lease over only once it has seen the record unchanged for
// leaseDurationSeconds *by its own clock* (the time it observed the change, not the
// renewTime written by another machine, so clock skew between machines does not matter).
// Every write is a compare-and-swap on the resourceVersion read (TugboatClient.update), so
// when two candidates race for an expired Lease exactly one wins and the other gets a
// Conflict. A leader that cannot renew for renewDeadline (< leaseDuration) steps down before
// anyone else may take over, so two replicas never both believe they lead.
import { ApiError } from '../errors.js';
import { SYSTEM_NAMESPACE } from '../kinds.js';
import type { KubeObject, Lease, LeaseSpec } from '../types.js';
import type { TugboatClient } from './client.js';

export type LeaseObject = Lease & KubeObject;

/** The three calls leader election makes; a TugboatClient provides them. */
export type LeaseClient = Pick<TugboatClient, 'tryGet' | 'create' | 'update'>;

export interface LeaderElectionOptions {
  /** Lease name: the component (`tugboat-scheduler`, `tugboat-controllers`). */
  name: string;
  /** This replica's identity (hostname + pid by default in the components). */
  identity: string;
  namespace?: string;
  leaseDurationSeconds?: number;
  /** How often the leader renews. */
  renewIntervalMs?: number;
  /** How often a candidate retries. */
  retryIntervalMs?: number;
  /** The leader steps down when it has not renewed for this long; must be < leaseDuration. */
  renewDeadlineMs?: number;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
  /** Called when the observed holder changes (including to this replica). */
  onNewLeader?: (identity: string) => void;
  /** Called with failed attempts (network, conflicts are normal and not reported). */
  onError?: (err: Error) => void;
  /** Clock, ms since the epoch; injected by tests. */
  now?: () => number;
}

export const LEADER_ELECTION_DEFAULTS = {
  namespace: SYSTEM_NAMESPACE,
  leaseDurationSeconds: 15,
  renewIntervalMs: 2_000,
  retryIntervalMs: 2_000,
  renewDeadlineMs: 10_000,
} as const;

/** What one election step should do, given the Lease as read. */
export type ElectionDecision =
  | { action: 'create'; spec: LeaseSpec }
  | { action: 'renew'; spec: LeaseSpec }
  | { action: 'takeover'; spec: LeaseSpec }
  | { action: 'wait'; holder: string };

/** Kubernetes' MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

/**
 * The decision of one step, a pure function. `observedAtMs` is when this replica last saw the
 * record change (holder or renewTime); the Lease is free once that is leaseDuration ago, or
 * when it has no holder (released).
 */
export function decideElection(
  current: LeaseSpec | undefined,
  identity: string,
  nowMs: number,
  observedAtMs: number,
  leaseDurationSeconds: number,
): ElectionDecision {
  const now = microTime(nowMs);
  if (!current) {
    return { action: 'create', spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 } };
  }
  const holder = current.holderIdentity ?? '';
  if (holder === identity) {
    return { action: 'renew', spec: { ...current, leaseDurationSeconds, renewTime: now } };
  }
  const duration = (current.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
  if (holder !== '' && nowMs < observedAtMs + duration) return { action: 'wait', holder };
  return {
    action: 'takeover',
    spec: {
      holderIdentity: identity,
      leaseDurationSeconds,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: (current.leaseTransitions ?? 0) + (holder === '' ? 0 : 1),
    },
  };
}

export class LeaderElector {
  private readonly opts: Required<Pick<LeaderElectionOptions, 'namespace' | 'leaseDurationSeconds' | 'renewIntervalMs' | 'retryIntervalMs' | 'renewDeadlineMs'>> & LeaderElectionOptions;
  private readonly now: () => number;
  private leading = false;
  private stopped = true;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private lastRenewMs = 0;
  // The record as last observed, and when (local clock) it last changed.
  private observedKey = '';
  private observedAtMs = 0;
  private holder = '';

  constructor(private readonly client: LeaseClient, options: LeaderElectionOptions) {
    this.opts = { ...LEADER_ELECTION_DEFAULTS, ...options };
    this.now = options.now ?? Date.now;
    if (this.opts.renewDeadlineMs >= this.opts.leaseDurationSeconds * 1000) {
      throw new Error(`leader election: renewDeadline (${this.opts.renewDeadlineMs} ms) must be shorter than the lease duration (${this.opts.leaseDurationSeconds} s)`);
    }
  }

  isLeader(): boolean { return this.leading; }
  /** The holder last observed ('' when none). */
  currentLeader(): string { return this.holder; }

  /** Starts campaigning in the background. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  /** Stops campaigning; a leader releases the Lease so another replica takes over at once. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.wake?.();
    await this.loop;
    // Release even when not (yet) leading: the last attempt may have acquired the Lease just
    // as we stopped. release() only touches a Lease that names us.
    await this.release().catch((e: unknown) => this.opts.onError?.(asError(e)));
    this.setLeading(false);
  }

  /** One attempt to acquire or renew; true when this replica holds the Lease afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const { name, namespace, identity, leaseDurationSeconds } = this.opts;
    const lease = await this.client.tryGet<LeaseObject>('leases', namespace, name);
    const nowMs = this.now();
    if (lease) this.observe(lease.spec, nowMs);
    const decision = decideElection(lease?.spec, identity, nowMs, this.observedAtMs, leaseDurationSeconds);
    switch (decision.action) {
      case 'wait':
        return false;
      case 'create': {
        const created = await this.client.create<LeaseObject>({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: decision.spec,
        });
        this.observe(created.spec, nowMs);
        return true;
      }
      case 'renew':
      case 'takeover': {
        if (!lease) throw new Error('unreachable: renew without a lease');
        const updated = await this.client.update<LeaseObject>({ ...lease, spec: decision.spec });
        this.observe(updated.spec, nowMs);
        return true;
      }
    }
  }

  private observe(spec: LeaseSpec | undefined, nowMs: number): void {
    const key = `${spec?.holderIdentity ?? ''}|${spec?.renewTime ?? ''}`;
    if (key !== this.observedKey) {
      this.observedKey = key;
      this.observedAtMs = nowMs;
    }
    const holder = spec?.holderIdentity ?? '';
    if (holder !== this.holder) {
      this.holder = holder;
      if (holder) this.opts.onNewLeader?.(holder);
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let held = false;
      try {
        held = await this.tryAcquireOrRenew();
      } catch (e) {
        // A lost race is the normal way of losing an election, not an error.
        if (!(e instanceof ApiError && (e.reason === 'Conflict' || e.reason === 'AlreadyExists'))) this.opts.onError?.(asError(e));
      }
      if (this.stopped) break;
      const nowMs = this.now();
      if (held) {
        this.lastRenewMs = nowMs;
        if (!this.leading) this.setLeading(true);
      } else if (this.leading) {
        // Someone else holds it now, or we could not renew in time: step down before the
        // Lease expires for the others.
        if (this.holder !== this.opts.identity || nowMs - this.lastRenewMs >= this.opts.renewDeadlineMs) this.setLeading(false);
      }
      await this.sleep(this.leading ? this.opts.renewIntervalMs : this.opts.retryIntervalMs);
    }
  }

  private setLeading(leading: boolean): void {
    if (this.leading === leading) return;
    this.leading = leading;
    try {
      if (leading) this.opts.onStartedLeading?.();
      else this.opts.onStoppedLeading?.();
    } catch (e) {
      this.opts.onError?.(asError(e));
    }
  }

  private async release(): Promise<void> {
    const lease = await this.client.tryGet<LeaseObject>('leases', this.opts.namespace, this.opts.name);
    if (!lease || lease.spec?.holderIdentity !== this.opts.identity) return;
    // As client-go's ReleaseOnCancel: no holder and a 1 s duration, so others take over at once.
    await this.client.update<LeaseObject>({
      ...lease,
      spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(this.now()) },
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void { clearTimeout(t); resolve(); }
      this.wake = done;
    });
  }
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
