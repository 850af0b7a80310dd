// Pods.Logs and Pods.Exec through the API server: find the pod's node, the address of that
// node's agent (its InternalIP and daemonEndpoints.kubeletEndpoint.Port), forward the request
// to the agent's own Pods service and hand its answer back (Logs: streamed chunk by chunk;
// Exec: one reply with the command's output and exit code), so tctl only ever talks to us.
//
//   tctl ──Logs/Exec──▶ API server: pod → spec.nodeName → Node → InternalIP:Port ──▶ agent
import { credentials, status as GrpcStatus, type ClientReadableStream, type ServiceError, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { ApiError, fromGrpcError, loadProtos, type KubeObject, type Node } from '@tugboat/api';
import type { ApiServerMetrics } from '../metrics.js';
import type { Registry } from '../registry/registry.js';
import { serverStream, unary, type Log } from '../grpc/handlers.js';
import type { ExecRequest, ExecResponse, LogChunk, LogsRequest } from '../grpc/proto-types.js';

type PodsClient = InstanceType<ReturnType<typeof loadProtos>['tugboat']['v1']['Pods']>;

/** host:port of the agent serving a node, from what the agent wrote into its Node. */
export function agentAddress(node: Node): string | undefined {
  const ip = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  if (!ip || !port) return undefined;
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export class LogsProxy {
  private readonly clients = new Map<string, PodsClient>();

  constructor(private readonly registry: Registry) {}

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  private client(address: string): PodsClient {
    let c = this.clients.get(address);
    if (!c) {
      const Pods = loadProtos().tugboat.v1.Pods;
      // Exec output comes back in one message: allow what tctl's client allows.
      c = new Pods(address, credentials.createInsecure(), { 'grpc.keepalive_time_ms': 10_000, 'grpc.keepalive_timeout_ms': 5_000, 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
      this.clients.set(address, c);
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

  service(metrics: ApiServerMetrics, log: Log): UntypedServiceImplementation {
    return {
      Logs: serverStream<LogsRequest, LogChunk>(metrics, log, 'logs', () => 'pods', async (call, finish) => {
        const req = call.request;
        const namespace = req.namespace || 'default';
        const { nodeName, address } = await this.resolve(namespace, req.name);
        if (call.cancelled) return;
        const upstream: ClientReadableStream<LogChunk> = this.client(address).logs({
          namespace,
          name: req.name,
          container: req.container,
          follow: req.follow,
          previous: req.previous,
          timestamps: req.timestamps,
          ...(req.tailLines !== undefined && req.tailLines !== null ? { tailLines: req.tailLines } : {}),
          ...(req.sinceSeconds !== undefined && req.sinceSeconds !== null ? { sinceSeconds: req.sinceSeconds } : {}),
        });
        call.on('cancelled', () => upstream.cancel());
        upstream.on('data', (chunk: LogChunk) => {
          // Backpressure: a slow reader slows the agent instead of filling our memory.
          if (!call.write(chunk)) {
            upstream.pause();
            call.once('drain', () => upstream.resume());
          }
        });
        upstream.on('end', () => finish());
        upstream.on('error', (err: ServiceError) => {
          if (call.cancelled) return;
          finish(agentError(err, nodeName, address));
        });
      }),
      Exec: unary<ExecRequest, ExecResponse>(metrics, log, 'exec', () => 'pods', async (req) => {
        const namespace = req.namespace || 'default';
        const { nodeName, address } = await this.resolve(namespace, req.name);
        return new Promise<ExecResponse>((resolve, reject) => {
          this.client(address).exec({
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
