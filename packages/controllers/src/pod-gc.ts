// Pod garbage collection: pods bound to a Node that no longer exists are force-deleted
// (no agent will ever confirm they stopped), and finished pods beyond a threshold are
// deleted oldest first so completed work does not pile up in etcd.
import type { Informer } from '@tugboat/api';
import { objectKey } from '@tugboat/api';
import { describe, isApiError } from './controller.js';
import type { NodeObject, PodObject, SharedInformers } from './informers.js';
import { creationTime, isPodTerminal } from './pod-util.js';
import { QueueController, type ControllerOptions } from './queue-controller.js';

export const DEFAULT_TERMINATED_POD_GC_THRESHOLD = 12_500;
export const DEFAULT_POD_GC_PERIOD_MS = 20_000;

/** Pods bound to nodes not in `nodes`. */
export function podsOnMissingNodes<P extends PodObject>(pods: readonly P[], nodes: ReadonlySet<string>): P[] {
  return pods.filter((p) => !!p.spec?.nodeName && !nodes.has(p.spec.nodeName));
}

/** Finished pods beyond `threshold`, oldest first (a threshold ≤ 0 keeps them all). */
export function terminatedPodsToDelete<P extends PodObject>(pods: readonly P[], threshold: number): P[] {
  if (threshold <= 0) return [];
  const finished = pods.filter((p) => isPodTerminal(p) && !p.metadata?.deletionTimestamp);
  const excess = finished.length - threshold;
  if (excess <= 0) return [];
  return [...finished].sort((a, b) => creationTime(a) - creationTime(b) || objectKey(a).localeCompare(objectKey(b))).slice(0, excess);
}

/** One worker: the queue holds a single key. */
export interface PodGCOptions extends Omit<ControllerOptions, 'workers'> {
  informers: SharedInformers;
  terminatedPodThreshold?: number;
  periodMs?: number;
}

const PASS = 'pass';

// One key: a pass over everything; the queue collapses the triggers and never runs two at once.
export class PodGarbageCollector extends QueueController {
  private readonly pods: Informer<PodObject>;
  private readonly nodes: Informer<NodeObject>;
  private readonly threshold: number;
  private readonly periodMs: number;

  constructor(opts: PodGCOptions) {
    super('pod_garbage_collector', opts, 1);
    this.threshold = opts.terminatedPodThreshold ?? DEFAULT_TERMINATED_POD_GC_THRESHOLD;
    this.periodMs = opts.periodMs ?? DEFAULT_POD_GC_PERIOD_MS;
    this.pods = opts.informers.pods();
    this.nodes = opts.informers.nodes();
    // A deleted node: its pods can go now rather than at the next period.
    this.nodes.onDelete(() => this.queue.add(PASS));
  }

  override run(): Promise<void> {
    this.queue.add(PASS);
    return super.run();
  }

  /** The pass, and the next one a period later (sooner when a node is deleted). */
  protected async sync(): Promise<void> {
    try {
      await this.gc();
    } finally {
      this.queue.addAfter(PASS, this.periodMs);
    }
  }

  async gc(): Promise<void> {
    const pods = this.pods.list();
    const nodes = new Set(this.nodes.list().map((n) => n.metadata?.name ?? ''));
    const failures: unknown[] = [];

    for (const pod of podsOnMissingNodes(pods, nodes)) {
      const node = pod.spec?.nodeName ?? '';
      // Our node cache may lag a node that was just registered: ask the API server.
      if (await this.client.tryGet('nodes', '', node)) continue;
      await this.forceDelete(pod, `node ${node} no longer exists`).catch((e: unknown) => failures.push(e));
    }
    for (const pod of terminatedPodsToDelete(pods, this.threshold)) {
      await this.forceDelete(pod, `more than ${this.threshold} terminated pods`).catch((e: unknown) => failures.push(e));
    }
    if (failures.length) throw failures[0];
  }

  private async forceDelete(pod: PodObject, why: string): Promise<void> {
    const key = objectKey(pod);
    try {
      await this.client.delete('pods', pod.metadata?.namespace ?? '', pod.metadata?.name ?? '', {
        gracePeriodSeconds: 0,
        ...(pod.metadata?.uid ? { preconditionUid: pod.metadata.uid } : {}),
      });
      this.log.info(`pod gc: deleted pod ${key}: ${why}`);
    } catch (e) {
      if (isApiError(e, 'NotFound', 'Conflict')) return;
      throw new Error(`pod gc: could not delete pod ${key}: ${describe(e)}`, { cause: e });
    }
  }
}
