// Role, ClusterRole, RoleBinding and ClusterRoleBinding validation (Kubernetes'
// pkg/apis/rbac/validation).
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject } from 'kubernetes-types/rbac/v1.js';
import { isDNS1123Subdomain, nameIsPathSegment } from '../names.js';
import { validateLabelSelector } from './meta.js';
import { child, each, index, invalid, notSupported, required, type Errs } from './field-errors.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

function validateRule(rule: PolicyRule, path: string, namespaced: boolean): Errs {
  const errs: Errs = [];
  if (!rule.verbs?.length) errs.push(required(child(path, 'verbs'), 'verbs must contain at least one value'));
  const nonResource = rule.nonResourceURLs ?? [];
  if (nonResource.length) {
    if (namespaced) errs.push(invalid(child(path, 'nonResourceURLs'), nonResource, 'namespaced rules cannot apply to non-resource URLs'));
    if (rule.apiGroups?.length || rule.resources?.length || rule.resourceNames?.length) {
      errs.push(invalid(child(path, 'nonResourceURLs'), nonResource, 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errs;
  }
  if (!rule.apiGroups?.length) errs.push(required(child(path, 'apiGroups'), 'resource rules must supply at least one api group'));
  if (!rule.resources?.length) errs.push(required(child(path, 'resources'), 'resource rules must supply at least one resource'));
  return errs;
}

function validateRules(rules: readonly PolicyRule[] | undefined, namespaced: boolean): Errs {
  return (rules ?? []).flatMap((r, i) => validateRule(r, index('rules', i), namespaced));
}

export function validateRole(role: Role): Errs {
  return validateRules(role.rules, true);
}

export function validateClusterRole(role: ClusterRole): Errs {
  const errs = validateRules(role.rules, false);
  const agg = role.aggregationRule;
  if (agg) {
    if (!agg.clusterRoleSelectors?.length) errs.push(required('aggregationRule.clusterRoleSelectors', 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
    (agg.clusterRoleSelectors ?? []).forEach((s, i) => errs.push(...validateLabelSelector(s, index('aggregationRule.clusterRoleSelectors', i))));
  }
  return errs;
}

function validateRoleRef(ref: RoleRef | undefined, allowedKinds: readonly string[]): Errs {
  if (!ref) return [required('roleRef')];
  const errs: Errs = [];
  if (ref.apiGroup !== RBAC_GROUP) errs.push(notSupported('roleRef.apiGroup', ref.apiGroup ?? '', [RBAC_GROUP]));
  if (!allowedKinds.includes(ref.kind)) errs.push(notSupported('roleRef.kind', ref.kind ?? '', allowedKinds));
  if (!ref.name) errs.push(required('roleRef.name'));
  else errs.push(...each('roleRef.name', ref.name, nameIsPathSegment(ref.name, false)));
  return errs;
}

function validateSubject(s: Subject, path: string, namespaced: boolean): Errs {
  const errs: Errs = [];
  if (!s.name) errs.push(required(child(path, 'name')));
  switch (s.kind) {
    case 'ServiceAccount':
      if (s.name) errs.push(...each(child(path, 'name'), s.name, isDNS1123Subdomain(s.name)));
      if (s.apiGroup) errs.push(notSupported(child(path, 'apiGroup'), s.apiGroup, ['']));
      if (!namespaced && !s.namespace) errs.push(required(child(path, 'namespace')));
      break;
    case 'User':
    case 'Group':
      if (s.apiGroup !== RBAC_GROUP) errs.push(notSupported(child(path, 'apiGroup'), s.apiGroup ?? '', [RBAC_GROUP]));
      break;
    default:
      errs.push(notSupported(child(path, 'kind'), s.kind ?? '', ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

export function validateRoleBinding(b: RoleBinding): Errs {
  return [
    ...validateRoleRef(b.roleRef, ['Role', 'ClusterRole']),
    ...(b.subjects ?? []).flatMap((s, i) => validateSubject(s, index('subjects', i), true)),
  ];
}

export function validateClusterRoleBinding(b: ClusterRoleBinding): Errs {
  return [
    ...validateRoleRef(b.roleRef, ['ClusterRole']),
    ...(b.subjects ?? []).flatMap((s, i) => validateSubject(s, index('subjects', i), false)),
  ];
}

/** A binding's role is fixed: to bind another role, make another binding (Kubernetes' rule). */
export function validateRoleRefUpdate(b: RoleBinding | ClusterRoleBinding, old: RoleBinding | ClusterRoleBinding): Errs {
  const a = b.roleRef;
  const o = old.roleRef;
  if (a?.apiGroup !== o?.apiGroup || a?.kind !== o?.kind || a?.name !== o?.name) {
    return [invalid('roleRef', a, 'cannot change roleRef')];
  }
  return [];
}

