// Small constructors for FieldError and field paths, so validators read like Kubernetes'
// (field.Required(path, ""), field.Invalid(path, value, msg), …).
import type { FieldError } from '../errors.js';

export type Errs = FieldError[];

export function required(path: string, detail?: string): FieldError {
  return detail ? { path, type: 'Required', detail } : { path, type: 'Required' };
}

export function invalid(path: string, value: unknown, detail: string): FieldError {
  return { path, type: 'Invalid', value, detail };
}

/** `Unsupported value: "X": supported values: "A", "B"` */
export function notSupported(path: string, value: unknown, supported: readonly string[]): FieldError {
  return { path, type: 'NotSupported', value, detail: `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` };
}

export function forbidden(path: string, detail: string): FieldError {
  return { path, type: 'Forbidden', detail };
}

export function duplicate(path: string, value: unknown): FieldError {
  return { path, type: 'Duplicate', value };
}

export function tooLong(path: string, max: number): FieldError {
  return { path, type: 'TooLong', detail: `may not be more than ${max} bytes` };
}

export function tooMany(path: string, actual: number, max: number): FieldError {
  return { path, type: 'TooMany', detail: `${actual}: must have at most ${max} items` };
}

export function child(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}

/** A map key in a path: `requests.cpu`, but `limits[example.com/gpu]`, `data[config.yaml]`. */
export function key(path: string, k: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(k) ? child(path, k) : `${path}[${k}]`;
}

/** Each message of a syntax check as an Invalid error on one path. */
export function each(path: string, value: unknown, messages: readonly string[]): Errs {
  return messages.map((m) => invalid(path, value, m));
}

export function nonNegative(path: string, value: number | undefined): Errs {
  return value !== undefined && value < 0 ? [invalid(path, value, 'must be greater than or equal to 0')] : [];
}

export function positive(path: string, value: number | undefined): Errs {
  return value !== undefined && value <= 0 ? [invalid(path, value, 'must be greater than 0')] : [];
}

export function oneOf(path: string, value: string | undefined, allowed: readonly string[]): Errs {
  return value !== undefined && !allowed.includes(value) ? [notSupported(path, value, allowed)] : [];
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
