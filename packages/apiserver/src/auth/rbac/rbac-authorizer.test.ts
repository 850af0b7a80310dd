import test from 'ava';
import { serviceAccountGroups, serviceAccountUsername, type KubeObject, type PolicyRule, type Subject, type UserInfo } from '@tugboat/api';
import { MemoryStore, type ObjectStore } from '../../cache/object-store.js';
import type { RequestAttributes } from '../authorizer.js';
import { RbacAuthorizer, type ClusterRoleBindingObject, type ClusterRoleObject, type RoleBindingObject, type RoleObject } from './rbac-authorizer.js';

const G = 'rbac.authorization.k8s.io';
const V = `${G}/v1`;

const clusterRole = (name: string, rules: PolicyRule[]): ClusterRoleObject => ({ apiVersion: V, kind: 'ClusterRole', metadata: { name }, rules });
const role = (ns: string, name: string, rules: PolicyRule[]): RoleObject => ({ apiVersion: V, kind: 'Role', metadata: { name, namespace: ns }, rules });
const crb = (name: string, roleName: string, subjects: Subject[]): ClusterRoleBindingObject =>
  ({ apiVersion: V, kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: G, kind: 'ClusterRole', name: roleName }, subjects });
const rb = (ns: string, name: string, kind: 'Role' | 'ClusterRole', roleName: string, subjects: Subject[]): RoleBindingObject =>
  ({ apiVersion: V, kind: 'RoleBinding', metadata: { name, namespace: ns }, roleRef: { apiGroup: G, kind, name: roleName }, subjects });
const userSubject = (name: string): Subject => ({ apiGroup: G, kind: 'User', name });
const groupSubject = (name: string): Subject => ({ apiGroup: G, kind: 'Group', name });

const readPods: PolicyRule = { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] };

function stores() {
  return {
    roles: new MemoryStore<KubeObject>(),
    clusterRoles: new MemoryStore<KubeObject>(),
    roleBindings: new MemoryStore<KubeObject>(),
    clusterRoleBindings: new MemoryStore<KubeObject>(),
  };
}

const alice: UserInfo = { username: 'alice', groups: ['dev', 'system:authenticated'] };
const saUser = (ns: string, name: string): UserInfo => ({ username: serviceAccountUsername(ns, name), groups: serviceAccountGroups(ns) });

function attrs(user: UserInfo, verb: string, resource: string, namespace: string, extra: Partial<RequestAttributes> = {}): RequestAttributes {
  return { user, verb, resourceRequest: true, apiGroup: '', resource, subresource: '', namespace, name: '', path: '', ...extra };
}

test('a ClusterRoleBinding grants its rules in every namespace and cluster-wide, with Kubernetes\' reason', (t) => {
  const s = stores();
  s.clusterRoles.put(clusterRole('pod-reader', [readPods]));
  s.clusterRoleBindings.put(crb('devs-read', 'pod-reader', [userSubject('bob'), groupSubject('dev')]));
  const rbac = new RbacAuthorizer(s);
  t.deepEqual(rbac.authorize(attrs(alice, 'list', 'pods', 'any')), {
    decision: 'allow', reason: 'RBAC: allowed by ClusterRoleBinding "devs-read" of ClusterRole "pod-reader" to Group "dev"',
  });
  t.is(rbac.authorize(attrs(alice, 'list', 'pods', '')).decision, 'allow');
  t.deepEqual(rbac.authorize(attrs(alice, 'delete', 'pods', 'any')), { decision: 'noOpinion', reason: '' });
  t.is(rbac.authorize(attrs({ username: 'carol', groups: ['system:authenticated'] }, 'get', 'pods', 'any')).decision, 'noOpinion');
});

test('a RoleBinding grants only in its namespace, to a ServiceAccount named without a namespace too', (t) => {
  const s = stores();
  s.roles.put(role('a', 'pod-reader', [readPods]));
  s.roleBindings.put(rb('a', 'reader-reads-pods', 'Role', 'pod-reader', [{ kind: 'ServiceAccount', name: 'reader' }]));
  const rbac = new RbacAuthorizer(s);
  const reader = saUser('a', 'reader');
  t.deepEqual(rbac.authorize(attrs(reader, 'get', 'pods', 'a')), {
    decision: 'allow', reason: 'RBAC: allowed by RoleBinding "reader-reads-pods/a" of Role "pod-reader" to ServiceAccount "reader/a"',
  });
  t.is(rbac.authorize(attrs(reader, 'get', 'pods', 'b')).decision, 'noOpinion');
  t.is(rbac.authorize(attrs(reader, 'list', 'pods', '')).decision, 'noOpinion', 'a list across namespaces is not in namespace a');
  t.is(rbac.authorize(attrs(saUser('b', 'reader'), 'get', 'pods', 'a')).decision, 'noOpinion', 'b:reader is another account');
});

test('a RoleBinding to a ClusterRole grants its rules in that namespace only', (t) => {
  const s = stores();
  s.clusterRoles.put(clusterRole('edit-ish', [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['*'] }]));
  s.roleBindings.put(rb('team', 'alice-edits', 'ClusterRole', 'edit-ish', [userSubject('alice')]));
  const rbac = new RbacAuthorizer(s);
  t.is(rbac.authorize(attrs(alice, 'delete', 'deployments', 'team', { apiGroup: 'apps', name: 'web' })).decision, 'allow');
  t.is(rbac.authorize(attrs(alice, 'delete', 'deployments', 'other', { apiGroup: 'apps', name: 'web' })).decision, 'noOpinion');
  t.is(rbac.authorize(attrs(alice, 'list', 'deployments', '', { apiGroup: 'apps' })).decision, 'noOpinion');
  t.true(rbac.authorize(attrs(alice, 'delete', 'deployments', 'team', { apiGroup: 'apps' })).reason.includes('of ClusterRole "edit-ish" to User "alice"'));
});

test('non-resource paths are granted by ClusterRoleBindings', (t) => {
  const s = stores();
  s.clusterRoles.put(clusterRole('health', [{ nonResourceURLs: ['/healthz', '/version'], verbs: ['get'] }]));
  s.clusterRoleBindings.put(crb('health', 'health', [groupSubject('system:authenticated')]));
  const rbac = new RbacAuthorizer(s);
  const get = (p: string): string => rbac.authorize({ ...attrs(alice, 'get', '', ''), resourceRequest: false, path: p }).decision;
  t.is(get('/version'), 'allow');
  t.is(get('/metrics'), 'noOpinion');
});

test('a binding to a missing role allows nothing, and says why', (t) => {
  const s = stores();
  s.clusterRoleBindings.put(crb('dangling', 'gone', [userSubject('alice')]));
  s.roleBindings.put(rb('a', 'dangling', 'Role', 'missing', [userSubject('alice')]));
  const rbac = new RbacAuthorizer(s);
  t.deepEqual(rbac.authorize(attrs(alice, 'get', 'pods', '')), { decision: 'noOpinion', reason: `RBAC: clusterrole.${G} "gone" not found` });
  t.deepEqual(rbac.authorize(attrs(alice, 'get', 'pods', 'a')), {
    decision: 'noOpinion', reason: `RBAC: [clusterrole.${G} "gone" not found, role.${G} "missing" not found]`,
  });
});

test('the first subject of a binding that is the user is the one reported', (t) => {
  const s = stores();
  s.clusterRoles.put(clusterRole('r', [readPods]));
  s.clusterRoleBindings.put(crb('both', 'r', [groupSubject('dev'), userSubject('alice')]));
  const rbac = new RbacAuthorizer(s);
  t.regex(rbac.authorize(attrs(alice, 'get', 'pods', 'x')).reason, /to Group "dev"$/);
});

test('changes to bindings and roles count at once', (t) => {
  const s = stores();
  const rbac = new RbacAuthorizer(s);
  const check = (): string => rbac.authorize(attrs(alice, 'get', 'pods', 'x')).decision;
  t.is(check(), 'noOpinion');
  s.clusterRoles.put(clusterRole('r', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }]));
  s.clusterRoleBindings.put(crb('b', 'r', [userSubject('alice')]));
  t.is(check(), 'noOpinion', 'bound, but the role does not allow pods');
  s.clusterRoles.put(clusterRole('r', [readPods]));
  t.is(check(), 'allow', 'the edited role');
  s.clusterRoleBindings.remove('', 'b');
  t.is(check(), 'noOpinion', 'the binding is gone');
  s.roleBindings.put(rb('x', 'b', 'ClusterRole', 'r', [groupSubject('dev')]));
  t.is(check(), 'allow', 'a new RoleBinding');
});

test('rulesFor: the cluster-wide rules, plus those of the namespace asked for', (t) => {
  const s = stores();
  const a: PolicyRule = { apiGroups: [''], resources: ['a'], verbs: ['get'] };
  const b: PolicyRule = { apiGroups: [''], resources: ['b'], verbs: ['get'] };
  const c: PolicyRule = { apiGroups: [''], resources: ['c'], verbs: ['get'] };
  s.clusterRoles.put(clusterRole('ca', [a]));
  s.clusterRoles.put(clusterRole('cb', [b]));
  s.roles.put(role('ns1', 'rc', [c]));
  s.clusterRoleBindings.put(crb('x', 'ca', [userSubject('alice')]));
  s.roleBindings.put(rb('ns1', 'y', 'ClusterRole', 'cb', [groupSubject('dev')]));
  s.roleBindings.put(rb('ns1', 'z', 'Role', 'rc', [userSubject('alice')]));
  s.roleBindings.put(rb('ns2', 'z', 'Role', 'rc', [userSubject('alice')]));
  const rbac = new RbacAuthorizer(s);
  t.deepEqual(rbac.rulesFor(alice, ''), [a]);
  t.deepEqual(rbac.rulesFor(alice, 'ns1'), [a, b, c]);
  t.deepEqual(rbac.resolve(alice, 'ns2'), { rules: [a], errors: [`role.${G} "rc" not found`] });
  t.deepEqual(rbac.roleRefRules({ apiGroup: G, kind: 'Role', name: 'rc' }, 'ns1'), [c]);
  t.is(rbac.roleRefRules({ apiGroup: G, kind: 'Role', name: 'rc' }, 'ns2'), undefined);
});

/** Counts full scans of a store, to see that the index is not rebuilt per request. */
class CountingStore implements ObjectStore {
  scans = 0;
  constructor(private readonly inner: MemoryStore<KubeObject>) {}
  get(namespace: string, name: string): KubeObject | undefined { return this.inner.get(namespace, name); }
  list(namespace?: string): Iterable<KubeObject> { this.scans++; return this.inner.list(namespace); }
  get generation(): number { return this.inner.generation; }
}

test('1,000 bindings: each request looks up its own subjects, and the index is built once per change', (t) => {
  const s = stores();
  s.clusterRoles.put(clusterRole('pod-reader', [readPods]));
  s.clusterRoles.put(clusterRole('cm-writer', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['create'] }]));
  for (let i = 0; i < 500; i++) {
    s.clusterRoleBindings.put(crb(`user-${i}`, i % 2 ? 'pod-reader' : 'cm-writer', [userSubject(`user-${i}`)]));
    s.roleBindings.put(rb(`ns-${i % 50}`, `sa-${i}`, 'ClusterRole', 'pod-reader', [{ kind: 'ServiceAccount', name: `sa-${i}` }]));
  }
  const crbs = new CountingStore(s.clusterRoleBindings);
  const rbs = new CountingStore(s.roleBindings);
  const rbac = new RbacAuthorizer({ ...s, clusterRoleBindings: crbs, roleBindings: rbs });
  let allowed = 0;
  for (let i = 0; i < 500; i++) {
    const u: UserInfo = { username: `user-${i}`, groups: ['system:authenticated'] };
    const podDecision = rbac.authorize(attrs(u, 'get', 'pods', 'ns-1')).decision;
    t.is(podDecision, i % 2 ? 'allow' : 'noOpinion', `user-${i} pods`);
    t.is(rbac.authorize(attrs(u, 'create', 'configmaps', 'ns-1')).decision, i % 2 ? 'noOpinion' : 'allow', `user-${i} configmaps`);
    const sa = saUser(`ns-${i % 50}`, `sa-${i}`);
    if (rbac.authorize(attrs(sa, 'list', 'pods', `ns-${i % 50}`)).decision === 'allow') allowed++;
    t.is(rbac.authorize(attrs(sa, 'list', 'pods', `ns-${(i + 1) % 50}`)).decision, 'noOpinion');
  }
  t.is(allowed, 500);
  t.is(crbs.scans, 1);
  t.is(rbs.scans, 1);
  s.roleBindings.put(rb('ns-0', 'late', 'ClusterRole', 'cm-writer', [userSubject('user-1')]));
  t.is(rbac.authorize(attrs({ username: 'user-1', groups: [] }, 'create', 'configmaps', 'ns-0')).decision, 'allow');
  t.is(rbac.authorize(attrs({ username: 'user-1', groups: [] }, 'create', 'configmaps', 'ns-0')).decision, 'allow');
  t.is(rbs.scans, 2, 'rebuilt once after the change');
});
