// What every command gets: where to write, the environment, and a lazily created API
// client for the resolved server. Commands never touch process.* directly, so they can be
// driven in-process by tests.
import { DEFAULT_NAMESPACE, TugboatClient } from '@tugboat/api';
import { readConfig, resolveServer, type Env } from './config.js';

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

export interface GlobalOptions {
  server?: string | undefined;
  namespace?: string | undefined;
  requestTimeoutMs?: number | undefined;
}

export class Context {
  private clientInstance: TugboatClient | undefined;
  private resolved: string | undefined;
  private resolvedNamespace: string | undefined;
  constructor(readonly io: Io, readonly options: GlobalOptions) {}

  /** Aborted on SIGINT/SIGTERM, so long-running commands (watch, logs -f, wait) end cleanly. */
  get signal(): AbortSignal { return this.io.signal; }

  get env(): Env { return this.io.env; }

  /** The API server address: --server, then $TCTL_SERVER, then $TUGBOAT_HOME/config.json. */
  get server(): string {
    this.resolved ??= resolveServer(this.options.server, this.io.env).server;
    return this.resolved;
  }

  /** -n, else the config file's namespace, else "default". */
  get namespace(): string {
    this.resolvedNamespace ??= this.options.namespace || readConfig(this.io.env).namespace || DEFAULT_NAMESPACE;
    return this.resolvedNamespace;
  }

  /** Whether the user named a namespace with -n (which then must match manifests). */
  get namespaceExplicit(): boolean {
    return !!this.options.namespace;
  }

  client(): TugboatClient {
    this.clientInstance ??= new TugboatClient(this.server, {
      onWarning: (w) => this.io.err(`Warning: ${w}\n`),
      ...(this.options.requestTimeoutMs ? { timeoutMs: this.options.requestTimeoutMs } : {}),
    });
    return this.clientInstance;
  }

  close(): void {
    this.clientInstance?.close();
    this.clientInstance = undefined;
  }

  out(text: string): void { this.io.out(text); }
  err(text: string): void { this.io.err(text); }
}
