// The encryption-at-rest configuration, in Kubernetes' own format (--encryption-provider-config),
// so an operator's existing EncryptionConfiguration file works unchanged:
//
//   apiVersion: apiserver.config.k8s.io/v1
//   kind: EncryptionConfiguration
//   resources:
//     - resources: [secrets]
//       providers:                      # in order: the first one writes, all of them read
//         - aesgcm: { keys: [{ name: key1, secret: <base64 of 16, 24 or 32 random bytes> }] }
//         - identity: {}                # reads what was stored before encryption was on
//
// Supported providers are aesgcm, aescbc and identity; secretbox and kms are refused by name.
// Every mistake is one line naming the file and the field path, because a typo here either
// stops the API server or, worse, leaves Secrets in plaintext: so unknown fields and unknown
// resources are errors rather than ignored.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { resourceInfo } from '@tugboat/api';

export const ENCRYPTION_CONFIG_API_VERSION = 'apiserver.config.k8s.io/v1';
export const ENCRYPTION_CONFIG_KIND = 'EncryptionConfiguration';

export interface AesKey {
  readonly name: string;
  /** 16, 24 or 32 bytes: AES-128, -192 or -256. */
  readonly secret: Buffer;
}

export type ProviderConfig =
  | { readonly type: 'aesgcm'; readonly keys: readonly AesKey[] }
  | { readonly type: 'aescbc'; readonly keys: readonly AesKey[] }
  | { readonly type: 'identity' };

export interface EncryptionConfig {
  /** The file it came from, for messages. */
  readonly source: string;
  /**
   * Resource (its etcd key segment, `secrets`) → its providers in order. A resource listed
   * in two entries gets both lists, the first entry's first: Kubernetes does the same.
   */
  readonly resources: ReadonlyMap<string, readonly ProviderConfig[]>;
}

export class EncryptionConfigError extends Error {
  override readonly name = 'EncryptionConfigError';
}

type Doc = Record<string, unknown>;

const AES_KEY_SIZES = [16, 24, 32];
const UNSUPPORTED_PROVIDERS = new Set(['secretbox', 'kms']);

function isObject(v: unknown): v is Doc {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses the text of a configuration file; `source` names it in errors. */
export function parseEncryptionConfig(text: string, source: string): EncryptionConfig {
  const fail = (path: string, message: string): never => {
    throw new EncryptionConfigError(`encryption config ${source}: ${path ? `${path}: ` : ''}${message}`);
  };
  const onlyFields = (doc: Doc, path: string, allowed: readonly string[]): void => {
    for (const k of Object.keys(doc)) {
      if (!allowed.includes(k)) fail(path ? `${path}.${k}` : k, `unknown field (expected ${allowed.join(', ')})`);
    }
  };

  if (!text.trim()) fail('', 'the file is empty');
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    fail('', `not valid YAML: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
  }
  if (!isObject(doc)) return fail('', 'expected a YAML or JSON object');
  onlyFields(doc, '', ['apiVersion', 'kind', 'resources']);
  if (doc['apiVersion'] !== ENCRYPTION_CONFIG_API_VERSION) {
    fail('apiVersion', `must be ${ENCRYPTION_CONFIG_API_VERSION}, got ${JSON.stringify(doc['apiVersion'] ?? null)}`);
  }
  if (doc['kind'] !== ENCRYPTION_CONFIG_KIND) fail('kind', `must be ${ENCRYPTION_CONFIG_KIND}, got ${JSON.stringify(doc['kind'] ?? null)}`);
  const entries = doc['resources'];
  if (!Array.isArray(entries) || entries.length === 0) fail('resources', 'at least one entry is required');

  const resources = new Map<string, ProviderConfig[]>();
  (entries as unknown[]).forEach((entry, i) => {
    const at = `resources[${i}]`;
    if (!isObject(entry)) return fail(at, 'expected an object with resources and providers');
    onlyFields(entry, at, ['resources', 'providers']);
    const names = parseResourceNames(entry['resources'], `${at}.resources`, fail);
    const providers = entry['providers'];
    if (!Array.isArray(providers) || providers.length === 0) return fail(`${at}.providers`, 'at least one provider is required');
    const parsed = providers.map((p, j) => parseProvider(p, `${at}.providers[${j}]`, fail));
    for (const r of names) resources.set(r, [...(resources.get(r) ?? []), ...parsed]);
    return undefined;
  });
  return { source, resources };
}

/** Reads and parses `path`. */
export function loadEncryptionConfig(path: string): EncryptionConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : e instanceof Error ? e.message : String(e);
    throw new EncryptionConfigError(`encryption config ${path}: cannot read: ${why}`);
  }
  return parseEncryptionConfig(text, path);
}

type Fail = (path: string, message: string) => never;

/** `secrets`, `deployments.apps` → the etcd key segments (`secrets`, `deployments`). */
function parseResourceNames(value: unknown, at: string, fail: Fail): string[] {
  if (!Array.isArray(value) || value.length === 0) return fail(at, 'at least one resource is required');
  const seen = new Set<string>();
  return value.map((v, k) => {
    const path = `${at}[${k}]`;
    if (typeof v !== 'string' || !v) return fail(path, 'expected a resource name such as secrets');
    if (v.includes('*')) return fail(path, `${JSON.stringify(v)}: wildcards are not supported; list each resource (e.g. secrets)`);
    if (v !== v.toLowerCase()) return fail(path, `${JSON.stringify(v)}: resource names are lower-case plurals (e.g. secrets)`);
    const dot = v.indexOf('.');
    const resource = dot < 0 ? v : v.slice(0, dot);
    const group = dot < 0 ? '' : v.slice(dot + 1);
    const info = resourceInfo(resource);
    if (!info) return fail(path, `${JSON.stringify(v)}: unknown resource`);
    if (info.group !== group) {
      const want = info.group ? `${info.resource}.${info.group}` : info.resource;
      return fail(path, `${JSON.stringify(v)}: ${info.resource} is in ${info.group ? `group ${info.group}` : 'the core group'}; write ${JSON.stringify(want)}`);
    }
    if (seen.has(info.resource)) return fail(path, `${JSON.stringify(v)}: the same resource cannot be listed twice`);
    seen.add(info.resource);
    return info.resource;
  });
}

function parseProvider(value: unknown, at: string, fail: Fail): ProviderConfig {
  if (!isObject(value)) return fail(at, 'expected an object with one of aesgcm, aescbc, identity');
  const types = Object.keys(value);
  if (types.length !== 1) {
    return fail(at, types.length === 0
      ? 'expected one of aesgcm, aescbc, identity'
      : `more than one provider in one element (${types.join(', ')}); give each its own list element`);
  }
  const type = types[0]!;
  const body = value[type];
  const path = `${at}.${type}`;
  if (UNSUPPORTED_PROVIDERS.has(type)) return fail(path, `the ${type} provider is not supported (supported: aesgcm, aescbc, identity)`);
  switch (type) {
    case 'identity':
      if (!isObject(body) || Object.keys(body).length) return fail(path, 'expected {}');
      return { type: 'identity' };
    case 'aesgcm':
    case 'aescbc': {
      if (!isObject(body)) return fail(path, 'expected an object with keys');
      for (const k of Object.keys(body)) if (k !== 'keys') fail(`${path}.${k}`, 'unknown field (expected keys)');
      return { type, keys: parseKeys(body['keys'], `${path}.keys`, fail) };
    }
    default:
      return fail(at, `unknown provider ${JSON.stringify(type)} (supported: aesgcm, aescbc, identity)`);
  }
}

function parseKeys(value: unknown, at: string, fail: Fail): AesKey[] {
  if (!Array.isArray(value) || value.length === 0) return fail(at, 'at least one key is required');
  const names = new Set<string>();
  return value.map((k, i) => {
    const path = `${at}[${i}]`;
    if (!isObject(k)) return fail(path, 'expected an object with name and secret');
    for (const f of Object.keys(k)) if (f !== 'name' && f !== 'secret') fail(`${path}.${f}`, 'unknown field (expected name, secret)');
    const name = k['name'];
    if (typeof name !== 'string' || !name) return fail(`${path}.name`, 'required');
    // The name is part of the stored prefix `k8s:enc:aesgcm:v1:NAME:`, which ends at a colon.
    if (name.includes(':')) return fail(`${path}.name`, `${JSON.stringify(name)}: must not contain ":"`);
    if (names.has(name)) return fail(`${path}.name`, `${JSON.stringify(name)}: two keys of one provider cannot share a name`);
    names.add(name);
    const secret = k['secret'];
    if (typeof secret !== 'string' || !secret) return fail(`${path}.secret`, 'required');
    // Strict base64, as Go's StdEncoding: Node's decoder would skip stray characters silently.
    if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(secret)) {
      return fail(`${path}.secret`, 'must be base64 (the secret itself is not shown)');
    }
    const bytes = Buffer.from(secret, 'base64');
    if (!AES_KEY_SIZES.includes(bytes.length)) {
      return fail(`${path}.secret`, `must be 16, 24 or 32 bytes after base64 decoding, got ${bytes.length}`);
    }
    return { name, secret: bytes };
  });
}
