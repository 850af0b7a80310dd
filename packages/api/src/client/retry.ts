// client-go's retry.RetryOnConflict: an edit of an object that others write too (a status
// the agent keeps current, a pod a controller labels) reads it afresh and tries again when
// its resourceVersion went stale, a few times before giving up.
import { ApiError } from '../errors.js';

/** Runs `fn` again while it fails with Conflict; `fn` must read the object afresh each time. */
export async function retryOnConflict<T>(fn: () => Promise<T>, attempts = 10): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof ApiError && e.reason === 'Conflict') || i >= attempts) throw e;
    }
  }
}
