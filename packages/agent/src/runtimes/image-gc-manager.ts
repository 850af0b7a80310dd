// The node's image GC manager (kubelet's ImageGCManager): on a timer, asks the runtime to
// remove images no container uses once the image disk is too full. Which images and how
// they are found in use is the runtime's (oci: runtimes/oci/images/image-gc.ts); when, and
// the thresholds, are the node's. Runtimes without images (process, fake) have no GC.
import { PeriodicTask } from '../system/periodic-task.js';
import type { ImageGcThresholds, Runtime } from './runtime.js';

/** Kubelet's imageGCHighThresholdPercent 85 and imageGCLowThresholdPercent 80. */
export const DEFAULT_IMAGE_GC_THRESHOLDS: ImageGcThresholds = { highPercent: 85, lowPercent: 80 };
/** Kubelet runs image GC every 5 minutes. */
export const DEFAULT_IMAGE_GC_INTERVAL_MS = 5 * 60_000;

export interface ImageGcManagerOptions {
  runtime: Runtime;
  thresholds?: ImageGcThresholds;
  /** 0 means only when collect is called. */
  intervalMs?: number;
  log?: (message: string) => void;
}

export class ImageGcManager {
  readonly thresholds: ImageGcThresholds;
  private readonly runtime: Runtime;
  private readonly task: PeriodicTask;

  constructor(o: ImageGcManagerOptions) {
    this.runtime = o.runtime;
    this.thresholds = o.thresholds ?? DEFAULT_IMAGE_GC_THRESHOLDS;
    this.task = new PeriodicTask('image GC', o.intervalMs ?? DEFAULT_IMAGE_GC_INTERVAL_MS, () => this.collect(), o.log ?? (() => undefined));
  }

  get supported(): boolean {
    return this.runtime.garbageCollectImages !== undefined;
  }

  start(): void {
    if (this.supported) this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** One GC pass; what was removed and the bytes freed. */
  async collect(): Promise<{ removed: string[]; freedBytes: number }> {
    const gc = this.runtime.garbageCollectImages;
    if (!gc) return { removed: [], freedBytes: 0 };
    return gc.call(this.runtime, this.thresholds);
  }
}
