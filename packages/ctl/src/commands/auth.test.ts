import test from 'ava';
import { UsageError } from '../errors.js';
import { startSecureServer, type SecureServer } from '../testing/secure-server.js';
import { accessQuestion, whoamiTable } from './auth.js';

let server: SecureServer;
test.before(async () => { server = await startSecureServer(); });
test.after.always(async () => { await server?.stop(); });

const ns = { namespace: 'team' };

test('can-i arguments: kinds through the registry, names, subresources, non-resource paths', (t) => {
  t.deepEqual(accessQuestion(['list', 'po'], ns), { kind: 'resource', attributes: { namespace: 'team', verb: 'list', resource: 'pods' }, warnings: [] });
  t.deepEqual(accessQuestion(['get', 'deploy/web'], ns).attributes, { namespace: 'team', verb: 'get', group: 'apps', resource: 'deployments', name: 'web' });
  t.deepEqual(accessQuestion(['delete', 'deployments.apps', 'web'], ns).attributes, { namespace: 'team', verb: 'delete', group: 'apps', resource: 'deployments', name: 'web' });
  t.deepEqual(accessQuestion(['get', 'pods'], { namespace: 'team', subresource: 'log' }).attributes, { namespace: 'team', verb: 'get', resource: 'pods', subresource: 'log' });
  t.deepEqual(accessQuestion(['*', '*'], { namespace: '' }), { kind: 'resource', attributes: { verb: '*', resource: '*' }, warnings: [] });
  t.deepEqual(accessQuestion(['get', '/healthz'], ns), { kind: 'non-resource', attributes: { verb: 'get', path: '/healthz' }, warnings: [] });
  t.deepEqual(accessQuestion(['get'], { ...ns, path: '/metrics' }).attributes, { verb: 'get', path: '/metrics' });
});

test('can-i warns as kubectl does, and still asks', (t) => {
  t.deepEqual(accessQuestion(['get', 'widgets'], ns), {
    kind: 'resource', attributes: { namespace: 'team', verb: 'get', resource: 'widgets' }, warnings: ["the server doesn't have a resource type 'widgets'"],
  });
  t.deepEqual(accessQuestion(['get', 'widgets.example.com'], ns).warnings, ["the server doesn't have a resource type 'widgets' in group 'example.com'"]);
  t.deepEqual(accessQuestion(['impersonate', 'users'], ns).warnings, []);
  t.deepEqual(accessQuestion(['list', 'nodes'], ns).warnings, ["resource 'nodes' is not namespace scoped"]);
  t.deepEqual(accessQuestion(['list', 'clusterroles'], ns).warnings, ["resource 'clusterroles' is not namespace scoped in group 'rbac.authorization.k8s.io'"]);
  t.deepEqual(accessQuestion(['list', 'nodes'], { namespace: '' }).warnings, []);
  t.deepEqual(accessQuestion(['frob', 'pods'], ns).warnings, ["verb 'frob' is not a known verb"]);
  t.deepEqual(accessQuestion(['frob', '/x'], ns).warnings, ["verb 'frob' is not a known verb"]);
});

test('can-i argument mistakes are usage errors', (t) => {
  for (const args of [['get'], [], ['get', 'pods/x', 'y'], ['get', 'pods', 'x', 'y'], ['get', '/x', 'y']]) {
    t.throws(() => accessQuestion(args, ns), { instanceOf: UsageError, message: /^you must specify two arguments: verb resource or verb resource\/resourceName/ }, args.join(' '));
  }
  t.throws(() => accessQuestion(['get', '/x'], { ...ns, subresource: 'log' }), { message: '--subresource can not be used with NonResourceURL' });
  t.throws(() => accessQuestion(['get'], { ...ns, path: 'x' }), { message: /--path must start with "\/"/ });
});

test('whoami\'s table is kubectl\'s', (t) => {
  const extra = 'Extra: authentication.kubernetes.io/pod-name';
  const row = (a: string, v: string): string => `${a.padEnd(extra.length + 3)}${v}`;
  t.is(whoamiTable({ username: 'system:serviceaccount:a:reader', uid: 'u-1', groups: ['system:serviceaccounts', 'system:authenticated'], extra: { 'authentication.kubernetes.io/pod-name': ['web'] } }), [
    row('ATTRIBUTE', 'VALUE'),
    row('Username', 'system:serviceaccount:a:reader'),
    row('UID', 'u-1'),
    row('Groups', '[system:serviceaccounts system:authenticated]'),
    row(extra, '[web]'),
    '',
  ].join('\n'));
});

test('against the API server: the admin may, a plain user may not, --as asks for someone else', async (t) => {
  const yes = await server.tctl(['auth', 'can-i', 'delete', 'pods', '-n', 'team']);
  t.deepEqual(yes, { code: 0, stdout: 'yes\n', stderr: '' });
  t.like(await server.tctl(['auth', 'can-i', '*', '*', '-A']), { code: 0, stdout: 'yes\n' });
  t.like(await server.tctl(['auth', 'can-i', 'get', '/healthz']), { code: 0, stdout: 'yes\n' });
  t.like(await server.tctl(['auth', 'can-i', 'get', 'pods', '--subresource', 'log']), { code: 0, stdout: 'yes\n' });
  t.deepEqual(await server.tctl(['auth', 'can-i', 'list', 'pods', '-q']), { code: 0, stdout: '', stderr: '' });

  // "no", exit 1. Until RBAC's default roles let every authenticated user ask
  // (system:basic-user), asking is itself forbidden to bob: exit 1 all the same.
  const bob = await server.userKubeconfig('bob', ['dev']);
  const denied = (r: { code: number; stdout: string; stderr: string }, what: string): void => {
    t.is(r.code, 1, what);
    if (r.stdout) t.regex(r.stdout, /^no( - .*)?\n$/, what);
    else t.regex(r.stderr, /^error: selfsubjectaccessreviews\.authorization\.k8s\.io is forbidden: User "bob" cannot create/, what);
  };
  denied(await server.tctl(['--kubeconfig', bob, 'auth', 'can-i', 'delete', 'pods', '-n', 'team']), 'bob');
  const quiet = await server.tctl(['--kubeconfig', bob, 'auth', 'can-i', 'delete', 'pods', '--quiet']);
  t.is(quiet.code, 1);
  t.is(quiet.stdout, '');

  // The admin asking as bob gets bob's answer; as a member of system:masters, the admin's.
  denied(await server.tctl(['auth', 'can-i', 'delete', 'pods', '--as', 'bob']), '--as bob');
  t.like(await server.tctl(['--as', 'carol', '--as-group', 'system:masters', 'auth', 'can-i', 'delete', 'pods']), { code: 0, stdout: 'yes\n' });

  const unknown = await server.tctl(['auth', 'can-i', 'get', 'widgets']);
  t.is(unknown.stderr, "Warning: the server doesn't have a resource type 'widgets'\n");
  t.is(unknown.stdout, 'yes\n', 'system:masters may do anything, even what does not exist');
});

test('whoami against the API server: the table, -o json, and as someone else', async (t) => {
  const me = await server.tctl(['auth', 'whoami']);
  t.is(me.code, 0, me.stderr);
  t.is(me.stdout, [
    'ATTRIBUTE   VALUE',
    'Username    tugboat-test-admin',
    'Groups      [system:masters system:authenticated]',
    '',
  ].join('\n'));
  const json = await server.tctl(['auth', 'whoami', '-o', 'json']);
  const review = JSON.parse(json.stdout) as { kind: string; status: { userInfo: { username: string } } };
  t.is(review.kind, 'SelfSubjectReview');
  t.is(review.status.userInfo.username, 'tugboat-test-admin');
  // Impersonating a member of system:masters keeps the right to ask; the answer is the impersonated user.
  const as = await server.tctl(['auth', 'whoami', '--as', 'dave', '--as-group', 'system:masters']);
  t.regex(as.stdout, /^Username {4}dave$/m);
  t.regex(as.stdout, /^Groups {6}\[system:masters system:authenticated\]$/m);
  const anonymous = await server.tctl(['auth', 'whoami', '--kubeconfig', '/dev/null', '--server', server.address, '--certificate-authority', server.api.pki.files.caFile]);
  t.deepEqual(anonymous, { code: 1, stdout: '', stderr: 'error: You must be logged in to the server (Unauthorized)\n' });
});
