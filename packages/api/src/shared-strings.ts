// One copy of each short string value that decoded objects repeat. JSON.parse gives every
// value its own string: 50,000 pods held 50,000 copies each of "default-scheduler",
// "ClusterFirst", "/dev/termination-log", their namespace, node name, owner's uid and
// condition types. In a heap snapshot at 50,000 pods those short strings were about a fifth
// of the scheduler's live heap and of the API server's (67 of 298 MB, 89 of 474 MB).
// Informers and the API server's caches keep objects for their whole life, so each decoded
// object that is kept has its short strings replaced by the one shared copy.
//
// The table is bounded: values that never repeat (names, uids, resourceVersions) would
// otherwise fill it. It has two generations: when the newer fills it becomes the older one,
// and a value found in the older is moved to the newer, so the values that keep repeating
// stay shared while one-off values fall out within two generations.

/** Longer values are rarely repeated (messages, annotations, JSON blobs): left as they are. */
const MAX_LENGTH = 64;

export class StringTable {
  private newer = new Map<string, string>();
  private older = new Map<string, string>();

  constructor(private readonly generationSize = 32_768) {}

  /** The table's copy of `s` (adding it when absent); `s` itself when it is too long to keep. */
  share(s: string): string {
    if (s.length > MAX_LENGTH) return s;
    const held = this.newer.get(s);
    if (held !== undefined) return held;
    const old = this.older.get(s);
    const kept = old ?? s;
    if (this.newer.size >= this.generationSize) {
      this.older = this.newer;
      this.newer = new Map();
    }
    this.newer.set(kept, kept);
    return kept;
  }

  /** Values in the table (both generations; a value may be in both). */
  get size(): number {
    return this.newer.size + this.older.size;
  }

  /**
   * Replaces, in place, every short string in `value` (a freshly decoded JSON value: plain
   * objects, arrays, strings, numbers, booleans, null) with the table's copy. Returns `value`.
   */
  shareAll<T>(value: T): T {
    if (typeof value === 'object' && value !== null) this.walk(value as unknown as Record<string, unknown> | unknown[]);
    return value;
  }

  private walk(node: Record<string, unknown> | unknown[]): void {
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const v = node[i];
        if (typeof v === 'string') node[i] = this.share(v);
        else if (typeof v === 'object' && v !== null) this.walk(v as Record<string, unknown> | unknown[]);
      }
      return;
    }
    for (const k in node) {
      const v = node[k];
      if (typeof v === 'string') node[k] = this.share(v);
      else if (typeof v === 'object' && v !== null) this.walk(v as Record<string, unknown> | unknown[]);
    }
  }
}

/** The process's table, for objects decoded to be kept (informers, watch and list caches). */
export const sharedStrings = new StringTable();
