// A typed client for the API server's gRPC Objects service. Objects travel as JSON; every
// error comes out as an ApiError (errors.ts), so callers switch on `reason`.
import type { CallOptions, ClientReadableStream, Metadata, ServiceError } from '@grpc/grpc-js';
import type { ApplyResponse__Output } from '../generated/tugboat/v1/ApplyResponse.js';
import type { ObjectResponse__Output } from '../generated/tugboat/v1/ObjectResponse.js';
import type { ListResponse__Output } from '../generated/tugboat/v1/ListResponse.js';
import type { VersionResponse__Output } from '../generated/tugboat/v1/VersionResponse.js';
import type { NodeHeartbeatResponse__Output } from '../generated/tugboat/v1/NodeHeartbeatResponse.js';
import type { ObjectsClient } from '../generated/tugboat/v1/Objects.js';
import type { ServerClient } from '../generated/tugboat/v1/Server.js';
import type { PodsClient } from '../generated/tugboat/v1/Pods.js';
import type { AuthClient } from '../generated/tugboat/v1/Auth.js';
import type { ReviewResponse__Output } from '../generated/tugboat/v1/ReviewResponse.js';
import type { LogChunk__Output } from '../generated/tugboat/v1/LogChunk.js';
import type { ExecResponse__Output } from '../generated/tugboat/v1/ExecResponse.js';
import type { WatchEvent__Output } from '../generated/tugboat/v1/WatchEvent.js';
import { loadProtos } from '../proto.js';
import { sleep } from '../sleep.js';
import { ApiError, REASON_KEY, fromGrpcError } from '../errors.js';
import type { ApplyResult, KubeObject, PropagationPolicy, WatchEvent, WatchEventType } from '../types.js';
import { RequestMetadata, channelCredentials, tlsChannelOptions, type Credentials } from './credentials.js';
import { ServerRotation, failoverAction, splitServers, type CallFailure, type CallKind } from './failover.js';
import { HeartbeatStream } from './heartbeat-stream.js';
import { HTTP2_WINDOW_BYTES, KEEPALIVE_MS, KEEPALIVE_TIMEOUT_MS, UnaryChannel } from './unary-channel.js';

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
  /** Node heartbeats as unary calls rather than on a stream (the stream by default). */
  unaryHeartbeats?: boolean;
}

/** What the API server said to a node's heartbeat (see TugboatClient.nodeHeartbeat). */
export interface NodeHeartbeatAnswer {
  /** The Node's resourceVersion in the answering server's cache; undefined when it did not say. */
  readonly nodeResourceVersion: string | undefined;
  /** The node's Lease resourceVersion after the renewal asked for; undefined: not renewed (renew it yourself). */
  readonly leaseResourceVersion: string | undefined;
}

function heartbeatAnswer(res: NodeHeartbeatResponse__Output): NodeHeartbeatAnswer {
  return { nodeResourceVersion: res.nodeResourceVersion || undefined, leaseResourceVersion: res.leaseResourceVersion || undefined };
}

/** A watch stream: iterate its events; ends with an ApiError (reason Expired → relist). */
export interface Watch<T> extends AsyncIterable<WatchEvent<T & KubeObject>> {
  close(): void;
}

const EVENT_TYPES = new Set<WatchEventType>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK']);

interface Stubs {
  readonly objects: ObjectsClient;
  readonly server: ServerClient;
  readonly pods: PodsClient;
  readonly auth: AuthClient;
  /** Carries the unary methods of the four (unary-channel.ts); streams stay on grpc-js. */
  readonly unary: UnaryChannel;
}

type Callback<Res> = (err: ServiceError | null, res?: Res) => void;

/**
 * A client of one or more API servers (`HOST:PORT`, or `A,B,…`: see failover.ts). Calls go
 * to one server at a time; one that cannot be reached is left for the next in the list.
 */
export class TugboatClient {
  private readonly stubs: Stubs[];
  private readonly rotation: ServerRotation;
  private readonly md: RequestMetadata;
  private heartbeats: HeartbeatStream | undefined;
  /** Heartbeats as unary calls: asked for, or the server has no heartbeat stream (an older version). */
  private heartbeatsUnary: boolean;

  constructor(address: string | readonly string[], private readonly options: ClientOptions = {}) {
    const addresses = typeof address === 'string' ? splitServers(address) : [...address];
    this.rotation = new ServerRotation(addresses);
    this.stubs = addresses.map((a) => makeStubs(a, options.credentials));
    this.md = new RequestMetadata(options.credentials);
    this.heartbeatsUnary = options.unaryHeartbeats ?? false;
  }

  /** The API server calls go to now. */
  get address(): string { return this.rotation.address(); }

  /** Every API server this client may use, in order. */
  get addresses(): readonly string[] { return this.rotation.addresses; }

  close(): void {
    this.heartbeats?.close();
    for (const s of this.stubs) {
      s.objects.close();
      s.server.close();
      s.pods.close();
      s.auth.close();
      s.unary.close();
    }
  }

  /** The metadata of one call: bearer token and impersonation, when configured. */
  private metadata(): Metadata {
    return this.md.build();
  }

  private deadline(): Date | undefined {
    return this.options.timeoutMs ? new Date(Date.now() + this.options.timeoutMs) : undefined;
  }

  /** One unary call, on the servers as onServers() has it; the deadline covers every try. */
  private unary<Res>(kind: CallKind, call: (s: Stubs, md: Metadata, opts: CallOptions, cb: Callback<Res>) => unknown): Promise<Res> {
    const deadline = this.deadline();
    return this.onServers(kind, deadline, (i) => new Promise<Res>((resolve, reject) => {
      call(this.stubs[i]!, this.metadata(), deadline ? { deadline } : {}, (err, res) => {
        if (err) reject(err);
        else if (res === undefined) reject(new ApiError('Internal', 'empty response'));
        else resolve(res);
      });
    }));
  }

  /**
   * Runs `attempt` on the server in use and, while the failure allows it (failoverAction), on
   * the next: every server once. When every one of several failed so, once more each after a
   * pause as long as the channels' reconnect back-off, if the deadline leaves time: a server
   * that was restarted meanwhile would otherwise still be refused by its channel's back-off.
   */
  private async onServers<Res>(kind: CallKind, deadline: Date | undefined, attempt: (i: number) => Promise<Res>): Promise<Res> {
    const n = this.stubs.length;
    let failure: unknown;
    const tried = new Set<string>();
    for (let tries = 0; tries < (n > 1 ? 2 * n : 1); tries++) {
      if (tries === n) {
        if (deadline && deadline.getTime() - Date.now() < 2 * RECONNECT_BACKOFF_MAX_MS) break;
        await sleep(RECONNECT_BACKOFF_MAX_MS);
      }
      const i = this.rotation.index();
      tried.add(this.addresses[i]!);
      try {
        return await attempt(i);
      } catch (e) {
        failure = e;
        if (!this.moveOn(i, e, kind)) break;
      }
    }
    // "cannot reach the API server at A, B: …" when it tried several.
    throw fromGrpcError(failure, [...tried].join(', '));
  }

  /** After call on server `i` failed with `err`: true when it may be sent to the next server (now the one in use). */
  private moveOn(i: number, err: unknown, kind: CallKind): boolean {
    if (this.stubs.length < 2 || !isGrpcFailure(err)) return false;
    const failure: CallFailure = { code: err.code, details: err.details ?? '', fromServer: (err.metadata?.get(REASON_KEY).length ?? 0) > 0 };
    if (failoverAction(failure, kind) !== 'next-server') return false;
    this.rotation.failed(i);
    return true;
  }

  private warn(warnings: readonly string[]): void {
    if (this.options.onWarning) for (const w of warnings) this.options.onWarning(w);
  }

  async apply<T extends KubeObject>(obj: KubeObject, opts: WriteOptions & { fieldManager?: string } = {}): Promise<{ object: T; result: ApplyResult; warnings: string[] }> {
    const res = await this.unary<ApplyResponse__Output>('mutating', (s, m, o, cb) => s.objects.apply({ object: JSON.stringify(obj), dryRun: !!opts.dryRun, fieldManager: opts.fieldManager ?? 'tctl' }, m, o, cb));
    this.warn(res.warnings);
    return { object: parse<T>(res.object), result: res.result as ApplyResult, warnings: res.warnings };
  }

  async create<T extends KubeObject>(obj: T, opts: WriteOptions = {}): Promise<T> {
    const res = await this.unary<ObjectResponse__Output>('mutating', (s, m, o, cb) => s.objects.create({ object: JSON.stringify(obj), dryRun: !!opts.dryRun }, m, o, cb));
    this.warn(res.warnings);
    return parse<T>(res.object);
  }

  async get<T extends KubeObject>(resource: string, namespace: string, name: string): Promise<T> {
    const res = await this.unary<ObjectResponse__Output>('idempotent', (s, m, o, cb) => s.objects.get({ resource, namespace, name }, m, o, cb));
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
    const res = await this.unary<ListResponse__Output>('idempotent', (s, m, o, cb) => s.objects.list({
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
    const res = await this.unary<ObjectResponse__Output>('mutating', (s, m, o, cb) => s.objects.update({ object: JSON.stringify(obj), dryRun: !!opts.dryRun }, m, o, cb));
    this.warn(res.warnings);
    return parse<T>(res.object);
  }

  async updateStatus<T extends KubeObject>(obj: T): Promise<T> {
    const res = await this.unary<ObjectResponse__Output>('mutating', (s, m, o, cb) => s.objects.updateStatus({ object: JSON.stringify(obj), dryRun: false }, m, o, cb));
    return parse<T>(res.object);
  }

  /** Returns the object as it is after the call: with deletionTimestamp set while finalizers remain, or as it was when removed. */
  async delete<T extends KubeObject = KubeObject>(resource: string, namespace: string, name: string, opts: DeleteOptions = {}): Promise<T> {
    const res = await this.unary<ObjectResponse__Output>('mutating', (s, m, o, cb) => s.objects.delete({
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
    const res = await this.unary<ObjectResponse__Output>('mutating', (s, m, o, cb) => s.objects.evict({ namespace, name, deleteOptions: JSON.stringify(deleteOptions), dryRun: !!opts.dryRun }, m, o, cb));
    return parse<T>(res.object);
  }

  async bind(namespace: string, name: string, nodeName: string, uid = ''): Promise<KubeObject> {
    const res = await this.unary<ObjectResponse__Output>('mutating', (s, m, o, cb) => s.objects.bind({ namespace, name, nodeName, uid }, m, o, cb));
    return parse<KubeObject>(res.object);
  }

  /**
   * Asks a question that is answered, never stored: a SelfSubjectAccessReview,
   * SubjectAccessReview or SelfSubjectReview comes back with its status filled in.
   */
  async review<T extends KubeObject>(obj: T): Promise<T> {
    const res = await this.unary<ReviewResponse__Output>('idempotent', (s, m, o, cb) => s.auth.review({ object: JSON.stringify(obj) }, m, o, cb));
    return parse<T>(res.object);
  }

  /** A token for a ServiceAccount (TokenRequest, the serviceaccounts/token subresource). */
  async createToken(namespace: string, name: string, request: TokenRequestSpec = {}): Promise<TokenRequestResult> {
    const body = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: { name, namespace }, spec: request };
    const res = await this.unary<ReviewResponse__Output>('idempotent', (s, m, o, cb) => s.auth.createToken({ namespace, name, object: JSON.stringify(body) }, m, o, cb));
    const out = parse<KubeObject & { status?: { token?: string; expirationTimestamp?: string } }>(res.object);
    return { token: out.status?.token ?? '', expirationTimestamp: out.status?.expirationTimestamp ?? '' };
  }

  /**
   * Node `node` is alive (an agent's heartbeat). Resolves once the API server has stored it.
   * Sent on this client's heartbeat stream (heartbeat-stream.ts); against a server without
   * the stream, as a unary call; a server with neither answers UNIMPLEMENTED, an ApiError with
   * reason MethodNotAllowed: the agent then renews its Lease instead. The answer says which
   * resourceVersion of the Node the server's cache holds (undefined: an older server, or not
   * cached), so the agent need not read its Node to learn whether someone changed it. With
   * `renewLeaseSeconds` the server also renews the node's Lease with that duration, and the
   * answer names its new resourceVersion (undefined: not renewed; renew it with update()).
   */
  async nodeHeartbeat(node: string, opts: { renewLeaseSeconds?: number } = {}): Promise<NodeHeartbeatAnswer> {
    const renewLeaseSeconds = opts.renewLeaseSeconds ?? 0;
    if (!this.heartbeatsUnary) {
      try {
        return heartbeatAnswer(await this.beatOnStream(node, renewLeaseSeconds));
      } catch (e) {
        if (!(e instanceof ApiError && e.reason === 'MethodNotAllowed')) throw e;
        this.heartbeatsUnary = true;
        this.heartbeats?.close();
      }
    }
    return heartbeatAnswer(await this.unary<NodeHeartbeatResponse__Output>('idempotent', (s, m, o, cb) => s.server.nodeHeartbeat({ node, renewLeaseSeconds }, m, o, cb)));
  }

  private async beatOnStream(node: string, renewLeaseSeconds: number): Promise<NodeHeartbeatResponse__Output> {
    const stream = (this.heartbeats ??= new HeartbeatStream(() => {
      const i = this.rotation.index();
      return { stream: this.stubs[i]!.server.nodeHeartbeats(this.metadata()), address: this.addresses[i]!, failed: (e) => { this.moveOn(i, e, 'idempotent'); } };
    }, this.options.timeoutMs ?? 30_000));
    try {
      return await stream.beat(node, renewLeaseSeconds);
    } catch (e) {
      // A server that went away: once more, on the next one (the stream failed over to it).
      if (!(e instanceof ApiError && e.reason === 'Unavailable') || this.stubs.length < 2) throw e;
      return await stream.beat(node, renewLeaseSeconds);
    }
  }

  async version(): Promise<{ version: string; gitCommit: string; platform: string }> {
    return this.unary<VersionResponse__Output>('idempotent', (s, m, o, cb) => s.server.version({}, m, o, cb));
  }

  /**
   * A pod's logs, streamed from its node's agent through the API server. A server that cannot
   * be reached before the first chunk is left for the next; a stream that breaks after
   * output began ends with the error (asking again would repeat or lose lines).
   */
  logs(namespace: string, name: string, opts: LogsOptions = {}): LogStream {
    const req = {
      namespace,
      name,
      container: opts.container ?? '',
      follow: !!opts.follow,
      previous: !!opts.previous,
      timestamps: !!opts.timestamps,
      ...(opts.tailLines !== undefined ? { tailLines: opts.tailLines } : {}),
      ...(opts.sinceSeconds !== undefined ? { sinceSeconds: opts.sinceSeconds } : {}),
    };
    return this.serverStream<LogChunk__Output, { data: Buffer; container: string }>(
      (s, md) => s.pods.logs(req, md),
      (chunk) => ({ data: chunk.data, container: chunk.container }),
    );
  }

  /**
   * Runs `command` in a pod's container (through the API server to the node's agent, as
   * `kubectl exec` without -t) and resolves with its output and exit code: a non-zero exit is
   * a result, not an error. No deadline of its own unless timeoutSeconds is given (a command
   * may rightly run long, as `logs -f` does); `signal` cancels the call. Sent to the next API
   * server only when it never reached this one: a command is not run twice.
   */
  async exec(namespace: string, name: string, command: readonly string[], opts: PodExecOptions = {}): Promise<PodExecResult> {
    // The agent enforces timeoutSeconds; the deadline only covers an agent that never answers.
    const deadline = opts.timeoutSeconds ? new Date(Date.now() + opts.timeoutSeconds * 1000 + 30_000) : undefined;
    const callOpts: CallOptions = deadline ? { deadline } : {};
    const req = {
      namespace,
      name,
      container: opts.container ?? '',
      command: [...command],
      stdin: typeof opts.stdin === 'string' ? Buffer.from(opts.stdin) : opts.stdin ?? Buffer.alloc(0),
      ...(opts.timeoutSeconds !== undefined ? { timeoutSeconds: opts.timeoutSeconds } : {}),
    };
    const res = await this.onServers('mutating', deadline, (i) => new Promise<ExecResponse__Output>((resolve, reject) => {
      const onAbort = (): void => call.cancel();
      const call = this.stubs[i]!.pods.exec(req, this.metadata(), callOpts, (err: ServiceError | null, out?: ExecResponse__Output) => {
        opts.signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else if (!out) reject(new ApiError('Internal', 'empty response'));
        else resolve(out);
      });
      if (opts.signal?.aborted) call.cancel();
      else opts.signal?.addEventListener('abort', onAbort, { once: true });
    }));
    return { stdout: res.stdout, stderr: res.stderr, exitCode: res.exitCode };
  }

  /**
   * A watch from `opts.resourceVersion`. A server that cannot be reached before the first
   * event is left for the next; a stream that breaks later ends with the error (the client
   * has moved on to the next server), and the caller watches again from the last
   * resourceVersion it saw, as the informer does.
   */
  watch<T extends KubeObject>(resource: string, opts: WatchOptions = {}): Watch<T> {
    const req = {
      resource,
      namespace: opts.namespace ?? '',
      labelSelector: opts.labelSelector ?? '',
      fieldSelector: opts.fieldSelector ?? '',
      resourceVersion: opts.resourceVersion ?? '',
      allowBookmarks: !!opts.allowBookmarks,
    };
    return this.serverStream<WatchEvent__Output, WatchEvent<T & KubeObject>>((s, md) => s.objects.watch(req, md), (raw) => {
      const type = raw.type as WatchEventType;
      if (!EVENT_TYPES.has(type)) throw new ApiError('Internal', `unknown watch event type ${raw.type}`);
      return { type, object: parse<T & KubeObject>(raw.object) };
    });
  }

  /**
   * A server stream opened now (so nothing sent meanwhile is missed) on the server in use;
   * reopened on the next server while nothing has been received and the failure says this
   * one cannot be reached. Ends quietly after close(); otherwise errors come out as ApiError.
   */
  private serverStream<Raw, Out>(open: (s: Stubs, md: Metadata) => ClientReadableStream<Raw>, map: (raw: Raw) => Out): AsyncIterable<Out> & { close(): void } {
    let i = this.rotation.index();
    let stream = open(this.stubs[i]!, this.metadata());
    let closed = false;
    const client = this;
    return {
      close() {
        closed = true;
        stream.cancel();
      },
      async *[Symbol.asyncIterator]() {
        for (let tries = 1; ; tries++) {
          let received = false;
          try {
            for await (const raw of stream as AsyncIterable<Raw>) {
              received = true;
              yield map(raw);
            }
            return;
          } catch (e) {
            // Our own cancel ends the stream with CANCELLED: that is a normal end.
            if (closed) return;
            const movedOn = client.moveOn(i, e, 'idempotent');
            if (!movedOn || received || tries >= client.stubs.length) throw fromGrpcError(e, client.addresses[i]);
          } finally {
            if (!closed) stream.cancel();
          }
          i = client.rotation.index();
          stream = open(client.stubs[i]!, client.metadata());
          if (closed) { stream.cancel(); return; }
        }
      },
    };
  }
}

/** The channels' longest pause between reconnect attempts. */
const RECONNECT_BACKOFF_MAX_MS = 1_000;

function makeStubs(address: string, credentials: Credentials | undefined): Stubs {
  const protos = loadProtos();
  const creds = channelCredentials(credentials, address);
  // Keepalive and the HTTP/2 window: unary-channel.ts's constants, the same for both paths.
  // At fleet scale grpc-js's default 64 KiB window, shared by every watch of a client, let
  // informers fall tens of seconds behind, and the node lifecycle controller took live nodes
  // for dead ones. Reconnect back-off from 100 ms to 1 s, not grpc-js's 1 s to 120 s: while it
  // lasts the channel refuses calls at once, and an API server that was restarted must be used
  // again soon (a refused connect on this machine or a LAN costs next to nothing).
  const channelOptions = {
    'grpc.keepalive_time_ms': KEEPALIVE_MS, 'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS, 'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc-node.flow_control_window': HTTP2_WINDOW_BYTES,
    'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': RECONNECT_BACKOFF_MAX_MS,
    ...tlsChannelOptions(credentials, address),
  };
  const v1 = protos.tugboat.v1;
  const unary = new UnaryChannel(address, credentials);
  return {
    objects: UnaryChannel.wrap(new v1.Objects(address, creds, channelOptions), v1.Objects.service, unary),
    server: UnaryChannel.wrap(new v1.Server(address, creds, channelOptions), v1.Server.service, unary),
    pods: UnaryChannel.wrap(new v1.Pods(address, creds, channelOptions), v1.Pods.service, unary),
    auth: UnaryChannel.wrap(new v1.Auth(address, creds, channelOptions), v1.Auth.service, unary),
    unary,
  };
}

function isGrpcFailure(e: unknown): e is ServiceError {
  return e instanceof Error && typeof (e as Partial<ServiceError>).code === 'number';
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
