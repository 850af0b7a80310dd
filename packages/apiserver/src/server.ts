// Assembles the API server: storage on etcd, registry, watch cache, namespace controller,
// the gRPC services and the HTTP endpoint. `startApiServer` is what main.ts runs and what
// in-process tests use.
import { Server as GrpcServer, ServerCredentials } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KINDS, createComponentHttpServer, formatHostPort, loadProtos, parseHostPort } from '@tugboat/api';
import { objectsService, serverService } from './grpc/objects-service.js';
import type { VersionResponse } from './grpc/proto-types.js';
import { LogsProxy } from './logs/logs-proxy.js';
import { ApiServerMetrics } from './metrics.js';
import { NamespaceController } from './namespaces/namespace-controller.js';
import { resourcePrefix } from './registry/keys.js';
import { Registry } from './registry/registry.js';
import { EtcdStorage } from './storage/etcd-storage.js';
import { WatchCache } from './watch/watch-cache.js';
import { WatchService } from './watch/watch-service.js';

export const DEFAULT_LISTEN = '127.0.0.1:6443';
export const DEFAULT_HTTP_LISTEN = '127.0.0.1:6480';

export interface ApiServerOptions {
  /** etcd client URLs (http://127.0.0.1:2379). */
  readonly etcdServers: readonly string[];
  /** gRPC HOST:PORT; port 0 picks a free one. */
  readonly listen?: string;
  /** HTTP HOST:PORT for /metrics, /healthz, /readyz; port 0 picks a free one. */
  readonly httpListen?: string;
  /** Changes kept per resource for watchers that resume (default 1000). */
  readonly watchCacheSize?: number;
  readonly bookmarkIntervalMs?: number;
  readonly namespaceSyncIntervalMs?: number;
  /** How often apiserver_storage_objects is recounted. */
  readonly storageCountIntervalMs?: number;
  readonly etcdRequestTimeoutMs?: number;
  readonly now?: () => Date;
  /** Where operational messages go (default: stderr). */
  readonly log?: (line: string) => void;
}

export interface ApiServer {
  /** HOST:PORT the gRPC services listen on. */
  readonly address: string;
  /** HOST:PORT of /metrics, /healthz, /readyz. */
  readonly httpAddress: string;
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

function bindGrpc(server: GrpcServer, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (err, port) => {
      if (err) {
        const why = /EADDRINUSE/.test(err.message) ? 'address already in use'
          : /EADDRNOTAVAIL/.test(err.message) ? 'address not available on this machine'
          : /EACCES/.test(err.message) ? 'permission denied'
          : err.message.replace(/^No address added out of total \d+ resolved\s*/, '') || 'address unavailable';
        reject(new ListenError(`cannot listen on ${address} (gRPC): ${why}`));
      }
      else resolve(port);
    });
  });
}

function listenHttp(server: HttpServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const why = err.code === 'EADDRINUSE' ? 'address already in use' : err.code === 'EADDRNOTAVAIL' ? 'address not available on this machine' : err.message;
      reject(new ListenError(`cannot listen on ${formatHostPort({ host, port })} (HTTP): ${why}`));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(`tugboat-apiserver: ${line}\n`));
  const listen = parseHostPort(options.listen ?? DEFAULT_LISTEN, '--listen');
  const httpListen = parseHostPort(options.httpListen ?? DEFAULT_HTTP_LISTEN, '--http-listen');
  if (options.etcdServers.length === 0) throw new Error('--etcd-servers: at least one etcd URL is required');

  const metrics = new ApiServerMetrics();
  const storage = new EtcdStorage({
    endpoints: options.etcdServers,
    requestDuration: metrics.etcdRequestDuration,
    ...(options.etcdRequestTimeoutMs ? { requestTimeoutMs: options.etcdRequestTimeoutMs } : {}),
  });
  const registry = new Registry(storage, options.now ? { now: options.now } : {});
  const cache = new WatchCache(storage, {
    ...(options.watchCacheSize ? { capacity: options.watchCacheSize } : {}),
    onError: (err) => log(`watch cache restarted: ${err.message}`),
  });
  const watches = new WatchService(registry, cache, storage, options.bookmarkIntervalMs ? { bookmarkIntervalMs: options.bookmarkIntervalMs } : {});
  const logs = new LogsProxy(registry);
  const namespaces = new NamespaceController(registry, { log, ...(options.namespaceSyncIntervalMs ? { intervalMs: options.namespaceSyncIntervalMs } : {}) });

  const protos = loadProtos();
  const grpc = new GrpcServer({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  grpc.addService(protos.tugboat.v1.Objects.service, objectsService(registry, watches, metrics, log));
  grpc.addService(protos.tugboat.v1.Server.service, serverService(versionInfo(), metrics, log));
  grpc.addService(protos.tugboat.v1.Pods.service, logs.service(metrics, log));
  const http = createComponentHttpServer({ metrics: metrics.registry, ready: () => storage.healthy(1_000), notReadyMessage: 'etcd is not answering' });

  let grpcPort: number;
  let httpPort: number;
  try {
    grpcPort = await bindGrpc(grpc, formatHostPort(listen));
    httpPort = await listenHttp(http, httpListen.host, httpListen.port);
  } catch (e) {
    grpc.forceShutdown();
    http.close();
    await storage.close();
    throw e;
  }

  // Serving does not wait for etcd: requests fail with Unavailable and /readyz says not
  // ready until it answers; the watch cache and the namespace controller connect when it does.
  cache.start();
  namespaces.start();

  const countObjects = async (): Promise<void> => {
    for (const k of KINDS) {
      try {
        metrics.storageObjects.set({ resource: k.resource }, await storage.count(resourcePrefix(k)));
      } catch {
        return; // etcd away: keep the last counts
      }
    }
  };
  void countObjects();
  const countTimer = setInterval(() => void countObjects(), options.storageCountIntervalMs ?? 10_000);
  countTimer.unref();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      clearInterval(countTimer);
      watches.closeAll();
      await new Promise<void>((resolve) => {
        // In-flight unary calls get a moment to finish; streams were ended above.
        const force = setTimeout(() => { grpc.forceShutdown(); resolve(); }, 2_000);
        grpc.tryShutdown(() => { clearTimeout(force); resolve(); });
      });
      await new Promise<void>((resolve) => { http.close(() => resolve()); http.closeAllConnections(); });
      await namespaces.stop();
      cache.stop();
      logs.close();
      await storage.close();
    })();
    return stopping;
  };

  return {
    address: formatHostPort({ host: listen.host, port: grpcPort }),
    httpAddress: formatHostPort({ host: httpListen.host, port: httpPort }),
    registry,
    metrics,
    stop,
  };
}
