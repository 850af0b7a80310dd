// RBAC's matching rules, as pure functions with Kubernetes' exact semantics
// (pkg/apis/rbac/v1/evaluation_helpers.go, pkg/registry/rbac/validation): whether a rule
// allows a request, whether a binding's subject is a given user, and whether one set of rules
// covers another (the privilege-escalation check).
import { serviceAccountUsername, type PolicyRule, type Subject, type UserInfo } from '@tugboat/api';
import type { RequestAttributes } from '../authorizer.js';

/** Matches every verb, group, resource or path. */
export const ALL = '*';

/** What a rule is matched against: the request without its user. */
export type RuleRequest = Pick<RequestAttributes, 'verb' | 'resourceRequest' | 'apiGroup' | 'resource' | 'subresource' | 'name' | 'path'>;

const has = (list: readonly string[] | undefined, v: string): boolean => (list ?? []).includes(v);

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return has(rule.verbs, ALL) || has(rule.verbs, verb);
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return has(rule.apiGroups, ALL) || has(rule.apiGroups, group);
}

/**
 * `combined` is "pods" or "pods/status". A rule's "*" matches everything, subresources
 * included; "*\/status" matches the status subresource of every resource.
 */
export function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  for (const r of rule.resources ?? []) {
    if (r === ALL || r === combined) return true;
    if (subresource && r === `*/${subresource}`) return true;
  }
  return false;
}

/** A rule without resourceNames allows every name (and requests without one: list, create). */
export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  return !rule.resourceNames?.length || rule.resourceNames.includes(name);
}

/** "/healthz" matches itself; "/apis/*" matches every path starting with "/apis/". */
export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs ?? []) {
    if (u === ALL || u === path) return true;
    if (u.endsWith('*') && path.startsWith(u.replace(/\*+$/, ''))) return true;
  }
  return false;
}

/** Kubernetes' RuleAllows. */
export function ruleAllows(a: RuleRequest, rule: PolicyRule): boolean {
  if (!a.resourceRequest) return verbMatches(rule, a.verb) && nonResourceURLMatches(rule, a.path);
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return verbMatches(rule, a.verb)
    && apiGroupMatches(rule, a.apiGroup)
    && resourceMatches(rule, combined, a.subresource)
    && resourceNameMatches(rule, a.name);
}

/**
 * Whether a binding's subject is this user. A ServiceAccount subject without a namespace
 * means the binding's own namespace (so a RoleBinding need not repeat it); in a
 * ClusterRoleBinding (bindingNamespace "") it matches nobody. Groups such as
 * system:serviceaccounts:NS match through the groups the authenticator gave the user.
 */
export function appliesTo(user: UserInfo, subject: Subject, bindingNamespace: string): boolean {
  switch (subject.kind) {
    case 'User':
      return user.username === subject.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const ns = subject.namespace || bindingNamespace;
      return !!ns && user.username === serviceAccountUsername(ns, subject.name);
    }
    default:
      return false;
  }
}

/** The index of the first subject that is this user, or -1 (Kubernetes reports that one). */
export function firstApplyingSubject(user: UserInfo, subjects: readonly Subject[] | undefined, bindingNamespace: string): number {
  return (subjects ?? []).findIndex((s) => appliesTo(user, s, bindingNamespace));
}

/**
 * A rule split into rules of one group, resource, verb and (if any) name each — or one path
 * and verb — so each piece is either wholly covered by a single owner rule or not at all.
 */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs ?? []) {
        if (rule.resourceNames?.length) {
          for (const name of rule.resourceNames) out.push({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [name] });
        } else {
          out.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
        }
      }
    }
  }
  for (const url of rule.nonResourceURLs ?? []) {
    for (const verb of rule.verbs ?? []) out.push({ nonResourceURLs: [url], verbs: [verb] });
  }
  return out;
}

const hasAll = (owner: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean => {
  const set = new Set(owner ?? []);
  return (wanted ?? []).every((w) => set.has(w));
};

function nonResourceURLCovers(owner: string, path: string): boolean {
  return owner === path || (owner.endsWith('*') && path.startsWith(owner.replace(/\*+$/, '')));
}

/**
 * Whether one owner rule covers a broken-down rule. Wildcards cover only as Kubernetes'
 * comparator lets them: "*" covers any value, but "*\/status" in the owner covers only the
 * literal "*\/status", and an owner with resourceNames never covers a request without.
 */
function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = has(owner.verbs, ALL) || hasAll(owner.verbs, sub.verbs);
  const groups = has(owner.apiGroups, ALL) || hasAll(owner.apiGroups, sub.apiGroups);
  const resources = has(owner.resources, ALL) || hasAll(owner.resources, sub.resources);
  const urls = (sub.nonResourceURLs ?? []).every((p) => (owner.nonResourceURLs ?? []).some((o) => nonResourceURLCovers(o, p)));
  const names = sub.resourceNames?.length
    ? !owner.resourceNames?.length || hasAll(owner.resourceNames, sub.resourceNames)
    : !owner.resourceNames?.length;
  return verbs && groups && resources && urls && names;
}

/** Kubernetes' Covers: whether `owner` allows all that `requested` does, and the pieces it does not. */
export function covers(owner: readonly PolicyRule[], requested: readonly PolicyRule[]): { covered: boolean; missing: PolicyRule[] } {
  const missing: PolicyRule[] = [];
  for (const rule of requested) {
    for (const sub of breakdownRule(rule)) {
      if (!owner.some((o) => ruleCovers(o, sub))) missing.push(sub);
    }
  }
  return { covered: missing.length === 0, missing };
}

/** One group, one resource, verbs and nothing else: rules that can be merged by verb. */
function simpleResourceKey(rule: PolicyRule): string | undefined {
  if (rule.resourceNames?.length || rule.nonResourceURLs?.length) return undefined;
  if (rule.apiGroups?.length !== 1 || rule.resources?.length !== 1) return undefined;
  return `${rule.apiGroups[0]}\0${rule.resources[0]}`;
}

/** Kubernetes' CompactRules: broken-down rules of one group and resource merged back by verb, for messages. */
export function compactRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule>();
  for (const rule of rules) {
    const key = simpleResourceKey(rule);
    if (key === undefined) {
      out.push(rule);
      continue;
    }
    const merged = simple.get(key);
    if (merged) merged.verbs = [...merged.verbs, ...(rule.verbs ?? [])];
    else simple.set(key, { apiGroups: [...rule.apiGroups!], resources: [...rule.resources!], verbs: [...(rule.verbs ?? [])] });
  }
  return [...out, ...simple.values()];
}

/** Go's %q of a []string: `["a" "b"]` (the form Kubernetes' messages print lists in). */
export function goQuotedList(values: readonly string[]): string {
  return `[${values.map((v) => JSON.stringify(v)).join(' ')}]`;
}

/** Kubernetes' CompactString: `{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}`. */
export function compactString(rule: PolicyRule): string {
  const parts: string[] = [];
  if (rule.apiGroups?.length) parts.push(`APIGroups:${goQuotedList(rule.apiGroups)}`);
  if (rule.resources?.length) parts.push(`Resources:${goQuotedList(rule.resources)}`);
  if (rule.nonResourceURLs?.length) parts.push(`NonResourceURLs:${goQuotedList(rule.nonResourceURLs)}`);
  if (rule.resourceNames?.length) parts.push(`ResourceNames:${goQuotedList(rule.resourceNames)}`);
  if (rule.verbs?.length) parts.push(`Verbs:${goQuotedList(rule.verbs)}`);
  return `{${parts.join(', ')}}`;
}
