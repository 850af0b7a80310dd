// The one gate every request passes, in Kubernetes' handler-chain order:
//
//   TLS (client certificate verified, or none) ─▶ authenticate (certificate, bearer token)
//     ─▶ impersonate (if asked, and allowed) ─▶ authorize (system:masters, Node, RBAC)
//     ─▶ the handler ─▶ audit
//
// The wire format never decides who may do what: the gRPC handlers describe each request
// as RequestAttributes and ask here.
import type { Metadata } from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import type { UserInfo } from '@tugboat/api';
import type { AuditLog, AuditRecord } from './audit.js';
import { forbiddenError, type Authorizer, type Decision, type RequestAttributes } from './authorizer.js';
import { impersonate, impersonationOf } from './authn/impersonation.js';
import type { RequestAuthenticator } from './authn/request-authenticator.js';

/** What the gate reads of a call. */
export interface CallCredentials {
  /** grpc-js fills sslPeerCertificate only for a certificate TLS verified. */
  getAuthContext(): { sslPeerCertificate?: PeerCertificate } | null;
  readonly metadata: Metadata;
  getPeer(): string;
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

function metadataValues(md: Metadata, key: string): string[] {
  return md.get(key).map((v) => (typeof v === 'string' ? v : v.toString('utf8')));
}

export class Security {
  constructor(private readonly options: SecurityOptions) {}

  async authenticate(call: CallCredentials): Promise<Identity> {
    const cert = call.getAuthContext()?.sslPeerCertificate;
    const authorization = metadataValues(call.metadata, 'authorization')[0];
    const user = await this.options.authenticator.authenticate({
      ...(cert ? { peerCertificate: cert } : {}),
      ...(authorization !== undefined ? { authorization } : {}),
    });
    const imp = impersonationOf((k) => metadataValues(call.metadata, k));
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

