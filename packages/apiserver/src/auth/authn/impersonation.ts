// Impersonation (`tctl --as alice`, `kubectl --as alice`, `auth can-i --as`): the
// `impersonate-user`, `impersonate-group`, `impersonate-uid` and `impersonate-extra-KEY`
// metadata (gRPC) or headers (HTTP) make the request run as someone else, if the real user
// may `impersonate` that user, each group, the uid and each extra — Kubernetes' rules and
// resource names (users, groups, serviceaccounts; uids and userextras/KEY in
// authentication.k8s.io).
import {
  ApiError, GROUP_AUTHENTICATED, parseServiceAccountUsername, serviceAccountGroups, type UserInfo,
} from '@tugboat/api';
import { forbiddenError, type Decision, type RequestAttributes } from '../authorizer.js';

export interface ImpersonationRequest {
  readonly user?: string;
  readonly groups: readonly string[];
  readonly uid?: string;
  /** Impersonate-Extra-KEY values, by KEY (percent-decoded and lower-cased, as Kubernetes reads it). */
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

const EXTRA_PREFIX = 'impersonate-extra-';

function decodeExtraKey(k: string): string {
  try {
    return decodeURIComponent(k).toLowerCase();
  } catch {
    return k.toLowerCase();
  }
}

export function impersonationOf(get: (key: string) => readonly string[], names: readonly string[] = []): ImpersonationRequest | undefined {
  const user = get('impersonate-user')[0];
  const groups = get('impersonate-group');
  const uid = get('impersonate-uid')[0];
  const extra: Record<string, string[]> = {};
  for (const n of names) {
    if (!n.startsWith(EXTRA_PREFIX)) continue;
    const key = decodeExtraKey(n.slice(EXTRA_PREFIX.length));
    (extra[key] ??= []).push(...get(n));
  }
  const hasExtra = Object.keys(extra).length > 0;
  if (user === undefined && groups.length === 0 && uid === undefined && !hasExtra) return undefined;
  return { ...(user !== undefined ? { user } : {}), groups, ...(uid !== undefined ? { uid } : {}), ...(hasExtra ? { extra } : {}) };
}

function attrs(user: UserInfo, resource: string, name: string, apiGroup = '', namespace = ''): RequestAttributes {
  return { user, verb: 'impersonate', resourceRequest: true, apiGroup, resource, subresource: '', namespace, name, path: '' };
}

export async function impersonate(
  user: UserInfo,
  req: ImpersonationRequest,
  authorize: (a: RequestAttributes) => Promise<Decision>,
): Promise<UserInfo> {
  if (!req.user) throw new ApiError('BadRequest', 'impersonating groups or a uid requires impersonating a user too');
  const checks: RequestAttributes[] = [];
  const sa = parseServiceAccountUsername(req.user);
  checks.push(sa ? attrs(user, 'serviceaccounts', sa.name, '', sa.namespace) : attrs(user, 'users', req.user));
  for (const g of req.groups) checks.push(attrs(user, 'groups', g));
  if (req.uid) checks.push(attrs(user, 'uids', req.uid, 'authentication.k8s.io'));
  for (const [key, values] of Object.entries(req.extra ?? {})) {
    for (const v of values) checks.push({ ...attrs(user, 'userextras', v, 'authentication.k8s.io'), subresource: key });
  }
  for (const a of checks) {
    const d = await authorize(a);
    if (d.decision !== 'allow') throw forbiddenError(a, d.reason);
  }
  const groups = new Set<string>(req.groups);
  if (sa) for (const g of serviceAccountGroups(sa.namespace)) groups.add(g);
  groups.add(GROUP_AUTHENTICATED);
  return { username: req.user, groups: [...groups], ...(req.uid ? { uid: req.uid } : {}), ...(req.extra ? { extra: req.extra } : {}) };
}
