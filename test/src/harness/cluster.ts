// A local cluster for end-to-end tests, brought up the way a user does it — the built
// `tctl cluster up` — in a temp $TUGBOAT_HOME on ports the OS picks, so test files can run
// clusters side by side. Tests then drive `tctl` as a user would and read its output.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TugboatClient, loadKubeconfig, type Credentials } from '@tugboat/api';

/** The repository root (test/dist/harness → ../../..). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const TCTL = join(REPO_ROOT, 'packages', 'ctl', 'bin', 'tctl.js');

export interface TctlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ClusterComponent {
  name: string;
  role: string;
  pid: number;
  state: 'running' | 'stopped';
  addresses: Record<string, string>;
  logFile: string;
}

export interface LocalClusterHandle {
  /** The temp $TUGBOAT_HOME. */
  readonly home: string;
  /** $TUGBOAT_HOME/pki: the cluster's certificates and kubeconfigs (written by `cluster up`). */
  readonly pkiDir: string;
  /** The admin's credentials (system:masters), for tests that talk to the API directly. */
  readonly credentials: Credentials;
  /** Environment for tctl runs: TUGBOAT_HOME set, TCTL_SERVER cleared. */
  readonly env: NodeJS.ProcessEnv;
  /** The (first) API server's gRPC address. */
  readonly server: string;
  /** Every API server's gRPC address (`--apiservers N`), as the cluster's kubeconfigs list them. */
  readonly apiServers: readonly string[];
  /** etcd's client URL (https). */
  readonly etcdEndpoint: string;
  /** Output of `tctl cluster up`. */
  readonly upOutput: string;
  /** Runs tctl to completion; `input` goes to its stdin. */
  tctl(args: readonly string[], input?: string, timeoutMs?: number): Promise<TctlResult>;
  /** Starts a long-running tctl (e.g. `get pods -w`); read its output as it comes. */
  spawnTctl(args: readonly string[]): TctlProcess;
  /** `tctl cluster status -o json` components. */
  components(): Promise<ClusterComponent[]>;
  /** etcdctl with the API server's etcd client certificate (etcd takes no other). */
  etcdctl(...args: string[]): string;
  /** A TugboatClient as the admin (closed by the caller). */
  client(): TugboatClient;
  /** `tctl cluster down --purge` and the temp dir removed. Safe to call twice. */
  destroy(): Promise<void>;
}

export interface TctlProcess {
  readonly process: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout matches (or rejects after timeoutMs with what was seen). */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** The same for stderr. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGINT (as Ctrl-C), then the exit code. */
  stop(): Promise<number | null>;
}

export function tctlEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TUGBOAT_HOME: home };
  delete env['TCTL_SERVER'];
  return env;
}

/**
 * Runs `command` to completion in the repository root, `input` on its stdin (closed either
 * way). Never rejects for a non-zero exit; rejects when it cannot start, or kills it (SIGKILL)
 * and rejects with what it printed when it outlives `timeoutMs`. `label` names it in that error.
 */
export function runToCompletion(command: string, args: readonly string[], env: NodeJS.ProcessEnv, opts: { input?: string | undefined; timeoutMs: number; label: string }): Promise<TctlResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { env, cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${opts.label} did not finish in ${opts.timeoutMs} ms; stdout: ${stdout} stderr: ${stderr}`));
    }, opts.timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs the built tctl with `env`; never rejects for a non-zero exit. */
export function runTctl(args: readonly string[], env: NodeJS.ProcessEnv, input?: string, timeoutMs = 120_000): Promise<TctlResult> {
  return runToCompletion(process.execPath, [TCTL, ...args], env, { input, timeoutMs, label: `tctl ${args.join(' ')}` });
}

export function spawnTctl(args: readonly string[], env: NodeJS.ProcessEnv): TctlProcess {
  const child = spawn(process.execPath, [TCTL, ...args], { env, cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); for (const l of listeners) l(); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); for (const l of listeners) l(); });
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const waitFor = (read: () => string, pattern: RegExp, timeoutMs: number): Promise<string> => new Promise((resolvePromise, reject) => {
    const check = (): void => {
      if (pattern.test(read())) { cleanup(); resolvePromise(read()); }
    };
    const timer = setTimeout(() => { cleanup(); reject(new Error(`timed out waiting for ${pattern} from tctl ${args.join(' ')}:\nstdout:\n${out}\nstderr:\n${err}`)); }, timeoutMs);
    const cleanup = (): void => { clearTimeout(timer); listeners.delete(check); };
    listeners.add(check);
    check();
  });
  return {
    process: child,
    stdout: () => out,
    stderr: () => err,
    waitForOutput: (pattern, timeoutMs = 20_000) => waitFor(() => out, pattern, timeoutMs),
    waitForStderr: (pattern, timeoutMs = 20_000) => waitFor(() => err, pattern, timeoutMs),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

export interface StartClusterOptions {
  nodes?: number;
  runtime?: 'process' | 'fake' | 'oci';
  /** More `tctl cluster up` arguments (e.g. '--controllers-arg=--node-monitor-grace-period=2s'). */
  args?: readonly string[];
}

/** `tctl cluster up --random-ports` in a fresh temp $TUGBOAT_HOME. */
export async function startLocalCluster(opts: StartClusterOptions = {}): Promise<LocalClusterHandle> {
  const home = mkdtempSync(join(tmpdir(), 'tugboat-home-'));
  const env = tctlEnv(home);
  const upArgs = ['cluster', 'up', '--random-ports', '--nodes', String(opts.nodes ?? 0), ...(opts.runtime ? ['--runtime', opts.runtime] : []), ...(opts.args ?? [])];
  const up = await runTctl(upArgs, env, undefined, 180_000);
  let destroyed = false;
  const destroy = async (): Promise<void> => {
    if (destroyed) return;
    destroyed = true;
    // TUGBOAT_KEEP_LOGS=DIR keeps the components' logs of a run (benchmarks, debugging);
    // taken before `down --purge` removes them.
    const keep = process.env['TUGBOAT_KEEP_LOGS'];
    if (keep && existsSync(join(home, 'logs'))) cpSync(join(home, 'logs'), join(keep, basename(home)), { recursive: true });
    await runTctl(['cluster', 'down', '--purge'], env, undefined, 120_000).catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  };
  if (up.code !== 0) {
    const logs = readLogs(home);
    await destroy();
    throw new Error(`tctl cluster up failed (exit ${up.code}):\n${up.stdout}\n${up.stderr}\n${logs}`);
  }
  const state = JSON.parse(readFileSync(join(home, 'cluster.json'), 'utf8')) as { components: ClusterComponent[] };
  const api = state.components.find((c) => c.name === 'apiserver');
  const etcd = state.components.find((c) => c.name === 'etcd');
  if (!api || !etcd) throw new Error('cluster.json lacks etcd or apiserver');
  const etcdEndpoint = `https://${etcd.addresses['client']}`;
  const pkiDir = join(home, 'pki');
  const credentials = loadKubeconfig(join(pkiDir, 'admin.kubeconfig')).credentials;
  const server = api.addresses['grpc']!;
  // `--apiservers N`: the client fails over between all of them, as the kubeconfigs list them.
  const apiServers = state.components.filter((c) => c.role === 'apiserver').map((c) => c.addresses['grpc']!);
  return {
    home,
    pkiDir,
    credentials,
    env,
    server,
    apiServers,
    etcdEndpoint,
    upOutput: up.stdout,
    tctl: (args, input, timeoutMs) => runTctl(args, env, input, timeoutMs),
    spawnTctl: (args) => spawnTctl(args, env),
    async components() {
      const res = await runTctl(['cluster', 'status', '-o', 'json'], env);
      return (JSON.parse(res.stdout) as { components: ClusterComponent[] }).components;
    },
    etcdctl(...args: string[]) {
      const tls = ['--cacert', join(pkiDir, 'etcd', 'ca.crt'), '--cert', join(pkiDir, 'apiserver-etcd-client.crt'), '--key', join(pkiDir, 'apiserver-etcd-client.key')];
      const res = spawnSync('etcdctl', ['--endpoints', etcdEndpoint, ...tls, ...args], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
      if (res.status !== 0) throw new Error(`etcdctl ${args.join(' ')} failed: ${res.stderr}`);
      return res.stdout;
    },
    client: () => new TugboatClient(apiServers, { credentials, timeoutMs: 30_000 }),
    destroy,
  };
}

function readLogs(home: string): string {
  const dir = join(home, 'logs');
  if (!existsSync(dir)) return '';
  const out: string[] = [];
  for (const name of ['etcd', 'apiserver', 'scheduler', 'controllers', 'node-1']) {
    const f = join(dir, `${name}.log`);
    if (existsSync(f)) out.push(`--- ${name}.log (tail)\n${readFileSync(f, 'utf8').split('\n').slice(-20).join('\n')}`);
  }
  return out.join('\n');
}
