// Integration-test support: a real etcd and API server (the shared harness), the controller
// manager in this process, and small stand-ins for the parts of a cluster these tests do not
// start — an "agent" that reports pods Running and Ready, a "scheduler" that binds pods
// round-robin, and node heartbeats (Lease renewals). Only used by *.test.ts.
import { Informer, NODE_LEASE_NAMESPACE, microTime, retryOnConflict, type KubeObject, type TugboatClient } from '@tugboat/api';
import { etcdAvailable, startApiServerInProcess, startEtcd, type ApiServerHandle, type EtcdHandle } from '@tugboat/test';
import { consoleLogger, silentLogger } from '../controller.js';
import type { LeaseObject, NodeObject, PodObject, ReplicaSetObject } from '../informers.js';
import { ControllerManager, type ManagerOptions } from '../manager.js';
import { ControllerMetrics } from '../metrics.js';

export { etcdAvailable };

export interface TestCluster {
  etcd: EtcdHandle;
  api: ApiServerHandle;
  client: TugboatClient;
  manager: ControllerManager;
  metrics: ControllerMetrics;
  stop(): Promise<void>;
}

export async function startTestCluster(opts: Partial<Omit<ManagerOptions, 'client'>> = {}): Promise<TestCluster> {
  const etcd = await startEtcd();
  let api: ApiServerHandle | undefined;
  try {
    api = await startApiServerInProcess(etcd.endpoint);
    const client = api.client();
    // The controllers act as the controller manager does in a cluster, system:kube-controller-
    // manager, so its default RBAC role is tested on every run; the test itself is the admin.
    const managerClient = api.client(api.pki.credentials(await api.pki.user('system:kube-controller-manager')));
    // TUGBOAT_TEST_LOG=1 shows what the controllers log (sync failures, evictions).
    const metrics = new ControllerMetrics();
    const manager = new ControllerManager({ client: managerClient, metrics, log: process.env['TUGBOAT_TEST_LOG'] ? consoleLogger : silentLogger, ...opts });
    await manager.start();
    const started = api;
    return {
      etcd, api: started, client, manager, metrics,
      async stop() {
        await manager.stop();
        await started.stop();
        await etcd.destroy();
      },
    };
  } catch (e) {
    await api?.stop();
    await etcd.destroy();
    throw e;
  }
}

const iso = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Stands in for agents: pods (bound ones only, if asked) are reported Running and Ready. */
export function fakeAgent(client: TugboatClient, opts: { boundOnly?: boolean; skipNodes?: () => ReadonlySet<string>; neverReady?: (p: PodObject) => boolean } = {}): { stop(): void } {
  const inf = new Informer<PodObject>(client, 'pods');
  const readyUp = (p: PodObject): void => {
    if (p.metadata?.deletionTimestamp) return;
    if (opts.boundOnly && !p.spec?.nodeName) return;
    if (p.spec?.nodeName && opts.skipNodes?.().has(p.spec.nodeName)) return;
    if (opts.neverReady?.(p)) return;
    if (p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return;
    const now = iso();
    void client.updateStatus<PodObject>({
      ...p,
      status: {
        ...p.status,
        phase: 'Running',
        startTime: now,
        conditions: [
          { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
          { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
          { type: 'Ready', status: 'True', lastTransitionTime: now },
        ],
      },
    }).catch(() => undefined);
  };
  inf.onAdd(readyUp).onUpdate((_o, p) => readyUp(p));
  void inf.start();
  return { stop: () => inf.stop() };
}

/** Stands in for agents confirming deletions: a pod marked for deletion is removed (grace 0) after `graceMs`. */
export function fakeReaper(client: TugboatClient, graceMs = 200): { stop(): void } {
  const inf = new Informer<PodObject>(client, 'pods');
  const reap = (p: PodObject): void => {
    if (!p.metadata?.deletionTimestamp) return;
    setTimeout(() => void client.delete('pods', p.metadata?.namespace ?? '', p.metadata?.name ?? '', { gracePeriodSeconds: 0 }).catch(() => undefined), graceMs);
  };
  inf.onAdd(reap).onUpdate((_o, p) => reap(p));
  void inf.start();
  return { stop: () => inf.stop() };
}

/** Stands in for the scheduler: binds each unbound pod to the next of `nodes()`. */
export function fakeScheduler(client: TugboatClient, nodes: () => string[]): { stop(): void } {
  const inf = new Informer<PodObject>(client, 'pods');
  let next = 0;
  const bind = (p: PodObject): void => {
    if (p.spec?.nodeName || p.metadata?.deletionTimestamp) return;
    const list = nodes();
    if (!list.length) return;
    const node = list[next++ % list.length] ?? '';
    void client.bind(p.metadata?.namespace ?? 'default', p.metadata?.name ?? '', node).catch(() => undefined);
  };
  inf.onAdd(bind).onUpdate((_o, p) => bind(p));
  void inf.start();
  return { stop: () => inf.stop() };
}

/** A registered node whose heartbeat (Lease renewal) can be stopped and started. */
export interface FakeNode {
  name: string;
  pause(): void;
  resume(): void;
  stop(): void;
}

/**
 * A node that says it is alive every `renewMs`, as an agent does: by renewing its Lease, or
 * (`via: 'heartbeat'`) by Server/NodeHeartbeat only, its Lease never renewed after creation.
 */
export async function fakeNode(client: TugboatClient, name: string, renewMs = 200, via: 'lease' | 'heartbeat' = 'lease'): Promise<FakeNode> {
  const node = await client.create<NodeObject>({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } } });
  const now = iso();
  await client.updateStatus<NodeObject>({
    ...node,
    status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'agent is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now }] },
  });
  let lease = await client.create<LeaseObject>({
    apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
    metadata: { name, namespace: NODE_LEASE_NAMESPACE },
    spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime(Date.now()) },
  });
  let paused = false;
  let stopped = false;
  const tick = async (): Promise<void> => {
    if (stopped) return;
    if (!paused) {
      try {
        if (via === 'heartbeat') await client.nodeHeartbeat(name);
        else lease = await client.update<LeaseObject>({ ...lease, spec: { ...lease.spec, renewTime: microTime(Date.now()) } });
        // As an agent does: whenever the stored Ready condition is not its own view (the
        // controller marked it Unknown while we were silent), post it again.
        const cur = await client.get<NodeObject>('nodes', '', name);
        if (cur.status?.conditions?.find((x) => x.type === 'Ready')?.status !== 'True') {
          const t = iso();
          await client.updateStatus<NodeObject>({ ...cur, status: { ...cur.status, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: t, lastTransitionTime: t }] } });
        }
      } catch {
        const fresh = await client.tryGet<LeaseObject>('leases', NODE_LEASE_NAMESPACE, name).catch(() => undefined);
        if (fresh) lease = fresh;
      }
    }
    if (!stopped) setTimeout(() => void tick(), renewMs);
  };
  void tick();
  return {
    name,
    pause() { paused = true; },
    resume() { paused = false; },
    stop() { stopped = true; },
  };
}

export function labelled<T extends KubeObject>(items: readonly T[], key: string, value: string): T[] {
  return items.filter((o) => o.metadata?.labels?.[key] === value);
}

/** Read, change, write; again on a conflict (a controller or the fake agent wrote the object meanwhile). */
export function mutate<T extends KubeObject>(c: TugboatClient, resource: string, namespace: string, name: string, change: (obj: T) => T): Promise<void> {
  return retryOnConflict(async () => { await c.update<T>(change(await c.get<T>(resource, namespace, name))); });
}

/** A ReplicaSet in "default" of `replicas` pods labelled app=NAME, each sleeping in busybox. */
export function replicaSet(name: string, replicas: number): ReplicaSetObject {
  return {
    apiVersion: 'apps/v1', kind: 'ReplicaSet',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }] } },
    },
  };
}

/** The pods labelled app=APP in "default"; `active`: only those not being deleted. */
export async function podsOf(c: TugboatClient, app: string, opts: { active?: boolean } = {}): Promise<PodObject[]> {
  const { items } = await c.list<PodObject>('pods', { namespace: 'default', labelSelector: `app=${app}` });
  return opts.active ? items.filter((p) => !p.metadata?.deletionTimestamp) : items;
}
