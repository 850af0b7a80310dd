// Pods.Logs and Pods.Exec through the API server to a node's agent. The agent side is a small real gRPC
// Pods server standing in for the agent (whose package serves the same service), with TLS as an
// agent has it: its node's serving certificate, and the API server's client certificate required.
import anyTest, { type TestFn } from 'ava';
import { Server, ServerCredentials, status as GrpcStatus, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import { ApiError, loadProtos, toGrpcError, type KubeObject, type TugboatClient } from '@tugboat/api';
import { freePort, startApiServerInProcess, startEtcd, waitFor, type ApiServerHandle, type EtcdHandle } from '@tugboat/test';
import type { ExecRequest, ExecResponse, LogChunk, LogsRequest } from '../grpc/proto-types.js';

const test = anyTest as TestFn<{ etcd: EtcdHandle; server: ApiServerHandle; client: TugboatClient; agent: Server; agentPort: number; requests: LogsRequest[]; execs: ExecRequest[] }>;

/** An agent's TLS: serving as `node`, accepting only clients with a certificate from the cluster CA. */
async function agentCredentials(server: ApiServerHandle, node: string): Promise<ServerCredentials> {
  const { serving } = await server.pki.node(node);
  return ServerCredentials.createSsl(Buffer.from(server.pki.ca.certPem), [{ cert_chain: Buffer.from(serving.certPem), private_key: Buffer.from(serving.keyPem) }], true);
}

test.before(async (t) => {
  const etcd = await startEtcd();
  const server = await startApiServerInProcess(etcd.endpoint);
  const client = server.client();
  const requests: LogsRequest[] = [];
  const execs: ExecRequest[] = [];
  const agent = new Server();
  agent.addService(loadProtos().tugboat.v1.Pods.service, {
    Logs: (call: ServerWritableStream<LogsRequest, LogChunk>) => {
      requests.push(call.request);
      if (call.request.container === 'missing') {
        call.emit('error', toGrpcError(new ApiError('BadRequest', 'container "missing" is not valid for pod "web"')));
        return;
      }
      call.write({ data: Buffer.from('line 1\n'), container: 'app' });
      call.write({ data: Buffer.from('line 2\n'), container: 'app' });
      call.end();
    },
    // Echoes what it was asked, so the test sees every field arrive.
    Exec: (call: ServerUnaryCall<ExecRequest, ExecResponse>, callback: sendUnaryData<ExecResponse>) => {
      execs.push(call.request);
      if (call.request.container === 'stopped') {
        callback(toGrpcError(new ApiError('BadRequest', 'container "stopped" in pod "web" is not running')));
        return;
      }
      const stdin = Buffer.from(call.request.stdin ?? '');
      callback(null, { stdout: Buffer.concat([Buffer.from(`${(call.request.command ?? []).join(' ')}\n`), stdin]), stderr: Buffer.from([0xff, 0x00, 0x01]), exitCode: 42 });
    },
  });
  const creds = await agentCredentials(server, 'node-logs');
  const agentPort = await new Promise<number>((resolve, reject) => agent.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? reject(e) : resolve(p))));
  await waitFor('default namespace', async () => (await client.tryGet('namespaces', '', 'default')) !== undefined);
  t.context = { etcd, server, client, agent, agentPort, requests, execs };
});

test.after.always(async (t) => {
  t.context.agent?.forceShutdown();
  await t.context.server?.stop();
  await t.context.etcd?.destroy();
});

const node = (name: string, port: number): KubeObject => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name },
  status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: name }], daemonEndpoints: { kubeletEndpoint: { Port: port } } },
});
const pod = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'app', image: 'busybox' }] } });

async function readAll(client: TugboatClient, name: string, opts: Parameters<TugboatClient['logs']>[2] = {}): Promise<string> {
  let text = '';
  for await (const chunk of client.logs('default', name, opts)) text += chunk.data.toString();
  return text;
}

test.serial('logs stream from the agent of the pod\'s node, with the request passed on', async (t) => {
  const { client, agentPort, requests } = t.context;
  await client.create(node('node-logs', agentPort));
  await client.create(pod('web'));
  await client.bind('default', 'web', 'node-logs');
  t.is(await readAll(client, 'web', { container: 'app', tailLines: 10, timestamps: true }), 'line 1\nline 2\n');
  t.like(requests.at(-1), { namespace: 'default', name: 'web', container: 'app', tailLines: '10', timestamps: true });
  // The agent's own errors come through with their reason.
  const err = await t.throwsAsync(readAll(client, 'web', { container: 'missing' }), { instanceOf: ApiError });
  t.is(err?.reason, 'BadRequest');
  t.regex(err?.message ?? '', /container "missing"/);
});

test.serial('exec goes to the agent of the pod\'s node and its reply comes back byte for byte', async (t) => {
  const { client, execs } = t.context;
  // The pod "web" of the first test, bound to node-logs.
  const res = await client.exec('default', 'web', ['sh', '-c', 'cat; exit 42'], { container: 'app', stdin: Buffer.from('in\n'), timeoutSeconds: 5 });
  t.is(res.stdout.toString(), 'sh -c cat; exit 42\nin\n');
  t.deepEqual([...res.stderr], [0xff, 0x00, 0x01]);
  t.is(res.exitCode, 42);
  t.like(execs.at(-1), { namespace: 'default', name: 'web', container: 'app', command: ['sh', '-c', 'cat; exit 42'], timeoutSeconds: 5 });
  t.is(execs.at(-1)?.stdin.toString(), 'in\n');
  // No timeout asked for: none passed on.
  await client.exec('default', 'web', ['true']);
  t.is(execs.at(-1)?.timeoutSeconds ?? undefined, undefined);
  t.is(execs.at(-1)?.container, '');
  const stopped = await t.throwsAsync(client.exec('default', 'web', ['true'], { container: 'stopped' }), { instanceOf: ApiError });
  t.is(stopped?.reason, 'BadRequest');
  t.is(stopped?.message, 'container "stopped" in pod "web" is not running');
});

test.serial('clear errors: no such pod, not scheduled yet, node unreachable', async (t) => {
  const { client } = t.context;
  t.is((await t.throwsAsync(readAll(client, 'ghost'), { instanceOf: ApiError }))?.reason, 'NotFound');
  await client.create(pod('pending'));
  const pending = await t.throwsAsync(readAll(client, 'pending'), { instanceOf: ApiError });
  t.is(pending?.message, 'pod "pending" is not scheduled to a node yet');

  const deadPort = await freePort();
  await client.create(node('node-dead', deadPort));
  await client.create(pod('stranded'));
  await client.bind('default', 'stranded', 'node-dead');
  const dead = await t.throwsAsync(readAll(client, 'stranded'), { instanceOf: ApiError });
  t.is(dead?.reason, 'Unavailable');
  t.regex(dead?.message ?? '', new RegExp(`cannot reach the agent of node "node-dead" at 127\\.0\\.0\\.1:${deadPort}`));
  // Exec takes the same way to the node: the same answers.
  t.is((await t.throwsAsync(client.exec('default', 'ghost', ['true']), { instanceOf: ApiError }))?.reason, 'NotFound');
  t.is((await t.throwsAsync(client.exec('default', 'pending', ['true']), { instanceOf: ApiError }))?.message, 'pod "pending" is not scheduled to a node yet');
  const deadExec = await t.throwsAsync(client.exec('default', 'stranded', ['true']), { instanceOf: ApiError });
  t.is(deadExec?.reason, 'Unavailable');
  t.regex(deadExec?.message ?? '', new RegExp(`cannot reach the agent of node "node-dead" at 127\\.0\\.0\\.1:${deadPort}`));
  t.is(GrpcStatus.UNAVAILABLE, 14);
});

test.serial('an agent whose certificate names another node is not trusted with the request', async (t) => {
  const { client, requests } = t.context;
  // node-other's address is the agent of node-logs: TLS succeeds, but the certificate is for the wrong node.
  await client.create(node('node-other', t.context.agentPort));
  await client.create(pod('impostor'));
  await client.bind('default', 'impostor', 'node-other');
  const before = requests.length;
  const err = await t.throwsAsync(readAll(client, 'impostor'), { instanceOf: ApiError });
  t.is(err?.reason, 'Unavailable');
  t.regex(err?.message ?? '', /cannot reach the agent of node "node-other"/);
  t.is(requests.length, before, 'the request never reached the agent');
  // And a plaintext agent is not reached at all.
  const plain = new Server();
  plain.addService(loadProtos().tugboat.v1.Pods.service, { Logs: (call: ServerWritableStream<LogsRequest, LogChunk>) => { requests.push(call.request); call.end(); }, Exec: () => undefined });
  const port = await new Promise<number>((resolve, reject) => plain.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  t.teardown(() => plain.forceShutdown());
  await client.create(node('node-plain', port));
  await client.create(pod('plain'));
  await client.bind('default', 'plain', 'node-plain');
  t.is((await t.throwsAsync(readAll(client, 'plain'), { instanceOf: ApiError }))?.reason, 'Unavailable');
  t.is(requests.length, before);
});
