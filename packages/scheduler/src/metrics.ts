// The scheduler's Prometheus metrics, on a registry of its own (plus the process and Node.js
// metrics). Names and labels are kube-scheduler's: attempts by result and profile (the
// profile's schedulerName), pending pods by queue (active, backoff, unschedulable, gated).
import { collectProcessMetrics } from '@tugboat/api/metrics';
import { DEFAULT_SCHEDULER_NAME } from '@tugboat/api';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PendingCounts } from './queue.js';
import type { AttemptResult, CycleMetrics } from './schedule-one.js';

// 1 ms … ~16 s, doubling: kube-scheduler's buckets for both durations.
const DURATION_BUCKETS = Array.from({ length: 15 }, (_, i) => 0.001 * 2 ** i);

export class SchedulerMetrics implements CycleMetrics {
  readonly registry = new Registry();
  private readonly attempts: Counter<'result' | 'profile'>;
  private readonly attemptDuration: Histogram<'result' | 'profile'>;
  private readonly profile: string;
  private readonly bindingDuration: Histogram;
  private readonly leader: Gauge<'name'>;
  private readonly preemptionAttempts: Counter;
  private readonly preemptionVictims: Histogram;
  private pendingSource: () => PendingCounts = () => ({ active: 0, backoff: 0, unschedulable: 0, gated: 0 });

  /** @param opts.profile the profile's schedulerName (default default-scheduler). */
  constructor(opts: { defaultMetrics?: boolean; profile?: string } = {}) {
    this.profile = opts.profile ?? DEFAULT_SCHEDULER_NAME;
    if (opts.defaultMetrics ?? true) collectProcessMetrics(this.registry);
    this.attempts = new Counter({
      name: 'scheduler_schedule_attempts_total',
      help: 'Number of attempts to schedule pods, by the result: scheduled, unschedulable (fits no node), or error.',
      labelNames: ['result', 'profile'],
      registers: [this.registry],
    });
    for (const r of ['scheduled', 'unschedulable', 'error'] as const) this.attempts.inc({ result: r, profile: this.profile }, 0);
    this.attemptDuration = new Histogram({
      name: 'scheduler_scheduling_attempt_duration_seconds',
      help: 'Scheduling attempt latency in seconds (filter, score, pick and reserve; not the binding).',
      labelNames: ['result', 'profile'],
      buckets: DURATION_BUCKETS,
      registers: [this.registry],
    });
    this.bindingDuration = new Histogram({
      name: 'scheduler_binding_duration_seconds',
      help: 'Latency of the Bind call to the API server, in seconds.',
      buckets: DURATION_BUCKETS,
      registers: [this.registry],
    });
    const source = (): PendingCounts => this.pendingSource();
    new Gauge({
      name: 'scheduler_pending_pods',
      help: 'Number of pending pods, by the queue part: active, backoff, unschedulable or gated (spec.schedulingGates).',
      labelNames: ['queue'],
      registers: [this.registry],
      collect() {
        const c = source();
        this.set({ queue: 'active' }, c.active);
        this.set({ queue: 'backoff' }, c.backoff);
        this.set({ queue: 'unschedulable' }, c.unschedulable);
        this.set({ queue: 'gated' }, c.gated);
      },
    });
    // Kubernetes' names and buckets (1, 2, 4 … 64 victims).
    this.preemptionAttempts = new Counter({
      name: 'scheduler_preemption_attempts_total',
      help: 'Total preemption attempts in the cluster till now.',
      registers: [this.registry],
    });
    this.preemptionVictims = new Histogram({
      name: 'scheduler_preemption_victims',
      help: 'Number of selected preemption victims.',
      buckets: Array.from({ length: 7 }, (_, i) => 2 ** i),
      registers: [this.registry],
    });
    this.leader = new Gauge({
      name: 'leader_election_master_status',
      help: 'Whether this replica is the leader (1) or not (0), by the lease name.',
      labelNames: ['name'],
      registers: [this.registry],
    });
  }

  /** Where scheduler_pending_pods reads the queue's counts when scraped. */
  setPendingSource(source: () => PendingCounts): void {
    this.pendingSource = source;
  }

  attempt(result: AttemptResult, seconds: number): void {
    this.attempts.inc({ result, profile: this.profile });
    this.attemptDuration.observe({ result, profile: this.profile }, seconds);
  }

  binding(seconds: number): void {
    this.bindingDuration.observe(seconds);
  }

  preemptionAttempt(victims: number | undefined): void {
    this.preemptionAttempts.inc();
    if (victims !== undefined) this.preemptionVictims.observe(victims);
  }

  setLeader(name: string, leading: boolean): void {
    this.leader.set({ name }, leading ? 1 : 0);
  }
}
