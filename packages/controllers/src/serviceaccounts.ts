// Kubernetes' serviceaccount controller: every namespace that is not terminating has a
// ServiceAccount named `default` (what a pod runs as unless it says otherwise), made when the
// namespace appears and again whenever it is deleted. The key is the namespace's name.
import { ApiError, type Informer, type KubeObject, type Namespace, type TugboatClient } from '@tugboat/api';
import type { SharedInformers } from './informers.js';
import { QueueController, type ControllerOptions } from './queue-controller.js';

export const DEFAULT_SERVICE_ACCOUNT = 'default';

export type NamespaceObject = Namespace & KubeObject;

/** Whether a namespace takes new objects: not marked for deletion, not Terminating. */
export function namespaceActive(ns: NamespaceObject): boolean {
  return !ns.metadata?.deletionTimestamp && ns.status?.phase !== 'Terminating';
}

/**
 * Whether a create that failed did so only because the namespace is gone or going (Kubernetes
 * ignores those: the namespace's end removes the need). Asks the API server, so a Forbidden for
 * any other reason (RBAC) is still reported.
 */
export async function namespaceGoneOrGoing(client: TugboatClient, e: unknown, namespace: string): Promise<boolean> {
  if (!(e instanceof ApiError)) return false;
  if (e.reason === 'NotFound') return true;
  if (e.reason !== 'Forbidden') return false;
  const ns = await client.tryGet<NamespaceObject>('namespaces', '', namespace).catch(() => undefined);
  return !ns || !namespaceActive(ns);
}

export interface ServiceAccountsOptions extends ControllerOptions {
  informers: SharedInformers;
}

export class ServiceAccountsController extends QueueController {
  private readonly namespaces: Informer<NamespaceObject>;
  private readonly serviceAccounts: Informer<KubeObject>;

  constructor(opts: ServiceAccountsOptions) {
    super('serviceaccount', opts, 1);
    this.namespaces = opts.informers.forResource<NamespaceObject>('namespaces');
    this.serviceAccounts = opts.informers.forResource<KubeObject>('serviceaccounts');
    this.namespaces
      .onAdd((ns) => this.queue.add(ns.metadata?.name ?? ''))
      .onUpdate((_old, ns) => this.queue.add(ns.metadata?.name ?? ''));
    this.serviceAccounts.onDelete((sa) => {
      if (sa.metadata?.name === DEFAULT_SERVICE_ACCOUNT) this.queue.add(sa.metadata.namespace ?? '');
    });
  }

  async sync(namespace: string): Promise<void> {
    const ns = this.namespaces.get(namespace);
    if (!ns || !namespaceActive(ns)) return;
    if (this.serviceAccounts.get(`${namespace}/${DEFAULT_SERVICE_ACCOUNT}`)) return;
    try {
      await this.client.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace } });
    } catch (e) {
      // Someone made it first (the API server does, for a pod that needs it): that is the goal.
      if (e instanceof ApiError && e.reason === 'AlreadyExists') return;
      if (await namespaceGoneOrGoing(this.client, e, namespace)) return;
      throw e;
    }
  }
}
