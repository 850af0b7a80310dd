// Which API server a client talks to, and when a failed call may go to the next one.
//
// A client holds a list of API server addresses (every server is a front door onto the same
// etcd) and sends each call to the one in use. When that one cannot be reached the call is
// sent again to the next, and the client stays there: the next calls go there too.
//
// "Cannot be reached" must not become "send every write twice". The rule is client-go's:
//   - nothing was sent (no connection could be made, or the server refused the stream
//     before reading it): any call goes to the next server;
//   - the connection broke while the call was out (reset, dropped): it may have been
//     applied. A call that changes nothing (get, list, watch, version, reviews) goes to the
//     next server; a write does not — its caller gets Unavailable and decides (re-read, a
//     compare-and-swap on the resourceVersion it read), as client-go retries only GETs then;
//   - the server answered, even with Unavailable (etcd is down behind it): every server
//     sits on the same etcd, so asking another would not help and might repeat a write.
import { status as GrpcStatus } from '@grpc/grpc-js';

/** Whether repeating the call could change the cluster twice. */
export type CallKind = 'idempotent' | 'mutating';

/** What the client learned from a failed call: its gRPC code and text, and whether the server sent it. */
export interface CallFailure {
  readonly code: number;
  readonly details: string;
  /** The API server answered (its errors carry the reason in metadata); false for the transport's own errors. */
  readonly fromServer: boolean;
}

export type FailoverAction = 'next-server' | 'fail';

// grpc-js's texts for a call that never left this process or that the server refused unread:
// "No connection established. Last error: connect ECONNREFUSED …" (the channel could not
// connect), "Stream refused by server" (HTTP/2 REFUSED_STREAM: the server did not process it).
const NOT_SENT = /No connection established|Stream refused by server|Connection closed before starting HTTP\/2 handshake|ECONNREFUSED/;

/** Pure: may a call that failed this way be sent to the next API server? */
export function failoverAction(failure: CallFailure, kind: CallKind): FailoverAction {
  if (failure.code !== GrpcStatus.UNAVAILABLE || failure.fromServer) return 'fail';
  if (NOT_SENT.test(failure.details)) return 'next-server';
  switch (kind) {
    case 'idempotent': return 'next-server';
    case 'mutating': return 'fail';
  }
}

/**
 * The addresses of `--server A,B` or a kubeconfig's server list, in order, without repeats.
 * Pure; an empty entry is an error for the caller to name.
 */
export function splitServers(list: string): string[] {
  const out: string[] = [];
  for (const part of list.split(',')) {
    const a = part.trim();
    if (a && !out.includes(a)) out.push(a);
  }
  return out;
}

/** The server in use, and moving on from one that failed. */
export class ServerRotation {
  private current = 0;

  constructor(readonly addresses: readonly string[]) {
    if (addresses.length === 0) throw new Error('no API server address');
  }

  /** The index of the server calls go to now. */
  index(): number { return this.current; }

  address(): string { return this.addresses[this.current]!; }

  /**
   * Server `failed` could not be reached: later calls go to the next one. A no-op when
   * another call moved on already (two calls failing at once must not skip a server).
   */
  failed(failed: number): void {
    if (failed === this.current) this.current = (this.current + 1) % this.addresses.length;
  }
}
