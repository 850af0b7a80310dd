// Node heartbeats on one Server/NodeHeartbeats stream per client: opened at the first beat,
// opened again (on the server the client uses then) at the next beat after it broke. Each
// beat is one message; the API server answers it with the node's name once stored, so a beat
// resolves when its answer comes, fails when the stream breaks first, and times out when
// neither happens. Agents send their heartbeats here (hollow nodes sharing a client share the
// stream); a unary call per heartbeat cost the API server most of a heartbeat's price.
import type { ClientDuplexStream } from '@grpc/grpc-js';
import type { NodeHeartbeatRequest } from '../generated/tugboat/v1/NodeHeartbeatRequest.js';
import type { NodeHeartbeatResponse__Output } from '../generated/tugboat/v1/NodeHeartbeatResponse.js';
import { ApiError, fromGrpcError } from '../errors.js';

export interface OpenedHeartbeatStream {
  readonly stream: ClientDuplexStream<NodeHeartbeatRequest, NodeHeartbeatResponse__Output>;
  /** The API server it goes to, for messages. */
  readonly address: string;
  /** Tells the client the stream failed (it may move on to the next server). */
  failed(err: unknown): void;
}

interface Waiter {
  resolve(answer: NodeHeartbeatResponse__Output): void;
  reject(err: unknown): void;
  timer: NodeJS.Timeout;
}

interface Open extends OpenedHeartbeatStream {
  /** Beats sent on this stream and not answered yet, per node, in order. */
  readonly waiting: Map<string, Waiter[]>;
}

export class HeartbeatStream {
  private current: Open | undefined;
  private closed = false;

  constructor(private readonly open: () => OpenedHeartbeatStream, private readonly timeoutMs: number) {}

  /** Resolves, with the API server's answer, once it has stored `node`'s heartbeat (and renewed its Lease, when renewLeaseSeconds asks). */
  beat(node: string, renewLeaseSeconds = 0): Promise<NodeHeartbeatResponse__Output> {
    if (this.closed) return Promise.reject(new ApiError('Unavailable', 'the heartbeat stream is closed'));
    const cur = (this.current ??= this.start());
    return new Promise<NodeHeartbeatResponse__Output>((resolve, reject) => {
      const timer = setTimeout(() => {
        // No answer in time: the connection may be dead without saying so; start afresh.
        this.drop(cur, new ApiError('Timeout', `the API server at ${cur.address} did not answer the heartbeat of ${node} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      const w: Waiter = { resolve, reject, timer };
      const q = cur.waiting.get(node);
      if (q) q.push(w);
      else cur.waiting.set(node, [w]);
      cur.stream.write(renewLeaseSeconds > 0 ? { node, renewLeaseSeconds } : { node });
    });
  }

  close(): void {
    this.closed = true;
    if (this.current) this.drop(this.current, new ApiError('Unavailable', 'the heartbeat stream is closed'));
  }

  private start(): Open {
    const opened: Open = { ...this.open(), waiting: new Map() };
    opened.stream.on('data', (res: NodeHeartbeatResponse__Output) => {
      const q = opened.waiting.get(res.node);
      const w = q?.shift();
      if (q && q.length === 0) opened.waiting.delete(res.node);
      if (!w) return;
      clearTimeout(w.timer);
      w.resolve(res);
    });
    opened.stream.on('error', (e: unknown) => {
      opened.failed(e);
      this.drop(opened, fromGrpcError(e, opened.address));
    });
    opened.stream.on('end', () => this.drop(opened, new ApiError('Unavailable', `the heartbeat stream to ${opened.address} ended`)));
    return opened;
  }

  /** Ends `opened` (if still current, the next beat opens another) and fails what it owes. */
  private drop(opened: Open, err: unknown): void {
    if (this.current === opened) this.current = undefined;
    opened.stream.cancel();
    const owed = [...opened.waiting.values()].flat();
    opened.waiting.clear();
    for (const w of owed) {
      clearTimeout(w.timer);
      w.reject(err);
    }
  }
}
