// The HTTP side every component serves: /metrics (Prometheus text), /healthz (the process
// is up and its own check passes) and /readyz (a live check, e.g. etcd answers). One
// implementation so the endpoints behave alike everywhere.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatHostPort, parseHostPort } from './host-port.js';

/** What prom-client's Registry offers; structural so @tugboat/api needs no prom-client. */
export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

export interface ComponentHttpOptions {
  /** HOST:PORT; port 0 picks a free one. */
  readonly listen: string;
  /** The flag named in errors (default --http-listen). */
  readonly flag?: string;
  readonly metrics: MetricsSource;
  readonly healthy?: () => boolean;
  /** /readyz answers 200 only while this resolves true; without it /readyz follows /healthz. */
  readonly ready?: () => Promise<boolean>;
  /** Said by /readyz when not ready. */
  readonly notReadyMessage?: string;
}

export interface ComponentHttp {
  readonly server: Server;
  /** HOST:PORT actually bound. */
  readonly address: string;
  close(): Promise<void>;
}

export function createComponentHttpServer(opts: Omit<ComponentHttpOptions, 'listen' | 'flag'>): Server {
  const healthy = opts.healthy ?? (() => true);
  const ready = opts.ready ?? (() => Promise.resolve(healthy()));
  const notReady = `not ready${opts.notReadyMessage ? `: ${opts.notReadyMessage}` : ''}\n`;
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (code: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'method not allowed\n');
    switch (path) {
      case '/healthz':
      case '/livez':
        return healthy() ? reply(200, 'ok\n') : reply(503, 'not healthy\n');
      case '/readyz':
        ready().then((ok) => (ok ? reply(200, 'ok\n') : reply(503, notReady)), () => reply(503, notReady));
        return;
      case '/metrics':
        opts.metrics.metrics().then(
          (text) => reply(200, text, opts.metrics.contentType),
          (e: unknown) => reply(500, `metrics failed: ${e instanceof Error ? e.message : String(e)}\n`),
        );
        return;
      default:
        return reply(404, 'not found; try /metrics, /healthz or /readyz\n');
    }
  });
}

/** Starts the endpoint; rejects with one line naming the flag when it cannot bind. */
export function serveComponentHttp(opts: ComponentHttpOptions): Promise<ComponentHttp> {
  const flag = opts.flag ?? '--http-listen';
  const { host, port } = parseHostPort(opts.listen, flag);
  const server = createComponentHttpServer(opts);
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(new Error(e.code === 'EADDRINUSE' ? `${flag} ${opts.listen}: address already in use` : `${flag} ${opts.listen}: ${e.message}`));
    });
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      const a = server.address() as AddressInfo;
      resolve({
        server,
        address: formatHostPort({ host: a.address, port: a.port }),
        close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
      });
    });
  });
}
