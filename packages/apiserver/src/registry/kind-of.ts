// Which kind a request means: by resource name (Get, List, Delete…) or by the object's own
// kind (Create, Update, Apply), with the errors Kubernetes gives for unknown ones. Shared by
// the registry and the request attributes, so both name the same resource the same way.
import { ApiError, KINDS, escapeControl, kindInfo, resourceInfo, type FieldError, type KindInfo, type KubeObject } from '@tugboat/api';

/** The kind registry entry of a resource name, or the error Kubernetes gives for an unknown one. */
export function resolveResource(resource: string): KindInfo {
  const info = resourceInfo(resource);
  if (!info) throw new ApiError('BadRequest', `the server doesn't have a resource type "${escapeControl(resource)}"`);
  return info;
}

/** The kind of a request's object; an unknown or missing kind is an Invalid error at "kind" (as the registry reports it). */
export function kindOfObject(obj: KubeObject): KindInfo {
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  const info = kind ? kindInfo(kind) : undefined;
  if (info) return info;
  const name = typeof obj.metadata?.name === 'string' ? obj.metadata.name : '';
  const err: FieldError = kind
    ? { path: 'kind', type: 'NotSupported', value: kind, detail: `supported kinds: ${KINDS.map((k) => k.kind).join(', ')}` }
    : { path: 'kind', type: 'Required' };
  throw ApiError.invalid(kind || 'object', name, [err]);
}

