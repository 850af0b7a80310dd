// The real kubectl (v1.32) against the API server's REST API on its one TLS port, with a
// real etcd: discovery, get (server-side Table columns), create/label/annotate/patch/scale/
// delete, watch, logs (through a stand-in agent), and Kubernetes' exact error messages.
// Skipped, with the reason printed, only where kubectl is not installed.
import anyTest, { type TestFn } from 'ava';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, ServerCredentials, type ServerWritableStream } from '@grpc/grpc-js';
import { loadProtos, type KubeObject, type TugboatClient } from '@tugboat/api';
import { startApiServerInProcess, startEtcd, waitFor, type ApiServerHandle, type EtcdHandle } from '@tugboat/test';
import type { LogChunk, LogsRequest } from '../grpc/proto-types.js';

const KUBECTL = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
if (!KUBECTL) console.log('kubectl.test: kubectl is not installed here; skipping the kubectl tests');
const test = (KUBECTL ? anyTest : anyTest.skip) as TestFn<{ etcd: EtcdHandle; server: ApiServerHandle; client: TugboatClient; kubeconfig: string; dir: string; agent: Server; logs: LogsRequest[] }>;

interface Run { code: number; stdout: string; stderr: string }

/** kubectl as a child process; asynchronous, since the API server answers from this very process. */
function kubectl(t: { context: { kubeconfig: string } }, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile('kubectl', ['--kubeconfig', t.context.kubeconfig, ...args], { encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function file(t: { context: { dir: string } }, name: string, text: string): string {
  const p = join(t.context.dir, name);
  writeFileSync(p, text);
  return p;
}


test.before(async (t) => {
  const etcd = await startEtcd();
  const server = await startApiServerInProcess(etcd.endpoint, { bookmarkIntervalMs: 200 });
  const client = server.client();
  await waitFor('default namespace', async () => (await client.tryGet('namespaces', '', 'default')) !== undefined);
  const kubeconfig = server.pki.kubeconfig(server.address, server.pki.admin, 'admin');
  // A stand-in agent for `kubectl logs`: the Pods service with an agent's TLS.
  const logs: LogsRequest[] = [];
  const agent = new Server();
  agent.addService(loadProtos().tugboat.v1.Pods.service, {
    Logs: (call: ServerWritableStream<LogsRequest, LogChunk>) => {
      logs.push(call.request);
      call.write({ data: Buffer.from('hello from web\n'), container: 'app' });
      call.write({ data: Buffer.from('second line\n'), container: 'app' });
      call.end();
    },
    Exec: () => undefined,
  });
  const { serving } = await server.pki.node('node-k');
  const creds = ServerCredentials.createSsl(Buffer.from(server.pki.ca.certPem), [{ cert_chain: Buffer.from(serving.certPem), private_key: Buffer.from(serving.keyPem) }], true);
  const port = await new Promise<number>((resolve, reject) => agent.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? reject(e) : resolve(p))));
  await client.create({
    apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-k' },
    status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } },
  } as KubeObject);
  t.context = { etcd, server, client, kubeconfig, dir: mkdtempSync(join(tmpdir(), 'tugboat-kubectl-')), agent, logs };
});

test.after.always(async (t) => {
  t.context.agent?.forceShutdown();
  await t.context.server?.stop();
  await t.context.etcd?.destroy();
});

const POD = (name: string, extra = ''): string => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
${extra}  containers:
  - name: app
    image: nginx
`;

const DEPLOYMENT = (replicas: number): string => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: nginx}]
`;

test('discovery: version, api-resources, get --raw /api and /apis', async (t) => {
  const v = (await kubectl(t, 'version', '-o', 'json'));
  t.is(v.code, 0, v.stderr);
  t.like(JSON.parse(v.stdout).serverVersion, { major: '1', minor: '32' });
  const res = (await kubectl(t, 'api-resources'));
  t.is(res.code, 0, res.stderr);
  t.regex(res.stdout, /^pods\s+po\s+v1\s+true\s+Pod$/m);
  t.regex(res.stdout, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
  t.regex(res.stdout, /^nodes\s+no\s+v1\s+false\s+Node$/m);
  t.deepEqual(JSON.parse((await kubectl(t, 'get', '--raw', '/api')).stdout).versions, ['v1']);
  const groups = (JSON.parse((await kubectl(t, 'get', '--raw', '/apis')).stdout) as { groups: { name: string }[] }).groups.map((g) => g.name);
  t.true(groups.includes('apps') && groups.includes('rbac.authorization.k8s.io'));
  const core = JSON.parse((await kubectl(t, 'get', '--raw', '/api/v1')).stdout) as { resources: { name: string; verbs: string[]; categories?: string[] }[] };
  t.deepEqual(core.resources.find((r) => r.name === 'pods')?.categories, ['all']);
  t.deepEqual(core.resources.find((r) => r.name === 'pods/log')?.verbs, ['get']);
  t.is((await kubectl(t, 'get', '--raw', '/healthz')).stdout, 'ok');
  t.is((await kubectl(t, 'get', 'pods')).code, 0);
  // REST requests are counted with Kubernetes' verbs and the HTTP code.
  t.regex((await kubectl(t, 'get', '--raw', '/metrics')).stdout, /^apiserver_request_total\{verb="LIST",resource="pods",code="200"\} \d+$/m);
});

test('create, get with server-side columns, label, annotate, the three patch types, delete', async (t) => {
  const f = file(t, 'pod.yaml', POD('web'));
  t.is((await kubectl(t, 'create', '-f', f)).stdout.trim(), 'pod/web created');
  const dup = (await kubectl(t, 'create', '-f', f));
  t.is(dup.stderr.trim(), `Error from server (AlreadyExists): error when creating "${f}": pods "web" already exists`);
  const get = (await kubectl(t, 'get', 'pods', '-o', 'wide'));
  t.regex(get.stdout, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/m);
  t.regex(get.stdout, /^web\s+0\/1\s+Pending\s+0\s/m);
  t.is((await kubectl(t, 'label', 'pod', 'web', 'tier=fe')).stdout.trim(), 'pod/web labeled');
  t.is((await kubectl(t, 'annotate', 'pod', 'web', 'note=hi')).stdout.trim(), 'pod/web annotated');
  t.is((await kubectl(t, 'patch', 'pod', 'web', '-p', '{"metadata":{"labels":{"s":"1"}}}')).stdout.trim(), 'pod/web patched');
  t.is((await kubectl(t, 'patch', 'pod', 'web', '--type=merge', '-p', '{"metadata":{"labels":{"m":"2"}}}')).stdout.trim(), 'pod/web patched');
  t.is((await kubectl(t, 'patch', 'pod', 'web', '--type=json', '-p', '[{"op":"add","path":"/metadata/labels/j","value":"3"}]')).stdout.trim(), 'pod/web patched');
  const pod = JSON.parse((await kubectl(t, 'get', 'pod', 'web', '-o', 'json')).stdout) as KubeObject;
  t.deepEqual(pod.metadata?.labels, { app: 'web', tier: 'fe', s: '1', m: '2', j: '3' });
  t.is(pod.metadata?.annotations?.['note'], 'hi');
  t.is((await kubectl(t, 'delete', 'pod', 'web')).stdout.trim(), 'pod "web" deleted');
});

test('errors read as they do against Kubernetes', async (t) => {
  t.is((await kubectl(t, 'get', 'pod', 'nope')).stderr.trim(), 'Error from server (NotFound): pods "nope" not found');
  t.is((await kubectl(t, 'get', 'deploy', 'nope')).stderr.trim(), 'Error from server (NotFound): deployments.apps "nope" not found');
  const bad = file(t, 'bad.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers: [{name: app}]\n');
  t.is((await kubectl(t, 'create', '-f', bad)).stderr.trim(), 'The Pod "x" is invalid: spec.containers[0].image: Required value');
  const unknown = file(t, 'unknown.yaml', POD('strict', '  foo: 1\n'));
  t.is((await kubectl(t, 'create', '-f', unknown)).stderr.trim(),
    `Error from server (BadRequest): error when creating "${unknown}": Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.foo"`);
  const warned = (await kubectl(t, 'create', '-f', unknown, '--validate=warn'));
  t.is(warned.code, 0, warned.stderr);
  t.is(warned.stderr.trim(), 'Warning: unknown field "spec.foo"');
  const ns = file(t, 'ns.yaml', POD('elsewhere').replace('  name: elsewhere', '  name: elsewhere\n  namespace: other'));
  t.regex((await kubectl(t, 'create', '-f', ns, '-n', 'default')).stderr, /the namespace from the provided object "other" does not match the namespace "default"|does not match the namespace/);
  t.is((await kubectl(t, 'get', 'pods', '-n', 'missing-ns', 'x')).stderr.trim(), 'Error from server (NotFound): namespaces "missing-ns" not found', 'kubectl 1.32 looks the namespace up after a NotFound, as against Kubernetes');
  t.is((await kubectl(t, 'get', 'widgets')).stderr.trim(), 'error: the server doesn\'t have a resource type "widgets"');
  t.is((await kubectl(t, 'get', 'pods', '--as', 'mallory')).stderr.trim(),
    'Error from server (Forbidden): pods is forbidden: User "mallory" cannot list resource "pods" in API group "" in the namespace "default"');
  t.is((await kubectl(t, 'delete', 'pod', 'strict')).code, 0);
});

test('deployments: apply created/unchanged/configured, scale, get deploy,rs,pods', async (t) => {
  const f = file(t, 'deploy.yaml', DEPLOYMENT(2));
  t.is((await kubectl(t, 'apply', '-f', f)).stdout.trim(), 'deployment.apps/web created');
  t.is((await kubectl(t, 'apply', '-f', f)).stdout.trim(), 'deployment.apps/web unchanged');
  t.is((await kubectl(t, 'apply', '-f', file(t, 'deploy.yaml', DEPLOYMENT(3)))).stdout.trim(), 'deployment.apps/web configured');
  t.is((await kubectl(t, 'scale', 'deployment', 'web', '--replicas=5')).stdout.trim(), 'deployment.apps/web scaled');
  t.is((await kubectl(t, 'get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}')).stdout, '5');
  const scale = JSON.parse((await kubectl(t, 'get', '--raw', '/apis/apps/v1/namespaces/default/deployments/web/scale')).stdout) as KubeObject;
  t.like(scale, { apiVersion: 'autoscaling/v1', kind: 'Scale', spec: { replicas: 5 }, status: { selector: 'app=web' } });
  const all = (await kubectl(t, 'get', 'deploy,rs,pods'));
  t.regex(all.stdout, /^deployment\.apps\/web\s+0\/5\s+0\s+0\s/m);
  t.is((await kubectl(t, 'delete', '-f', f)).stdout.trim(), 'deployment.apps "web" deleted');
});

test('get -w sees a change', async (t) => {
  t.is((await kubectl(t, 'create', '-f', file(t, 'watched.yaml', POD('watched')))).code, 0);
  const child = spawn('kubectl', ['--kubeconfig', t.context.kubeconfig, 'get', 'pods', 'watched', '-w', '--output-watch-events'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  t.teardown(() => child.kill());
  await waitFor('the initial row', () => /ADDED\s+watched/.test(out), 10_000);
  t.is((await kubectl(t, 'label', 'pod', 'watched', 'seen=yes')).code, 0);
  await waitFor('the change', () => /MODIFIED\s+watched/.test(out), 10_000);
  t.is((await kubectl(t, 'delete', 'pod', 'watched')).code, 0);
  await waitFor('the deletion', () => /DELETED\s+watched/.test(out), 10_000);
  t.pass();
});

test('logs go through the node\'s agent', async (t) => {
  const { client } = t.context;
  await client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'logged', namespace: 'default' }, spec: { nodeName: 'node-k', containers: [{ name: 'app', image: 'nginx' }] } } as KubeObject);
  const r = (await kubectl(t, 'logs', 'logged', '--tail=5', '--timestamps'));
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'hello from web\nsecond line\n');
  t.like(t.context.logs.at(-1), { name: 'logged', namespace: 'default', tailLines: '5', timestamps: true, follow: false });
  t.is((await kubectl(t, 'logs', 'nope')).stderr.trim(), 'error: error from server (NotFound): pods "nope" not found in namespace "default"');
});

test('a PATCH that would grant more than its author holds is refused, as on a create or an update', async (t) => {
  const { client, server } = t.context;
  // patcher may edit ClusterRoles, and holds nothing else.
  await client.create({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'role-editor' }, rules: [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['get', 'patch', 'update'] }] } as KubeObject);
  await client.create({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'patcher-edits-roles' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'role-editor' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'patcher' }] } as KubeObject);
  await client.create({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'target' }, rules: [] } as KubeObject);
  const patcher = { context: { kubeconfig: server.pki.kubeconfig(server.address, await server.pki.user('patcher'), 'patcher') } };
  const grantAll = '{"rules":[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}]}';
  for (const type of ['merge', 'strategic']) {
    const r = await kubectl(patcher, 'patch', 'clusterrole', 'target', '--type', type, '-p', grantAll);
    t.is(r.code, 1, `${type}: ${r.stdout}`);
    t.regex(r.stderr, /clusterroles\.rbac\.authorization\.k8s\.io "target" is forbidden: user "patcher" .*attempting to grant RBAC permissions not currently held/);
  }
  const stored = await client.get<KubeObject & { rules?: unknown[] }>('clusterroles', '', 'target');
  t.deepEqual(stored.rules ?? [], []);
  // A change within what patcher holds goes through.
  const ok = await kubectl(patcher, 'patch', 'clusterrole', 'target', '--type', 'merge', '-p', '{"metadata":{"labels":{"edited":"yes"}}}');
  t.is(ok.code, 0, ok.stderr);
});
