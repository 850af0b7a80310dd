// Shared informers: one list+watch cache per resource for the whole controller manager,
// however many controllers read it (as client-go's SharedInformerFactory). Controllers ask
// for the informers they need before start(); handlers they register only enqueue keys.
import { Informer, type ApiError, type KubeObject, type TugboatClient } from '@tugboat/api';
import type { Deployment, EndpointSlice, Endpoints, Lease, Node, Pod, ReplicaSet, Service } from '@tugboat/api';
import type { ControllerRevision, DaemonSet, StatefulSet } from '@tugboat/api';
import type { PersistentVolumeClaimObject, PersistentVolumeObject, StorageClassObject } from '@tugboat/api';

export type PodObject = Pod & KubeObject;
export type NodeObject = Node & KubeObject;
export type LeaseObject = Lease & KubeObject;
export type ReplicaSetObject = ReplicaSet & KubeObject;
export type DeploymentObject = Deployment & KubeObject;
export type ServiceObject = Service & KubeObject;
export type EndpointsObject = Endpoints & KubeObject;
export type EndpointSliceObject = EndpointSlice & KubeObject;
export type DaemonSetObject = DaemonSet & KubeObject;
export type ControllerRevisionObject = ControllerRevision & KubeObject;
export type StatefulSetObject = StatefulSet & KubeObject;

export class SharedInformers {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private started = false;

  constructor(private readonly client: TugboatClient, private readonly onError?: (resource: string, err: ApiError) => void) {}

  /** The informer for `resource` (all namespaces), created on first request. */
  forResource<T extends KubeObject>(resource: string): Informer<T> {
    let inf = this.informers.get(resource);
    if (!inf) {
      if (this.started) throw new Error(`informer for ${resource} requested after start`);
      const onError = this.onError;
      inf = new Informer<KubeObject>(this.client, resource, onError ? { onError: (e) => onError(resource, e) } : {});
      this.informers.set(resource, inf);
    }
    return inf as unknown as Informer<T>;
  }

  pods(): Informer<PodObject> { return this.forResource<PodObject>('pods'); }
  nodes(): Informer<NodeObject> { return this.forResource<NodeObject>('nodes'); }
  leases(): Informer<LeaseObject> { return this.forResource<LeaseObject>('leases'); }
  replicaSets(): Informer<ReplicaSetObject> { return this.forResource<ReplicaSetObject>('replicasets'); }
  deployments(): Informer<DeploymentObject> { return this.forResource<DeploymentObject>('deployments'); }
  services(): Informer<ServiceObject> { return this.forResource<ServiceObject>('services'); }
  endpoints(): Informer<EndpointsObject> { return this.forResource<EndpointsObject>('endpoints'); }
  endpointSlices(): Informer<EndpointSliceObject> { return this.forResource<EndpointSliceObject>('endpointslices'); }
  daemonSets(): Informer<DaemonSetObject> { return this.forResource<DaemonSetObject>('daemonsets'); }
  controllerRevisions(): Informer<ControllerRevisionObject> { return this.forResource<ControllerRevisionObject>('controllerrevisions'); }
  statefulSets(): Informer<StatefulSetObject> { return this.forResource<StatefulSetObject>('statefulsets'); }
  persistentVolumeClaims(): Informer<PersistentVolumeClaimObject> { return this.forResource<PersistentVolumeClaimObject>('persistentvolumeclaims'); }
  persistentVolumes(): Informer<PersistentVolumeObject> { return this.forResource<PersistentVolumeObject>('persistentvolumes'); }
  storageClasses(): Informer<StorageClassObject> { return this.forResource<StorageClassObject>('storageclasses'); }

  resources(): string[] { return [...this.informers.keys()]; }

  /** Starts every requested informer; resolves when all have listed once. */
  async start(): Promise<void> {
    this.started = true;
    await Promise.all([...this.informers.values()].map((i) => i.start()));
  }

  hasSynced(): boolean {
    return [...this.informers.values()].every((i) => i.hasSynced());
  }

  stop(): void {
    for (const i of this.informers.values()) i.stop();
  }
}
