// A set of paths (the fields one manager owns). Paths are stored joined by NUL, which JSON
// escapes inside every path element, so the join is unambiguous.
import { comparePaths, type Path } from './path.js';

const SEP = '\u0000';
const keyOf = (p: Path): string => p.join(SEP);
const pathOf = (k: string): Path => k.split(SEP);

export class FieldSet {
  private readonly members: Set<string>;

  constructor(paths: Iterable<Path> = []) {
    this.members = new Set();
    for (const p of paths) this.insert(p);
  }

  private static fromKeys(keys: Iterable<string>): FieldSet {
    const s = new FieldSet();
    for (const k of keys) s.members.add(k);
    return s;
  }

  /** The empty path is the whole object, which nobody owns. */
  insert(path: Path): void {
    if (path.length > 0) this.members.add(keyOf(path));
  }

  has(path: Path): boolean {
    return this.members.has(keyOf(path));
  }

  get empty(): boolean {
    return this.members.size === 0;
  }

  get size(): number {
    return this.members.size;
  }

  union(other: FieldSet): FieldSet {
    return FieldSet.fromKeys([...this.members, ...other.members]);
  }

  difference(other: FieldSet): FieldSet {
    return FieldSet.fromKeys([...this.members].filter((k) => !other.members.has(k)));
  }

  intersection(other: FieldSet): FieldSet {
    return FieldSet.fromKeys([...this.members].filter((k) => other.members.has(k)));
  }

  /** Whether the set holds `prefix` or any path below it. */
  hasAtOrBelow(prefix: Path): boolean {
    const k = keyOf(prefix);
    for (const m of this.members) if (m === k || m.startsWith(k + SEP)) return true;
    return false;
  }

  /** Without `prefix` and everything below it. */
  withoutSubtree(prefix: Path): FieldSet {
    const k = keyOf(prefix);
    return FieldSet.fromKeys([...this.members].filter((m) => m !== k && !m.startsWith(k + SEP)));
  }

  /** Members in structured-merge-diff's order. */
  paths(): Path[] {
    return [...this.members].map(pathOf).sort(comparePaths);
  }

  equals(other: FieldSet): boolean {
    return this.members.size === other.members.size && [...this.members].every((k) => other.members.has(k));
  }
}
