// Field selectors, as k8s.io/apimachinery/pkg/fields: "spec.nodeName=node-1,status.phase!=Running".
// Only a few fields per kind can be selected on (the ones Kubernetes indexes), listed in
// FIELD_LABELS; objectFields() extracts exactly those from an object, so the API server,
// the watch filter and the informer all agree on what a selector sees.
import { ApiError, escapeControl } from './errors.js';
import type { KubeObject } from './types.js';

export interface FieldRequirement { field: string; operator: '=' | '!='; value: string }

export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  matches(fields: Record<string, string>): boolean;
  isEmpty(): boolean;
  toString(): string;
}

type FieldGetter = (obj: KubeObject) => string;

function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '';
}

function at(obj: unknown, ...path: string[]): unknown {
  let cur: unknown = obj;
  for (const p of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

const COMMON: Record<string, FieldGetter> = {
  'metadata.name': (o) => str(o.metadata?.name),
  'metadata.namespace': (o) => str(o.metadata?.namespace),
};

/** The selectable fields of each kind, with how to read each (Kubernetes' field label conversions). */
export const FIELD_LABELS: Readonly<Record<string, Readonly<Record<string, FieldGetter>>>> = {
  Pod: {
    'spec.nodeName': (o) => str(at(o, 'spec', 'nodeName')),
    'spec.restartPolicy': (o) => str(at(o, 'spec', 'restartPolicy')),
    'spec.schedulerName': (o) => str(at(o, 'spec', 'schedulerName')),
    'spec.serviceAccountName': (o) => str(at(o, 'spec', 'serviceAccountName')),
    'spec.hostNetwork': (o) => String(at(o, 'spec', 'hostNetwork') === true),
    'status.phase': (o) => str(at(o, 'status', 'phase')),
    'status.podIP': (o) => str(at(o, 'status', 'podIP')),
    'status.nominatedNodeName': (o) => str(at(o, 'status', 'nominatedNodeName')),
  },
  Node: {
    'spec.unschedulable': (o) => String(at(o, 'spec', 'unschedulable') === true),
  },
  Event: {
    'involvedObject.kind': (o) => str(at(o, 'involvedObject', 'kind')),
    'involvedObject.namespace': (o) => str(at(o, 'involvedObject', 'namespace')),
    'involvedObject.name': (o) => str(at(o, 'involvedObject', 'name')),
    'involvedObject.uid': (o) => str(at(o, 'involvedObject', 'uid')),
    'involvedObject.apiVersion': (o) => str(at(o, 'involvedObject', 'apiVersion')),
    'involvedObject.resourceVersion': (o) => str(at(o, 'involvedObject', 'resourceVersion')),
    'involvedObject.fieldPath': (o) => str(at(o, 'involvedObject', 'fieldPath')),
    reason: (o) => str(o['reason']),
    reportingComponent: (o) => str(o['reportingComponent']),
    source: (o) => str(at(o, 'source', 'component')),
    type: (o) => str(o['type']),
  },
  Secret: {
    type: (o) => str(o['type']),
  },
  ReplicaSet: {
    'status.replicas': (o) => String(typeof at(o, 'status', 'replicas') === 'number' ? at(o, 'status', 'replicas') : 0),
  },
  ReplicationController: {
    'status.replicas': (o) => String(typeof at(o, 'status', 'replicas') === 'number' ? at(o, 'status', 'replicas') : 0),
  },
  Namespace: {
    'status.phase': (o) => str(at(o, 'status', 'phase')),
  },
};

/** The field names a selector may use for this kind. */
export function supportedFields(kind: string): string[] {
  return [...Object.keys(COMMON), ...Object.keys(FIELD_LABELS[kind] ?? {})];
}

/** The selectable fields of an object: metadata.name, metadata.namespace, and per kind spec.nodeName, status.phase, … */
export function objectFields(obj: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  const getters = { ...COMMON, ...(FIELD_LABELS[obj.kind ?? ''] ?? {}) };
  for (const [field, get] of Object.entries(getters)) out[field] = get(obj);
  return out;
}

// Values may escape the three characters that are syntax: "\\", "\,", "\=".
export function escapeFieldValue(v: string): string {
  return v.replace(/[\\,=]/g, (c) => `\\${c}`);
}

function unescapeFieldValue(v: string, selector: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i] as string;
    if (c === '\\') {
      const n = v[i + 1];
      if (n !== '\\' && n !== ',' && n !== '=') throw bad(selector, `invalid escape sequence in value "${v}"`);
      out += n;
      i++;
    } else if (c === ',' || c === '=') {
      throw bad(selector, `invalid value "${v}": unescaped '${c}'`);
    } else {
      out += c;
    }
  }
  return out;
}

function bad(selector: string, why: string): ApiError {
  return new ApiError('BadRequest', `invalid field selector "${escapeControl(selector)}": ${escapeControl(why)}`);
}

/** Splits on commas that are not escaped. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\' && i + 1 < text.length) {
      cur += c + (text[i + 1] as string);
      i++;
    } else if (c === ',') {
      terms.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  terms.push(cur);
  return terms;
}

/** The first unescaped operator, trying "!=", "==", "=" at each position as Kubernetes does. */
function splitTerm(term: string): { field: string; op: '=' | '==' | '!='; value: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    if (term[i] === '\\') { i++; continue; }
    for (const op of ['!=', '==', '='] as const) {
      if (term.startsWith(op, i)) return { field: term.slice(0, i), op, value: term.slice(i + op.length) };
    }
  }
  return undefined;
}

class Fields implements FieldSelector {
  constructor(readonly requirements: readonly FieldRequirement[]) {}
  matches(fields: Record<string, string>): boolean {
    return this.requirements.every((r) => ((fields[r.field] ?? '') === r.value) === (r.operator === '='));
  }
  isEmpty(): boolean { return this.requirements.length === 0; }
  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator}${escapeFieldValue(r.value)}`).join(',');
  }
}

/** "spec.nodeName=node-1,status.phase!=Running"; throws ApiError('BadRequest') on bad syntax or an unsupported field. */
export function parseFieldSelector(text: string, kind?: string): FieldSelector {
  const allowed = kind === undefined ? undefined : new Set(supportedFields(kind));
  const reqs: FieldRequirement[] = [];
  // Kubernetes sorts the terms, which makes toString() canonical.
  for (const part of splitTerms(text).map((p) => p.trim()).sort()) {
    if (part === '') continue;
    const term = splitTerm(part);
    if (!term) throw bad(text, `can't understand '${part}'`);
    const field = term.field.trim();
    if (field === '') throw bad(text, `missing field name in '${part}'`);
    if (allowed && !allowed.has(field)) {
      throw new ApiError('BadRequest', `field label not supported: ${escapeControl(field)}${kind ? ` (${kind} supports ${[...allowed].join(', ')})` : ''}`);
    }
    reqs.push({ field, operator: term.op === '!=' ? '!=' : '=', value: unescapeFieldValue(term.value, text) });
  }
  return new Fields(reqs);
}

/** True when the object matches the selector (an empty one matches everything). */
export function matchesFieldSelector(obj: KubeObject, selector: FieldSelector): boolean {
  return selector.isEmpty() || selector.matches(objectFields(obj));
}
