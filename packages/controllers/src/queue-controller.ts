// The skeleton every single-queue controller shares, written out by each of Kubernetes'
// controllers in turn: a work queue named for the controller (its workqueue_* metrics carry
// that name), `workers` loops that hand each key to sync, and a stop that shuts the queue
// down so in-flight syncs finish and the loops return. A controller extends it, wires its
// informers' handlers to the queue in its own constructor, and implements sync(key).
//
//   handlers ──key──▶ queue ──▶ workers × sync(key) ── throws ──▶ requeued with back-off
import { objectKey, realClock, type Clock, type Informer, type KubeObject, type TugboatClient } from '@tugboat/api';
import { consoleLogger, runWorkers, type Logger } from './controller.js';
import type { ControllerMetrics } from './metrics.js';
import { WorkQueue } from './workqueue.js';

/** What every controller takes (the manager's common part; informers are each one's own). */
export interface ControllerOptions {
  client: TugboatClient;
  clock?: Clock;
  metrics?: ControllerMetrics;
  log?: Logger;
  /** Concurrent syncs (Kubernetes' --concurrent-*-syncs); each controller has its default. */
  workers?: number;
}

export abstract class QueueController {
  readonly queue: WorkQueue;
  protected readonly client: TugboatClient;
  protected readonly clock: Clock;
  protected readonly log: Logger;
  protected readonly workers: number;

  protected constructor(queueName: string, opts: ControllerOptions, defaultWorkers: number) {
    this.client = opts.client;
    this.clock = opts.clock ?? realClock;
    this.log = opts.log ?? consoleLogger;
    this.workers = opts.workers ?? defaultWorkers;
    this.queue = new WorkQueue({ name: queueName, clock: this.clock, ...(opts.metrics ? { metrics: opts.metrics } : {}) });
  }

  /** Runs the workers until stop(); resolves once they have all returned. */
  run(): Promise<void> {
    return runWorkers(this.queue, (key) => this.sync(key), this.workers, this.log);
  }

  /** Shuts the queue down: syncs under way finish, then the workers return. */
  stop(): void {
    this.queue.shutDown();
  }

  /** Every add, update and delete of `informer`'s objects queues that object's own key. */
  protected enqueueOnEvents<T extends KubeObject>(informer: Informer<T>): void {
    const add = (o: T): void => this.queue.add(objectKey(o));
    informer.onAdd(add).onUpdate((_old, o) => add(o)).onDelete(add);
  }

  /** Re-reads the caches for `key` and acts on the difference; a throw requeues the key. */
  protected abstract sync(key: string): Promise<void>;
}
