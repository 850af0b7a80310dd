// The one way the agent runs a command and waits for it: mount(8), ip(8), nft, runc/crun,
// CNI plugins, mknod. Node has no mount(2), netlink or mknod(2), so these are processes;
// every caller wants the same thing — exit code and output, optionally stdin, an
// environment and a deadline — and the same care with a broken stdin pipe and with
// processes that outlive the command and hold its output open.
import { spawn } from 'node:child_process';

export interface RunOptions {
  cwd?: string;
  /** Written to stdin, then closed; without it stdin is /dev/null. */
  input?: string | Buffer;
  /** The whole environment (the agent's own when not given). */
  env?: NodeJS.ProcessEnv;
  /** SIGKILL after this long; the result's code is then 137. */
  timeoutMs?: number;
  /** Called when the deadline passes (to kill what the command started elsewhere). */
  onTimeout?: () => void;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  stdoutBuf: Buffer;
  stderrBuf: Buffer;
}

const SIGKILL_CODE = 128 + 9;

/** Runs `cmd args…`; resolves with its exit code and output, rejects only when it cannot start. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      ...(opts.env ? { env: opts.env } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout?.on('data', (d: Buffer) => out.push(d));
    p.stderr?.on('data', (d: Buffer) => err.push(d));
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let abandon: NodeJS.Timeout | undefined;
    const finish = (code: number): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(abandon);
      const stdoutBuf = Buffer.concat(out);
      const stderrBuf = Buffer.concat(err);
      resolve({ code, stdout: stdoutBuf.toString(), stderr: stderrBuf.toString(), stdoutBuf, stderrBuf });
    };
    if (opts.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        p.kill('SIGKILL');
        opts.onTimeout?.();
        // Processes the command left behind may hold its output open: stop waiting for them.
        abandon = setTimeout(() => { p.stdout?.destroy(); p.stderr?.destroy(); finish(SIGKILL_CODE); }, 1_000);
      }, opts.timeoutMs);
    }
    p.on('error', (e) => {
      clearTimeout(timer);
      clearTimeout(abandon);
      if (!settled) { settled = true; reject(e); }
    });
    p.on('close', (code, signal) => finish(code ?? (signal ? SIGKILL_CODE : 1)));
    if (opts.input !== undefined) {
      // A command that exits before reading all its input says why on stderr; EPIPE adds nothing.
      p.stdin?.on('error', () => undefined);
      p.stdin?.end(opts.input);
    }
  });
}
