// A typed client for the API server's gRPC Objects service. Objects travel as JSON; every
// error comes out as an ApiError (errors.ts), so callers switch on `reason`.
import type { CallOptions, ClientReadableStream, Metadata, ServiceError } from '@grpc/grpc-js';
import type { ApplyResponse__Output } from '../generated/tugboat/v1/ApplyResponse.js';
import type { ObjectResponse__Output } from '../generated/tugboat/v1/ObjectResponse.js';
import type { ListResponse__Output } from '../generated/tugboat/v1/ListResponse.js';
import type { VersionResponse__Output } from '../generated/tugboat/v1/VersionResponse.js';
import type { ObjectsClient } from '../generated/tugboat/v1/Objects.js';
import type { ServerClient } from '../generated/tugboat/v1/Server.js';
import type { PodsClient } from '../generated/tugboat/v1/Pods.js';
import type { AuthClient } from '../generated/tugboat/v1/Auth.js';
import type { ReviewResponse__Output } from '../generated/tugboat/v1/ReviewResponse.js';
import type { LogChunk__Output } from '../generated/tugboat/v1/LogChunk.js';
import type { ExecResponse__Output } from '../generated/tugboat/v1/ExecResponse.js';
import type { WatchEvent__Output } from '../generated/tugboat/v1/WatchEvent.js';
import { loadProtos } from '../proto.js';
import { ApiError, fromGrpcError } from '../errors.js';
import type { ApplyResult, KubeObject, PropagationPolicy, WatchEvent, WatchEventType } from '../types.js';
import { RequestMetadata, channelCredentials, tlsChannelOptions, type Credentials } from './credentials.js';

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
  continue: string;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Events after this revision; omitted: current objects first, as ADDED. */
  resourceVersion?: string;
  allowBookmarks?: boolean;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditionUid?: string;
  preconditionResourceVersion?: string;
  propagationPolicy?: PropagationPolicy;
  dryRun?: boolean;
}

export interface WriteOptions {
  dryRun?: boolean;
}

export interface ClientOptions {
  /** TLS and the identity to present; without them the client speaks plaintext, which the API server refuses. */
  credentials?: Credentials;
  /** Called with each warning the server returns (unknown fields dropped, …). */
  onWarning?: (warning: string) => void;
  /** Per-call deadline for unary calls, ms. */
  timeoutMs?: number;
}

/** A watch stream: iterate its events; ends with an ApiError (reason Expired → relist). */
export interface Watch<T> extends AsyncIterable<WatchEvent<T & KubeObject>> {
  close(): void;
}

const EVENT_TYPES = new Set<WatchEventType>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK']);

export class TugboatClient {
  private readonly objects: ObjectsClient;
  private readonly server: ServerClient;
  private readonly pods: PodsClient;
  private readonly auth: AuthClient;
  private readonly md: RequestMetadata;

  constructor(readonly address: string, private readonly options: ClientOptions = {}) {
    const protos = loadProtos();
    const creds = channelCredentials(options.credentials, address);
    // Keepalive pings find a dead server in seconds rather than at TCP's own pace. The HTTP/2
    // flow-control window is HTTP/2's default 64 KiB unless raised, shared by every watch of a
    // client: at fleet scale it capped what a component could receive to a window per round
    // trip, its informers fell tens of seconds behind, and the node lifecycle controller took
    // live nodes for dead ones (Go's gRPC grows its window to 16 MiB by itself).
    const channelOptions = {
      'grpc.keepalive_time_ms': 10_000, 'grpc.keepalive_timeout_ms': 5_000, 'grpc.max_receive_message_length': 64 * 1024 * 1024,
      'grpc-node.flow_control_window': 16 * 1024 * 1024,
      ...tlsChannelOptions(options.credentials, address),
    };
    this.objects = new protos.tugboat.v1.Objects(address, creds, channelOptions);
    this.server = new protos.tugboat.v1.Server(address, creds, channelOptions);
    this.pods = new protos.tugboat.v1.Pods(address, creds, channelOptions);
    this.auth = new protos.tugboat.v1.Auth(address, creds, channelOptions);
    this.md = new RequestMetadata(options.credentials);
  }

  close(): void {
    this.objects.close();
    this.server.close();
    this.pods.close();
    this.auth.close();
  }

  /** The metadata of one call: bearer token and impersonation, when configured. */
  private metadata(): Metadata {
    return this.md.build();
  }

  private deadline(): Date | undefined {
    return this.options.timeoutMs ? new Date(Date.now() + this.options.timeoutMs) : undefined;
  }

  private unary<Res>(call: (md: Metadata, opts: CallOptions, cb: (err: ServiceError | null, res?: Res) => void) => unknown): Promise<Res> {
    return new Promise((resolve, reject) => {
      const deadline = this.deadline();
      call(this.metadata(), deadline ? { deadline } : {}, (err, res) => {
        if (err) reject(fromGrpcError(err, this.address));
        else if (res === undefined) reject(new ApiError('Internal', 'empty response'));
        else resolve(res);
      });
    });
  }

  private warn(warnings: readonly string[]): void {
    if (this.options.onWarning) for (const w of warnings) this.options.onWarning(w);
  }

  async apply<T extends KubeObject>(obj: KubeObject, opts: WriteOptions & { fieldManager?: string } = {}): Promise<{ object: T; result: ApplyResult; warnings: string[] }> {
    const res = await this.unary<ApplyResponse__Output>((m, o, cb) => this.objects.apply({ object: JSON.stringify(obj), dryRun: !!opts.dryRun, fieldManager: opts.fieldManager ?? 'tctl' }, m, o, cb));
    this.warn(res.warnings);
    return { object: parse<T>(res.object), result: res.result as ApplyResult, warnings: res.warnings };
  }

  async create<T extends KubeObject>(obj: T, opts: WriteOptions = {}): Promise<T> {
    const res = await this.unary<ObjectResponse__Output>((m, o, cb) => this.objects.create({ object: JSON.stringify(obj), dryRun: !!opts.dryRun }, m, o, cb));
    this.warn(res.warnings);
    return parse<T>(res.object);
  }

  async get<T extends KubeObject>(resource: string, namespace: string, name: string): Promise<T> {
    const res = await this.unary<ObjectResponse__Output>((m, o, cb) => this.objects.get({ resource, namespace, name }, m, o, cb));
    return parse<T>(res.object);
  }

  /** Like get, but undefined when the object does not exist. */
  async tryGet<T extends KubeObject>(resource: string, namespace: string, name: string): Promise<T | undefined> {
    try {
      return await this.get<T>(resource, namespace, name);
    } catch (e) {
      if (e instanceof ApiError && e.reason === 'NotFound') return undefined;
      throw e;
    }
  }

  async list<T extends KubeObject>(resource: string, opts: ListOptions = {}): Promise<ListResult<T>> {
    const res = await this.unary<ListResponse__Output>((m, o, cb) => this.objects.list({
      resource,
      namespace: opts.namespace ?? '',
      labelSelector: opts.labelSelector ?? '',
      fieldSelector: opts.fieldSelector ?? '',
      limit: opts.limit ?? 0,
      continue: opts.continue ?? '',
    }, m, o, cb));
    return { items: res.items.map((s) => parse<T>(s)), resourceVersion: res.resourceVersion, continue: res.continue };
  }

  /** Every page of a list, as one consistent snapshot (the continue token pins the revision). */
  async listAll<T extends KubeObject>(resource: string, opts: Omit<ListOptions, 'continue'> = {}): Promise<ListResult<T>> {
    const items: T[] = [];
    let page = await this.list<T>(resource, { limit: 500, ...opts });
    items.push(...page.items);
    const resourceVersion = page.resourceVersion;
    while (page.continue) {
      page = await this.list<T>(resource, { limit: 500, ...opts, continue: page.continue });
      items.push(...page.items);
    }
    return { items, resourceVersion, continue: '' };
  }

  async update<T extends KubeObject>(obj: T, opts: WriteOptions = {}): Promise<T> {
    const res = await this.unary<ObjectResponse__Output>((m, o, cb) => this.objects.update({ object: JSON.stringify(obj), dryRun: !!opts.dryRun }, m, o, cb));
    this.warn(res.warnings);
    return parse<T>(res.object);
  }

  async updateStatus<T extends KubeObject>(obj: T): Promise<T> {
    const res = await this.unary<ObjectResponse__Output>((m, o, cb) => this.objects.updateStatus({ object: JSON.stringify(obj), dryRun: false }, m, o, cb));
    return parse<T>(res.object);
  }

  /** Returns the object as it is after the call: with deletionTimestamp set while finalizers remain, or as it was when removed. */
  async delete<T extends KubeObject = KubeObject>(resource: string, namespace: string, name: string, opts: DeleteOptions = {}): Promise<T> {
    const res = await this.unary<ObjectResponse__Output>((m, o, cb) => this.objects.delete({
      resource,
      namespace,
      name,
      ...(opts.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: opts.gracePeriodSeconds } : {}),
      preconditionUid: opts.preconditionUid ?? '',
      preconditionResourceVersion: opts.preconditionResourceVersion ?? '',
      propagationPolicy: opts.propagationPolicy ?? '',
      dryRun: !!opts.dryRun,
    }, m, o, cb));
    return parse<T>(res.object);
  }

  /**
   * The pods/eviction subresource: deletes the pod with `opts` unless a PodDisruptionBudget
   * forbids it now (ApiError reason TooManyRequests: try again later, as kubectl drain does).
   */
  async evict<T extends KubeObject = KubeObject>(namespace: string, name: string, opts: DeleteOptions = {}): Promise<T> {
    const deleteOptions = {
      ...(opts.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: opts.gracePeriodSeconds } : {}),
      ...(opts.preconditionUid || opts.preconditionResourceVersion ? {
        preconditions: { ...(opts.preconditionUid ? { uid: opts.preconditionUid } : {}), ...(opts.preconditionResourceVersion ? { resourceVersion: opts.preconditionResourceVersion } : {}) },
      } : {}),
      ...(opts.propagationPolicy ? { propagationPolicy: opts.propagationPolicy } : {}),
    };
    const res = await this.unary<ObjectResponse__Output>((m, o, cb) => this.objects.evict({ namespace, name, deleteOptions: JSON.stringify(deleteOptions), dryRun: !!opts.dryRun }, m, o, cb));
    return parse<T>(res.object);
  }

  async bind(namespace: string, name: string, nodeName: string, uid = ''): Promise<KubeObject> {
    const res = await this.unary<ObjectResponse__Output>((m, o, cb) => this.objects.bind({ namespace, name, nodeName, uid }, m, o, cb));
    return parse<KubeObject>(res.object);
  }

  /**
   * Asks a question that is answered, never stored: a SelfSubjectAccessReview,
   * SubjectAccessReview or SelfSubjectReview comes back with its status filled in.
   */
  async review<T extends KubeObject>(obj: T): Promise<T> {
    const res = await this.unary<ReviewResponse__Output>((m, o, cb) => this.auth.review({ object: JSON.stringify(obj) }, m, o, cb));
    return parse<T>(res.object);
  }

  /** A token for a ServiceAccount (TokenRequest, the serviceaccounts/token subresource). */
  async createToken(namespace: string, name: string, request: TokenRequestSpec = {}): Promise<TokenRequestResult> {
    const body = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: { name, namespace }, spec: request };
    const res = await this.unary<ReviewResponse__Output>((m, o, cb) => this.auth.createToken({ namespace, name, object: JSON.stringify(body) }, m, o, cb));
    const out = parse<KubeObject & { status?: { token?: string; expirationTimestamp?: string } }>(res.object);
    return { token: out.status?.token ?? '', expirationTimestamp: out.status?.expirationTimestamp ?? '' };
  }

  async version(): Promise<{ version: string; gitCommit: string; platform: string }> {
    return this.unary<VersionResponse__Output>((m, o, cb) => this.server.version({}, m, o, cb));
  }

  /** A pod's logs, streamed from its node's agent through the API server. */
  logs(namespace: string, name: string, opts: LogsOptions = {}): LogStream {
    const stream: ClientReadableStream<LogChunk__Output> = this.pods.logs({
      namespace,
      name,
      container: opts.container ?? '',
      follow: !!opts.follow,
      previous: !!opts.previous,
      timestamps: !!opts.timestamps,
      ...(opts.tailLines !== undefined ? { tailLines: opts.tailLines } : {}),
      ...(opts.sinceSeconds !== undefined ? { sinceSeconds: opts.sinceSeconds } : {}),
    }, this.metadata());
    const address = this.address;
    let closed = false;
    return {
      close() { closed = true; stream.cancel(); },
      async *[Symbol.asyncIterator]() {
        try {
          for await (const chunk of stream as AsyncIterable<LogChunk__Output>) yield { data: chunk.data, container: chunk.container };
        } catch (e) {
          if (closed) return;
          throw fromGrpcError(e, address);
        }
      },
    };
  }

  /**
   * Runs `command` in a pod's container (through the API server to the node's agent, as
   * `kubectl exec` without -t) and resolves with its output and exit code: a non-zero exit is
   * a result, not an error. No deadline of its own unless timeoutSeconds is given (a command
   * may rightly run long, as `logs -f` does); `signal` cancels the call.
   */
  exec(namespace: string, name: string, command: readonly string[], opts: PodExecOptions = {}): Promise<PodExecResult> {
    return new Promise((resolve, reject) => {
      // The agent enforces timeoutSeconds; the deadline only covers an agent that never answers.
      const callOpts: CallOptions = opts.timeoutSeconds ? { deadline: new Date(Date.now() + opts.timeoutSeconds * 1000 + 30_000) } : {};
      const onAbort = (): void => call.cancel();
      const call = this.pods.exec({
        namespace,
        name,
        container: opts.container ?? '',
        command: [...command],
        stdin: typeof opts.stdin === 'string' ? Buffer.from(opts.stdin) : opts.stdin ?? Buffer.alloc(0),
        ...(opts.timeoutSeconds !== undefined ? { timeoutSeconds: opts.timeoutSeconds } : {}),
      }, this.metadata(), callOpts, (err: ServiceError | null, res?: ExecResponse__Output) => {
        opts.signal?.removeEventListener('abort', onAbort);
        if (err) reject(fromGrpcError(err, this.address));
        else if (!res) reject(new ApiError('Internal', 'empty response'));
        else resolve({ stdout: res.stdout, stderr: res.stderr, exitCode: res.exitCode });
      });
      if (opts.signal?.aborted) call.cancel();
      else opts.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  watch<T extends KubeObject>(resource: string, opts: WatchOptions = {}): Watch<T> {
    const stream: ClientReadableStream<WatchEvent__Output> = this.objects.watch({
      resource,
      namespace: opts.namespace ?? '',
      labelSelector: opts.labelSelector ?? '',
      fieldSelector: opts.fieldSelector ?? '',
      resourceVersion: opts.resourceVersion ?? '',
      allowBookmarks: !!opts.allowBookmarks,
    }, this.metadata());
    const address = this.address;
    let closed = false;
    return {
      close() {
        closed = true;
        stream.cancel();
      },
      async *[Symbol.asyncIterator]() {
        try {
          for await (const raw of stream as AsyncIterable<WatchEvent__Output>) {
            const type = raw.type as WatchEventType;
            if (!EVENT_TYPES.has(type)) throw new ApiError('Internal', `unknown watch event type ${raw.type}`);
            yield { type, object: parse<T>(raw.object) };
          }
        } catch (e) {
          // Our own cancel ends the stream with CANCELLED: that is a normal end.
          if (closed) return;
          throw fromGrpcError(e, address);
        } finally {
          if (!closed) stream.cancel();
        }
      },
    };
  }
}

/** TokenRequest's spec, as Kubernetes has it. */
export interface TokenRequestSpec {
  audiences?: string[];
  expirationSeconds?: number;
  /** Binds the token to a pod (or Secret): it stops working when that object is gone. */
  boundObjectRef?: { kind: 'Pod' | 'Secret'; apiVersion?: string; name: string; uid?: string };
}

export interface TokenRequestResult {
  token: string;
  expirationTimestamp: string;
}

export interface LogsOptions {
  container?: string;
  follow?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  previous?: boolean;
  timestamps?: boolean;
}

export interface PodExecOptions {
  /** Empty: the pod's only container. */
  container?: string;
  /** Given whole to the command's stdin (then EOF). */
  stdin?: Buffer | string;
  /** The agent kills the command after this long. */
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

export interface PodExecResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

export interface LogStream extends AsyncIterable<{ data: Buffer; container: string }> {
  close(): void;
}

function parse<T>(json: string): T {
  return JSON.parse(json) as T;
}
