// OpenAPI v3 documents of the served kinds, one per group-version, as Kubernetes' API server
// publishes them at /openapi/v3: kubectl reads them to decide that the server validates
// fields itself (so it never needs /openapi/v2), to compute strategic merge patches in
// `kubectl apply`, and for `kubectl explain`. Built once, from the known-field table.
import { createHash } from 'node:crypto';
import { KINDS, KUBERNETES_TYPES_VERSION, type KindInfo } from '@tugboat/api';
import { COMMON_SCHEMAS, SCALE_SCHEMAS } from './meta-schemas.js';
import { resourcePaths } from './paths.js';
import { kindSchemas, reachableSchemas } from './schemas.js';
import type { PathItem, Schema } from './types.js';

/** "api/v1", "apis/apps/v1": where kubectl looks a group-version up in the root listing. */
export function groupVersionPath(info: KindInfo): string {
  return info.group ? `apis/${info.apiVersion}` : `api/${info.apiVersion}`;
}

function buildDocument(kinds: readonly KindInfo[]): Record<string, unknown> {
  const paths: Record<string, PathItem> = {};
  for (const k of kinds) Object.assign(paths, resourcePaths(k));
  const hasScale = Object.keys(paths).some((p) => p.endsWith('/scale'));
  const schemas: Record<string, Schema> = {
    ...COMMON_SCHEMAS,
    ...(hasScale ? SCALE_SCHEMAS : {}),
    ...reachableSchemas(kinds),
    ...Object.assign({}, ...kinds.map(kindSchemas)) as Record<string, Schema>,
  };
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: `v${KUBERNETES_TYPES_VERSION}` },
    paths: sortKeys(paths),
    components: { schemas: sortKeys(schemas) },
  };
}

/** Stable key order, so a document's hash changes only when its content does. */
function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

interface Built {
  readonly root: Record<string, unknown>;
  readonly documents: ReadonlyMap<string, Record<string, unknown>>;
}

let built: Built | undefined;

function build(): Built {
  const byPath = new Map<string, KindInfo[]>();
  for (const k of KINDS) {
    const p = groupVersionPath(k);
    byPath.set(p, [...(byPath.get(p) ?? []), k]);
  }
  const documents = new Map<string, Record<string, unknown>>();
  const listing: Record<string, { serverRelativeURL: string }> = {};
  for (const [path, kinds] of [...byPath].sort(([a], [b]) => a.localeCompare(b))) {
    const doc = buildDocument(kinds);
    documents.set(path, doc);
    // Clients cache a document by this hash (Kubernetes: the SHA-512 of its content).
    const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
    listing[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hash}` };
  }
  return { root: { paths: listing }, documents };
}

/** GET /openapi/v3: the group-versions and where each document is. */
export function openApiV3Root(): Record<string, unknown> {
  built ??= build();
  return built.root;
}

/** GET /openapi/v3/<api/v1 | apis/<group>/<version>>; undefined for one not served. */
export function openApiV3Document(groupVersionPath: string): Record<string, unknown> | undefined {
  built ??= build();
  return built.documents.get(groupVersionPath.replace(/^\/+|\/+$/g, ''));
}
