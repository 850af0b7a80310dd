// Label selectors, as k8s.io/apimachinery/pkg/labels: the text form users type
// ("app=web,tier in (a,b),!legacy") and the object form of manifests (matchLabels /
// matchExpressions). Both become one Selector: a list of requirements, all of which must
// hold. The scanner and parser follow Kubernetes' grammar, so the same strings are accepted
// and the canonical toString() is the one Kubernetes prints (requirements sorted by key,
// set values sorted).
import { ApiError, escapeControl } from './errors.js';
import { isQualifiedName, isValidLabelValue } from './names.js';
import type { LabelSelector } from './types.js';

export type Labels = Record<string, string>;

export interface Selector {
  matches(labels: Labels | undefined): boolean;
  isEmpty(): boolean;
  toString(): string;
}

export type Operator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!';

export interface Requirement {
  readonly key: string;
  readonly operator: Operator;
  /** Sorted, without duplicates; empty for exists / does-not-exist. */
  readonly values: readonly string[];
}

function has(labels: Labels | undefined, key: string): boolean {
  return labels !== undefined && Object.prototype.hasOwnProperty.call(labels, key);
}

export function requirementMatches(r: Requirement, labels: Labels | undefined): boolean {
  switch (r.operator) {
    case '=':
    case '==':
    case 'in':
      return has(labels, r.key) && r.values.includes(labels?.[r.key] as string);
    case '!=':
    case 'notin':
      return !has(labels, r.key) || !r.values.includes(labels?.[r.key] as string);
    case 'exists':
      return has(labels, r.key);
    case '!':
      return !has(labels, r.key);
  }
}

export function requirementToString(r: Requirement): string {
  switch (r.operator) {
    case 'exists': return r.key;
    case '!': return `!${r.key}`;
    case 'in':
    case 'notin': return `${r.key} ${r.operator} (${r.values.join(',')})`;
    case '=':
    case '==':
    case '!=': return `${r.key}${r.operator}${r.values[0] ?? ''}`;
  }
}

/** A selector made of requirements, all of which must match. Empty: matches everything. */
export class LabelSelectorRequirements implements Selector {
  readonly requirements: readonly Requirement[];
  constructor(requirements: readonly Requirement[]) {
    // Kubernetes keeps requirements sorted by key; the sort is stable so equal keys keep their order.
    this.requirements = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
  matches(labels: Labels | undefined): boolean {
    return this.requirements.every((r) => requirementMatches(r, labels));
  }
  isEmpty(): boolean { return this.requirements.length === 0; }
  toString(): string { return this.requirements.map(requirementToString).join(','); }
}

/** Matches every object: the empty selector. */
export const EVERYTHING: Selector = new LabelSelectorRequirements([]);

/** Matches no object: what a missing (null) LabelSelector means in Kubernetes. */
export const NOTHING: Selector = { matches: () => false, isEmpty: () => false, toString: () => '<none>' };

function bad(message: string): ApiError {
  return new ApiError('BadRequest', message);
}

/** Builds a requirement, checking key, values and arity as Kubernetes' NewRequirement does. */
export function newRequirement(key: string, operator: Operator, values: readonly string[]): Requirement {
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length) throw bad(`invalid label key "${key}": ${keyErrs.join('; ')}`);
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) throw bad(`for 'in', 'notin' operators, values set can't be empty (key "${key}")`);
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) throw bad(`exact-match compatibility requires one single value (key "${key}")`);
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) throw bad(`values set must be empty for exists and does not exist (key "${key}")`);
      break;
  }
  for (const v of values) {
    const errs = isValidLabelValue(v);
    if (errs.length) throw bad(`invalid label value: "${v}": at key: "${key}": ${errs.join('; ')}`);
  }
  return { key, operator, values: [...new Set(values)].sort() };
}

// ---- scanner -------------------------------------------------------------------------

type Token =
  | 'end' | 'identifier' | 'in' | 'notin' | '(' | ')' | ',' | '!' | '=' | '==' | '!=' | '<' | '>';

interface Lexeme { token: Token; literal: string }

const SPECIAL = new Set(['=', '!', '(', ')', ',', '>', '<']);
const OPERATORS = new Map<string, Token>([['!', '!'], ['!=', '!='], ['(', '('], [')', ')'], [',', ','], ['<', '<'], ['=', '='], ['==', '=='], ['>', '>']]);

function isWhitespace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

function scan(text: string): Lexeme[] {
  const out: Lexeme[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (isWhitespace(c)) { i++; continue; }
    if (SPECIAL.has(c)) {
      // The longest run of symbol characters that is still an operator ("!=" rather than "!").
      let j = i + 1;
      while (j < text.length && SPECIAL.has(text[j] as string) && OPERATORS.has(text.slice(i, j + 1))) j++;
      const lit = text.slice(i, j);
      out.push({ token: OPERATORS.get(lit) ?? 'identifier', literal: lit });
      i = j;
      continue;
    }
    let j = i;
    while (j < text.length && !isWhitespace(text[j] as string) && !SPECIAL.has(text[j] as string)) j++;
    const lit = text.slice(i, j);
    out.push({ token: lit === 'in' ? 'in' : lit === 'notin' ? 'notin' : 'identifier', literal: lit });
    i = j;
  }
  out.push({ token: 'end', literal: '' });
  return out;
}

// ---- parser --------------------------------------------------------------------------

class Parser {
  private pos = 0;
  constructor(private readonly lexemes: Lexeme[]) {}

  /** In value position "in" and "notin" are plain words (a label may be called "in"). */
  private peek(asValue: boolean): Lexeme {
    const l = this.lexemes[this.pos] ?? { token: 'end', literal: '' };
    return asValue && (l.token === 'in' || l.token === 'notin') ? { token: 'identifier', literal: l.literal } : l;
  }

  private next(asValue: boolean): Lexeme {
    const l = this.peek(asValue);
    if (this.pos < this.lexemes.length - 1) this.pos++;
    return l;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const l = this.peek(true);
      if (l.token === 'end') return reqs;
      if (l.token !== 'identifier' && l.token !== '!') throw bad(`unable to parse requirement: found '${l.literal}', expected: !, identifier, or 'end of string'`);
      reqs.push(this.requirement());
      const after = this.next(true);
      if (after.token === 'end') return reqs;
      if (after.token !== ',') throw bad(`found '${after.literal}', expected: ',' or 'end of string'`);
      const t2 = this.peek(true);
      if (t2.token !== 'identifier' && t2.token !== '!') throw bad(`found '${t2.literal}', expected: identifier after ','`);
    }
  }

  private requirement(): Requirement {
    let first = this.next(true);
    let doesNotExist = false;
    if (first.token === '!') {
      doesNotExist = true;
      first = this.next(true);
    }
    if (first.token !== 'identifier') throw bad(`unable to parse requirement: found '${first.literal}', expected: identifier`);
    const key = first.literal;
    const after = this.peek(true).token;
    if (after === 'end' || after === ',') return newRequirement(key, doesNotExist ? '!' : 'exists', []);
    if (doesNotExist) throw bad(`unable to parse requirement: found '${this.peek(true).literal}', expected: ',' or 'end of string' after '!${key}'`);
    const op = this.next(false);
    switch (op.token) {
      case 'in':
      case 'notin':
        return newRequirement(key, op.token, this.values(key));
      case '=':
      case '==':
      case '!=':
        return newRequirement(key, op.token, [this.exactValue()]);
      default:
        throw bad(`unable to parse requirement: found '${op.literal}', expected: in, notin, =, ==, != (after key "${key}")`);
    }
  }

  private values(key: string): string[] {
    const open = this.next(true);
    if (open.token !== '(') throw bad(`unable to parse requirement: found '${open.literal}', expected: '(' after 'in'/'notin' (key "${key}")`);
    const values: string[] = [];
    const l = this.peek(true);
    if (l.token === ')') {
      this.next(true);
      return [''];
    }
    if (l.token !== 'identifier' && l.token !== ',') throw bad(`unable to parse requirement: found '${l.literal}', expected: ',', ')' or identifier`);
    // Kubernetes reads empty slots in "(a,,b)" or "(,a)" as the empty value.
    let expectValue = true;
    for (;;) {
      const t = this.next(true);
      if (t.token === 'identifier') {
        values.push(t.literal);
        expectValue = false;
        const t2 = this.peek(true);
        if (t2.token === ',') continue;
        if (t2.token === ')') { this.next(true); return values; }
        throw bad(`unable to parse requirement: found '${t2.literal}', expected: ',' or ')'`);
      }
      if (t.token === ',') {
        if (expectValue) values.push('');
        expectValue = true;
        if (this.peek(true).token === ')') { values.push(''); this.next(true); return values; }
        continue;
      }
      throw bad(`unable to parse requirement: found '${t.literal}', expected: ',', or identifier`);
    }
  }

  private exactValue(): string {
    const l = this.peek(true);
    if (l.token === 'end' || l.token === ',') return '';
    const t = this.next(true);
    if (t.token === 'identifier') return t.literal;
    throw bad(`unable to parse requirement: found '${t.literal}', expected: identifier`);
  }
}

/** "app=web,tier in (a,b),!legacy" → Selector; throws ApiError('BadRequest') on bad syntax. */
export function parseLabelSelector(text: string): Selector {
  try {
    return new LabelSelectorRequirements(new Parser(scan(text)).parse());
  } catch (err) {
    if (err instanceof ApiError) throw new ApiError('BadRequest', `invalid label selector "${escapeControl(text)}": ${escapeControl(err.message)}`);
    throw err;
  }
}

/** Equality requirements for every pair of a label map (Kubernetes' SelectorFromSet). */
export function selectorFromSet(labels: Labels | undefined): Selector {
  return new LabelSelectorRequirements(Object.entries(labels ?? {}).map(([k, v]) => newRequirement(k, '=', [v])));
}

/**
 * A LabelSelector object (matchLabels / matchExpressions) → Selector. Undefined/null matches
 * nothing; {} matches everything (Kubernetes' rule). Throws ApiError('BadRequest') when invalid.
 */
export function selectorFromLabelSelector(sel: LabelSelector | undefined | null): Selector {
  if (!sel) return NOTHING;
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push(newRequirement(k, '=', [v]));
  for (const e of sel.matchExpressions ?? []) {
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In': reqs.push(newRequirement(e.key, 'in', values)); break;
      case 'NotIn': reqs.push(newRequirement(e.key, 'notin', values)); break;
      case 'Exists': reqs.push(newRequirement(e.key, 'exists', values)); break;
      case 'DoesNotExist': reqs.push(newRequirement(e.key, '!', values)); break;
      default: throw bad(`"${e.operator}" is not a valid label selector operator`);
    }
  }
  return new LabelSelectorRequirements(reqs);
}

/** "app=web,tier=db" for a label map, sorted by key (how kubectl prints a set of labels). */
export function formatLabels(labels: Labels | undefined): string {
  return Object.keys(labels ?? {}).sort().map((k) => `${k}=${labels?.[k] ?? ''}`).join(',');
}
