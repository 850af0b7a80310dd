// Starting and stopping the cluster's background processes. Components run detached (their
// own process group, output to a log file) so they outlive tctl; liveness is checked with
// the pid and the process's command line, so a recycled pid is not taken for ours.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, readlinkSync, statSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { sleep } from '@tugboat/api';

export interface Started {
  pid: number;
  child: ChildProcess;
  /** Size of the log before this start: where this run's output begins. */
  logOffset: number;
}

export function spawnDetached(command: string, args: readonly string[], logFile: string, env: NodeJS.ProcessEnv, cwd: string): Started {
  const fd = openSync(logFile, 'a');
  let logOffset = 0;
  try {
    logOffset = statSync(logFile).size;
    const line = `--- ${new Date().toISOString()} tctl starts: ${[command, ...args].join(' ')}\n`;
    writeSync(fd, line);
    logOffset += Buffer.byteLength(line);
    const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd], env, cwd });
    child.unref();
    // An exec failure (ENOENT) arrives as an 'error' event; keep it from crashing tctl.
    child.on('error', () => undefined);
    if (child.pid === undefined) throw new Error(`cannot start ${command}`);
    return { pid: child.pid, child, logOffset };
  } finally {
    closeSync(fd);
  }
}

/** Whether `pid` is alive (not a zombie) and still runs `command`/`args`. */
export function isRunning(pid: number, command: string, args: readonly string[]): boolean {
  if (!pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch {
    // EPERM: it exists but is someone else's — not ours either way.
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    // The exact arguments we started it with: another cluster's components run the same
    // programs with other data dirs and ports.
    return basename(cmdline[0] ?? '') === basename(command) && args.every((a, i) => cmdline[i + 1] === a);
  } catch {
    // No /proc (not Linux): trust kill(0).
    return true;
  }
}


export async function waitForExit(pid: number, command: string, args: readonly string[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(pid, command, args)) return true;
    await sleep(50);
  }
  return !isRunning(pid, command, args);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  // The whole group first (the component and anything it forked), then the pid itself.
  try { process.kill(-pid, sig); } catch { /* not a group leader, or gone */ }
  try { process.kill(pid, sig); } catch { /* gone */ }
}

/** SIGTERM, then SIGKILL after `graceMs`. Resolves to how it ended. */
export async function stopProcess(pid: number, command: string, args: readonly string[], graceMs = 5000): Promise<'stopped' | 'killed' | 'not running'> {
  if (!isRunning(pid, command, args)) return 'not running';
  signal(pid, 'SIGTERM');
  if (await waitForExit(pid, command, args, graceMs)) return 'stopped';
  signal(pid, 'SIGKILL');
  await waitForExit(pid, command, args, 5000);
  return 'killed';
}

/** SIGKILL at once, as a machine crash would. */
export async function killProcess(pid: number, command: string, args: readonly string[]): Promise<boolean> {
  if (!isRunning(pid, command, args)) return false;
  signal(pid, 'SIGKILL');
  await waitForExit(pid, command, args, 5000);
  return true;
}

/** Runs a short command to completion (e.g. `tugboat-agent kill-containers`). */
export function runToCompletion(command: string, args: readonly string[], env: NodeJS.ProcessEnv): { ok: boolean; output: string } {
  const res = spawnSync(command, args, { env, encoding: 'utf8', timeout: 30_000 });
  return { ok: res.status === 0, output: `${res.stdout ?? ''}${res.stderr ?? ''}`.trim() };
}

/** What a component wrote to its log since `offset`. */
export function readLogSince(logFile: string, offset: number): string {
  try {
    return readFileSync(logFile).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}

/** The last non-empty lines of a log, for an error message. */
export function logTail(logFile: string, offset: number, lines = 3): string {
  return readLogSince(logFile, offset).split('\n').map((l) => l.trim()).filter(Boolean).slice(-lines).join(' | ');
}

/** Bind failures look like this in Node, etcd (Go) and gRPC logs. */
export function isAddressInUse(log: string): boolean {
  return /EADDRINUSE|address already in use|No address added out of total/i.test(log);
}

/**
 * The TCP ports `pid` itself has listening sockets on, read from /proc (its own network
 * namespace's table, so a --hosts agent is seen in its namespace). A health answer on a port
 * counts as this process's only when the port is here: another cluster's component on the
 * same port answers just as well (issue 12). Undefined where /proc cannot tell (not Linux).
 */
export function listeningPorts(pid: number): Set<number> | undefined {
  let inodes: Set<string>;
  try {
    inodes = new Set(readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        return m ? [m[1]!] : [];
      } catch {
        return [];
      }
    }));
  } catch {
    return existsSync('/proc/self/fd') ? new Set() : undefined;
  }
  const ports = new Set<number>();
  for (const table of ['tcp', 'tcp6']) {
    let text = '';
    try { text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A') continue; // 0A: LISTEN
      if (inodes.has(f[9]!)) ports.add(parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}
