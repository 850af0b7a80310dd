// Issue 8's acceptance, as a user: `tctl cluster up` (secure by default, no extra steps),
// then tctl with the credentials each kind of client would have — none, a node's certificate,
// a ServiceAccount token — and the raw doors around the API server: etcd's client port and an
// agent's port. Also 1,000 bad tokens, none of which gets in.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, importPKCS8, type JWTPayload } from 'jose';
import { ApiError, TugboatClient, loadKubeconfig, loadProtos, type Credentials, type KubeObject } from '@tugboat/api';
import { credentials as grpcCredentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { generateSigningKeyPair } from '@tugboat/api/pki';
import { startLocalCluster, type LocalClusterHandle, type TctlResult } from '../harness/cluster.js';
import { eventually } from './helpers.js';

let cluster: LocalClusterHandle;

test.before(async () => {
  cluster = await startLocalCluster({ nodes: 2 });
});

test.after.always(async () => {
  await cluster?.destroy();
});

async function tctl(args: string[], input?: string): Promise<TctlResult> {
  return cluster.tctl(args, input);
}

async function ok(args: string[], input?: string): Promise<string> {
  const r = await tctl(args, input);
  if (r.code !== 0) throw new Error(`tctl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

const pki = (...p: string[]): string => join(cluster.pkiDir, ...p);

test.serial('without credentials: one line saying Unauthorized, exit 1; plaintext gets no answer', async (t) => {
  // The CA is public; the client has no certificate and no token.
  const r = await tctl(['--server', cluster.server, '--certificate-authority', pki('ca.crt'), '--kubeconfig', '/dev/null', 'get', 'pods']);
  t.is(r.code, 1, r.stderr);
  t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  t.regex(r.stderr, /Unauthorized/);
  t.is(r.stdout, '');

  // A plaintext gRPC client: TLS only, so no answer at all (not even Unauthorized).
  const plain = new TugboatClient(cluster.server, { timeoutMs: 3_000 });
  t.teardown(() => plain.close());
  const err = await t.throwsAsync(plain.list('pods'), { instanceOf: ApiError });
  t.true(err?.reason === 'Unavailable' || err?.reason === 'Timeout', err?.message);
});

test.serial('with node-1\'s certificate: its own Node and pods, nothing else', async (t) => {
  await ok(['apply', '-f', '-'], [
    'apiVersion: v1\nkind: Namespace\nmetadata: {name: nodes-test}',
    '---\napiVersion: v1\nkind: Secret\nmetadata: {name: unused, namespace: nodes-test}\nstringData: {k: v}',
    '---\napiVersion: v1\nkind: Pod\nmetadata: {name: on-1, namespace: nodes-test}\nspec:\n  nodeName: node-1\n  containers: [{name: c, image: busybox, command: [sleep, "3600"]}]',
    '---\napiVersion: v1\nkind: Pod\nmetadata: {name: on-2, namespace: nodes-test}\nspec:\n  nodeName: node-2\n  containers: [{name: c, image: busybox, command: [sleep, "3600"]}]',
  ].join('\n'));
  const as1 = ['--kubeconfig', pki('nodes', 'node-1.kubeconfig')];
  t.like(await tctl([...as1, 'label', 'node', 'node-1', 'security-test=yes']), { code: 0 });
  // tctl reads before it writes, and a node may not even read another node's Node.
  const other = await tctl([...as1, 'label', 'node', 'node-2', 'security-test=yes']);
  t.is(other.code, 1);
  t.regex(other.stderr, /nodes "node-2" is forbidden: User "system:node:node-1" cannot get resource "nodes" in API group "" at the cluster scope/);
  // And an update sent straight, with the object read by the admin, is refused too.
  const admin = cluster.client();
  t.teardown(() => admin.close());
  const node2 = await admin.get<KubeObject>('nodes', '', 'node-2');
  const asNode1 = new TugboatClient(cluster.server, { timeoutMs: 10_000, credentials: loadKubeconfig(pki('nodes', 'node-1.kubeconfig')).credentials });
  t.teardown(() => asNode1.close());
  const update = await t.throwsAsync(asNode1.update({ ...node2, metadata: { ...node2.metadata, labels: { ...node2.metadata?.labels, x: 'y' } } }), { instanceOf: ApiError });
  t.regex(update?.message ?? '', /^nodes "node-2" is forbidden: User "system:node:node-1" cannot update resource "nodes" in API group "" at the cluster scope/);
  const own = await asNode1.get<KubeObject>('nodes', '', 'node-1');
  t.is((await asNode1.update({ ...own, metadata: { ...own.metadata, labels: { ...own.metadata?.labels, x: 'y' } } })).metadata?.labels?.['x'], 'y');
  const all = await tctl([...as1, 'get', 'pods', '-A']);
  t.is(all.code, 1);
  t.regex(all.stderr, /Forbidden|forbidden/);
  t.regex(await ok([...as1, 'get', 'pod', 'on-1', '-n', 'nodes-test']), /on-1/);
  t.regex(await ok([...as1, 'get', 'pods', '-n', 'nodes-test', '--field-selector', 'spec.nodeName=node-1']), /on-1/);
  t.is((await tctl([...as1, 'get', 'pod', 'on-2', '-n', 'nodes-test'])).code, 1);
  const secret = await tctl([...as1, 'get', 'secret', 'unused', '-n', 'nodes-test']);
  t.is(secret.code, 1);
  t.regex(secret.stderr, /secrets "unused" is forbidden: User "system:node:node-1" cannot get resource "secrets" in API group "" in the namespace "nodes-test"/);
});

test.serial('RBAC: a ServiceAccount with a Role may read pods in its namespace, nothing more', async (t) => {
  await ok(['apply', '-f', '-'], `
apiVersion: v1
kind: Namespace
metadata: {name: a}
---
apiVersion: v1
kind: Namespace
metadata: {name: b}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: reader, namespace: a}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: a}
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader-reads-pods, namespace: a}
subjects:
- kind: ServiceAccount
  name: reader
  namespace: a
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: pod-reader
---
apiVersion: v1
kind: Pod
metadata: {name: x, namespace: a}
spec:
  containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
`);
  const token = (await ok(['create', 'token', 'reader', '-n', 'a'])).trim();
  t.is(token.split('.').length, 3);
  const as = ['--token', token];
  t.regex(await ok([...as, 'get', 'pods', '-n', 'a']), /\bx\b/);
  t.regex(await ok([...as, 'auth', 'whoami']), /system:serviceaccount:a:reader/);
  for (const [args, message] of [
    [['delete', 'pod', '-n', 'a', 'x'], 'pods "x" is forbidden: User "system:serviceaccount:a:reader" cannot delete resource "pods" in API group "" in the namespace "a"'],
    [['get', 'secrets', '-n', 'a'], 'secrets is forbidden: User "system:serviceaccount:a:reader" cannot list resource "secrets" in API group "" in the namespace "a"'],
    [['get', 'pods', '-n', 'b'], 'pods is forbidden: User "system:serviceaccount:a:reader" cannot list resource "pods" in API group "" in the namespace "b"'],
  ] as const) {
    const r = await tctl([...as, ...args]);
    t.is(r.code, 1, args.join(' '));
    t.true(r.stderr.includes(message), `${args.join(' ')}: ${r.stderr}`);
  }
  // The pod is still there: the denied delete changed nothing.
  t.regex(await ok(['get', 'pod', 'x', '-n', 'a']), /\bx\b/);
  // can-i says the same, for the token's user and for the admin acting as it.
  t.is((await tctl([...as, 'auth', 'can-i', 'list', 'pods', '-n', 'a'])).stdout.trim(), 'yes');
  t.is((await tctl([...as, 'auth', 'can-i', 'delete', 'pods', '-n', 'a'])).stdout.trim(), 'no');
  t.is((await tctl(['auth', 'can-i', 'get', 'pods', '-n', 'b', '--as', 'system:serviceaccount:a:reader'])).stdout.trim(), 'no');
});

/** A raw gRPC call to an agent's Pods service, with whatever TLS identity the caller has. */
function agentExec(address: string, creds: ReturnType<typeof grpcCredentials.createSsl>): Promise<ServiceError | undefined> {
  const Pods = loadProtos().tugboat.v1.Pods;
  const client = new Pods(address, creds, { 'grpc.ssl_target_name_override': 'localhost' });
  return new Promise((resolve) => {
    client.exec({ namespace: 'nodes-test', name: 'on-1', container: '', command: ['id'], stdin: Buffer.alloc(0) }, new Metadata(), { deadline: new Date(Date.now() + 5_000) }, (err: ServiceError | null) => {
      client.close();
      resolve(err ?? undefined);
    });
  });
}

test.serial('an agent\'s port refuses anyone but the API server, so exec cannot go around it', async (t) => {
  const node1 = (await cluster.components()).find((c) => c.name === 'node-1')!;
  const address = node1.addresses['grpc']!;
  const ca = readFileSync(pki('ca.crt'));
  const noCert = await agentExec(address, grpcCredentials.createSsl(ca));
  t.truthy(noCert, 'no client certificate');
  const nodeCert = await agentExec(address, grpcCredentials.createSsl(ca, readFileSync(pki('nodes', 'node-2.key')), readFileSync(pki('nodes', 'node-2.crt'))));
  t.truthy(nodeCert, 'another node\'s certificate');
  t.true([14, 16, 7].includes(nodeCert!.code), `${nodeCert!.code}: ${nodeCert!.details}`);
  const insecure = await agentExec(address, grpcCredentials.createInsecure());
  t.truthy(insecure, 'plaintext');
});

test.serial('etcd: only the API server\'s client certificate gets in, and Secrets are ciphertext there', async (t) => {
  await ok(['apply', '-f', '-'], 'apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: default}\nstringData: {password: hunter2-correct-horse}\n');
  const endpoint = cluster.etcdEndpoint;
  const etcdctl = (...args: string[]): { status: number | null; stdout: string } => {
    const r = spawnSync('etcdctl', ['--endpoints', endpoint, '--dial-timeout', '2s', '--command-timeout', '4s', ...args], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
    return { status: r.status, stdout: r.stdout };
  };
  t.not(etcdctl('--endpoints', endpoint.replace('https://', 'http://'), 'get', '/registry/secrets/default/db').status, 0, 'plaintext');
  t.not(etcdctl('--cacert', pki('etcd', 'ca.crt'), 'get', '/registry/secrets/default/db').status, 0, 'no client certificate');
  t.not(etcdctl('--cacert', pki('etcd', 'ca.crt'), '--cert', pki('admin.crt'), '--key', pki('admin.key'), 'get', '/registry/secrets/default/db').status, 0, 'a cluster certificate, even the admin\'s');
  const stored = cluster.etcdctl('get', '/registry/secrets/default/db', '--print-value-only');
  t.true(stored.startsWith('k8s:enc:aesgcm:v1:'), stored.slice(0, 40));
  t.false(stored.includes('hunter2'));
  t.false(stored.includes(Buffer.from('hunter2-correct-horse').toString('base64')));
  // Through the API it is the Secret as written.
  const out = await ok(['get', 'secret', 'db', '-o', 'jsonpath={.data.password}']);
  t.is(Buffer.from(out.trim(), 'base64').toString(), 'hunter2-correct-horse');
});

test.serial('1,000 forged, expired, wrong-audience and damaged tokens: none gets in, and the API server keeps answering', async (t) => {
  await ok(['apply', '-f', '-'], 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: target, namespace: default}\n');
  const real = (await ok(['create', 'token', 'target'])).trim();
  const sa = JSON.parse(await ok(['get', 'serviceaccount', 'target', '-o', 'json'])) as KubeObject;
  const ours = await importPKCS8(readFileSync(pki('sa.key'), 'utf8'), 'ES256');
  const foreign = await importPKCS8(generateSigningKeyPair().privateKeyPem, 'ES256');
  const issuer = 'https://kubernetes.default.svc.cluster.local';
  const now = Math.floor(Date.now() / 1000);
  const claims: JWTPayload = { 'kubernetes.io': { namespace: 'default', serviceaccount: { name: 'target', uid: sa.metadata?.uid } } };
  const make = (key: Parameters<SignJWT['sign']>[0], o: { aud?: string; iss?: string; iat?: number; exp?: number; sub?: string } = {}): Promise<string> =>
    new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).setIssuer(o.iss ?? issuer).setSubject(o.sub ?? 'system:serviceaccount:default:target')
      .setAudience(o.aud ?? issuer).setIssuedAt(o.iat ?? now).setExpirationTime(o.exp ?? now + 600).sign(key);
  const b64 = (s: string): string => Buffer.from(s).toString('base64url');
  const [h, p] = real.split('.');
  const kinds: Array<(i: number) => Promise<string> | string> = [
    () => make(foreign),
    (i) => make(ours, { iat: now - 7200 - i, exp: now - 3600 - i }),
    (i) => make(ours, { aud: `https://elsewhere-${i}` }),
    (i) => make(ours, { iss: `https://evil-${i}` }),
    (i) => make(ours, { sub: `system:serviceaccount:default:other-${i}` }),
    (i) => real.slice(0, real.length - 1 - (i % 40)),
    (i) => `${h}.${p}.${b64(`sig-${i}`)}`,
    () => `${b64('{"alg":"none","typ":"JWT"}')}.${p}.`,
    () => `${b64('{"alg":"HS256","typ":"JWT"}')}.${p}.${b64('x')}`,
    (i) => `${b64(JSON.stringify({ alg: 'ES256', kid: `k${i}` }))}.${p}.${real.split('.')[2]}`,
  ];
  const ca = readFileSync(pki('ca.crt'), 'utf8');
  let accepted = 0;
  const started = Date.now();
  const tokens = await Promise.all(Array.from({ length: 1000 }, (_, i) => kinds[i % kinds.length]!(i)));
  // Ten at a time, each on a fresh connection, as ten attackers would.
  await Promise.all(Array.from({ length: 10 }, async (_, w) => {
    for (let i = w; i < tokens.length; i += 10) {
      const creds: Credentials = { tls: { ca }, token: tokens[i]! };
      const c = new TugboatClient(cluster.server, { timeoutMs: 10_000, credentials: creds });
      try {
        await c.list('pods', { namespace: 'default' });
        accepted++;
      } catch (e) {
        if (!(e instanceof ApiError) || e.reason !== 'Unauthorized') throw new Error(`token ${i}: expected Unauthorized, got ${String(e)}`);
      } finally {
        c.close();
      }
    }
  }));
  t.is(accepted, 0);
  t.log(`1000 bad tokens refused in ${Date.now() - started} ms`);
  // Still answering, and the real token still works.
  const admin = cluster.client();
  t.teardown(() => admin.close());
  t.truthy(await admin.list('pods'));
  const good = new TugboatClient(cluster.server, { timeoutMs: 10_000, credentials: { tls: { ca }, token: real } });
  t.teardown(() => good.close());
  await eventually('the real token to work', async () => (await good.review<KubeObject & { status?: { userInfo?: { username?: string } } }>({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' })).status?.userInfo?.username === 'system:serviceaccount:default:target', 10_000);
  t.pass();
});
