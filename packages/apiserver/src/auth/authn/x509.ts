// Client-certificate authentication: TLS has already checked the certificate against the
// client CA (an unverified certificate never gets here); its subject names the user, as in
// Kubernetes: CN is the user name, each O a group.
import type { PeerCertificate } from 'node:tls';
import { userFromCertificateSubject, type UserInfo } from '@tugboat/api';

export function userFromCertificate(cert: PeerCertificate): UserInfo | undefined {
  return userFromCertificateSubject(cert.subject);
}
