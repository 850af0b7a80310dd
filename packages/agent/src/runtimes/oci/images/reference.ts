// Image references, parsed the way Docker parses them (github.com/distribution/reference):
// `busybox` → docker.io/library/busybox:latest, `host:port/repo:tag`, `repo@sha256:…`,
// plus the two local transports skopeo uses for air-gapped nodes: `oci:DIR[:tag]` and
// `oci-archive:FILE[:tag]`. Pure functions only: no I/O here.
import { resolve as resolvePath } from 'node:path';

export const DEFAULT_DOMAIN = 'docker.io';
export const DEFAULT_TAG = 'latest';
/** docker.io is an alias: the registry API itself lives here. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const NAME_TOTAL_LENGTH_MAX = 255;

export interface RegistryReference {
  readonly kind: 'registry';
  /** Registry host, maybe with a port: `docker.io`, `127.0.0.1:5000`, `[::1]:5000`. */
  readonly domain: string;
  /** Repository path inside the registry: `library/busybox`, `test/busybox`. */
  readonly path: string;
  /** The tag; undefined when the reference names only a digest. */
  readonly tag?: string;
  /** `sha256:<64 hex>` when the reference pins one. */
  readonly digest?: string;
}

export interface OciLayoutReference {
  readonly kind: 'oci-layout';
  /** A directory holding an OCI image layout (oci-layout, index.json, blobs/). */
  readonly dir: string;
  /** Matched against the org.opencontainers.image.ref.name annotation; undefined = the only image. */
  readonly tag?: string;
}

export interface OciArchiveReference {
  readonly kind: 'oci-archive';
  /** A tar file of an OCI image layout. */
  readonly file: string;
  readonly tag?: string;
}

export type ImageReference = RegistryReference | OciLayoutReference | OciArchiveReference;

export class InvalidReferenceError extends Error {
  override readonly name = 'InvalidReferenceError';
  constructor(readonly reference: string, reason: string) {
    super(`invalid image reference "${reference}": ${reason}`);
  }
}

// The grammar of distribution/reference/regexp.go.
const ALPHANUMERIC = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`;
const PATH_COMPONENT_RE = new RegExp(`^${PATH_COMPONENT}$`);
const DOMAIN_NAME_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const IPV6_ADDRESS = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN_NAME = `${DOMAIN_NAME_COMPONENT}(?:\\.${DOMAIN_NAME_COMPONENT})*`;
const HOST = `(?:${DOMAIN_NAME}|${IPV6_ADDRESS})`;
const DOMAIN_RE = new RegExp(`^${HOST}(?::[0-9]+)?$`);
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const SHA256_RE = /^sha256:[0-9a-f]{64}$/;

/** Parses any reference the agent accepts in a container's `image` field. */
export function parseImageReference(ref: string): ImageReference {
  if (ref.startsWith('oci:')) {
    const { path, tag } = splitLocal(ref, ref.slice('oci:'.length));
    return tag === undefined ? { kind: 'oci-layout', dir: path } : { kind: 'oci-layout', dir: path, tag };
  }
  if (ref.startsWith('oci-archive:')) {
    const { path, tag } = splitLocal(ref, ref.slice('oci-archive:'.length));
    return tag === undefined ? { kind: 'oci-archive', file: path } : { kind: 'oci-archive', file: path, tag };
  }
  return parseRegistryReference(ref);
}

// skopeo's rule: the tag follows the last ':' unless that ':' is part of the path (a path
// never contains '/' after its tag).
function splitLocal(ref: string, rest: string): { path: string; tag?: string } {
  if (rest === '') throw new InvalidReferenceError(ref, 'a path is required');
  const i = rest.lastIndexOf(':');
  if (i < 0 || rest.slice(i + 1).includes('/')) return { path: rest };
  const path = rest.slice(0, i);
  const tag = rest.slice(i + 1);
  if (path === '') throw new InvalidReferenceError(ref, 'a path is required');
  if (tag === '') return { path };
  return { path, tag };
}

/** Docker's ParseNormalizedNamed: fills in docker.io, library/ and :latest. */
export function parseRegistryReference(ref: string): RegistryReference {
  if (ref === '') throw new InvalidReferenceError(ref, 'the reference is empty');
  if (ref !== ref.trim()) throw new InvalidReferenceError(ref, 'it contains whitespace');

  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) throw new InvalidReferenceError(ref, `"${digest}" is not a valid digest`);
    if (digest.startsWith('sha256:') && !SHA256_RE.test(digest)) {
      throw new InvalidReferenceError(ref, 'a sha256 digest is 64 lowercase hex characters');
    }
  }

  // A first component is a registry host when it looks like one: it has a '.' or a ':'
  // (a port), is "localhost", or has an uppercase letter (which no repository may have).
  let domain = DEFAULT_DOMAIN;
  let remainder = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first) {
      domain = first;
      remainder = rest.slice(slash + 1);
    }
  }

  let tag: string | undefined;
  const colon = remainder.lastIndexOf(':');
  if (colon >= 0) {
    tag = remainder.slice(colon + 1);
    remainder = remainder.slice(0, colon);
    if (!TAG_RE.test(tag)) throw new InvalidReferenceError(ref, `"${tag}" is not a valid tag`);
  }

  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (!DOMAIN_RE.test(domain)) throw new InvalidReferenceError(ref, `"${domain}" is not a valid registry host`);
  if (remainder === '') throw new InvalidReferenceError(ref, 'the repository name is empty');
  if (remainder.toLowerCase() !== remainder) throw new InvalidReferenceError(ref, 'repository name must be lowercase');
  for (const component of remainder.split('/')) {
    if (!PATH_COMPONENT_RE.test(component)) {
      throw new InvalidReferenceError(ref, `"${component}" is not a valid repository name component`);
    }
  }
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  if (domain.length + 1 + remainder.length > NAME_TOTAL_LENGTH_MAX) {
    throw new InvalidReferenceError(ref, `the repository name is longer than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }

  // Docker's TagNameOnly: a reference without tag or digest means :latest.
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  return {
    kind: 'registry',
    domain,
    path: remainder,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

/** The fully qualified form: `docker.io/library/busybox:latest`, `host:5000/a/b@sha256:…`. */
export function formatReference(ref: ImageReference): string {
  switch (ref.kind) {
    case 'registry':
      return `${ref.domain}/${ref.path}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
    case 'oci-layout':
      return `oci:${ref.dir}${ref.tag !== undefined ? `:${ref.tag}` : ''}`;
    case 'oci-archive':
      return `oci-archive:${ref.file}${ref.tag !== undefined ? `:${ref.tag}` : ''}`;
  }
}

/** Docker's FamiliarString: the short form users type (`busybox:latest`, `me/app:1`). */
export function familiarReference(ref: ImageReference): string {
  if (ref.kind !== 'registry' || ref.domain !== DEFAULT_DOMAIN) return formatReference(ref);
  const path = ref.path.startsWith(OFFICIAL_REPO_PREFIX) && ref.path.split('/').length === 2
    ? ref.path.slice(OFFICIAL_REPO_PREFIX.length)
    : ref.path;
  return `${path}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** `docker.io/library/busybox`: the repository, without tag or digest. */
export function repositoryName(ref: RegistryReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** What a manifest request asks the registry for: the digest when pinned, else the tag. */
export function manifestReference(ref: RegistryReference): string {
  return ref.digest ?? ref.tag ?? DEFAULT_TAG;
}

/** The host the registry API is served from (docker.io is an alias). */
export function registryApiHost(domain: string): string {
  return domain === DEFAULT_DOMAIN ? DOCKER_HUB_API_HOST : domain;
}

/** The hostname of a domain without its port (and without IPv6 brackets). */
export function domainHostname(domain: string): string {
  if (domain.startsWith('[')) {
    const end = domain.indexOf(']');
    return end < 0 ? domain : domain.slice(1, end);
  }
  const colon = domain.lastIndexOf(':');
  return colon < 0 ? domain : domain.slice(0, colon);
}

/**
 * Docker treats registries on loopback addresses as insecure (plain http allowed) without
 * configuration; everything else needs to be listed.
 */
export function isLoopbackDomain(domain: string): boolean {
  const host = domainHostname(domain).toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Kubernetes' default pull policy: Always for :latest or no tag, IfNotPresent otherwise. */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  let ref: ImageReference;
  try {
    ref = parseImageReference(image);
  } catch {
    return 'IfNotPresent';
  }
  if (ref.kind !== 'registry') return 'IfNotPresent';
  if (ref.digest !== undefined) return 'IfNotPresent';
  return ref.tag === DEFAULT_TAG ? 'Always' : 'IfNotPresent';
}

/** The key the image store keeps an image under: tags and digests kept, transports' paths absolute. */
export function imageStoreKey(ref: ImageReference): string {
  switch (ref.kind) {
    case 'registry': return formatReference(ref);
    case 'oci-layout': return formatReference({ ...ref, dir: resolvePath(ref.dir) });
    case 'oci-archive': return formatReference({ ...ref, file: resolvePath(ref.file) });
  }
}
