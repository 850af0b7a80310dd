// A minimal client of the API server's Kubernetes REST API for the benchmarks: keep-alive
// HTTPS with a client certificate (or a bearer token), JSON bodies, and watch streams read as
// newline-delimited JSON events. What a Kubernetes client library does on the wire, without
// its layers, so the figures are the server's.
import { Agent, request } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Credentials, KubeObject } from '@tugboat/api';

export interface RestWatchEvent<T> { readonly type: string; readonly object: T }

export interface RestWatch<T> extends AsyncIterable<RestWatchEvent<T>> {
  close(): void;
}

export class RestStatusError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

export class RestClient {
  private readonly agent: Agent;
  /**
   * Watches hold their connection for as long as they run: on HTTP/1.1 each needs one of its
   * own (as client-go's watches do), outside the pool of `maxSockets` that calls share, or
   * `maxSockets` watches would leave no connection for the calls.
   */
  private readonly watchAgent: Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(server: string, private readonly credentials: Credentials, maxSockets = 64) {
    const i = server.lastIndexOf(':');
    this.host = server.slice(0, i);
    this.port = Number(server.slice(i + 1));
    const tls = credentials.tls;
    const options = {
      // http/1.1 only: the API server's port gives h2 to gRPC clients and http/1.1 to REST ones.
      ALPNProtocols: ['http/1.1'],
      ...(tls?.ca ? { ca: tls.ca } : {}),
      ...(tls?.cert ? { cert: tls.cert } : {}),
      ...(tls?.key ? { key: tls.key } : {}),
    };
    this.agent = new Agent({ keepAlive: true, maxSockets, ...options });
    this.watchAgent = new Agent(options);
  }

  private open(method: string, path: string, body?: unknown, agent = this.agent): Promise<IncomingMessage> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request({
        host: this.host, port: this.port, path, method, agent,
        headers: {
          accept: 'application/json',
          ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
          ...(this.credentials.token ? { authorization: `Bearer ${this.credentials.token}` } : {}),
        },
      }, resolve);
      req.on('error', reject);
      req.end(payload);
    });
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.open(method, path, body);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      let message = text;
      try { message = (JSON.parse(text) as { message?: string }).message ?? text; } catch { /* not a Status */ }
      throw new RestStatusError(status, `${method} ${path}: ${status} ${message}`);
    }
    return JSON.parse(text) as T;
  }

  /** Every item of a collection, following `continue` (pages of `limit`). */
  async listAll<T extends KubeObject>(path: string, limit = 500): Promise<{ items: T[]; resourceVersion: string }> {
    const items: T[] = [];
    let token = '';
    let resourceVersion = '';
    do {
      const page = await this.call<{ items: T[]; metadata: { continue?: string; resourceVersion: string } }>('GET', `${path}?limit=${limit}${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
      items.push(...page.items);
      token = page.metadata.continue ?? '';
      resourceVersion ||= page.metadata.resourceVersion;
    } while (token);
    return { items, resourceVersion };
  }

  watch<T>(path: string, resourceVersion: string): RestWatch<T> {
    let response: IncomingMessage | undefined;
    let closed = false;
    const opened = this.open('GET', `${path}?watch=1&resourceVersion=${encodeURIComponent(resourceVersion)}&allowWatchBookmarks=true`, undefined, this.watchAgent);
    return {
      close() {
        closed = true;
        response?.destroy();
        void opened.then((r) => r.destroy(), () => undefined);
      },
      async *[Symbol.asyncIterator]() {
        const res = await opened;
        response = res;
        if ((res.statusCode ?? 0) !== 200) throw new RestStatusError(res.statusCode ?? 0, `watch ${path}: ${res.statusCode}`);
        let buffered = '';
        try {
          for await (const chunk of res) {
            buffered += (chunk as Buffer).toString('utf8');
            let nl: number;
            while ((nl = buffered.indexOf('\n')) >= 0) {
              const line = buffered.slice(0, nl);
              buffered = buffered.slice(nl + 1);
              if (line.trim()) yield JSON.parse(line) as RestWatchEvent<T>;
            }
          }
        } catch (e) {
          if (!closed) throw e;
        }
      },
    };
  }

  close(): void {
    this.agent.destroy();
    this.watchAgent.destroy();
  }
}
