// Discovery documents (pure), every one built from KINDS: what kubectl reads to learn which
// resources exist, their verbs, short names and scope.
//
//   /api                 APIVersions                 ┐ or, when the client asks for it
//   /apis                APIGroupList                ┘ (kubectl does), APIGroupDiscoveryList
//   /apis/G              APIGroup                      (apidiscovery.k8s.io/v2, aggregated)
//   /api/v1, /apis/G/V   APIResourceList
//   /version             version.Info
import { KINDS, METRICS_KINDS, type KindInfo } from '@tugboat/api';
import { SUBRESOURCES, isReadOnlyKind, servedGroups } from './router.js';

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;

/** kubectl get all: Kubernetes puts these of our kinds in the "all" category. */
const CATEGORY_ALL: ReadonlySet<string> = new Set(['pods', 'services', 'replicasets', 'deployments', 'jobs', 'daemonsets', 'statefulsets', 'replicationcontrollers', 'horizontalpodautoscalers']);

interface GroupVersionKind { readonly group: string; readonly version: string; readonly kind: string }

interface SubresourceInfo { readonly verbs: readonly string[]; readonly kind: GroupVersionKind }

function versionOf(info: KindInfo): string {
  return info.apiVersion.includes('/') ? info.apiVersion.slice(info.apiVersion.indexOf('/') + 1) : info.apiVersion;
}

/** Each served subresource's verbs and the kind it reads and writes. */
export function subresourceInfo(info: KindInfo, sub: string): SubresourceInfo | undefined {
  const own: GroupVersionKind = { group: info.group, version: versionOf(info), kind: info.kind };
  switch (sub) {
    case 'status':
      return { verbs: ['get', 'patch', 'update'], kind: own };
    case 'scale':
      return { verbs: ['get', 'patch', 'update'], kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' } };
    case 'binding':
      return { verbs: ['create'], kind: { group: '', version: 'v1', kind: 'Binding' } };
    case 'eviction':
      return { verbs: ['create'], kind: { group: 'policy', version: 'v1', kind: 'Eviction' } };
    case 'log':
      return { verbs: ['get'], kind: own };
    default:
      return undefined;
  }
}

function subresourcesOf(info: KindInfo): { name: string; sub: SubresourceInfo }[] {
  if (isReadOnlyKind(info)) return [];
  return (SUBRESOURCES[info.resource] ?? []).flatMap((name) => {
    const sub = subresourceInfo(info, name);
    return sub ? [{ name, sub }] : [];
  });
}

function kindsOf(group: string, version: string): KindInfo[] {
  return [...KINDS, ...METRICS_KINDS].filter((k) => k.group === group && versionOf(k) === version);
}

function verbsOf(k: KindInfo): string[] {
  return isReadOnlyKind(k) ? ['get', 'list'] : [...ALL_VERBS];
}

function groupVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: servedGroups().get('') ?? [],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function apiGroupOf(group: string, versions: readonly string[]): Record<string, unknown> {
  const list = versions.map((v) => ({ groupVersion: groupVersion(group, v), version: v }));
  return { name: group, versions: list, preferredVersion: list[0] };
}

export function apiGroupList(): Record<string, unknown> {
  const groups = [...servedGroups()].filter(([g]) => g !== '').map(([g, vs]) => apiGroupOf(g, vs));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function apiGroup(group: string): Record<string, unknown> | undefined {
  const versions = servedGroups().get(group);
  return versions && group ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroupOf(group, versions) } : undefined;
}

export function apiResourceList(group: string, version: string): Record<string, unknown> {
  const resources: Record<string, unknown>[] = [];
  for (const k of kindsOf(group, version)) {
    resources.push({
      name: k.resource,
      singularName: k.singular,
      namespaced: k.namespaced,
      kind: k.kind,
      verbs: verbsOf(k),
      ...(k.shortNames.length ? { shortNames: [...k.shortNames] } : {}),
      ...(CATEGORY_ALL.has(k.resource) ? { categories: ['all'] } : {}),
    });
    for (const { name, sub } of subresourcesOf(k)) {
      resources.push({
        name: `${k.resource}/${name}`,
        singularName: '',
        namespaced: k.namespaced,
        ...(sub.kind.group !== k.group ? { group: sub.kind.group } : {}),
        ...(sub.kind.version !== version || sub.kind.group !== k.group ? { version: sub.kind.version } : {}),
        kind: sub.kind.kind,
        verbs: [...sub.verbs],
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion(group, version), resources };
}

function discoveryResource(k: KindInfo): Record<string, unknown> {
  const version = versionOf(k);
  return {
    resource: k.resource,
    responseKind: { group: k.group, version, kind: k.kind },
    scope: k.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: k.singular,
    verbs: verbsOf(k),
    ...(k.shortNames.length ? { shortNames: [...k.shortNames] } : {}),
    ...(CATEGORY_ALL.has(k.resource) ? { categories: ['all'] } : {}),
    ...(subresourcesOf(k).length
      ? { subresources: subresourcesOf(k).map(({ name, sub }) => ({ subresource: name, responseKind: sub.kind, verbs: [...sub.verbs] })) }
      : {}),
  };
}

/**
 * Aggregated discovery (apidiscovery.k8s.io/v2 APIGroupDiscoveryList): one answer with every
 * group, version and resource, so kubectl needs two requests instead of one per group.
 * `legacy` is /api (the core group); otherwise /apis (every named group).
 */
export function aggregatedDiscovery(legacy: boolean, version: 'v2' | 'v2beta1'): Record<string, unknown> {
  const items = [...servedGroups()]
    .filter(([g]) => (legacy ? g === '' : g !== ''))
    .map(([g, vs]) => ({
      metadata: { name: g, creationTimestamp: null },
      versions: vs.map((v) => ({ version: v, resources: kindsOf(g, v).map(discoveryResource), freshness: 'Current' })),
    }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}

/** Kubernetes' version.Info, for kubectl version and clients that check the server's version. */
export interface VersionInfo {
  readonly major: string;
  readonly minor: string;
  readonly gitVersion: string;
  readonly gitCommit: string;
  readonly gitTreeState: string;
  readonly buildDate: string;
  readonly goVersion: string;
  readonly compiler: string;
  readonly platform: string;
}

/** The Kubernetes API level Tugboat's REST API follows (kubectl warns beyond one minor of skew). */
export const KUBERNETES_API_MINOR = '32';

export function versionInfo(tugboatVersion: string, gitCommit: string, platform: string): VersionInfo {
  return {
    major: '1',
    minor: KUBERNETES_API_MINOR,
    gitVersion: `v1.${KUBERNETES_API_MINOR}.0-tugboat.${tugboatVersion}`,
    gitCommit,
    gitTreeState: gitCommit ? 'clean' : '',
    buildDate: '',
    goVersion: `node${process.versions.node}`,
    compiler: 'tsc',
    platform,
  };
}

/** GET / lists the paths served (as Kubernetes' index does). */
export function rootPaths(): Record<string, unknown> {
  const paths = ['/api', '/api/v1', '/apis', '/healthz', '/livez', '/metrics', '/openapi/v2', '/openapi/v3', '/readyz', '/version'];
  for (const [g, vs] of servedGroups()) {
    if (!g) continue;
    paths.push(`/apis/${g}`, ...vs.map((v) => `/apis/${g}/${v}`));
  }
  return { paths: paths.sort() };
}
