// RBAC object types, and the one piece of RBAC logic that both the API server (bootstrap
// policy) and the controller manager (clusterrole-aggregation) need: the rules an aggregated
// ClusterRole holds. Kept here, once, so the server and the controller agree rule for rule.
import type {
  AggregationRule, ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
} from 'kubernetes-types/rbac/v1.js';
import { selectorFromLabelSelector } from '../labels.js';

export type { AggregationRule, ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject };
export { RBAC_GROUP } from '../validation/rbac.js';

/** Absent and empty lists mean the same in a rule (Kubernetes compares them semantically). */
function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Field-by-field equality of two rules, order included (Kubernetes' semantic DeepEqual). */
export function rulesEqual(a: PolicyRule, b: PolicyRule): boolean {
  return sameList(a.verbs, b.verbs) && sameList(a.apiGroups, b.apiGroups) && sameList(a.resources, b.resources)
    && sameList(a.resourceNames, b.resourceNames) && sameList(a.nonResourceURLs, b.nonResourceURLs);
}

export function ruleListsEqual(a: readonly PolicyRule[] | undefined, b: readonly PolicyRule[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((r, i) => rulesEqual(r, y[i]!));
}

/**
 * The rules of an aggregated ClusterRole, as Kubernetes' clusterrole-aggregation controller
 * computes them: for each selector in turn, the ClusterRoles it matches (by name, never the
 * role itself), each of their rules once. Undefined for a role without an aggregationRule.
 */
export function aggregatedRules(role: ClusterRole, clusterRoles: Iterable<ClusterRole>): PolicyRule[] | undefined {
  if (!role.aggregationRule) return undefined;
  const selectors = role.aggregationRule.clusterRoleSelectors ?? [];
  const self = role.metadata?.name ?? '';
  // Byte order, as Go sorts names (localeCompare would order ':' and capitals differently).
  const nameOf = (r: ClusterRole): string => r.metadata?.name ?? '';
  const byName = [...clusterRoles].sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0));
  const out: PolicyRule[] = [];
  for (const s of selectors) {
    const selector = selectorFromLabelSelector(s);
    for (const other of byName) {
      if (nameOf(other) === self || !selector.matches(other.metadata?.labels)) continue;
      for (const rule of other.rules ?? []) {
        if (!out.some((r) => rulesEqual(r, rule))) out.push(structuredClone(rule));
      }
    }
  }
  return out;
}
