// The shape of a tctl command: its flags, help, and what it does. Groups (`cluster`,
// `config`, `rollout`) dispatch to sub-commands the same way the top level does.
import { ApiError } from '@tugboat/api';
import { formatHelp, parseArgs, durationArg, type FlagDefs, type Parsed } from './args.js';
import { Context, type Io } from './context.js';
import { CliError, UsageError } from './errors.js';

/** Flags every command accepts, as kubectl's global flags (kubectl's names). */
export const GLOBAL_FLAGS = {
  server: { type: 'string', short: 's', value: 'HOST:PORT', description: 'API server address (else $TCTL_SERVER, the kubeconfig\'s, $TUGBOAT_HOME/config.json\'s)' },
  kubeconfig: { type: 'string', value: 'FILE', description: 'kubeconfig with the server, CA and credentials (else $TUGBOAT_KUBECONFIG, else config.json\'s, else in-cluster in a pod)' },
  context: { type: 'string', value: 'NAME', description: 'the kubeconfig context to use (default: its current-context)' },
  token: { type: 'string', value: 'TOKEN', description: 'bearer token; replaces the kubeconfig user\'s credentials' },
  as: { type: 'string', value: 'USER', description: 'impersonate this user for the request' },
  'as-group': { type: 'strings', value: 'GROUP', description: 'impersonate this group (repeatable; needs --as)' },
  'as-uid': { type: 'string', value: 'UID', description: 'impersonate this UID (needs --as)' },
  'certificate-authority': { type: 'string', value: 'FILE', description: 'CA certificate that signs the API server\'s' },
  'client-certificate': { type: 'string', value: 'FILE', description: 'client certificate for TLS (with --client-key)' },
  'client-key': { type: 'string', value: 'FILE', description: 'key of --client-certificate' },
  namespace: { type: 'string', short: 'n', value: 'NS', description: 'namespace (default: config.json\'s, the kubeconfig\'s, else "default")' },
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
      const f = parsed.flags;
      const ctx = new Context(io, {
        server: f.server,
        namespace: f.namespace,
        requestTimeoutMs: timeout ? durationArg(timeout) : undefined,
        kubeconfig: f.kubeconfig,
        context: f.context,
        token: f.token,
        as: f.as,
        asGroups: f['as-group'],
        asUid: f['as-uid'],
        certificateAuthority: f['certificate-authority'],
        clientCertificate: f['client-certificate'],
        clientKey: f['client-key'],
      });
      try {
        return (await spec.run(ctx, parsed)) ?? 0;
      } catch (e) {
        // Worded here, where the connection (address, CA file) is known; cli.ts prints it.
        if (e instanceof ApiError) throw new CliError(ctx.errorLine(e), 1, { cause: e });
        throw e;
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
      const { name: sub, rest } = splitCommand(argv, path);
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

const GLOBAL_SHORT = new Map<string, string>(Object.entries(GLOBAL_FLAGS).flatMap(([name, def]) => ('short' in def ? [[def.short, name] as const] : [])));

/**
 * The global flags before the first word, and that word's index. A leading flag that is not
 * global is an error (`strict`, as kubectl has it) or ends the scan (commands with flags of
 * their own before a sub-command word, such as `create -f`).
 */
export function scanLeadingFlags(argv: readonly string[], path = 'tctl', strict = true): { leading: string[]; index: number } {
  const leading: string[] = [];
  let i = 0;
  const unknown = (message: string): { leading: string[]; index: number } => {
    if (strict) throw new UsageError(`${message} (see '${path} --help')`);
    return { leading, index: i };
  };
  while (i < argv.length) {
    const a = argv[i]!;
    if (!a.startsWith('-') || a === '-' || a === '--' || a === '--help' || a === '-h') break;
    let name: string | undefined;
    let inline: boolean;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = a.slice(2, eq < 0 ? undefined : eq);
      inline = eq >= 0;
      if (!(name in GLOBAL_FLAGS)) return unknown(`unknown flag: --${name}`);
    } else {
      name = GLOBAL_SHORT.get(a[1]!);
      inline = a.length > 2;
      if (!name) return unknown(`unknown shorthand flag: '${a[1]!}' in ${a}`);
    }
    const def = GLOBAL_FLAGS[name as keyof GlobalFlags];
    leading.push(a);
    i++;
    // The value is the next word unless given inline (--flag=v, -nteam); a missing one is the parser's to report.
    if (def.type !== 'boolean' && !inline && i < argv.length) leading.push(argv[i++]!);
  }
  return { leading, index: i };
}

/**
 * The command word and everything else: global flags may come before the command
 * (`tctl -n team get pods`, as kubectl allows); they are passed on after it.
 */
export function splitCommand(argv: readonly string[], path = 'tctl'): { name: string | undefined; rest: string[] } {
  const { leading, index } = scanLeadingFlags(argv, path);
  return { name: argv[index], rest: [...leading, ...argv.slice(index + 1)] };
}
