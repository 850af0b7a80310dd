import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError, IN_CLUSTER_SERVER_NAME, TugboatClient, renderKubeconfig, type KubeObject } from '@tugboat/api';
import { createCa, issueCertificate, type CertAndKey } from '@tugboat/api/pki';
import { resolveConnection } from './client-config.js';
import { Context, type Io } from './context.js';
import { CliError, UsageError } from './errors.js';
import { startSecureServer, type SecureServer } from './testing/secure-server.js';

const dirs: string[] = [];
const temp = (prefix: string): string => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};

let ca: CertAndKey;
let alice: CertAndKey;
let server: SecureServer | undefined;

test.before(async () => {
  ca = await createCa('client-config-test-ca');
  alice = await issueCertificate(ca, { commonName: 'alice', organizations: ['dev'], usage: 'client' });
});

test.after.always(async () => {
  await server?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A kubeconfig file with alice's certificate (or a token), namespace `team`. */
function kubeconfig(dir: string, name: string, opts: { server?: string; token?: string; namespace?: string } = {}): string {
  const path = join(dir, name);
  writeFileSync(path, renderKubeconfig({
    server: opts.server ?? 'kube.example:6443',
    caPem: ca.certPem,
    user: 'alice',
    ...(opts.token ? { token: opts.token } : { certPem: alice.certPem, keyPem: alice.keyPem }),
    namespace: opts.namespace ?? 'team',
  }));
  return path;
}

function home(config: Record<string, string> = {}): string {
  const h = temp('tctl-cc-home-');
  if (Object.keys(config).length) writeFileSync(join(h, 'config.json'), JSON.stringify(config));
  return h;
}

/** A pod's serviceaccount directory stand-in. */
function serviceAccountDir(token: string, caPem: string, namespace = 'apps'): string {
  const d = temp('tctl-cc-sa-');
  writeFileSync(join(d, 'token'), token);
  writeFileSync(join(d, 'ca.crt'), caPem);
  writeFileSync(join(d, 'namespace'), namespace);
  return d;
}

test('nothing configured: the default address, TLS against the public roots, no credentials', (t) => {
  const c = resolveConnection({}, { TUGBOAT_HOME: home() });
  t.is(c.server, '127.0.0.1:6443');
  t.is(c.serverSource, 'default');
  t.is(c.authMethod, 'none');
  t.is(c.kubeconfig, undefined);
  t.is(c.caSource, undefined);
  t.truthy(c.credentials.tls?.ca.includes('BEGIN CERTIFICATE'), 'still TLS: a token is never sent in the clear');
});

test('--kubeconfig, else $TUGBOAT_KUBECONFIG, else config.json\'s; an explicit one also gives the address', (t) => {
  const d = temp('tctl-cc-');
  const flagFile = kubeconfig(d, 'flag.kubeconfig', { server: 'flag.example:1' });
  const envFile = kubeconfig(d, 'env.kubeconfig', { server: 'env.example:2' });
  const configFile = kubeconfig(d, 'config.kubeconfig', { server: 'config-kube.example:3' });
  const h = home({ server: 'config.example:4', kubeconfig: configFile });

  const byFlag = resolveConnection({ kubeconfig: flagFile }, { TUGBOAT_HOME: h, TUGBOAT_KUBECONFIG: envFile });
  t.deepEqual(byFlag.kubeconfig, { path: flagFile, source: 'flag' });
  t.is(byFlag.server, 'flag.example:1');
  t.is(byFlag.serverSource, 'kubeconfig');
  t.is(byFlag.authMethod, 'client certificate');
  t.is(byFlag.credentials.tls?.cert, alice.certPem);
  t.is(byFlag.caSource, flagFile);
  t.is(byFlag.namespace, 'team');

  const byEnv = resolveConnection({}, { TUGBOAT_HOME: h, TUGBOAT_KUBECONFIG: envFile });
  t.deepEqual(byEnv.kubeconfig, { path: envFile, source: 'env' });
  t.is(byEnv.server, 'env.example:2');

  // config.json's kubeconfig is `cluster up`'s twin of its server: the server entry wins.
  const byConfig = resolveConnection({}, { TUGBOAT_HOME: h });
  t.deepEqual(byConfig.kubeconfig, { path: configFile, source: 'config' });
  t.is(byConfig.server, 'config.example:4');
  t.is(byConfig.serverSource, 'config');
  t.is(resolveConnection({}, { TUGBOAT_HOME: home({ kubeconfig: configFile }) }).server, 'config-kube.example:3');

  // --server and $TCTL_SERVER outrank every kubeconfig.
  t.is(resolveConnection({ kubeconfig: flagFile, server: 'https://s.example:9' }, { TUGBOAT_HOME: h }).server, 's.example:9');
  t.is(resolveConnection({ kubeconfig: flagFile }, { TUGBOAT_HOME: h, TCTL_SERVER: 'e.example:8' }).serverSource, 'env');
});

test('config.json\'s kubeconfig that is gone (cluster down --purge) counts as none', (t) => {
  const c = resolveConnection({}, { TUGBOAT_HOME: home({ server: 'x.example:1', kubeconfig: '/nonexistent/admin.kubeconfig' }) });
  t.is(c.kubeconfig, undefined);
  t.is(c.server, 'x.example:1');
  t.is(c.authMethod, 'none');
  // Named explicitly, a missing file is an error.
  t.throws(() => resolveConnection({ kubeconfig: '/nonexistent/x' }, { TUGBOAT_HOME: home() }), { message: /cannot read kubeconfig \/nonexistent\/x: ENOENT/ });
});

test('flags override parts: --token replaces the certificate, --certificate-authority the CA, --as impersonates', (t) => {
  const d = temp('tctl-cc-');
  const file = kubeconfig(d, 'a.kubeconfig');
  const env = { TUGBOAT_HOME: home() };
  const token = resolveConnection({ kubeconfig: file, token: 'tok' }, env);
  t.is(token.authMethod, 'token');
  t.is(token.credentials.token, 'tok');
  t.is(token.credentials.tls?.cert, undefined);
  t.is(token.credentials.tls?.key, undefined);
  t.is(token.credentials.tls?.ca, ca.certPem, 'the CA stays');

  const other = join(d, 'other-ca.crt');
  writeFileSync(other, 'OTHER CA PEM');
  const withCa = resolveConnection({ kubeconfig: file, certificateAuthority: other }, env);
  t.is(withCa.credentials.tls?.ca, 'OTHER CA PEM');
  t.is(withCa.caSource, other);
  t.is(withCa.credentials.tls?.cert, alice.certPem);
  t.throws(() => resolveConnection({ certificateAuthority: join(d, 'nope.crt') }, env), { instanceOf: CliError, message: `unable to read certificate-authority ${join(d, 'nope.crt')}: no such file or directory` });

  writeFileSync(join(d, 'c.crt'), 'CERT');
  writeFileSync(join(d, 'c.key'), 'KEY');
  const cert = resolveConnection({ kubeconfig: file, token: 'tok', clientCertificate: join(d, 'c.crt'), clientKey: join(d, 'c.key') }, env);
  t.like(cert.credentials.tls, { cert: 'CERT', key: 'KEY' });
  t.throws(() => resolveConnection({ clientCertificate: join(d, 'c.crt') }, env), { message: /^client-key must be specified with client-certificate/ });

  const imp = resolveConnection({ kubeconfig: file, as: 'bob', asGroups: ['ops', 'dev'], asUid: '42' }, env);
  t.deepEqual(imp.credentials.impersonate, { user: 'bob', groups: ['ops', 'dev'], uid: '42' });
  t.throws(() => resolveConnection({ kubeconfig: file, asGroups: ['ops'] }, env), { instanceOf: UsageError });
});

test('an empty kubeconfig (/dev/null) is no configuration: flags alone; --context picks a kubeconfig context', (t) => {
  const d = temp('tctl-cc-');
  const caFile = join(d, 'ca.crt');
  writeFileSync(caFile, ca.certPem);
  const c = resolveConnection({ kubeconfig: '/dev/null', server: '127.0.0.1:7', certificateAuthority: caFile }, { TUGBOAT_HOME: home() });
  t.is(c.authMethod, 'none');
  t.is(c.credentials.tls?.ca, ca.certPem);
  t.throws(() => resolveConnection({ kubeconfig: '/dev/null', context: 'x' }, { TUGBOAT_HOME: home() }), { message: 'context was not found for specified context: x' });
  const file = kubeconfig(d, 'ctx.kubeconfig');
  t.is(resolveConnection({ kubeconfig: file, context: 'alice@tugboat' }, { TUGBOAT_HOME: home() }).namespace, 'team');
  t.throws(() => resolveConnection({ kubeconfig: file, context: 'nope' }, { TUGBOAT_HOME: home() }), { message: /no entry named "nope"/ });
});

test('in a pod: the ServiceAccount token file, CA and namespace, unless a kubeconfig is configured', (t) => {
  const sa = serviceAccountDir('jwt-token', ca.certPem, 'apps');
  const env = { TUGBOAT_HOME: home(), KUBERNETES_SERVICE_HOST: '198.19.0.1', KUBERNETES_SERVICE_PORT: '443' };
  const c = resolveConnection({}, env, { serviceAccountDir: sa });
  t.is(c.server, '198.19.0.1:443');
  t.is(c.serverSource, 'kubeconfig');
  t.deepEqual(c.kubeconfig, { path: sa, source: 'in-cluster' });
  t.is(c.namespace, 'apps');
  t.is(c.authMethod, 'token file');
  t.is(c.credentials.tokenFile, join(sa, 'token'));
  t.is(c.credentials.tls?.serverName, IN_CLUSTER_SERVER_NAME);
  t.is(c.caSource, join(sa, 'ca.crt'));
  // A token flag still wins over the pod's own.
  t.is(resolveConnection({ token: 'mine' }, env, { serviceAccountDir: sa }).credentials.tokenFile, undefined);
  // Outside a pod (no service env), nothing.
  t.is(resolveConnection({}, { TUGBOAT_HOME: home() }, { serviceAccountDir: sa }).kubeconfig, undefined);
  const d = temp('tctl-cc-');
  t.is(resolveConnection({}, { ...env, TUGBOAT_KUBECONFIG: kubeconfig(d, 'k') }, { serviceAccountDir: sa }).kubeconfig?.source, 'env');
});

test('the default namespace: -n, else config.json\'s, else the kubeconfig\'s, else "default"', (t) => {
  const d = temp('tctl-cc-');
  const file = kubeconfig(d, 'ns.kubeconfig', { namespace: 'from-kubeconfig' });
  const io = (env: Record<string, string>): Io => ({ out: () => undefined, err: () => undefined, readStdin: async () => '', env, cwd: d, signal: new AbortController().signal });
  t.is(new Context(io({ TUGBOAT_HOME: home({ namespace: 'from-config' }) }), { kubeconfig: file, namespace: 'flag' }).namespace, 'flag');
  t.is(new Context(io({ TUGBOAT_HOME: home({ namespace: 'from-config' }) }), { kubeconfig: file }).namespace, 'from-config');
  t.is(new Context(io({ TUGBOAT_HOME: home() }), { kubeconfig: file }).namespace, 'from-kubeconfig');
  t.is(new Context(io({ TUGBOAT_HOME: home() }), {}).namespace, 'default');
});

test('against a real TLS API server: the in-cluster configuration authenticates as the ServiceAccount', async (t) => {
  server = await startSecureServer();
  const admin = server.api.client();
  await admin.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot', namespace: 'default' } });
  const { token } = await admin.createToken('default', 'robot');
  const sa = serviceAccountDir(token, server.api.pki.ca.certPem, 'default');
  const port = server.address.split(':')[1]!;
  const c = resolveConnection({}, { TUGBOAT_HOME: home(), KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port }, { serviceAccountDir: sa });
  const client = new TugboatClient(c.server, { credentials: c.credentials, timeoutMs: 10_000 });
  t.teardown(() => client.close());
  // Until RBAC lets every authenticated user ask who they are, a Forbidden that names the
  // user shows the same: the server took the pod's token for the ServiceAccount.
  const username = await client.review<KubeObject & { status?: { userInfo?: { username?: string } } }>({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' })
    .then((r) => r.status?.userInfo?.username, (e: unknown) => {
      if (e instanceof ApiError && e.reason === 'Forbidden') return /User "([^"]+)"/.exec(e.message)?.[1];
      throw e;
    });
  t.is(username, 'system:serviceaccount:default:robot');
});

test('a serviceaccount directory without a token is not a pod', (t) => {
  const d = temp('tctl-cc-sa-');
  t.is(resolveConnection({}, { TUGBOAT_HOME: home(), KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '1' }, { serviceAccountDir: d }).kubeconfig, undefined);
});
