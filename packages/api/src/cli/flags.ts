// The components' command lines: one parser for tugboat-apiserver, -scheduler, -controllers,
// -agent and -dns, so a flag is written and refused the same way by each of them.
//
// Each component declares its flags in one table (kind, default, help); parseCommandLine turns argv
// into values typed from that table, and formatFlagUsage prints the table for --help. The
// syntax follows pflag, Kubernetes' flag library, where our users come from:
//   --flag value   --flag=value   --bool   --bool=true|false
// with two differences kept from our own parsers: a boolean also takes a following `true` or
// `false` (`--leader-elect false`, which scripts use), and a value that starts with `--` is
// refused as a missing value (pflag would take `--server --id` as the server's address).
// Node's util.parseArgs and commander were weighed and not used: neither takes `--bool=false`
// and `--bool false` without per-flag workarounds, both word their errors and --help their own
// way (which we would then translate back), and what is left (this loop) is a few lines.
import { isIP } from 'node:net';
import { parseIPv4Cidr } from '../ipv4.js';
import { parseHostPort } from '../server/host-port.js';
import { parseDuration } from '../time.js';

/** What went wrong, for callers and tests that branch on it; the message is what users read. */
export type FlagErrorReason = 'unexpected-argument' | 'unknown-flag' | 'missing-value' | 'invalid-value' | 'invalid-combination';

/** The one error of a command line: a one-line message that starts with the flag it is about. */
export class FlagError extends Error {
  override readonly name = 'FlagError';
  constructor(
    message: string,
    readonly reason: FlagErrorReason,
    /** `--server`, when one flag is at fault. */
    readonly flag?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface SpecBase {
  /** The help text; `\n` starts a continuation line, indented to the help column. */
  readonly help: string;
  /** The value's placeholder in --help (`FILE`, `ADDR`); else one from the kind (`N`, `D`, `true|false`). */
  readonly metavar?: string;
  /**
   * Used when the flag is absent, written as a user would type it and parsed the same way, so a
   * default can never be a value the flag would refuse. No default: the value is undefined.
   */
  readonly default?: string;
  /** Starts a new group in --help: a blank line, then this title unless it is empty. */
  readonly section?: string;
}

/** The kinds of flag. Numbers and durations check their range here; the rest is the component's. */
export type FlagSpec =
  | SpecBase & { readonly kind: 'string' }
  | SpecBase & { readonly kind: 'boolean' }
  /** `min`/`max` inclusive; `expect` replaces the generated "a positive integer". */
  | SpecBase & { readonly kind: 'integer'; readonly min?: number; readonly max?: number; readonly expect?: string }
  /** `positive`: more than 0 (a rate); `min`/`max` inclusive. */
  | SpecBase & { readonly kind: 'number'; readonly positive?: boolean; readonly min?: number; readonly max?: number; readonly expect?: string }
  /** A Go duration (`500ms`, `1m30s`; a bare number is seconds) in milliseconds. */
  | SpecBase & { readonly kind: 'duration'; readonly positive?: boolean }
  /** Comma-separated, blanks dropped; `item` checks each one. */
  | SpecBase & { readonly kind: 'list'; readonly item?: 'ip' }
  /** An IPv4 or IPv6 address, as written. */
  | SpecBase & { readonly kind: 'ip' }
  /** An IPv4 CIDR, as written (host bits kept: the component decides whether to clear them). */
  | SpecBase & { readonly kind: 'cidr' }
  /** HOST:PORT (`:PORT` for every interface), as written. */
  | SpecBase & { readonly kind: 'host-port' }
  /** One of `values`; `expect` names the ones to advertise (a hidden `auto`, say). */
  | SpecBase & { readonly kind: 'enum'; readonly values: readonly string[]; readonly expect?: string }
  /** A value only this component understands (labels, taints); `parse` throws a one-line Error. */
  | SpecBase & { readonly kind: 'custom'; readonly parse: (text: string, flag: string) => unknown };

export type FlagKind = FlagSpec['kind'];

/** A component's flags by name, without the leading `--`, in --help order. */
export type FlagTable = Readonly<Record<string, FlagSpec>>;

/** The value one flag parses to. */
export type FlagValue<S extends FlagSpec> =
  S extends { kind: 'boolean' } ? boolean
    : S extends { kind: 'integer' | 'number' | 'duration' } ? number
      : S extends { kind: 'list' } ? string[]
        : S extends { kind: 'enum'; values: readonly (infer V)[] } ? V
          : S extends { kind: 'custom'; parse: (text: string, flag: string) => infer R } ? R
            : string;

/** The parsed command line: each flag's value, undefined when it was absent and has no default. */
export type FlagValues<T extends FlagTable> = {
  readonly [K in keyof T]: T[K] extends { default: string } ? FlagValue<T[K]> : FlagValue<T[K]> | undefined;
};

/**
 * Declares a table, keeping its literal types (enum values, which flags have defaults), so
 * parseCommandLine's result is typed from it.
 */
export function defineFlags<const T extends FlagTable>(table: T): T {
  return table;
}

/** Picks some of a table's flags (a subcommand that takes fewer), in the order given. */
export function pickFlags<T extends FlagTable, K extends keyof T & string>(table: T, names: readonly K[]): Pick<T, K> {
  return Object.fromEntries(names.map((n) => [n, table[n]])) as Pick<T, K>;
}

export type ParsedCommandLine<T extends FlagTable> = { readonly help: true } | { readonly help: false; readonly values: FlagValues<T> };

/**
 * argv (without node and the script) → the table's values, or `help` when --help or -h comes
 * first of anything wrong. Throws a FlagError; nothing else is checked here: which flags are
 * required, and which go together, each component decides after parsing.
 */
export function parseCommandLine<T extends FlagTable>(argv: readonly string[], table: T): ParsedCommandLine<T> {
  const texts = readFlagTexts(argv, table);
  if (texts === 'help') return { help: true };
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(table)) {
    const text = texts.get(name) ?? spec.default;
    values[name] = text === undefined ? undefined : flagValue(spec, text, `--${name}`);
  }
  return { help: false, values: values as FlagValues<T> };
}

/** Splits argv into each flag's text (the last one given wins); 'help' on --help or -h. */
function readFlagTexts(argv: readonly string[], table: FlagTable): Map<string, string> | 'help' {
  const texts = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') return 'help';
    const m = /^--([A-Za-z0-9][-A-Za-z0-9]*)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new FlagError(`unexpected argument ${JSON.stringify(arg)}`, 'unexpected-argument');
    const name = m[1] ?? '';
    const spec = Object.hasOwn(table, name) ? table[name] : undefined;
    if (!spec) throw new FlagError(`unknown flag --${name}`, 'unknown-flag', `--${name}`);
    let text = m[2];
    if (text === undefined && spec.kind === 'boolean') {
      // `--leader-elect` alone means true; a following true/false is its value.
      const next = argv[i + 1];
      text = next === 'true' || next === 'false' ? (i++, next) : 'true';
    } else if (text === undefined) {
      text = argv[++i];
      if (text === undefined || text.startsWith('--')) throw new FlagError(`--${name} needs a value`, 'missing-value', `--${name}`);
    }
    texts.set(name, text);
  }
  return texts;
}

/** One flag's text → its value; a FlagError naming the flag if the text is not one. */
export function flagValue<S extends FlagSpec>(spec: S, text: string, flag: string): FlagValue<S>;
export function flagValue(spec: FlagSpec, text: string, flag: string): unknown {
  const invalid = (expected: string): FlagError => new FlagError(`${flag}: expected ${expected}, got ${JSON.stringify(text)}`, 'invalid-value', flag);
  switch (spec.kind) {
    case 'string':
      return text;
    case 'boolean':
      if (text !== 'true' && text !== 'false') throw invalid('true or false');
      return text === 'true';
    case 'integer': {
      const n = /^-?\d+$/.test(text.trim()) ? Number(text) : NaN;
      if (!Number.isSafeInteger(n) || (spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        throw invalid(spec.expect ?? describeRange('integer', spec.min, spec.max, false));
      }
      return n;
    }
    case 'number': {
      const n = /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text.trim()) ? Number(text) : NaN;
      if (!Number.isFinite(n) || (spec.positive && n <= 0) || (spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        throw invalid(spec.expect ?? describeRange('number', spec.min, spec.max, spec.positive ?? false));
      }
      return n;
    }
    case 'duration': {
      let ms: number;
      try {
        ms = parseDuration(text, flag);
      } catch (e) {
        throw new FlagError((e as Error).message, 'invalid-value', flag, { cause: e });
      }
      if (spec.positive && ms <= 0) throw new FlagError(`${flag}: must be greater than 0`, 'invalid-value', flag);
      return ms;
    }
    case 'list': {
      const items = text.split(',').map((s) => s.trim()).filter(Boolean);
      for (const item of items) {
        if (spec.item === 'ip' && isIP(item) === 0) throw new FlagError(`${flag}: ${JSON.stringify(item)} is not an IP address`, 'invalid-value', flag);
      }
      return items;
    }
    case 'ip':
      if (isIP(text) === 0) throw new FlagError(`${flag}: ${JSON.stringify(text)} is not an IP address`, 'invalid-value', flag);
      return text;
    case 'cidr':
      if (parseIPv4Cidr(text) === undefined) throw invalid('an IPv4 CIDR such as 198.18.0.0/16');
      return text;
    case 'host-port':
      custom(() => parseHostPort(text, flag), flag);
      return text;
    case 'enum':
      if (!spec.values.includes(text)) throw invalid(spec.expect ?? oneOf(spec.values));
      return text;
    case 'custom':
      return custom(() => spec.parse(text, flag), flag);
    default: {
      const never: never = spec;
      throw new Error(`unhandled flag kind ${JSON.stringify(never)}`);
    }
  }
}

/** Runs a value parser that throws plain Errors, so every error out of here is a FlagError. */
function custom<R>(parse: () => R, flag: string): R {
  try {
    return parse();
  } catch (e) {
    if (e instanceof FlagError) throw e;
    throw new FlagError(e instanceof Error ? e.message : String(e), 'invalid-value', flag, { cause: e });
  }
}

/** "a positive integer", "a non-negative number", "an integer from 1 to 32". */
function describeRange(what: 'integer' | 'number', min: number | undefined, max: number | undefined, positive: boolean): string {
  if (min !== undefined && max !== undefined) return `${article(what)} from ${min} to ${max}`;
  if (positive || min === 1 && what === 'integer') return `a positive ${what}${max === undefined ? '' : ` up to ${max}`}`;
  if (min === 0) return `a non-negative ${what}${max === undefined ? '' : ` up to ${max}`}`;
  if (min !== undefined) return `${article(what)} of at least ${min}`;
  if (max !== undefined) return `${article(what)} of at most ${max}`;
  return article(what);
}

const article = (what: string): string => (/^[aeiou]/.test(what) ? `an ${what}` : `a ${what}`);

/** "a, b or c". */
function oneOf(values: readonly string[]): string {
  return values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}

export interface FlagUsageOptions {
  /** Where help text starts (from the line's start). A longer `--flag VALUE` puts it on the next line. */
  readonly column: number;
  /** Another column for the groups with these titles. */
  readonly sectionColumns?: Readonly<Record<string, number>>;
  /** The help line of --help itself, printed last, at `column` (`this text`). */
  readonly help: string;
}

/** The flags part of --help, from the table: `  --flag VALUE   help`, groups in table order. */
export function formatFlagUsage(table: FlagTable, options: FlagUsageOptions): string {
  const lines: string[] = [];
  let column = options.column;
  const entry = (label: string, help: string): void => {
    const [first = '', ...more] = help.split('\n');
    const head = `  ${label}`;
    if (head.length + 2 <= column) lines.push(`${head.padEnd(column)}${first}`.trimEnd());
    else lines.push(head, `${' '.repeat(column)}${first}`);
    for (const line of more) lines.push(`${' '.repeat(column)}${line}`);
  };
  for (const [name, spec] of Object.entries(table)) {
    if (spec.section !== undefined) {
      lines.push('');
      if (spec.section) lines.push(spec.section);
      column = options.sectionColumns?.[spec.section] ?? options.column;
    }
    entry(`--${name} ${spec.metavar ?? defaultMetavar(spec)}`, spec.help);
  }
  column = options.column;
  entry('--help', options.help);
  return `${lines.join('\n')}\n`;
}

function defaultMetavar(spec: FlagSpec): string {
  switch (spec.kind) {
    case 'boolean': return 'true|false';
    case 'enum': return spec.values.join('|');
    case 'integer': case 'number': return 'N';
    case 'duration': return 'D';
    case 'list': return 'LIST';
    case 'ip': return 'IP';
    case 'cidr': return 'CIDR';
    case 'host-port': return 'HOST:PORT';
    case 'string': case 'custom': return 'VALUE';
    default: {
      const never: never = spec;
      return String(never);
    }
  }
}
