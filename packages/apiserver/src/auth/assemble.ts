// Puts the security chain together from the server's options: the informers that feed it
// (pods for the Node graph, ServiceAccounts for tokens, RBAC objects for roles), the token
// sources, the authorizers in order, and the audit log.
//
//   authenticator: client certificate │ static tokens │ ServiceAccount JWTs   (cached)
//   authorizer:    system:masters ─▶ Node (graph of pods) ─▶ RBAC (roles, bindings)
import type { ApiError, KubeObject, PersistentVolumeObject, Pod, PriorityClassObject, UserInfo } from '@tugboat/api';
import type { ListCaches } from '../cache/list-cache.js';
import type { ServerInformer } from '../cache/server-informer.js';
import type { Registry } from '../registry/registry.js';
import type { Storage } from '../storage/storage.js';
import { AuditLog } from './audit.js';
import { RequestAuthenticator } from './authn/request-authenticator.js';
import { DEFAULT_ISSUER, ServiceAccountTokens } from './authn/service-account-tokens.js';
import type { TokenAuthenticator } from './authn/token-authenticator.js';
import { StaticTokenAuthenticator } from './authn/token-file.js';
import { UnionAuthorizer, allow, privilegedGroupAuthorizer, type Authorizer, type Decision, type RequestAttributes } from './authorizer.js';
import { NodeAuthorizer } from './node/node-authorizer.js';
import { NodeGraph } from './node/node-graph.js';
import { checkRbacWrite } from './rbac/escalation.js';
import { RbacAuthorizer } from './rbac/rbac-authorizer.js';
import { Security } from './security.js';

export type AuthorizationMode = 'AlwaysAllow' | 'Node' | 'RBAC';

export interface SecurityConfig {
  readonly tokenAuthFile?: string;
  readonly serviceAccount?: {
    readonly signingKeyPem?: string;
    readonly publicKeysPem?: readonly string[];
    readonly issuer?: string;
    readonly audiences?: readonly string[];
  };
  readonly authorizationModes?: readonly AuthorizationMode[];
  readonly auditLogPath?: string;
}

export interface AssembledSecurity {
  readonly security: Security;
  /**
   * Kubernetes' escalation check before an RBAC object is written: the error to answer with
   * instead of writing, or undefined. Without RBAC, nothing to check.
   */
  checkRbacWrite(user: UserInfo, object: KubeObject, oldObject: KubeObject | undefined, namespace: string): Promise<ApiError | undefined>;
  /** Undefined when the server has no ServiceAccount keys. */
  readonly tokens: ServiceAccountTokens | undefined;
  readonly graph: NodeGraph;
  /** Whether every cache the authorizers read holds a full list. */
  synced(): boolean;
  stop(): Promise<void>;
}

/** How long a request waits for the authorization caches at start-up before it is judged anyway. */
const SYNC_WAIT_MS = 10_000;

/** Holds requests back until the caches are loaded, so a fresh server does not refuse what it would allow. */
class WaitForSync implements Authorizer {
  constructor(private readonly inner: Authorizer, private readonly ready: Promise<void>, private readonly isReady: () => boolean) {}

  async authorize(a: RequestAttributes): Promise<Decision> {
    if (!this.isReady()) {
      await Promise.race([this.ready, new Promise((r) => setTimeout(r, SYNC_WAIT_MS).unref())]);
    }
    return this.inner.authorize(a);
  }
}

export function assembleSecurity(
  config: SecurityConfig,
  registry: Registry,
  storage: Storage,
  /** Where the informers come from: the list cache, whose informers they share. */
  caches: Pick<ListCaches, 'informer'>,
): AssembledSecurity {
  const informers = new Map<string, ServerInformer>();
  const informer = (resource: string, keep: 'objects' | 'handlers' = 'objects'): ServerInformer => {
    let i = informers.get(resource);
    if (!i) informers.set(resource, (i = caches.informer(resource, keep)));
    return i;
  };

  // The graph keeps the few strings per pod it needs; the pods themselves are the list
  // cache's (or, with it off, kept nowhere).
  const graph = new NodeGraph();
  const pods = informer('pods', 'handlers');
  pods.addHandlers({
    onUpsert: (p) => graph.upsertPod(p as Pod & KubeObject),
    onDelete: (p) => graph.deletePod(p as Pod & KubeObject),
    onReplace: (all) => graph.replace(all as (Pod & KubeObject)[]),
  });
  const volumes = informer('persistentvolumes', 'handlers');
  volumes.addHandlers({
    onUpsert: (pv) => graph.upsertVolume(pv as PersistentVolumeObject),
    onDelete: (pv) => graph.deleteVolume(pv as PersistentVolumeObject),
    onReplace: (all) => graph.replaceVolumes(all as PersistentVolumeObject[]),
  });
  const serviceAccounts = informer('serviceaccounts');
  // Pod admission reads a pod's ServiceAccount from here once the list is in.
  registry.serviceAccountLookup = (ns, name) => (serviceAccounts.isSynced() ? serviceAccounts.store.get(ns, name) : undefined);
  // Priority admission reads PriorityClasses from here on every pod create, once the list is in.
  const priorityClasses = informer('priorityclasses') as ServerInformer<PriorityClassObject>;
  const classCache = { get: (name: string) => priorityClasses.store.get('', name), all: () => priorityClasses.store.list() };
  void priorityClasses.hasSynced.then(() => { registry.priorityClassCache = classCache; });

  const sources: TokenAuthenticator[] = [];
  if (config.tokenAuthFile) sources.push(StaticTokenAuthenticator.fromFile(config.tokenAuthFile));
  let tokens: ServiceAccountTokens | undefined;
  const sa = config.serviceAccount;
  if (sa && (sa.signingKeyPem || sa.publicKeysPem?.length)) {
    const issuer = sa.issuer ?? DEFAULT_ISSUER;
    tokens = new ServiceAccountTokens({
      ...(sa.signingKeyPem ? { signingKeyPem: sa.signingKeyPem } : {}),
      publicKeysPem: sa.publicKeysPem ?? [],
      issuer,
      audiences: sa.audiences?.length ? sa.audiences : [issuer],
      lookups: {
        synced: () => Promise.all([pods.hasSynced, serviceAccounts.hasSynced]).then(() => undefined),
        serviceAccount: (ns, name) => serviceAccounts.store.get(ns, name),
        pod: (ns, name) => graph.pod(ns, name),
      },
    });
    sources.push(tokens);
  }

  const modes = config.authorizationModes ?? ['Node', 'RBAC'];
  const chain: Authorizer[] = [];
  let rbac: RbacAuthorizer | undefined;
  for (const mode of modes) {
    switch (mode) {
      case 'AlwaysAllow':
        chain.push({ authorize: () => allow('AlwaysAllow') });
        break;
      case 'Node':
        chain.push(new NodeAuthorizer({
          graph,
          // Before a "no", let the graph catch up with whatever etcd has now.
          catchUp: async () => {
            const rev = await storage.currentRevision().catch(() => 0);
            await pods.waitForRevision(rev, 2_000);
          },
        }));
        break;
      case 'RBAC':
        rbac = new RbacAuthorizer({
          roles: informer('roles').store,
          clusterRoles: informer('clusterroles').store,
          roleBindings: informer('rolebindings').store,
          clusterRoleBindings: informer('clusterrolebindings').store,
        });
        chain.push(rbac);
        break;
    }
  }
  const all = [...informers.values()];
  const isReady = (): boolean => all.every((i) => i.isSynced());
  const ready = Promise.all(all.map((i) => i.hasSynced)).then(() => undefined);
  // system:masters needs no cache: it is answered at once, even while etcd is away.
  const authorizer = new UnionAuthorizer([privilegedGroupAuthorizer, new WaitForSync(new UnionAuthorizer(chain), ready, isReady)]);
  const audit = config.auditLogPath ? new AuditLog(config.auditLogPath) : undefined;
  const security = new Security({
    authenticator: new RequestAuthenticator({ tokens: sources }),
    authorizer,
    ...(audit ? { audit } : {}),
  });
  const rbacAuthorizer = rbac;
  return {
    security,
    checkRbacWrite: async (user, object, oldObject, namespace) => {
      if (!rbacAuthorizer) return undefined;
      return checkRbacWrite({
        user, object, ...(oldObject ? { oldObject } : {}), namespace,
        authorize: async (a) => (await authorizer.authorize(a)).decision === 'allow',
        rulesFor: (u, ns) => rbacAuthorizer.rulesFor(u, ns),
        lookupRole: (ref, ns) => rbacAuthorizer.roleRefRules(ref, ns),
      });
    },
    tokens,
    graph,
    synced: isReady,
    // The informers are the list cache's, which stops them.
    stop: async () => {
      await security.close();
    },
  };
}

