// Starts a real Tugboat API server against a real etcd (see etcd.ts): in this process (fast,
// for integration tests) or as a child process of the built binary (for crash/restart tests).
// Build the apiserver package first (`npx tsc -b packages/apiserver`).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TugboatClient, type Credentials } from '@tugboat/api';
import { testPki, type TestPki } from './pki.js';
import { freePort, waitFor } from './ports.js';

/** The subset of @tugboat/apiserver's ApiServerOptions tests set (the harness does not import it at compile time). */
export interface InProcessApiServerOptions {
  listen?: string;
  httpListen?: string;
  watchCacheSize?: number;
  eventTtlSeconds?: number;
  watchCacheRetentionMs?: number;
  bookmarkIntervalMs?: number;
  namespaceSyncIntervalMs?: number;
  storageCountIntervalMs?: number;
  etcdRequestTimeoutMs?: number;
  heartbeatFlushMs?: number;
  now?: () => Date;
  log?: (line: string) => void;
  authorizationModes?: ('AlwaysAllow' | 'Node' | 'RBAC')[];
  tokenAuthFile?: string;
  auditLogPath?: string;
  /** Mutual TLS to etcd: an EtcdHandle's `tls` (start etcd with `{ tls: true }`). */
  etcdTls?: { caPem: string; certPem: string; keyPem: string };
  /** A parsed EncryptionConfiguration (the apiserver's parseEncryptionConfig). */
  encryptionConfig?: object;
}

export interface ApiServerHandle {
  /** gRPC HOST:PORT. */
  readonly address: string;
  /** HTTP HOST:PORT (/metrics, /healthz, /readyz). */
  readonly httpAddress: string;
  /** The certificates the server was started with. */
  readonly pki: TestPki;
  /** A client for this server, as the admin (system:masters) unless other credentials are given (closed by stop()). */
  client(credentials?: Credentials): TugboatClient;
  /** Fetches http://httpAddress/path. */
  http(path: string): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
}

interface StartedServer {
  readonly address: string;
  readonly httpAddress: string;
  stop(): Promise<void>;
}

interface SecurityOptions {
  tls: { certPem: string; keyPem: string; clientCaPem: string };
  serviceAccount: { signingKeyPem: string; publicKeysPem: string[] };
  kubeletClient: { caPem: string; certPem: string; keyPem: string };
}

interface ApiServerModule {
  startApiServer(options: InProcessApiServerOptions & SecurityOptions & { etcdServers: string[] }): Promise<StartedServer>;
}

/** What `tctl cluster up` gives the API server, from the test PKI. */
function securityOptions(pki: TestPki): SecurityOptions {
  return {
    tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem, clientCaPem: pki.ca.certPem },
    serviceAccount: { signingKeyPem: pki.serviceAccountKey.privateKeyPem, publicKeysPem: [pki.serviceAccountKey.publicKeyPem] },
    kubeletClient: { caPem: pki.ca.certPem, certPem: pki.kubeletClient.certPem, keyPem: pki.kubeletClient.keyPem },
  };
}

/** The same as command-line flags of the built binary. */
export function securityFlags(pki: TestPki): string[] {
  const f = pki.files;
  return [
    '--tls-cert-file', f.serverCertFile, '--tls-private-key-file', f.serverKeyFile, '--client-ca-file', f.caFile,
    '--service-account-signing-key-file', f.saKeyFile, '--service-account-key-file', f.saPubFile,
    '--kubelet-client-certificate', f.kubeletClientCertFile, '--kubelet-client-key', f.kubeletClientKeyFile, '--kubelet-certificate-authority', f.caFile,
  ];
}

function handleFor(address: string, httpAddress: string, pki: TestPki, stopServer: () => Promise<void>): ApiServerHandle {
  const clients: TugboatClient[] = [];
  return {
    address,
    httpAddress,
    pki,
    client(credentials = pki.credentials()) {
      const c = new TugboatClient(address, { timeoutMs: 15_000, credentials });
      clients.push(c);
      return c;
    },
    async http(path: string) {
      const res = await fetch(`http://${httpAddress}${path}`);
      return { status: res.status, body: await res.text() };
    },
    async stop() {
      for (const c of clients.splice(0)) c.close();
      await stopServer();
    },
  };
}

/** An API server running inside this process. */
export async function startApiServerInProcess(etcdEndpoint: string, options: InProcessApiServerOptions = {}): Promise<ApiServerHandle & { readonly server: StartedServer }> {
  // A runtime import keeps @tugboat/test free of a build-time dependency on the apiserver
  // (whose tests depend on this package).
  const specifier = '@tugboat/apiserver';
  const mod = (await import(specifier)) as ApiServerModule;
  const pki = await testPki();
  const server = await mod.startApiServer({
    etcdServers: [etcdEndpoint],
    listen: '127.0.0.1:0',
    httpListen: '127.0.0.1:0',
    log: () => undefined,
    ...securityOptions(pki),
    ...options,
  });
  const handle = { ...handleFor(server.address, server.httpAddress, pki, () => server.stop()), server };
  // Ready means etcd answers, the authorization caches are loaded and the default roles exist:
  // then every identity a test uses is judged as it will be for the rest of the test.
  await waitFor('the API server to be ready', async () => (await handle.http('/readyz')).status === 200, 20_000, 50).catch(() => undefined);
  return handle;
}

export interface ApiServerProcessOptions {
  /** gRPC HOST:PORT (default: a free loopback port, kept across restarts). */
  listen?: string;
  httpListen?: string;
  extraArgs?: string[];
}

export interface ApiServerProcess extends ApiServerHandle {
  readonly process: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Sends a signal and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Starts the binary again with the same flags (after kill or stop). */
  restart(): Promise<void>;
}

export const APISERVER_BIN = fileURLToPath(new URL('../../../packages/apiserver/bin/tugboat-apiserver.js', import.meta.url));

/** The built tugboat-apiserver binary as a child process; resolves once it prints that it serves. */
export async function startApiServerProcess(etcdEndpoint: string, options: ApiServerProcessOptions = {}): Promise<ApiServerProcess> {
  const listen = options.listen ?? `127.0.0.1:${await freePort()}`;
  const httpListen = options.httpListen ?? `127.0.0.1:${await freePort()}`;
  const pki = await testPki();
  // TUGBOAT_APISERVER_NODE_ARGS: options for node itself, e.g. "--cpu-prof --cpu-prof-dir=DIR" to
  // profile the server under a benchmark (NODE_OPTIONS refuses --cpu-prof).
  const nodeArgs = (process.env['TUGBOAT_APISERVER_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const args = [...nodeArgs, APISERVER_BIN, '--etcd-servers', etcdEndpoint, '--listen', listen, '--http-listen', httpListen, ...securityFlags(pki), ...(options.extraArgs ?? [])];
  let proc!: ChildProcess;
  let out = '';

  const launch = async (): Promise<void> => {
    proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const p = proc;
    // Only this run's output counts as "serving" (out keeps earlier runs' too).
    let mine = '';
    p.stdout?.on('data', (d: Buffer) => { out += d.toString(); mine += d.toString(); });
    p.stderr?.on('data', (d: Buffer) => { out += d.toString(); mine += d.toString(); });
    await waitFor('tugboat-apiserver to serve', () => {
      if (p.exitCode !== null || p.signalCode !== null) throw new Error(`tugboat-apiserver exited (${p.exitCode ?? p.signalCode}): ${mine.trim()}`);
      return mine.includes('serving gRPC on');
    }, 30_000, 25);
  };
  await launch();

  const kill = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return { code: proc.exitCode, signal: proc.signalCode };
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, sig) => r({ code, signal: sig })));
    proc.kill(signal);
    return exited;
  };

  const base = handleFor(listen, httpListen, pki, async () => { await kill('SIGTERM'); });
  return {
    ...base,
    get process() { return proc; },
    output: () => out,
    kill,
    restart: launch,
  };
}
