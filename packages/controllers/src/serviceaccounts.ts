// Kubernetes' serviceaccount controller: every namespace that is not terminating has a
// ServiceAccount named `default` (what a pod runs as unless it says otherwise), made when the
// namespace appears and again whenever it is deleted. The key is the namespace's name.
import { ApiError, type Informer, type KubeObject, type Namespace, type TugboatClient } from '@tugboat/api';
import { realClock, type Clock } from '@tugboat/api';
import { consoleLogger, runWorkers, type Logger } from './controller.js';
import type { SharedInformers } from './informers.js';
import type { ControllerMetrics } from './metrics.js';
import { WorkQueue } from './workqueue.js';

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

export interface ServiceAccountsOptions {
  client: TugboatClient;
  informers: SharedInformers;
  clock?: Clock;
  metrics?: ControllerMetrics;
  log?: Logger;
  workers?: number;
}

export class ServiceAccountsController {
  readonly queue: WorkQueue;
  private readonly client: TugboatClient;
  private readonly namespaces: Informer<NamespaceObject>;
  private readonly serviceAccounts: Informer<KubeObject>;
  private readonly log: Logger;
  private readonly workers: number;

  constructor(opts: ServiceAccountsOptions) {
    this.client = opts.client;
    this.log = opts.log ?? consoleLogger;
    this.workers = opts.workers ?? 1;
    this.queue = new WorkQueue({ name: 'serviceaccount', clock: opts.clock ?? realClock, ...(opts.metrics ? { metrics: opts.metrics } : {}) });
    this.namespaces = opts.informers.forResource<NamespaceObject>('namespaces');
    this.serviceAccounts = opts.informers.forResource<KubeObject>('serviceaccounts');
    this.namespaces
      .onAdd((ns) => this.queue.add(ns.metadata?.name ?? ''))
      .onUpdate((_old, ns) => this.queue.add(ns.metadata?.name ?? ''));
    this.serviceAccounts.onDelete((sa) => {
      if (sa.metadata?.name === DEFAULT_SERVICE_ACCOUNT) this.queue.add(sa.metadata.namespace ?? '');
    });
  }

  run(): Promise<void> {
    return runWorkers(this.queue, (key) => this.sync(key), this.workers, this.log);
  }

  stop(): void {
    this.queue.shutDown();
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
