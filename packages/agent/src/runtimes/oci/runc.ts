// The OCI runtime command line (runc or crun: the same verbs and flags) and conmon, the
// monitor CRI-O uses: conmon runs `<runtime> create`, holds the container's stdio, writes
// its output to a CRI log file and its exit code to a file, and outlives the agent.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Readable } from 'node:stream';
import { killProcessGroupOf } from '../../system/proc.js';
import { run, type RunResult } from '../../system/subprocess.js';

export interface RuncState {
  id: string;
  pid: number;
  /** creating | created | running | paused | stopped */
  status: string;
  bundle: string;
  created: string;
}

export class OciCommandError extends Error {
  override readonly name = 'OciCommandError';
  constructor(message: string, readonly stderr = '') {
    super(message);
  }
}

/** The first executable named `names` on PATH or in the usual sbin/bin/libexec places. */
export function findExecutable(names: readonly string[], extraDirs: readonly string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin', ...extraDirs];
  for (const name of names) {
    for (const dir of dirs) {
      if (!dir) continue;
      const p = join(dir, name);
      try {
        accessSync(p, constants.X_OK);
        return p;
      } catch {
        // next
      }
    }
  }
  return undefined;
}

export interface OciTooling {
  /** runc or crun. */
  runtime: string;
  conmon: string;
}

/**
 * What the oci runtime needs on this machine: root, runc or crun, and conmon. The reason
 * says what is missing (the agent prints it when it falls back to the process runtime).
 */
export function detectOciTooling(preferred?: string): { ok: true; tooling: OciTooling } | { ok: false; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: 'containers need Linux' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'the oci runtime needs root (rootless containers are not supported)' };
  const runtime = preferred ? findExecutable([preferred]) : findExecutable(['runc', 'crun']);
  if (!runtime) return { ok: false, reason: preferred ? `${preferred} is not installed` : 'neither runc nor crun is installed' };
  const conmon = findExecutable(['conmon'], ['/usr/libexec/podman', '/usr/libexec/crio', '/usr/lib/podman']);
  if (!conmon) return { ok: false, reason: 'conmon is not installed' };
  return { ok: true, tooling: { runtime, conmon } };
}

export function runtimeVersion(runtime: string): string {
  const res = spawnSync(runtime, ['--version'], { encoding: 'utf8' });
  const m = /version\s+(\S+)/.exec(res.stdout ?? '');
  return m?.[1] ?? 'unknown';
}

/** runc/crun with a deadline; stdin is an empty pipe unless input is given (exec's stdin). */
function runCmd(cmd: string, args: readonly string[], timeoutMs = 30_000, input?: Buffer, onTimeout?: () => void): Promise<RunResult> {
  return run(cmd, args, { timeoutMs, input: input ?? Buffer.alloc(0), ...(onTimeout ? { onTimeout } : {}) });
}

/** runc/crun's error output, as one line: their JSON log lines or plain text. */
export function runtimeMessage(stderr: string): string {
  const msgs: string[] = [];
  for (const line of stderr.split('\n')) {
    const t = line.trim();
    if (!t) continue;
    const m = /msg="((?:[^"\\]|\\.)*)"/.exec(t);
    if (m) msgs.push(m[1]!.replace(/\\"/g, '"'));
    else {
      try {
        const j = JSON.parse(t) as { msg?: string };
        if (j.msg) msgs.push(j.msg);
        else msgs.push(t);
      } catch {
        msgs.push(t);
      }
    }
  }
  return msgs.join('; ');
}

/** The runc/crun CLI for one state root (`--root`). */
export class OciCli {
  constructor(readonly binary: string, readonly root: string) {}

  private args(...rest: string[]): string[] {
    return ['--root', this.root, ...rest];
  }

  async state(id: string): Promise<RuncState | undefined> {
    const res = await runCmd(this.binary, this.args('state', id));
    if (res.code !== 0) return undefined;
    try {
      return JSON.parse(res.stdout) as RuncState;
    } catch {
      return undefined;
    }
  }

  async list(): Promise<RuncState[]> {
    const res = await runCmd(this.binary, this.args('list', '--format', 'json'));
    if (res.code !== 0) return [];
    try {
      return (JSON.parse(res.stdout || '[]') as RuncState[] | null) ?? [];
    } catch {
      return [];
    }
  }

  async start(id: string): Promise<void> {
    const res = await runCmd(this.binary, this.args('start', id));
    if (res.code !== 0) throw new OciCommandError(runtimeMessage(res.stderr) || `${this.binary} start exited ${res.code}`, res.stderr);
  }

  /** Signals the container's init process (PID 1 of its namespace: its end ends them all). */
  async kill(id: string, signal: string): Promise<void> {
    const res = await runCmd(this.binary, this.args('kill', id, signal));
    if (res.code !== 0 && !/not running|does not exist|container not running|process already finished/i.test(res.stderr)) {
      throw new OciCommandError(runtimeMessage(res.stderr) || `${this.binary} kill exited ${res.code}`, res.stderr);
    }
  }

  async delete(id: string): Promise<void> {
    const res = await runCmd(this.binary, this.args('delete', '--force', id));
    if (res.code !== 0 && !/does not exist|not exist/i.test(res.stderr)) {
      throw new OciCommandError(runtimeMessage(res.stderr) || `${this.binary} delete exited ${res.code}`, res.stderr);
    }
  }

  /** Runs a process in the container (its spec's user, env, cwd and capabilities). */
  async exec(id: string, command: readonly string[], opts: { timeoutMs?: number; stdin?: Buffer } = {}): Promise<{ exitCode: number; stdout: Buffer; stderr: Buffer }> {
    // runc exec's own process is only a relay: killing it at the timeout leaves the command
    // running in the container. Its pid file says what to kill as well — with its process
    // group, as the process runtime's exec does, so what it started cannot hold the output open.
    const pidFile = join(tmpdir(), `tugboat-exec-${randomUUID()}.pid`);
    const killCommand = (): void => {
      readFile(pidFile, 'utf8').then((pid) => { const n = Number(pid.trim()); if (n > 0) killProcessGroupOf(n); }, () => undefined);
    };
    const res = await runCmd(this.binary, this.args('exec', '--pid-file', pidFile, id, ...command), opts.timeoutMs ?? 60_000, opts.stdin, killCommand)
      .finally(() => rm(pidFile, { force: true }));
    const exitCode = execExitCode(res.code, res.stderr);
    // The runtime's own failure is a log line (`time=… level=error msg="…"`): the message alone.
    const stderr = exitCode !== res.code ? Buffer.from(`${runtimeMessage(res.stderr)}\n`) : res.stderrBuf;
    return { exitCode, stdout: res.stdoutBuf, stderr };
  }
}

export interface ConmonOptions {
  conmon: string;
  cli: OciCli;
  id: string;
  bundle: string;
  /** The container's pid file (written by the runtime's create). */
  pidFile: string;
  conmonPidFile: string;
  /** conmon writes `<exitDir>/<id>` with the exit code. */
  exitDir: string;
  /** Gets `exit` and, after an OOM kill, `oom`. */
  persistDir: string;
  logPath: string;
  logSizeMax: number;
  socketDir: string;
  timeoutMs?: number;
}

/**
 * Starts conmon, which daemonizes and runs `<runtime> create`; resolves with the container's
 * pid once it is created (not yet started), as reported on conmon's sync pipe.
 */
export function conmonCreate(o: ConmonOptions): Promise<number> {
  const args = [
    '--api-version', '1',
    '-c', o.id, '-u', o.id, '-n', o.id,
    '-r', o.cli.binary,
    '--runtime-arg', `--root=${o.cli.root}`,
    '-b', o.bundle,
    '-p', o.pidFile,
    '-P', o.conmonPidFile,
    '--exit-dir', o.exitDir,
    '--persist-dir', o.persistDir,
    '-l', `k8s-file:${o.logPath}`,
    '--log-size-max', String(o.logSizeMax),
    '--socket-dir-path', o.socketDir,
    '--syslog=false',
    '--log-level', 'error',
  ];
  return new Promise((resolve, reject) => {
    // fd 3 is the sync pipe: conmon writes {"data": pid} or {"data": -1, "message": …}.
    const child = spawn(o.conmon, args, {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      env: { ...process.env, _OCI_SYNCPIPE: '3' },
      detached: true,
      cwd: o.bundle,
    });
    let stderr = '';
    let sync = '';
    let settled = false;
    const finish = (err: Error | undefined, pid?: number): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      (child.stdio[3] as Readable | null)?.destroy();
      child.stderr?.destroy();
      child.unref();
      if (err) reject(err);
      else resolve(pid!);
    };
    const timer = setTimeout(() => finish(new OciCommandError(`conmon did not report the container created within ${o.timeoutMs ?? 30_000} ms`)), o.timeoutMs ?? 30_000);
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    const pipe = child.stdio[3] as Readable | null;
    pipe?.on('data', (d: Buffer) => {
      sync += d.toString();
      const nl = sync.indexOf('\n');
      if (nl < 0) return;
      const line = sync.slice(0, nl);
      const parsed = parseSyncMessage(line);
      if (parsed.pid > 0) finish(undefined, parsed.pid);
      else finish(new OciCommandError(runtimeMessage(parsed.message ?? '') || parsed.message || `create failed (${line})`, parsed.message ?? ''));
    });
    pipe?.on('error', () => undefined);
    child.on('error', (e) => finish(new OciCommandError(`cannot run conmon: ${e.message}`)));
    child.on('exit', (code) => {
      // The first conmon process exits once it has daemonized; only a failure before that matters.
      if (code !== 0) finish(new OciCommandError(`conmon exited ${code}: ${stderr.trim()}`, stderr));
    });
    pipe?.on('end', () => {
      if (!settled) finish(new OciCommandError(`conmon closed its sync pipe without a result: ${stderr.trim() || 'no message'}`, stderr));
    });
  });
}

/** conmon's sync pipe JSON; older conmons do not escape the message, so be lenient. */
export function parseSyncMessage(line: string): { pid: number; message?: string } {
  try {
    const j = JSON.parse(line) as { data?: number; pid?: number; message?: string };
    return { pid: j.data ?? j.pid ?? -1, ...(j.message !== undefined ? { message: j.message } : {}) };
  } catch {
    const data = /"(?:data|pid)"\s*:\s*(-?\d+)/.exec(line);
    const msg = /"message"\s*:\s*"([\s\S]*)"\s*}\s*$/.exec(line);
    return { pid: data ? Number(data[1]) : -1, ...(msg ? { message: msg[1]! } : {}) };
  }
}

/**
 * Asks conmon to reopen the container's log file (after we renamed it for rotation), as
 * CRI-O's ReopenContainerLog does: message type 2 on the `ctl` FIFO in the bundle.
 */
export async function conmonReopenLog(bundle: string): Promise<boolean> {
  try {
    // O_NONBLOCK: fails at once (ENXIO) when conmon is gone instead of blocking.
    const fh = await open(join(bundle, 'ctl'), constants.O_WRONLY | constants.O_NONBLOCK);
    try {
      await fh.write('2 0 0\n');
    } finally {
      await fh.close();
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * The exit code of `runc|crun exec`. A command that could not be started at all makes the
 * runtime itself fail (255 from runc, 1 from crun) with its own message; callers expect a
 * shell's codes, as Docker and Kubernetes give them: 127 when the command is not found, 126
 * when it cannot be executed. Anything else, whatever the command printed, is the command's
 * own exit code. Pure.
 */
export function execExitCode(code: number, stderr: string): number {
  // runc: `exec failed: unable to start container process: exec: "x": executable file not
  // found in $PATH`; crun: "executable file `x` not found in $PATH: No such file or directory".
  const runtimeFailed = /unable to start container process|executable file `[^`]*` not found/.test(stderr);
  if (code === 0 || !runtimeFailed) return code;
  if (/not found|no such file or directory/i.test(stderr)) return 127;
  return 126;
}
