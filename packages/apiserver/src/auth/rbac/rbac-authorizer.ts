// Kubernetes' RBAC authorizer. A user may do what the rules of the roles bound to them allow:
// ClusterRoleBindings everywhere, RoleBindings only in their own namespace (one that refers to
// a ClusterRole grants its rules in that namespace only). RBAC only ever allows: anything no
// rule allows gets no opinion, and the chain turns it down.
//
//   request ─▶ bindings of this user, of each of its groups (one index look-up each)
//           ─▶ their roles' rules (store look-ups) ─▶ first rule that allows ─▶ allow + reason
//
// Bindings are indexed by subject, and the index is rebuilt only when a binding store's
// generation moves, so a request costs a few map look-ups however many bindings there are.
// Roles are read from their stores per request (a map look-up), so an edited role counts at once.
import {
  RBAC_GROUP, serviceAccountUsername, type ClusterRole, type ClusterRoleBinding, type KubeObject, type PolicyRule, type Role, type RoleBinding,
  type RoleRef, type Subject, type UserInfo,
} from '@tugboat/api';
import type { ObjectStore } from '../../cache/object-store.js';
import { allow, noOpinion, type Authorizer, type Decision, type RequestAttributes } from '../authorizer.js';
import { firstApplyingSubject, ruleAllows } from './rules.js';

export type RoleObject = Role & KubeObject;
export type ClusterRoleObject = ClusterRole & KubeObject;
export type RoleBindingObject = RoleBinding & KubeObject;
export type ClusterRoleBindingObject = ClusterRoleBinding & KubeObject;

export interface RbacStores {
  readonly roles: ObjectStore;
  readonly clusterRoles: ObjectStore;
  readonly roleBindings: ObjectStore;
  readonly clusterRoleBindings: ObjectStore;
}

/** A binding as indexed: ClusterRoleBindings have namespace "". `order` keeps the store's order. */
interface Bound {
  readonly kind: 'ClusterRoleBinding' | 'RoleBinding';
  readonly name: string;
  readonly namespace: string;
  readonly roleRef: RoleRef;
  readonly subjects: readonly Subject[];
  readonly order: number;
}

/** Where a rule came from, for the reason of an allow. */
interface Source {
  readonly binding: Bound;
  readonly subject: Subject;
}

/** The rules that apply to a user, and what could not be resolved (a binding to a missing role). */
export interface ResolvedRules {
  readonly rules: PolicyRule[];
  readonly errors: string[];
}

const userKey = (name: string): string => `u\0${name}`;
const groupKey = (name: string): string => `g\0${name}`;

/** The index keys a binding subject is found under; none for a subject that can match nobody. */
function subjectKey(s: Subject, bindingNamespace: string): string | undefined {
  switch (s.kind) {
    case 'User':
      return userKey(s.name);
    case 'Group':
      return groupKey(s.name);
    case 'ServiceAccount': {
      const ns = s.namespace || bindingNamespace;
      return ns ? userKey(serviceAccountUsername(ns, s.name)) : undefined;
    }
    default:
      return undefined;
  }
}

type Index = Map<string, Bound[]>;

function addTo(index: Index, key: string, b: Bound): void {
  const list = index.get(key);
  if (!list) index.set(key, [b]);
  else if (list[list.length - 1] !== b) list.push(b); // a binding naming the same subject twice
}

/** `Kind "name"`, as Kubernetes describes a subject (a ServiceAccount as "name/namespace"). */
function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') return `ServiceAccount "${s.name}/${s.namespace || bindingNamespace}"`;
  return `${s.kind} "${s.name}"`;
}

/** Kubernetes' reason: `ClusterRoleBinding "x" of ClusterRole "y" to Group "z"`, `RoleBinding "b/ns" of Role "r" to …`. */
function describeSource({ binding: b, subject }: Source): string {
  const name = b.kind === 'RoleBinding' ? `${b.name}/${b.namespace}` : b.name;
  return `${b.kind} "${name}" of ${b.roleRef.kind} "${b.roleRef.name}" to ${describeSubject(subject, b.namespace)}`;
}

export class RbacAuthorizer implements Authorizer {
  private clusterIndex: Index = new Map();
  private namespaceIndex = new Map<string, Index>();
  private builtFrom: [number, number] = [-1, -1];

  constructor(private readonly stores: RbacStores) {}

  authorize(attrs: RequestAttributes): Decision {
    const errors: string[] = [];
    let allowedBy: Source | undefined;
    this.visit(attrs.user, attrs.namespace, errors, (source, rule) => {
      if (!ruleAllows(attrs, rule)) return true;
      allowedBy = source;
      return false;
    });
    if (allowedBy) return allow(`RBAC: allowed by ${describeSource(allowedBy)}`);
    return noOpinion(errors.length ? `RBAC: ${aggregate(errors)}` : '');
  }

  /** The rules that apply to `user` in `namespace` ("" : cluster-wide ones only). */
  rulesFor(user: UserInfo, namespace: string): PolicyRule[] {
    return this.resolve(user, namespace).rules;
  }

  resolve(user: UserInfo, namespace: string): ResolvedRules {
    const rules: PolicyRule[] = [];
    const errors: string[] = [];
    this.visit(user, namespace, errors, (_source, rule) => { rules.push(rule); return true; });
    return { rules, errors };
  }

  /**
   * The rules a role reference grants, as a binding in `bindingNamespace` ("" for a
   * ClusterRoleBinding) refers to it; undefined when the role does not exist.
   */
  roleRefRules(ref: RoleRef, bindingNamespace: string): PolicyRule[] | undefined {
    const r = this.lookupRole(ref, bindingNamespace);
    return typeof r === 'string' ? undefined : r;
  }

  /** The rules, or the error message Kubernetes' resolver gives. */
  private lookupRole(ref: RoleRef, bindingNamespace: string): PolicyRule[] | string {
    switch (ref.kind) {
      case 'Role': {
        const role = this.stores.roles.get(bindingNamespace, ref.name) as RoleObject | undefined;
        return role ? role.rules ?? [] : `role.${RBAC_GROUP} "${ref.name}" not found`;
      }
      case 'ClusterRole': {
        const role = this.stores.clusterRoles.get('', ref.name) as ClusterRoleObject | undefined;
        return role ? role.rules ?? [] : `clusterrole.${RBAC_GROUP} "${ref.name}" not found`;
      }
      default:
        return `unsupported role reference kind: "${ref.kind}"`;
    }
  }

  /**
   * Kubernetes' VisitRulesFor: every rule of every binding that applies, ClusterRoleBindings
   * first, then the RoleBindings of `namespace`; stops when `visitor` returns false.
   */
  private visit(user: UserInfo, namespace: string, errors: string[], visitor: (source: Source, rule: PolicyRule) => boolean): void {
    this.refreshIndex();
    const scopes: [Index | undefined, string][] = [[this.clusterIndex, '']];
    if (namespace) scopes.push([this.namespaceIndex.get(namespace), namespace]);
    for (const [index, bindingNamespace] of scopes) {
      if (!index) continue;
      for (const binding of candidates(index, user)) {
        const i = firstApplyingSubject(user, binding.subjects, bindingNamespace);
        if (i < 0) continue;
        const rules = this.lookupRole(binding.roleRef, bindingNamespace);
        if (typeof rules === 'string') {
          errors.push(rules);
          continue;
        }
        const source: Source = { binding, subject: binding.subjects[i]! };
        for (const rule of rules) if (!visitor(source, rule)) return;
      }
    }
  }

  /** Rebuilds the subject index when a binding store changed since it was built. */
  private refreshIndex(): void {
    const gens: [number, number] = [this.stores.clusterRoleBindings.generation, this.stores.roleBindings.generation];
    if (gens[0] === this.builtFrom[0] && gens[1] === this.builtFrom[1]) return;
    const cluster: Index = new Map();
    const namespaced = new Map<string, Index>();
    let order = 0;
    for (const obj of this.stores.clusterRoleBindings.list()) {
      const b = bound('ClusterRoleBinding', obj as ClusterRoleBindingObject, '', order++);
      for (const s of b.subjects) {
        const key = subjectKey(s, '');
        if (key) addTo(cluster, key, b);
      }
    }
    for (const obj of this.stores.roleBindings.list()) {
      const ns = obj.metadata?.namespace ?? '';
      if (!ns) continue;
      const b = bound('RoleBinding', obj as RoleBindingObject, ns, order++);
      let index = namespaced.get(ns);
      if (!index) namespaced.set(ns, (index = new Map()));
      for (const s of b.subjects) {
        const key = subjectKey(s, ns);
        if (key) addTo(index, key, b);
      }
    }
    this.clusterIndex = cluster;
    this.namespaceIndex = namespaced;
    this.builtFrom = gens;
  }
}

function bound(kind: Bound['kind'], obj: RoleBindingObject | ClusterRoleBindingObject, namespace: string, order: number): Bound {
  return { kind, name: obj.metadata?.name ?? '', namespace, roleRef: obj.roleRef, subjects: obj.subjects ?? [], order };
}

/** The bindings naming the user or one of its groups, once each, in the store's order. */
function candidates(index: Index, user: UserInfo): Bound[] {
  const lists: Bound[][] = [];
  const byUser = index.get(userKey(user.username));
  if (byUser) lists.push(byUser);
  for (const g of user.groups) {
    const byGroup = index.get(groupKey(g));
    if (byGroup) lists.push(byGroup);
  }
  if (lists.length === 0) return [];
  if (lists.length === 1) return lists[0]!;
  const seen = new Set<Bound>();
  const all: Bound[] = [];
  for (const l of lists) for (const b of l) if (!seen.has(b)) { seen.add(b); all.push(b); }
  return all.sort((a, b) => a.order - b.order);
}

/** utilerrors.NewAggregate's text: one error as is, several as `[a, b]`. */
function aggregate(errors: readonly string[]): string {
  return errors.length === 1 ? errors[0]! : `[${errors.join(', ')}]`;
}
