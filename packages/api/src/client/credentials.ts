// How a client proves who it is to the API server: TLS (the cluster CA to check the server,
// optionally a client certificate) and, per request, a bearer token and impersonation
// headers. The same shape serves every component, tctl and in-cluster clients.
import { credentials as grpcCredentials, Metadata, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { checkServerIdentity, type ConnectionOptions } from 'node:tls';

export interface TlsClientConfig {
  /** PEM of the CA(s) the server's certificate must chain to. */
  readonly ca: string;
  /** PEM client certificate and its key, for mutual TLS. */
  readonly cert?: string;
  readonly key?: string;
  /** The name to check in the server's certificate instead of the host dialled. */
  readonly serverName?: string;
}

export interface Impersonation {
  readonly user: string;
  readonly groups?: readonly string[];
  readonly uid?: string;
}

export interface Credentials {
  /** Absent: a plaintext connection, which the API server refuses; kept for tests of exactly that. */
  readonly tls?: TlsClientConfig;
  /** A bearer token sent with every request. */
  readonly token?: string;
  /** A file holding the token (a projected ServiceAccount token), re-read when it changes. */
  readonly tokenFile?: string;
  readonly impersonate?: Impersonation;
}

/** The host of HOST:PORT or [V6]:PORT. */
function hostOf(address: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(address) ?? /^([^:]+)(?::\d+)?$/.exec(address);
  return m?.[1] ?? address;
}

/** The name sent in TLS (SNI) when the server is dialled by IP address, where SNI may not carry an IP. */
const SNI_FOR_IP = 'tugboat-apiserver';

/**
 * Dialled by IP without a name to check: the certificate must hold that IP. (SNI then carries
 * SNI_FOR_IP: grpc-js would put the IP there, which Node warns of and RFC 6066 forbids.)
 */
function ipIdentityCheck(tls: TlsClientConfig, address: string): { checkServerIdentity?: (name: string, cert: Parameters<typeof checkServerIdentity>[1]) => Error | undefined } {
  const host = hostOf(address);
  return !tls.serverName && isIP(host) ? { checkServerIdentity: (_name, cert) => checkServerIdentity(host, cert) } : {};
}

/**
 * The same rules as channelCredentials and tlsChannelOptions, for a connection made with
 * node:tls or node:http2 directly (client/unary-channel.ts): CA, client certificate, the name
 * sent and the name checked. Undefined without TLS.
 */
export function tlsConnectOptions(creds: Credentials | undefined, address: string): ConnectionOptions | undefined {
  const tls = creds?.tls;
  if (!tls) return undefined;
  const host = hostOf(address);
  return {
    ca: tls.ca,
    ...(tls.cert ? { cert: tls.cert } : {}),
    ...(tls.key ? { key: tls.key } : {}),
    servername: tls.serverName ?? (isIP(host) ? SNI_FOR_IP : host),
    ...ipIdentityCheck(tls, address),
  };
}

export function channelCredentials(creds: Credentials | undefined, address: string): ChannelCredentials {
  const tls = creds?.tls;
  if (!tls) return grpcCredentials.createInsecure();
  const verify = ipIdentityCheck(tls, address);
  return grpcCredentials.createSsl(
    Buffer.from(tls.ca),
    tls.key ? Buffer.from(tls.key) : null,
    tls.cert ? Buffer.from(tls.cert) : null,
    verify,
  );
}

export function tlsChannelOptions(creds: Credentials | undefined, address: string): ChannelOptions {
  if (!creds?.tls) return {};
  const name = creds.tls.serverName ?? (isIP(hostOf(address)) ? SNI_FOR_IP : undefined);
  return name ? { 'grpc.ssl_target_name_override': name, ...(creds.tls.serverName ? { 'grpc.default_authority': name } : {}) } : {};
}

/** A token file, read again when its modification time changes (kubelet rotates projected tokens). */
class TokenFile {
  private token = '';
  private mtimeMs = -1;
  private checkedAt = 0;

  constructor(private readonly path: string) {}

  read(): string {
    const now = Date.now();
    // A stat per request is cheap, but a request storm need not stat at all.
    if (now - this.checkedAt < 1_000 && this.mtimeMs >= 0) return this.token;
    this.checkedAt = now;
    try {
      const st = statSync(this.path);
      if (st.mtimeMs !== this.mtimeMs) {
        this.token = readFileSync(this.path, 'utf8').trim();
        this.mtimeMs = st.mtimeMs;
      }
    } catch {
      // Gone for a moment (an atomic rename): keep the last token.
    }
    return this.token;
  }
}

/** Builds the metadata each call carries: authorization and impersonation. */
export class RequestMetadata {
  private readonly tokenFile: TokenFile | undefined;

  constructor(private readonly creds: Credentials | undefined) {
    this.tokenFile = creds?.tokenFile ? new TokenFile(creds.tokenFile) : undefined;
  }

  build(): Metadata {
    const md = new Metadata();
    const token = this.creds?.token ?? this.tokenFile?.read();
    if (token) md.set('authorization', `Bearer ${token}`);
    const imp = this.creds?.impersonate;
    if (imp) {
      md.set('impersonate-user', imp.user);
      for (const g of imp.groups ?? []) md.add('impersonate-group', g);
      if (imp.uid) md.set('impersonate-uid', imp.uid);
    }
    return md;
  }
}
