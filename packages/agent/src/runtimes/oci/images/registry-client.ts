// A client for the OCI distribution API (what Docker Hub, docker-registry, Harbor, quay.io,
// ghcr.io speak), over Node's fetch: manifests and indexes, blobs streamed to disk while
// their sha256 is checked, and the three ways registries authenticate — none, HTTP Basic,
// and bearer tokens from the token service a `WWW-Authenticate` challenge names.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import {
  MANIFEST_ACCEPT, parseManifest, selectPlatformManifest, nodePlatform, formatPlatform, sha256Digest,
  SHA256_DIGEST_RE, type Descriptor, type ImageManifest, type ImageIndex, type Platform,
} from './manifest.js';
import { findCredential, type KeychainEntry, type RegistryCredential } from './credentials.js';
import { ipv4InCidr } from '@tugboat/api';
import { formatReference, isLoopbackDomain, manifestReference, registryApiHost, type RegistryReference } from './reference.js';

export type RegistryErrorCode =
  | 'NotFound'        // manifest or blob unknown, repository unknown
  | 'Unauthorized'    // no or wrong credentials, access denied
  | 'Invalid'         // the registry answered something we cannot use (bad manifest, wrong digest)
  | 'Unsupported'     // a manifest schema or media type we do not handle
  | 'NoMatchingPlatform'
  | 'Unavailable'     // network error, 5xx, timeout
  | 'TooManyRequests';

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  constructor(readonly code: RegistryErrorCode, message: string, readonly status?: number, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface RegistryClientOptions {
  /** Registries (host[:port]) reachable over plain http; loopback ones always are. */
  insecureRegistries?: readonly string[];
  /**
   * Registry domain → the host (HOST[:PORT]) requests for its images go to instead, with the
   * same repository path and tag: `nginx:1.25` (docker.io/library/nginx) from a local
   * registry's library/nginx. Credentials are still looked up for the image's own domain.
   */
  mirrors?: Readonly<Record<string, string>>;
  /** The platform picked from image indexes; default: this machine's. */
  platform?: Platform;
  userAgent?: string;
  /** Timeout of each request that is not a blob download. */
  requestTimeoutMs?: number;
}

export interface ResolvedManifest {
  /** Digest of the image manifest (of the node's platform when the reference names an index). */
  digest: string;
  manifest: ImageManifest;
  bytes: Buffer;
  /** The index digest, when the reference resolved to an index first. */
  indexDigest?: string;
}

interface CachedAuth {
  header: string;
  expiresAt: number;
}

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** Manifests are small; anything bigger is not one (the limit containerd uses). */
const MANIFEST_SIZE_LIMIT = 4 * 1024 * 1024;

export class RegistryClient {
  private readonly insecure: Set<string>;
  private readonly mirrors: ReadonlyMap<string, string>;
  private readonly platform: Platform;
  private readonly userAgent: string;
  private readonly timeoutMs: number;
  private readonly schemes = new Map<string, Promise<'https' | 'http'>>();
  private readonly auths = new Map<string, CachedAuth>();

  constructor(options: RegistryClientOptions = {}) {
    this.insecure = new Set((options.insecureRegistries ?? []).map((d) => d.toLowerCase()));
    this.mirrors = new Map(Object.entries(options.mirrors ?? {}).map(([d, h]) => [d.toLowerCase(), h.toLowerCase()]));
    this.platform = options.platform ?? nodePlatform();
    this.userAgent = options.userAgent ?? 'tugboat-agent';
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Resolves a reference to the image manifest for this node's platform. */
  async resolve(ref: RegistryReference, keychain: readonly KeychainEntry[] = []): Promise<ResolvedManifest> {
    const first = await this.getManifest(ref, manifestReference(ref), keychain);
    if (ref.digest !== undefined && first.digest !== ref.digest) {
      throw new RegistryError('Invalid', `manifest digest ${first.digest} does not match the requested ${ref.digest}`);
    }
    const parsed = parseOrThrow(first.bytes, first.contentType);
    if (parsed.kind === 'manifest') return { digest: first.digest, manifest: parsed, bytes: first.bytes };
    const chosen = selectPlatformManifest(parsed, this.platform);
    if (!chosen) {
      const offered = parsed.manifests.flatMap((d) => (d.platform ? [formatPlatform(d.platform)] : [])).join(', ');
      throw new RegistryError('NoMatchingPlatform', `no image for platform ${formatPlatform(this.platform)} in the index (it has: ${offered || 'none'})`);
    }
    const second = await this.getManifest(ref, chosen.digest, keychain);
    if (second.digest !== chosen.digest) {
      throw new RegistryError('Invalid', `manifest digest ${second.digest} does not match the index entry ${chosen.digest}`);
    }
    const manifest = parseOrThrow(second.bytes, second.contentType);
    if (manifest.kind !== 'manifest') throw new RegistryError('Unsupported', 'nested image indexes are not supported');
    return { digest: second.digest, manifest, bytes: second.bytes, indexDigest: first.digest };
  }

  /** One manifest or index by tag or digest, with its digest checked when known. */
  async getManifest(ref: RegistryReference, reference: string, keychain: readonly KeychainEntry[] = []):
  Promise<{ digest: string; bytes: Buffer; contentType: string }> {
    const res = await this.request(ref, `manifests/${reference}`, keychain, {
      method: 'GET',
      headers: { Accept: MANIFEST_ACCEPT },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) throw await errorFromResponse(res, `manifest ${reference}`);
    const length = Number(res.headers.get('content-length') ?? '0');
    if (length > MANIFEST_SIZE_LIMIT) throw new RegistryError('Invalid', `manifest ${reference} is ${length} bytes, more than a manifest can be`);
    const bytes = Buffer.from(await res.arrayBuffer());
    const digest = sha256Digest(bytes);
    // Trust only what we hashed: a registry's Docker-Content-Digest must agree with it.
    const header = res.headers.get('docker-content-digest');
    if (header && SHA256_DIGEST_RE.test(header) && header !== digest) {
      throw new RegistryError('Invalid', `manifest ${reference}: content digest ${digest} does not match the registry's ${header}`);
    }
    if (reference.startsWith('sha256:') && reference !== digest) {
      throw new RegistryError('Invalid', `manifest ${reference}: content digest ${digest} does not match`);
    }
    return { digest, bytes, contentType: res.headers.get('content-type') ?? '' };
  }

  /** A small blob (an image config) in memory, digest-checked. */
  async getBlob(ref: RegistryReference, desc: Descriptor, keychain: readonly KeychainEntry[] = []): Promise<Buffer> {
    const res = await this.request(ref, `blobs/${desc.digest}`, keychain, { method: 'GET', signal: AbortSignal.timeout(this.timeoutMs) });
    if (!res.ok) throw await errorFromResponse(res, `blob ${desc.digest}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    const digest = sha256Digest(bytes);
    if (digest !== desc.digest) throw new RegistryError('Invalid', `blob ${desc.digest}: content digest ${digest} does not match`);
    return bytes;
  }

  /**
   * Streams a blob to `dest`, hashing as it goes; the file appears (renamed from a temp
   * name) only once size and digest match, so a reader never sees a partial blob.
   */
  async downloadBlob(ref: RegistryReference, desc: Descriptor, dest: string, keychain: readonly KeychainEntry[] = [], signal?: AbortSignal): Promise<void> {
    if (!SHA256_DIGEST_RE.test(desc.digest)) throw new RegistryError('Unsupported', `blob digest "${desc.digest}" is not sha256`);
    const res = await this.request(ref, `blobs/${desc.digest}`, keychain, { method: 'GET', ...(signal ? { signal } : {}) });
    if (!res.ok || !res.body) throw await errorFromResponse(res, `blob ${desc.digest}`);
    const tmp = `${dest}.partial-${randomBytes(4).toString('hex')}`;
    const hash = createHash('sha256');
    let size = 0;
    const verify = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size > desc.size) return cb(new RegistryError('Invalid', `blob ${desc.digest} is larger than its descriptor's ${desc.size} bytes`));
        hash.update(chunk);
        return cb(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(res.body as NodeReadableStream<Uint8Array>), verify, createWriteStream(tmp));
      const digest = `sha256:${hash.digest('hex')}`;
      if (size !== desc.size) throw new RegistryError('Invalid', `blob ${desc.digest} is ${size} bytes, its descriptor says ${desc.size}`);
      if (digest !== desc.digest) throw new RegistryError('Invalid', `blob ${desc.digest}: content digest ${digest} does not match`);
      await rename(tmp, dest);
    } catch (e) {
      await rm(tmp, { force: true });
      if (e instanceof RegistryError) throw e;
      throw new RegistryError('Unavailable', `downloading blob ${desc.digest}: ${errorText(e)}`, undefined, { cause: e });
    }
  }

  /** Whether plain http may be used for `domain` (Docker's insecure-registries rule). */
  isInsecure(domain: string): boolean {
    const d = domain.toLowerCase();
    if (isLoopbackDomain(d) || this.insecure.has(d)) return true;
    // A CIDR entry covers every registry whose host is an address inside it, on any port.
    const host = d.replace(/:\d+$/, '');
    return [...this.insecure].some((entry) => entry.includes('/') && ipv4InCidr(host, entry));
  }

  // One request, with the cached authorization for this repository; on 401 it answers the
  // challenge once and retries.
  private async request(ref: RegistryReference, suffix: string, keychain: readonly KeychainEntry[], init: RequestInit): Promise<Response> {
    const base = await this.baseUrl(this.mirrors.get(ref.domain.toLowerCase()) ?? ref.domain);
    const url = `${base}/v2/${ref.path}/${suffix}`;
    const credential = findCredential(keychain, ref.domain, ref.path);
    const authKey = `${ref.domain}|${ref.path}|${credentialId(credential)}`;
    const send = async (auth: string | undefined): Promise<Response> => {
      const headers = new Headers(init.headers);
      headers.set('User-Agent', this.userAgent);
      if (auth) headers.set('Authorization', auth);
      try {
        return await fetch(url, { ...init, headers, redirect: 'follow' });
      } catch (e) {
        throw new RegistryError('Unavailable', `${url}: ${errorText(e)}`, undefined, { cause: e });
      }
    };
    const cached = this.auths.get(authKey);
    const res = await send(cached && cached.expiresAt > Date.now() ? cached.header : undefined);
    if (res.status !== 401) return res;

    const challenges = parseWwwAuthenticate(res.headers.get('www-authenticate') ?? '');
    const body = await res.text().catch(() => '');
    const header = await this.answerChallenge(challenges, ref, credential, body);
    this.auths.set(authKey, header);
    const retry = await send(header.header);
    if (retry.status === 401) {
      const text = registryMessage(await retry.text().catch(() => ''));
      throw new RegistryError('Unauthorized', credential
        ? `authentication to ${ref.domain} failed${text ? `: ${text}` : ''}`
        : `pull access denied for ${formatReference(ref)}, repository does not exist or may require authorization${text ? `: ${text}` : ''}`, 401);
    }
    return retry;
  }

  private async answerChallenge(challenges: Challenge[], ref: RegistryReference, cred: RegistryCredential | undefined, body: string): Promise<CachedAuth> {
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) return this.fetchToken(bearer, ref, cred);
    if (challenges.some((c) => c.scheme === 'basic')) {
      if (!cred?.username || cred.password === undefined) {
        const text = registryMessage(body);
        throw new RegistryError('Unauthorized', `${ref.domain} requires a username and password (imagePullSecrets)${text ? `: ${text}` : ''}`, 401);
      }
      return { header: basicHeader(cred.username, cred.password), expiresAt: Number.MAX_SAFE_INTEGER };
    }
    throw new RegistryError('Unauthorized', `${ref.domain} answered 401 without a challenge we understand`, 401);
  }

  // Docker's token protocol: GET realm?service=…&scope=repository:NAME:pull, with Basic
  // credentials when we have them; an identity token is exchanged with OAuth2 instead.
  private async fetchToken(challenge: Challenge, ref: RegistryReference, cred: RegistryCredential | undefined): Promise<CachedAuth> {
    if (cred?.registryToken) return { header: `Bearer ${cred.registryToken}`, expiresAt: Number.MAX_SAFE_INTEGER };
    const realm = challenge.params.realm;
    if (!realm) throw new RegistryError('Unauthorized', `${ref.domain}: the bearer challenge names no token realm`, 401);
    const scope = challenge.params.scope ?? `repository:${ref.path}:pull`;
    const service = challenge.params.service;
    let res: Response;
    try {
      if (cred?.identityToken) {
        const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: cred.identityToken, client_id: this.userAgent, scope });
        if (service) form.set('service', service);
        res = await fetch(realm, { method: 'POST', body: form, signal: AbortSignal.timeout(this.timeoutMs) });
      } else {
        const url = new URL(realm);
        if (service) url.searchParams.set('service', service);
        url.searchParams.set('scope', scope);
        const headers: Record<string, string> = { 'User-Agent': this.userAgent };
        if (cred?.username && cred.password !== undefined) headers.Authorization = basicHeader(cred.username, cred.password);
        res = await fetch(url, { headers, signal: AbortSignal.timeout(this.timeoutMs) });
      }
    } catch (e) {
      throw new RegistryError('Unavailable', `token service ${realm}: ${errorText(e)}`, undefined, { cause: e });
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) {
      const msg = registryMessage(text) || `HTTP ${res.status}`;
      throw new RegistryError(res.status === 401 || res.status === 403 ? 'Unauthorized' : 'Unavailable',
        `token service ${realm} refused ${cred ? 'the credentials' : 'anonymous access'} for ${scope}: ${msg}`, res.status);
    }
    let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch {
      throw new RegistryError('Invalid', `token service ${realm} answered something that is not JSON`);
    }
    const token = typeof doc.token === 'string' ? doc.token : typeof doc.access_token === 'string' ? doc.access_token : undefined;
    if (!token) throw new RegistryError('Invalid', `token service ${realm} answered without a token`);
    // The spec's default lifetime is 60 s; renew a little early.
    const lifetime = typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : 60;
    return { header: `Bearer ${token}`, expiresAt: Date.now() + Math.max(1, lifetime - 10) * 1000 };
  }

  // Docker's order for insecure registries: https first, then plain http if https cannot
  // even connect (a TLS error or a refused connection). Decided once per registry.
  private baseUrl(domain: string): Promise<string> {
    const host = registryApiHost(domain);
    if (!this.isInsecure(domain)) return Promise.resolve(`https://${host}`);
    let scheme = this.schemes.get(domain);
    if (!scheme) {
      scheme = fetch(`https://${host}/v2/`, { signal: AbortSignal.timeout(5_000) })
        .then(async (res) => { await res.body?.cancel(); return 'https' as const; }, () => 'http' as const);
      this.schemes.set(domain, scheme);
    }
    return scheme.then((s) => `${s}://${host}`);
  }
}

function parseOrThrow(bytes: Buffer, contentType: string): ImageManifest | ImageIndex {
  try {
    return parseManifest(bytes, contentType);
  } catch (e) {
    throw new RegistryError(/schema 1|unsupported/.test(errorText(e)) ? 'Unsupported' : 'Invalid', errorText(e), undefined, { cause: e });
  }
}

function credentialId(cred: RegistryCredential | undefined): string {
  if (!cred) return 'anonymous';
  return createHash('sha256').update(JSON.stringify(cred)).digest('hex').slice(0, 16);
}

function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/**
 * RFC 7235 challenges: `Bearer realm="https://auth",service="registry",scope="…"`, possibly
 * several separated by commas (a new scheme starts where a token is not followed by '=').
 */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const out: Challenge[] = [];
  const re = /\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)(?:\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*))?\s*,?/gy;
  let current: Challenge | undefined;
  let m: RegExpExecArray | null;
  while (re.lastIndex < header.length && (m = re.exec(header)) !== null) {
    if (m[0] === '') break;
    const [, token, rawValue] = m;
    if (rawValue === undefined) {
      // A scheme; its first parameter may follow after a space, not a comma.
      current = { scheme: token!.toLowerCase(), params: {} };
      out.push(current);
    } else if (current) {
      const value = rawValue.startsWith('"') ? rawValue.slice(1, -1).replace(/\\(.)/g, '$1') : rawValue;
      current.params[token!.toLowerCase()] = value;
    }
  }
  return out;
}

/** The registry's own words from an error body: `{"errors":[{"code":…,"message":…}]}`. */
export function registryMessage(body: string): string {
  try {
    const doc = JSON.parse(body) as { errors?: Array<{ code?: unknown; message?: unknown; detail?: unknown }>; message?: unknown; details?: unknown };
    if (Array.isArray(doc.errors) && doc.errors.length > 0) {
      return doc.errors.map((e) => {
        const msg = typeof e.message === 'string' ? e.message : '';
        const code = typeof e.code === 'string' ? e.code : '';
        return code && msg ? `${msg} (${code})` : msg || code;
      }).filter(Boolean).join('; ');
    }
    if (typeof doc.message === 'string') return doc.message;
    if (typeof doc.details === 'string') return doc.details;
  } catch {
    // not JSON: fall through to the text itself
  }
  const text = body.trim().split('\n')[0] ?? '';
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

async function errorFromResponse(res: Response, what: string): Promise<RegistryError> {
  const text = registryMessage(await res.text().catch(() => ''));
  const suffix = text ? `: ${text}` : '';
  if (res.status === 404) return new RegistryError('NotFound', `${what} not found${suffix}`, 404);
  if (res.status === 401 || res.status === 403) return new RegistryError('Unauthorized', `${what}: access denied${suffix}`, res.status);
  if (res.status === 429) return new RegistryError('TooManyRequests', `${what}: too many requests${suffix}`, 429);
  if (res.status >= 500) return new RegistryError('Unavailable', `${what}: registry error HTTP ${res.status}${suffix}`, res.status);
  return new RegistryError('Invalid', `${what}: HTTP ${res.status}${suffix}`, res.status);
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    const cause = e.cause instanceof Error ? e.cause.message : typeof e.cause === 'string' ? e.cause : '';
    return cause && !e.message.includes(cause) ? `${e.message}: ${cause}` : e.message;
  }
  return String(e);
}
