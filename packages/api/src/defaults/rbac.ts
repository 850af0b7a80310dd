// RBAC defaults (pkg/apis/rbac/v1/defaults.go): a subject's apiGroup is implied by its kind.
import type { Subject } from 'kubernetes-types/rbac/v1.js';

export function defaultSubjects(binding: { subjects?: Subject[] }): void {
  for (const s of binding.subjects ?? []) {
    if (s.apiGroup !== undefined && s.apiGroup !== '') continue;
    if (s.kind === 'User' || s.kind === 'Group') s.apiGroup = 'rbac.authorization.k8s.io';
    else if (s.kind === 'ServiceAccount') s.apiGroup = '';
  }
}
