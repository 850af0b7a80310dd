// client-go's retry.RetryOnConflict: an edit of an object that others write too (a status
// the agent keeps current, a pod a controller labels) reads it afresh and tries again when
// its resourceVersion went stale, a few times before giving up.
import { ApiError } from '../errors.js';

export interface RetryOptions {
  /** Tries in all, the first included (default 10). */
  attempts?: number;
  /** Reasons besides Conflict that mean another writer got there first, so a fresh read and
   *  another try can succeed (a create that meets AlreadyExists, a delete that meets NotFound). */
  alsoOn?: readonly ApiError['reason'][];
}

/**
 * Runs `fn` again while it fails with Conflict; `fn` must read the object afresh on each try.
 * `fn` is given the try's index (0 first), so a caller may start from its cache and read from
 * the API server only after a conflict. `options` is the number of tries, or RetryOptions.
 */
export async function retryOnConflict<T>(fn: (attempt: number) => Promise<T>, options: number | RetryOptions = {}): Promise<T> {
  const { attempts = 10, alsoOn = [] } = typeof options === 'number' ? { attempts: options } : options;
  for (let i = 0; ; i++) {
    try {
      return await fn(i);
    } catch (e) {
      const retriable = e instanceof ApiError && (e.reason === 'Conflict' || alsoOn.includes(e.reason));
      if (!retriable || i + 1 >= attempts) throw e;
    }
  }
}
