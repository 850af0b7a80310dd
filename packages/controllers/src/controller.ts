// Workers: the loop every controller runs over its work queue. A sync that throws is retried
// with the queue's per-key back-off; one that succeeds resets it. Conflicts (someone wrote
// the object since our cache saw it) and NotFound races are the normal price of optimistic
// concurrency, so they are retried without noise.
import { ApiError } from '@tugboat/api';
import type { WorkQueue } from './workqueue.js';

export type SyncFn = (key: string) => Promise<void>;

export interface Logger {
  info(message: string): void;
  error(message: string): void;
}

export const consoleLogger: Logger = {
  info: (m) => console.log(m),
  error: (m) => console.error(m),
};

export const silentLogger: Logger = { info: () => {}, error: () => {} };

/** Runs `workers` concurrent loops until the queue shuts down; resolves when they all stop. */
export async function runWorkers(queue: WorkQueue, sync: SyncFn, workers: number, log: Logger = consoleLogger): Promise<void> {
  const loops: Promise<void>[] = [];
  for (let i = 0; i < Math.max(1, workers); i++) loops.push(workerLoop(queue, sync, log));
  await Promise.all(loops);
}

async function workerLoop(queue: WorkQueue, sync: SyncFn, log: Logger): Promise<void> {
  for (;;) {
    const key = await queue.get();
    if (key === undefined) return;
    try {
      await sync(key);
      queue.forget(key);
    } catch (e) {
      if (!isExpectedRace(e)) log.error(`${queue.name}: sync of ${key} failed (retry ${queue.numRequeues(key) + 1}): ${describe(e)}`);
      queue.addRateLimited(key);
    } finally {
      queue.done(key);
    }
  }
}

/**
 * Thrown by a sync that finds its informer cache older than its own last write (Kubernetes'
 * StaleInformerCache): acting on it would undo or repeat that write, so the key is retried
 * with back-off until the cache has caught up.
 */
export class StaleCacheError extends Error {
  override readonly name = 'StaleCacheError';
}

export function isExpectedRace(e: unknown): boolean {
  if (e instanceof StaleCacheError) return true;
  return e instanceof ApiError && (e.reason === 'Conflict' || e.reason === 'NotFound' || e.reason === 'AlreadyExists');
}

export function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function isApiError(e: unknown, ...reasons: ApiError['reason'][]): e is ApiError {
  return e instanceof ApiError && reasons.includes(e.reason);
}
