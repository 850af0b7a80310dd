// Kubernetes' REST paths → what is asked (pure). The grammar is kube-apiserver's RequestInfo:
//
//   /api                                   APIVersions          /apis            APIGroupList
//   /api/v1, /apis/G/V                     APIResourceList      /apis/G          APIGroup
//   /api/v1/namespaces/NS/RESOURCE[/NAME[/SUBRESOURCE]]          namespaced resources
//   /api/v1/RESOURCE[/NAME[/SUBRESOURCE]]                        cluster-scoped (and namespaces)
//   /api/v1/RESOURCE                                             a namespaced resource, every namespace
//   /api/v1/watch/…                                              the old watch prefix
//   /version, /healthz, /livez, /readyz, /metrics, /openapi/v2, /openapi/v3[/…]
//
// and the verb from the method: GET get | list | watch (?watch=1|true), POST create, PUT
// update, PATCH patch, DELETE delete | deletecollection. A group, version or resource we do
// not serve is NotFound, worded as Kubernetes words it.
import { ApiError, KINDS, METRICS_KINDS, type KindInfo } from '@tugboat/api';
import { resourceAttributes, type Attributes } from '../grpc/request-attributes.js';
import { STATUS_KINDS } from '../registry/registry.js';

export type RestVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** A request on a resource: the kind, where, which object, which subresource, and what to do. */
export interface ResourceRoute {
  readonly type: 'resource';
  readonly info: KindInfo;
  /** The namespace in the path; "" for cluster-scoped kinds and for every namespace. */
  readonly namespace: string;
  readonly name: string;
  readonly subresource: string;
  readonly verb: RestVerb;
}

export type HealthCheck = 'healthz' | 'livez' | 'readyz';

export type Route =
  | { readonly type: 'root' }
  | { readonly type: 'api-versions' }
  | { readonly type: 'api-groups' }
  | { readonly type: 'api-group'; readonly group: string }
  | { readonly type: 'resource-list'; readonly group: string; readonly version: string }
  | { readonly type: 'version' }
  | { readonly type: 'health'; readonly check: HealthCheck }
  | { readonly type: 'metrics' }
  | { readonly type: 'openapi'; readonly path: string }
  | ResourceRoute;

/** Kubernetes' 404 for a path it does not serve. */
export function notFoundPath(): ApiError {
  return new ApiError('NotFound', 'the server could not find the requested resource');
}

function methodNotAllowed(method: string): ApiError {
  return new ApiError('MethodNotAllowed', `the server does not allow this method on the requested resource (${method})`);
}

/** Served group/versions, in KINDS order: "" for the core group. */
export function servedGroups(): ReadonlyMap<string, readonly string[]> {
  const groups = new Map<string, string[]>();
  for (const k of [...KINDS, ...METRICS_KINDS]) {
    const version = k.apiVersion.includes('/') ? k.apiVersion.slice(k.apiVersion.indexOf('/') + 1) : k.apiVersion;
    const versions = groups.get(k.group) ?? [];
    if (!versions.includes(version)) versions.push(version);
    groups.set(k.group, versions);
  }
  return groups;
}

const GROUPS = servedGroups();

function kindFor(group: string, version: string, resource: string): KindInfo | undefined {
  const apiVersion = group ? `${group}/${version}` : version;
  return [...KINDS, ...METRICS_KINDS].find((k) => k.resource === resource && k.apiVersion === apiVersion);
}

/** metrics.k8s.io is read-only: get and list. */
export function isReadOnlyKind(info: KindInfo): boolean {
  return METRICS_KINDS.includes(info);
}

/** The name the registry knows a kind's resource by: metrics.k8s.io's share core names, so they go qualified. */
export function registryResource(info: KindInfo): string {
  return isReadOnlyKind(info) ? `${info.resource}.${info.group}` : info.resource;
}

/** Subresources beyond status (which every kind whose status the registry keeps apart has). */
const OTHER_SUBRESOURCES: Readonly<Record<string, readonly string[]>> = {
  pods: ['binding', 'eviction', 'log'],
  deployments: ['scale'],
  replicasets: ['scale'],
  statefulsets: ['scale'],
  replicationcontrollers: ['scale'],
};

/** Subresources served over REST, by resource (advertised in discovery, see discovery.ts; documented in openapi/). */
export const SUBRESOURCES: Readonly<Record<string, readonly string[]>> = Object.fromEntries(KINDS.flatMap((k) => {
  const subs = [...(STATUS_KINDS.has(k.kind) ? ['status'] : []), ...(OTHER_SUBRESOURCES[k.resource] ?? [])];
  return subs.length ? [[k.resource, subs]] : [];
}));

/**
 * Subresources Kubernetes has that Tugboat does not serve over REST, with why: a clear
 * answer instead of a bare 404 (tctl exec works over gRPC).
 */
export const UNSERVED_SUBRESOURCES: Readonly<Record<string, string>> = {
  'pods/exec': 'exec is not served over the REST API yet (it needs a streaming upgrade); use `tctl exec`, which uses gRPC',
  'pods/attach': 'attach is not served by Tugboat',
  'pods/portforward': 'port-forward is not served by Tugboat',
  'pods/proxy': 'the pod proxy is not served by Tugboat',
  'nodes/proxy': 'the node proxy is not served by Tugboat',
  'services/proxy': 'the service proxy is not served by Tugboat',
};

function isTrue(v: string | null): boolean {
  return v === '1' || v === 'true';
}

function verbFor(method: string, hasName: boolean, subresource: string, watch: boolean): RestVerb {
  switch (method) {
    case 'GET':
    case 'HEAD':
      // A watch may name its object (the old form of fieldSelector=metadata.name=NAME).
      if (watch && !subresource) return 'watch';
      return hasName ? 'get' : 'list';
    case 'POST':
      // POST names an object only for subresources that create (binding, eviction).
      if (hasName && !subresource) throw methodNotAllowed(method);
      return 'create';
    case 'PUT':
      if (!hasName) throw methodNotAllowed(method);
      return 'update';
    case 'PATCH':
      if (!hasName) throw methodNotAllowed(method);
      return 'patch';
    case 'DELETE':
      if (subresource) throw methodNotAllowed(method);
      return hasName ? 'delete' : 'deletecollection';
    default:
      throw methodNotAllowed(method);
  }
}

function decodeSegments(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '');
  try {
    return parts.map((p) => decodeURIComponent(p));
  } catch {
    throw new ApiError('BadRequest', `malformed path ${JSON.stringify(path)}`);
  }
}

/** Throws ApiError NotFound (unknown path) or MethodNotAllowed. */
export function route(method: string, path: string, query: URLSearchParams): Route {
  const seg = decodeSegments(path);
  const readOnly = method === 'GET' || method === 'HEAD';
  const only = (r: Route): Route => {
    if (!readOnly) throw methodNotAllowed(method);
    return r;
  };
  if (seg.length === 0) return only({ type: 'root' });
  const [first, ...rest] = seg as [string, ...string[]];
  switch (first) {
    case 'version':
      if (rest.length === 0) return only({ type: 'version' });
      break;
    case 'healthz':
    case 'livez':
    case 'readyz':
      // Kubernetes also serves /healthz/<check>: each named check is "ok" when the whole is.
      return only({ type: 'health', check: first });
    case 'metrics':
      if (rest.length === 0) return only({ type: 'metrics' });
      break;
    case 'openapi':
      return only({ type: 'openapi', path: seg.join('/') });
    case 'api':
      if (rest.length === 0) return only({ type: 'api-versions' });
      return resourcePath(method, '', rest, query);
    case 'apis':
      if (rest.length === 0) return only({ type: 'api-groups' });
      if (!GROUPS.has(rest[0]!) || rest[0] === '') break;
      if (rest.length === 1) return only({ type: 'api-group', group: rest[0]! });
      return resourcePath(method, rest[0]!, rest.slice(1), query);
    default:
      break;
  }
  throw notFoundPath();
}

/** `segs` starts at the version: v1/…. */
function resourcePath(method: string, group: string, segs: readonly string[], query: URLSearchParams): Route {
  const [version, ...after] = segs as [string, ...string[]];
  if (!(GROUPS.get(group) ?? []).includes(version)) throw notFoundPath();
  if (after.length === 0) {
    if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed(method);
    return { type: 'resource-list', group, version };
  }
  let parts = after;
  let watch = isTrue(query.get('watch'));
  if (parts[0] === 'watch') {
    watch = true;
    parts = parts.slice(1);
  }
  let namespace = '';
  // namespaces/NS/RESOURCE…, unless it is the Namespace itself: namespaces/NAME[/status].
  if (parts[0] === 'namespaces' && parts.length >= 3 && !(parts.length === 3 && (parts[2] === 'status' || parts[2] === 'finalize'))) {
    namespace = parts[1]!;
    parts = parts.slice(2);
  }
  const [resource, name = '', subresource = '', ...extra] = parts as [string, ...string[]];
  const info = kindFor(group, version, resource);
  if (!info || extra.length > 0) throw notFoundPath();
  if (namespace && !info.namespaced) throw notFoundPath();
  // A namespaced object is only ever named inside its namespace.
  if (!namespace && info.namespaced && name) throw notFoundPath();
  if (subresource) {
    const key = `${info.resource}/${subresource}`;
    const why = UNSERVED_SUBRESOURCES[key];
    if (why) throw new ApiError('NotFound', why);
    if (isReadOnlyKind(info) || !(SUBRESOURCES[info.resource] ?? []).includes(subresource)) throw notFoundPath();
  }
  const verb = verbFor(method, name !== '', subresource, watch);
  if (isReadOnlyKind(info) && verb !== 'get' && verb !== 'list') throw methodNotAllowed(method);
  // Across namespaces there is only reading: every write names its namespace.
  if (info.namespaced && !namespace && verb !== 'list' && verb !== 'watch') throw notFoundPath();
  return { type: 'resource', info, namespace, name, subresource, verb };
}

/**
 * The request as authorization, metrics and audit see it (the same attributes a gRPC request
 * gets from request-attributes.ts). A list or watch of `metadata.name=X` names X, as
 * Kubernetes' RequestInfo does, so RBAC resourceNames can allow watching one object.
 */
export function routeAttributes(r: ResourceRoute, query: URLSearchParams, objectName = ''): Attributes {
  const fieldSelector = query.get('fieldSelector') ?? '';
  const labelSelector = query.get('labelSelector') ?? '';
  let name = r.name;
  if ((r.verb === 'list' || r.verb === 'watch' || r.verb === 'deletecollection') && fieldSelector) {
    const m = /^metadata\.name==?([^,]+)$/.exec(fieldSelector.trim());
    if (m) name = m[1]!;
  }
  const attrs = resourceAttributes(r.verb, r.info, r.namespace, name, r.subresource, { fieldSelector, labelSelector });
  return r.verb === 'create' && !r.subresource && objectName ? { ...attrs, objectName } : attrs;
}
