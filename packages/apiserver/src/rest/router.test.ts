import test from 'ava';
import { ApiError } from '@tugboat/api';
import { route, routeAttributes, type ResourceRoute } from './router.js';

const q = (s = ''): URLSearchParams => new URLSearchParams(s);
const res = (method: string, path: string, query = ''): ResourceRoute => {
  const r = route(method, path, q(query));
  if (r.type !== 'resource') throw new Error(`not a resource route: ${r.type}`);
  return r;
};
const fails = (t: import('ava').ExecutionContext, method: string, path: string, reason: ApiError['reason'], message?: RegExp): void => {
  const err = t.throws(() => route(method, path, q()), { instanceOf: ApiError });
  t.is(err?.reason, reason);
  if (message) t.regex(err?.message ?? '', message);
};

test('discovery and non-resource paths', (t) => {
  t.deepEqual(route('GET', '/api', q()), { type: 'api-versions' });
  t.deepEqual(route('GET', '/apis', q()), { type: 'api-groups' });
  t.deepEqual(route('GET', '/apis/apps', q()), { type: 'api-group', group: 'apps' });
  t.deepEqual(route('GET', '/api/v1', q()), { type: 'resource-list', group: '', version: 'v1' });
  t.deepEqual(route('GET', '/apis/apps/v1/', q()), { type: 'resource-list', group: 'apps', version: 'v1' });
  t.deepEqual(route('GET', '/version', q()), { type: 'version' });
  t.deepEqual(route('GET', '/readyz', q()), { type: 'health', check: 'readyz' });
  t.deepEqual(route('GET', '/openapi/v3/apis/apps/v1', q()), { type: 'openapi', path: 'openapi/v3/apis/apps/v1' });
  fails(t, 'POST', '/api', 'MethodNotAllowed');
});

test('namespaced, cluster-scoped and all-namespace paths, with the verb from the method', (t) => {
  t.like(res('GET', '/api/v1/namespaces/a/pods'), { namespace: 'a', name: '', verb: 'list' });
  t.like(res('GET', '/api/v1/namespaces/a/pods', 'watch=true'), { verb: 'watch' });
  t.like(res('GET', '/api/v1/watch/namespaces/a/pods'), { verb: 'watch' });
  t.like(res('GET', '/api/v1/namespaces/a/pods/web'), { name: 'web', verb: 'get' });
  t.like(res('GET', '/api/v1/pods', 'watch=1'), { namespace: '', verb: 'watch' });
  t.like(res('POST', '/api/v1/namespaces/a/pods'), { verb: 'create' });
  t.like(res('PUT', '/api/v1/namespaces/a/pods/web'), { verb: 'update' });
  t.like(res('PATCH', '/apis/apps/v1/namespaces/a/deployments/web/scale'), { subresource: 'scale', verb: 'patch' });
  t.like(res('DELETE', '/api/v1/namespaces/a/pods/web'), { verb: 'delete' });
  t.like(res('DELETE', '/api/v1/namespaces/a/pods'), { verb: 'deletecollection' });
  t.like(res('POST', '/api/v1/namespaces/a/pods/web/binding'), { subresource: 'binding', verb: 'create' });
  t.like(res('GET', '/api/v1/nodes/n1'), { namespace: '', name: 'n1', verb: 'get' });
  t.like(res('GET', '/api/v1/namespaces/default'), { name: 'default', verb: 'get' });
  t.like(res('PUT', '/api/v1/namespaces/default/status'), { name: 'default', subresource: 'status', verb: 'update' });
  t.is(res('GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles').info.kind, 'ClusterRole');
});

test('what Kubernetes does not serve is its NotFound; wrong methods are 405', (t) => {
  const nf = /^the server could not find the requested resource$/;
  fails(t, 'GET', '/api/v2/pods', 'NotFound', nf);
  fails(t, 'GET', '/apis/batch/v1beta1/cronjobs', 'NotFound', nf);
  fails(t, 'GET', '/apis/apps/v1beta1/deployments', 'NotFound', nf);
  fails(t, 'GET', '/api/v1/widgets', 'NotFound', nf);
  fails(t, 'GET', '/api/v1/namespaces/a/nodes', 'NotFound', nf);
  fails(t, 'GET', '/api/v1/pods/web', 'NotFound', nf);
  fails(t, 'POST', '/api/v1/pods', 'NotFound', nf);
  fails(t, 'GET', '/api/v1/namespaces/a/configmaps/x/status', 'NotFound', nf);
  fails(t, 'POST', '/api/v1/namespaces/a/pods/web/exec', 'NotFound', /tctl exec/);
  fails(t, 'POST', '/api/v1/namespaces/a/pods/web', 'MethodNotAllowed');
  fails(t, 'PUT', '/api/v1/namespaces/a/pods', 'MethodNotAllowed');
  fails(t, 'OPTIONS', '/api/v1/namespaces/a/pods', 'MethodNotAllowed');
});

test('authorization attributes are the gRPC ones; a metadata.name selector names the object', (t) => {
  t.like(routeAttributes(res('GET', '/apis/apps/v1/namespaces/a/deployments/web/scale'), q()), { verb: 'get', apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'a', name: 'web' });
  t.like(routeAttributes(res('GET', '/api/v1/namespaces/a/pods', 'watch=1&fieldSelector=metadata.name%3Dweb'), q('fieldSelector=metadata.name=web')), { verb: 'watch', name: 'web' });
  t.like(routeAttributes(res('POST', '/api/v1/namespaces/a/pods'), q(), 'web'), { verb: 'create', name: '', objectName: 'web' });
  t.like(routeAttributes(res('GET', '/api/v1/pods'), q('labelSelector=app=x')), { verb: 'list', namespace: '', labelSelector: 'app=x' });
});
