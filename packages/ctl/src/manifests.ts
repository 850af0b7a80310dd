// Reading manifests as `kubectl apply -f` does: files, directories (-R recursive; .yaml,
// .yml, .json), "-" for stdin; multi-document YAML, JSON, and `kind: List`. Each document
// comes back on its own, good or bad, so one broken document does not stop the others.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '@tugboat/api';
import { CliError } from './errors.js';

export interface ManifestDoc {
  /** The file name as the user gave it ("STDIN" for -). */
  source: string;
  /** 1-based position of the document in its file (items of a List share it). */
  index: number;
  object?: KubeObject;
  /** Why this document cannot be used, already naming source and index. */
  error?: string;
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Files to read for one -f argument, in a stable order. */
export function expandPath(path: string, recursive: boolean, cwd: string): string[] {
  const full = resolve(cwd, path);
  if (!existsSync(full)) throw new CliError(`the path "${path}" does not exist`);
  if (!statSync(full).isDirectory()) return [path];
  const out: string[] = [];
  const walk = (dir: string, shown: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const p = join(dir, e.name);
      const s = join(shown, e.name);
      if (e.isDirectory()) {
        if (recursive) walk(p, s);
      } else if (MANIFEST_EXTENSIONS.has(extname(e.name).toLowerCase())) {
        out.push(s);
      }
    }
  };
  walk(full, path);
  return out;
}

function describeType(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  return `a ${typeof v}`;
}

/** Splits one file's text into documents; never throws. */
export function parseManifestText(text: string, source: string): ManifestDoc[] {
  const docs: ManifestDoc[] = [];
  const parsed = parseAllDocuments(text, { merge: true, uniqueKeys: true, prettyErrors: false });
  // parseAllDocuments returns an EmptyStream for an empty input: nothing to do.
  const list = Array.isArray(parsed) ? parsed : [];
  list.forEach((doc, i) => {
    const index = i + 1;
    const where = `${source} (document ${index})`;
    const err = doc.errors[0];
    if (err) {
      const line = err.linePos?.[0];
      const msg = err.message.split('\n')[0] ?? 'invalid YAML';
      docs.push({ source, index, error: `${where}: invalid YAML${line ? ` at line ${line.line}, column ${line.col}` : ''}: ${msg.replace(/ at line \d+, column \d+:?$/, '')}` });
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      docs.push({ source, index, error: `${where}: ${e instanceof Error ? e.message : String(e)}` });
      return;
    }
    // `---` followed by nothing (or only comments) is no document at all.
    if (value === null || value === undefined) return;
    // YAML lets an alias name a node that contains it (`metadata: &m {labels: {x: *m}}`): a
    // cycle no object can hold, which would fail later as a multi-line JSON error (found by
    // the fuzzer). The API server's REST path says the same.
    try {
      JSON.stringify(value);
    } catch {
      docs.push({ source, index, error: `${where}: an alias refers to a node that contains it: the document is not a tree` });
      return;
    }
    docs.push(...objectsOf(value, source, index, where));
  });
  return docs;
}

function objectsOf(value: unknown, source: string, index: number, where: string): ManifestDoc[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [{ source, index, error: `${where}: expected an object with apiVersion and kind, got ${describeType(value)}` }];
  }
  const obj = value as KubeObject;
  if (typeof obj.kind !== 'string' || obj.kind === '') return [{ source, index, error: `${where}: object has no "kind"` }];
  // kubectl expands v1 Lists (what `get -o yaml` prints for several objects).
  if (obj.kind === 'List' || obj.kind.endsWith('List')) {
    const items = obj['items'];
    if (!Array.isArray(items)) return [{ source, index, error: `${where}: ${obj.kind} has no "items" list` }];
    return items.flatMap((item: unknown, j) => objectsOf(item, source, index, `${where} item ${j}`));
  }
  if (typeof obj.apiVersion !== 'string' || obj.apiVersion === '') return [{ source, index, error: `${where}: object has no "apiVersion"` }];
  return [{ source, index, object: obj }];
}

export interface ReadOptions {
  recursive: boolean;
  cwd: string;
  readStdin: () => Promise<string>;
}

/** Every document of every -f argument, in order. Missing paths fail before anything is read. */
export async function readManifests(paths: readonly string[], opts: ReadOptions): Promise<ManifestDoc[]> {
  if (paths.length === 0) throw new CliError('must specify -f FILENAME (a file, a directory or - for stdin)');
  const files = paths.map((p) => (p === '-' ? ['-'] : expandPath(p, opts.recursive, opts.cwd)));
  const docs: ManifestDoc[] = [];
  for (const [i, group] of files.entries()) {
    if (group.length === 0) throw new CliError(`no manifests (.yaml, .yml, .json) found in "${paths[i]}"${opts.recursive ? '' : ' (use -R for subdirectories)'}`);
    for (const f of group) {
      if (f === '-') {
        docs.push(...parseManifestText(await opts.readStdin(), 'STDIN'));
      } else {
        let text: string;
        try {
          text = readFileSync(resolve(opts.cwd, f), 'utf8');
        } catch (e) {
          throw new CliError(`cannot read ${f}: ${e instanceof Error ? e.message : String(e)}`);
        }
        docs.push(...parseManifestText(text, f));
      }
    }
  }
  return docs;
}
