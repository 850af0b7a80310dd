// What an Apply writes, decided without I/O: the manifest cleaned of what the server owns,
// merged three ways with the live object, and the last-applied annotation kept current.
import { LAST_APPLIED_ANNOTATION, type KubeObject, type ObjectMeta } from '@tugboat/api';
import { isPlainObject, jsonEqual } from '../registry/object-meta.js';
import { threeWayMerge } from './three-way-merge.js';

/** Metadata a manifest may carry (e.g. from `get -o yaml`) but apply must not act on. */
const SERVER_OWNED_METADATA: readonly (keyof ObjectMeta)[] = [
  'resourceVersion', 'uid', 'creationTimestamp', 'generation', 'deletionTimestamp',
  'deletionGracePeriodSeconds', 'managedFields', 'selfLink',
];

/** The manifest as apply records and merges it: no server-owned metadata, no status. */
export function cleanManifest(manifest: KubeObject): KubeObject {
  const { status: _status, ...rest } = structuredClone(manifest);
  void _status;
  const metadata: ObjectMeta = { ...(rest.metadata ?? {}) };
  for (const f of SERVER_OWNED_METADATA) delete metadata[f];
  if (metadata.annotations) {
    const { [LAST_APPLIED_ANNOTATION]: _last, ...annotations } = metadata.annotations;
    void _last;
    if (Object.keys(annotations).length) metadata.annotations = annotations;
    else delete metadata.annotations;
  }
  return { ...rest, metadata };
}

function lastApplied(live: KubeObject): KubeObject | undefined {
  const text = live.metadata?.annotations?.[LAST_APPLIED_ANNOTATION];
  if (!text) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isPlainObject(parsed) ? cleanManifest(parsed as KubeObject) : undefined;
  } catch {
    return undefined;
  }
}

function withAnnotation(obj: KubeObject, value: string): KubeObject {
  const metadata = obj.metadata ?? {};
  return { ...obj, metadata: { ...metadata, annotations: { ...(metadata.annotations ?? {}), [LAST_APPLIED_ANNOTATION]: value } } };
}

/**
 * The object to write for applying `manifest` over `live` (undefined: create it). The result
 * keeps live's server-owned metadata; the caller still admits and compares it.
 */
export function computeApply(manifest: KubeObject, live: KubeObject | undefined): KubeObject {
  const desired = cleanManifest(manifest);
  const recorded = JSON.stringify(desired);
  if (!live) return withAnnotation(desired, recorded);
  const last = lastApplied(live);
  const merged = threeWayMerge(last, desired, live) as KubeObject;
  // An unchanged manifest keeps its recorded text, so reordering keys is not a change.
  const previous = live.metadata?.annotations?.[LAST_APPLIED_ANNOTATION];
  return withAnnotation(merged, last && previous && jsonEqual(last, desired) ? previous : recorded);
}
