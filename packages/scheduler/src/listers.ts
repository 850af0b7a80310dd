// The objects besides nodes and pods that plugins read, from informer caches: namespace labels
// (InterPodAffinity's namespaceSelector), Services, ReplicaSets and ReplicationControllers
// (PodTopologySpread's default selector), PodDisruptionBudgets (DefaultPreemption). Read in the
// cycle, never fetched from the API.
import {
  Informer, type ApiError, type KubeObject, type Labels, type Namespace, type ReplicaSet, type ReplicationController,
  type PodDisruptionBudgetObject, type Selector, type Service, type TugboatClient,
} from '@tugboat/api';
import type { ObjectListers } from './framework/snapshot.js';

type NamespaceObject = Namespace & KubeObject;
type ServiceObject = Service & KubeObject;
type ReplicaSetObject = ReplicaSet & KubeObject;
type ReplicationControllerObject = ReplicationController & KubeObject;

export class InformerListers implements ObjectListers {
  private readonly namespaces: Informer<NamespaceObject>;
  private readonly svcs: Informer<ServiceObject>;
  private readonly replicaSets: Informer<ReplicaSetObject>;
  private readonly rcs: Informer<ReplicationControllerObject>;
  private readonly pdbs: Informer<PodDisruptionBudgetObject>;

  constructor(client: TugboatClient, onError: (what: string) => (e: ApiError) => void) {
    this.namespaces = new Informer<NamespaceObject>(client, 'namespaces', { onError: onError('namespaces') });
    this.svcs = new Informer<ServiceObject>(client, 'services', { onError: onError('services') });
    this.replicaSets = new Informer<ReplicaSetObject>(client, 'replicasets', { onError: onError('replicasets') });
    this.rcs = new Informer<ReplicationControllerObject>(client, 'replicationcontrollers', { onError: onError('replicationcontrollers') });
    this.pdbs = new Informer<PodDisruptionBudgetObject>(client, 'poddisruptionbudgets', { onError: onError('poddisruptionbudgets') });
  }

  async start(): Promise<void> {
    await Promise.all([this.namespaces.start(), this.svcs.start(), this.replicaSets.start(), this.rcs.start(), this.pdbs.start()]);
  }

  stop(): void {
    this.namespaces.stop();
    this.svcs.stop();
    this.replicaSets.stop();
    this.rcs.stop();
    this.pdbs.stop();
  }

  namespaceLabels(name: string): Labels | undefined {
    const ns = this.namespaces.get(name);
    return ns ? ns.metadata?.labels ?? {} : undefined;
  }

  namespacesMatching(selector: Selector): string[] {
    const out: string[] = [];
    for (const ns of this.namespaces.items()) if (selector.matches(ns.metadata?.labels ?? {})) out.push(ns.metadata?.name ?? '');
    return out;
  }

  *services(namespace: string): Iterable<Service> {
    for (const s of this.svcs.items()) if (s.metadata?.namespace === namespace) yield s;
  }

  replicaSet(namespace: string, name: string): ReplicaSet | undefined {
    return this.replicaSets.get(`${namespace}/${name}`);
  }

  replicationController(namespace: string, name: string): ReplicationController | undefined {
    return this.rcs.get(`${namespace}/${name}`);
  }

  podDisruptionBudgets(): readonly PodDisruptionBudgetObject[] {
    return [...this.pdbs.items()];
  }
}
