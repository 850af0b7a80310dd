// Client-certificate authentication: TLS has already checked the certificate against the
// client CA (an unverified certificate never gets here); its subject names the user, as in
// Kubernetes: CN is the user name, each O a group.
import type { PeerCertificate } from 'node:tls';
import { userFromCertificateSubject, type UserInfo } from '@tugboat/api';

/** Per certificate object (kept per connection, see peer-certificate-cache.ts): parsed once. */
const users = new WeakMap<PeerCertificate, UserInfo | null>();

export function userFromCertificate(cert: PeerCertificate): UserInfo | undefined {
  let u = users.get(cert);
  if (u === undefined) {
    u = userFromCertificateSubject(cert.subject) ?? null;
    users.set(cert, u);
  }
  return u ?? undefined;
}
