// What the agent serves:
//   gRPC (--listen): the Pods service — Logs of, and Exec in, the pods on this node (the API
//     server proxies `tctl logs` and `tctl exec` here); one server answers for every node of
//     a `--hollow N` process. TLS only, with the node's serving certificate; a client must
//     present a certificate from --client-ca-file (TLS refuses any other) and be in
//     system:masters — the API server's kubelet client — before any handler runs.
//   HTTP (--http-listen): /metrics (Prometheus text) and /healthz.
import type { AddressInfo } from 'node:net';
import type { PeerCertificate } from 'node:tls';
import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import {
  ApiError, GROUP_MASTERS, formatHostPort, loadProtos, serveComponentHttp, sleep, toGrpcError, userFromCertificateSubject,
  type ComponentHttp, type ContainerStatus, type UserInfo,
} from '@tugboat/api';
import type { ServingTls } from './security.js';
import type { AgentMetrics } from './metrics.js';
import { RuntimeError, type ContainerInfo, type Runtime } from './runtimes/runtime.js';
import { containersOf, initContainersOf, instancesOf, isTerminalPhase, restartPolicyFor, shouldRestart, type PodObject } from './pods/pod-util.js';

/** A node's pods and runtime, as the logs and exec services need them (a PodManager). */
export interface PodSource {
  readonly nodeName: string;
  readonly runtime: Runtime;
  pod(namespace: string, name: string): PodObject | undefined;
}

interface LogsRequest {
  namespace: string;
  name: string;
  container: string;
  follow: boolean;
  tailLines?: string;
  sinceSeconds?: string;
  previous: boolean;
  timestamps: boolean;
}

interface LogChunk { data: Buffer; container: string }

interface ExecRequest {
  namespace: string;
  name: string;
  container: string;
  command: string[];
  timeoutSeconds?: number | null;
  stdin: Buffer;
}

interface ExecResponse { stdout: Buffer; stderr: Buffer; exitCode: number }

/** Which container of the pod a logs request means; an ApiError a user can act on otherwise. */
export function pickContainer(pod: PodObject, requested: string): string {
  const names = containersOf(pod).map((c) => c.name);
  const initNames = initContainersOf(pod).map((c) => c.name);
  const podName = pod.metadata?.name ?? '';
  if (!requested) {
    if (names.length === 1 && names[0]) return names[0];
    const inits = initNames.length ? ` or one of the init containers: [${initNames.join(' ')}]` : '';
    throw new ApiError('BadRequest', `a container name must be specified for pod ${podName}, choose one of: [${names.join(' ')}]${inits}`);
  }
  // Init containers can be named too (their logs, an exec while one runs), as the API server allows.
  if (!names.includes(requested) && !initNames.includes(requested)) throw new ApiError('BadRequest', `container ${requested} is not valid for pod ${podName}`);
  return requested;
}

/** The container's entry in status.containerStatuses or status.initContainerStatuses. */
function statusOf(pod: PodObject, container: string): ContainerStatus | undefined {
  return pod.status?.containerStatuses?.find((s) => s.name === container) ?? pod.status?.initContainerStatuses?.find((s) => s.name === container);
}

/**
 * The instance `logs --previous` means, as kubelet has it: the one the container status'
 * lastState names — in a crash loop (Waiting, back-off) that is the newest instance, the one
 * that just failed — else the one before the current. `instances` is newest first.
 */
export function previousInstance(pod: PodObject, container: string, instances: readonly ContainerInfo[]): ContainerInfo | undefined {
  const id = statusOf(pod, container)?.lastState?.terminated?.containerID;
  const named = id ? instances.find((i) => i.state === 'exited' && id.endsWith(`://${i.id}`)) : undefined;
  return named ?? instances[1];
}

/** The node (of this process) that runs the pod, and the pod as its agent knows it. */
function findPod(sources: readonly PodSource[], namespace: string, name: string): { source: PodSource; pod: PodObject } {
  for (const source of sources) {
    const pod = source.pod(namespace, name);
    if (pod) return { source, pod };
  }
  const nodes = sources.map((s) => s.nodeName).join(', ');
  throw new ApiError('NotFound', `pod "${name}" in namespace "${namespace}" is not running on node ${nodes}`);
}

export class LogsService {
  constructor(private readonly sources: () => readonly PodSource[], private readonly pollMs = 500) {}

  private find(namespace: string, name: string): { source: PodSource; pod: PodObject } {
    return findPod(this.sources(), namespace, name);
  }

  async logs(call: ServerWritableStream<LogsRequest, LogChunk>): Promise<void> {
    const req = call.request;
    const namespace = req.namespace || 'default';
    const abort = new AbortController();
    call.on('cancelled', () => abort.abort());
    call.on('close', () => abort.abort());
    try {
      const { source, pod } = this.find(namespace, req.name);
      const container = pickContainer(pod, req.container);
      const uid = pod.metadata?.uid ?? '';
      const instances = instancesOf(await source.runtime.listContainers({ podUid: uid }), container);
      let target: ContainerInfo | undefined;
      if (req.previous) {
        target = previousInstance(pod, container, instances);
        if (!target) throw new ApiError('BadRequest', `previous terminated container "${container}" in pod "${req.name}" not found`);
      } else {
        target = instances[0];
        if (!target) {
          const waiting = statusOf(pod, container)?.state?.waiting?.reason ?? 'ContainerCreating';
          throw new ApiError('BadRequest', `container "${container}" in pod "${req.name}" is waiting to start: ${waiting}`);
        }
      }
      const tailLines = req.tailLines !== undefined && req.tailLines !== null ? Number(req.tailLines) : undefined;
      const sinceSeconds = req.sinceSeconds !== undefined && req.sinceSeconds !== null ? Number(req.sinceSeconds) : undefined;
      const follow = req.follow && !req.previous;
      await this.stream(call, source.runtime, target, container, abort.signal, {
        follow,
        timestamps: req.timestamps,
        ...(tailLines !== undefined && tailLines >= 0 ? { tailLines } : {}),
        ...(sinceSeconds !== undefined && sinceSeconds > 0 ? { since: new Date(Date.now() - sinceSeconds * 1000) } : {}),
      });
      // Following the current container: its next instance (a restart) goes on the same stream.
      while (follow && !abort.signal.aborted) {
        const current = source.pod(namespace, req.name);
        if (!current || current.metadata?.uid !== uid) break;
        const [latest] = instancesOf(await source.runtime.listContainers({ podUid: uid }), container);
        if (!latest) break;
        if (latest.attempt > target.attempt) {
          target = latest;
          await this.stream(call, source.runtime, target, container, abort.signal, { follow: true, timestamps: req.timestamps });
          continue;
        }
        const ended = latest.state === 'exited'
          && (!shouldRestart(restartPolicyFor(current, container), latest.exitCode) || isTerminalPhase(current.status?.phase) || !!current.metadata?.deletionTimestamp);
        if (ended) break;
        await sleep(this.pollMs, abort.signal);
      }
      if (!abort.signal.aborted) call.end();
    } catch (e) {
      if (abort.signal.aborted) return;
      call.emit('error', toGrpcError(e));
    }
  }

  private async stream(
    call: ServerWritableStream<LogsRequest, LogChunk>, runtime: Runtime, target: ContainerInfo, container: string, signal: AbortSignal,
    opts: { follow: boolean; timestamps: boolean; tailLines?: number; since?: Date },
  ): Promise<void> {
    for await (const data of runtime.logs(target.id, { ...opts, signal })) {
      if (signal.aborted) return;
      // Backpressure: wait for a slow reader instead of buffering the whole file.
      if (!call.write({ data, container })) await new Promise<void>((r) => { call.once('drain', () => r()); signal.addEventListener('abort', () => r(), { once: true }); });
    }
  }
}

/**
 * Runs a command in the current instance of a pod's container (runtime.exec: `runc exec` for
 * oci, a host process with the container's env and workingDir for process) and hands back
 * its output and exit code. A non-zero exit is a result, not an error; errors are for a
 * command that could not run at all.
 */
export class ExecService {
  constructor(private readonly sources: () => readonly PodSource[]) {}

  async exec(req: ExecRequest): Promise<ExecResponse> {
    const namespace = req.namespace || 'default';
    const { source, pod } = findPod(this.sources(), namespace, req.name);
    const container = pickContainer(pod, req.container);
    if (req.command.length === 0 || !req.command[0]) throw new ApiError('BadRequest', 'you must specify at least one command for the container');
    const [current] = instancesOf(await source.runtime.listContainers({ podUid: pod.metadata?.uid ?? '' }), container);
    if (!current || current.state !== 'running') throw new ApiError('BadRequest', `container "${container}" in pod "${req.name}" is not running`);
    const timeoutSeconds = req.timeoutSeconds ?? undefined;
    try {
      const res = await source.runtime.exec(current.id, req.command, {
        ...(timeoutSeconds !== undefined && timeoutSeconds > 0 ? { timeoutMs: timeoutSeconds * 1000 } : {}),
        ...(req.stdin.length > 0 ? { stdin: req.stdin } : {}),
      });
      return { stdout: res.stdout, stderr: res.stderr, exitCode: res.exitCode };
    } catch (e) {
      // The container may have ended between the look-up and the exec.
      const now = await source.runtime.containerStatus(current.id).catch(() => undefined);
      if (now?.state !== 'running') throw new ApiError('BadRequest', `container "${container}" in pod "${req.name}" is not running`);
      if (e instanceof RuntimeError) throw new ApiError('Internal', `cannot exec in container "${container}" of pod "${req.name}": ${e.message}`, [], { cause: e });
      throw e;
    }
  }
}

/** What a call knows of its peer (grpc-js' ServerSurfaceCall.getAuthContext, whose type it does not export). */
interface PeerCall {
  getAuthContext(): { sslPeerCertificate?: PeerCertificate } | null;
}

/**
 * Who may use the Pods service: the holder of a client certificate that TLS verified against
 * --client-ca-file, in group system:masters (the API server's kubelet client). Kubernetes'
 * kubelet asks the API server (a SubjectAccessReview on nodes/proxy); we check the group, so
 * a node's own certificate (system:nodes) cannot read another pod's logs through us.
 */
export function authorizePeer(call: PeerCall, verb: 'get' | 'create'): UserInfo {
  const cert = call.getAuthContext()?.sslPeerCertificate;
  const user = cert ? userFromCertificateSubject(cert.subject) : undefined;
  if (!user) throw new ApiError('Unauthorized', 'Unauthorized: the agent serves only clients with a certificate from its --client-ca-file');
  if (!user.groups.includes(GROUP_MASTERS)) {
    throw new ApiError('Forbidden', `Forbidden (user=${user.username}, verb=${verb}, resource=nodes, subresource=proxy)`);
  }
  return user;
}

export interface AgentServerOptions {
  sources: () => readonly PodSource[];
  /** The gRPC port's serving certificate and the CA of the clients it accepts. */
  tls: ServingTls;
  metrics: AgentMetrics;
  /** "host:port" for gRPC; port 0 picks a free one. */
  grpcAddress: string;
  httpHost: string;
  httpPort: number;
}

export interface ListeningServer {
  grpcPort: number;
  httpPort: number;
  close(): Promise<void>;
}

export async function startAgentServer(opts: AgentServerOptions): Promise<ListeningServer> {
  const grpc = new Server();
  const logs = new LogsService(opts.sources);
  const exec = new ExecService(opts.sources);
  grpc.addService(loadProtos().tugboat.v1.Pods.service, {
    Logs: (call: ServerWritableStream<LogsRequest, LogChunk>) => {
      try {
        authorizePeer(call, 'get');
      } catch (e) {
        call.emit('error', toGrpcError(e));
        return;
      }
      void logs.logs(call);
    },
    Exec: (call: ServerUnaryCall<ExecRequest, ExecResponse>, callback: sendUnaryData<ExecResponse>) => {
      try {
        authorizePeer(call, 'create');
      } catch (e) {
        callback(toGrpcError(e));
        return;
      }
      exec.exec(call.request).then((res) => callback(null, res), (e: unknown) => callback(toGrpcError(e)));
    },
  });
  // true: a client certificate is required and must chain to the client CA (TLS refuses the rest).
  const credentials = ServerCredentials.createSsl(
    Buffer.from(opts.tls.clientCaPem),
    [{ cert_chain: Buffer.from(opts.tls.certPem), private_key: Buffer.from(opts.tls.keyPem) }],
    true,
  );
  const grpcPort = await new Promise<number>((resolve, reject) => {
    grpc.bindAsync(opts.grpcAddress, credentials, (err, port) => (err ? reject(err) : resolve(port)));
  });
  // /metrics and /healthz as every component serves them.
  let http: ComponentHttp;
  try {
    http = await serveComponentHttp({ listen: formatHostPort({ host: opts.httpHost, port: opts.httpPort }), metrics: opts.metrics.registry });
  } catch (e) {
    grpc.forceShutdown();
    throw e;
  }
  const httpPort = (http.server.address() as AddressInfo).port;
  return {
    grpcPort,
    httpPort,
    async close() {
      // A follow stream could keep a graceful shutdown waiting forever.
      await new Promise<void>((r) => {
        const t = setTimeout(() => { grpc.forceShutdown(); r(); }, 1_000);
        grpc.tryShutdown(() => { clearTimeout(t); r(); });
      });
      await http.close();
    },
  };
}
