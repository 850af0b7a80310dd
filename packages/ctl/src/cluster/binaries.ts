// Finding the programs the local cluster runs: etcd and Prometheus from the system (Debian's
// etcd-server and prometheus),
// Tugboat's own components from the workspace — node_modules/.bin/<name> in this directory
// or any parent, or packages/*/bin/<name>.js — or $TUGBOAT_BIN_DIR when set.
import { accessSync, constants, existsSync, readdirSync, realpathSync } from 'node:fs';
import { basename, delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Env } from '../config.js';
import { CliError } from '../errors.js';

export type ComponentBinary = 'tugboat-apiserver' | 'tugboat-scheduler' | 'tugboat-controllers' | 'tugboat-dns' | 'tugboat-agent';

/** How to run a program: the executable and the arguments that come before its own. */
export interface Program {
  command: string;
  prefix: string[];
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * A bin script is usable when what it imports is built: `<pkg>/bin/<name>.js` needs
 * `<pkg>/dist/main.js` (a package whose code is not written or not built yet is skipped).
 */
function usable(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const real = realpathSync(path);
  if (basename(dirname(real)) === 'bin' && real.endsWith('.js')) {
    return existsSync(join(dirname(dirname(real)), 'dist', 'main.js')) ? real : undefined;
  }
  return real;
}

function asProgram(path: string): Program {
  // Run JavaScript with this very node, whatever PATH says.
  return path.endsWith('.js') ? { command: process.execPath, prefix: [path] } : { command: path, prefix: [] };
}

export function findComponent(name: ComponentBinary, env: Env, from = dirname(fileURLToPath(import.meta.url))): Program | undefined {
  const override = env['TUGBOAT_BIN_DIR'];
  if (override) {
    for (const candidate of [join(override, name), join(override, `${name}.js`)]) {
      const p = usable(candidate);
      if (p) return asProgram(p);
    }
    return undefined;
  }
  for (let dir = from; ; dir = dirname(dir)) {
    const bin = usable(join(dir, 'node_modules', '.bin', name));
    if (bin) return asProgram(bin);
    const packages = join(dir, 'packages');
    if (existsSync(packages)) {
      for (const pkg of readdirSync(packages)) {
        const p = usable(join(packages, pkg, 'bin', `${name}.js`));
        if (p) return asProgram(p);
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** A system program from $<variable>, else PATH, else /usr/bin. */
function findSystemProgram(name: string, variable: string, debianPackage: string, env: Env, fallbackDirs: readonly string[]): string {
  const explicit = env[variable];
  if (explicit) {
    if (executable(explicit)) return explicit;
    throw new CliError(`${name} not found at $${variable} (${explicit})`);
  }
  // Also where Debian puts it, for a PATH trimmed by sudo or cron.
  const dirs = [...(env['PATH'] ?? '').split(delimiter), ...fallbackDirs];
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, name);
    if (executable(p)) return p;
  }
  throw new CliError(`${name} is not installed: install Debian's ${debianPackage} package (as root: apt-get install ${debianPackage})`);
}

const SYSTEM_DIRS = ['/usr/bin', '/usr/local/bin'];

/** etcd from $TUGBOAT_ETCD, else PATH, else /usr/bin. */
export function findEtcd(env: Env, fallbackDirs: readonly string[] = SYSTEM_DIRS): string {
  return findSystemProgram('etcd', 'TUGBOAT_ETCD', 'etcd-server', env, fallbackDirs);
}

/** prometheus from $TUGBOAT_PROMETHEUS, else PATH, else /usr/bin. */
export function findPrometheus(env: Env, fallbackDirs: readonly string[] = SYSTEM_DIRS): string {
  return findSystemProgram('prometheus', 'TUGBOAT_PROMETHEUS', 'prometheus', env, fallbackDirs);
}
