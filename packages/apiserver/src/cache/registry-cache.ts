// The objects the registry reads from memory instead of etcd on its hottest paths: namespaces
// (every create checks its namespace), and leases and nodes (every agent renews its Lease and
// writes its Node's status on a timer, each an update naming the version it read). Each is an
// informer on the shared watch cache; see Registry.readAt for why a cached read is safe there.
// Pods are not kept here, to spare memory at fleet scale: the list cache (list-cache.ts)
// holds them once, for lists only; a pod's writes read it from etcd.
import type { Registry } from '../registry/registry.js';
import type { Storage } from '../storage/storage.js';
import type { WatchCache } from '../watch/watch-cache.js';
import { ServerInformer } from './server-informer.js';

/** Resources whose objects the registry may read from memory. */
export const CACHED_RESOURCES = ['namespaces', 'leases', 'nodes'] as const;

export interface RegistryCache {
  start(): void;
  stop(): void;
}

export function registryCache(registry: Registry, cache: WatchCache, storage: Storage, log: (line: string) => void): RegistryCache {
  const informers = new Map(CACHED_RESOURCES.map((r) => [r as string, new ServerInformer(r, registry, cache, storage, { log })]));
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
      for (const i of informers.values()) i.stop();
    },
  };
}
