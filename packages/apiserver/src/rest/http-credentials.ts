// An HTTP request as the security gate reads it (auth/security.ts RequestCredentials): the
// client certificate TLS verified, the headers (Authorization, Impersonate-*), the peer.
import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';
import type { RequestCredentials } from '../auth/security.js';

export function httpCredentials(req: IncomingMessage): RequestCredentials {
  const socket = req.socket;
  // Only a certificate that chained to the client CA counts (the TLS server asks for one
  // but lets a client without one through, for bearer tokens).
  const cert = socket instanceof TLSSocket && socket.authorized ? socket.getPeerCertificate() : undefined;
  return {
    ...(cert && cert.raw ? { peerCertificate: cert } : {}),
    header: (name) => {
      const v = req.headers[name];
      if (v === undefined) return [];
      // Node joins repeated headers with ", " except for a few; Impersonate-Group may repeat.
      return Array.isArray(v) ? v : name.startsWith('impersonate-') ? splitRepeated(req, name) : [v];
    },
    headerNames: () => Object.keys(req.headers),
    peerAddress: (socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
  };
}

/** Every value of a repeated header, from the raw header list (Node folds them otherwise). */
function splitRepeated(req: IncomingMessage, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]!.toLowerCase() === name) out.push(req.rawHeaders[i + 1]!);
  }
  return out;
}
