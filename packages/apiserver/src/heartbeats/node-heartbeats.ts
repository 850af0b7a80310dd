// Where this API server's heartbeat batches go: the Lease tugboat-system/node-heartbeats-<id>,
// one per API server process, overwritten by each batch (heartbeat-batcher.ts). The node
// lifecycle controller watches these Leases; each new version is news of life for the nodes it
// lists. A Lease, not a new kind, so that kubectl, RBAC and the watch cache need nothing new.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { ApiError, NODE_HEARTBEATS_ANNOTATION, NODE_HEARTBEATS_LABEL, NODE_LEASE_NAMESPACE, SYSTEM_NAMESPACE, microTime, type KubeObject, type Lease } from '@tugboat/api';
import type { Registry } from '../registry/registry.js';
import { HeartbeatBatcher } from './heartbeat-batcher.js';

/** How long a heartbeat waits for its batch: at most this, plus the one etcd write. */
export const DEFAULT_HEARTBEAT_FLUSH_MS = 200;

/** This process's heartbeat Lease name: stable across restarts of the same server (host, port, worker). */
export function heartbeatLeaseName(listenAddress: string, worker: number | undefined): string {
  const id = createHash('sha256').update(`${hostname()}|${listenAddress}|${worker ?? ''}`).digest('hex').slice(0, 12);
  return `node-heartbeats-${id}`;
}

/** The Lease a batch is written as (`previous`: what is stored, whose other fields are kept). */
export function heartbeatLease(name: string, nodes: readonly string[], nowMs: number, previous?: KubeObject): KubeObject {
  const meta = previous?.metadata ?? {};
  return {
    ...(previous ?? {}),
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      ...meta,
      name,
      namespace: SYSTEM_NAMESPACE,
      labels: { ...(meta.labels ?? {}), [NODE_HEARTBEATS_LABEL]: 'true' },
      annotations: { ...(meta.annotations ?? {}), [NODE_HEARTBEATS_ANNOTATION]: nodes.join(',') },
    },
    spec: { holderIdentity: name, renewTime: microTime(nowMs) },
  } as KubeObject;
}

export function nodeHeartbeats(registry: Registry, name: string, flushIntervalMs = DEFAULT_HEARTBEAT_FLUSH_MS, now: () => number = Date.now): HeartbeatBatcher {
  const write = async (nodes: readonly string[]): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      try {
        await registry.modify('leases', SYSTEM_NAMESPACE, name, (cur) => heartbeatLease(name, nodes, now(), cur));
        return;
      } catch (e) {
        if (!(e instanceof ApiError) || e.reason !== 'NotFound' || attempt > 0) throw e;
      }
      try {
        await registry.create(heartbeatLease(name, nodes, now()));
        return;
      } catch (e) {
        // Made meanwhile (another start of this server): modify it on the next round.
        if (!(e instanceof ApiError) || e.reason !== 'AlreadyExists') throw e;
      }
    }
  };
  return new HeartbeatBatcher({ flushIntervalMs, write });
}

/**
 * A node's own Lease (kube-node-lease/<node>) renewed as its agent would renew it: holder the
 * node, this duration, renewTime now; the rest as stored. Returns the new resourceVersion, or
 * undefined when there is no such Lease (the agent creates it, with its owner reference to the
 * Node). Other failures throw.
 */
export async function renewNodeLease(registry: Registry, node: string, leaseDurationSeconds: number, now: () => number = Date.now): Promise<string | undefined> {
  try {
    const res = await registry.modify('leases', NODE_LEASE_NAMESPACE, node, (cur) => {
      const lease = cur as Lease & KubeObject;
      return { ...lease, spec: { ...(lease.spec ?? {}), holderIdentity: node, leaseDurationSeconds, renewTime: microTime(now()) } };
    });
    return res.object.metadata?.resourceVersion;
  } catch (e) {
    if (e instanceof ApiError && e.reason === 'NotFound') return undefined;
    throw e;
  }
}
