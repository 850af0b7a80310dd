// Each RPC described as Kubernetes would authorize the same HTTP request: the verb, the
// resource (and subresource), the namespace and the name. Pure: the same request always gets
// the same attributes, and these are what authorization, metrics and the audit log see.
//
//   Get / List / Watch      get / list / watch
//   Create / Update / Delete create / update / delete
//   UpdateStatus            update <resource>/status
//   Apply                   patch (and create, when the object is new: see objects-service)
//   Bind                    create pods/binding
//   Evict                   create pods/eviction
//   Pods.Logs / Pods.Exec   get pods/log / create pods/exec
//   Auth.CreateToken        create serviceaccounts/token
//   Auth.Review             create selfsubjectaccessreviews.authorization.k8s.io, …
//   Server.Version          get path /version
import { ApiError, metricsKindOf, resourceInfo, type KindInfo, type KubeObject } from '@tugboat/api';
import { kindOfObject, resolveResource } from '../registry/kind-of.js';
import type { RequestAttributes } from '../auth/authorizer.js';

export type Attributes = Omit<RequestAttributes, 'user'>;

function scopeNamespace(info: KindInfo, namespace: string | undefined, allNamespaces: boolean): string {
  if (!info.namespaced) return '';
  if (allNamespaces) return namespace ?? '';
  return namespace || 'default';
}

export function resourceAttributes(verb: string, info: KindInfo, namespace: string, name: string, subresource = '', selectors: { fieldSelector?: string; labelSelector?: string } = {}): Attributes {
  return {
    verb,
    resourceRequest: true,
    apiGroup: info.group,
    resource: info.resource,
    subresource,
    namespace,
    name,
    path: '',
    ...(selectors.fieldSelector ? { fieldSelector: selectors.fieldSelector } : {}),
    ...(selectors.labelSelector ? { labelSelector: selectors.labelSelector } : {}),
  };
}

/** A request's resource: a stored kind, or metrics.k8s.io's nodes and pods (authorized as Kubernetes does, never stored). */
function requestResource(resource: string): KindInfo {
  return metricsKindOf(resource) ?? resolveResource(resource);
}

/** get / delete of one object by resource, namespace and name. */
export function namedRequest(verb: string, resource: string, namespace: string, name: string, subresource = ''): Attributes {
  const info = requestResource(resource);
  return resourceAttributes(verb, info, scopeNamespace(info, namespace, false), name, subresource);
}

/** list / watch: an empty namespace means every namespace. */
export function collectionRequest(verb: 'list' | 'watch', resource: string, namespace: string, fieldSelector: string, labelSelector: string): Attributes {
  const info = requestResource(resource);
  return resourceAttributes(verb, info, scopeNamespace(info, namespace, true), '', '', { fieldSelector, labelSelector });
}

/**
 * create / update / patch of an object given whole. A create names no object to RBAC (as in
 * Kubernetes, where its name is not known when it is authorized); the name rides along as
 * objectName.
 */
export function objectRequest(verb: string, obj: KubeObject, subresource = ''): Attributes {
  const info = kindOfObject(obj);
  const ns = typeof obj.metadata?.namespace === 'string' ? obj.metadata.namespace : '';
  const name = typeof obj.metadata?.name === 'string' ? obj.metadata.name : '';
  const attrs = resourceAttributes(verb, info, scopeNamespace(info, ns, false), verb === 'create' ? '' : name, subresource);
  return verb === 'create' && name ? { ...attrs, objectName: name } : attrs;
}

export function pathRequest(verb: string, path: string): Attributes {
  return { verb, resourceRequest: false, apiGroup: '', resource: '', subresource: '', namespace: '', name: '', path };
}

/** The review kinds Auth.Review answers, as the resources Kubernetes authorizes them as. */
export const REVIEW_KINDS: Readonly<Record<string, { apiVersion: string; group: string; resource: string }>> = {
  SelfSubjectAccessReview: { apiVersion: 'authorization.k8s.io/v1', group: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews' },
  SubjectAccessReview: { apiVersion: 'authorization.k8s.io/v1', group: 'authorization.k8s.io', resource: 'subjectaccessreviews' },
  SelfSubjectReview: { apiVersion: 'authentication.k8s.io/v1', group: 'authentication.k8s.io', resource: 'selfsubjectreviews' },
};

export function reviewRequest(obj: KubeObject): Attributes {
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  const r = REVIEW_KINDS[kind];
  if (!r) {
    throw ApiError.invalid(kind || 'object', '', [{ path: 'kind', type: kind ? 'NotSupported' : 'Required', ...(kind ? { value: kind, detail: `supported kinds: ${Object.keys(REVIEW_KINDS).join(', ')}` } : {}) }]);
  }
  if (obj.apiVersion !== r.apiVersion) {
    throw ApiError.invalid(kind, '', [{ path: 'apiVersion', type: 'Invalid', value: obj.apiVersion, detail: `${kind} is ${r.apiVersion}` }]);
  }
  return { verb: 'create', resourceRequest: true, apiGroup: r.group, resource: r.resource, subresource: '', namespace: '', name: '', path: '' };
}

/** Resource names metrics may carry as labels (bounded): the kinds' and the review resources'. */
export function knownResource(resource: string): boolean {
  return resourceInfo(resource) !== undefined || Object.values(REVIEW_KINDS).some((r) => r.resource === resource);
}
