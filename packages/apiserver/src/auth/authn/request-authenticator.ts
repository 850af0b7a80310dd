// Who sent a request: a verified client certificate first, then a bearer token through each
// token source in turn (Kubernetes' union authenticator). No credential, or none that any
// source accepts, is Unauthorized: there is no anonymous access.
//
// Verified tokens are cached for a few seconds (capped at their expiry), so a client that
// sends the same token on every call pays for one signature check, not one per call.
import type { PeerCertificate } from 'node:tls';
import { createHash } from 'node:crypto';
import { ApiError, type UserInfo } from '@tugboat/api';
import type { TokenAuthenticator } from './token-authenticator.js';
import { userFromCertificate } from './x509.js';

export interface AuthnInput {
  /** The client certificate TLS verified against the client CA, if any. */
  readonly peerCertificate?: PeerCertificate;
  /** The `authorization` metadata value. */
  readonly authorization?: string;
}

export interface RequestAuthenticatorOptions {
  readonly tokens: readonly TokenAuthenticator[];
  /** How long a verified token's user is reused (default 10 s, as Kubernetes' token cache). */
  readonly cacheTtlMs?: number;
  readonly cacheSize?: number;
  readonly now?: () => number;
}

export const UNAUTHORIZED_MESSAGE = 'Unauthorized';

export function unauthorized(): ApiError {
  return new ApiError('Unauthorized', UNAUTHORIZED_MESSAGE);
}

export class RequestAuthenticator {
  private readonly cache = new Map<string, { user: UserInfo; until: number }>();
  private readonly ttl: number;
  private readonly size: number;
  private readonly now: () => number;

  constructor(private readonly options: RequestAuthenticatorOptions) {
    this.ttl = options.cacheTtlMs ?? 10_000;
    this.size = options.cacheSize ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  async authenticate(input: AuthnInput): Promise<UserInfo> {
    if (input.peerCertificate) {
      const user = userFromCertificate(input.peerCertificate);
      if (user) return user;
    }
    const header = input.authorization;
    if (header === undefined) throw unauthorized();
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw unauthorized();
    return this.authenticateToken(m[1]!);
  }

  private async authenticateToken(token: string): Promise<UserInfo> {
    // The cache is keyed by a hash: the process does not keep a table of live tokens.
    const key = createHash('sha256').update(token).digest('base64');
    const now = this.now();
    const hit = this.cache.get(key);
    if (hit && hit.until > now) {
      // Refresh its place: the map's order is the eviction order.
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit.user;
    }
    if (hit) this.cache.delete(key);
    for (const source of this.options.tokens) {
      const res = await source.authenticate(token);
      if (!res) continue;
      const until = Math.min(now + this.ttl, res.expiresAt ?? Number.POSITIVE_INFINITY);
      if (until > now) {
        this.cache.set(key, { user: res.user, until });
        if (this.cache.size > this.size) this.cache.delete(this.cache.keys().next().value!);
      }
      return res.user;
    }
    throw unauthorized();
  }
}
