// Where volume contents come from and how keys become files, shared by the configMap,
// secret and projected volumes: the API objects (through ObjectLookup, the agent's client),
// their data decoded, and Kubernetes' items projection (key → path, mode).
import { posix } from 'node:path';
import type { ConfigMap, PersistentVolumeClaimObject, PersistentVolumeObject, Secret, TokenRequestResult, TokenRequestSpec } from '@tugboat/api';
import { VolumeError } from '../runtime.js';

/** The API objects volumes and pull secrets are made from (the agent's API client). */
export interface ObjectLookup {
  /** undefined when it does not exist. */
  configMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  secret(namespace: string, name: string): Promise<Secret | undefined>;
  /** persistentVolumeClaim volumes: the claim, then the volume it is bound to (undefined when missing). */
  persistentVolumeClaim?(namespace: string, name: string): Promise<PersistentVolumeClaimObject | undefined>;
  persistentVolume?(name: string): Promise<PersistentVolumeObject | undefined>;
  /** A TokenRequest for the ServiceAccount (the API's error when refused or missing). */
  serviceAccountToken(namespace: string, serviceAccount: string, request: TokenRequestSpec): Promise<TokenRequestResult>;
}

/** Kubernetes' items/keys projection: which file gets which bytes, with which mode. */
export function projectKeys(
  data: Record<string, Buffer>,
  items: ReadonlyArray<{ key: string; path: string; mode?: number }> | undefined,
  defaultMode: number,
  what: string,
  optional: boolean,
): Array<{ path: string; content: Buffer; mode: number }> {
  if (!items || items.length === 0) {
    return Object.entries(data).map(([key, content]) => ({ path: key, content, mode: defaultMode }));
  }
  const out: Array<{ path: string; content: Buffer; mode: number }> = [];
  for (const item of items) {
    const content = data[item.key];
    if (content === undefined) {
      if (optional) continue;
      throw new VolumeError(`${what} has no key "${item.key}"`);
    }
    const clean = posix.normalize(item.path);
    if (clean.startsWith('..') || posix.isAbsolute(clean)) throw new VolumeError(`${what}: item path "${item.path}" must be relative and may not contain '..'`);
    out.push({ path: clean, content, mode: item.mode ?? defaultMode });
  }
  return out;
}

function decodeMap(data: Record<string, string> | undefined, base64: boolean): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(data ?? {})) out[k] = base64 ? Buffer.from(v, 'base64') : Buffer.from(v);
  return out;
}

/** A ConfigMap's data and binaryData as bytes (none for a missing one). */
export function configMapData(cm: ConfigMap | undefined): Record<string, Buffer> {
  return { ...decodeMap(cm?.data, false), ...decodeMap(cm?.binaryData, true) };
}

/** A Secret's data (base64) and stringData as bytes (none for a missing one). */
export function secretData(secret: Secret | undefined): Record<string, Buffer> {
  return { ...decodeMap(secret?.data, true), ...decodeMap(secret?.stringData, false) };
}
