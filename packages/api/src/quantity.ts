// STUB — the model work fills this in (exact parsing of "500m", "1.5", "128Mi", "1G", "2e3").
export class Quantity {
  constructor(private readonly milli: number, private readonly text: string) {}
  /** The value in thousandths, rounded up (cpu: "500m" → 500, "1" → 1000). */
  milliValue(): number { return this.milli; }
  /** The value in whole units, rounded up (memory: "128Mi" → 134217728). */
  value(): number { return Math.ceil(this.milli / 1000); }
  toString(): string { return this.text; }
}

/** Parses a Kubernetes quantity; throws an Error whose message says what is wrong. */
export function parseQuantity(input: string | number): Quantity {
  const n = Number(input);
  if (!Number.isFinite(n)) throw new Error(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
  return new Quantity(Math.ceil(n * 1000), String(input));
}

export function isQuantity(input: unknown): boolean {
  if (typeof input !== 'string' && typeof input !== 'number') return false;
  try { parseQuantity(input); return true; } catch { return false; }
}
