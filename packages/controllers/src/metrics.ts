// Prometheus metrics of the controller manager, with Kubernetes' names (client-go workqueue,
// node lifecycle controller, leader election). One registry per manager, so tests can run
// several managers in one process without clashing registrations.
import { collectProcessMetrics } from '@tugboat/api/metrics';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What a work queue reports; `name` is the queue's name (bounded: one per controller). */
export interface WorkQueueMetrics {
  setDepth(name: string, depth: number): void;
  add(name: string): void;
  retry(name: string): void;
  /** Seconds an item waited in the queue before a worker took it. */
  queueDuration(name: string, seconds: number): void;
  /** Seconds a worker spent on an item (get → done). */
  workDuration(name: string, seconds: number): void;
}

export class ControllerMetrics implements WorkQueueMetrics {
  readonly registry: Registry;
  private readonly depth: Gauge<'name'>;
  private readonly adds: Counter<'name'>;
  private readonly retries: Counter<'name'>;
  private readonly queueSeconds: Histogram<'name'>;
  private readonly workSeconds: Histogram<'name'>;
  readonly evictions: Counter<'zone'>;
  readonly leaderStatus: Gauge<'name'>;

  constructor(options: { registry?: Registry; defaults?: boolean } = {}) {
    this.registry = options.registry ?? new Registry();
    if (options.defaults) collectProcessMetrics(this.registry);
    const registers = [this.registry];
    // client-go's buckets: 10 ns to 10 s, ×10.
    const buckets = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10];
    this.depth = new Gauge({ name: 'workqueue_depth', help: 'Current depth of the work queue.', labelNames: ['name'], registers });
    this.adds = new Counter({ name: 'workqueue_adds_total', help: 'Total number of adds handled by the work queue.', labelNames: ['name'], registers });
    this.retries = new Counter({ name: 'workqueue_retries_total', help: 'Total number of rate-limited re-adds handled by the work queue.', labelNames: ['name'], registers });
    this.queueSeconds = new Histogram({ name: 'workqueue_queue_duration_seconds', help: 'How long an item stays in the work queue before being requested.', labelNames: ['name'], buckets, registers });
    this.workSeconds = new Histogram({ name: 'workqueue_work_duration_seconds', help: 'How long processing an item from the work queue takes.', labelNames: ['name'], buckets, registers });
    this.evictions = new Counter({ name: 'node_collector_evictions_total', help: 'Number of pods evicted from unhealthy nodes by the node lifecycle controller.', labelNames: ['zone'], registers });
    this.leaderStatus = new Gauge({ name: 'leader_election_master_status', help: '1 while this replica is the leader of the named lease, else 0.', labelNames: ['name'], registers });
  }

  setDepth(name: string, depth: number): void { this.depth.set({ name }, depth); }
  add(name: string): void { this.adds.inc({ name }); }
  retry(name: string): void { this.retries.inc({ name }); }
  queueDuration(name: string, seconds: number): void { this.queueSeconds.observe({ name }, seconds); }
  workDuration(name: string, seconds: number): void { this.workSeconds.observe({ name }, seconds); }
}
