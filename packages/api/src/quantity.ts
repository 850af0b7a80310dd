// Kubernetes resource quantities ("500m", "1.5", "128Mi", "1G", "2e3"), parsed exactly as
// k8s.io/apimachinery/pkg/api/resource does. A quantity is kept as a whole number of
// nano-units in a bigint: Kubernetes rounds every parsed value up to the nearest 1n, so that
// representation is exact and no float ever touches the arithmetic. The format (decimal SI,
// binary SI, decimal exponent) comes from the suffix the user wrote and decides how the
// canonical string is printed, as in Kubernetes ("1.5Gi" prints as "1536Mi").

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export const QUANTITY_REGEXP = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
const ERR_FORMAT = `quantities must match the regular expression '${QUANTITY_REGEXP}'`;
const ERR_NUMERIC = "unable to parse quantity's numeric part";
const ERR_SUFFIX = "unable to parse quantity's suffix";

const NANO = 1_000_000_000n;
const MILLI_PER_NANO = 1_000_000n;
/** Binary quantities are capped at the largest int64, as Kubernetes caps them. */
const MAX_INT64 = 2n ** 63n - 1n;
/** Larger decimal exponents would only build huge bigints; Kubernetes itself cannot use them. */
const MAX_EXPONENT = 1000;

const DECIMAL_SUFFIXES: ReadonlyMap<string, number> = new Map([
  ['n', -9], ['u', -6], ['m', -3], ['', 0], ['k', 3], ['M', 6], ['G', 9], ['T', 12], ['P', 15], ['E', 18],
]);
const BINARY_SUFFIXES: ReadonlyMap<string, number> = new Map([
  ['Ki', 10], ['Mi', 20], ['Gi', 30], ['Ti', 40], ['Pi', 50], ['Ei', 60],
]);
const DECIMAL_BY_EXPONENT = new Map([...DECIMAL_SUFFIXES].map(([s, e]) => [e, s]));
const BINARY_BY_POWER = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/** a / b rounded away from zero (Kubernetes' RoundUp), b > 0. */
function divAwayFromZero(a: bigint, b: bigint): bigint {
  const q = a / b;
  if (q * b === a) return q;
  return a < 0n ? q - 1n : q + 1n;
}

export class Quantity {
  /**
   * @param nanos the value in units of 10^-9 (1 = "1n", 1_000_000_000n = "1")
   * @param format how toString() prints it
   */
  constructor(readonly nanos: bigint, readonly format: QuantityFormat = 'DecimalSI') {}

  static fromMilli(milli: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(BigInt(milli) * MILLI_PER_NANO, format);
  }

  static fromValue(value: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(BigInt(value) * NANO, format);
  }

  /** The value in thousandths, rounded up (cpu: "500m" → 500, "1" → 1000, "0.1m" → 1). */
  milliValue(): number { return Number(this.bigMilliValue()); }
  bigMilliValue(): bigint { return divAwayFromZero(this.nanos, MILLI_PER_NANO); }

  /** The value in whole units, rounded up (memory: "128Mi" → 134217728, "1.5" → 2). */
  value(): number { return Number(this.bigValue()); }
  bigValue(): bigint { return divAwayFromZero(this.nanos, NANO); }

  /** An approximation for ratios and display; never use it for sums or comparisons. */
  toNumber(): number { return Number(this.nanos) / 1e9; }

  isZero(): boolean { return this.nanos === 0n; }
  sign(): -1 | 0 | 1 { return this.nanos === 0n ? 0 : this.nanos < 0n ? -1 : 1; }

  cmp(other: Quantity): -1 | 0 | 1 { return cmpQuantity(this, other); }
  equals(other: Quantity): boolean { return this.nanos === other.nanos; }
  /** The sum keeps this quantity's format, as Kubernetes' Add does. */
  add(other: Quantity): Quantity { return new Quantity(this.nanos + other.nanos, this.format); }
  sub(other: Quantity): Quantity { return new Quantity(this.nanos - other.nanos, this.format); }
  neg(): Quantity { return new Quantity(-this.nanos, this.format); }

  /** Kubernetes' canonical form: "1500m", "1536Mi", "2k", "1e3", "0". */
  toString(): string {
    if (this.nanos === 0n) return '0';
    if (this.format === 'BinarySI') {
      // Small or fractional binary values print in decimal SI so nothing is rounded.
      const small = this.nanos > -1024n * NANO && this.nanos < 1024n * NANO;
      if (!small && this.nanos % NANO === 0n) {
        let mantissa = this.nanos / NANO;
        let power = 0;
        while (power < BINARY_BY_POWER.length - 1 && mantissa % 1024n === 0n) {
          mantissa /= 1024n;
          power++;
        }
        return `${mantissa}${BINARY_BY_POWER[power]}`;
      }
      return canonicalDecimal(this.nanos, 'DecimalSI');
    }
    return canonicalDecimal(this.nanos, this.format);
  }

  toJSON(): string { return this.toString(); }
}

function canonicalDecimal(nanos: bigint, format: 'DecimalSI' | 'DecimalExponent'): string {
  let mantissa = nanos;
  let exponent = -9;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent++;
  }
  // Kubernetes shows exponents in steps of three (the SI prefixes), moving digits into the mantissa.
  while (((exponent % 3) + 3) % 3 !== 0) {
    mantissa *= 10n;
    exponent--;
  }
  if (format === 'DecimalExponent') return exponent === 0 ? `${mantissa}` : `${mantissa}e${exponent}`;
  if (exponent > 18) {
    mantissa *= pow10(exponent - 18);
    exponent = 18;
  }
  return `${mantissa}${DECIMAL_BY_EXPONENT.get(exponent) ?? ''}`;
}

interface Parts { negative: boolean; num: string; denom: string; suffix: string }

/** The scanner of Kubernetes' parseQuantityString, including its leniency for "1.G" and ".". */
function splitQuantity(str: string): Parts {
  let pos = 0;
  const end = str.length;
  let negative = false;
  if (str[0] === '-' || str[0] === '+') {
    negative = str[0] === '-';
    pos++;
  }
  while (pos < end && str[pos] === '0') pos++;
  const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
  const numStart = pos;
  while (pos < end && isDigit(str[pos])) pos++;
  const num = str.slice(numStart, pos) || '0';
  let denom = '';
  if (str[pos] === '.') {
    pos++;
    const denomStart = pos;
    while (pos < end && isDigit(str[pos])) pos++;
    denom = str.slice(denomStart, pos);
  }
  // Kubernetes' scanner would read "Ki" or "-" as zero; the documented regexp wants a number.
  if (pos === (negative || str[0] === '+' ? 1 : 0)) throw new Error(ERR_FORMAT);
  const suffixStart = pos;
  while (pos < end && 'eEinumkKMGTP'.includes(str[pos] as string)) pos++;
  if (str[pos] === '-' || str[pos] === '+') pos++;
  while (pos < end && isDigit(str[pos])) pos++;
  if (pos < end) throw new Error(ERR_FORMAT);
  return { negative, num, denom, suffix: str.slice(suffixStart) };
}

function interpretSuffix(suffix: string): { base: 10 | 2; exponent: number; format: QuantityFormat } {
  const dec = DECIMAL_SUFFIXES.get(suffix);
  if (dec !== undefined) return { base: 10, exponent: dec, format: 'DecimalSI' };
  const bin = BINARY_SUFFIXES.get(suffix);
  if (bin !== undefined) return { base: 2, exponent: bin, format: 'BinarySI' };
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E') && /^[eE][-+]?[0-9]+$/.test(suffix)) {
    const exponent = Number(suffix.slice(1));
    if (Math.abs(exponent) > MAX_EXPONENT) throw new Error(ERR_NUMERIC);
    return { base: 10, exponent, format: 'DecimalExponent' };
  }
  throw new Error(ERR_SUFFIX);
}

/** Parses a Kubernetes quantity; throws an Error whose message says what is wrong. */
export function parseQuantity(input: string | number): Quantity {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new Error(ERR_FORMAT);
    input = String(input);
  }
  if (input.length === 0) throw new Error(ERR_FORMAT);
  const { negative, num, denom, suffix } = splitQuantity(input);
  const { base, exponent, format } = interpretSuffix(suffix);

  // value = digits × 10^-len(denom) × base^exponent; in nanos that is digits × 10^shift (× 2^exponent).
  const digits = num + denom;
  const shift = 9 - denom.length + (base === 10 ? exponent : 0);
  const mantissa = base === 2 ? BigInt(digits) << BigInt(exponent) : BigInt(digits);
  let nanos: bigint;
  if (shift >= 0) nanos = mantissa * pow10(shift);
  // Far below 1n: any non-zero amount rounds up to 1n (Kubernetes: "if you want some, you get some").
  else if (-shift > digits.length + 20) nanos = mantissa === 0n ? 0n : 1n;
  else nanos = divAwayFromZero(mantissa, pow10(-shift));
  if (format === 'BinarySI' && nanos > MAX_INT64 * NANO) nanos = MAX_INT64 * NANO;
  return new Quantity(negative ? -nanos : nanos, format);
}

export function isQuantity(input: unknown): boolean {
  if (typeof input !== 'string' && typeof input !== 'number') return false;
  try { parseQuantity(input); return true; } catch { return false; }
}

/** Quantity-or-text → Quantity; a convenience for code that takes either. */
function q(x: Quantity | string | number): Quantity {
  return x instanceof Quantity ? x : parseQuantity(x);
}

export function cmpQuantity(a: Quantity | string | number, b: Quantity | string | number): -1 | 0 | 1 {
  const d = q(a).nanos - q(b).nanos;
  return d === 0n ? 0 : d < 0n ? -1 : 1;
}

export function addQuantities(a: Quantity | string | number, b: Quantity | string | number): Quantity {
  return q(a).add(q(b));
}

export function subQuantities(a: Quantity | string | number, b: Quantity | string | number): Quantity {
  return q(a).sub(q(b));
}

/** The canonical text of a quantity ("1000m" → "1", "1024Mi" → "1Gi"); throws on a bad one. */
export function canonicalQuantity(input: string | number): string {
  return parseQuantity(input).toString();
}

/** Bytes the way kubectl shows memory: 134217728 → "128Mi", 1000 → "1k", 1500 → "1500". */
export function formatBytes(bytes: number | bigint): string {
  const n = BigInt(bytes);
  if (n % 1024n === 0n && n !== 0n) return Quantity.fromValue(n, 'BinarySI').toString();
  return Quantity.fromValue(n, 'DecimalSI').toString();
}

/** Thousandths of a core the way kubectl shows cpu: 500 → "500m", 2000 → "2", 1500 → "1500m". */
export function formatMilliCpu(milli: number | bigint): string {
  return Quantity.fromMilli(milli, 'DecimalSI').toString();
}
