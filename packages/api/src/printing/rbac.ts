// Roles, ClusterRoles and their bindings, with the columns of Kubernetes' printRole and
// printRoleBinding: roles show when they were created (not an age), bindings their role
// and, with -o wide, their subjects.
import type { RoleBinding, Subject } from 'kubernetes-types/rbac/v1.js';
import type { KubeObject } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, column, created, wide, type KindPrinter } from './columns.js';

/** RFC 3339 in UTC to the second, as Go's time.RFC3339 prints it; Go's zero time when unset. */
function createdAt(o: KubeObject): string {
  const t = Date.parse(o.metadata?.creationTimestamp ?? '');
  return Number.isNaN(t) ? '0001-01-01T00:00:00Z' : new Date(t).toISOString().replace(/\.\d+Z$/, 'Z');
}

const roles: KindPrinter = {
  columns: [NAME_COLUMN, column('Created At', 'date', 'CreationTimestamp is a timestamp representing the server time when this object was created.')],
  row: (o) => [o.metadata?.name ?? '', createdAt(o)],
};
export { roles, roles as clusterroles };

function subjects(list: readonly Subject[] | undefined, kind: Subject['kind']): string {
  return (list ?? []).filter((s) => s.kind === kind).map((s) => (kind === 'ServiceAccount' && s.namespace ? `${s.namespace}/${s.name}` : s.name)).join(', ');
}

export const rolebindings: KindPrinter = {
  columns: [
    NAME_COLUMN,
    column('Role', 'string', 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.'),
    AGE_COLUMN,
    wide(column('Users', 'string', 'Users in the roleBinding')),
    wide(column('Groups', 'string', 'Groups in the roleBinding')),
    wide(column('ServiceAccounts', 'string', 'ServiceAccounts in the roleBinding')),
  ],
  row(o, { now }) {
    const b = o as unknown as RoleBinding;
    return [
      o.metadata?.name ?? '', `${b.roleRef?.kind ?? ''}/${b.roleRef?.name ?? ''}`, created(o, now),
      subjects(b.subjects, 'User'), subjects(b.subjects, 'Group'), subjects(b.subjects, 'ServiceAccount'),
    ];
  },
};
export { rolebindings as clusterrolebindings };
