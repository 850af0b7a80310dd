// Who is asking: the identity every request carries once authenticated, with Kubernetes'
// names for the well-known users and groups, so RBAC policies written for Kubernetes read
// the same here (`system:masters`, `system:node:NAME`, `system:serviceaccount:NS:NAME`).

export interface UserInfo {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  /** Extra attributes (a ServiceAccount token's pod, say), as Kubernetes' user.Info has them. */
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** Every request of a member is allowed, before any authorizer runs (the cluster admins). */
export const GROUP_MASTERS = 'system:masters';
export const GROUP_NODES = 'system:nodes';
/** Added to every authenticated user. */
export const GROUP_AUTHENTICATED = 'system:authenticated';
/** Kubernetes' group of anonymous requests (Tugboat serves none; default roles bind it as Kubernetes does). */
export const GROUP_UNAUTHENTICATED = 'system:unauthenticated';
export const GROUP_SERVICE_ACCOUNTS = 'system:serviceaccounts';
/** Kubernetes' group for metrics scrapers: its ClusterRole reads /metrics and the health paths. */
export const GROUP_MONITORING = 'system:monitoring';

/** The control plane's own identities (Kubernetes' names, so its default roles apply). */
export const USER_SCHEDULER = 'system:kube-scheduler';
export const USER_CONTROLLER_MANAGER = 'system:kube-controller-manager';
/** The cluster DNS server (packages/dns, tugboat-dns). */
export const USER_KUBE_DNS = 'system:kube-dns';
/** The agents' service proxy (Kubernetes' kube-proxy identity). */
export const USER_KUBE_PROXY = 'system:kube-proxy';
/** The API server's identity towards the agents (logs, exec). */
export const USER_APISERVER_KUBELET_CLIENT = 'kube-apiserver-kubelet-client';

const NODE_PREFIX = 'system:node:';
const SA_PREFIX = 'system:serviceaccount:';

export function nodeUsername(nodeName: string): string {
  return `${NODE_PREFIX}${nodeName}`;
}

/** The node a user acts for: `system:node:NAME` in group system:nodes; otherwise undefined. */
export function nodeNameOf(user: UserInfo): string | undefined {
  if (!user.username.startsWith(NODE_PREFIX) || !user.groups.includes(GROUP_NODES)) return undefined;
  const name = user.username.slice(NODE_PREFIX.length);
  return name || undefined;
}

export function serviceAccountUsername(namespace: string, name: string): string {
  return `${SA_PREFIX}${namespace}:${name}`;
}

/** `system:serviceaccount:NS:NAME` → its namespace and name. */
export function parseServiceAccountUsername(username: string): { namespace: string; name: string } | undefined {
  if (!username.startsWith(SA_PREFIX)) return undefined;
  const rest = username.slice(SA_PREFIX.length);
  const colon = rest.indexOf(':');
  if (colon <= 0 || colon === rest.length - 1 || rest.indexOf(':', colon + 1) >= 0) return undefined;
  return { namespace: rest.slice(0, colon), name: rest.slice(colon + 1) };
}

/** The groups Kubernetes gives a ServiceAccount. */
export function serviceAccountGroups(namespace: string): string[] {
  return [GROUP_SERVICE_ACCOUNTS, `${GROUP_SERVICE_ACCOUNTS}:${namespace}`, GROUP_AUTHENTICATED];
}

/** Where a pod finds its ServiceAccount credentials (Kubernetes' path, so in-cluster clients work unchanged). */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The ConfigMap with the cluster CA published in every namespace. */
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
/** The name in the API server's certificate that in-cluster clients check. */
export const IN_CLUSTER_SERVER_NAME = 'kubernetes.default.svc';

/**
 * The user a verified client certificate names, as Kubernetes reads it: CN is the user name,
 * each O a group (plus system:authenticated). `subject` is node:tls' PeerCertificate.subject,
 * whose fields are arrays when the certificate repeats them.
 */
export function userFromCertificateSubject(subject: object | undefined): UserInfo | undefined {
  const fields = subject as Readonly<Record<string, string | readonly string[] | undefined>> | undefined;
  const values = (v: string | readonly string[] | undefined): string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : [...v]);
  const cn = values(fields?.['CN'])[0];
  if (!cn) return undefined;
  return { username: cn, groups: [...values(fields?.['O']).filter(Boolean), GROUP_AUTHENTICATED] };
}
