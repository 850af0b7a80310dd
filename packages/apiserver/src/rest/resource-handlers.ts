// The verbs on a resource (get, list, watch, create, update, patch, delete, deletecollection):
// decode the HTTP request, ask the gate, call the Registry or WatchService exactly as the gRPC
// handlers do, and shape the answer as Kubernetes does (201 for creates, <Kind>List, Status
// for a delete that removed the object at once). Subresources are in subresources.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ApiError, escapeControl, type KindInfo, type KubeObject } from '@tugboat/api';
import type { HandlerDeps, RequestContext } from '../grpc/handlers.js';
import { checkRbacObject, checkRbacWrite } from '../grpc/objects-service.js';
import type { LogsProxy } from '../logs/logs-proxy.js';
import { isPlainObject } from '../registry/object-meta.js';
import { parseObjectJson, requireResourceVersion, type Registry } from '../registry/registry.js';
import type { WatchService } from '../watch/watch-service.js';
import type { RestRequest } from './gate.js';
import { patchType, requireJsonBody, type Representation } from './negotiate.js';
import { applyPatch, recordUpdate, serverSideApply } from '../patch/index.js';
import { parseDeleteOptions, parseIncludeObject, parseListQuery, parseWriteQuery, type WriteQuery } from './query.js';
import { registryResource, routeAttributes, type ResourceRoute } from './router.js';
import { successStatus } from './status.js';
import { partialObjectMetadata, partialObjectMetadataList, toTable } from './tables.js';
import { serveWatch, tooOldError } from './watch-stream.js';

/** What every REST handler works with: the same parts the gRPC services are built from. */
export interface RestServices {
  readonly registry: Registry;
  readonly watches: WatchService;
  readonly logs: LogsProxy;
  readonly deps: HandlerDeps;
  readonly now: () => Date;
}

/** One request on a resource, as the handlers see it. */
export interface ResourceCall {
  readonly rr: RestRequest;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly route: ResourceRoute;
  readonly query: URLSearchParams;
  readonly body: string;
  readonly representation: Representation;
}

/** A complete answer (streams answer for themselves and return 'streamed'). */
export interface Answer {
  readonly code: number;
  readonly body: unknown;
  /** The body already encoded, sent instead of encoding `body` (a list of pods held as text). */
  readonly json?: string;
  readonly contentType?: string;
  readonly warnings?: readonly string[];
}

export type Outcome = Answer | 'streamed';

/** How often a server-side apply that raced a create (AlreadyExists) is redone. */
const RETRIES = 5;

export function withKind(info: KindInfo, obj: KubeObject): KubeObject {
  return obj.kind === info.kind && obj.apiVersion === info.apiVersion ? obj : { ...obj, apiVersion: info.apiVersion, kind: info.kind };
}

/** The manager a write records in managedFields: fieldManager, else the User-Agent's product (Kubernetes' default). */
export function managerOf(fieldManager: string, userAgent: string | undefined): string {
  if (fieldManager) return fieldManager;
  const product = (userAgent ?? '').split('/')[0]!.trim();
  return (product || 'unknown').slice(0, 128);
}

export function parseBodyObject(body: string, yaml: boolean): KubeObject {
  if (!yaml) return parseObjectJson(body);
  let parsed: unknown;
  try {
    parsed = parseYaml(body);
  } catch (e) {
    // The library's message goes on with an excerpt of the source; its first line says what and where.
    const message = (e instanceof Error ? e.message : String(e)).split('\n')[0]?.replace(/:\s*$/, '').trim() || 'invalid YAML';
    throw new ApiError('BadRequest', `the apply body is not valid YAML or JSON: ${message}`);
  }
  if (!isPlainObject(parsed)) throw new ApiError('BadRequest', 'the object must be a JSON or YAML object');
  let json: string;
  try {
    json = JSON.stringify(parsed);
  } catch {
    // YAML lets an alias name a node that contains it (`metadata: &m {x: *m}`): a cycle no object can hold.
    throw new ApiError('BadRequest', 'the apply body is not valid YAML or JSON: an alias refers to a node that contains it');
  }
  return parseObjectJson(json);
}

/**
 * The object of a create, update or apply, checked against the path as Kubernetes checks it:
 * kind and apiVersion (filled in when absent), namespace (from the path; a different one is
 * refused) and, for requests naming an object, the name.
 */
export function objectForPath(route: ResourceRoute, input: KubeObject, opts: { requireName?: boolean } = {}): KubeObject {
  const { info } = route;
  if (input.apiVersion !== undefined && input.apiVersion !== info.apiVersion) {
    throw new ApiError('BadRequest', `the API version in the data (${escapeControl(String(input.apiVersion))}) does not match the expected API version (${info.apiVersion})`);
  }
  if (input.kind !== undefined && input.kind !== info.kind) {
    throw new ApiError('BadRequest', `the kind in the data (${escapeControl(String(input.kind))}) does not match the expected kind (${info.kind})`);
  }
  const metadata = { ...(input.metadata ?? {}) };
  if (info.namespaced) {
    if (metadata.namespace && metadata.namespace !== route.namespace) {
      throw new ApiError('BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
    }
    metadata.namespace = route.namespace;
  } else {
    delete metadata.namespace;
  }
  if (route.name) {
    if (metadata.name && metadata.name !== route.name) {
      throw new ApiError('BadRequest', `the name of the object (${escapeControl(metadata.name)}) does not match the name on the URL (${escapeControl(route.name)})`);
    }
    metadata.name = route.name;
  } else if (opts.requireName && !metadata.name) {
    throw ApiError.invalid(info.kind, '', [{ path: 'metadata.name', type: 'Required', detail: 'name or generateName is required' }]);
  }
  return { ...input, apiVersion: info.apiVersion, kind: info.kind, metadata };
}

function listMetaOf(res: { resourceVersion: string; continue: string; remainingItemCount: number }): Record<string, unknown> {
  return {
    resourceVersion: res.resourceVersion,
    ...(res.continue ? { continue: res.continue } : {}),
    ...(res.continue && res.remainingItemCount > 0 ? { remainingItemCount: res.remainingItemCount } : {}),
  };
}

/** One object (a get, or a write's result) in the representation asked for. */
function represented(s: RestServices, call: ResourceCall, obj: KubeObject): unknown {
  const r = call.representation;
  switch (r.type) {
    case 'json':
    case 'discovery':
      return obj;
    case 'table':
      return toTable(call.route.info.kind, [obj], { now: s.now(), includeObject: parseIncludeObject(call.query) });
    case 'partial-metadata':
      return partialObjectMetadata(obj, r.version);
  }
}

/** Writes answer JSON whatever a read would be asked as (kubectl asks JSON for them). */
function json(code: number, body: unknown, warnings: readonly string[] = []): Answer {
  return { code, body, contentType: 'application/json', warnings };
}

// ---- reads ---------------------------------------------------------------------------------

export async function getObject(s: RestServices, call: ResourceCall): Promise<Answer> {
  const { route } = call;
  await call.rr.admit(routeAttributes(route, call.query));
  const obj = withKind(route.info, await s.registry.get(registryResource(route.info), route.namespace, route.name));
  return { code: 200, body: represented(s, call, obj) };
}

export async function listObjects(s: RestServices, call: ResourceCall): Promise<Answer> {
  const { route } = call;
  const q = parseListQuery(call.query);
  await call.rr.admit(routeAttributes(route, call.query));
  if (q.continue && q.resourceVersion && q.resourceVersion !== '0') {
    throw new ApiError('BadRequest', 'specifying resource version is not allowed when using continue');
  }
  if (q.resourceVersionMatch && !q.resourceVersion) {
    throw new ApiError('BadRequest', 'resourceVersionMatch is forbidden unless resourceVersion is provided');
  }
  // resourceVersion semantics (Kubernetes'): "" is the most recent (a consistent read); "0"
  // may be any state; a revision with Exact (or, as in Kubernetes, with a limit and no match)
  // is read as of that revision; otherwise a revision is "not older than". The registry
  // answers the first and the last two from its list cache where it can (notOlderThan).
  const exact = q.resourceVersion !== '' && q.resourceVersion !== '0' && !q.continue
    && (q.resourceVersionMatch === 'Exact' || (q.resourceVersionMatch === '' && q.limit > 0));
  const notOlderThan = exact || q.continue || q.resourceVersion === '' ? undefined : Number(q.resourceVersion);
  let res;
  try {
    res = await s.registry.list(registryResource(route.info), {
      ...(route.namespace ? { namespace: route.namespace } : {}),
      labelSelector: q.labelSelector,
      fieldSelector: q.fieldSelector,
      limit: q.limit,
      continue: q.continue,
      ...(exact ? { revision: Number(q.resourceVersion) } : {}),
      ...(notOlderThan !== undefined ? { notOlderThan } : {}),
    });
  } catch (e) {
    if (exact && e instanceof ApiError && e.reason === 'Expired') {
      throw tooOldError(q.resourceVersion, await s.registry.storage.currentRevision().catch(() => undefined));
    }
    throw e;
  }
  const listMeta = listMetaOf(res);
  const r = call.representation;
  if ((r.type === 'json' || r.type === 'discovery') && res.encodedItems) {
    // Pods held as text in the list cache: their JSON (stored with kind and apiVersion, as the
    // gRPC list sends it) goes into the list's as it is, nothing decoded or encoded.
    const head = JSON.stringify({ kind: `${route.info.kind}List`, apiVersion: route.info.apiVersion, metadata: listMeta });
    return { code: 200, body: undefined, json: `${head.slice(0, -1)},"items":[${res.encodedItems.join(',')}]}` };
  }
  const items = res.items.map((o) => withKind(route.info, o));
  switch (r.type) {
    case 'json':
    case 'discovery':
      return { code: 200, body: { kind: `${route.info.kind}List`, apiVersion: route.info.apiVersion, metadata: listMeta, items } };
    case 'table':
      return { code: 200, body: toTable(route.info.kind, items, { now: s.now(), includeObject: parseIncludeObject(call.query), listMeta }) };
    case 'partial-metadata':
      return { code: 200, body: partialObjectMetadataList(items, r.version, listMeta) };
  }
}

export async function watchObjects(s: RestServices, call: ResourceCall): Promise<Outcome> {
  const { route, rr } = call;
  const q = parseListQuery(call.query);
  await rr.admit(routeAttributes(route, call.query));
  // A watch on a named path is a watch of that one object.
  const fieldSelector = route.name ? [`metadata.name=${route.name}`, q.fieldSelector].filter(Boolean).join(',') : q.fieldSelector;
  await serveWatch(s.watches, call.res, {
    info: route.info,
    namespace: route.namespace,
    query: { ...q, fieldSelector, timeoutSeconds: q.timeoutSeconds || undefined },
    representation: call.representation,
    includeObject: parseIncludeObject(call.query),
    now: s.now,
    currentRevision: () => s.registry.storage.currentRevision(),
  }, (code, err) => rr.finish(code, err, true));
  return 'streamed';
}

// ---- writes --------------------------------------------------------------------------------

/** managedFields for a non-apply write: the manager takes the fields it changed. */
function recordManager(s: RestServices, call: ResourceCall, wq: WriteQuery, live: KubeObject | undefined, next: KubeObject, subresource?: string): KubeObject {
  const manager = managerOf(wq.fieldManager, call.req.headers['user-agent']);
  return recordUpdate({ kind: call.route.info.kind, apiVersion: call.route.info.apiVersion, live, next, manager, now: s.now(), ...(subresource ? { subresource } : {}) });
}

export async function createObject(s: RestServices, call: ResourceCall): Promise<Answer> {
  const { route } = call;
  requireJsonBody(call.req.headers['content-type']);
  const wq = parseWriteQuery(call.query);
  const obj = objectForPath(route, parseObjectJson(call.body));
  const ctx = await call.rr.admit(routeAttributes(route, call.query, obj.metadata?.name ?? ''), obj);
  await checkRbacWrite(s.deps, s.registry, ctx, false);
  const res = await s.registry.create(recordManager(s, call, wq, undefined, obj), { dryRun: wq.dryRun, fieldValidation: wq.fieldValidation });
  return json(201, withKind(route.info, res.object), res.warnings);
}

export async function updateObject(s: RestServices, call: ResourceCall): Promise<Answer> {
  const { route } = call;
  requireJsonBody(call.req.headers['content-type']);
  const wq = parseWriteQuery(call.query);
  const obj = objectForPath(route, parseObjectJson(call.body));
  const ctx = await call.rr.admit(routeAttributes(route, call.query), obj);
  requireResourceVersion(route.info, route.name, obj);
  // One read: the stored object the update replaces is also what managed fields and the RBAC
  // escalation check compare against; obj's resourceVersion makes the write a compare-and-swap.
  const res = await s.registry.modify(route.info.resource, route.namespace, route.name, async (live) => {
    await checkRbacObject(s.deps, ctx.user, obj, live, route.namespace);
    return recordManager(s, call, wq, live, obj);
  }, { dryRun: wq.dryRun, fieldValidation: wq.fieldValidation });
  return json(200, withKind(route.info, res.object), res.warnings);
}

/** Kinds whose delete answers with the deleted object (Kubernetes' ReturnDeletedObject); others with a Status. */
const RETURN_DELETED_OBJECT: ReadonlySet<string> = new Set(['pods', 'services']);

export async function deleteObject(s: RestServices, call: ResourceCall): Promise<Answer> {
  const { route } = call;
  const opts = parseDeleteOptions(call.query, call.body);
  await call.rr.admit(routeAttributes(route, call.query));
  const obj = withKind(route.info, await s.registry.delete(route.info.resource, route.namespace, route.name, opts));
  // An object only marked (grace period, finalizers) is still there: Kubernetes answers with it.
  const stillThere = !!obj.metadata?.deletionTimestamp;
  if (stillThere || RETURN_DELETED_OBJECT.has(route.info.resource)) return json(200, obj);
  return json(200, successStatus({ name: route.name, ...(route.info.group ? { group: route.info.group } : {}), kind: route.info.resource, ...(obj.metadata?.uid ? { uid: obj.metadata.uid } : {}) }));
}

export async function deleteCollection(s: RestServices, call: ResourceCall): Promise<Answer> {
  const { route } = call;
  const opts = parseDeleteOptions(call.query, call.body);
  const q = parseListQuery(call.query);
  await call.rr.admit(routeAttributes(route, call.query));
  const deleted: KubeObject[] = [];
  let cont = '';
  do {
    const page = await s.registry.list(route.info.resource, {
      ...(route.namespace ? { namespace: route.namespace } : {}),
      labelSelector: q.labelSelector, fieldSelector: q.fieldSelector, limit: 500, continue: cont,
    });
    for (const item of page.items) {
      const m = item.metadata ?? {};
      try {
        deleted.push(withKind(route.info, await s.registry.delete(route.info.resource, m.namespace ?? '', m.name ?? '', opts)));
      } catch (e) {
        // Gone meanwhile: what was asked has happened.
        if (!(e instanceof ApiError && e.reason === 'NotFound')) throw e;
      }
    }
    cont = page.continue;
  } while (cont);
  return json(200, { kind: `${route.info.kind}List`, apiVersion: route.info.apiVersion, metadata: {}, items: deleted });
}

// ---- patch ---------------------------------------------------------------------------------

/** A patch may not rename its object (Kubernetes' check on the patched result). */
export function checkPatchedName(route: ResourceRoute, current: KubeObject, patched: KubeObject): KubeObject {
  const name = patched.metadata?.name ?? '';
  if (name !== (current.metadata?.name ?? '')) {
    throw new ApiError('BadRequest', `the name of the object (${escapeControl(name)}) does not match the name on the URL (${escapeControl(route.name)})`);
  }
  return patched;
}

export async function patchObject(s: RestServices, call: ResourceCall): Promise<Answer> {
  const { route } = call;
  const type = patchType(call.req.headers['content-type']);
  const wq = parseWriteQuery(call.query);
  const { info } = route;
  const opts = { dryRun: wq.dryRun, fieldValidation: wq.fieldValidation, status: route.subresource === 'status' };
  if (type === 'application/apply-patch+yaml') {
    if (!wq.fieldManager) throw new ApiError('BadRequest', 'fieldManager is required for apply requests');
    const applied = objectForPath(route, parseBodyObject(call.body, true));
    const ctx = await call.rr.admit(routeAttributes(route, call.query), applied);
    return applyObject(s, call, ctx, applied, wq, opts);
  }
  if (wq.force) throw ApiError.invalid('PatchOptions', '', [{ path: 'force', type: 'Invalid', value: true, detail: 'may not be specified for non-apply patch' }]);
  const ctx = await call.rr.admit(routeAttributes(route, call.query));
  const res = await s.registry.modify(info.resource, route.namespace, route.name, async (stored) => {
    const current = withKind(info, stored);
    const patched = checkPatchedName(route, current, applyPatch(info.kind, current, type, call.body));
    await checkRbacObject(s.deps, ctx.user, patched, current, route.namespace);
    return recordManager(s, call, wq, current, patched, route.subresource || undefined);
  }, opts);
  return json(200, withKind(info, res.object), res.warnings);
}

/** Server-side apply: create when absent (which needs `create` too), else merge with the live object. */
async function applyObject(
  s: RestServices,
  call: ResourceCall,
  ctx: RequestContext<KubeObject>,
  applied: KubeObject,
  wq: WriteQuery,
  opts: { dryRun: boolean; fieldValidation: WriteQuery['fieldValidation']; status: boolean },
): Promise<Answer> {
  const { route } = call;
  const { info } = route;
  const ssa = (live: KubeObject | undefined): KubeObject => serverSideApply({
    kind: info.kind, apiVersion: info.apiVersion, live, applied, manager: wq.fieldManager, force: wq.force, now: s.now(),
    ...(route.subresource ? { subresource: route.subresource } : {}),
  });
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await s.registry.modify(info.resource, route.namespace, route.name, async (stored) => {
        const live = withKind(info, stored);
        const next = ssa(live);
        await checkRbacObject(s.deps, ctx.user, next, live, route.namespace);
        // The stored resourceVersion, never the applied one: apply is not a precondition.
        const { resourceVersion: _applied, ...meta } = next.metadata ?? {};
        const rv = live.metadata?.resourceVersion;
        return { ...next, metadata: { ...meta, ...(rv !== undefined ? { resourceVersion: rv } : {}) } };
      }, opts);
      return json(200, withKind(info, res.object), res.warnings);
    } catch (e) {
      // Absent: apply creates it (a subresource is only ever applied to an object that exists).
      if (!(e instanceof ApiError && e.reason === 'NotFound') || route.subresource) throw e;
    }
    try {
      await ctx.require({ verb: 'create', name: '', objectName: route.name });
      const created = ssa(undefined);
      await checkRbacObject(s.deps, ctx.user, created, undefined, route.namespace);
      const res = await s.registry.create(created, { dryRun: wq.dryRun, fieldValidation: wq.fieldValidation });
      return json(201, withKind(info, res.object), res.warnings);
    } catch (e) {
      // Apply is declarative: a create that raced another is redone as an update.
      if (e instanceof ApiError && e.reason === 'AlreadyExists' && attempt < RETRIES) continue;
      throw e;
    }
  }
}

