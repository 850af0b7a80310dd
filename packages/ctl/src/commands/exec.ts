// `tctl exec POD [-c CONTAINER] [-i] -- COMMAND [ARG…]`: runs a command in a pod's container,
// through the API server to the node's agent (tctl never talks to nodes). Non-interactive,
// as `kubectl exec` without -t: the command's output is printed once it has ended, stdout and
// stderr to ours, and tctl exits with the command's exit code. With -i our stdin (read to
// EOF) is the command's stdin.
import { durationArg, type FlagDefs } from '../args.js';
import { defineCommand } from '../command.js';
import type { Context } from '../context.js';
import { CliError, UsageError } from '../errors.js';

const USAGE = 'tctl exec POD [-c CONTAINER] [-i] -- COMMAND [ARG...]';

export const EXEC_FLAGS = {
  container: { type: 'string', short: 'c', value: 'NAME', description: 'the container (default: the only one)' },
  stdin: { type: 'boolean', short: 'i', description: 'pass tctl\'s stdin (read to its end) to the command' },
  tty: { type: 'boolean', short: 't', hidden: true, description: 'not supported (there is no terminal)' },
  timeout: { type: 'string', value: 'DURATION', description: 'kill the command after this long (e.g. 30s); default: no limit' },
} as const satisfies FlagDefs;

export interface ExecArgs {
  pod: string;
  command: string[];
  container?: string;
  stdin: boolean;
  timeoutSeconds?: number;
}

/**
 * What to run where, from the words after `exec` (flags already taken out by the parser;
 * everything after `--` is the command, flags included). Pure.
 */
export function execArgs(positionals: readonly string[], flags: { container?: string | undefined; stdin: boolean; tty: boolean; timeout?: string | undefined }): ExecArgs {
  if (flags.tty) throw new UsageError('a terminal (-t) is not supported: tctl exec runs the command without one; use -i to give it stdin');
  const [target, ...command] = positionals;
  if (!target) throw new UsageError(`a pod name is required (usage: ${USAGE})`);
  const slash = target.indexOf('/');
  if (slash >= 0 && !['pod', 'pods', 'po'].includes(target.slice(0, slash))) {
    throw new UsageError(`tctl exec runs in a pod, not a ${target.slice(0, slash)}: give POD or pod/NAME`);
  }
  const pod = slash >= 0 ? target.slice(slash + 1) : target;
  if (!pod) throw new UsageError(`a pod name is required (usage: ${USAGE})`);
  if (command.length === 0) throw new UsageError(`you must specify at least one command for the container (usage: ${USAGE})`);
  let timeoutSeconds: number | undefined;
  if (flags.timeout !== undefined) {
    const ms = durationArg(flags.timeout);
    if (!(ms > 0)) throw new UsageError(`--timeout must be more than 0, got ${JSON.stringify(flags.timeout)}`);
    timeoutSeconds = Math.ceil(ms / 1000);
  }
  return {
    pod,
    command,
    stdin: flags.stdin,
    ...(flags.container ? { container: flags.container } : {}),
    ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
  };
}

async function readStdin(ctx: Context): Promise<Buffer> {
  return ctx.io.bytes ? ctx.io.bytes.readStdin() : Buffer.from(await ctx.io.readStdin());
}

function write(ctx: Context, stream: 'out' | 'err', data: Buffer): void {
  if (data.length === 0) return;
  if (ctx.io.bytes) ctx.io.bytes[stream](data);
  else ctx.io[stream](data.toString('utf8'));
}

export const execCommand = defineCommand({
  name: 'exec',
  summary: 'Run a command in a container of a pod',
  usage: USAGE,
  details: 'The command runs without a terminal; its output is printed when it ends, and tctl exits with its exit code (127: not found, 126: not executable).',
  flags: EXEC_FLAGS,
  async run(ctx, { flags, positionals }) {
    const args = execArgs(positionals, flags);
    const stdin = args.stdin ? await readStdin(ctx) : undefined;
    try {
      const res = await ctx.client().exec(ctx.namespace, args.pod, args.command, {
        ...(args.container ? { container: args.container } : {}),
        ...(stdin ? { stdin } : {}),
        ...(args.timeoutSeconds !== undefined ? { timeoutSeconds: args.timeoutSeconds } : {}),
        signal: ctx.signal,
      });
      write(ctx, 'out', res.stdout);
      write(ctx, 'err', res.stderr);
      // kubectl's line, so a script's log says why tctl failed when the command printed nothing.
      if (res.exitCode !== 0) write(ctx, 'err', Buffer.from(`command terminated with exit code ${res.exitCode}\n`));
      return res.exitCode;
    } catch (e) {
      if (ctx.signal.aborted) throw new CliError('interrupted; the command may still be running in the container', 130);
      throw e;
    }
  },
});
