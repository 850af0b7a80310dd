import test, { type ExecutionContext } from 'ava';
import { credentials, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError, channelCredentials, fromGrpcError, loadProtos, tlsChannelOptions, type Credentials } from '@tugboat/api';
import { createCa, issueCertificate } from '@tugboat/api/pki';
import { testPki } from '@tugboat/test';
import { pickContainer, previousInstance, startAgentServer, type PodSource } from './server.js';
import { AgentMetrics } from './metrics.js';
import { ProcessRuntime } from './runtimes/process/process-runtime.js';
import { killContainers } from './runtimes/process/kill-containers.js';
import type { ContainerConfig, ContainerInfo, SandboxInfo } from './runtimes/runtime.js';
import type { PodObject } from './pods/pod-util.js';

const pod = (...names: string[]): PodObject => ({ metadata: { name: 'web' }, spec: { containers: names.map((name) => ({ name })) } }) as PodObject;

test('the only container is picked without a name', (t) => {
  t.is(pickContainer(pod('app'), ''), 'app');
});

test('several containers and none named: an error listing them, as kubectl says it', (t) => {
  const e = t.throws(() => pickContainer(pod('app', 'sidecar'), ''), { instanceOf: ApiError });
  t.is(e?.message, 'a container name must be specified for pod web, choose one of: [app sidecar]');
  t.is(e?.reason, 'BadRequest');
});

test('an unknown container is an error', (t) => {
  t.throws(() => pickContainer(pod('app'), 'db'), { message: 'container db is not valid for pod web' });
  t.is(pickContainer(pod('app', 'db'), 'db'), 'db');
});

test('init containers can be named; without a name the error lists them as the API server does', (t) => {
  const withInit = { metadata: { name: 'web' }, spec: { initContainers: [{ name: 'setup' }], containers: [{ name: 'app' }, { name: 'side' }] } } as PodObject;
  t.is(pickContainer(withInit, 'setup'), 'setup');
  t.throws(() => pickContainer(withInit, ''), { message: 'a container name must be specified for pod web, choose one of: [app side] or one of the init containers: [setup]' });
  t.is(pickContainer({ ...withInit, spec: { initContainers: [{ name: 'setup' }], containers: [{ name: 'app' }] } } as PodObject, ''), 'app');
});

test('logs --previous: the instance lastState names (in a crash loop, the one that just failed), else the one before the current', (t) => {
  const instance = (attempt: number, state: ContainerInfo['state']): ContainerInfo => ({
    id: `c${attempt}`, pod: { uid: 'u', namespace: 'default', name: 'web' }, name: 'app', attempt, image: 'i', imageRef: 'i', state, createdAt: new Date(0), annotations: {},
  });
  const withLast = (id: string | undefined): PodObject => ({
    metadata: { name: 'web' }, spec: { containers: [{ name: 'app' }] },
    status: { containerStatuses: [{ name: 'app', image: 'i', imageID: '', ready: false, restartCount: 2, ...(id ? { lastState: { terminated: { exitCode: 1, containerID: `oci://${id}` } } } : {}) }] },
  }) as PodObject;
  // Restarted and running again: the one before.
  t.is(previousInstance(withLast('c1'), 'app', [instance(2, 'running'), instance(1, 'exited')])?.id, 'c1');
  // Waiting in back-off: the status names the newest, exited instance.
  t.is(previousInstance(withLast('c2'), 'app', [instance(2, 'exited'), instance(1, 'exited')])?.id, 'c2');
  // No status yet (or a stale one naming a removed instance): the one before the current.
  t.is(previousInstance(withLast(undefined), 'app', [instance(2, 'running'), instance(1, 'exited')])?.id, 'c1');
  t.is(previousInstance(withLast('c0'), 'app', [instance(2, 'running'), instance(1, 'exited')])?.id, 'c1');
  t.is(previousInstance(withLast(undefined), 'app', [instance(0, 'running')]), undefined);
});

// ---- Exec, for real: the agent's gRPC server over a process runtime ----------------------

type PodsClient = InstanceType<ReturnType<typeof loadProtos>['tugboat']['v1']['Pods']>;
interface ExecReply { stdout: Buffer; stderr: Buffer; exitCode: number }

const execDirs: string[] = [];
test.after.always(() => {
  for (const d of execDirs) {
    killContainers(d);
    rmSync(d, { recursive: true, force: true });
  }
});

/** A Pods client of the agent at `address` with these credentials (the API server's kubelet client unless told). */
function podsClient(address: string, creds: Credentials | undefined): PodsClient {
  const Pods = loadProtos().tugboat.v1.Pods;
  if (!creds) return new Pods(address, credentials.createInsecure());
  return new Pods(address, channelCredentials(creds, address), tlsChannelOptions(creds, address));
}

async function execFixture(t: ExecutionContext): Promise<{ client: PodsClient; rt: ProcessRuntime; sandbox: SandboxInfo; pod: PodObject; address: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tugboat-agent-exec-'));
  execDirs.push(dataDir);
  const rt = new ProcessRuntime({ dataDir, hostIP: '127.0.0.1' });
  const uid = `exec-${process.pid}-${execDirs.length}`;
  const pod = {
    metadata: { name: 'web', namespace: 'default', uid },
    spec: { containers: [{ name: 'app', image: 'busybox' }, { name: 'done', image: 'busybox' }] },
  } as PodObject;
  const sandbox = await rt.createSandbox({ pod: { uid, namespace: 'default', name: 'web' }, hostname: 'web', hostNetwork: true, labels: {}, annotations: {} });
  const source: PodSource = { nodeName: 'node-x', runtime: rt, pod: (ns, name) => (ns === 'default' && name === 'web' ? pod : undefined) };
  const pki = await testPki();
  const node = await pki.node('node-x');
  const server = await startAgentServer({
    sources: () => [source], metrics: new AgentMetrics({ defaultMetrics: false }), grpcAddress: '127.0.0.1:0', httpHost: '127.0.0.1', httpPort: 0,
    tls: { certPem: node.serving.certPem, keyPem: node.serving.keyPem, clientCaPem: pki.ca.certPem },
  });
  const address = `127.0.0.1:${server.grpcPort}`;
  // The API server's kubelet client: a certificate from the cluster CA in system:masters.
  const client = podsClient(address, pki.credentials(pki.kubeletClient));
  t.teardown(async () => { client.close(); await server.close(); });
  return { client, rt, sandbox, pod, address };
}

function callExec(client: PodsClient, req: { namespace?: string; name: string; container?: string; command: string[]; timeoutSeconds?: number; stdin?: Buffer }): Promise<ExecReply> {
  return new Promise((resolve, reject) => client.exec(req, (err: ServiceError | null, res?: ExecReply) => (err ? reject(fromGrpcError(err)) : resolve(res!))));
}

async function waitRunning(rt: ProcessRuntime, id: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if ((await rt.containerStatus(id))?.state === 'running') return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`container ${id} did not start`);
}

const ctr = (sandbox: SandboxInfo, name: string, command: string[], env: { name: string; value: string }[] = []): ContainerConfig => ({
  pod: sandbox.pod, name, attempt: 0, image: 'busybox', imageRef: 'busybox', command, args: [], env, resources: {}, annotations: {},
});

test.serial('exec runs the command with the container\'s environment: stdout, stderr, exit code and stdin come back', async (t) => {
  const { client, rt, sandbox } = await execFixture(t);
  const app = await rt.startContainer(sandbox, ctr(sandbox, 'app', ['sleep', '60'], [{ name: 'GREETING', value: 'hello' }, { name: 'PATH', value: process.env['PATH'] ?? '/usr/bin:/bin' }]));
  await waitRunning(rt, app.id);
  const done = await rt.startContainer(sandbox, ctr(sandbox, 'done', ['true']));
  for (let i = 0; i < 400 && (await rt.containerStatus(done.id))?.state !== 'exited'; i++) await new Promise((r) => setTimeout(r, 25));

  const res = await callExec(client, { name: 'web', container: 'app', command: ['sh', '-c', 'echo "$GREETING out"; echo err >&2; exit 7'] });
  t.is(res.stdout.toString(), 'hello out\n');
  t.is(res.stderr.toString(), 'err\n');
  t.is(res.exitCode, 7);

  const echoed = await callExec(client, { name: 'web', container: 'app', command: ['cat'], stdin: Buffer.from('from stdin\n') });
  t.is(echoed.stdout.toString(), 'from stdin\n');
  t.is(echoed.exitCode, 0);

  // A timeout kills the command; the answer still comes, with the kill's exit code.
  const slow = await callExec(client, { name: 'web', container: 'app', command: ['sleep', '30'], timeoutSeconds: 1 });
  t.not(slow.exitCode, 0);

  // Clear errors: several containers and none named, a stopped container, a pod not here, no command.
  const pick = await t.throwsAsync(callExec(client, { name: 'web', command: ['true'] }));
  t.is(pick?.message, 'a container name must be specified for pod web, choose one of: [app done]');
  const stopped = await t.throwsAsync(callExec(client, { name: 'web', container: 'done', command: ['true'] }));
  t.is(stopped?.message, 'container "done" in pod "web" is not running');
  t.is((stopped as ApiError | undefined)?.reason, 'BadRequest');
  const elsewhere = await t.throwsAsync(callExec(client, { name: 'db', container: 'app', command: ['true'] }));
  t.is((elsewhere as ApiError | undefined)?.reason, 'NotFound');
  t.regex(elsewhere?.message ?? '', /pod "db" in namespace "default" is not running on node node-x/);
  const empty = await t.throwsAsync(callExec(client, { name: 'web', container: 'app', command: [] }));
  t.is(empty?.message, 'you must specify at least one command for the container');

  await rt.stopContainer(app.id, 1);
  const gone = await t.throwsAsync(callExec(client, { name: 'web', container: 'app', command: ['true'] }));
  t.is(gone?.message, 'container "app" in pod "web" is not running');
});

test.serial('only the API server\'s kubelet client is served: no certificate, another CA\'s, a node\'s own and plaintext are all refused', async (t) => {
  const { client, rt, sandbox, address } = await execFixture(t);
  const app = await rt.startContainer(sandbox, ctr(sandbox, 'app', ['sleep', '60']));
  await waitRunning(rt, app.id);
  const pki = await testPki();
  const call = async (creds: Credentials | undefined): Promise<ServiceError> => {
    const c = podsClient(address, creds);
    try {
      const err = await new Promise<ServiceError | null>((resolve) => {
        c.exec({ name: 'web', container: 'app', command: ['true'] }, { deadline: Date.now() + 3_000 }, (e: ServiceError | null) => resolve(e));
      });
      if (!err) throw new Error('the call was answered');
      return err;
    } finally {
      c.close();
    }
  };
  // TLS itself refuses a client without a certificate, and one whose certificate is not the client CA's.
  const none = await call({ tls: { ca: pki.ca.certPem } });
  t.not(none.code, GrpcStatus.OK);
  t.is(none.metadata?.get('tugboat-reason').length ?? 0, 0, `no handler answered: ${none.message}`);
  const otherCa = await createCa('not-the-cluster-ca');
  const stranger = await issueCertificate(otherCa, { commonName: 'kube-apiserver-kubelet-client', organizations: ['system:masters'], usage: 'client' });
  const foreign = await call({ tls: { ca: pki.ca.certPem, cert: stranger.certPem, key: stranger.keyPem } });
  t.not(foreign.code, GrpcStatus.OK);
  t.is(foreign.metadata?.get('tugboat-reason').length ?? 0, 0, `no handler answered: ${foreign.message}`);
  // A node's own certificate is the cluster CA's, but a node may not read pods through another agent.
  const node = await pki.node('node-x');
  const asNode = await call(pki.credentials(node.client));
  t.is(asNode.code, GrpcStatus.PERMISSION_DENIED);
  t.is(fromGrpcError(asNode).message, 'Forbidden (user=system:node:node-x, verb=create, resource=nodes, subresource=proxy)');
  const logsAsNode = await new Promise<ServiceError>((resolve) => {
    const c = podsClient(address, pki.credentials(node.client));
    const s = c.logs({ namespace: 'default', name: 'web', container: 'app' });
    s.on('data', () => undefined);
    s.on('error', (e: ServiceError) => { c.close(); resolve(e); });
  });
  t.is(logsAsNode.code, GrpcStatus.PERMISSION_DENIED);
  t.regex(logsAsNode.details, /user=system:node:node-x, verb=get/);
  // Plaintext gets no answer at all.
  const plain = await call(undefined);
  t.true(plain.code === GrpcStatus.UNAVAILABLE || plain.code === GrpcStatus.DEADLINE_EXCEEDED, `${plain.code}: ${plain.message}`);
  // The kubelet client is served.
  const ok = await callExec(client, { name: 'web', container: 'app', command: ['true'] });
  t.is(ok.exitCode, 0);
  await rt.stopContainer(app.id, 1);
});
