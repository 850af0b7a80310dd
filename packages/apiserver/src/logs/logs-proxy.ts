// Pods.Logs and Pods.Exec through the API server: find the pod's node, the address of that
// node's agent (its InternalIP and daemonEndpoints.kubeletEndpoint.Port), forward the request
// to the agent's own Pods service and hand its answer back (Logs: streamed chunk by chunk;
// Exec: one reply with the command's output and exit code), so tctl only ever talks to us.
//
//   tctl ──Logs/Exec──▶ API server: pod → spec.nodeName → Node → InternalIP:Port ──TLS──▶ agent
//
// The connection to the agent is mutual TLS: the API server presents its kubelet-client
// certificate (which the agent requires), and accepts the agent only if its serving
// certificate chains to the cluster CA and names that very node (CN system:node:NAME), so a
// node cannot answer for another by claiming its address.
import { credentials, status as GrpcStatus, type ChannelCredentials, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import { ApiError, fromGrpcError, loadProtos, nodeUsername, userFromCertificateSubject, type KubeObject, type Node } from '@tugboat/api';
import type { Registry } from '../registry/registry.js';
import { attributesOnly, serverStream, unary, type HandlerDeps } from '../grpc/handlers.js';
import { namedRequest } from '../grpc/request-attributes.js';
import type { ServiceHandlers } from '../grpc/wire-server.js';
import type { ExecRequest, ExecResponse, LogChunk, LogsRequest } from '../grpc/proto-types.js';

type PodsClient = InstanceType<ReturnType<typeof loadProtos>['tugboat']['v1']['Pods']>;

/** host:port of the agent serving a node, from what the agent wrote into its Node. */
export function agentAddress(node: Node): string | undefined {
  const ip = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  if (!ip || !port) return undefined;
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** The API server's credentials towards agents (--kubelet-client-certificate/-key, --kubelet-certificate-authority). */
export interface KubeletClientTls {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** Accepts an agent's certificate only if it is the named node's. */
export function checkAgentIdentity(nodeName: string, cert: PeerCertificate): Error | undefined {
  const name = userFromCertificateSubject(cert.subject)?.username;
  const want = nodeUsername(nodeName);
  return name === want ? undefined : new Error(`the agent's certificate is for ${JSON.stringify(name ?? '')}, not ${want}`);
}

export class LogsProxy {
  private readonly clients = new Map<string, PodsClient>();

  constructor(private readonly registry: Registry, private readonly tls: KubeletClientTls | undefined) {}

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  private credentialsFor(nodeName: string): ChannelCredentials {
    if (!this.tls) throw new ApiError('Unavailable', 'this API server has no --kubelet-client-certificate and --kubelet-client-key: it cannot reach agents');
    return credentials.createSsl(Buffer.from(this.tls.caPem), Buffer.from(this.tls.keyPem), Buffer.from(this.tls.certPem), {
      checkServerIdentity: (_host, cert) => checkAgentIdentity(nodeName, cert),
    });
  }

  private client(nodeName: string, address: string): PodsClient {
    const key = `${nodeName}@${address}`;
    let c = this.clients.get(key);
    if (!c) {
      const Pods = loadProtos().tugboat.v1.Pods;
      // Exec output comes back in one message: allow what tctl's client allows.
      c = new Pods(address, this.credentialsFor(nodeName), {
        'grpc.keepalive_time_ms': 10_000, 'grpc.keepalive_timeout_ms': 5_000, 'grpc.max_receive_message_length': 64 * 1024 * 1024,
        // The agent is checked by node identity, not address; and TLS SNI may not carry an IP.
        'grpc.ssl_target_name_override': 'tugboat-agent',
      });
      this.clients.set(key, c);
    }
    return c;
  }

  /** The agent to ask, or a clear error why there is none. */
  async resolve(namespace: string, name: string): Promise<{ nodeName: string; address: string }> {
    const pod = await this.registry.get('pods', namespace, name);
    const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
    if (!nodeName) throw new ApiError('BadRequest', `pod "${name}" is not scheduled to a node yet`);
    let node: KubeObject;
    try {
      node = await this.registry.get('nodes', '', nodeName);
    } catch (e) {
      if (e instanceof ApiError && e.reason === 'NotFound') throw new ApiError('Unavailable', `node "${nodeName}" of pod "${name}" does not exist`);
      throw e;
    }
    const address = agentAddress(node as Node);
    if (!address) throw new ApiError('Unavailable', `node "${nodeName}" does not report its agent's address (status.addresses InternalIP and status.daemonEndpoints.kubeletEndpoint.Port)`);
    return { nodeName, address };
  }

  /**
   * A pod's log stream from its node's agent (both wire formats read it here). `error` words
   * the stream's failure: the agent's own errors as they are, failing to reach it plainly.
   */
  async openLogs(req: LogsRequest): Promise<{ stream: ClientReadableStream<LogChunk>; error(err: ServiceError): ApiError }> {
    const namespace = req.namespace || 'default';
    const { nodeName, address } = await this.resolve(namespace, req.name);
    const stream: ClientReadableStream<LogChunk> = this.client(nodeName, address).logs({
      namespace,
      name: req.name,
      container: req.container,
      follow: req.follow,
      previous: req.previous,
      timestamps: req.timestamps,
      ...(req.tailLines !== undefined && req.tailLines !== null ? { tailLines: req.tailLines } : {}),
      ...(req.sinceSeconds !== undefined && req.sinceSeconds !== null ? { sinceSeconds: req.sinceSeconds } : {}),
    });
    return { stream, error: (err) => agentError(err, nodeName, address) };
  }

  service(deps: HandlerDeps): ServiceHandlers {
    return {
      Logs: serverStream<LogsRequest, LogChunk>(deps, '/tugboat.v1.Pods/Logs', 'logs', attributesOnly((r) => namedRequest('get', 'pods', r.namespace, r.name, 'log')), async (call, finish) => {
        const upstream = await this.openLogs(call.request);
        if (call.cancelled) { upstream.stream.cancel(); return; }
        call.onCancel(() => upstream.stream.cancel());
        upstream.stream.on('data', (chunk: LogChunk) => {
          // Backpressure: a slow reader slows the agent instead of filling our memory.
          if (!call.write(chunk)) {
            upstream.stream.pause();
            call.onDrain(() => upstream.stream.resume());
          }
        });
        upstream.stream.on('end', () => finish());
        upstream.stream.on('error', (err: ServiceError) => {
          if (call.cancelled) return;
          finish(upstream.error(err));
        });
      }),
      Exec: unary<ExecRequest, ExecResponse>(deps, '/tugboat.v1.Pods/Exec', 'exec', attributesOnly((r) => namedRequest('create', 'pods', r.namespace, r.name, 'exec')), async (req) => {
        const namespace = req.namespace || 'default';
        const { nodeName, address } = await this.resolve(namespace, req.name);
        return new Promise<ExecResponse>((resolve, reject) => {
          this.client(nodeName, address).exec({
            namespace,
            name: req.name,
            container: req.container,
            command: req.command,
            stdin: req.stdin,
            ...(req.timeoutSeconds !== undefined && req.timeoutSeconds !== null ? { timeoutSeconds: req.timeoutSeconds } : {}),
          }, (err: ServiceError | null, res?: ExecResponse) => {
            if (err) reject(agentError(err, nodeName, address));
            else if (!res) reject(new ApiError('Internal', `the agent of node "${nodeName}" sent an empty exec response`));
            else resolve(res);
          });
        });
      }),
    };
  }
}

/** An error of the agent's own (with its reason) as it is; failing to reach it, said plainly. */
function agentError(err: ServiceError, nodeName: string, address: string): ApiError {
  const fromAgent = err.metadata?.get('tugboat-reason').length > 0;
  if (err.code === GrpcStatus.UNAVAILABLE && !fromAgent) {
    return new ApiError('Unavailable', `cannot reach the agent of node "${nodeName}" at ${address}: ${err.details}`);
  }
  return fromGrpcError(err);
}
