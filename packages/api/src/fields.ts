// STUB — the model work fills this in (field selectors).
import type { KubeObject } from './types.js';

export interface FieldRequirement { field: string; operator: '=' | '!='; value: string }

export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  matches(fields: Record<string, string>): boolean;
  isEmpty(): boolean;
  toString(): string;
}

/** "spec.nodeName=node-1,status.phase!=Running"; throws ApiError('BadRequest') on bad syntax or an unsupported field. */
export function parseFieldSelector(text: string, kind?: string): FieldSelector {
  void text; void kind;
  return { requirements: [], matches: () => true, isEmpty: () => true, toString: () => '' };
}

/** The selectable fields of an object: metadata.name, metadata.namespace, and per kind spec.nodeName, status.phase, … */
export function objectFields(obj: KubeObject): Record<string, string> {
  return { 'metadata.name': obj.metadata?.name ?? '', 'metadata.namespace': obj.metadata?.namespace ?? '' };
}
