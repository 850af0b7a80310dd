// The objects the registry reads from memory instead of etcd on its hottest paths: namespaces
// (every create checks its namespace), leases and nodes (every agent renews its Lease and
// writes its Node's status on a timer, each an update naming the version it read), and pods
// (each is bound, then its status written) when the list cache keeps them anyway. Each is an
// informer on the shared watch cache, the list cache's own (one copy per resource); see
// Registry.readAt and readFirst for why a cached read is safe there.
import type { Registry } from '../registry/registry.js';
import type { ListCaches } from './list-cache.js';

/** Resources whose objects the registry may read from memory. */
export const CACHED_RESOURCES = ['namespaces', 'leases', 'nodes'] as const;

export interface RegistryCache {
  stop(): void;
}

/** The informers are the list cache's, started when handed out and stopped with it. */
export function registryCache(registry: Registry, caches: Pick<ListCaches, 'informer' | 'holds'>): RegistryCache {
  // Pods only where the list cache holds them: a copy of every pod for this alone would cost
  // more memory at fleet scale than the reads it saves.
  const resources: string[] = [...CACHED_RESOURCES, ...(caches.holds('pods') ? ['pods'] : [])];
  const informers = new Map(resources.map((r) => [r, caches.informer(r)]));
  // Each store answers in the form it holds: objects kept as they are, or etcd's text (pods).
  registry.objectCache = (resource, namespace, name) => {
    const informer = informers.get(resource);
    return informer?.isSynced() && informer.store.holdsObjects ? informer.store.get(namespace, name) : undefined;
  };
  registry.storedCache = (resource, namespace, name) => {
    const informer = informers.get(resource);
    return informer?.isSynced() ? informer.store.stored?.(namespace, name) : undefined;
  };
  const nodes = informers.get('nodes');
  registry.cachedNodes = () => (nodes?.isSynced() ? nodes.store.list() : undefined);
  return {
    stop: () => {
      registry.objectCache = undefined;
      registry.storedCache = undefined;
      registry.cachedNodes = undefined;
    },
  };
}
