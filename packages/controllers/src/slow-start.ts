// Slow start (Kubernetes' slowStartBatch): create in batches of 1, 2, 4, … running each
// batch's calls in parallel, and stop at the first batch with a failure. A template the API
// server rejects (bad image name, quota) then costs one failed call, not hundreds, while a
// good one still ramps up to full parallelism quickly.

/** The batch sizes slowStart uses for `count` items. */
export function slowStartBatchSizes(count: number, initialBatchSize = 1): number[] {
  const sizes: number[] = [];
  let remaining = count;
  for (let size = Math.min(remaining, initialBatchSize); size > 0; size = Math.min(2 * size, remaining)) {
    sizes.push(size);
    remaining -= size;
  }
  return sizes;
}

export interface SlowStartResult {
  successes: number;
  /** The first failure, if a batch failed (later batches were not attempted). */
  error?: unknown;
}

export async function slowStartBatch(count: number, initialBatchSize: number, fn: () => Promise<void>): Promise<SlowStartResult> {
  let successes = 0;
  for (const size of slowStartBatchSizes(count, initialBatchSize)) {
    const results = await Promise.allSettled(Array.from({ length: size }, () => fn()));
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += size - failures.length;
    if (failures.length) return { successes, error: failures[0]?.reason };
  }
  return { successes };
}
