import test from 'ava';
import { CONSOLE_ACCOUNT, CONSOLE_ROLE, consoleRbac, consoleUrl } from './console.js';

test('consoleUrl: the API server\'s HTTPS port, /console/ (the first of several addresses)', (t) => {
  t.is(consoleUrl('127.0.0.1:6443'), 'https://127.0.0.1:6443/console/');
  t.is(consoleUrl('https://10.0.0.1:6443/'), 'https://10.0.0.1:6443/console/');
  t.is(consoleUrl('127.0.0.1:6443,127.0.0.1:6444'), 'https://127.0.0.1:6443/console/');
});

test('consoleRbac: a ServiceAccount bound to a read-only ClusterRole', (t) => {
  const [sa, role, binding] = consoleRbac('tugboat-system');
  t.is(sa?.kind, 'ServiceAccount');
  t.is(sa?.metadata?.name, CONSOLE_ACCOUNT);
  const rules = role?.['rules'] as { verbs: string[]; resources: string[] }[];
  t.true(rules.every((r) => r.verbs.every((v) => ['get', 'list', 'watch'].includes(v))), 'read only');
  t.false(rules.some((r) => r.resources.includes('secrets')), 'never secrets');
  t.true(rules.some((r) => r.resources.includes('pods/log')));
  t.deepEqual(binding?.['roleRef'], { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: CONSOLE_ROLE });
  t.deepEqual(binding?.['subjects'], [{ kind: 'ServiceAccount', name: CONSOLE_ACCOUNT, namespace: 'tugboat-system' }]);
});
