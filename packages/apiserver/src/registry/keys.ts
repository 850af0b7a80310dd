// etcd key layout (a contract): /registry/<resource>/<namespace>/<name> for namespaced kinds,
// /registry/<resource>/<name> for cluster-scoped ones.
import { ApiError, resourceInfo, type KindInfo } from '@tugboat/api';

export const REGISTRY_ROOT = '/registry/';

export function objectStorageKey(info: KindInfo, namespace: string, name: string): string {
  return info.namespaced ? `${REGISTRY_ROOT}${info.resource}/${namespace}/${name}` : `${REGISTRY_ROOT}${info.resource}/${name}`;
}

/** The prefix of every object of a resource, or of those in one namespace. */
export function resourcePrefix(info: KindInfo, namespace?: string): string {
  return info.namespaced && namespace ? `${REGISTRY_ROOT}${info.resource}/${namespace}/` : `${REGISTRY_ROOT}${info.resource}/`;
}

export interface ParsedKey {
  readonly info: KindInfo;
  readonly namespace: string;
  readonly name: string;
}

/** The inverse of objectStorageKey; undefined for keys that are not objects of a known resource. */
export function parseStorageKey(key: string): ParsedKey | undefined {
  if (!key.startsWith(REGISTRY_ROOT)) return undefined;
  const parts = key.slice(REGISTRY_ROOT.length).split('/');
  const info = parts[0] ? resourceInfo(parts[0]) : undefined;
  if (!info) return undefined;
  if (info.namespaced && parts.length === 3 && parts[1] && parts[2]) return { info, namespace: parts[1], name: parts[2] };
  if (!info.namespaced && parts.length === 2 && parts[1]) return { info, namespace: '', name: parts[1] };
  return undefined;
}

/**
 * Names and namespaces become key segments, so one that could escape its segment is refused
 * before any key is built (admission checks the full DNS rules on writes).
 */
export function checkKeySegment(what: 'name' | 'namespace', value: unknown): asserts value is string {
  if (typeof value !== 'string' || !value || value.includes('/') || value === '.' || value === '..' || value.includes('\0')) {
    throw new ApiError('BadRequest', `invalid ${what} ${JSON.stringify(value)}: must be a non-empty name without "/"`);
  }
}
