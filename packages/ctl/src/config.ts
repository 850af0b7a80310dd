// Where tctl finds its API server: `--server`, else $TCTL_SERVER, else the config file that
// `tctl cluster up` writes ($TUGBOAT_HOME/config.json, TUGBOAT_HOME defaulting to ~/.tugboat),
// else the local cluster's default address.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeJsonAtomic } from '@tugboat/api/files';
import { CliError } from './errors.js';

export const DEFAULT_SERVER = '127.0.0.1:6443';

export interface TctlConfig {
  /** The API server's gRPC address, HOST:PORT. */
  server?: string;
  /** The API server's HTTP address (metrics, healthz), for information. */
  httpServer?: string;
  /** Default namespace for commands given no -n. */
  namespace?: string;
  /** The kubeconfig with tctl's credentials (CA, client certificate); `cluster up` points it at the admin's. */
  kubeconfig?: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

export function tugboatHome(env: Env): string {
  return env['TUGBOAT_HOME'] || join(homedir(), '.tugboat');
}

export function configPath(env: Env): string {
  return join(tugboatHome(env), 'config.json');
}

export function readConfig(env: Env): TctlConfig {
  const path = configPath(env);
  if (!existsSync(path)) return {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    const c = parsed as Record<string, unknown>;
    const out: TctlConfig = {};
    if (typeof c['server'] === 'string') out.server = c['server'];
    if (typeof c['httpServer'] === 'string') out.httpServer = c['httpServer'];
    if (typeof c['namespace'] === 'string') out.namespace = c['namespace'];
    if (typeof c['kubeconfig'] === 'string') out.kubeconfig = c['kubeconfig'];
    return out;
  } catch (e) {
    throw new CliError(`cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function writeConfig(env: Env, config: TctlConfig): void {
  writeStateFile(configPath(env), config);
}

export type ServerSource = 'flag' | 'env' | 'config' | 'default';

export function resolveServer(flag: string | undefined, env: Env): { server: string; source: ServerSource } {
  if (flag) return { server: stripScheme(flag), source: 'flag' };
  const fromEnv = env['TCTL_SERVER'];
  if (fromEnv) return { server: stripScheme(fromEnv), source: 'env' };
  const fromConfig = readConfig(env).server;
  if (fromConfig) return { server: stripScheme(fromConfig), source: 'config' };
  return { server: DEFAULT_SERVER, source: 'default' };
}

/** Users paste URLs; gRPC wants HOST:PORT. */
export function stripScheme(address: string): string {
  // A list (`--server A,B`: several API servers, see @tugboat/api failover.ts) item by item.
  return address.split(',').map((a) => a.trim().replace(/^(grpc|https?):\/\//, '').replace(/\/+$/, '')).join(',');
}

/** Write to a temp file and rename, so a reader never sees half a file; the directory is made. */
export function writeStateFile(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeJsonAtomic(path, value);
}
