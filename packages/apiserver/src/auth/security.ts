// The one gate every request passes, in Kubernetes' handler-chain order:
//
//   TLS (client certificate verified, or none) ─▶ authenticate (certificate, bearer token)
//     ─▶ impersonate (if asked, and allowed) ─▶ authorize (system:masters, Node, RBAC)
//     ─▶ the handler ─▶ audit
//
// The wire format never decides who may do what: the gRPC handlers describe each request
// as RequestAttributes and ask here.
import type { PeerCertificate } from 'node:tls';
import type { UserInfo } from '@tugboat/api';
import type { AuditLog, AuditRecord } from './audit.js';
import { forbiddenError, type Authorizer, type Decision, type RequestAttributes } from './authorizer.js';
import { impersonate, impersonationOf } from './authn/impersonation.js';
import type { RequestAuthenticator } from './authn/request-authenticator.js';

/**
 * What the gate reads of a request, whatever its wire format: the verified client certificate,
 * header values by (lower-case) name, and the peer's address. gRPC calls
 * (grpc/wire-server.ts) and HTTP requests (rest/http-credentials.ts) both adapt to it, so a
 * certificate, a bearer token or an impersonation header means the same on either.
 */
export interface RequestCredentials {
  /** Only a certificate TLS verified against the client CA. */
  readonly peerCertificate?: PeerCertificate;
  /** Every value of a header (gRPC metadata key), by lower-case name. */
  header(name: string): readonly string[];
  /** Lower-case names of every header present (for Impersonate-Extra-*). */
  headerNames(): readonly string[];
  /** The client's address, without the port. */
  readonly peerAddress: string;
}

export interface Identity {
  /** Whom the request acts as. */
  readonly user: UserInfo;
  /** Who really sent it, when impersonating. */
  readonly impersonator?: UserInfo;
}

export interface SecurityOptions {
  readonly authenticator: RequestAuthenticator;
  readonly authorizer: Authorizer;
  readonly audit?: AuditLog;
}

export class Security {
  constructor(private readonly options: SecurityOptions) {}

  async authenticate(creds: RequestCredentials): Promise<Identity> {
    const authorization = creds.header('authorization')[0];
    const user = await this.options.authenticator.authenticate({
      ...(creds.peerCertificate ? { peerCertificate: creds.peerCertificate } : {}),
      ...(authorization !== undefined ? { authorization } : {}),
    });
    const imp = impersonationOf((k) => creds.header(k), creds.headerNames());
    if (!imp) return { user };
    const as = await impersonate(user, imp, (a) => this.authorize(a));
    return { user: as, impersonator: user };
  }

  authorize(attrs: RequestAttributes): Promise<Decision> {
    return Promise.resolve(this.options.authorizer.authorize(attrs));
  }

  /** Throws Forbidden (Kubernetes' message) unless the request is allowed. */
  async require(attrs: RequestAttributes): Promise<Decision> {
    const d = await this.authorize(attrs);
    if (d.decision !== 'allow') throw forbiddenError(attrs, d.reason);
    return d;
  }

  audit(record: AuditRecord): void {
    this.options.audit?.write(record);
  }

  async close(): Promise<void> {
    await this.options.audit?.close();
  }
}

