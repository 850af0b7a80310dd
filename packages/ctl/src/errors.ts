// tctl's own errors, and the one place that turns anything thrown into the single line a
// user sees (`error: …`), as kubectl does. Stack traces only with TCTL_DEBUG=1.
import { ApiError } from '@tugboat/api';

/** A mistake in how tctl was called: bad flag, missing argument. Exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A user-facing failure with a chosen exit code (1 unless said otherwise). */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

/** Set when the error already printed its own lines (apply's per-document errors). */
export class SilentExit extends Error {
  override readonly name = 'SilentExit';
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/** The one line (without "error: ") describing `err`. */
export function errorLine(err: unknown, server?: string): string {
  if (err instanceof ApiError) {
    // The client says "cannot reach the API server at X: <grpc details>"; the details
    // (ECONNREFUSED, DNS, …) are noise for a user, the address is what matters.
    if (err.reason === 'Unavailable' && err.message.startsWith('cannot reach the API server')) {
      return `cannot reach the API server at ${server ?? 'its address'}`;
    }
    return oneLine(err.message);
  }
  if (err instanceof Error) return oneLine(err.message);
  return oneLine(String(err));
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError) return 2;
  if (err instanceof CliError || err instanceof SilentExit) return err.exitCode;
  return 1;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, '; ').trim();
}
