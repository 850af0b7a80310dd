import test from 'ava';
import { KINDS } from '@tugboat/api';
import { groupVersionPath, openApiV3Document, openApiV3Root } from './index.js';
import type { Operation, PathItem, Schema } from './types.js';

interface Doc { openapi: string; paths: Record<string, PathItem>; components: { schemas: Record<string, Schema> } }
const doc = (path: string): Doc => openApiV3Document(path) as unknown as Doc;

test('the root lists every served group-version with a hashed URL', (t) => {
  const root = openApiV3Root() as { paths: Record<string, { serverRelativeURL: string }> };
  t.deepEqual(Object.keys(root.paths).sort(), ['api/v1', 'apis/apps/v1', 'apis/autoscaling/v2', 'apis/batch/v1', 'apis/coordination.k8s.io/v1', 'apis/discovery.k8s.io/v1', 'apis/policy/v1', 'apis/rbac.authorization.k8s.io/v1', 'apis/scheduling.k8s.io/v1', 'apis/storage.k8s.io/v1']);
  t.regex(root.paths['apis/apps/v1']!.serverRelativeURL, /^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
  t.is(openApiV3Document('apis/autoscaling/v1'), undefined);
  t.is(openApiV3Document('/api/v1/'), openApiV3Document('api/v1'), 'slashes around the path do not matter');
});

test('every kind is present with its GVK, and its List', (t) => {
  for (const k of KINDS) {
    const d = doc(groupVersionPath(k));
    t.is(d.openapi, '3.0.0');
    const version = k.apiVersion.split('/').pop()!;
    const kinds = Object.values(d.components.schemas).flatMap((s) => s['x-kubernetes-group-version-kind'] ?? []);
    t.true(kinds.some((g) => g.group === k.group && g.version === version && g.kind === k.kind), `${k.kind} has its GVK`);
    t.true(kinds.some((g) => g.kind === `${k.kind}List`), `${k.kind}List has its GVK`);
  }
  const core = doc('api/v1').components.schemas;
  t.deepEqual(core['io.k8s.api.core.v1.Pod']!['x-kubernetes-group-version-kind'], [{ group: '', kind: 'Pod', version: 'v1' }]);
  t.truthy(core['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'], 'meta types under their Kubernetes names');
  t.truthy(core['io.k8s.api.core.v1.EndpointPort'], 'core EndpointPort under its own name, not the table\'s qualified one');
  t.truthy(doc('apis/discovery.k8s.io/v1').components.schemas['io.k8s.api.discovery.v1.EndpointPort']);
});

test('every $ref resolves inside its document', (t) => {
  for (const path of Object.keys((openApiV3Root() as { paths: object }).paths)) {
    const d = doc(path);
    const refs = [...JSON.stringify(d).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    for (const r of new Set(refs)) t.truthy(d.components.schemas[r], `${path}: ${r}`);
  }
});

test('the PATCH of deployments carries the GVK and fieldValidation, and accepts strategic merge patches', (t) => {
  const item = doc('apis/apps/v1').paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']!;
  const patch = item.patch as Operation;
  t.deepEqual(patch['x-kubernetes-group-version-kind'], { group: 'apps', kind: 'Deployment', version: 'v1' });
  t.is(patch['x-kubernetes-action'], 'patch');
  t.is(patch.operationId, 'patchAppsV1NamespacedDeployment');
  // kubectl reads the operation's own parameters, not the path's.
  const names = (patch.parameters ?? []).map((p) => p.name);
  t.deepEqual(names, ['dryRun', 'fieldManager', 'fieldValidation', 'force']);
  t.truthy(patch.requestBody?.content['application/strategic-merge-patch+json']);
  t.truthy(patch.requestBody?.content['application/apply-patch+yaml']);
  t.deepEqual((item.parameters ?? []).map((p) => p.name), ['name', 'namespace', 'pretty']);
});

test('every PATCH and write carries fieldValidation: kubectl may look at any PATCH with the GVK', (t) => {
  for (const path of Object.keys((openApiV3Root() as { paths: object }).paths)) {
    for (const [p, item] of Object.entries(doc(path).paths)) {
      for (const method of ['post', 'put', 'patch'] as const) {
        const o = item[method];
        if (o) t.true((o.parameters ?? []).some((q) => q.name === 'fieldValidation'), `${method} ${p}`);
      }
    }
  }
});

test('resource paths, actions and subresources', (t) => {
  const core = doc('api/v1').paths;
  t.is(core['/api/v1/namespaces/{namespace}/pods']!.get!['x-kubernetes-action'], 'list');
  t.is(core['/api/v1/namespaces/{namespace}/pods']!.post!['x-kubernetes-action'], 'post');
  t.is(core['/api/v1/namespaces/{namespace}/pods']!.delete!['x-kubernetes-action'], 'deletecollection');
  t.is(core['/api/v1/pods']!.get!.operationId, 'listCoreV1PodForAllNamespaces');
  t.is(core['/api/v1/nodes/{name}']!.get!.operationId, 'readCoreV1Node');
  t.is(core['/api/v1/namespaces/{namespace}/pods/{name}/status']!.patch!.operationId, 'patchCoreV1NamespacedPodStatus');
  t.truthy(core['/api/v1/namespaces/{namespace}/pods']!.get!.parameters!.find((p) => p.name === 'labelSelector'));
  const scale = doc('apis/apps/v1').paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale']!;
  t.deepEqual(scale.patch!['x-kubernetes-group-version-kind'], { group: 'autoscaling', kind: 'Scale', version: 'v1' });
  t.truthy(doc('apis/apps/v1').components.schemas['io.k8s.api.autoscaling.v1.Scale']);
  t.is(doc('apis/rbac.authorization.k8s.io/v1').paths['/apis/rbac.authorization.k8s.io/v1/clusterroles']!.get!.operationId, 'listRbacAuthorizationV1ClusterRole');
});

test('patch extensions: Pod.spec.containers merges by name; required fields', (t) => {
  const s = doc('api/v1').components.schemas;
  const containers = s['io.k8s.api.core.v1.PodSpec']!.properties!['containers']!;
  t.is(containers['x-kubernetes-patch-strategy'], 'merge');
  t.is(containers['x-kubernetes-patch-merge-key'], 'name');
  t.is(containers['x-kubernetes-list-type'], 'map');
  t.deepEqual(containers['x-kubernetes-list-map-keys'], ['name']);
  t.deepEqual(containers.items, { $ref: '#/components/schemas/io.k8s.api.core.v1.Container' });
  t.deepEqual(s['io.k8s.api.core.v1.PodSpec']!.required, ['containers']);
  const ports = s['io.k8s.api.core.v1.Container']!.properties!['ports']!;
  t.is(ports['x-kubernetes-patch-merge-key'], 'containerPort');
  const limits = s['io.k8s.api.core.v1.ResourceRequirements']!.properties!['limits']!;
  t.deepEqual(limits.additionalProperties, { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity' });
});
