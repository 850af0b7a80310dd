// Kubernetes' privilege-escalation prevention for RBAC writes (pkg/registry/rbac/*/policybased):
// nobody can grant, through a role or a binding, more than they hold themselves, unless they
// were explicitly given that power.
//
//   Role / ClusterRole          allowed if the user may `escalate` it, or already holds every
//                                rule it grants (in its namespace; cluster-wide for a
//                                ClusterRole). An aggregationRule gathers anything, so setting or
//                                keeping one needs full authority (* on *.*, and * on every path).
//   RoleBinding / ClusterRole-  allowed if the user may `bind` the role it refers to, or holds
//   Binding                      every rule of that role (in the binding's namespace /
//                                cluster-wide).
//   system:masters              always allowed.
//
// The API server calls checkRbacWrite before it creates or updates an RBAC object; an answer
// is the error to return instead of writing.
import {
  ApiError, GROUP_MASTERS, RBAC_GROUP, type ClusterRole, type KubeObject, type PolicyRule, type RoleBinding, type RoleRef,
  type UserInfo,
} from '@tugboat/api';
import type { RequestAttributes } from '../authorizer.js';
import { compactRules, compactString, covers, goQuotedList } from './rules.js';

export interface RbacWriteCheck {
  readonly user: UserInfo;
  /** The Role, ClusterRole, RoleBinding or ClusterRoleBinding about to be written; other kinds pass. */
  readonly object: KubeObject;
  /** On update, the stored object: a change to owner references and finalizers only (the garbage collector's) passes. */
  readonly oldObject?: KubeObject;
  /** The request's namespace; "" for cluster-scoped objects. */
  readonly namespace: string;
  /** Whether the user may do what `attrs` describe (the server's whole authorizer chain). */
  authorize(attrs: RequestAttributes): boolean | Promise<boolean>;
  /** The RBAC rules that apply to `user` in `namespace` ("" : cluster-wide ones). */
  rulesFor(user: UserInfo, namespace: string): readonly PolicyRule[] | Promise<readonly PolicyRule[]>;
  /** The rules of the role a binding in `namespace` refers to; undefined when there is no such role. */
  lookupRole(ref: RoleRef, namespace: string): readonly PolicyRule[] | undefined | Promise<readonly PolicyRule[] | undefined>;
}

/** Everything: what it takes to set an aggregationRule. */
const FULL_AUTHORITY: readonly PolicyRule[] = [
  { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
  { nonResourceURLs: ['*'], verbs: ['*'] },
];

export type RbacKind = 'Role' | 'ClusterRole' | 'RoleBinding' | 'ClusterRoleBinding';

const RESOURCE: Record<RbacKind, string> = {
  Role: 'roles',
  ClusterRole: 'clusterroles',
  RoleBinding: 'rolebindings',
  ClusterRoleBinding: 'clusterrolebindings',
};

function rbacKind(obj: KubeObject): RbacKind | undefined {
  if (obj.apiVersion !== `${RBAC_GROUP}/v1`) return undefined;
  switch (obj.kind) {
    case 'Role':
    case 'ClusterRole':
    case 'RoleBinding':
    case 'ClusterRoleBinding':
      return obj.kind;
    default:
      return undefined;
  }
}

function resourceAttrs(user: UserInfo, verb: string, resource: string, namespace: string, name: string, apiGroup = RBAC_GROUP): RequestAttributes {
  return { user, verb, resourceRequest: true, apiGroup, resource, subresource: '', namespace, name, path: '' };
}

/** Kubernetes' IsOnlyMutatingGCFields: the update changes nothing but ownerReferences and finalizers. */
function onlyGcFieldsChange(obj: KubeObject, old: KubeObject): boolean {
  const strip = (o: KubeObject): unknown => {
    const { ownerReferences: _o, finalizers: _f, resourceVersion: _r, ...meta } = o.metadata ?? {};
    void _o; void _f; void _r;
    return { ...o, metadata: meta };
  };
  return canonical(strip(obj)) === canonical(strip(old));
}

/** JSON with object keys sorted, so key order does not make two equal objects differ. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, value: unknown) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}

function forbidden(kind: RbacKind, name: string, why: string): ApiError {
  const resource = `${RESOURCE[kind]}.${RBAC_GROUP}`;
  return new ApiError('Forbidden', name ? `${resource} "${name}" is forbidden: ${why}` : `${resource} is forbidden: ${why}`);
}

/**
 * Kubernetes' ConfirmNoEscalation: the Forbidden error naming what the user would grant without
 * holding it, or undefined. Kubernetes puts each missing rule on its own line; here they are
 * one line, separated by spaces.
 */
export function escalationError(kind: RbacKind, name: string, user: UserInfo, owner: readonly PolicyRule[], granted: readonly PolicyRule[]): ApiError | undefined {
  const { covered, missing } = covers(owner, granted);
  if (covered) return undefined;
  const descriptions = [...new Set(compactRules(missing).map(compactString))].sort();
  return forbidden(kind, name,
    `user "${user.username}" (groups=${goQuotedList(user.groups)}) is attempting to grant RBAC permissions not currently held: ${descriptions.join(' ')}`);
}

export async function checkRbacWrite(c: RbacWriteCheck): Promise<ApiError | undefined> {
  const kind = rbacKind(c.object);
  if (!kind || c.user.groups.includes(GROUP_MASTERS)) return undefined;
  if (c.oldObject && onlyGcFieldsChange(c.object, c.oldObject)) return undefined;
  const name = c.object.metadata?.name ?? '';
  switch (kind) {
    case 'Role':
    case 'ClusterRole': {
      const namespace = kind === 'Role' ? c.namespace : '';
      if (await c.authorize(resourceAttrs(c.user, 'escalate', RESOURCE[kind], namespace, name))) return undefined;
      const owner = await c.rulesFor(c.user, namespace);
      const granted = (c.object.rules ?? []) as PolicyRule[];
      const err = escalationError(kind, name, c.user, owner, granted);
      if (err) return err;
      const aggregated = (o: KubeObject | undefined): boolean => !!(o as ClusterRole | undefined)?.aggregationRule?.clusterRoleSelectors?.length;
      if (kind === 'ClusterRole' && (aggregated(c.object) || aggregated(c.oldObject)) && !covers(owner, FULL_AUTHORITY).covered) {
        return forbidden(kind, name, 'must have cluster-admin privileges to use the aggregationRule');
      }
      return undefined;
    }
    case 'RoleBinding':
    case 'ClusterRoleBinding': {
      const namespace = kind === 'RoleBinding' ? c.namespace : '';
      const ref = (c.object as RoleBinding & KubeObject).roleRef;
      // Binding a role is authorized where the binding lives: delegation can be per namespace.
      const refResource = ref.kind === 'Role' ? 'roles' : ref.kind === 'ClusterRole' ? 'clusterroles' : undefined;
      if (refResource && await c.authorize(resourceAttrs(c.user, 'bind', refResource, namespace, ref.name, ref.apiGroup))) return undefined;
      const granted = await c.lookupRole(ref, namespace);
      if (!granted) return ApiError.notFound(`${refResource ?? ref.kind.toLowerCase()}.${RBAC_GROUP}`, ref.name);
      return escalationError(kind, name, c.user, await c.rulesFor(c.user, namespace), granted);
    }
  }
}
