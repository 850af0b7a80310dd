// The shape of a tctl command: its flags, help, and what it does. Groups (`cluster`,
// `config`, `rollout`) dispatch to sub-commands the same way the top level does.
import { formatHelp, parseArgs, parseDuration, type FlagDefs, type Parsed } from './args.js';
import { Context, type Io } from './context.js';
import { UsageError } from './errors.js';

/** Flags every command accepts, as kubectl's global flags. */
export const GLOBAL_FLAGS = {
  server: { type: 'string', short: 's', value: 'HOST:PORT', description: 'API server address (else $TCTL_SERVER, else $TUGBOAT_HOME/config.json)' },
  namespace: { type: 'string', short: 'n', value: 'NS', description: 'namespace (default "default")' },
  'request-timeout': { type: 'string', value: 'DURATION', description: 'give up on a single request after this long (e.g. 30s); 0 waits forever', default: '60s' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const satisfies FlagDefs;

export type GlobalFlags = typeof GLOBAL_FLAGS;

export interface Command {
  readonly name: string;
  readonly aliases?: readonly string[];
  readonly summary: string;
  readonly hidden?: boolean;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  main(io: Io, argv: readonly string[], path: string): Promise<number>;
}

export interface CommandSpec<D extends FlagDefs> {
  name: string;
  aliases?: readonly string[];
  summary: string;
  usage: string;
  details?: string;
  hidden?: boolean;
  flags: D;
  run(ctx: Context, args: Parsed<D & GlobalFlags>): Promise<number | void>;
}

export function defineCommand<D extends FlagDefs>(spec: CommandSpec<D>): Command {
  return {
    name: spec.name,
    ...(spec.aliases ? { aliases: spec.aliases } : {}),
    summary: spec.summary,
    ...(spec.hidden ? { hidden: spec.hidden } : {}),
    async main(io, argv, path) {
      const defs = { ...GLOBAL_FLAGS, ...spec.flags } as D & GlobalFlags;
      const parsed = parseArgs(argv, defs, path);
      if (parsed.flags.help) {
        io.out(formatHelp(spec.usage, spec.summary, { ...spec.flags, ...GLOBAL_FLAGS }, spec.details));
        return 0;
      }
      const timeout = parsed.flags['request-timeout'];
      const ctx = new Context(io, {
        server: parsed.flags.server,
        namespace: parsed.flags.namespace,
        requestTimeoutMs: timeout ? parseDuration(timeout) : undefined,
      });
      try {
        return (await spec.run(ctx, parsed)) ?? 0;
      } finally {
        ctx.close();
      }
    },
  };
}

/** A command made of sub-commands: `tctl cluster up`, `tctl config view`. */
export function defineGroup(name: string, summary: string, commands: readonly Command[], opts: { hidden?: boolean } = {}): Command {
  return {
    name,
    summary,
    ...(opts.hidden ? { hidden: true } : {}),
    async main(io, argv, path) {
      const { name: sub, rest } = splitCommand(argv);
      if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
        io.out(groupHelp(`${path}`, summary, commands));
        return sub === undefined ? 2 : 0;
      }
      const cmd = findCommand(commands, sub);
      if (!cmd) throw new UsageError(`unknown command "${sub}" for "${path}" (see '${path} --help')`);
      return cmd.main(io, rest, `${path} ${cmd.name}`);
    },
  };
}

export function findCommand(commands: readonly Command[], name: string): Command | undefined {
  return commands.find((c) => c.name === name || c.aliases?.includes(name));
}

export function groupHelp(path: string, summary: string, commands: readonly Command[]): string {
  const visible = commands.filter((c) => !c.hidden);
  const w = Math.max(...visible.map((c) => c.name.length));
  return `${summary}\n\nUsage:\n  ${path} COMMAND [flags]\n\nCommands:\n${visible.map((c) => `  ${c.name.padEnd(w)}   ${c.summary}`).join('\n')}\n\nUse "${path} COMMAND --help" for more about a command.\n`;
}

const VALUE_FLAGS = new Set(['--server', '-s', '--namespace', '-n', '--request-timeout']);

/**
 * The command word and everything else: global flags may come before the command
 * (`tctl -n team get pods`, as kubectl allows); they are passed on after it.
 */
export function splitCommand(argv: readonly string[]): { name: string | undefined; rest: string[] } {
  const leading: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const a = argv[i]!;
    if (!a.startsWith('-') || a === '-' || a === '--help' || a === '-h') break;
    leading.push(a);
    if (VALUE_FLAGS.has(a) && i + 1 < argv.length) {
      leading.push(argv[i + 1]!);
      i += 2;
    } else {
      i++;
    }
  }
  return { name: argv[i], rest: [...leading, ...argv.slice(i + 1)] };
}
