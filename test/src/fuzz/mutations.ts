// What the fuzzer does to a seed manifest, as plain data fast-check can generate and shrink:
// value mutations on the object (wrong types, extreme numbers, deep nesting, odd strings,
// missing and extra fields, bad names) and text mutations on its YAML (duplicate keys,
// anchors, alias bombs, tags, control bytes). `render` turns a case into the bytes a user
// would send.
import fc from 'fast-check';
import { stringify } from 'yaml';
import type { KubeObject } from '@tugboat/api';
import { SEEDS } from './seeds.js';

/** A value to put somewhere: JSON-ish data, or a big one built only when rendering (cheap to shrink). */
export type Weird =
  | { readonly t: 'value'; readonly v: unknown }
  | { readonly t: 'huge'; readonly bytes: number; readonly char: string }
  | { readonly t: 'deep'; readonly depth: number; readonly shape: 'array' | 'object' };

export type Mutation =
  | { readonly op: 'set'; readonly at: number; readonly value: Weird }
  | { readonly op: 'add'; readonly at: number; readonly key: string; readonly value: Weird }
  | { readonly op: 'delete'; readonly at: number }
  | { readonly op: 'meta'; readonly field: 'name' | 'namespace' | 'generateName'; readonly value: Weird }
  | { readonly op: 'dupKey'; readonly line: number }
  | { readonly op: 'anchors' }
  | { readonly op: 'bomb'; readonly depth: number; readonly width: number }
  | { readonly op: 'tag'; readonly line: number; readonly tag: string }
  | { readonly op: 'byte'; readonly pos: number; readonly char: string }
  | { readonly op: 'truncate'; readonly pos: number }
  | { readonly op: 'multiDoc' };

export type Transport = 'grpc' | 'tctl' | 'rest-json' | 'rest-yaml';

export interface FuzzCase {
  readonly kind: string;
  readonly mutations: readonly Mutation[];
  readonly transport: Transport;
}

export interface Rendered {
  /** The manifest text (YAML; JSON for rest-json). */
  readonly text: string;
  /** The mutated object before text mutations (undefined once a text mutation made it unknowable). */
  readonly object: KubeObject;
}

const CONTROL = fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)), maxLength: 8 });
const NUMBERS = fc.oneof(
  fc.constantFrom(-1, 0, -0, 1.5, -2147483649, 2147483648, 2 ** 53 + 2, -(2 ** 53) - 2, 1e308, -1e308, 5e-324, Infinity, -Infinity, NaN),
  fc.double(),
  fc.integer(),
);
const STRINGS = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  CONTROL,
  fc.constantFrom('', ' ', 'null', 'true', '~', '0x10', '1e3', '-', '---', '...', '\u202e', '\ufeff', '\u0000', '\ud800', 'a\nb', '${HOME}', '{{x}}', '<script>', '../../etc/passwd'),
);

const WEIRD: fc.Arbitrary<Weird> = fc.oneof(
  { weight: 10, arbitrary: fc.oneof(NUMBERS, STRINGS, fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 3 }), fc.array(STRINGS, { maxLength: 4 }), fc.dictionary(STRINGS, STRINGS, { maxKeys: 4 })).map((v): Weird => ({ t: 'value', v })) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('huge' as const), bytes: fc.constantFrom(10_000, 300_000, 1_100_000, 10 * 1024 * 1024), char: fc.constantFrom('a', 'é', '😀', '\u0001', '"') }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('deep' as const), depth: fc.integer({ min: 10, max: 20_000 }), shape: fc.constantFrom('array' as const, 'object' as const) }) },
);

const NAMES: fc.Arbitrary<Weird> = fc.oneof(
  fc.constantFrom('', 'UPPER', 'a'.repeat(64), 'a'.repeat(254), 'a/b', '..', '.', 'a b', '-a', 'a-', 'a_b', 'a.b', 'ä', 'web\n', '%2F', 'default', 'kube-system', '0', 'a:b')
    .map((v): Weird => ({ t: 'value', v })),
  WEIRD,
);

const MUTATION: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: WEIRD }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('add' as const), at: fc.nat(), key: fc.oneof(fc.constantFrom('status', 'extra', 'metadata', 'spec', '__proto__', 'constructor', 'x-y', ''), STRINGS), value: WEIRD }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('meta' as const), field: fc.constantFrom('name' as const, 'namespace' as const, 'generateName' as const), value: NAMES }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('dupKey' as const), line: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ op: 'anchors' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('bomb' as const), depth: fc.integer({ min: 1, max: 12 }), width: fc.integer({ min: 1, max: 12 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('tag' as const), line: fc.nat(), tag: fc.constantFrom('!!binary', '!!str', '!!int', '!!float', '!!bool', '!!null', '!!set', '!!omap', '!!timestamp', '!!map', '!!seq', '!custom', '!<tag:yaml.org,2002:str>') }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('byte' as const), pos: fc.nat(), char: fc.oneof(CONTROL, fc.constantFrom('\ufeff', '\u2028', '\t', ':', '#', '&', '*', '|', '>', '{', '[', '"', "'", '%', '@', '`')) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), pos: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ op: 'multiDoc' as const }) },
);

export const KIND_NAMES = Object.keys(SEEDS);

export function fuzzCase(): fc.Arbitrary<FuzzCase> {
  return fc.record({
    kind: fc.constantFrom(...KIND_NAMES),
    // An unmutated seed now and then: each must be stored.
    mutations: fc.array(MUTATION, { minLength: 0, maxLength: 3 }),
    transport: fc.oneof(
      { weight: 14, arbitrary: fc.constant('grpc' as const) },
      { weight: 2, arbitrary: fc.constant('tctl' as const) },
      { weight: 2, arbitrary: fc.constant('rest-json' as const) },
      { weight: 2, arbitrary: fc.constant('rest-yaml' as const) },
    ),
  });
}

type Path = readonly (string | number)[];

/** Every node of the object but the root, parents before children. */
function pathsOf(v: unknown, prefix: Path = []): Path[] {
  if (v === null || typeof v !== 'object') return [];
  const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
  return entries.flatMap(([k, x]) => [[...prefix, k], ...pathsOf(x, [...prefix, k])]);
}

function containersOf(v: unknown): Path[] {
  return [[], ...pathsOf(v).filter((p) => { const x = getAt(v, p); return x !== null && typeof x === 'object'; })];
}

function getAt(root: unknown, path: Path): unknown {
  let cur = root;
  for (const k of path) cur = (cur as Record<string | number, unknown> | undefined)?.[k];
  return cur;
}

function parentOf(root: unknown, path: Path): Record<string | number, unknown> | undefined {
  const p = getAt(root, path.slice(0, -1));
  return p !== null && typeof p === 'object' ? (p as Record<string | number, unknown>) : undefined;
}

/** Big values go in as placeholders and are spliced into the text, so no serializer walks them. */
const PLACEHOLDER = /(['"]?)@@FUZZ(\d+)@@\1/g;

function bigText(w: Weird & { t: 'huge' | 'deep' }): string {
  if (w.t === 'huge') return JSON.stringify(w.char.repeat(Math.max(1, Math.floor(w.bytes / Buffer.byteLength(w.char)))));
  return w.shape === 'array' ? `${'['.repeat(w.depth)}1${']'.repeat(w.depth)}` : `${'{"a":'.repeat(w.depth)}1${'}'.repeat(w.depth)}`;
}

/** The manifest text of a case: mutations applied in order to the seed, then serialized. */
export function render(c: FuzzCase): Rendered {
  const obj = structuredClone(SEEDS[c.kind]) as KubeObject;
  const bigs: (Weird & { t: 'huge' | 'deep' })[] = [];
  const valueOf = (w: Weird): unknown => {
    if (w.t === 'value') return structuredClone(w.v);
    bigs.push(w);
    return `@@FUZZ${bigs.length - 1}@@`;
  };
  const textOps: Mutation[] = [];
  for (const m of c.mutations) {
    switch (m.op) {
      case 'set': {
        const paths = pathsOf(obj);
        const path = paths[m.at % Math.max(1, paths.length)];
        const parent = path && parentOf(obj, path);
        if (path && parent) parent[path[path.length - 1]!] = valueOf(m.value);
        break;
      }
      case 'add': {
        const containers = containersOf(obj);
        const target = getAt(obj, containers[m.at % containers.length]!) as Record<string, unknown> | unknown[];
        if (Array.isArray(target)) target.push(valueOf(m.value));
        else Object.defineProperty(target, m.key, { value: valueOf(m.value), enumerable: true, writable: true, configurable: true });
        break;
      }
      case 'delete': {
        const paths = pathsOf(obj);
        const path = paths[m.at % Math.max(1, paths.length)];
        const parent = path && parentOf(obj, path);
        if (path && parent) {
          if (Array.isArray(parent)) parent.splice(Number(path[path.length - 1]), 1);
          else delete parent[path[path.length - 1]!];
        }
        break;
      }
      case 'meta': {
        const meta = obj.metadata;
        if (meta && typeof meta === 'object') (meta as Record<string, unknown>)[m.field] = valueOf(m.value);
        break;
      }
      default:
        textOps.push(m);
    }
  }
  const splice = (text: string): string => text.replace(PLACEHOLDER, (_all, _q: string, i: string) => bigText(bigs[Number(i)]!));
  if (c.transport === 'rest-json') return { text: splice(JSON.stringify(obj)), object: obj };
  let text = stringify(obj, { lineWidth: 0 });
  for (const m of textOps) text = mutateText(text, m);
  return { text: splice(text), object: obj };
}

function mutateText(text: string, m: Mutation): string {
  const lines = text.split('\n');
  const keyLines = lines.map((l, i) => (/^\s*[A-Za-z][\w.-]*:/.test(l) ? i : -1)).filter((i) => i >= 0);
  switch (m.op) {
    case 'dupKey': {
      const i = keyLines[m.line % Math.max(1, keyLines.length)];
      if (i !== undefined) lines.splice(i + 1, 0, lines[i]!);
      return lines.join('\n');
    }
    case 'anchors':
      // Legal YAML: an anchor on metadata, its alias and a merge key in unknown fields.
      return text.replace(/^metadata:/m, 'metadata: &meta') + 'x-copy: *meta\nx-merged:\n  <<: *meta\n';
    case 'bomb': {
      let out = `lol0: &a0 [${Array(m.width).fill('"lol"').join(', ')}]\n`;
      for (let d = 1; d <= m.depth; d++) out += `lol${d}: &a${d} [${Array(m.width).fill(`*a${d - 1}`).join(', ')}]\n`;
      return text + out;
    }
    case 'tag': {
      const i = keyLines[m.line % Math.max(1, keyLines.length)];
      if (i === undefined) return text;
      lines[i] = lines[i]!.replace(/^(\s*[A-Za-z][\w.-]*:)(\s*)/, `$1 ${m.tag} `);
      return lines.join('\n');
    }
    case 'byte': {
      const p = m.pos % (text.length + 1);
      return text.slice(0, p) + m.char + text.slice(p);
    }
    case 'truncate':
      return text.slice(0, m.pos % (text.length + 1));
    case 'multiDoc':
      // The same document again under another name, and an empty one.
      return `${text}---\n---\n${text.replace(/^(  name: )(.*)$/m, '$1$2-two')}`;
    default:
      return text;
  }
}
