// Small files that must never be seen half-written (runtime records, tctl's cluster state):
// written to a temporary name and renamed over the old one, which POSIX makes atomic. Node
// built-ins only, and its own entry point (`@tugboat/api/files`): the process runtime's
// container monitor, one per container, imports it without loading the rest of the API kit.
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** Writes `value` as JSON to a temporary file beside `path`, then renames it into place. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 1)}\n`);
  renameSync(tmp, path);
}

/** The parsed JSON at `path`; undefined when it is missing or not JSON (a record not written yet). */
export function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** The names in `dir`, or none when it does not exist (yet, or any more). */
export function readdirOrEmpty(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
