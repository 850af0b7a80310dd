// STUB — the model work fills this in (equality and set-based label selectors).
import type { LabelSelector } from './types.js';

export type Labels = Record<string, string>;

export interface Selector {
  matches(labels: Labels | undefined): boolean;
  isEmpty(): boolean;
  toString(): string;
}

const everything: Selector = { matches: () => true, isEmpty: () => true, toString: () => '' };

/** "app=web,tier in (a,b),!legacy" → Selector; throws ApiError('BadRequest') on bad syntax. */
export function parseLabelSelector(text: string): Selector {
  void text;
  return everything;
}

/** A LabelSelector object (matchLabels / matchExpressions) → Selector. Undefined/null matches nothing; {} matches everything (Kubernetes' rule). */
export function selectorFromLabelSelector(sel: LabelSelector | undefined | null): Selector {
  if (!sel) return { matches: () => false, isEmpty: () => false, toString: () => '<none>' };
  return everything;
}
