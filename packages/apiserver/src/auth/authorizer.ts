// Authorization: one question asked at one point for every request — may this user do this
// verb on this resource? — answered by a chain of authorizers as in Kubernetes (privileged
// group, then Node, then RBAC). Each authorizer allows, denies, or has no opinion; the first
// that decides wins, and a request nobody allows is forbidden.
import { ApiError, GROUP_MASTERS, type UserInfo } from '@tugboat/api';

/** What a request asks, in Kubernetes' terms (authorizer.Attributes). */
export interface RequestAttributes {
  readonly user: UserInfo;
  /** get, list, watch, create, update, patch, delete; impersonate, escalate, bind; for paths: get. */
  readonly verb: string;
  /** false for a non-resource path (`/version`). */
  readonly resourceRequest: boolean;
  /** "" is the core group. */
  readonly apiGroup: string;
  /** Lower-case plural ("pods"). */
  readonly resource: string;
  /** "status", "log", "exec", "binding", "token", or "". */
  readonly subresource: string;
  /** "" for cluster-scoped resources and for requests across all namespaces. */
  readonly namespace: string;
  /** "" for list, watch and create (as in Kubernetes: a create is authorized before its name matters). */
  readonly name: string;
  /** The name of the object a create makes: for the Node authorizer's checks (its own Node, its Lease) and the audit log, never RBAC. */
  readonly objectName?: string;
  /** The non-resource path, for resourceRequest false. */
  readonly path: string;
  /** list and watch: the selectors asked for (the Node authorizer lets a node list only its own pods). */
  readonly fieldSelector?: string;
  readonly labelSelector?: string;
}

export type Decision =
  | { readonly decision: 'allow'; readonly reason: string }
  | { readonly decision: 'deny'; readonly reason: string }
  | { readonly decision: 'noOpinion'; readonly reason: string };

export interface Authorizer {
  authorize(attrs: RequestAttributes): Decision | Promise<Decision>;
}

export const allow = (reason = ''): Decision => ({ decision: 'allow', reason });
export const deny = (reason = ''): Decision => ({ decision: 'deny', reason });
export const noOpinion = (reason = ''): Decision => ({ decision: 'noOpinion', reason });

/** Members of system:masters may do anything, before any other authorizer is asked (Kubernetes' privileged group). */
export const privilegedGroupAuthorizer: Authorizer = {
  authorize: (a) => (a.user.groups.includes(GROUP_MASTERS) ? allow(`member of ${GROUP_MASTERS}`) : noOpinion()),
};

/** The first allow or deny wins; reasons of those without an opinion are kept for the denial. */
export class UnionAuthorizer implements Authorizer {
  constructor(private readonly chain: readonly Authorizer[]) {}

  async authorize(attrs: RequestAttributes): Promise<Decision> {
    const reasons: string[] = [];
    for (const a of this.chain) {
      const d = await a.authorize(attrs);
      if (d.decision !== 'noOpinion') return d;
      if (d.reason) reasons.push(d.reason);
    }
    return noOpinion(reasons.join(', '));
  }
}

/** The resource as Kubernetes qualifies it in messages: "pods", "deployments.apps". */
function qualified(a: RequestAttributes): string {
  return a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
}

/** Kubernetes' wording (apiserver's forbiddenMessage), so messages match what kubectl users know. */
export function forbiddenMessage(a: RequestAttributes): string {
  const user = a.user.username;
  if (!a.resourceRequest) return `User "${user}" cannot ${a.verb} path "${a.path}"`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return `User "${user}" cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup}" ${scope}`;
}

/** The Forbidden error for a denied request: `pods "x" is forbidden: User "u" cannot delete resource "pods" …`. */
export function forbiddenError(a: RequestAttributes, reason: string): ApiError {
  const why = reason ? `${forbiddenMessage(a)}: ${reason}` : forbiddenMessage(a);
  if (!a.resourceRequest) return new ApiError('Forbidden', `forbidden: ${why}`);
  const what = a.name ? `${qualified(a)} "${a.name}"` : qualified(a);
  return new ApiError('Forbidden', `${what} is forbidden: ${why}`);
}
