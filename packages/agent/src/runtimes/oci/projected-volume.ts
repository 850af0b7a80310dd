// Projected volumes, as kubelet's projected plugin makes them: several sources into one
// directory — secret and configMap keys (items, modes), downward API fields of the pod, and
// ServiceAccount tokens bound to the pod (TokenRequest). This is how every pod gets its
// credentials (the ServiceAccount admission's `kube-api-access-XXXXX` volume: token, ca.crt,
// namespace at /var/run/secrets/kubernetes.io/serviceaccount).
//
//   sources ──collect (all or nothing)──▶ files ──AtomicWriter──▶ <pod>/volumes/projected/<name> (tmpfs)
//
// Everything is collected before anything is written, so a missing ConfigMap leaves the
// previous contents (or nothing) in place; the error is kubelet's, for its FailedMount event.
// Tokens are renewed later by writing the whole volume again (token-rotation.ts).
import { mkdir } from 'node:fs/promises';
import { posix } from 'node:path';
import { ApiError, type Volume } from '@tugboat/api';
import { isMountPoint, mountTmpfs } from '../../system/mounts.js';
import { VolumeError } from '../runtime.js';
import { validatePayloadPath, writeAtomic, type FileProjection } from './atomic-writer.js';
import type { TokenLifetime } from './token-rotation.js';
import { configMapData, projectKeys, secretData, type ObjectLookup } from './volume-data.js';

type ProjectedSource = NonNullable<Volume['projected']>;
type VolumeProjection = NonNullable<ProjectedSource['sources']>[number];

/** kubelet's default token lifetime (an hour, and seven seconds to tell it is the default). */
export const DEFAULT_TOKEN_EXPIRATION_SECONDS = 3607;
const DEFAULT_MODE = 0o644;

/** What of the pod its projected volumes read. */
export interface ProjectionPod {
  uid: string;
  namespace: string;
  name: string;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  serviceAccountName: string;
}

export interface Projection {
  files: FileProjection[];
  tokens: TokenLifetime[];
}

/** Go's %q for the strings label and annotation values are: quoted, escaped, printable Unicode kept. */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** kubelet's fieldpath.FormatMap: `key="value"` lines in key order, no trailing newline. */
export function formatMap(m: Readonly<Record<string, string>>): string {
  return Object.keys(m).sort().map((k) => `${k}=${goQuote(m[k] ?? '')}`).join('\n');
}

/** kubelet's fieldpath.ExtractFieldPathAsString for the fields a downward API volume may read. */
export function downwardApiField(pod: ProjectionPod, fieldPath: string): string {
  switch (fieldPath) {
    case 'metadata.name': return pod.name;
    case 'metadata.namespace': return pod.namespace;
    case 'metadata.uid': return pod.uid;
    case 'metadata.labels': return formatMap(pod.labels);
    case 'metadata.annotations': return formatMap(pod.annotations);
  }
  const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(fieldPath);
  if (m?.[1] && m[2] !== undefined) return (m[1] === 'labels' ? pod.labels : pod.annotations)[m[2]] ?? '';
  throw new Error(`unsupported fieldPath: ${fieldPath}`);
}

/** kubelet's aggregate of the sources' errors: the one, or `[a, b]`. */
function aggregate(errors: readonly string[]): string {
  return errors.length === 1 ? errors[0] ?? '' : `[${errors.join(', ')}]`;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The files of a projected volume and the tokens among them. Nothing is written; any source
 * that fails makes it a VolumeError naming the volume, with every source's error.
 */
export async function projectVolume(
  volume: Volume,
  index: number,
  pod: ProjectionPod,
  lookup: ObjectLookup | undefined,
  now: () => number = Date.now,
): Promise<Projection> {
  const projected = volume.projected;
  const field = `spec.volumes[${index}].projected`;
  if (!projected) throw new VolumeError(`${field}: Required value`, volume.name, 'not a projected volume');
  const defaultMode = projected.defaultMode ?? DEFAULT_MODE;
  const files = new Map<string, FileProjection>();
  const tokens: TokenLifetime[] = [];
  const errors: string[] = [];
  const add = (list: ReadonlyArray<{ path: string; content: Buffer; mode: number }>): void => {
    for (const f of list) files.set(posix.normalize(f.path), f);
  };
  for (const source of projected.sources ?? []) {
    const kind = sourceKind(source);
    try {
      switch (kind) {
        case 'secret': {
          const s = source.secret!;
          const name = s.name ?? '';
          const optional = s.optional === true;
          const secret = lookup ? await lookup.secret(pod.namespace, name) : undefined;
          if (!secret && !optional) throw new Error(`secret "${name}" not found`);
          add(projectKeys(secretData(secret), s.items, defaultMode, `secret "${name}"`, optional));
          break;
        }
        case 'configMap': {
          const c = source.configMap!;
          const name = c.name ?? '';
          const optional = c.optional === true;
          const cm = lookup ? await lookup.configMap(pod.namespace, name) : undefined;
          if (!cm && !optional) throw new Error(`configmap "${name}" not found`);
          add(projectKeys(configMapData(cm), c.items, defaultMode, `configmap "${name}"`, optional));
          break;
        }
        case 'downwardAPI': {
          for (const item of source.downwardAPI?.items ?? []) {
            if (item.resourceFieldRef) throw new Error(`${item.path}: resourceFieldRef is not supported yet`);
            if (!item.fieldRef) throw new Error(`${item.path}: fieldRef is required`);
            add([{ path: item.path, content: Buffer.from(downwardApiField(pod, item.fieldRef.fieldPath)), mode: item.mode ?? defaultMode }]);
          }
          break;
        }
        case 'serviceAccountToken': {
          const t = source.serviceAccountToken!;
          if (!lookup) throw new Error('failed to fetch token: this runtime has no API client');
          const expirationSeconds = t.expirationSeconds ?? DEFAULT_TOKEN_EXPIRATION_SECONDS;
          let issued;
          try {
            issued = await lookup.serviceAccountToken(pod.namespace, pod.serviceAccountName, {
              ...(t.audience ? { audiences: [t.audience] } : {}),
              expirationSeconds,
              boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: pod.name, uid: pod.uid },
            });
          } catch (e) {
            throw new Error(`failed to fetch token: ${message(e)}`, { cause: e });
          }
          const expiresAt = Date.parse(issued.expirationTimestamp);
          if (!issued.token || !Number.isFinite(expiresAt)) throw new Error('failed to fetch token: the API server sent no token or no expirationTimestamp');
          // kubelet counts the lifetime from what it asked for, not from the clock: a
          // token the server shortened is renewed early rather than late.
          tokens.push({ issuedAt: Math.min(now(), expiresAt - expirationSeconds * 1000), expiresAt });
          add([{ path: t.path, content: Buffer.from(issued.token), mode: defaultMode }]);
          break;
        }
        case 'clusterTrustBundle':
          throw new Error('clusterTrustBundle sources are not supported yet');
        case undefined:
          throw new Error('a source must specify one of: configMap, downwardAPI, secret, serviceAccountToken');
      }
    } catch (e) {
      // A 403 or 404 from the API is worth its exact words; so is everything else.
      errors.push(e instanceof ApiError ? e.message : message(e));
    }
  }
  for (const path of files.keys()) {
    const bad = validatePayloadPath(path);
    if (bad) errors.push(bad);
  }
  if (errors.length) {
    const detail = aggregate(errors);
    throw new VolumeError(`${field}: ${detail}`, volume.name, detail);
  }
  return { files: [...files.values()], tokens };
}

function sourceKind(s: VolumeProjection): 'secret' | 'configMap' | 'downwardAPI' | 'serviceAccountToken' | 'clusterTrustBundle' | undefined {
  if (s.secret) return 'secret';
  if (s.configMap) return 'configMap';
  if (s.downwardAPI) return 'downwardAPI';
  if (s.serviceAccountToken) return 'serviceAccountToken';
  if (s.clusterTrustBundle) return 'clusterTrustBundle';
  return undefined;
}

/**
 * Sets the volume up in `dir` (a tmpfs: a token or a secret never reaches the disk), or
 * updates it in place (the mount stays, the files are swapped atomically). Resolves with
 * the tokens it holds, for their rotation.
 */
export async function setUpProjectedVolume(
  dir: string,
  volume: Volume,
  index: number,
  pod: ProjectionPod,
  lookup: ObjectLookup | undefined,
  now: () => number = Date.now,
): Promise<TokenLifetime[]> {
  const { files, tokens } = await projectVolume(volume, index, pod, lookup, now);
  await mkdir(dir, { recursive: true });
  if (!(await isMountPoint(dir))) await mountTmpfs(dir, 'mode=755');
  await writeAtomic(dir, files, new Date(now()));
  return tokens;
}
