// The security chain end to end against a real etcd and the real TLS server: who gets in
// (client certificates, static tokens, ServiceAccount tokens, impersonation), what a node
// may touch (the Node authorizer), and what the audit log records.
import anyTest, { type TestFn } from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, importPKCS8 } from 'jose';
import { ApiError, TugboatClient, type KubeObject } from '@tugboat/api';
import { createCa, generateSigningKeyPair, issueCertificate } from '@tugboat/api/pki';
import { startApiServerInProcess, startEtcd, waitFor, type ApiServerHandle, type EtcdHandle } from '@tugboat/test';

const test = anyTest as TestFn<{ etcd: EtcdHandle; server: ApiServerHandle; admin: TugboatClient; dir: string }>;

test.before(async (t) => {
  const etcd = await startEtcd();
  const dir = mkdtempSync(join(tmpdir(), 'tugboat-security-'));
  writeFileSync(join(dir, 'tokens.csv'), 'static-token-1,alice,uid-alice,"dev,qa"\n# a comment\n\nstatic-token-2,bob,,\n');
  const server = await startApiServerInProcess(etcd.endpoint, { tokenAuthFile: join(dir, 'tokens.csv'), auditLogPath: join(dir, 'audit.log') });
  const admin = server.client();
  await waitFor('default namespace', async () => (await admin.tryGet('namespaces', '', 'default')) !== undefined);
  t.context = { etcd, server, admin, dir };
});

test.after.always(async (t) => {
  await t.context.server?.stop();
  await t.context.etcd?.destroy();
});

const reason = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'allowed';
  } catch (e) {
    return e instanceof ApiError ? e.reason : String(e);
  }
};

async function whoami(c: TugboatClient): Promise<{ username: string; groups: string[]; uid?: string }> {
  const r = await c.review<KubeObject & { status?: { userInfo?: { username: string; groups: string[]; uid?: string } } }>({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
  return r.status!.userInfo!;
}

test('no credentials, or credentials from elsewhere, are Unauthorized; plaintext gets no answer', async (t) => {
  const { server } = t.context;
  const ca = server.pki.ca.certPem;
  const none = new TugboatClient(server.address, { timeoutMs: 5_000, credentials: { tls: { ca } } });
  t.teardown(() => none.close());
  const err = await t.throwsAsync(none.list('pods'), { instanceOf: ApiError });
  t.is(err?.reason, 'Unauthorized');
  t.is(err?.message, 'Unauthorized');

  const strangerCa = await createCa('someone-else');
  const stranger = await issueCertificate(strangerCa, { commonName: 'admin', organizations: ['system:masters'], usage: 'client' });
  const impostor = new TugboatClient(server.address, { timeoutMs: 5_000, credentials: { tls: { ca, cert: stranger.certPem, key: stranger.keyPem } } });
  t.teardown(() => impostor.close());
  t.is(await reason(impostor.list('pods')), 'Unauthorized');

  t.is(await reason(new TugboatClient(server.address, { timeoutMs: 5_000, credentials: { tls: { ca }, token: 'not-a-token' } }).list('pods')), 'Unauthorized');

  const plain = new TugboatClient(server.address, { timeoutMs: 3_000 });
  t.teardown(() => plain.close());
  const p = await t.throwsAsync(plain.list('pods'), { instanceOf: ApiError });
  t.true(p?.reason === 'Unavailable' || p?.reason === 'Timeout', p?.message);
});

test('certificates and static tokens name the user; whoami says who', async (t) => {
  const { server } = t.context;
  t.like(await whoami(t.context.admin), { username: 'tugboat-test-admin', groups: ['system:masters', 'system:authenticated'] });
  const alice = server.client({ tls: { ca: server.pki.ca.certPem }, token: 'static-token-1' });
  t.deepEqual(await whoami(alice), { username: 'alice', uid: 'uid-alice', groups: ['dev', 'qa', 'system:authenticated'] });
  // Nobody granted alice anything.
  const denied = await t.throwsAsync(alice.list('pods', { namespace: 'default' }), { instanceOf: ApiError });
  t.is(denied?.reason, 'Forbidden');
  t.is(denied?.message, 'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"');
  const del = await t.throwsAsync(alice.delete('pods', 'a', 'x'), { instanceOf: ApiError });
  t.is(del?.message, 'pods "x" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "a"');
});

test('impersonation: the admin may act as anyone, others may not', async (t) => {
  const { server } = t.context;
  const asCarol = server.client({ ...server.pki.credentials(), impersonate: { user: 'carol', groups: ['team-a'] } });
  t.deepEqual(await whoami(asCarol), { username: 'carol', groups: ['team-a', 'system:authenticated'] });
  t.is(await reason(asCarol.list('pods')), 'Forbidden');
  const alice = server.client({ tls: { ca: server.pki.ca.certPem }, token: 'static-token-1', impersonate: { user: 'carol' } });
  const err = await t.throwsAsync(alice.list('pods'), { instanceOf: ApiError });
  t.is(err?.message, 'users "carol" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope');
});

test.serial('the Node authorizer: a node reads and writes only what its pods need', async (t) => {
  const { server, admin } = t.context;
  const n1 = await server.pki.node('sec-node-1');
  const node1 = server.client(server.pki.credentials(n1.client));
  const nodeObj = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { capacity: { cpu: '1', memory: '1Gi', pods: '10' } } });
  await node1.create(nodeObj('sec-node-1'));
  await admin.create(nodeObj('sec-node-2'));
  t.is(await reason(node1.create(nodeObj('sec-node-3'))), 'Forbidden');

  const own = await node1.get<KubeObject>('nodes', '', 'sec-node-1');
  t.is(await reason(node1.update({ ...own, metadata: { ...own.metadata, labels: { a: 'b' } } })), 'allowed');
  const other = await admin.get<KubeObject>('nodes', '', 'sec-node-2');
  const forbidden = await t.throwsAsync(node1.update({ ...other, metadata: { ...other.metadata, labels: { a: 'b' } } }), { instanceOf: ApiError });
  t.is(forbidden?.reason, 'Forbidden');
  t.regex(forbidden?.message ?? '', /^nodes "sec-node-2" is forbidden: User "system:node:sec-node-1" cannot update resource "nodes" in API group "" at the cluster scope/);
  t.is(await reason(node1.list('nodes')), 'Forbidden');
  t.is(await reason(node1.list('nodes', { fieldSelector: 'metadata.name=sec-node-1' })), 'allowed');

  await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sec' } });
  await admin.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'used', namespace: 'sec' }, stringData: { k: 'v' } });
  await admin.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'unused', namespace: 'sec' }, stringData: { k: 'v' } });
  await admin.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'sec' }, data: { k: 'v' } });
  const pod = (name: string): KubeObject => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'sec' },
    spec: {
      containers: [{ name: 'c', image: 'busybox', env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 'used', key: 'k' } } }] }],
      volumes: [{ name: 'cfg', configMap: { name: 'cfg' } }],
    },
  });
  await admin.create(pod('mine'));
  await admin.create(pod('theirs'));
  t.is(await reason(node1.get('secrets', 'sec', 'used')), 'Forbidden', 'no pod on the node uses it yet');
  await admin.bind('sec', 'mine', 'sec-node-1');
  await admin.bind('sec', 'theirs', 'sec-node-2');

  // Right after binding: the graph catches up before it says no.
  t.is(await reason(node1.get('secrets', 'sec', 'used')), 'allowed');
  t.is(await reason(node1.get('configmaps', 'sec', 'cfg')), 'allowed');
  const unused = await t.throwsAsync(node1.get('secrets', 'sec', 'unused'), { instanceOf: ApiError });
  t.is(unused?.message, 'secrets "unused" is forbidden: User "system:node:sec-node-1" cannot get resource "secrets" in API group "" in the namespace "sec": no relationship found between node \'sec-node-1\' and this object');
  t.is(await reason(node1.list('secrets', { namespace: 'sec' })), 'Forbidden');

  t.is(await reason(node1.get('pods', 'sec', 'mine')), 'allowed');
  t.is(await reason(node1.get('pods', 'sec', 'theirs')), 'Forbidden');
  t.is(await reason(node1.list('pods')), 'Forbidden');
  const listed = await node1.list('pods', { fieldSelector: 'spec.nodeName=sec-node-1' });
  t.deepEqual(listed.items.map((p) => p.metadata?.name), ['mine']);
  t.is(await reason(node1.list('pods', { fieldSelector: 'spec.nodeName=sec-node-2' })), 'Forbidden');

  const mine = await node1.get<KubeObject>('pods', 'sec', 'mine');
  t.is(await reason(node1.updateStatus({ ...mine, status: { ...(mine.status as object), phase: 'Running' } })), 'allowed');
  t.is(await reason(node1.update({ ...mine, metadata: { ...mine.metadata, labels: { x: 'y' } } })), 'Forbidden');
  const theirs = await admin.get<KubeObject>('pods', 'sec', 'theirs');
  t.is(await reason(node1.updateStatus({ ...theirs, status: { ...(theirs.status as object), phase: 'Running' } })), 'Forbidden');
  t.is(await reason(node1.delete('pods', 'sec', 'theirs')), 'Forbidden');

  // Its own Lease only; events anywhere.
  const lease = (name: string): KubeObject => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'tugboat-node-lease' }, spec: { holderIdentity: name } });
  t.is(await reason(node1.create(lease('sec-node-1'))), 'allowed');
  t.is(await reason(node1.create(lease('sec-node-2'))), 'Forbidden');
  t.is(await reason(node1.create({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'e1', namespace: 'sec' }, involvedObject: { kind: 'Pod', name: 'mine', namespace: 'sec' }, reason: 'Test', message: 'm', type: 'Normal' })), 'allowed');
  t.is(await reason(node1.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'sec' } })), 'Forbidden');

  // Tokens for its own pods' ServiceAccount, bound to such a pod.
  // The pods' admission made the namespace's default ServiceAccount.
  t.truthy(await admin.get('serviceaccounts', 'sec', 'default'));
  const tok = await node1.createToken('sec', 'default', { boundObjectRef: { kind: 'Pod', name: 'mine' } });
  t.true(tok.token.length > 100);
  t.is(await reason(node1.createToken('sec', 'default')), 'Forbidden');
  t.is(await reason(node1.createToken('sec', 'default', { boundObjectRef: { kind: 'Pod', name: 'theirs' } })), 'Forbidden');
});

test.serial('ServiceAccount tokens: issued, accepted while the account lives, refused when forged, expired, for others or damaged', async (t) => {
  const { server, admin } = t.context;
  await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tok' } });
  const sa = await admin.create<KubeObject>({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot', namespace: 'tok' } });
  const { token, expirationTimestamp } = await admin.createToken('tok', 'robot', { expirationSeconds: 3600 });
  t.true(Math.abs(Date.parse(expirationTimestamp) - Date.now() - 3600_000) < 10_000);
  const ca = server.pki.ca.certPem;
  const as = (tk: string): TugboatClient => server.client({ tls: { ca }, token: tk });
  t.like(await whoami(as(token)), { username: 'system:serviceaccount:tok:robot', uid: sa.metadata?.uid, groups: ['system:serviceaccounts', 'system:serviceaccounts:tok', 'system:authenticated'] });

  const key = await importPKCS8(server.pki.serviceAccountKey.privateKeyPem, 'ES256');
  const claims = { 'kubernetes.io': { namespace: 'tok', serviceaccount: { name: 'robot', uid: sa.metadata?.uid } } };
  const now = Math.floor(Date.now() / 1000);
  const sign = (k: Parameters<SignJWT['sign']>[0], aud: string, iat: number, exp: number, iss = 'https://kubernetes.default.svc.cluster.local'): Promise<string> =>
    new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).setIssuer(iss).setSubject('system:serviceaccount:tok:robot').setAudience(aud).setIssuedAt(iat).setExpirationTime(exp).sign(k);
  const valid = await sign(key, 'https://kubernetes.default.svc.cluster.local', now, now + 600);
  t.is((await whoami(as(valid))).username, 'system:serviceaccount:tok:robot', 'a correctly made token is accepted');
  const other = await importPKCS8(generateSigningKeyPair().privateKeyPem, 'ES256');
  const bad = [
    await sign(other, 'https://kubernetes.default.svc.cluster.local', now, now + 600),
    await sign(key, 'https://kubernetes.default.svc.cluster.local', now - 7200, now - 3600),
    await sign(key, 'https://somewhere.else', now, now + 600),
    await sign(key, 'https://kubernetes.default.svc.cluster.local', now, now + 600, 'https://evil'),
    token.slice(0, -5),
    `${token.split('.').slice(0, 2).join('.')}.`,
    `${Buffer.from('{"alg":"none"}').toString('base64url')}.${token.split('.')[1]}.`,
  ];
  for (const b of bad) t.is(await reason(as(b).list('pods')), 'Unauthorized', b.slice(0, 40));

  // Deleting the account revokes its tokens (after the short authentication cache).
  await admin.delete('serviceaccounts', 'tok', 'robot');
  const fresh = as(token);
  await waitFor('the token to stop working', async () => (await reason(whoami(fresh))) === 'Unauthorized', 20_000, 250);
  t.pass();
});

test.serial('the audit log has a line per request: who, what, the decision', async (t) => {
  const { dir, server, admin } = t.context;
  const ca = server.pki.ca.certPem;
  await reason(server.client({ tls: { ca }, token: 'static-token-2' }).get('pods', 'default', 'audited'));
  await reason(server.client({ tls: { ca } }).list('pods'));
  await admin.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'audited', namespace: 'default' } });
  // The create's own line (bob's get of pods/audited names "audited" too, and comes first).
  await waitFor('audit lines', () => /"verb":"create"[^\n]*"name":"audited"[^\n]*\n/.test(readFileSync(join(dir, 'audit.log'), 'utf8')), 5_000);
  const lines = readFileSync(join(dir, 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const forbid = lines.find((l) => (l['annotations'] as Record<string, string>)['authorization.k8s.io/decision'] === 'forbid' && (l['user'] as { username: string }).username === 'bob');
  t.truthy(forbid);
  t.like(forbid, { verb: 'get', objectRef: { resource: 'pods', namespace: 'default', name: 'audited' } });
  t.like(forbid, { kind: 'Event', apiVersion: 'audit.k8s.io/v1', stage: 'ResponseComplete', responseStatus: { code: 403 } });
  t.regex((forbid!['annotations'] as Record<string, string>)['tugboat.io/latency'] ?? '', /^\d+ms$/);
  const unauth = lines.find((l) => (l['annotations'] as Record<string, string>)['authorization.k8s.io/decision'] === 'unauthenticated');
  t.like(unauth, { responseStatus: { code: 401 } });
  const created = lines.find((l) => l['verb'] === 'create' && (l['objectRef'] as { resource?: string; name?: string } | undefined)?.name === 'audited');
  t.like(created, { objectRef: { resource: 'configmaps', namespace: 'default', name: 'audited', apiGroup: '' }, user: { username: 'tugboat-test-admin' }, responseStatus: { code: 200 } });
});
