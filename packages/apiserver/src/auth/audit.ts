// The audit log (--audit-log-path): one JSON line per request, in Kubernetes' audit Event
// shape (audit.k8s.io/v1, level Metadata, stage ResponseComplete) so tools that read
// Kubernetes' audit logs read these: who (user, impersonated user), what (verb, objectRef),
// the decision and its reason, the answer's code, and how long it took.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import type { UserInfo } from '@tugboat/api';
import type { RequestAttributes } from './authorizer.js';

export interface AuditRecord {
  /** The RPC, e.g. /tugboat.v1.Objects/Create. */
  readonly method: string;
  readonly user: UserInfo | undefined;
  /** The user who asked to act as `user`, when impersonating. */
  readonly impersonator?: UserInfo;
  readonly attrs: RequestAttributes | undefined;
  readonly decision: 'allow' | 'forbid' | 'unauthenticated';
  readonly reason: string;
  /** HTTP-style code of the answer (200, 403, 404, …). */
  readonly code: number;
  readonly message?: string;
  readonly sourceIP: string;
  readonly received: Date;
  readonly completed: Date;
}

function userJson(u: UserInfo): Record<string, unknown> {
  return { username: u.username, ...(u.uid ? { uid: u.uid } : {}), groups: [...u.groups], ...(u.extra && Object.keys(u.extra).length ? { extra: u.extra } : {}) };
}

export function auditEvent(r: AuditRecord): Record<string, unknown> {
  const a = r.attrs;
  const latencyMs = r.completed.getTime() - r.received.getTime();
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: randomUUID(),
    stage: 'ResponseComplete',
    requestURI: r.method,
    verb: a?.verb ?? '',
    user: r.impersonator ? userJson(r.impersonator) : r.user ? userJson(r.user) : { username: 'system:anonymous', groups: ['system:unauthenticated'] },
    ...(r.impersonator && r.user ? { impersonatedUser: userJson(r.user) } : {}),
    sourceIPs: r.sourceIP ? [r.sourceIP] : [],
    ...(a?.resourceRequest
      ? { objectRef: { resource: a.resource, ...(a.namespace ? { namespace: a.namespace } : {}), ...(a.name || a.objectName ? { name: a.name || a.objectName } : {}), apiGroup: a.apiGroup, ...(a.subresource ? { subresource: a.subresource } : {}) } }
      : {}),
    responseStatus: { code: r.code, ...(r.code >= 400 ? { status: 'Failure', ...(r.message ? { message: r.message } : {}) } : {}) },
    requestReceivedTimestamp: r.received.toISOString(),
    stageTimestamp: r.completed.toISOString(),
    annotations: {
      'authorization.k8s.io/decision': r.decision,
      ...(r.reason ? { 'authorization.k8s.io/reason': r.reason } : {}),
      'tugboat.io/latency': `${latencyMs}ms`,
    },
  };
}

export class AuditLog {
  private readonly out: WriteStream;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    // Audit records name users and objects: readable by the operator only.
    this.out = createWriteStream(path, { flags: 'a', mode: 0o600 });
    this.out.on('error', () => undefined);
  }

  write(r: AuditRecord): void {
    this.out.write(`${JSON.stringify(auditEvent(r))}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(() => resolve()));
  }
}
