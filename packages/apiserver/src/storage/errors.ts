// The one place where failures of etcd become API errors (kine keeps this in one place too),
// so callers switch on ApiError.reason and never see an etcd client type.
import { ApiError } from '@tugboat/api';
import { isUnavailable } from './etcd-failover.js';

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** True when etcd refused a read or watch because the revision was compacted away. */
export function isCompactedError(err: unknown): boolean {
  return /required revision has been compacted/i.test(messageOf(err));
}

/** True when etcd refused a read because the revision is newer than its own. */
export function isFutureRevisionError(err: unknown): boolean {
  return /required revision is a future revision/i.test(messageOf(err));
}

export function expiredError(revision: number): ApiError {
  return new ApiError('Expired', `expired: resource version ${revision} is too old (etcd compacted past it); list again`);
}

export function toStorageError(err: unknown, operation: string): ApiError {
  if (err instanceof ApiError) return err;
  const msg = messageOf(err);
  const name = err instanceof Error ? err.constructor.name : '';
  if (isCompactedError(err)) return new ApiError('Expired', `expired: ${msg}`, [], { cause: err });
  if (name === 'GRPCDeadlineExceededError' || /deadline exceeded/i.test(msg)) {
    return new ApiError('Timeout', `etcd did not answer the ${operation} request in time`, [], { cause: err });
  }
  if (/request is too large|message larger than max/i.test(msg)) {
    return new ApiError('RequestEntityTooLarge', `etcd refused the ${operation} request: ${msg}`, [], { cause: err });
  }
  if (
    isUnavailable(err) || name === 'ClientClosedError' || name === 'BrokenCircuitError' ||
    name === 'GRPCCancelledError' || name === 'EtcdWatchStreamEnded' ||
    /unavailable|ECONNREFUSED|No connection established|connection|closed|broken circuit/i.test(msg)
  ) {
    return new ApiError('Unavailable', `etcd is unavailable (${operation}): ${msg}`, [], { cause: err });
  }
  return new ApiError('Internal', `etcd ${operation} failed: ${msg}`, [], { cause: err });
}
