// The top level: finds the command, runs it, and turns whatever it throws into kubectl's
// one line on stderr and an exit code. No stack traces for user errors (TCTL_DEBUG=1 shows them).
import { findCommand, groupHelp, splitCommand, type Command } from './command.js';
import type { Io } from './context.js';
import { COMMANDS } from './commands/index.js';
import { SilentExit, UsageError, errorLine, exitCodeOf } from './errors.js';
import { resolveServer } from './config.js';
import { clientVersion } from './commands/version.js';

const SUMMARY = 'tctl controls a Tugboat cluster (kubectl\'s conventions).';

/** The --server value wherever it appears, so an error can name the address even if parsing failed. */
function serverFrom(argv: readonly string[], io: Io): string {
  let flag: string | undefined;
  argv.forEach((a, i) => {
    if (a === '--server' || a === '-s') flag = argv[i + 1];
    else if (a.startsWith('--server=')) flag = a.slice('--server='.length);
  });
  try {
    return resolveServer(flag, io.env).server;
  } catch {
    return flag ?? '127.0.0.1:6443';
  }
}

export async function runCli(argv: readonly string[], io: Io, commands: readonly Command[] = COMMANDS): Promise<number> {
  if (argv[0] === '--version') {
    io.out(`tctl ${clientVersion()}\n`);
    return 0;
  }
  try {
    const { name, rest } = splitCommand(argv);
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      io.out(groupHelp('tctl', SUMMARY, commands));
      return name === undefined ? 2 : 0;
    }
    const cmd = findCommand(commands, name);
    if (!cmd) throw new UsageError(`unknown command "${name}" for "tctl" (see 'tctl --help')`);
    return await cmd.main(io, rest, `tctl ${cmd.name}`);
  } catch (e) {
    if (e instanceof SilentExit) return e.exitCode;
    io.err(`error: ${errorLine(e, serverFrom(argv, io))}\n`);
    if (io.env['TCTL_DEBUG'] && e instanceof Error && e.stack) io.err(`${e.stack}\n`);
    return exitCodeOf(e);
  }
}
