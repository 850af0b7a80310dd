// The objects the registry reads from memory instead of etcd on its hottest paths: namespaces
// (every create checks its namespace), and leases and nodes (every agent renews its Lease and
// writes its Node's status on a timer, each an update naming the version it read). Each is an
// informer on the shared watch cache, the list cache's own (one copy per resource); see
// Registry.readAt for why a cached read is safe there. Pods are not read from here: a pod's
// writes read it from etcd.
import type { Registry } from '../registry/registry.js';
import type { ListCaches } from './list-cache.js';

/** Resources whose objects the registry may read from memory. */
export const CACHED_RESOURCES = ['namespaces', 'leases', 'nodes'] as const;

export interface RegistryCache {
  start(): void;
  stop(): void;
}

/** The informers are the list cache's, which starts and stops them. */
export function registryCache(registry: Registry, caches: Pick<ListCaches, 'informer'>): RegistryCache {
  const informers = new Map(CACHED_RESOURCES.map((r) => [r as string, caches.informer(r)]));
  registry.objectCache = (resource, namespace, name) => {
    const informer = informers.get(resource);
    return informer?.isSynced() ? informer.store.get(namespace, name) : undefined;
  };
  const nodes = informers.get('nodes');
  registry.cachedNodes = () => (nodes?.isSynced() ? nodes.store.list() : undefined);
  return {
    start: () => { for (const i of informers.values()) i.start(); },
    stop: () => {
      registry.objectCache = undefined;
      registry.cachedNodes = undefined;
    },
  };
}
