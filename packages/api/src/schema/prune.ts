// Walks an object against the known-field table (generated from Kubernetes' own types):
// drops fields Kubernetes does not define (one warning each, as kubectl shows them), drops
// nulls (JSON's "not set"), checks each value's JSON type, and rewrites quantities to their
// canonical text ("1000m" → "1", 2 → "2"), as Kubernetes does when it stores them. A value of
// the wrong type is an error and is removed, so later validators only see well-typed data.
import { escapeControl, type FieldError } from '../errors.js';
import { parseQuantity } from '../quantity.js';
import { child, index, invalid, isPlainObject, key, required } from '../validation/field-errors.js';
import { KNOWN_FIELDS } from './known-fields.js';

type FieldType =
  | { t: 'string' | 'int' | 'bool' | 'quantity' | 'time' | 'intOrString' | 'any' }
  | { t: 'list'; of: FieldType }
  | { t: 'map'; of: FieldType }
  | { t: 'ref'; name: string };

interface ParsedField { type: FieldType; required: boolean }

const parsedTypes = new Map<string, Map<string, ParsedField>>();

function parseType(text: string): FieldType {
  if (text.startsWith('[]')) return { t: 'list', of: parseType(text.slice(2)) };
  if (text.startsWith('map[') && text.endsWith(']')) return { t: 'map', of: parseType(text.slice(4, -1)) };
  switch (text) {
    case 'string': case 'int': case 'bool': case 'quantity': case 'time': case 'intOrString': case 'any':
      return { t: text };
    default:
      return { t: 'ref', name: text };
  }
}

function fieldsOf(typeName: string): Map<string, ParsedField> {
  let fields = parsedTypes.get(typeName);
  if (!fields) {
    const raw = KNOWN_FIELDS[typeName];
    if (!raw) throw new Error(`no schema for type ${typeName}`);
    fields = new Map(Object.entries(raw).map(([name, spec]) => {
      const req = spec.startsWith('!');
      return [name, { type: parseType(req ? spec.slice(1) : spec), required: req }];
    }));
    parsedTypes.set(typeName, fields);
  }
  return fields;
}

export function hasSchema(typeName: string): boolean {
  return KNOWN_FIELDS[typeName] !== undefined;
}

/** The known field names of a schema type (for tests and tooling). */
export function knownFields(typeName: string): string[] {
  return [...fieldsOf(typeName).keys()];
}

export interface PruneResult {
  errors: FieldError[];
  warnings: string[];
  /** Paths whose value was removed for having the wrong type: "Required" there would only repeat it. */
  removed: string[];
}

// RFC 3339 as Kubernetes' metav1.Time / MicroTime accept it.
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

class Walker {
  readonly result: PruneResult = { errors: [], warnings: [], removed: [] };

  /** Checks `value` against `type`; returns the value to keep, or undefined to drop it. */
  walk(value: unknown, type: FieldType, path: string, inStatus: boolean): unknown {
    switch (type.t) {
      case 'any':
        return value;
      case 'string':
        return typeof value === 'string' ? value : this.wrong(path, value, 'must be a string');
      case 'int':
        return typeof value === 'number' && Number.isSafeInteger(value) ? value : this.wrong(path, value, 'must be an integer');
      case 'bool':
        return typeof value === 'boolean' ? value : this.wrong(path, value, 'must be a boolean');
      case 'intOrString':
        if (typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value))) return value;
        return this.wrong(path, value, 'must be an integer or a string');
      case 'time':
        return typeof value === 'string' && RFC3339.test(value) ? value : this.wrong(path, value, 'must be a time in RFC 3339 format (e.g. 2006-01-02T15:04:05Z)');
      case 'quantity':
        if (typeof value !== 'string' && typeof value !== 'number') return this.wrong(path, value, 'must be a quantity (e.g. "500m", "128Mi")');
        try {
          return parseQuantity(value).toString();
        } catch (err) {
          return this.wrong(path, value, (err as Error).message);
        }
      case 'list': {
        if (!Array.isArray(value)) return this.wrong(path, value, 'must be a list');
        const out: unknown[] = [];
        value.forEach((item, i) => {
          // A null element cannot be dropped without shifting every later index, so it is an error.
          if (item === null) { this.wrong(index(path, i), item, 'must not be null'); return; }
          const kept = this.walk(item, type.of, index(path, i), inStatus);
          if (kept !== undefined) out.push(kept);
        });
        return out;
      }
      case 'map': {
        if (!isPlainObject(value)) return this.wrong(path, value, 'must be an object');
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) {
          if (v === null) continue;
          const kept = this.walk(v, type.of, key(path, k), inStatus);
          if (kept !== undefined) out[k] = kept;
        }
        return out;
      }
      case 'ref':
        return this.object(value, type.name, path, inStatus);
    }
  }

  object(value: unknown, typeName: string, path: string, inStatus: boolean): Record<string, unknown> | undefined {
    if (!isPlainObject(value)) return this.wrong(path, value, 'must be an object') as undefined;
    const fields = fieldsOf(typeName);
    const out: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(value)) {
      const field = fields.get(name);
      const p = child(path, name);
      if (!field) {
        this.result.warnings.push(`unknown field "${escapeControl(p)}"`);
        continue;
      }
      if (v === null || v === undefined) continue;
      const kept = this.walk(v, field.type, p, inStatus || (path === '' && name === 'status'));
      if (kept !== undefined) out[name] = kept;
    }
    // Status is written by components, not people; Kubernetes does not hold it to the
    // OpenAPI "required" list, and neither do we. Top-level metadata is checked by name.
    if (!inStatus) {
      for (const [name, field] of fields) {
        if (!field.required || (path === '' && name === 'metadata')) continue;
        const v = out[name];
        if (v === undefined || v === '') this.result.errors.push(required(child(path, name)));
      }
    }
    return out;
  }

  private wrong(path: string, value: unknown, detail: string): undefined {
    this.result.errors.push(invalid(path, value, detail));
    this.result.removed.push(path);
    return undefined;
  }
}

/**
 * Prunes and type-checks `obj` (a top-level object of schema type `typeName`) in a copy.
 * `only` limits the walk to some top-level fields (a status write checks just "status").
 */
export function pruneObject(obj: Record<string, unknown>, typeName: string, only?: readonly string[]): { object: Record<string, unknown>; result: PruneResult } {
  const w = new Walker();
  const input = only ? Object.fromEntries(Object.entries(obj).filter(([k]) => only.includes(k))) : obj;
  const object = w.object(input, typeName, '', only !== undefined) ?? {};
  return { object, result: w.result };
}
