import test from 'ava';
import { startSecureServer, type SecureServer } from '../testing/secure-server.js';

let server: SecureServer;
test.before(async () => {
  server = await startSecureServer();
  const applied = await server.tctl(['apply', '-f', '-'], {}, [
    'apiVersion: v1\nkind: Namespace\nmetadata: {name: team}',
    '---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: robot, namespace: default}',
    '---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: builder, namespace: team}',
    '---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: default}\nspec:\n  serviceAccountName: robot\n  containers: [{name: c, image: busybox}]',
  ].join('\n'));
  if (applied.code !== 0) throw new Error(`apply failed: ${applied.stderr}`);
});
test.after.always(async () => { await server?.stop(); });

const jwtClaims = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

test('create token SA prints a signed token and a newline; the token is that ServiceAccount', async (t) => {
  const r = await server.tctl(['create', 'token', 'robot']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stderr, '');
  t.regex(r.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  const token = r.stdout.trim();
  t.is(jwtClaims(token)['sub'], 'system:serviceaccount:default:robot');
  // Used with --token it replaces the admin's certificate: the server names the ServiceAccount
  // (allowed or, until RBAC grants it, forbidden — either way as that user).
  const asRobot = await server.tctl(['--token', token, 'auth', 'can-i', 'list', 'pods']);
  t.is(asRobot.code, 1);
  t.regex(asRobot.stdout + asRobot.stderr, /^no|User "system:serviceaccount:default:robot"/);
  const config = await server.tctl(['--token', token, 'config', 'view', '-o', 'json']);
  t.like(JSON.parse(config.stdout), { user: 'system:serviceaccount:default:robot', authentication: 'token' });
});

test('create token: namespace, duration, audiences, a pod binding, -o json', async (t) => {
  const r = await server.tctl(['create', '-n', 'team', 'token', 'builder', '--duration', '10m', '--audience', 'https://vault.example', '--audience', 'ci']);
  t.is(r.code, 0, r.stderr);
  const claims = jwtClaims(r.stdout.trim());
  t.is(claims['sub'], 'system:serviceaccount:team:builder');
  t.deepEqual(claims['aud'], ['https://vault.example', 'ci']);
  t.is((claims['exp'] as number) - (claims['iat'] as number), 600);

  const bound = await server.tctl(['create', 'token', 'robot', '--bound-object-kind', 'Pod', '--bound-object-name', 'web', '-o', 'json']);
  t.is(bound.code, 0, bound.stderr);
  const obj = JSON.parse(bound.stdout) as { kind: string; spec: { boundObjectRef?: { kind: string; name: string } }; status: { token: string; expirationTimestamp: string } };
  t.is(obj.kind, 'TokenRequest');
  t.like(obj.spec.boundObjectRef, { kind: 'Pod', name: 'web' });
  t.regex(obj.status.expirationTimestamp, /^\d{4}-\d\d-\d\dT/);
  t.like(jwtClaims(obj.status.token)['kubernetes.io'] as object, { pod: { name: 'web' } });
});

test('create token: the server\'s refusals after kubectl\'s prefix; flag mistakes are usage errors', async (t) => {
  const short = await server.tctl(['create', 'token', 'robot', '--duration', '5m']);
  t.is(short.code, 1);
  t.is(short.stderr, 'error: failed to create token: TokenRequest "robot" is invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes\n');
  const missing = await server.tctl(['create', 'token', 'ghost']);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /^error: failed to create token: .*"ghost" not found\n$/);
  for (const [args, message] of [
    [['create', 'token'], 'service account name is required'],
    [['create', 'token', 'robot', '--duration', '1500ms'], '--duration cannot be expressed in units less than seconds'],
    [['create', 'token', 'robot', '--bound-object-name', 'web'], '--bound-object-name can only be set if --bound-object-kind is provided'],
    [['create', 'token', 'robot', '--bound-object-kind', 'Node', '--bound-object-name', 'n'], 'supported --bound-object-kind values are Pod, Secret'],
    [['create', 'token', 'robot', '--bound-object-kind', 'Pod'], '--bound-object-name is required if --bound-object-kind is provided'],
  ] as const) {
    const r = await server.tctl([...args]);
    t.is(r.code, 2, args.join(' '));
    t.true(r.stderr.startsWith(`error: ${message}`), r.stderr);
  }
});

test('create -f is unchanged beside create token', async (t) => {
  const r = await server.tctl(['create', '-f', '-', '--dry-run=client'], {}, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n');
  t.deepEqual(r, { code: 0, stdout: 'configmap/a created (dry run)\n', stderr: '' });
  const created = await server.tctl(['-n', 'team', 'create', '-f', '-'], {}, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: token}\n');
  t.deepEqual(created, { code: 0, stdout: 'configmap/token created\n', stderr: '' });
  const help = await server.tctl(['create', '--help']);
  t.regex(help.stdout, /token SERVICE_ACCOUNT/);
});

test('create -f: each document on its own (an existing object and an unknown kind are error lines, the rest are created), exit 1; -o name', async (t) => {
  const docs = [
    'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one}',
    'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one}',
    'apiVersion: v9\nkind: Nope\nmetadata: {name: x}',
    'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: two}',
  ].join('\n---\n');
  const r = await server.tctl(['create', '-f', '-'], {}, docs);
  t.is(r.code, 1);
  t.is(r.stdout, 'configmap/one created\nconfigmap/two created\n');
  t.is(r.stderr, 'error: configmaps "one" already exists\nerror: STDIN (document 3): no matches for kind "Nope" in version "v9"\n');
  const named = await server.tctl(['create', '-f', '-', '-o', 'name', '--dry-run=server'], {}, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: three}\n');
  t.deepEqual(named, { code: 0, stdout: 'configmap/three\n', stderr: '' });
  t.is((await server.tctl(['get', 'configmap', 'three'])).code, 1, 'a server dry run stores nothing');
});
