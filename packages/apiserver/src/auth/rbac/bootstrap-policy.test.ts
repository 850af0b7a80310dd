// The default policy: pure checks of what it grants (the components' every call, and no more
// than asked), and its reconciliation against a real etcd through the Registry.
import anyTest, { type TestFn } from 'ava';
import {
  USER_CONTROLLER_MANAGER, USER_KUBE_DNS, USER_KUBE_PROXY, USER_SCHEDULER, aggregatedRules, type KubeObject, type PolicyRule, type UserInfo,
} from '@tugboat/api';
import { startEtcd, type EtcdHandle } from '@tugboat/test';
import { MemoryStore } from '../../cache/object-store.js';
import { Registry } from '../../registry/registry.js';
import { EtcdStorage } from '../../storage/etcd-storage.js';
import type { RequestAttributes } from '../authorizer.js';
import {
  AUTOUPDATE_ANNOTATION, bootstrapClusterRoleBindings, bootstrapClusterRoles, bootstrapRoleBindings, bootstrapRoles,
  reconcileBinding, reconcileBootstrapPolicy, reconcileRole,
} from './bootstrap-policy.js';
import { checkRbacWrite } from './escalation.js';
import { RbacAuthorizer, type ClusterRoleBindingObject, type ClusterRoleObject } from './rbac-authorizer.js';
import { covers } from './rules.js';

const test = anyTest as TestFn<{ etcd: EtcdHandle; storage: EtcdStorage; registry: Registry }>;

test.before(async (t) => {
  const etcd = await startEtcd();
  const storage = new EtcdStorage({ endpoints: [etcd.endpoint] });
  t.context = { etcd, storage, registry: new Registry(storage) };
});

test.after.always(async (t) => {
  await t.context.storage?.close();
  await t.context.etcd?.destroy();
});

// ── What the defaults grant (in memory) ────────────────────────────────────────────────────

/** The default policy in stores, aggregated roles filled as the server and controller fill them. */
function defaultPolicy(): RbacAuthorizer {
  const clusterRoles = bootstrapClusterRoles();
  for (let pass = 0; pass < 3; pass++) {
    for (const r of clusterRoles) {
      const rules = aggregatedRules(r, clusterRoles);
      if (rules) r.rules = rules;
    }
  }
  return new RbacAuthorizer({
    clusterRoles: new MemoryStore<KubeObject>(clusterRoles),
    clusterRoleBindings: new MemoryStore<KubeObject>(bootstrapClusterRoleBindings()),
    roles: new MemoryStore<KubeObject>(bootstrapRoles()),
    roleBindings: new MemoryStore<KubeObject>(bootstrapRoleBindings()),
  });
}

const GROUPS: Record<string, string> = { leases: 'coordination.k8s.io', replicasets: 'apps', deployments: 'apps', clusterroles: 'rbac.authorization.k8s.io', endpointslices: 'discovery.k8s.io', priorityclasses: 'scheduling.k8s.io', poddisruptionbudgets: 'policy' };

/** "verb resource[/sub] [namespace] [name]" → the request. */
function call(user: UserInfo, text: string): RequestAttributes {
  const [verb = '', res = '', namespace = '', name = ''] = text.split(' ');
  const [resource = '', subresource = ''] = res.split('/');
  return { user, verb, resourceRequest: true, apiGroup: GROUPS[resource] ?? '', resource, subresource, namespace: namespace === '-' ? '' : namespace, name, path: '' };
}

const scheduler: UserInfo = { username: USER_SCHEDULER, groups: ['system:authenticated'] };
const controllerManager: UserInfo = { username: USER_CONTROLLER_MANAGER, groups: ['system:authenticated'] };

test('the scheduler may make every call it makes, and little else', (t) => {
  const rbac = defaultPolicy();
  const allowed = (text: string): boolean => rbac.authorize(call(scheduler, text)).decision === 'allow';
  for (const c of [
    'list pods', 'watch pods', 'get pods default web', 'list nodes', 'watch nodes',
    'list leases tugboat-node-lease', 'watch leases tugboat-node-lease',
    'create pods/binding default web', 'update pods/status default web',
    'create events default web.1', 'get events default web.1', 'update events default web.1',
    'get leases tugboat-system tugboat-scheduler', 'create leases tugboat-system tugboat-scheduler', 'update leases tugboat-system tugboat-scheduler',
    'get priorityclasses - high', 'list priorityclasses', 'watch priorityclasses',
    // Preemption: victims are deleted; budgets steer the choice.
    'delete pods default web', 'list poddisruptionbudgets', 'watch poddisruptionbudgets',
  ]) t.true(allowed(c), c);
  for (const c of [
    'update pods default web', 'create pods default web', 'update nodes - n1', 'get secrets default s',
    'list leases default', 'update leases tugboat-system tugboat-controllers', 'create leases default x', 'list configmaps',
    'create priorityclasses - high', 'update priorityclasses - high',
  ]) t.false(allowed(c), c);
});

test('the controller manager may make every call its controllers make', (t) => {
  const rbac = defaultPolicy();
  const allowed = (text: string): boolean => rbac.authorize(call(controllerManager, text)).decision === 'allow';
  const calls = [
    // replicaset
    'list pods', 'watch pods', 'create pods default p', 'delete pods default p', 'get pods default p', 'update pods default p',
    'list replicasets', 'watch replicasets', 'get replicasets default rs', 'update replicasets/status default rs',
    // deployment
    'list deployments', 'watch deployments', 'get deployments default d', 'update deployments default d', 'update deployments/status default d',
    'create replicasets default rs', 'update replicasets default rs', 'delete replicasets default rs',
    // garbage collector: its resources, and owners of any kind
    ...['pods', 'replicasets', 'deployments', 'configmaps', 'secrets', 'leases', 'services', 'endpointslices'].flatMap((r) => [`list ${r}`, `watch ${r}`, `get ${r} ns x`, `update ${r} ns x`, `delete ${r} ns x`]),
    'list nodes', 'watch nodes', 'get nodes - n1', 'update nodes - n1', 'delete nodes - n1', 'get namespaces - ns', 'get serviceaccounts ns sa',
    // node lifecycle, pod gc
    'update nodes/status - n1', 'update pods/status default p', 'list leases', 'watch leases',
    // clusterrole-aggregation, serviceaccount, root-ca-cert-publisher
    'list clusterroles', 'watch clusterroles', 'update clusterroles - admin', 'escalate clusterroles - admin',
    'list namespaces', 'watch namespaces', 'list serviceaccounts', 'watch serviceaccounts', 'create serviceaccounts ns default',
    'create configmaps ns kube-root-ca.crt', 'update configmaps ns kube-root-ca.crt',
    // endpoint, endpointslice, nodeipam
    'list services', 'watch services', 'list endpoints', 'watch endpoints', 'create endpoints ns web', 'update endpoints ns web',
    'delete endpoints ns web', 'list endpointslices', 'watch endpointslices', 'create endpointslices ns web-x', 'update endpointslices ns web-x',
    'delete endpointslices ns web-x', 'get nodes - n1', 'update nodes - n1',
    // disruption
    'list poddisruptionbudgets', 'watch poddisruptionbudgets', 'update poddisruptionbudgets/status ns budget',
    // events, leader election
    'create events ns e', 'get events ns e', 'update events ns e',
    'get leases tugboat-system tugboat-controllers', 'create leases tugboat-system tugboat-controllers', 'update leases tugboat-system tugboat-controllers',
  ];
  for (const c of calls) t.true(allowed(c), c);
  for (const c of [
    'create secrets ns s', 'create namespaces - ns', 'delete namespaces - ns', 'update clusterrolebindings - x', 'create clusterroles - x',
    'create pods/binding default p', 'create leases default x', 'delete serviceaccounts ns default', 'bind clusterroles - cluster-admin',
    'create services ns web', 'update services/status ns web', 'update poddisruptionbudgets ns budget', 'create poddisruptionbudgets ns budget',
  ]) t.false(allowed(c), c);
});

test('the cluster DNS may read what it answers from and publish kube-dns in tugboat-system, and no more', (t) => {
  const rbac = defaultPolicy();
  const dns: UserInfo = { username: USER_KUBE_DNS, groups: ['system:authenticated'] };
  const allowed = (text: string): boolean => rbac.authorize(call(dns, text)).decision === 'allow';
  for (const c of [
    'list services', 'watch services', 'list endpointslices', 'watch endpointslices', 'list pods', 'watch pods', 'list namespaces', 'watch namespaces',
    'get services tugboat-system kube-dns', 'create services tugboat-system kube-dns', 'update services tugboat-system kube-dns', 'delete services tugboat-system kube-dns',
    'get endpointslices tugboat-system kube-dns-198-19-255-1', 'create endpointslices tugboat-system kube-dns-198-19-255-1', 'update endpointslices tugboat-system kube-dns-198-19-255-1',
  ]) t.true(allowed(c), c);
  for (const c of [
    'get services default web', 'update services tugboat-system other', 'delete services tugboat-system other', 'create services default web',
    'update endpointslices default web-x', 'delete endpointslices tugboat-system kube-dns-198-19-255-1', 'get secrets tugboat-system s', 'get pods default p',
    'list endpoints', 'create events default e',
  ]) t.false(allowed(c), c);
});

test('the agents\' service proxy (system:kube-proxy) has Kubernetes\' system:node-proxier: it reads, and writes only events', (t) => {
  const rbac = defaultPolicy();
  const proxy: UserInfo = { username: USER_KUBE_PROXY, groups: ['system:authenticated'] };
  const allowed = (text: string): boolean => rbac.authorize(call(proxy, text)).decision === 'allow';
  for (const c of [
    'list services', 'watch services', 'list endpointslices', 'watch endpointslices', 'list endpoints', 'watch endpoints',
    'get nodes - n1', 'list nodes', 'watch nodes', 'create events default e', 'update events default e', 'patch events default e',
  ]) t.true(allowed(c), c);
  for (const c of ['get services default web', 'update services default web', 'create endpointslices default x', 'update nodes - n1', 'list pods', 'get secrets default s']) {
    t.false(allowed(c), c);
  }
});

test('admin, edit and view gather Kubernetes\' aggregate-to-* rules: view ⊂ edit ⊂ admin', (t) => {
  const byName = (n: string): PolicyRule[] => (bootstrapClusterRoles().find((r) => r.metadata?.name === n)?.rules ?? []);
  const roles = bootstrapClusterRoles();
  for (let pass = 0; pass < 3; pass++) {
    for (const r of roles) {
      const aggregated = aggregatedRules(r, roles);
      if (aggregated) r.rules = aggregated;
    }
  }
  const rules = (n: string): PolicyRule[] => roles.find((r) => r.metadata?.name === n)?.rules ?? [];
  t.deepEqual(rules('view'), byName('system:aggregate-to-view'));
  t.true(covers(rules('edit'), rules('view')).covered);
  t.true(covers(rules('edit'), byName('system:aggregate-to-edit')).covered);
  t.true(covers(rules('admin'), rules('edit')).covered);
  t.true(covers(rules('admin'), byName('system:aggregate-to-admin')).covered);
  t.false(covers(rules('view'), [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }]).covered, 'view does not read secrets');
  t.false(covers(rules('edit'), [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['create'] }]).covered);
});

test('every authenticated user may review itself and read health and version; nobody gets more by default', (t) => {
  const rbac = defaultPolicy();
  const someone: UserInfo = { username: 'someone', groups: ['system:authenticated'] };
  const review = (resource: string, group: string): string =>
    rbac.authorize({ ...call(someone, `create ${resource}`), apiGroup: group }).decision;
  t.is(review('selfsubjectaccessreviews', 'authorization.k8s.io'), 'allow');
  t.is(review('selfsubjectrulesreviews', 'authorization.k8s.io'), 'allow');
  t.is(review('selfsubjectreviews', 'authentication.k8s.io'), 'allow');
  t.is(review('subjectaccessreviews', 'authorization.k8s.io'), 'noOpinion');
  const get = (path: string): string => rbac.authorize({ ...call(someone, 'get'), resourceRequest: false, path }).decision;
  for (const p of ['/version', '/version/', '/healthz', '/livez', '/readyz', '/api', '/apis/apps/v1']) t.is(get(p), 'allow', p);
  t.is(get('/metrics'), 'noOpinion');
  t.is(rbac.authorize(call(someone, 'list pods default')).decision, 'noOpinion');
  t.regex(rbac.authorize({ ...call({ username: 'root', groups: ['system:masters'] }, 'delete nodes - n1') }).reason,
    /ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to Group "system:masters"/);
});

test('group system:monitoring (Prometheus) reads /metrics and the health paths, and nothing else', (t) => {
  const rbac = defaultPolicy();
  const scraper: UserInfo = { username: 'tugboat-prometheus', groups: ['system:monitoring', 'system:authenticated'] };
  const get = (path: string): string => rbac.authorize({ ...call(scraper, 'get'), resourceRequest: false, path }).decision;
  for (const p of ['/metrics', '/metrics/slis', '/healthz', '/readyz/etcd', '/livez']) t.is(get(p), 'allow', p);
  t.regex(rbac.authorize({ ...call(scraper, 'get'), resourceRequest: false, path: '/metrics' }).reason, /ClusterRole "system:monitoring" to Group "system:monitoring"/);
  t.is(rbac.authorize(call(scraper, 'list pods default')).decision, 'noOpinion');
  t.is(rbac.authorize(call(scraper, 'list nodes')).decision, 'noOpinion');
});

test('every default carries Kubernetes\' bootstrapping label and autoupdate annotation', (t) => {
  const all: KubeObject[] = [...bootstrapClusterRoles(), ...bootstrapClusterRoleBindings(), ...bootstrapRoles(), ...bootstrapRoleBindings()];
  for (const o of all) {
    t.is(o.metadata?.labels?.['kubernetes.io/bootstrapping'], 'rbac-defaults', o.metadata?.name);
    t.is(o.metadata?.annotations?.[AUTOUPDATE_ANNOTATION], 'true', o.metadata?.name);
  }
  t.deepEqual(bootstrapClusterRoles().map((r) => r.metadata?.name), [
    'cluster-admin', 'admin', 'edit', 'view', 'system:aggregate-to-admin', 'system:aggregate-to-edit', 'system:aggregate-to-view',
    'system:basic-user', 'system:discovery', 'system:public-info-viewer', 'system:monitoring', 'system:kube-scheduler', 'system:kube-controller-manager',
    'system:node-proxier', 'system:kube-dns',
  ]);
});

test('reconciling a role adds what it lacks and keeps what a user added; autoupdate=false opts out', (t) => {
  const expected = bootstrapClusterRoles().find((r) => r.metadata?.name === 'system:discovery')!;
  const existing: ClusterRoleObject = {
    ...expected,
    metadata: { ...expected.metadata, labels: { mine: 'yes' }, annotations: {} },
    rules: [{ nonResourceURLs: ['/custom', '/api', '/apis'], verbs: ['get'] }],
  };
  const next = reconcileRole(existing, expected)!;
  t.is(next.metadata?.labels?.['mine'], 'yes');
  t.is(next.metadata?.labels?.['kubernetes.io/bootstrapping'], 'rbac-defaults');
  t.is(next.metadata?.annotations?.[AUTOUPDATE_ANNOTATION], 'true');
  t.deepEqual(next.rules?.[0], existing.rules![0]);
  t.true(covers(next.rules ?? [], expected.rules ?? []).covered);
  t.is(reconcileRole(next, expected), undefined, 'then nothing more to do');
  const optedOut = { ...existing, metadata: { ...existing.metadata, annotations: { [AUTOUPDATE_ANNOTATION]: 'false' } } };
  t.is(reconcileRole(optedOut, expected), undefined);
});

test('reconciling a binding adds subjects, and recreates one bound to another role', (t) => {
  const expected = bootstrapClusterRoleBindings().find((b) => b.metadata?.name === 'cluster-admin')!;
  const withOthers: ClusterRoleBindingObject = { ...expected, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'ops' }] };
  const r = reconcileBinding(withOthers, expected);
  t.is(r.op, 'update');
  t.deepEqual(r.op === 'update' ? r.object.subjects?.map((s) => s.name) : [], ['ops', 'system:masters']);
  t.deepEqual(reconcileBinding(expected, expected), { op: 'none' });
  const rebound: ClusterRoleBindingObject = { ...expected, metadata: { ...expected.metadata, uid: 'u', resourceVersion: '3' }, roleRef: { ...expected.roleRef, name: 'view' } };
  const re = reconcileBinding(rebound, expected);
  t.is(re.op, 'recreate');
  if (re.op === 'recreate') {
    t.is(re.object.roleRef.name, 'cluster-admin');
    t.is(re.object.metadata?.resourceVersion, undefined);
  }
});

// ── Reconciliation against etcd ───────────────────────────────────────────────────────────

const rv = (o: KubeObject): string => o.metadata?.resourceVersion ?? '';

test.serial('on an empty cluster everything is created and the aggregated roles filled; a second run writes nothing', async (t) => {
  const { registry } = t.context;
  const lines: string[] = [];
  await reconcileBootstrapPolicy(registry, (l) => lines.push(l));
  const defaults = bootstrapClusterRoles().length + bootstrapClusterRoleBindings().length + bootstrapRoles().length + bootstrapRoleBindings().length;
  t.deepEqual(lines, [`rbac bootstrap: created ${defaults} default roles and bindings`]);
  const roles = (await registry.list('clusterroles')).items as ClusterRoleObject[];
  t.is(roles.length, bootstrapClusterRoles().length);
  const view = roles.find((r) => r.metadata?.name === 'view')!;
  const aggregateToView = roles.find((r) => r.metadata?.name === 'system:aggregate-to-view')!;
  t.deepEqual(view.rules, aggregateToView.rules);
  const admin = roles.find((r) => r.metadata?.name === 'admin')!;
  t.true(covers(admin.rules ?? [], view.rules ?? []).covered);
  t.is((await registry.get('roles', 'tugboat-system', 'system::leader-locking-kube-scheduler')).kind, 'Role');
  t.is((await registry.get('rolebindings', 'tugboat-node-lease', 'system:kube-scheduler')).kind, 'RoleBinding');

  const before = new Map((await Promise.all(['clusterroles', 'clusterrolebindings', 'roles', 'rolebindings'].map((r) => registry.list(r))))
    .flatMap((l) => l.items).map((o) => [`${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`, rv(o)]));
  lines.length = 0;
  await reconcileBootstrapPolicy(registry, (l) => lines.push(l));
  t.deepEqual(lines, []);
  const after = new Map((await Promise.all(['clusterroles', 'clusterrolebindings', 'roles', 'rolebindings'].map((r) => registry.list(r))))
    .flatMap((l) => l.items).map((o) => [`${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`, rv(o)]));
  t.deepEqual(after, before);
});

test.serial('a restart restores what users took away, keeps what they added, and leaves opted-out objects alone', async (t) => {
  const { registry } = t.context;
  await reconcileBootstrapPolicy(registry, () => {});
  const discovery = await registry.get('clusterroles', '', 'system:discovery');
  await registry.update({ ...discovery, rules: [{ nonResourceURLs: ['/custom'], verbs: ['get'] }] });
  const admins = await registry.get('clusterrolebindings', '', 'cluster-admin');
  await registry.update({ ...admins, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'ops' }] });
  const viewer = await registry.get('clusterroles', '', 'system:public-info-viewer');
  await registry.update({ ...viewer, metadata: { ...viewer.metadata, annotations: { [AUTOUPDATE_ANNOTATION]: 'false' } }, rules: [] });
  await registry.delete('clusterroles', '', 'system:basic-user');
  await registry.delete('clusterrolebindings', '', 'system:kube-scheduler');
  await registry.create({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'system:kube-scheduler' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'extra' }],
  });
  // A user's role that asks to be part of view.
  await registry.create({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole',
    metadata: { name: 'widgets-view', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } },
    rules: [{ apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get'] }],
  });

  const lines: string[] = [];
  await reconcileBootstrapPolicy(registry, (l) => lines.push(l));
  const rules = ((await registry.get('clusterroles', '', 'system:discovery')) as ClusterRoleObject).rules ?? [];
  t.deepEqual(rules[0], { nonResourceURLs: ['/custom'], verbs: ['get'] });
  t.true(covers(rules, bootstrapClusterRoles().find((r) => r.metadata?.name === 'system:discovery')!.rules ?? []).covered);
  t.deepEqual(((await registry.get('clusterrolebindings', '', 'cluster-admin')).subjects as { name: string }[]).map((s) => s.name), ['ops', 'system:masters']);
  t.deepEqual((await registry.get('clusterroles', '', 'system:public-info-viewer')).rules, []);
  t.is((await registry.get('clusterroles', '', 'system:basic-user')).kind, 'ClusterRole');
  const schedulerBinding = await registry.get('clusterrolebindings', '', 'system:kube-scheduler');
  t.like(schedulerBinding.roleRef, { name: 'system:kube-scheduler' });
  t.deepEqual((schedulerBinding.subjects as { name: string }[]).map((s) => s.name), ['extra', 'system:kube-scheduler']);
  for (const name of ['view', 'edit', 'admin']) {
    const r = (await registry.get('clusterroles', '', name)) as ClusterRoleObject;
    t.true(covers(r.rules ?? [], [{ apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get'] }]).covered, name);
  }
  t.true(lines.some((l) => l.includes('updated clusterrole.rbac.authorization.k8s.io/system:discovery')), lines.join('\n'));
  t.true(lines.some((l) => l.includes('recreated clusterrolebinding.rbac.authorization.k8s.io/system:kube-scheduler')), lines.join('\n'));
});

test.serial('the controller manager may write aggregated rules (escalate), a user with only edit rights may not', async (t) => {
  const rbac = defaultPolicy();
  const admin = bootstrapClusterRoles().find((r) => r.metadata?.name === 'admin')!;
  const write = (user: UserInfo) => checkRbacWrite({
    user, object: { ...admin, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] }, oldObject: admin, namespace: '',
    authorize: (a) => rbac.authorize(a).decision === 'allow',
    rulesFor: (u, ns) => rbac.rulesFor(u, ns),
    lookupRole: (ref, ns) => rbac.roleRefRules(ref, ns),
  });
  t.is(await write(controllerManager), undefined);
  t.is((await write(scheduler))?.reason, 'Forbidden');
});
