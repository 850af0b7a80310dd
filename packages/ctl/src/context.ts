// What every command gets: where to write, the environment, and a lazily created API
// client for the resolved server and credentials (client-config.ts). Commands never touch
// process.* directly, so they can be driven in-process by tests.
import { DEFAULT_NAMESPACE, TugboatClient } from '@tugboat/api';
import { resolveConnection, type ConnectionFlags, type ResolvedConnection } from './client-config.js';
import { readConfig, type Env } from './config.js';
import { errorLine } from './errors.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  readStdin(): Promise<string>;
  /**
   * Raw bytes, for output that need not be text (`exec`) and binary stdin (`exec -i`).
   * Optional: an Io without it gets the bytes as UTF-8 text.
   */
  readonly bytes?: { out(data: Uint8Array): void; err(data: Uint8Array): void; readStdin(): Promise<Buffer> };
  readonly env: Env;
  readonly cwd: string;
  readonly signal: AbortSignal;
}

export interface GlobalOptions extends ConnectionFlags {
  namespace?: string | undefined;
  requestTimeoutMs?: number | undefined;
}

export class Context {
  private clientInstance: TugboatClient | undefined;
  private resolved: ResolvedConnection | undefined;
  private resolvedNamespace: string | undefined;
  constructor(readonly io: Io, readonly options: GlobalOptions) {}

  /** Aborted on SIGINT/SIGTERM, so long-running commands (watch, logs -f, wait) end cleanly. */
  get signal(): AbortSignal { return this.io.signal; }

  get env(): Env { return this.io.env; }

  /** The server, credentials and kubeconfig, resolved once (see client-config.ts). */
  connection(): ResolvedConnection {
    this.resolved ??= resolveConnection(this.options, this.io.env, { cwd: this.io.cwd });
    return this.resolved;
  }

  /** The API server address (HOST:PORT). */
  get server(): string {
    return this.connection().server;
  }

  /** -n, else the config file's namespace, else the kubeconfig context's (a pod's own in-cluster), else "default". */
  get namespace(): string {
    this.resolvedNamespace ??= this.options.namespace || readConfig(this.io.env).namespace || this.connection().namespace || DEFAULT_NAMESPACE;
    return this.resolvedNamespace;
  }

  /** Whether the user named a namespace with -n (which then must match manifests). */
  get namespaceExplicit(): boolean {
    return !!this.options.namespace;
  }

  client(): TugboatClient {
    const conn = this.connection();
    this.clientInstance ??= new TugboatClient(conn.server, {
      credentials: conn.credentials,
      onWarning: (w) => this.io.err(`Warning: ${w}\n`),
      ...(this.options.requestTimeoutMs ? { timeoutMs: this.options.requestTimeoutMs } : {}),
    });
    return this.clientInstance;
  }

  /**
   * The one line for an error, knowing where tctl connected and which CA it trusted (TLS
   * failures name them). Never throws: a configuration that cannot be read names nothing.
   */
  errorLine(err: unknown): string {
    let conn: ResolvedConnection | undefined;
    try {
      conn = this.connection();
    } catch {
      conn = undefined;
    }
    return errorLine(err, conn ? { server: conn.server, ...(conn.caSource ? { caSource: conn.caSource } : {}) } : undefined);
  }

  close(): void {
    this.clientInstance?.close();
    this.clientInstance = undefined;
  }

  out(text: string): void { this.io.out(text); }
  err(text: string): void { this.io.err(text); }
}
