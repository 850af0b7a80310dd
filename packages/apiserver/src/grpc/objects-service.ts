// gRPC Objects and Server services: decode the request, call the registry or the watch
// service, encode the answer. No rules live here.
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { kindInfo, type WatchEventType } from '@tugboat/api';
import type { ApiServerMetrics } from '../metrics.js';
import { parseObjectJson, type Registry } from '../registry/registry.js';
import type { WatchService } from '../watch/watch-service.js';
import { serverStream, unary, type Log } from './handlers.js';
import type { ObjectsRequest, ObjectsResponse, VersionResponse } from './proto-types.js';
import type { ApiError } from '@tugboat/api';

/** The resource of a request's JSON object, for metrics only (cheap: no full validation). */
function resourceOfJson(text: string): string {
  const m = /"kind"\s*:\s*"([A-Za-z]+)"/.exec(text.slice(0, 4096));
  return (m && kindInfo(m[1]!)?.resource) || 'unknown';
}

export function objectsService(registry: Registry, watches: WatchService, metrics: ApiServerMetrics, log: Log): UntypedServiceImplementation {
  return {
    Apply: unary<ObjectsRequest<'Apply'>, ObjectsResponse<'Apply'>>(metrics, log, 'apply', (r) => resourceOfJson(r.object), async (req) => {
      const res = await registry.apply(parseObjectJson(req.object), { dryRun: req.dryRun });
      return { object: JSON.stringify(res.object), result: res.result, warnings: [...res.warnings] };
    }),
    Create: unary<ObjectsRequest<'Create'>, ObjectsResponse<'Create'>>(metrics, log, 'create', (r) => resourceOfJson(r.object), async (req) => {
      const res = await registry.create(parseObjectJson(req.object), { dryRun: req.dryRun });
      return { object: JSON.stringify(res.object), warnings: [...res.warnings] };
    }),
    Get: unary<ObjectsRequest<'Get'>, ObjectsResponse<'Get'>>(metrics, log, 'get', (r) => r.resource, async (req) => {
      const obj = await registry.get(req.resource, req.namespace, req.name);
      return { object: JSON.stringify(obj), warnings: [] };
    }),
    List: unary<ObjectsRequest<'List'>, ObjectsResponse<'List'>>(metrics, log, 'list', (r) => r.resource, async (req) => {
      const res = await registry.list(req.resource, {
        namespace: req.namespace,
        labelSelector: req.labelSelector,
        fieldSelector: req.fieldSelector,
        limit: Number(req.limit),
        continue: req.continue,
      });
      return {
        items: res.items.map((o) => JSON.stringify(o)),
        resourceVersion: res.resourceVersion,
        continue: res.continue,
        remainingItemCount: res.remainingItemCount,
      };
    }),
    Update: unary<ObjectsRequest<'Update'>, ObjectsResponse<'Update'>>(metrics, log, 'update', (r) => resourceOfJson(r.object), async (req) => {
      const res = await registry.update(parseObjectJson(req.object), { dryRun: req.dryRun });
      return { object: JSON.stringify(res.object), warnings: [...res.warnings] };
    }),
    UpdateStatus: unary<ObjectsRequest<'UpdateStatus'>, ObjectsResponse<'UpdateStatus'>>(metrics, log, 'update_status', (r) => resourceOfJson(r.object), async (req) => {
      const res = await registry.updateStatus(parseObjectJson(req.object), { dryRun: req.dryRun });
      return { object: JSON.stringify(res.object), warnings: [...res.warnings] };
    }),
    Delete: unary<ObjectsRequest<'Delete'>, ObjectsResponse<'Delete'>>(metrics, log, 'delete', (r) => r.resource, async (req) => {
      const obj = await registry.delete(req.resource, req.namespace, req.name, {
        ...(req.gracePeriodSeconds !== undefined && req.gracePeriodSeconds !== null ? { gracePeriodSeconds: Number(req.gracePeriodSeconds) } : {}),
        preconditionUid: req.preconditionUid,
        preconditionResourceVersion: req.preconditionResourceVersion,
        propagationPolicy: req.propagationPolicy,
        dryRun: req.dryRun,
      });
      return { object: JSON.stringify(obj), warnings: [] };
    }),
    Bind: unary<ObjectsRequest<'Bind'>, ObjectsResponse<'Bind'>>(metrics, log, 'bind', () => 'pods', async (req) => {
      const obj = await registry.bind(req.namespace, req.name, req.nodeName, req.uid);
      return { object: JSON.stringify(obj), warnings: [] };
    }),
    Watch: serverStream<ObjectsRequest<'Watch'>, ObjectsResponse<'Watch'>>(metrics, log, 'watch', (r) => r.resource, async (call, finish) => {
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
          backlog: () => call.writableLength,
          end: (err?: ApiError) => finish(err),
        },
      );
      metrics.watchers.inc({ resource: open.resource });
      let counted = true;
      const uncount = (): void => {
        if (counted) { counted = false; metrics.watchers.dec({ resource: open.resource }); }
      };
      call.once('cancelled', () => { open.close(); uncount(); });
      call.once('finish', uncount);
      call.once('close', uncount);
      if (call.cancelled) { open.close(); uncount(); }
    }),
  };
}

export function serverService(version: VersionResponse, metrics: ApiServerMetrics, log: Log): UntypedServiceImplementation {
  return {
    Version: unary<unknown, VersionResponse>(metrics, log, 'version', () => '', async () => version),
  };
}
