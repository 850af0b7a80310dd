// The scheduler's HTTP side: /metrics (Prometheus text) and /healthz.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HttpServerHandle {
  readonly server: Server;
  /** HOST:PORT actually bound (the port is chosen when 0 was asked for). */
  readonly address: string;
  close(): Promise<void>;
}

/** "127.0.0.1:10259", "[::1]:10259", ":10259" → host and port; throws one line naming the flag. */
export function parseHostPort(text: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port > 65535) throw new Error(`${flag}: expected HOST:PORT, got ${JSON.stringify(text)}`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export function startHttpServer(listen: string, registry: Registry, healthy: () => boolean): Promise<HttpServerHandle> {
  const { host, port } = parseHostPort(listen, '--http-listen');
  const server = createServer((req, res) => {
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
      case '/metrics':
        registry.metrics().then(
          (text) => reply(200, text, registry.contentType),
          (e: unknown) => reply(500, `metrics failed: ${e instanceof Error ? e.message : String(e)}\n`),
        );
        return;
      default:
        return reply(404, 'not found; try /metrics or /healthz\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const a = server.address() as AddressInfo;
      const address = a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
      resolve({
        server,
        address,
        close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
      });
    });
  });
}
