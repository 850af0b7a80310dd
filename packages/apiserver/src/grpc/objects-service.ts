// gRPC Objects and Server services: describe each request (for authorization), decode it,
// call the registry or the watch service, encode the answer. No rules live here.
import type { ApiError, KubeObject, UserInfo, WatchEventType } from '@tugboat/api';
import { heartbeatStream, heartbeatUnary, type HeartbeatDeps } from './heartbeat-service.js';
import { parseObjectJson, type Registry } from '../registry/registry.js';
import type { WatchService } from '../watch/watch-service.js';
import { attributesOnly, serverStream, unary, type Describe, type HandlerDeps, type RequestContext } from './handlers.js';
import { resolveResource } from '../registry/kind-of.js';
import { collectionRequest, namedRequest, objectRequest, pathRequest, resourceAttributes } from './request-attributes.js';
import type { ServiceHandlers } from './wire-server.js';
import type { ObjectsRequest, ObjectsResponse, VersionResponse } from './proto-types.js';
import { parseDeleteOptions } from '../rest/query.js';

/** A write's object, parsed once: describe() reads its kind and name, the handler writes it. */
function objectWrite<Req extends { object: string }>(verb: string, subresource = ''): Describe<Req, KubeObject> {
  return (req) => {
    const obj = parseObjectJson(req.object);
    return { attrs: objectRequest(verb, obj, subresource), parsed: obj };
  };
}

const M = '/tugboat.v1.Objects/';

const RBAC_KINDS: ReadonlySet<string> = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

/**
 * Nobody grants through RBAC more than they hold (Kubernetes' escalation check), on every
 * write of a role or binding: `obj` as it will be stored, `old` the one it replaces.
 */
export async function checkRbacObject(deps: HandlerDeps, user: UserInfo, obj: KubeObject, old: KubeObject | undefined, namespace: string): Promise<void> {
  if (!deps.checkRbacWrite || !RBAC_KINDS.has(obj.kind ?? '')) return;
  const err = await deps.checkRbacWrite(user, obj, old, namespace);
  if (err) throw err;
}

/** checkRbacObject for a write whose object is the request's; `old` is read only for RBAC kinds. */
export async function checkRbacWrite(deps: HandlerDeps, registry: Registry, ctx: RequestContext<KubeObject>, withOld: boolean): Promise<void> {
  if (!deps.checkRbacWrite || !RBAC_KINDS.has(ctx.parsed.kind ?? '')) return;
  const { attrs } = ctx;
  const old = withOld ? await registry.get(attrs.resource, attrs.namespace, attrs.name || attrs.objectName || '').catch(() => undefined) : undefined;
  await checkRbacObject(deps, ctx.user, ctx.parsed, old, attrs.namespace);
}

export function objectsService(registry: Registry, watches: WatchService, deps: HandlerDeps): ServiceHandlers {
  return {
    Apply: unary<ObjectsRequest<'Apply'>, ObjectsResponse<'Apply'>, KubeObject>(deps, `${M}Apply`, 'apply', objectWrite('patch'), async (req, ctx) => {
      await checkRbacWrite(deps, registry, ctx, true);
      const res = await registry.apply(ctx.parsed, { dryRun: req.dryRun, beforeCreate: () => ctx.require({ verb: 'create', name: '', objectName: ctx.attrs.name }) });
      return { object: JSON.stringify(res.object), result: res.result, warnings: [...res.warnings] };
    }),
    Create: unary<ObjectsRequest<'Create'>, ObjectsResponse<'Create'>, KubeObject>(deps, `${M}Create`, 'create', objectWrite('create'), async (req, ctx) => {
      await checkRbacWrite(deps, registry, ctx, false);
      const res = await registry.create(ctx.parsed, { dryRun: req.dryRun });
      return { object: JSON.stringify(res.object), warnings: [...res.warnings] };
    }),
    Get: unary<ObjectsRequest<'Get'>, ObjectsResponse<'Get'>>(deps, `${M}Get`, 'get', attributesOnly((r) => namedRequest('get', r.resource, r.namespace, r.name)), async (req) => {
      const obj = await registry.get(req.resource, req.namespace, req.name);
      return { object: JSON.stringify(obj), warnings: [] };
    }),
    List: unary<ObjectsRequest<'List'>, ObjectsResponse<'List'>>(deps, `${M}List`, 'list', attributesOnly((r) => collectionRequest('list', r.resource, r.namespace, r.fieldSelector, r.labelSelector)), async (req) => {
      const res = await registry.list(req.resource, {
        namespace: req.namespace,
        labelSelector: req.labelSelector,
        fieldSelector: req.fieldSelector,
        limit: Number(req.limit),
        continue: req.continue,
      });
      return {
        items: res.encodedItems ? [...res.encodedItems] : res.items.map((o) => JSON.stringify(o)),
        resourceVersion: res.resourceVersion,
        continue: res.continue,
        remainingItemCount: res.remainingItemCount,
      };
    }),
    Update: unary<ObjectsRequest<'Update'>, ObjectsResponse<'Update'>, KubeObject>(deps, `${M}Update`, 'update', objectWrite('update'), async (req, ctx) => {
      await checkRbacWrite(deps, registry, ctx, true);
      const res = await registry.update(ctx.parsed, { dryRun: req.dryRun });
      return { object: JSON.stringify(res.object), warnings: [...res.warnings] };
    }),
    UpdateStatus: unary<ObjectsRequest<'UpdateStatus'>, ObjectsResponse<'UpdateStatus'>, KubeObject>(deps, `${M}UpdateStatus`, 'update_status', objectWrite('update', 'status'), async (req, ctx) => {
      const res = await registry.updateStatus(ctx.parsed, { dryRun: req.dryRun });
      return { object: JSON.stringify(res.object), warnings: [...res.warnings] };
    }),
    Delete: unary<ObjectsRequest<'Delete'>, ObjectsResponse<'Delete'>>(deps, `${M}Delete`, 'delete', attributesOnly((r) => namedRequest('delete', r.resource, r.namespace, r.name)), async (req) => {
      const obj = await registry.delete(req.resource, req.namespace, req.name, {
        ...(req.gracePeriodSeconds !== undefined && req.gracePeriodSeconds !== null ? { gracePeriodSeconds: Number(req.gracePeriodSeconds) } : {}),
        preconditionUid: req.preconditionUid,
        preconditionResourceVersion: req.preconditionResourceVersion,
        propagationPolicy: req.propagationPolicy,
        dryRun: req.dryRun,
      });
      return { object: JSON.stringify(obj), warnings: [] };
    }),
    Bind: unary<ObjectsRequest<'Bind'>, ObjectsResponse<'Bind'>>(deps, `${M}Bind`, 'bind', attributesOnly((r) => resourceAttributes('create', resolveResource('pods'), r.namespace || 'default', r.name, 'binding')), async (req) => {
      const obj = await registry.bind(req.namespace, req.name, req.nodeName, req.uid);
      return { object: JSON.stringify(obj), warnings: [] };
    }),
    Evict: unary<ObjectsRequest<'Evict'>, ObjectsResponse<'Evict'>>(deps, `${M}Evict`, 'evict', attributesOnly((r) => resourceAttributes('create', resolveResource('pods'), r.namespace || 'default', r.name, 'eviction')), async (req) => {
      const opts = parseDeleteOptions(new URLSearchParams(req.dryRun ? 'dryRun=All' : ''), req.deleteOptions);
      const obj = await registry.evictions.evict(req.namespace || 'default', req.name, opts);
      return { object: JSON.stringify(obj), warnings: [] };
    }),
    Watch: serverStream<ObjectsRequest<'Watch'>, ObjectsResponse<'Watch'>>(deps, `${M}Watch`, 'watch', attributesOnly((r) => collectionRequest('watch', r.resource, r.namespace, r.fieldSelector, r.labelSelector)), async (call, finish) => {
      const req = call.request;
      const open = await watches.start(
        {
          resource: req.resource,
          namespace: req.namespace,
          labelSelector: req.labelSelector,
          fieldSelector: req.fieldSelector,
          resourceVersion: req.resourceVersion,
          allowBookmarks: req.allowBookmarks,
        },
        {
          send: (type: WatchEventType, object: string) => { call.write({ type, object }); },
          backlog: () => call.backlog,
          end: (err?: ApiError) => finish(err),
        },
      );
      deps.metrics.watchers.inc({ resource: open.resource });
      let counted = true;
      const uncount = (): void => {
        if (counted) { counted = false; deps.metrics.watchers.dec({ resource: open.resource }); }
      };
      call.onCancel(() => { open.close(); uncount(); });
      call.onClose(uncount);
    }),
  };
}

export function serverService(version: VersionResponse, deps: HandlerDeps, hb: HeartbeatDeps): ServiceHandlers {
  return {
    Version: unary<unknown, VersionResponse>(deps, '/tugboat.v1.Server/Version', 'version', attributesOnly(() => pathRequest('get', '/version')), async () => version),
    NodeHeartbeat: heartbeatUnary(deps, hb),
    NodeHeartbeats: heartbeatStream(deps, hb),
  };
}
