import test from 'ava';
import { ApiError, type KubeObject, type PolicyRule, type Subject, type UserInfo } from '@tugboat/api';
import { MemoryStore } from '../../cache/object-store.js';
import { checkRbacWrite, type RbacWriteCheck } from './escalation.js';
import { RbacAuthorizer } from './rbac-authorizer.js';

const G = 'rbac.authorization.k8s.io';
const V = `${G}/v1`;
const alice: UserInfo = { username: 'alice', groups: ['dev', 'system:authenticated'] };
const readPods: PolicyRule = { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] };
const everything: PolicyRule[] = [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['*'] }];

/** A cluster where alice holds `clusterRules` everywhere and `nsRules` in namespace "a". */
function setup(clusterRules: PolicyRule[], nsRules: PolicyRule[] = []) {
  const s = {
    roles: new MemoryStore<KubeObject>(),
    clusterRoles: new MemoryStore<KubeObject>(),
    roleBindings: new MemoryStore<KubeObject>(),
    clusterRoleBindings: new MemoryStore<KubeObject>(),
  };
  const subjects: Subject[] = [{ apiGroup: G, kind: 'User', name: 'alice' }];
  s.clusterRoles.put({ apiVersion: V, kind: 'ClusterRole', metadata: { name: 'alice-cluster' }, rules: clusterRules });
  s.clusterRoles.put({ apiVersion: V, kind: 'ClusterRole', metadata: { name: 'pod-reader' }, rules: [readPods] });
  s.roles.put({ apiVersion: V, kind: 'Role', metadata: { name: 'alice-local', namespace: 'a' }, rules: nsRules });
  s.clusterRoleBindings.put({ apiVersion: V, kind: 'ClusterRoleBinding', metadata: { name: 'alice' }, roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'alice-cluster' }, subjects });
  s.roleBindings.put({ apiVersion: V, kind: 'RoleBinding', metadata: { name: 'alice', namespace: 'a' }, roleRef: { apiGroup: G, kind: 'Role', name: 'alice-local' }, subjects });
  const rbac = new RbacAuthorizer(s);
  return (object: KubeObject, namespace: string, more: Partial<RbacWriteCheck> = {}): Promise<ApiError | undefined> => checkRbacWrite({
    user: alice,
    object,
    namespace,
    authorize: (attrs) => rbac.authorize(attrs).decision === 'allow',
    rulesFor: (u, ns) => rbac.rulesFor(u, ns),
    lookupRole: (ref, ns) => rbac.roleRefRules(ref, ns),
    ...more,
  });
}

const roleObj = (name: string, ns: string, rules: PolicyRule[]): KubeObject => ({ apiVersion: V, kind: 'Role', metadata: { name, namespace: ns }, rules });
const clusterRoleObj = (name: string, rules: PolicyRule[], extra: KubeObject = {}): KubeObject => ({ apiVersion: V, kind: 'ClusterRole', metadata: { name }, rules, ...extra });
const bindingObj = (name: string, ns: string, kind: 'Role' | 'ClusterRole', role: string): KubeObject =>
  ({ apiVersion: V, kind: 'RoleBinding', metadata: { name, namespace: ns }, roleRef: { apiGroup: G, kind, name: role }, subjects: [{ apiGroup: G, kind: 'User', name: 'bob' }] });
const clusterBindingObj = (name: string, role: string): KubeObject =>
  ({ apiVersion: V, kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: G, kind: 'ClusterRole', name: role }, subjects: [{ apiGroup: G, kind: 'User', name: 'bob' }] });

test('a Role may grant what its writer holds there, and nothing more (Kubernetes\' message, on one line)', async (t) => {
  const check = setup([], [readPods]);
  t.is(await check(roleObj('r', 'a', [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]), 'a'), undefined);
  const err = await check(roleObj('r', 'a', [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'delete'] }]), 'a');
  t.true(err instanceof ApiError);
  t.is(err?.reason, 'Forbidden');
  t.is(err?.message, `roles.${G} "r" is forbidden: user "alice" (groups=["dev" "system:authenticated"]) is attempting to grant RBAC permissions not currently held: {APIGroups:[""], Resources:["pods"], Verbs:["delete"]}`);
  t.is((await check(roleObj('r', 'b', [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]), 'b'))?.reason, 'Forbidden', 'held in a, not in b');
});

test('several missing rules: compacted by resource, sorted, on one line', async (t) => {
  const check = setup([]);
  const err = await check(roleObj('r', 'a', [
    { apiGroups: [''], resources: ['secrets', 'pods'], verbs: ['get', 'list'] },
    { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'], resourceNames: ['web'] },
  ]), 'a');
  t.regex(err?.message ?? '', /not currently held: \{APIGroups:\[""\], Resources:\["pods"\], Verbs:\["get" "list"\]\} \{APIGroups:\[""\], Resources:\["secrets"\], Verbs:\["get" "list"\]\} \{APIGroups:\["apps"\], Resources:\["deployments"\], ResourceNames:\["web"\], Verbs:\["get"\]\}$/);
});

test('the escalate verb lets a user write any role it covers; system:masters always may', async (t) => {
  const wide = [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }];
  const check = setup([], [{ apiGroups: [G], resources: ['roles'], verbs: ['escalate'] }]);
  t.is(await check(roleObj('r', 'a', wide), 'a'), undefined);
  t.is((await check(roleObj('r', 'b', wide), 'b'))?.reason, 'Forbidden', 'escalate was granted in a only');
  t.is(await check(roleObj('r', 'b', wide), 'b', { user: { username: 'root', groups: ['system:masters'] } }), undefined);
  const named = setup([{ apiGroups: [G], resources: ['clusterroles'], verbs: ['escalate'], resourceNames: ['mine'] }]);
  t.is(await named(clusterRoleObj('mine', wide), ''), undefined);
  t.is((await named(clusterRoleObj('other', wide), ''))?.reason, 'Forbidden');
});

test('a ClusterRole needs its rules held cluster-wide; an aggregationRule needs full authority', async (t) => {
  const nsOnly = setup([], [readPods]);
  t.is((await nsOnly(clusterRoleObj('c', [readPods]), ''))?.reason, 'Forbidden');
  const cluster = setup([readPods]);
  t.is(await cluster(clusterRoleObj('c', [readPods]), ''), undefined);
  const aggregated = clusterRoleObj('agg', [], { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { x: 'true' } }] } });
  t.is((await cluster(aggregated, ''))?.message, `clusterroles.${G} "agg" is forbidden: must have cluster-admin privileges to use the aggregationRule`);
  t.is(await setup(everything)(aggregated, ''), undefined);
  // Taking the aggregationRule away is changing it too.
  t.is((await cluster(clusterRoleObj('agg', []), '', { oldObject: aggregated }))?.reason, 'Forbidden');
});

test('a binding needs the bound role\'s rules held where the binding applies, or the bind verb', async (t) => {
  const check = setup([], [readPods]);
  t.is(await check(bindingObj('b', 'a', 'ClusterRole', 'pod-reader'), 'a'), undefined);
  const err = await check(bindingObj('b', 'c', 'ClusterRole', 'pod-reader'), 'c');
  t.is(err?.message, `rolebindings.${G} "b" is forbidden: user "alice" (groups=["dev" "system:authenticated"]) is attempting to grant RBAC permissions not currently held: {APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}`);
  t.is((await check(clusterBindingObj('b', 'pod-reader'), ''))?.message.startsWith(`clusterrolebindings.${G} "b" is forbidden: user "alice"`), true);
  t.is((await check(bindingObj('b', 'a', 'Role', 'nope'), 'a'))?.message, `roles.${G} "nope" not found`);
  t.is((await check(bindingObj('b', 'a', 'ClusterRole', 'nope'), 'a'))?.reason, 'NotFound');

  const binder = setup([], [{ apiGroups: [G], resources: ['clusterroles'], verbs: ['bind'], resourceNames: ['pod-reader'] }]);
  t.is(await binder(bindingObj('b', 'a', 'ClusterRole', 'pod-reader'), 'a'), undefined, 'bind in a, for that role');
  t.is((await binder(bindingObj('b', 'a', 'ClusterRole', 'nope'), 'a'))?.reason, 'NotFound', 'another role, which does not exist');
  t.is((await binder(clusterBindingObj('b', 'pod-reader'), ''))?.reason, 'Forbidden', 'bind was granted in a, not cluster-wide');
  // Permission to bind does not need the role to exist (Kubernetes checks that only when comparing rules).
  const anyBinder = setup([{ apiGroups: [G], resources: ['roles', 'clusterroles'], verbs: ['bind'] }]);
  t.is(await anyBinder(clusterBindingObj('b', 'not-yet'), ''), undefined);
});

test('updates that only change owner references or finalizers pass; other kinds are not checked', async (t) => {
  const check = setup([]);
  const old: KubeObject = { ...roleObj('r', 'a', everything.slice(0, 1)), metadata: { name: 'r', namespace: 'a', resourceVersion: '5', uid: 'u1' } };
  const gcOnly: KubeObject = { ...old, metadata: { ...old.metadata, resourceVersion: '6', finalizers: ['foregroundDeletion'], ownerReferences: [] } };
  t.is(await check(gcOnly, 'a', { oldObject: old }), undefined);
  t.is((await check({ ...gcOnly, metadata: { ...gcOnly.metadata, labels: { x: 'y' } } }, 'a', { oldObject: old }))?.reason, 'Forbidden');
  t.is(await check({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'a' } }, 'a'), undefined);
});
