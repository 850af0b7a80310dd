// A small kubectl-style argument parser: flags may come anywhere (before or after
// positionals), `--flag value`, `--flag=value`, `-n NS`, `-nNS`, `-n=NS`, grouped short
// booleans (`-Aw`), repeatable flags (`-f a -f b`), `--` ends flags. Flags are declared per
// command so a typo is one clear line rather than a silently ignored word.
import { parseDuration } from '@tugboat/api';
import { UsageError } from './errors.js';

export type FlagType = 'boolean' | 'string' | 'strings' | 'int';

export interface FlagDef {
  readonly type: FlagType;
  readonly short?: string;
  readonly description: string;
  /** Shown as `--name VALUE` in help. */
  readonly value?: string;
  readonly default?: string | boolean | number;
  /** Test and launcher knobs: accepted but left out of --help. */
  readonly hidden?: boolean;
  /**
   * For a string flag: the value used when the flag is given bare (`--dry-run` means
   * `--dry-run=client`, as kubectl has it). Such a flag only takes a value with `=`.
   */
  readonly bareValue?: string;
}

export type FlagDefs = Readonly<Record<string, FlagDef>>;

type ValueOf<D extends FlagDef> =
  D extends { type: 'boolean' } ? boolean :
  D extends { type: 'strings' } ? string[] :
  D extends { type: 'int' } ? (D extends { default: number } ? number : number | undefined) :
  D extends { default: string } ? string : string | undefined;

export type FlagValues<D extends FlagDefs> = { -readonly [K in keyof D]: ValueOf<D[K]> };

export interface Parsed<D extends FlagDefs> {
  flags: FlagValues<D>;
  positionals: string[];
  /** Names of the flags the user actually gave (to tell "unset" from "default"). */
  given: Set<string>;
}

const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);

export function parseArgs<D extends FlagDefs>(argv: readonly string[], defs: D, command = 'tctl'): Parsed<D> {
  const flags: Record<string, unknown> = {};
  const given = new Set<string>();
  const byShort = new Map<string, string>();
  for (const [name, def] of Object.entries(defs)) {
    if (def.short) byShort.set(def.short, name);
    switch (def.type) {
      case 'boolean': flags[name] = def.default ?? false; break;
      case 'strings': flags[name] = []; break;
      case 'string': flags[name] = def.default; break;
      case 'int': flags[name] = def.default; break;
    }
  }
  const positionals: string[] = [];
  const hint = `see '${command} --help'`;

  const set = (name: string, raw: string | undefined, takeNext: () => string | undefined, shown: string): void => {
    const def = defs[name];
    if (!def) throw new UsageError(`unknown flag: ${shown} (${hint})`);
    given.add(name);
    switch (def.type) {
      case 'boolean': {
        if (raw === undefined) { flags[name] = true; return; }
        const v = raw.toLowerCase();
        if (TRUE.has(v)) flags[name] = true;
        else if (FALSE.has(v)) flags[name] = false;
        else throw new UsageError(`invalid argument "${raw}" for "${shown}" flag: expected true or false`);
        return;
      }
      case 'string':
      case 'strings':
      case 'int': {
        let value = raw;
        if (value === undefined) {
          if (def.bareValue !== undefined) value = def.bareValue;
          else value = takeNext();
        }
        if (value === undefined) throw new UsageError(`flag needs an argument: ${shown} (${hint})`);
        if (def.type === 'int') {
          if (!/^-?\d+$/.test(value)) throw new UsageError(`invalid argument "${value}" for "${shown}" flag: expected an integer`);
          flags[name] = Number(value);
        } else if (def.type === 'strings') {
          (flags[name] as string[]).push(value);
        } else {
          flags[name] = value;
        }
        return;
      }
    }
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const takeNext = (): string | undefined => {
      if (i + 1 >= argv.length) return undefined;
      i++;
      return argv[i];
    };
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const raw = eq < 0 ? undefined : arg.slice(eq + 1);
      set(name, raw, takeNext, `--${name}`);
      continue;
    }
    // A lone "-" is a positional (stdin), as are negative numbers.
    if (arg.startsWith('-') && arg.length > 1 && !/^-\d/.test(arg)) {
      const letter = arg[1]!;
      const name = byShort.get(letter);
      if (!name) throw new UsageError(`unknown shorthand flag: '${letter}' in ${arg} (${hint})`);
      const def = defs[name]!;
      let rest = arg.slice(2);
      if (def.type === 'boolean') {
        if (rest.startsWith('=')) { set(name, rest.slice(1), takeNext, `-${letter}`); continue; }
        set(name, undefined, takeNext, `-${letter}`);
        // Grouped booleans: -Aw.
        while (rest.length) {
          const l = rest[0]!;
          const n = byShort.get(l);
          if (!n || defs[n]!.type !== 'boolean') throw new UsageError(`unknown shorthand flag: '${l}' in ${arg} (${hint})`);
          set(n, undefined, takeNext, `-${l}`);
          rest = rest.slice(1);
        }
        continue;
      }
      if (rest.startsWith('=')) rest = rest.slice(1);
      set(name, rest.length ? rest : undefined, takeNext, `-${letter}`);
      continue;
    }
    positionals.push(arg);
  }
  return { flags: flags as FlagValues<D>, positionals, given };
}

/** A duration argument ("30s", "1h30m", "500ms", a bare number of seconds) in ms; a bad one is a usage error. */
export function durationArg(text: string): number {
  try {
    return parseDuration(text);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

/** Help text for a command: usage line, summary, then its flags aligned. */
export function formatHelp(usage: string, summary: string, defs: FlagDefs, details = ''): string {
  const lines = [summary, '', `Usage:\n  ${usage}`];
  if (details) lines.push('', details.trimEnd());
  const rows: [string, string][] = [];
  for (const [name, def] of Object.entries(defs)) {
    if (def.hidden) continue;
    const value = def.type === 'boolean' ? '' : def.bareValue !== undefined ? `[=${def.value ?? 'VALUE'}]` : ` ${def.value ?? (def.type === 'int' ? 'N' : 'VALUE')}`;
    const flag = `${def.short ? `-${def.short}, ` : '    '}--${name}${value}`;
    rows.push([flag, def.description]);
  }
  if (rows.length) {
    const w = Math.max(...rows.map(([f]) => f.length));
    lines.push('', 'Flags:');
    for (const [f, d] of rows) lines.push(`  ${f.padEnd(w)}   ${d}`);
  }
  return `${lines.join('\n')}\n`;
}
