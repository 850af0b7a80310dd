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
  constructor(message: string, readonly exitCode = 1, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Set when the error already printed its own lines (apply's per-document errors). */
export class SilentExit extends Error {
  override readonly name = 'SilentExit';
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/** What tctl knows about the connection an error happened on, to name it. */
export interface ConnectionHint {
  /** HOST:PORT tctl dialled. */
  readonly server?: string;
  /** The file the trusted CA came from (--certificate-authority, the kubeconfig, a pod's ca.crt). */
  readonly caSource?: string;
}

/** The one line (without "error: ") describing `err`; `where` is the server address or more. */
export function errorLine(err: unknown, where?: string | ConnectionHint): string {
  const hint: ConnectionHint = typeof where === 'string' ? { server: where } : where ?? {};
  if (err instanceof ApiError) {
    if (err.reason === 'Unauthorized') return `You must be logged in to the server (${oneLine(err.message) || 'Unauthorized'})`;
    if (err.reason === 'Unavailable') {
      const m = UNREACHABLE.exec(err.message);
      if (m) {
        const address = m[1] ?? hint.server ?? 'its address';
        const why = tlsFailure(m[2] ?? '', address, hint.caSource);
        // Otherwise the details (ECONNREFUSED, DNS, …) are noise for a user: the address is what matters.
        return `cannot reach the API server at ${address}${why ? `: ${why}` : ''}`;
      }
    }
    return oneLine(err.message);
  }
  if (err instanceof Error) return oneLine(err.message);
  return oneLine(String(err));
}

/** The client's words for a server that never answered: `cannot reach the API server at ADDR: <grpc details>`. */
const UNREACHABLE = /^cannot reach the API server(?: at (\S+))?: ([\s\S]*)$/;

/**
 * A failed TLS handshake, said plainly; undefined when the failure was not TLS. grpc-js
 * reports Node's error as `No connection established. Last error: Error [CODE]: message.
 * Resolution note: …`; the messages are OpenSSL's (verification) and Node's (host name check).
 */
export function tlsFailure(details: string, address: string, caSource: string | undefined): string | undefined {
  const last = /Last error: (?:\w*Error(?: \[(\w+)\])?: )?([\s\S]*?)(?:\.?\s*Resolution note:[\s\S]*)?$/.exec(details);
  const code = last?.[1] ?? '';
  const message = (last?.[2] ?? details).trim();
  const ca = caSource ? `the cluster CA in ${caSource}` : 'a CA tctl was given (pass --certificate-authority FILE or --kubeconfig FILE)';
  if (/self[- ]signed certificate|unable to get (local )?issuer certificate|unable to verify the first certificate|certificate signature failure/i.test(message)) {
    return `its certificate is not signed by ${ca}`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /does not match certificate's altnames/.test(message)) {
    // Node: "Host: NAME. is not in the cert's altnames: DNS:a, IP Address:b" or "IP: X is not in the cert's list: a, b".
    const names = /cert's (?:altnames|list): (.*)$/.exec(message)?.[1]?.split(', ').map((n) => n.replace(/^(DNS|IP Address):/, '')) ?? [];
    const host = /(?:Host|IP): (.*?)\.? is not in/.exec(message)?.[1] ?? address.replace(/:\d+$/, '');
    return names.length ? `its certificate is valid for ${names.join(', ')}, not ${host}` : `its certificate is not valid for ${host}`;
  }
  if (/certificate has expired/i.test(message)) return 'its certificate has expired';
  if (/certificate is not yet valid/i.test(message)) return 'its certificate is not yet valid (are both clocks right?)';
  if (/wrong version number|packet length too long|unknown protocol|http request/i.test(message)) return 'it does not speak TLS there';
  if (/certificate|ssl|tls|handshake/i.test(message)) return message;
  return undefined;
}

/**
 * An error that every further request would meet too (no server, or one that does not take
 * our credentials): commands working through a list stop at it instead of repeating it.
 */
export function failsEveryRequest(err: unknown): boolean {
  return err instanceof ApiError && (err.reason === 'Unauthorized' || (err.reason === 'Unavailable' && err.message.startsWith('cannot reach')));
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError) return 2;
  if (err instanceof CliError || err instanceof SilentExit) return err.exitCode;
  return 1;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, '; ').trim();
}
