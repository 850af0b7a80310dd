// The Kubernetes REST API's request listener: route, negotiate, pass the gate, dispatch to the
// handler for the verb (and subresource), answer; every failure a Status. See the package
// README ("The Kubernetes REST API") for the flow.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '@tugboat/api';
import { serveConsole } from '@tugboat/console';
import type { HandlerDeps } from '../grpc/handlers.js';
import type { VersionResponse } from '../grpc/proto-types.js';
import { pathRequest } from '../grpc/request-attributes.js';
import type { LogsProxy } from '../logs/logs-proxy.js';
import type { Registry } from '../registry/registry.js';
import type { WatchService } from '../watch/watch-service.js';
import { aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions, rootPaths, versionInfo } from './discovery.js';
import { RestRequest } from './gate.js';
import { readBody, sendEncodedJson, sendError, sendJson, sendText } from './http-io.js';
import { contentTypeOf, negotiate } from './negotiate.js';
import { openApi } from './openapi-routes.js';
import {
  createObject, deleteCollection, deleteObject, getObject, listObjects, patchObject, updateObject, watchObjects,
  type Outcome, type ResourceCall, type RestServices,
} from './resource-handlers.js';
import { notFoundPath, route as routeOf, type ResourceRoute, type Route } from './router.js';
import { createBinding, createEviction, getScale, getStatus, patchScale, streamLog, updateScale, updateStatus } from './subresources.js';

export interface RestServerOptions {
  readonly registry: Registry;
  readonly watches: WatchService;
  readonly logs: LogsProxy;
  readonly deps: HandlerDeps;
  readonly version: VersionResponse;
  /** The same readiness /readyz on the plain HTTP port reports. */
  ready(): Promise<boolean>;
  readonly now: () => Date;
}

type Handler = (s: RestServices, call: ResourceCall) => Promise<Outcome>;

/** The handler for a resource route (exhaustive over verbs; subresources by name). */
export function handlerFor(r: ResourceRoute): Handler | undefined {
  switch (r.subresource) {
    case '':
      switch (r.verb) {
        case 'get': return getObject;
        case 'list': return listObjects;
        case 'watch': return watchObjects;
        case 'create': return createObject;
        case 'update': return updateObject;
        case 'patch': return patchObject;
        case 'delete': return deleteObject;
        case 'deletecollection': return deleteCollection;
      }
      break;
    case 'status':
      return r.verb === 'get' ? getStatus : r.verb === 'update' ? updateStatus : r.verb === 'patch' ? patchObject : undefined;
    case 'scale':
      return r.verb === 'get' ? getScale : r.verb === 'update' ? updateScale : r.verb === 'patch' ? patchScale : undefined;
    case 'binding':
      return r.verb === 'create' ? createBinding : undefined;
    case 'eviction':
      return r.verb === 'create' ? createEviction : undefined;
    case 'log':
      return r.verb === 'get' ? streamLog : undefined;
    default:
      break;
  }
  return undefined;
}

const WRITE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function restHandler(opts: RestServerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const services: RestServices = { registry: opts.registry, watches: opts.watches, logs: opts.logs, deps: opts.deps, now: opts.now };
  const version = versionInfo(opts.version.version ?? '0.0.0', opts.version.gitCommit ?? '', opts.version.platform ?? '');

  const nonResource = async (rr: RestRequest, req: IncomingMessage, res: ServerResponse, r: Exclude<Route, ResourceRoute>, path: string): Promise<void> => {
    await rr.admit(pathRequest('get', path));
    const answer = (code: number, body: unknown, contentType = 'application/json'): void => {
      sendJson(res, code, body, contentType);
      rr.finish(code);
    };
    switch (r.type) {
      case 'root':
        return answer(200, rootPaths());
      case 'api-versions':
      case 'api-groups': {
        const rep = negotiate(req.headers.accept, 'discovery');
        if (rep.type === 'discovery') return answer(200, aggregatedDiscovery(r.type === 'api-versions', rep.version), contentTypeOf(rep));
        const host = req.headers.host ?? `${req.socket.localAddress ?? ''}:${req.socket.localPort ?? ''}`;
        return answer(200, r.type === 'api-versions' ? apiVersions(host) : apiGroupList());
      }
      case 'api-group': {
        negotiate(req.headers.accept, 'object');
        const g = apiGroup(r.group);
        if (!g) throw notFoundPath();
        return answer(200, g);
      }
      case 'resource-list':
        negotiate(req.headers.accept, 'object');
        return answer(200, apiResourceList(r.group, r.version));
      case 'version':
        return answer(200, version);
      case 'health': {
        // /readyz is live; /healthz and /livez say the process serves.
        const ok = r.check === 'readyz' ? await opts.ready().catch(() => false) : true;
        sendText(res, ok ? 200 : 500, ok ? 'ok' : `[-]${r.check} failed: not ready: etcd is not answering, or the authorization caches and default roles are not loaded yet\n${r.check} check failed`);
        rr.finish(ok ? 200 : 500);
        return;
      }
      case 'metrics': {
        const text = await opts.deps.metrics.registry.metrics();
        sendText(res, 200, text, opts.deps.metrics.registry.contentType);
        rr.finish(200);
        return;
      }
      case 'openapi': {
        const doc = openApi(r.path);
        if (!doc) throw notFoundPath();
        return answer(200, doc);
      }
    }
  };

  const serve = async (rr: RestRequest, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const method = req.method ?? 'GET';
    const r = routeOf(method, url.pathname, url.searchParams);
    rr.route = r;
    if (r.type !== 'resource') return nonResource(rr, req, res, r, url.pathname);
    const handler = handlerFor(r);
    if (!handler) throw new ApiError('MethodNotAllowed', `the server does not allow this method on the requested resource (${method} ${r.info.resource}/${r.subresource})`);
    const representation = negotiate(req.headers.accept, 'object');
    // The body is read before authorization: a create's object name is part of what is
    // authorized (the Node authorizer's own-Node and own-Lease checks), as on gRPC.
    const body = WRITE_METHODS.has(method) ? await readBody(req) : '';
    const out = await handler(services, { rr, req, res, route: r, query: url.searchParams, body, representation });
    if (out === 'streamed') return;
    const contentType = out.contentType ?? contentTypeOf(representation);
    if (out.json !== undefined) sendEncodedJson(res, out.code, out.json, contentType, out.warnings ?? []);
    else sendJson(res, out.code, out.body, contentType, out.warnings ?? []);
    rr.finish(out.code);
  };

  return (req, res) => {
    // The web console's static files (packages/console): no data in them, so no credentials;
    // the page then reads the cluster through the API below, with the user's token.
    if (serveConsole(req, res)) return;
    const rr = new RestRequest(opts.deps, req);
    serve(rr, req, res).catch((err: unknown) => {
      const status = sendError(res, err);
      rr.finish(status.code, err);
    });
  };
}
