// Assembles the API server: storage on etcd, registry, watch cache, namespace controller,
// the gRPC services and Kubernetes' REST API on one TLS port (tls-mux.ts), and the plain
// HTTP endpoint. `startApiServer` is what main.ts runs and what
// in-process tests use.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { Server as TlsServer } from 'node:tls';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { KINDS, createComponentHttpServer, formatHostPort, loadProtos, parseHostPort } from '@tugboat/api';
import { assembleSecurity, type AuthorizationMode } from './auth/assemble.js';
import { cachePeerCertificates } from './auth/authn/peer-certificate-cache.js';
import { reconcileBootstrapPolicy } from './auth/rbac/bootstrap-policy.js';
import type { ServiceRanges } from './registry/service-allocation.js';
import { authService } from './grpc/auth-service.js';
import type { HandlerDeps } from './grpc/handlers.js';
import { objectsService, serverService } from './grpc/objects-service.js';
import type { VersionResponse } from './grpc/proto-types.js';
import { GrpcWireServer } from './grpc/wire-server.js';
import { LogsProxy, type KubeletClientTls } from './logs/logs-proxy.js';
import { ApiServerMetrics } from './metrics.js';
import { restHandler } from './rest/rest-server.js';
import { createTlsMux } from './tls-mux.js';
import { NamespaceController } from './namespaces/namespace-controller.js';
import { resourcePrefix } from './registry/keys.js';
import { Registry } from './registry/registry.js';
import { ensureDefaultStorageClass, ensureSystemPriorityClasses } from './registry/system-priority-classes.js';
import type { EncryptionConfig } from './storage/encryption/config.js';
import { EncryptingStorage, transformationOperationsCounter } from './storage/encryption/encrypting-storage.js';
import { EtcdStorage } from './storage/etcd-storage.js';
import type { EtcdTls } from './storage/etcd-tls.js';
import { ListCaches } from './cache/list-cache.js';
import { registryCache } from './cache/registry-cache.js';
import { heartbeatLeaseName, nodeHeartbeats, renewNodeLease } from './heartbeats/node-heartbeats.js';
import { WatchCache } from './watch/watch-cache.js';
import { WatchService } from './watch/watch-service.js';

export const DEFAULT_LISTEN = '127.0.0.1:6443';
export const DEFAULT_HTTP_LISTEN = '127.0.0.1:6480';

export type { AuthorizationMode };

/** The server's TLS identity, and whom it accepts. */
export interface ServingTls {
  /** PEM serving certificate (chain) and key: the API server speaks TLS only. */
  readonly certPem: string;
  readonly keyPem: string;
  /** PEM CA(s) for client certificates (--client-ca-file); without it, only tokens authenticate. */
  readonly clientCaPem?: string;
}

export interface ServiceAccountOptions {
  /** PEM private key that signs TokenRequests (--service-account-signing-key-file). */
  readonly signingKeyPem?: string;
  /** PEM public keys that verify ServiceAccount tokens (--service-account-key-file). */
  readonly publicKeysPem?: readonly string[];
  readonly issuer?: string;
  readonly audiences?: readonly string[];
}

export interface ApiServerOptions {
  /** etcd client URLs (http://127.0.0.1:2379, or https:// with etcdTls). */
  readonly etcdServers: readonly string[];
  /** Mutual TLS to etcd (--etcd-cafile, --etcd-certfile, --etcd-keyfile). */
  readonly etcdTls?: EtcdTls;
  /** Encryption at rest (--encryption-provider-config): the configured resources are ciphertext in etcd. */
  readonly encryptionConfig?: EncryptionConfig;
  readonly tls: ServingTls;
  /** Static bearer tokens, CSV (--token-auth-file). */
  readonly tokenAuthFile?: string;
  readonly serviceAccount?: ServiceAccountOptions;
  /** In order (default Node, RBAC); system:masters is always allowed first. */
  readonly authorizationModes?: readonly AuthorizationMode[];
  /** How the server reaches agents for logs and exec. */
  readonly kubeletClient?: KubeletClientTls;
  /** JSON lines, one per request (--audit-log-path). */
  readonly auditLogPath?: string;
  /** ClusterIP and node port ranges (--service-cluster-ip-range, --service-node-port-range). */
  readonly serviceRanges?: ServiceRanges;
  /** gRPC HOST:PORT; port 0 picks a free one. */
  readonly listen?: string;
  /** HTTP HOST:PORT for /metrics, /healthz, /readyz; port 0 picks a free one. */
  readonly httpListen?: string;
  /** Changes kept per resource for watchers that resume (default 1000). */
  readonly watchCacheSize?: number;
  /** Changes younger than this are kept beyond watchCacheSize (default 75 s; 0: by size only). */
  readonly watchCacheRetentionMs?: number;
  /** Events are deleted by etcd this long after their last write (--event-ttl; default 1 h; 0: never). */
  readonly eventTtlSeconds?: number;
  /**
   * Lists answered from memory kept current by the watch cache, consistent ones included
   * (--list-from-cache, default true; cache/list-cache.ts); false: every list reads etcd.
   */
  readonly listFromCache?: boolean;
  readonly bookmarkIntervalMs?: number;
  readonly namespaceSyncIntervalMs?: number;
  /** How often apiserver_storage_objects is recounted. */
  readonly storageCountIntervalMs?: number;
  readonly etcdRequestTimeoutMs?: number;
  readonly now?: () => Date;
  /** Where operational messages go (default: stderr). */
  readonly log?: (line: string) => void;
  /**
   * One of several processes sharing the ports (--workers, workers.ts): the primary serves
   * the HTTP port, and only worker 0 runs what must run once per server (the namespace
   * controller, the address repair, the object counts).
   */
  readonly worker?: { readonly index: number };
  /** How long node heartbeats collect before their one write (default 200 ms). */
  readonly heartbeatFlushMs?: number;
}

export interface ApiServer {
  /** HOST:PORT the gRPC services listen on. */
  readonly address: string;
  /** HOST:PORT of /metrics, /healthz, /readyz ('' in a worker: the primary serves it). */
  readonly httpAddress: string;
  /** Ready to serve: etcd answers, the authorization caches and the default roles are loaded. */
  ready(): Promise<boolean>;
  readonly registry: Registry;
  readonly metrics: ApiServerMetrics;
  /** Stops accepting calls, ends open streams, closes etcd. */
  stop(): Promise<void>;
}

/** Binding a port failed: main.ts prints the message as is. */
export class ListenError extends Error {
  override readonly name = 'ListenError';
}

function versionInfo(): VersionResponse {
  let version = '0.0.0';
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    version = pkg.version ?? version;
  } catch { /* a missing package.json only loses the version string */ }
  return { version, gitCommit: process.env.TUGBOAT_GIT_COMMIT ?? '', platform: `${process.platform}/${process.arch}` };
}

/** Binds `server` (the TLS port, or the plain HTTP one); a port taken or not ours is one ListenError line. */
function listenOn(server: TlsServer | HttpServer, host: string, port: number, what: 'gRPC' | 'HTTP'): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const why = err.code === 'EADDRINUSE' ? 'address already in use'
        : err.code === 'EADDRNOTAVAIL' ? 'address not available on this machine'
        : err.code === 'EACCES' ? 'permission denied'
        : err.message;
      reject(new ListenError(`cannot listen on ${formatHostPort({ host, port })} (${what}): ${why}`));
    };
    // Both are net.Servers; their typings' overloads don't unify on `off`, so name the common base.
    const events: NetServer = server;
    events.once('error', onError);
    server.listen(port, host, () => {
      events.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * The default RBAC roles and bindings (Kubernetes' bootstrap policy) and the system
 * PriorityClasses and the default StorageClass (local-path), made or brought up to date once etcd answers; tried again every second
 * until it succeeds.
 */
function bootstrapPolicy(registry: Registry, log: (line: string) => void): { done(): boolean; stop(): Promise<void> } {
  let stopped = false;
  let done = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let lastError = '';
  const attempt = (): void => {
    running = reconcileBootstrapPolicy(registry, log).then(() => ensureSystemPriorityClasses(registry)).then(() => ensureDefaultStorageClass(registry)).then(
      () => { done = true; },
      (e: unknown) => {
        const msg = e instanceof Error ? e.message : String(e);
        if (msg !== lastError) log(`rbac bootstrap: will try again: ${msg}`);
        lastError = msg;
        if (!stopped) timer = setTimeout(attempt, 1_000);
      },
    );
  };
  attempt();
  return { done: () => done, stop: async () => { stopped = true; clearTimeout(timer); await running; } };
}

/**
 * Gives back ClusterIPs and node ports no Service holds (a crash between a Service going and
 * its release), at start and every three minutes, as Kubernetes' repair controllers do.
 */
function serviceAddressRepair(registry: Registry, log: (line: string) => void): { stop(): void } {
  const run = (): void => {
    registry.services.repair(async () => (await registry.list('services')).items)
      .then((n) => { if (n) log(`services: gave back ${n} address(es) no Service holds`); })
      .catch(() => undefined); // etcd away: next time
  };
  const first = setTimeout(run, 5_000);
  const timer = setInterval(run, 180_000);
  first.unref();
  timer.unref();
  return { stop: () => { clearTimeout(first); clearInterval(timer); } };
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(`tugboat-apiserver: ${line}\n`));
  const listen = parseHostPort(options.listen ?? DEFAULT_LISTEN, '--listen');
  const httpListen = parseHostPort(options.httpListen ?? DEFAULT_HTTP_LISTEN, '--http-listen');
  if (options.etcdServers.length === 0) throw new Error('--etcd-servers: at least one etcd URL is required');

  const metrics = new ApiServerMetrics();
  const etcd = new EtcdStorage({
    endpoints: options.etcdServers,
    ...(options.etcdTls ? { tls: options.etcdTls } : {}),
    requestDuration: metrics.etcdRequestDuration,
    ...(options.etcdRequestTimeoutMs ? { requestTimeoutMs: options.etcdRequestTimeoutMs } : {}),
  });
  // Encryption sits right above etcd, so everything else (registry, watch cache) sees plaintext.
  const storage = options.encryptionConfig
    ? new EncryptingStorage(etcd, {
      config: options.encryptionConfig,
      operations: transformationOperationsCounter(metrics.registry),
      onWatchError: (err) => log(`watch: ${err.message}`),
    })
    : etcd;
  const registry = new Registry(storage, {
    ...(options.now ? { now: options.now } : {}),
    ...(options.serviceRanges ? { serviceRanges: options.serviceRanges } : {}),
    ...(options.eventTtlSeconds !== undefined ? { eventTtlSeconds: options.eventTtlSeconds } : {}),
  });
  const cache = new WatchCache(storage, {
    ...(options.watchCacheSize ? { capacity: options.watchCacheSize } : {}),
    ...(options.watchCacheRetentionMs !== undefined ? { retentionMs: options.watchCacheRetentionMs } : {}),
    onError: (err) => log(`watch cache restarted: ${err.message}`),
  });
  // Before anything lists (the informers below): their first lists start the caches.
  const listCaches = new ListCaches(registry, cache, storage, { enabled: options.listFromCache ?? true, metrics, log });
  registry.listCache = listCaches;
  const watches = new WatchService(registry, cache, storage, options.bookmarkIntervalMs ? { bookmarkIntervalMs: options.bookmarkIntervalMs } : {});
  const logs = new LogsProxy(registry, options.kubeletClient);
  const namespaces = new NamespaceController(registry, { log, ...(options.namespaceSyncIntervalMs ? { intervalMs: options.namespaceSyncIntervalMs } : {}) });
  const auth = assembleSecurity(options, registry, storage, listCaches);
  const registryObjects = registryCache(registry, listCaches);

  const deps: HandlerDeps = { metrics, log, security: auth.security, checkRbacWrite: auth.checkRbacWrite };
  let bootstrap: ReturnType<typeof bootstrapPolicy> | undefined;
  const ready = async (): Promise<boolean> => auth.synced() && !!bootstrap?.done() && storage.healthy(1_000);
  const protos = loadProtos();
  const grpc = new GrpcWireServer({ maxReceiveBytes: 4 * 1024 * 1024 });
  grpc.addService(protos.tugboat.v1.Objects.service, objectsService(registry, watches, deps));
  const heartbeats = nodeHeartbeats(registry, heartbeatLeaseName(formatHostPort(listen), options.worker?.index), options.heartbeatFlushMs);
  grpc.addService(protos.tugboat.v1.Server.service, serverService(versionInfo(), deps, {
    batcher: heartbeats,
    nodeVersion: (node) => registry.objectCache?.('nodes', '', node)?.metadata?.resourceVersion,
    renewLease: (node, seconds) => renewNodeLease(registry, node, seconds),
  }));
  grpc.addService(protos.tugboat.v1.Pods.service, logs.service(deps));
  grpc.addService(protos.tugboat.v1.Auth.service, authService(registry, auth.tokens, deps));
  const http = createComponentHttpServer({
    metrics: metrics.registry,
    // Ready once etcd answers, the authorizers hold their caches and the default roles exist
    // (components' requests would be refused before), as Kubernetes' readyz waits for its
    // rbac/bootstrap-roles hook.
    ready: () => ready(),
    notReadyMessage: 'etcd is not answering, or the authorization caches and default roles are not loaded yet',
  });

  const rest = createHttpServer(restHandler({ registry, watches, logs, deps, version: versionInfo(), ready, now: options.now ?? (() => new Date()) }));
  // Kubernetes' clients keep connections open between requests; watches keep them for long.
  rest.keepAliveTimeout = 65_000;
  cachePeerCertificates();
  const mux = createTlsMux(options.tls, grpc, rest);

  let grpcPort: number;
  let httpPort: number;
  try {
    grpcPort = await listenOn(mux.server, listen.host, listen.port, 'gRPC');
    httpPort = options.worker ? 0 : await listenOn(http, httpListen.host, httpListen.port, 'HTTP');
  } catch (e) {
    grpc.forceShutdown();
    await mux.close();
    http.close();
    await storage.close();
    throw e;
  }

  // Serving does not wait for etcd: requests fail with Unavailable and /readyz says not
  // ready until it answers; the watch cache and the namespace controller connect when it does.
  // What runs once per server: in worker 0 only when several processes share the ports.
  const singletons = !options.worker || options.worker.index === 0;
  cache.start();
  if (singletons) namespaces.start();
  // Every worker reconciles the default roles (idempotent, as every kube-apiserver does):
  // each one's readiness waits for them.
  bootstrap = bootstrapPolicy(registry, log);
  const repair = singletons ? serviceAddressRepair(registry, log) : { stop: () => undefined };

  const countObjects = async (): Promise<void> => {
    for (const k of KINDS) {
      try {
        metrics.storageObjects.set({ resource: k.resource }, await storage.count(resourcePrefix(k)));
      } catch {
        return; // etcd away: keep the last counts
      }
    }
  };
  // A gauge per server: the primary sums the workers' metrics, so one worker counts.
  if (singletons) void countObjects();
  const countTimer = setInterval(() => { if (singletons) void countObjects(); }, options.storageCountIntervalMs ?? 10_000);
  countTimer.unref();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      clearInterval(countTimer);
      watches.closeAll();
      // The heartbeats waiting for their batch are written (or fail) before etcd goes.
      const lastBeats = heartbeats.close();
      await new Promise<void>((resolve) => {
        // In-flight unary calls get a moment to finish; streams were ended above.
        const force = setTimeout(() => { grpc.forceShutdown(); resolve(); }, 2_000);
        grpc.tryShutdown(() => { clearTimeout(force); resolve(); });
      });
      await mux.close();
      await new Promise<void>((resolve) => { http.close(() => resolve()); http.closeAllConnections(); });
      await bootstrap?.stop();
      repair.stop();
      await namespaces.stop();
      await auth.stop();
      registryObjects.stop();
      registry.listCache = undefined;
      listCaches.stop();
      cache.stop();
      logs.close();
      await lastBeats;
      await storage.close();
    })();
    return stopping;
  };

  return {
    address: formatHostPort({ host: listen.host, port: grpcPort }),
    httpAddress: options.worker ? '' : formatHostPort({ host: httpListen.host, port: httpPort }),
    ready,
    registry,
    metrics,
    stop,
  };
}
