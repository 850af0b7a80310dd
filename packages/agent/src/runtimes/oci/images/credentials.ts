// Registry credentials from imagePullSecrets: Secrets of type kubernetes.io/dockerconfigjson
// (`.dockerconfigjson`, Docker's config.json) or the legacy kubernetes.io/dockercfg
// (`.dockercfg`, the bare "auths" map). Matching follows Kubernetes' credentialprovider:
// keys may carry a scheme and a path, and a `*.` wildcard for one DNS label.
import type { Secret } from '@tugboat/api';
import { DEFAULT_DOMAIN } from './reference.js';

export interface RegistryCredential {
  username?: string;
  password?: string;
  /** A refresh token (Docker's "identitytoken"), exchanged for bearer tokens with OAuth2. */
  identityToken?: string;
  /** A bearer token to send as is. */
  registryToken?: string;
}

export interface KeychainEntry {
  /** `host[:port]` with an optional `*.` prefix, and an optional path prefix. */
  readonly host: string;
  readonly pathPrefix: string;
  readonly credential: RegistryCredential;
}

export class CredentialError extends Error {
  override readonly name = 'CredentialError';
}

const DOCKER_HUB_ALIASES = new Set(['index.docker.io', 'registry-1.docker.io', 'docker.io']);

/** Parses Docker's config.json (`{"auths": {...}}`) or a legacy .dockercfg map. */
export function parseDockerConfig(json: string, what = 'docker config'): KeychainEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    throw new CredentialError(`${what} is not valid JSON`);
  }
  if (typeof doc !== 'object' || doc === null) throw new CredentialError(`${what} is not a JSON object`);
  const auths = 'auths' in doc ? (doc as { auths: unknown }).auths : doc;
  if (typeof auths !== 'object' || auths === null) throw new CredentialError(`${what}: "auths" is not an object`);
  const out: KeychainEntry[] = [];
  for (const [key, value] of Object.entries(auths as Record<string, unknown>)) {
    if (typeof value !== 'object' || value === null) continue;
    const v = value as Record<string, unknown>;
    const cred: RegistryCredential = {};
    if (typeof v.auth === 'string' && v.auth !== '') {
      const decoded = Buffer.from(v.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new CredentialError(`${what}: auths["${key}"].auth is not base64 of "user:password"`);
      cred.username = decoded.slice(0, colon);
      cred.password = decoded.slice(colon + 1);
    }
    if (typeof v.username === 'string') cred.username = v.username;
    if (typeof v.password === 'string') cred.password = v.password;
    if (typeof v.identitytoken === 'string' && v.identitytoken !== '') cred.identityToken = v.identitytoken;
    if (typeof v.registrytoken === 'string' && v.registrytoken !== '') cred.registryToken = v.registrytoken;
    const { host, pathPrefix } = normalizeKey(key);
    out.push({ host, pathPrefix, credential: cred });
  }
  return out;
}

/** The keychain entries of one imagePullSecrets Secret. */
export function keychainFromSecret(secret: Secret): KeychainEntry[] {
  const name = `Secret "${secret.metadata?.namespace ?? 'default'}/${secret.metadata?.name ?? ''}"`;
  const read = (key: string): string | undefined => {
    const b64 = secret.data?.[key];
    if (b64 !== undefined) return Buffer.from(b64, 'base64').toString('utf8');
    return secret.stringData?.[key];
  };
  switch (secret.type) {
    case 'kubernetes.io/dockerconfigjson': {
      const json = read('.dockerconfigjson');
      if (json === undefined) throw new CredentialError(`${name}: data[.dockerconfigjson] is missing`);
      return parseDockerConfig(json, `${name} data[.dockerconfigjson]`);
    }
    case 'kubernetes.io/dockercfg': {
      const json = read('.dockercfg');
      if (json === undefined) throw new CredentialError(`${name}: data[.dockercfg] is missing`);
      return parseDockerConfig(json, `${name} data[.dockercfg]`);
    }
    default:
      throw new CredentialError(`${name}: type "${secret.type ?? ''}" is not kubernetes.io/dockerconfigjson`);
  }
}

// "https://index.docker.io/v1/" → docker.io; "http://host:5000/some/path" → host:5000 + /some/path.
function normalizeKey(key: string): { host: string; pathPrefix: string } {
  let rest = key.trim().replace(/^[a-z]+:\/\//i, '');
  const slash = rest.indexOf('/');
  let pathPrefix = '';
  if (slash >= 0) {
    pathPrefix = rest.slice(slash + 1).replace(/\/+$/, '');
    rest = rest.slice(0, slash);
  }
  let host = rest.toLowerCase();
  if (DOCKER_HUB_ALIASES.has(host)) {
    host = DEFAULT_DOMAIN;
    // Docker Hub's legacy key carries the API version, not a repository path.
    if (pathPrefix === 'v1' || pathPrefix === 'v2') pathPrefix = '';
  }
  return { host, pathPrefix };
}

function hostMatches(pattern: string, domain: string): boolean {
  if (pattern === domain) return true;
  if (!pattern.startsWith('*.')) return false;
  // A wildcard stands for exactly one DNS label, and the ports must agree.
  const [pHost, pPort] = splitPort(pattern.slice(2));
  const [dHost, dPort] = splitPort(domain);
  if (pPort !== dPort) return false;
  const dot = dHost.indexOf('.');
  return dot > 0 && dHost.slice(dot + 1) === pHost;
}

function splitPort(hostPort: string): [string, string] {
  const i = hostPort.lastIndexOf(':');
  if (i < 0 || hostPort.endsWith(']')) return [hostPort, ''];
  return [hostPort.slice(0, i), hostPort.slice(i + 1)];
}

/**
 * The credential for `domain/path`: the most specific entry wins (exact host over a
 * wildcard, then the longest path prefix), as Kubernetes orders them.
 */
export function findCredential(entries: readonly KeychainEntry[], domain: string, path: string): RegistryCredential | undefined {
  const d = DOCKER_HUB_ALIASES.has(domain.toLowerCase()) ? DEFAULT_DOMAIN : domain.toLowerCase();
  let best: KeychainEntry | undefined;
  let bestScore = -1;
  for (const e of entries) {
    if (!hostMatches(e.host, d)) continue;
    if (e.pathPrefix !== '' && path !== e.pathPrefix && !path.startsWith(`${e.pathPrefix}/`)) continue;
    const score = (e.host === d ? 1_000_000 : 0) + e.pathPrefix.length;
    if (score > bestScore) {
      best = e;
      bestScore = score;
    }
  }
  return best?.credential;
}
