// One TLS port, two wire formats. Every kubeconfig names the API server as https://HOST:PORT,
// so gRPC (tctl, the components) and Kubernetes' REST API (kubectl, client-go, client-node,
// curl, Prometheus) share it; TLS's ALPN says which one a connection speaks:
//
//   TLS handshake ── ALPN offers http/1.1 ──▶ node:http server (rest/)      kubectl, curl, …
//        │                                   (even when h2 is offered too: the REST API is HTTP/1.1 here)
//        └────────── ALPN offers only h2 ──▶ the gRPC wire server (grpc/wire-server.ts),
//                                            handed the established connection
//
// The gRPC side sees the TLSSocket itself (its HTTP/2 server does no TLS of its own), so it
// still reads the verified client certificate.
import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { createServer, type TLSSocket, type Server as TlsServer } from 'node:tls';

export interface TlsMuxOptions {
  readonly certPem: string;
  readonly keyPem: string;
  readonly clientCaPem?: string;
}

/**
 * The protocol for a client's ALPN list: HTTP/1.1 wins when offered (curl and Go offer h2
 * too, and the REST side is HTTP/1.1 only); h2 alone is a gRPC client. Undefined refuses the
 * handshake (no protocol we speak).
 */
export function chooseProtocol(offered: readonly string[]): 'http/1.1' | 'h2' | undefined {
  if (offered.includes('http/1.1')) return 'http/1.1';
  if (offered.includes('h2')) return 'h2';
  return undefined;
}

export interface TlsMux {
  readonly server: TlsServer;
  /** Stops accepting; open HTTP/1.1 connections are closed (the gRPC side drains its own sessions). */
  close(): Promise<void>;
}

/** Where an h2 connection goes. */
export interface GrpcConnections {
  injectConnection(socket: TLSSocket): void;
}

export function createTlsMux(tls: TlsMuxOptions, grpc: GrpcConnections, http: HttpServer): TlsMux {
  const server = createServer({
    cert: tls.certPem,
    key: tls.keyPem,
    ...(tls.clientCaPem ? { ca: tls.clientCaPem } : {}),
    // A client certificate is asked for, verified against the client CA, and optional: a
    // client without one (a bearer token) still connects; authentication decides later.
    requestCert: tls.clientCaPem !== undefined,
    rejectUnauthorized: false,
    // TLS 1.3 only: no renegotiation, so a connection's client certificate is fixed (and
    // cached per connection, see auth/authn/peer-certificate-cache.ts).
    minVersion: 'TLSv1.3',
    ALPNCallback: ({ protocols }) => chooseProtocol(protocols),
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    // No ALPN at all (openssl s_client, old clients): HTTP/1.1, as any HTTPS server assumes.
    if (socket.alpnProtocol === 'h2') grpc.injectConnection(socket);
    else http.emit('connection', socket);
  });
  // A plaintext client or a failed handshake gets no answer: nothing to log per connection.
  server.on('tlsClientError', () => undefined);
  return {
    server,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      http.closeAllConnections();
      // Sockets still in their handshake belong to neither side yet.
      for (const s of sockets) s.destroy();
    }),
  };
}
