// The API server's HTTP side: /metrics (Prometheus text), /healthz (the process is up) and
// /readyz (etcd answers right now, checked live with a short timeout).
import { createServer, type Server } from 'node:http';
import type { Registry as MetricsRegistry } from 'prom-client';

export interface HttpDeps {
  readonly metrics: MetricsRegistry;
  /** Whether the store answers; /readyz is 200 only while it does. */
  readonly ready: () => Promise<boolean>;
}

export function createHttpServer(deps: HttpDeps): Server {
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
        return reply(200, 'ok\n');
      case '/readyz':
        deps.ready().then(
          (ok) => (ok ? reply(200, 'ok\n') : reply(503, 'not ready: etcd is not answering\n')),
          () => reply(503, 'not ready: etcd is not answering\n'),
        );
        return;
      case '/metrics':
        deps.metrics.metrics().then(
          (text) => reply(200, text, deps.metrics.contentType),
          (e: unknown) => reply(500, `metrics failed: ${e instanceof Error ? e.message : String(e)}\n`),
        );
        return;
      default:
        return reply(404, 'not found; try /metrics, /healthz or /readyz\n');
    }
  });
}
