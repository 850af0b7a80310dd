// The operations of each resource, at Kubernetes' paths and with its operation ids, actions,
// GVK extensions and query parameters. kubectl relies on two of them: it decides that the
// server validates fields itself when the PATCH operation of a kind carries the kind's GVK
// and a `fieldValidation` parameter of its own (cli-runtime's query_param_verifier_v3.go),
// and it computes strategic merge patches from OpenAPI v3 when that PATCH accepts
// application/strategic-merge-patch+json (kubectl apply's patcher.go).
import { ROOT_TYPES, type KindInfo } from '@tugboat/api';
import { DELETE_OPTIONS, PATCH, SCALE, STATUS } from './meta-schemas.js';
import { SUBRESOURCES } from '../rest/router.js';
import { definitionName, gvkOf } from './schemas.js';
import { ref, type Action, type GroupVersionKind, type Operation, type Parameter, type PathItem, type Schema } from './types.js';

/** Subresources with a document of their own: status (the kind itself) and scale (autoscaling/v1 Scale); binding, eviction and log have none yet. */
function documentedSubresources(resource: string): ('status' | 'scale')[] {
  return (SUBRESOURCES[resource] ?? []).filter((s): s is 'status' | 'scale' => s === 'status' || s === 'scale');
}

const str: Schema = { type: 'string', uniqueItems: true };
const query = (name: string, description: string, schema: Schema = str): Parameter => ({ name, in: 'query', description, schema });
const bool: Schema = { type: 'boolean', uniqueItems: true };
const int: Schema = { type: 'integer', uniqueItems: true };

const PRETTY = query('pretty', "If 'true', then the output is pretty printed.");
const DRY_RUN = query('dryRun', 'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed');
const FIELD_MANAGER = query('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.');
const FIELD_VALIDATION = query('fieldValidation', 'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present.');
const FORCE = query('force', 'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.', bool);
const WRITE_PARAMS = [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION];

const LIST_PARAMS: Parameter[] = [
  query('allowWatchBookmarks', 'allowWatchBookmarks requests watch events with type "BOOKMARK".', bool),
  query('continue', 'The continue option should be set when retrieving more results from the server.'),
  query('fieldSelector', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  query('labelSelector', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  query('limit', 'limit is a maximum number of responses to return for a list call.', int),
  query('resourceVersion', 'resourceVersion sets a constraint on what resource versions a request may be served from.'),
  query('resourceVersionMatch', 'resourceVersionMatch determines how resourceVersion is applied to list calls.'),
  query('sendInitialEvents', 'sendInitialEvents=true may be set together with watch=true.', bool),
  query('timeoutSeconds', 'Timeout for the list/watch call.', int),
  query('watch', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.', bool),
];

const DELETE_PARAMS: Parameter[] = [
  DRY_RUN,
  query('gracePeriodSeconds', 'The duration in seconds before the object should be deleted.', int),
  query('orphanDependents', 'Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7.', bool),
  query('propagationPolicy', "Whether and how garbage collection will be performed. Acceptable values are: 'Orphan', 'Background', 'Foreground'."),
];

const PATCH_TYPES = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

const json = (schema: Schema): Record<string, { schema: Schema }> => ({ 'application/json': { schema }, 'application/yaml': { schema } });
const ok = (schema: Schema, ...codes: string[]): Operation['responses'] => ({
  ...Object.fromEntries(codes.map((c) => [c, { description: c === '201' ? 'Created' : c === '202' ? 'Accepted' : 'OK', content: json(schema) }])),
  '401': { description: 'Unauthorized' },
});

interface Target {
  /** "CoreV1", "AppsV1": the middle of Kubernetes' operation ids. */
  readonly idGroup: string;
  readonly tag: string;
  readonly gvk: GroupVersionKind;
  readonly schema: Schema;
  readonly kind: string;
  readonly namespaced: boolean;
}

function op(t: Target, action: Action, verb: string, description: string, extra: Partial<Operation>, suffix = ''): Operation {
  const scope = t.namespaced && verb !== 'listForAllNamespaces' ? 'Namespaced' : '';
  const id = verb === 'listForAllNamespaces' ? `list${t.idGroup}${t.kind}ForAllNamespaces` : `${verb}${t.idGroup}${scope}${t.kind}${suffix}`;
  return {
    description,
    operationId: id,
    tags: [t.tag],
    responses: {},
    ...extra,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': t.gvk,
  };
}

/** Get, replace and patch of an object ("" noun) or of one of its subresources. */
function readWriteOps(t: Target, noun: string, suffix = ''): PathItem {
  const what = (verb: string): string => `${verb} ${noun ? `${noun} of ` : ''}the specified ${t.kind}`;
  return {
    get: op(t, 'get', 'read', what('read'), { responses: ok(t.schema, '200') }, suffix),
    put: op(t, 'put', 'replace', what('replace'), {
      parameters: WRITE_PARAMS, requestBody: { content: json(t.schema), required: true }, responses: ok(t.schema, '200', '201'),
    }, suffix),
    patch: op(t, 'patch', 'patch', what('partially update'), {
      parameters: [...WRITE_PARAMS, FORCE],
      requestBody: { content: Object.fromEntries(PATCH_TYPES.map((type) => [type, { schema: ref(PATCH) }])), required: true },
      responses: ok(t.schema, '200', '201'),
    }, suffix),
  };
}

/** Paths of one resource: collection, object, cluster-wide list, subresources. */
export function resourcePaths(info: KindInfo): Record<string, PathItem> {
  const typeName = ROOT_TYPES[info.kind] ?? info.kind;
  const gvk = gvkOf(info);
  const version = gvk.version;
  const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
  // As Kubernetes names them: "rbac.authorization.k8s.io" → "RbacAuthorization", "" → "Core".
  const words = (info.group.replace(/\.k8s\.io$/, '') || 'core').split('.');
  const groupId = words.map((w, i) => (i === 0 ? w : cap(w))).join('');
  const t: Target = {
    idGroup: `${cap(groupId)}${cap(version)}`,
    tag: `${groupId}_${version}`,
    gvk, kind: info.kind, namespaced: info.namespaced,
    schema: ref(definitionName(typeName)),
  };
  const prefix = info.group ? `/apis/${info.group}/${version}` : `/api/${version}`;
  const scoped = info.namespaced ? `${prefix}/namespaces/{namespace}/${info.resource}` : `${prefix}/${info.resource}`;
  const pathParams: Parameter[] = [
    ...(info.namespaced ? [{ name: 'namespace', in: 'path' as const, description: 'object name and auth scope, such as for teams and projects', required: true, schema: str }] : []),
    PRETTY,
  ];
  const nameParam = (what: string): Parameter => ({ name: 'name', in: 'path', description: `name of the ${what}`, required: true, schema: str });
  const list = ref(`${definitionName(typeName)}List`);

  const paths: Record<string, PathItem> = {
    [scoped]: {
      parameters: pathParams,
      get: op(t, 'list', 'list', `list or watch objects of kind ${info.kind}`, { parameters: LIST_PARAMS, responses: ok(list, '200') }),
      post: op(t, 'post', 'create', `create a ${info.kind}`, {
        parameters: WRITE_PARAMS, requestBody: { content: json(t.schema), required: true }, responses: ok(t.schema, '200', '201', '202'),
      }),
      delete: op(t, 'deletecollection', 'deleteCollection', `delete collection of ${info.kind}`, {
        parameters: [...LIST_PARAMS, ...DELETE_PARAMS], requestBody: { content: json(ref(DELETE_OPTIONS)), required: false }, responses: ok(ref(STATUS), '200'),
      }),
    },
    [`${scoped}/{name}`]: {
      parameters: [nameParam(info.kind), ...pathParams],
      ...readWriteOps(t, ''),
      delete: op(t, 'delete', 'delete', `delete a ${info.kind}`, {
        parameters: DELETE_PARAMS, requestBody: { content: json(ref(DELETE_OPTIONS)), required: false }, responses: ok(ref(STATUS), '200', '202'),
      }),
    },
  };
  if (info.namespaced) {
    paths[`${prefix}/${info.resource}`] = {
      parameters: [PRETTY],
      get: op(t, 'list', 'listForAllNamespaces', `list or watch objects of kind ${info.kind}`, { parameters: LIST_PARAMS, responses: ok(list, '200') }),
    };
  }
  for (const sub of documentedSubresources(info.resource)) {
    switch (sub) {
      case 'status':
        paths[`${scoped}/{name}/status`] = { parameters: [nameParam(info.kind), ...pathParams], ...readWriteOps(t, 'status', 'Status') };
        break;
      case 'scale': {
        const scale: Target = { ...t, gvk: { group: 'autoscaling', kind: 'Scale', version: 'v1' }, schema: ref(SCALE) };
        // Ids name the owning kind ("patchAppsV1NamespacedDeploymentScale"), the GVK the Scale.
        paths[`${scoped}/{name}/scale`] = { parameters: [nameParam('Scale'), ...pathParams], ...readWriteOps(scale, 'scale', 'Scale') };
        break;
      }
    }
  }
  return paths;
}
