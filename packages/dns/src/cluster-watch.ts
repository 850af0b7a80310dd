// Informers on Services, EndpointSlices, Namespaces and, with `--pods verified` only, Pods
// (cluster-wide, as CoreDNS watches them) feeding the index. Queries never reach the API: they read the index.
import { Informer, type ApiError, type EndpointSlice, type KubeObject, type Namespace, type Pod, type Service, type TugboatClient } from '@tugboat/api';
import type { ClusterIndex } from './cluster-index.js';

type Svc = Service & KubeObject;
type Slice = EndpointSlice & KubeObject;
type PodObj = Pod & KubeObject;
type Ns = Namespace & KubeObject;

export class ClusterWatch {
  private readonly services: Informer<Svc>;
  private readonly slices: Informer<Slice>;
  /** Only with `--pods verified`: every pod of the cluster, for its addresses. */
  private readonly pods: Informer<PodObj> | undefined;
  private readonly namespaces: Informer<Ns>;

  constructor(client: TugboatClient, index: ClusterIndex, log: (line: string) => void, opts: { watchPods: boolean }) {
    const onError = (resource: string) => (err: ApiError): void => log(`watch ${resource}: ${err.message} (retrying)`);
    this.services = new Informer<Svc>(client, 'services', { onError: onError('services') })
      .onAdd((o) => index.putService(o)).onUpdate((_, o) => index.putService(o)).onDelete((o) => index.removeService(o));
    this.slices = new Informer<Slice>(client, 'endpointslices', { onError: onError('endpointslices') })
      .onAdd((o) => index.putSlice(o)).onUpdate((_, o) => index.putSlice(o)).onDelete((o) => index.removeSlice(o));
    this.pods = opts.watchPods
      ? new Informer<PodObj>(client, 'pods', { onError: onError('pods') })
        .onAdd((o) => index.putPod(o)).onUpdate((_, o) => index.putPod(o)).onDelete((o) => index.removePod(o))
      : undefined;
    this.namespaces = new Informer<Ns>(client, 'namespaces', { onError: onError('namespaces') })
      .onAdd((o) => index.putNamespace(o)).onUpdate((_, o) => index.putNamespace(o)).onDelete((o) => index.removeNamespace(o));
  }

  /** Starts every informer; resolves once each has listed. */
  async start(): Promise<void> {
    await Promise.all([this.namespaces.start(), this.services.start(), this.slices.start(), this.pods?.start()]);
  }

  synced(): boolean {
    return this.namespaces.hasSynced() && this.services.hasSynced() && this.slices.hasSynced() && (this.pods?.hasSynced() ?? true);
  }

  /** A Service or EndpointSlice as the informers hold it ("namespace/name"). */
  cachedService(key: string): Svc | undefined { return this.services.get(key); }
  cachedSlice(key: string): Slice | undefined { return this.slices.get(key); }

  stop(): void {
    for (const i of [this.services, this.slices, this.pods, this.namespaces]) i?.stop();
  }
}
