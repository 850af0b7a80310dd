// List pagination: the continue token pins the revision of the first page (so every page
// reads the same snapshot, as Kubernetes does) and says which key to start from.
import { ApiError } from '@tugboat/api';

export interface ContinueToken {
  /** etcd revision every page is read at. */
  readonly revision: number;
  /** First key of the next page. */
  readonly startKey: string;
}

export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 1, rv: token.revision, start: token.startKey })).toString('base64url');
}

export function decodeContinue(text: string, prefix: string): ContinueToken {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw new ApiError('BadRequest', 'invalid continue token: not one this server issued');
  }
  const t = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (t.v !== 1 || typeof t.rv !== 'number' || !Number.isInteger(t.rv) || t.rv <= 0 || typeof t.start !== 'string') {
    throw new ApiError('BadRequest', 'invalid continue token: not one this server issued');
  }
  // A token from a list of another resource or namespace must not read outside this one.
  if (!t.start.startsWith(prefix)) throw new ApiError('BadRequest', 'invalid continue token: it belongs to a different list');
  return { revision: t.rv, startKey: t.start };
}
