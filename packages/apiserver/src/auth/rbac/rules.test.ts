import test from 'ava';
import type { PolicyRule, UserInfo } from '@tugboat/api';
import { appliesTo, breakdownRule, compactRules, compactString, covers, ruleAllows, type RuleRequest } from './rules.js';

const req = (verb: string, resource: string, extra: Partial<RuleRequest> = {}): RuleRequest =>
  ({ verb, resourceRequest: true, apiGroup: '', resource, subresource: '', name: '', path: '', ...extra });
const path = (verb: string, p: string): RuleRequest => ({ verb, resourceRequest: false, apiGroup: '', resource: '', subresource: '', name: '', path: p });

test('a rule allows the verbs, groups and resources it names, and "*" for any', (t) => {
  const r: PolicyRule = { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] };
  t.true(ruleAllows(req('get', 'pods'), r));
  t.false(ruleAllows(req('delete', 'pods'), r));
  t.false(ruleAllows(req('get', 'pods', { apiGroup: 'apps' }), r), 'another group');
  t.false(ruleAllows(req('get', 'secrets'), r));
  t.true(ruleAllows(req('delete', 'deployments', { apiGroup: 'apps' }), { apiGroups: ['*'], resources: ['*'], verbs: ['*'] }));
});

test('subresources: named in full, "*" covers them, "*/status" names one subresource of everything', (t) => {
  const status = req('update', 'pods', { subresource: 'status' });
  t.false(ruleAllows(status, { apiGroups: [''], resources: ['pods'], verbs: ['update'] }), '"pods" is not "pods/status"');
  t.true(ruleAllows(status, { apiGroups: [''], resources: ['pods/status'], verbs: ['update'] }));
  t.true(ruleAllows(status, { apiGroups: [''], resources: ['*'], verbs: ['update'] }));
  t.true(ruleAllows(status, { apiGroups: [''], resources: ['*/status'], verbs: ['update'] }));
  t.false(ruleAllows(req('get', 'pods', { subresource: 'log' }), { apiGroups: [''], resources: ['*/status'], verbs: ['get'] }));
  t.false(ruleAllows(req('update', 'pods'), { apiGroups: [''], resources: ['*/status'], verbs: ['update'] }), 'no subresource asked');
});

test('resourceNames restrict a rule to those names; a request without a name (list, watch) is not allowed by it', (t) => {
  const r: PolicyRule = { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list'], resourceNames: ['mine'] };
  t.true(ruleAllows(req('get', 'leases', { apiGroup: 'coordination.k8s.io', name: 'mine' }), r));
  t.false(ruleAllows(req('get', 'leases', { apiGroup: 'coordination.k8s.io', name: 'theirs' }), r));
  t.false(ruleAllows(req('list', 'leases', { apiGroup: 'coordination.k8s.io' }), r));
});

test('non-resource paths match exactly or by a trailing "*", and never match resource requests', (t) => {
  const r: PolicyRule = { nonResourceURLs: ['/healthz', '/apis/*'], verbs: ['get'] };
  t.true(ruleAllows(path('get', '/healthz'), r));
  t.false(ruleAllows(path('get', '/healthz/etcd'), r));
  t.true(ruleAllows(path('get', '/apis/apps/v1'), r));
  t.false(ruleAllows(path('get', '/apis'), r), '"/apis/*" needs the slash');
  t.false(ruleAllows(path('post', '/healthz'), r));
  t.true(ruleAllows(path('get', '/anything'), { nonResourceURLs: ['*'], verbs: ['*'] }));
  t.false(ruleAllows(req('get', 'pods'), r));
  t.false(ruleAllows(path('get', '/healthz'), { apiGroups: ['*'], resources: ['*'], verbs: ['*'] }), 'resource rules do not grant paths');
});

test('subjects: users and groups by name; a ServiceAccount without a namespace is the binding\'s own', (t) => {
  const sa: UserInfo = { username: 'system:serviceaccount:a:reader', groups: ['system:serviceaccounts', 'system:serviceaccounts:a', 'system:authenticated'] };
  const alice: UserInfo = { username: 'alice', groups: ['dev', 'system:authenticated'] };
  t.true(appliesTo(alice, { kind: 'User', name: 'alice' }, 'a'));
  t.false(appliesTo(alice, { kind: 'User', name: 'bob' }, 'a'));
  t.true(appliesTo(alice, { kind: 'Group', name: 'dev' }, ''));
  t.false(appliesTo(alice, { kind: 'Group', name: 'alice' }, ''), 'a user name is not a group');
  t.true(appliesTo(sa, { kind: 'ServiceAccount', name: 'reader', namespace: 'a' }, 'b'));
  t.true(appliesTo(sa, { kind: 'ServiceAccount', name: 'reader' }, 'a'));
  t.false(appliesTo(sa, { kind: 'ServiceAccount', name: 'reader' }, 'b'));
  t.false(appliesTo(sa, { kind: 'ServiceAccount', name: 'reader' }, ''), 'in a ClusterRoleBinding the namespace is required');
  t.true(appliesTo(sa, { kind: 'Group', name: 'system:serviceaccounts' }, ''));
  t.true(appliesTo(sa, { kind: 'Group', name: 'system:serviceaccounts:a' }, ''));
  t.false(appliesTo(sa, { kind: 'Group', name: 'system:serviceaccounts:b' }, ''));
  t.false(appliesTo(alice, { kind: 'Robot', name: 'alice' }, 'a'), 'unknown kinds match nobody');
});

test('breakdown: one group, resource, verb and name per piece; paths by verb', (t) => {
  t.deepEqual(breakdownRule({ apiGroups: ['', 'apps'], resources: ['x'], verbs: ['get', 'list'] }), [
    { apiGroups: [''], resources: ['x'], verbs: ['get'] },
    { apiGroups: [''], resources: ['x'], verbs: ['list'] },
    { apiGroups: ['apps'], resources: ['x'], verbs: ['get'] },
    { apiGroups: ['apps'], resources: ['x'], verbs: ['list'] },
  ]);
  t.deepEqual(breakdownRule({ apiGroups: [''], resources: ['cm'], verbs: ['get'], resourceNames: ['a', 'b'] }), [
    { apiGroups: [''], resources: ['cm'], verbs: ['get'], resourceNames: ['a'] },
    { apiGroups: [''], resources: ['cm'], verbs: ['get'], resourceNames: ['b'] },
  ]);
  t.deepEqual(breakdownRule({ nonResourceURLs: ['/a', '/b'], verbs: ['get'] }), [
    { nonResourceURLs: ['/a'], verbs: ['get'] },
    { nonResourceURLs: ['/b'], verbs: ['get'] },
  ]);
});

test('covers: everything the owner allows, piece by piece, and the pieces it does not', (t) => {
  const owner: PolicyRule[] = [
    { apiGroups: [''], resources: ['pods', 'configmaps'], verbs: ['get', 'list'] },
    { apiGroups: ['apps'], resources: ['*'], verbs: ['*'] },
    { nonResourceURLs: ['/healthz', '/api/*'], verbs: ['get'] },
  ];
  t.deepEqual(covers(owner, [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]), { covered: true, missing: [] });
  // Split across two owner rules: each piece is covered by one of them.
  t.true(covers(owner, [{ apiGroups: ['', 'apps'], resources: ['pods'], verbs: ['list'] }]).covered);
  t.true(covers(owner, [{ nonResourceURLs: ['/api/v1', '/healthz'], verbs: ['get'] }]).covered);
  t.deepEqual(covers(owner, [{ apiGroups: [''], resources: ['pods', 'secrets'], verbs: ['get', 'delete'] }]).missing, [
    { apiGroups: [''], resources: ['pods'], verbs: ['delete'] },
    { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
    { apiGroups: [''], resources: ['secrets'], verbs: ['delete'] },
  ]);
  t.false(covers(owner, [{ nonResourceURLs: ['/apis'], verbs: ['get'] }]).covered);
  t.true(covers([], []).covered);
});

test('covers: names, and Kubernetes\' literal treatment of wildcards in the requested rules', (t) => {
  const named: PolicyRule[] = [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['a', 'b'] }];
  t.true(covers(named, [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['b'] }]).covered);
  t.false(covers(named, [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }]).covered, 'names do not cover all names');
  t.true(covers([{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }], named).covered, 'all names cover some');
  // Only "*" itself is a wildcard to the comparator: "*/status" covers the literal "*/status" only.
  t.false(covers([{ apiGroups: [''], resources: ['*/status'], verbs: ['update'] }], [{ apiGroups: [''], resources: ['pods/status'], verbs: ['update'] }]).covered);
  t.false(covers([{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }], [{ apiGroups: [''], resources: ['*'], verbs: ['get'] }]).covered);
  t.true(covers([{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }], [{ apiGroups: ['x'], resources: ['*'], verbs: ['escalate'] }]).covered);
  t.false(covers([{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }], [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }]).covered);
});

test('missing rules are compacted by group and resource and printed as Kubernetes prints them', (t) => {
  const { missing } = covers([], [
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'delete'] },
    { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['db'] },
    { nonResourceURLs: ['/metrics'], verbs: ['get'] },
  ]);
  t.deepEqual(compactRules(missing).map(compactString), [
    '{APIGroups:[""], Resources:["secrets"], ResourceNames:["db"], Verbs:["get"]}',
    '{NonResourceURLs:["/metrics"], Verbs:["get"]}',
    '{APIGroups:[""], Resources:["pods"], Verbs:["get" "delete"]}',
  ]);
});
