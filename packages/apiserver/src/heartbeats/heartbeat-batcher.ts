// Group commit of node heartbeats. Every NodeHeartbeat call joins the batch being collected;
// once per flush interval the batch's node names go to etcd in one write, and every call in
// the batch is answered when that write is acknowledged (or fails with its error). So an
// acknowledged heartbeat is stored, as an acknowledged Lease renewal was, at one etcd write
// per interval per API server instead of one per node.
//
//   beat(node) ──▶ pending {node → callers} ──(every flushIntervalMs)──▶ write(names) ──▶ answer all
//
// Writes run one at a time, in order: each overwrites this server's one heartbeat object.

import { ApiError } from '@tugboat/api';

export interface HeartbeatBatcherOptions {
  /** How long a batch collects before it is written (the most a heartbeat waits, plus the write). */
  readonly flushIntervalMs: number;
  /** Stores one batch; resolves when it is in etcd. */
  readonly write: (nodes: readonly string[]) => Promise<void>;
}

interface Caller {
  resolve(): void;
  reject(err: unknown): void;
}

export class HeartbeatBatcher {
  private pending = new Map<string, Caller[]>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: HeartbeatBatcherOptions) {}

  /** Resolves once `node`'s heartbeat is stored (in this batch's write). */
  beat(node: string): Promise<void> {
    // Unavailable, as any call to a server going away: the agent beats again, on another.
    if (this.closed) return Promise.reject(new ApiError('Unavailable', 'the API server is shutting down'));
    return new Promise<void>((resolve, reject) => {
      const callers = this.pending.get(node);
      if (callers) callers.push({ resolve, reject });
      else this.pending.set(node, [{ resolve, reject }]);
      this.timer ??= setTimeout(() => this.flush(), this.options.flushIntervalMs);
    });
  }

  /** Nodes waiting for the next write. */
  get size(): number {
    return this.pending.size;
  }

  /** Writes what is pending now (the timer's work; also on close). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    if (batch.size === 0) return this.writing;
    this.pending = new Map();
    // In order after the write before: a later batch must not be overwritten by an earlier one.
    this.writing = this.writing.then(async () => {
      try {
        await this.options.write([...batch.keys()]);
        for (const callers of batch.values()) for (const c of callers) c.resolve();
      } catch (e) {
        for (const callers of batch.values()) for (const c of callers) c.reject(e);
      }
    });
    return this.writing;
  }

  /** Writes the last batch; later beats are refused. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }
}
