// The API server's credentials for etcd over mutual TLS. etcd holds every object, Secrets
// included, so it must only answer a client holding a certificate from its CA; and the API
// server must only trust an etcd whose certificate that CA signed. The files are named by
// Kubernetes' flags (--etcd-cafile, --etcd-certfile, --etcd-keyfile), read once at start.
import { X509Certificate, createPrivateKey } from 'node:crypto';

/** PEM texts: the CA that signed etcd's server certificate, and our client certificate and key. */
export interface EtcdTls {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** Where those PEMs live (the flags' values). */
export interface EtcdTlsFiles {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/**
 * Reads the three files through `readFile` (the flags' reader, which names the flag when a
 * file cannot be read) and checks each parses, so a wrong file is one line at start rather
 * than an etcd that stays "unavailable".
 */
export function loadEtcdTls(files: EtcdTlsFiles, readFile: (path: string, flag: string) => string): EtcdTls {
  const cert = (flag: string, path: string): string => {
    const pem = readFile(path, flag);
    try {
      new X509Certificate(pem);
    } catch {
      throw new Error(`${flag} ${path}: not a PEM certificate`);
    }
    return pem;
  };
  const keyPem = readFile(files.keyFile, '--etcd-keyfile');
  try {
    createPrivateKey(keyPem);
  } catch {
    throw new Error(`--etcd-keyfile ${files.keyFile}: not a PEM private key`);
  }
  return { caPem: cert('--etcd-cafile', files.caFile), certPem: cert('--etcd-certfile', files.certFile), keyPem };
}

/**
 * Checks that endpoints and TLS agree: https endpoints need the credentials (we never trust
 * the system's CAs for etcd), and credentials on http endpoints would be silently unused.
 * Returns a one-line message, or undefined when they agree.
 */
export function etcdTlsMismatch(endpoints: readonly string[], tls: boolean): string | undefined {
  const secure = endpoints.filter((e) => e.startsWith('https://')).length;
  if (secure > 0 && secure < endpoints.length) return 'etcd endpoints mix http:// and https://; use one scheme for all';
  if (secure > 0 && !tls) return 'https:// etcd endpoints need a CA, client certificate and key';
  if (secure === 0 && tls && endpoints.length > 0) return 'etcd TLS credentials were given but the endpoints are http://; use https://';
  return undefined;
}
