// Command-line flags of tugboat-apiserver (`--flag value` or `--flag=value`). Pure.
import { DEFAULT_HTTP_LISTEN, DEFAULT_LISTEN, type ApiServerOptions } from './server.js';
import { parseHostPort } from '@tugboat/api';

export const USAGE = `Usage: tugboat-apiserver --etcd-servers URL[,URL...] [--listen HOST:PORT] [--http-listen HOST:PORT]

The Tugboat API server: the gRPC Objects, Pods and Server services on etcd.

  --etcd-servers URL[,URL...]  etcd client URLs (required), e.g. http://127.0.0.1:2379
  --listen HOST:PORT           gRPC address (default ${DEFAULT_LISTEN}; port 0 picks one)
  --http-listen HOST:PORT      /metrics, /healthz, /readyz (default ${DEFAULT_HTTP_LISTEN})
  --watch-cache-size N         changes kept per resource for resuming watchers (default 1000)
  --help                       this text
`;

export type ParsedFlags = { help: true } | { help: false; options: ApiServerOptions };

/** Throws an Error with a one-line message for a bad flag. */
export function parseFlags(argv: readonly string[]): ParsedFlags {
  const values = new Map<string, string>();
  const known = new Set(['etcd-servers', 'listen', 'http-listen', 'watch-cache-size']);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return { help: true };
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unexpected argument ${JSON.stringify(arg)}`);
    const name = m[1]!;
    if (!known.has(name)) throw new Error(`unknown flag --${name}`);
    let value = m[2];
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new Error(`flag --${name} needs a value`);
    }
    values.set(name, value);
  }
  const etcd = values.get('etcd-servers');
  if (!etcd) throw new Error('--etcd-servers is required (e.g. --etcd-servers http://127.0.0.1:2379)');
  const etcdServers = etcd.split(',').map((s) => s.trim()).filter(Boolean);
  for (const url of etcdServers) {
    if (!/^https?:\/\/[^/]+$/.test(url.replace(/\/$/, ''))) throw new Error(`--etcd-servers: ${JSON.stringify(url)} is not an http(s)://HOST:PORT URL`);
  }
  const listen = values.get('listen') ?? DEFAULT_LISTEN;
  const httpListen = values.get('http-listen') ?? DEFAULT_HTTP_LISTEN;
  parseHostPort(listen, '--listen');
  parseHostPort(httpListen, '--http-listen');
  const cacheText = values.get('watch-cache-size');
  let watchCacheSize: number | undefined;
  if (cacheText !== undefined) {
    watchCacheSize = Number(cacheText);
    if (!Number.isInteger(watchCacheSize) || watchCacheSize < 1) throw new Error(`--watch-cache-size: expected a positive integer, got ${JSON.stringify(cacheText)}`);
  }
  return {
    help: false,
    options: { etcdServers: etcdServers.map((u) => u.replace(/\/$/, '')), listen, httpListen, ...(watchCacheSize ? { watchCacheSize } : {}) },
  };
}
