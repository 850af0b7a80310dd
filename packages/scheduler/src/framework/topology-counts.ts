// Counts per topology pair (topologyKey, value): how many pods of some kind run in each zone,
// on each host, ... Nested maps rather than "key=value" strings so the per-node lookups of a
// Filter or Score allocate nothing.
export class TopologyCounts {
  private readonly byKey = new Map<string, Map<string, number>>();

  get size(): number { return this.byKey.size; }

  keys(): Iterable<string> { return this.byKey.keys(); }

  *entries(): Iterable<[key: string, value: string, count: number]> {
    for (const [key, values] of this.byKey) for (const [value, n] of values) yield [key, value, n];
  }

  /** Adds `delta` to (key, value); a pair that drops to 0 is removed. No-op for an absent value. */
  add(key: string, value: string | undefined, delta: number): void {
    if (value === undefined || delta === 0) return;
    let values = this.byKey.get(key);
    if (!values) {
      values = new Map();
      this.byKey.set(key, values);
    }
    const n = (values.get(value) ?? 0) + delta;
    if (n === 0) {
      values.delete(value);
      if (values.size === 0) this.byKey.delete(key);
    } else {
      values.set(value, n);
    }
  }

  get(key: string, value: string | undefined): number {
    return value === undefined ? 0 : this.byKey.get(key)?.get(value) ?? 0;
  }
}
