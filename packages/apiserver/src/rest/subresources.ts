// Subresources: status (the object, written through Registry.updateStatus), scale
// (autoscaling/v1 Scale over a Deployment's or ReplicaSet's spec.replicas), binding
// (Registry.bind), eviction (a delete) and log (the LogsProxy, streamed as text/plain).
import { ApiError, escapeControl, selectorFromLabelSelector, type KubeObject, type LabelSelector } from '@tugboat/api';
import type { ServiceError } from '@grpc/grpc-js';
import { applyPatch } from '../patch/index.js';
import { parseObjectJson } from '../registry/registry.js';
import { isPlainObject } from '../registry/object-meta.js';
import type { LogChunk } from '../grpc/proto-types.js';
import { patchType, requireJsonBody } from './negotiate.js';
import { parseDeleteOptions, parseLogQuery, parseWriteQuery } from './query.js';
import { withKind, objectForPath, type Answer, type Outcome, type ResourceCall, type RestServices } from './resource-handlers.js';
import { routeAttributes } from './router.js';
import { successStatus } from './status.js';

// ---- status --------------------------------------------------------------------------------

export async function getStatus(s: RestServices, call: ResourceCall): Promise<Answer> {
  const { route } = call;
  await call.rr.admit(routeAttributes(route, call.query));
  return { code: 200, body: withKind(route.info, await s.registry.get(route.info.resource, route.namespace, route.name)), contentType: 'application/json' };
}

export async function updateStatus(s: RestServices, call: ResourceCall): Promise<Answer> {
  const { route } = call;
  requireJsonBody(call.req.headers['content-type']);
  const wq = parseWriteQuery(call.query);
  const obj = objectForPath(route, parseObjectJson(call.body));
  await call.rr.admit(routeAttributes(route, call.query), obj);
  const res = await s.registry.updateStatus(obj, { dryRun: wq.dryRun, fieldValidation: wq.fieldValidation });
  return { code: 200, body: withKind(route.info, res.object), contentType: 'application/json', warnings: res.warnings };
}

// ---- scale ---------------------------------------------------------------------------------

interface Replicated { spec?: { replicas?: number; selector?: LabelSelector | Record<string, string> }; status?: { replicas?: number } }

/** A ReplicationController's selector is an equality map; the apps/v1 kinds' a LabelSelector. */
function scaleSelector(kind: string | undefined, selector: LabelSelector | Record<string, string> | undefined): string {
  if (!selector) return '';
  if (kind === 'ReplicationController') return selectorFromLabelSelector({ matchLabels: selector as Record<string, string> }).toString();
  return selectorFromLabelSelector(selector as LabelSelector).toString();
}

/** autoscaling/v1 Scale of a Deployment, ReplicaSet or ReplicationController (status.selector as a string, as Kubernetes gives it). */
export function scaleOf(obj: KubeObject): KubeObject {
  const o = obj as KubeObject & Replicated;
  const { name, namespace, uid, resourceVersion, creationTimestamp } = obj.metadata ?? {};
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: {
      ...(name !== undefined ? { name } : {}),
      ...(namespace !== undefined ? { namespace } : {}),
      ...(uid !== undefined ? { uid } : {}),
      ...(resourceVersion !== undefined ? { resourceVersion } : {}),
      ...(creationTimestamp !== undefined ? { creationTimestamp } : {}),
    },
    spec: { replicas: o.spec?.replicas ?? 0 },
    status: { replicas: o.status?.replicas ?? 0, selector: scaleSelector(obj.kind, o.spec?.selector) },
  };
}

/** The replicas a Scale asks for; Invalid as Kubernetes words it. */
export function replicasOf(scale: KubeObject, name: string): number {
  const spec = isPlainObject(scale['spec']) ? scale['spec'] : {};
  const r = spec['replicas'];
  if (r === undefined) return 0;
  if (typeof r !== 'number' || !Number.isInteger(r)) {
    throw ApiError.invalid('Scale', name, [{ path: 'spec.replicas', type: 'Invalid', value: r, detail: 'must be an integer' }]);
  }
  if (r < 0) throw ApiError.invalid('Scale', name, [{ path: 'spec.replicas', type: 'Invalid', value: r, detail: 'must be greater than or equal to 0' }]);
  return r;
}

function scaled(obj: KubeObject, replicas: number, rv: string | undefined): KubeObject {
  const o = obj as KubeObject & Replicated;
  // rv is undefined only when obj has no resourceVersion either: nothing to override.
  return { ...obj, metadata: { ...obj.metadata, ...(rv !== undefined ? { resourceVersion: rv } : {}) }, spec: { ...(o.spec ?? {}), replicas } };
}

export async function getScale(s: RestServices, call: ResourceCall): Promise<Answer> {
  const { route } = call;
  await call.rr.admit(routeAttributes(route, call.query));
  return { code: 200, body: scaleOf(await s.registry.get(route.info.resource, route.namespace, route.name)), contentType: 'application/json' };
}

/** PUT and PATCH of scale: the new Scale from the current one, written as the object's spec.replicas. */
async function writeScale(s: RestServices, call: ResourceCall, next: (current: KubeObject) => KubeObject): Promise<Answer> {
  const { route } = call;
  const wq = parseWriteQuery(call.query);
  const res = await s.registry.modify(route.info.resource, route.namespace, route.name, (obj) => {
    const want = next(scaleOf(obj));
    // A Scale that names a resourceVersion is a precondition on the object's.
    return scaled(obj, replicasOf(want, route.name), want.metadata?.resourceVersion || obj.metadata?.resourceVersion);
  }, { dryRun: wq.dryRun });
  return { code: 200, body: scaleOf(res.object), contentType: 'application/json' };
}

export async function updateScale(s: RestServices, call: ResourceCall): Promise<Answer> {
  requireJsonBody(call.req.headers['content-type']);
  const body = parseObjectJson(call.body);
  if (body.metadata?.name && body.metadata.name !== call.route.name) {
    throw new ApiError('BadRequest', `the name of the object (${escapeControl(body.metadata.name)}) does not match the name on the URL (${escapeControl(call.route.name)})`);
  }
  await call.rr.admit(routeAttributes(call.route, call.query));
  return writeScale(s, call, () => body);
}

export async function patchScale(s: RestServices, call: ResourceCall): Promise<Answer> {
  const type = patchType(call.req.headers['content-type']);
  if (type === 'application/apply-patch+yaml') throw new ApiError('UnsupportedMediaType', 'server-side apply of the scale subresource is not supported; apply the object itself');
  await call.rr.admit(routeAttributes(call.route, call.query));
  return writeScale(s, call, (current) => applyPatch('Scale', current, type, call.body));
}

// ---- binding, eviction ---------------------------------------------------------------------

function bodyObject(call: ResourceCall, kind: string): KubeObject {
  requireJsonBody(call.req.headers['content-type']);
  const obj = parseObjectJson(call.body);
  const name = obj.metadata?.name;
  if (name && name !== call.route.name) throw new ApiError('BadRequest', `name in URL does not match name in ${kind} object`);
  const ns = obj.metadata?.namespace;
  if (ns && ns !== call.route.namespace) throw new ApiError('BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
  return obj;
}

export async function createBinding(s: RestServices, call: ResourceCall): Promise<Answer> {
  const { route } = call;
  const binding = bodyObject(call, 'Binding');
  await call.rr.admit(routeAttributes(route, call.query));
  const target = isPlainObject(binding['target']) ? binding['target'] : {};
  const node = typeof target['name'] === 'string' ? target['name'] : '';
  await s.registry.bind(route.namespace, route.name, node, binding.metadata?.uid ?? '');
  return { code: 201, body: { ...successStatus({}), code: 201 }, contentType: 'application/json' };
}

/**
 * An eviction is a delete with the eviction's DeleteOptions that a PodDisruptionBudget may
 * refuse (429 TooManyRequests, cause DisruptionBudget): see registry/eviction.ts.
 */
export async function createEviction(s: RestServices, call: ResourceCall): Promise<Answer> {
  const { route } = call;
  const eviction = bodyObject(call, 'Eviction');
  await call.rr.admit(routeAttributes(route, call.query));
  const opts = parseDeleteOptions(call.query, JSON.stringify(isPlainObject(eviction['deleteOptions']) ? eviction['deleteOptions'] : {}));
  await s.registry.evictions.evict(route.namespace, route.name, opts);
  return { code: 201, body: { ...successStatus({}), code: 201 }, contentType: 'application/json' };
}

// ---- log -----------------------------------------------------------------------------------

export async function streamLog(s: RestServices, call: ResourceCall): Promise<Outcome> {
  const { route, res, rr } = call;
  const q = parseLogQuery(call.query);
  await rr.admit(routeAttributes(route, call.query));
  const upstream = await s.logs.openLogs({
    namespace: route.namespace, name: route.name, container: q.container, follow: q.follow, previous: q.previous, timestamps: q.timestamps,
    ...(q.tailLines !== undefined ? { tailLines: String(q.tailLines) } : {}),
    ...(q.sinceSeconds !== undefined ? { sinceSeconds: String(q.sinceSeconds) } : {}),
  });
  const { stream } = upstream;
  let started = false;
  let done = false;
  const start = (): void => {
    if (started) return;
    started = true;
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
  };
  const finish = (code: number, err?: unknown): void => {
    if (done) return;
    done = true;
    rr.finish(code, err, q.follow);
  };
  return new Promise<Outcome>((resolve, reject) => {
    res.on('close', () => { stream.cancel(); finish(200); resolve('streamed'); });
    stream.on('data', (chunk: LogChunk) => {
      start();
      // Backpressure: a slow reader slows the agent instead of filling our memory.
      if (!res.write(chunk.data)) {
        stream.pause();
        res.once('drain', () => stream.resume());
      }
    });
    stream.on('end', () => {
      start();
      res.end();
      finish(200);
      resolve('streamed');
    });
    stream.on('error', (err: ServiceError) => {
      if (done) return;
      const e = upstream.error(err);
      if (!started) { done = true; reject(e); return; }
      // Mid-stream there is no way to say more: the connection is cut.
      res.destroy();
      finish(200, e);
      resolve('streamed');
    });
  });
}
