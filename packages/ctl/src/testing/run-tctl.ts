// tctl run in this process for tests: argv in, exit code and what it printed out.
import { runCli } from '../cli.js';
import type { Io } from '../context.js';

export interface TctlRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs tctl with `env` (TUGBOAT_HOME and the like) and `stdin`, from `cwd`. */
export async function runTctl(argv: readonly string[], env: Record<string, string | undefined>, opts: { cwd?: string; stdin?: string } = {}): Promise<TctlRun> {
  const o = { stdout: '', stderr: '' };
  const io: Io = {
    out: (s) => { o.stdout += s; },
    err: (s) => { o.stderr += s; },
    readStdin: async () => opts.stdin ?? '',
    env,
    cwd: opts.cwd ?? env['TUGBOAT_HOME'] ?? process.cwd(),
    signal: new AbortController().signal,
  };
  return { code: await runCli(argv, io), ...o };
}
