// Integration: the controller manager against a real API server on a real etcd. No
// scheduler or agent runs: a stand-in reports pods Running and Ready (testing/cluster.ts),
// so readiness-driven logic (availability, rollouts) is exercised for real.
import test from 'ava';
import type { KubeObject, TugboatClient } from '@tugboat/api';
import { waitFor } from '@tugboat/test';
import type { DeploymentObject, PodObject, ReplicaSetObject } from './informers.js';
import { CONTROLLER_NAMES, ControllerManager } from './manager.js';
import { controllerRef } from './owner-refs.js';
import { etcdAvailable, fakeAgent, mutate, podsOf, replicaSet, startTestCluster, type TestCluster } from './testing/cluster.js';

let cluster: TestCluster | undefined;
let agent: { stop(): void } | undefined;

test.before(async () => {
  if (!etcdAvailable()) return;
  cluster = await startTestCluster({ controllers: ['replicaset', 'deployment', 'garbagecollector'] });
  // Pods of image "broken" never become ready, as if their container crashed.
  agent = fakeAgent(cluster.client, { neverReady: (p) => p.spec?.containers[0]?.image === 'broken' });
});

test.after.always(async () => {
  agent?.stop();
  await cluster?.stop();
});

function client(t: { skip: boolean } | unknown): TugboatClient {
  void t;
  if (!cluster) throw new Error('no cluster');
  return cluster.client;
}

const NS = 'default';
const container = (image: string) => [{ name: 'app', image, command: ['sleep', '3600'] }];

async function scale<T extends KubeObject & { spec?: { replicas?: number } }>(c: TugboatClient, resource: string, name: string, replicas: number): Promise<void> {
  await mutate<T>(c, resource, NS, name, (obj) => ({ ...obj, spec: { ...obj.spec, replicas } }));
}

const skipWithoutEtcd = etcdAvailable() ? test : test.skip;

skipWithoutEtcd('a ReplicaSet creates its pods, reports status, and scales down', async (t) => {
  const c = client(t);
  const rs = await c.create(replicaSet('rs-basic', 3));
  await waitFor('3 pods', async () => (await podsOf(c, 'rs-basic', { active: true })).length === 3, 15_000);
  const pods = await podsOf(c, 'rs-basic');
  for (const p of pods) {
    t.deepEqual(controllerRef(p), { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs-basic', uid: rs.metadata?.uid, controller: true, blockOwnerDeletion: true });
    t.regex(p.metadata?.name ?? '', /^rs-basic-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  }
  await waitFor('status: 3 ready and available', async () => {
    const s = (await c.get<ReplicaSetObject>('replicasets', NS, 'rs-basic')).status;
    return s?.replicas === 3 && s.readyReplicas === 3 && s.availableReplicas === 3 && s.fullyLabeledReplicas === 3 && s.observedGeneration === rs.metadata?.generation;
  }, 15_000);

  await scale(c, 'replicasets', 'rs-basic', 1);
  await waitFor('1 pod left', async () => (await podsOf(c, 'rs-basic', { active: true })).length === 1, 15_000);
  await waitFor('status follows', async () => (await c.get<ReplicaSetObject>('replicasets', NS, 'rs-basic')).status?.replicas === 1, 15_000);
  // Stays at 1: no extra pods appear after the dust settles.
  await new Promise((r) => setTimeout(r, 500));
  t.is((await podsOf(c, 'rs-basic', { active: true })).length, 1);
  const events = (await c.list<KubeObject & { reason?: string; involvedObject?: { name?: string } }>('events', { namespace: NS })).items
    .filter((e) => e.involvedObject?.name === 'rs-basic').map((e) => e.reason);
  t.true(events.includes('SuccessfulCreate'));
  t.true(events.includes('SuccessfulDelete'));
});

skipWithoutEtcd('a ReplicaSet adopts a matching orphan and releases a pod whose labels no longer match', async (t) => {
  const c = client(t);
  const rs = await c.create(replicaSet('rs-adopt', 2));
  await waitFor('2 pods', async () => (await podsOf(c, 'rs-adopt', { active: true })).length === 2, 15_000);

  // Relabel one pod: it leaves the ReplicaSet, which makes a replacement.
  const [leaving] = await podsOf(c, 'rs-adopt');
  if (!leaving) return t.fail();
  await mutate<PodObject>(c, 'pods', NS, leaving.metadata?.name ?? '', (p) => ({ ...p, metadata: { ...p.metadata, labels: { app: 'rs-adopt-released' } } }));
  await waitFor('released pod has no owner', async () => {
    const p = await c.get<PodObject>('pods', NS, leaving.metadata?.name ?? '');
    return !p.metadata?.ownerReferences?.length;
  }, 15_000);
  await waitFor('replacement', async () => (await podsOf(c, 'rs-adopt', { active: true })).length === 2, 15_000);

  // A hand-made pod with the right labels is adopted; one pod goes so 2 remain.
  await c.create<PodObject>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'rs-adopt-orphan', namespace: NS, labels: { app: 'rs-adopt' } }, spec: { containers: container('busybox') } });
  await waitFor('2 owned pods again', async () => {
    const pods = await podsOf(c, 'rs-adopt', { active: true });
    return pods.length === 2 && pods.every((p) => controllerRef(p)?.uid === rs.metadata?.uid);
  }, 15_000);
  t.pass();
});

skipWithoutEtcd('deleting a ReplicaSet (background) deletes its pods; with orphan they stay, unowned', async (t) => {
  const c = client(t);
  await c.create(replicaSet('rs-bg', 2));
  await c.create(replicaSet('rs-orphan', 2));
  await waitFor('pods', async () => (await podsOf(c, 'rs-bg', { active: true })).length === 2 && (await podsOf(c, 'rs-orphan', { active: true })).length === 2, 15_000);

  await c.delete('replicasets', NS, 'rs-bg');
  await waitFor('background: pods deleted', async () => (await podsOf(c, 'rs-bg')).length === 0, 15_000);

  await c.delete('replicasets', NS, 'rs-orphan', { propagationPolicy: 'Orphan' });
  await waitFor('orphan: ReplicaSet gone', async () => !(await c.tryGet('replicasets', NS, 'rs-orphan')), 15_000);
  await waitFor('orphan: pods unowned', async () => {
    const pods = await podsOf(c, 'rs-orphan');
    return pods.length === 2 && pods.every((p) => !p.metadata?.ownerReferences?.length);
  }, 15_000);
  await new Promise((r) => setTimeout(r, 500));
  t.is((await podsOf(c, 'rs-orphan')).length, 2, 'orphaned pods are not collected');
});

skipWithoutEtcd('foreground deletion: the owner stays until its dependents are gone', async (t) => {
  const c = client(t);
  await c.create(replicaSet('rs-fg', 2));
  await waitFor('pods', async () => (await podsOf(c, 'rs-fg', { active: true })).length === 2, 15_000);
  const marked = await c.delete<ReplicaSetObject>('replicasets', NS, 'rs-fg', { propagationPolicy: 'Foreground' });
  t.truthy(marked.metadata?.deletionTimestamp);
  t.true(marked.metadata?.finalizers?.includes('foregroundDeletion'));
  await waitFor('owner and pods gone', async () => !(await c.tryGet('replicasets', NS, 'rs-fg')) && (await podsOf(c, 'rs-fg')).length === 0, 15_000);
});

function deployment(name: string, replicas: number, image: string): DeploymentObject {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: container(image) } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } },
    },
  };
}

async function setImage(c: TugboatClient, name: string, image: string): Promise<void> {
  await mutate<DeploymentObject>(c, 'deployments', NS, name, (d) => {
    const template = structuredClone(d.spec?.template ?? {});
    if (template.spec) template.spec.containers = container(image);
    return { ...d, spec: { ...d.spec, selector: d.spec?.selector ?? {}, template } };
  });
}

async function rsOf(c: TugboatClient, app: string): Promise<ReplicaSetObject[]> {
  return (await c.list<ReplicaSetObject>('replicasets', { namespace: NS, labelSelector: `app=${app}` })).items;
}

const complete = async (c: TugboatClient, name: string): Promise<boolean> => {
  const d = await c.get<DeploymentObject>('deployments', NS, name);
  const s = d.status;
  const progressing = s?.conditions?.find((x) => x.type === 'Progressing');
  const available = s?.conditions?.find((x) => x.type === 'Available');
  return s?.observedGeneration === d.metadata?.generation && s?.updatedReplicas === d.spec?.replicas && s?.replicas === d.spec?.replicas
    && s?.availableReplicas === d.spec?.replicas && progressing?.reason === 'NewReplicaSetAvailable' && available?.status === 'True';
};

skipWithoutEtcd('a Deployment rolls out a new ReplicaSet within maxUnavailable, then rolls back', async (t) => {
  const c = client(t);
  const name = 'web';
  await c.create(deployment(name, 4, 'web:v1'));
  await waitFor('rollout of v1 complete', () => complete(c, name), 20_000);
  const [first] = await rsOf(c, name);
  t.is(first?.metadata?.annotations?.['deployment.kubernetes.io/revision'], '1');
  const hash = first?.metadata?.labels?.['pod-template-hash'];
  t.truthy(hash);
  t.is(first?.metadata?.name, `${name}-${hash}`);
  t.is(first?.spec?.selector?.matchLabels?.['pod-template-hash'], hash);

  // Watch ready pods through the rollout: never fewer than replicas - maxUnavailable = 3.
  let minReady = Infinity;
  let maxPods = 0;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const pods = await podsOf(c, name);
      const ready = pods.filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')).length;
      minReady = Math.min(minReady, ready);
      maxPods = Math.max(maxPods, pods.filter((p) => !p.metadata?.deletionTimestamp).length);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  await setImage(c, name, 'web:v2');
  await waitFor('rollout of v2 complete', async () => {
    if (!(await complete(c, name))) return false;
    const sets = await rsOf(c, name);
    return sets.length === 2 && sets.some((r) => r.spec?.replicas === 0);
  }, 30_000);
  watching = false;
  await watcher;
  t.true(minReady >= 3, `ready pods dropped to ${minReady}`);
  t.true(maxPods <= 5, `pods peaked at ${maxPods} (max surge 1)`);

  const sets = await rsOf(c, name);
  const v2 = sets.find((r) => r.spec?.template?.spec?.containers[0]?.image === 'web:v2');
  t.is(v2?.metadata?.annotations?.['deployment.kubernetes.io/revision'], '2');
  t.is(v2?.spec?.replicas, 4);
  t.is((await c.get<DeploymentObject>('deployments', NS, name)).metadata?.annotations?.['deployment.kubernetes.io/revision'], '2');
  const events = (await c.list<KubeObject & { reason?: string; message?: string; involvedObject?: { name?: string } }>('events', { namespace: NS })).items
    .filter((e) => e.involvedObject?.name === name && e.reason === 'ScalingReplicaSet');
  t.true(events.length >= 2);

  // rollout undo: the template of revision 1 again; its ReplicaSet is reused as revision 3.
  await setImage(c, name, 'web:v1');
  await waitFor('rollback complete', async () => {
    if (!(await complete(c, name))) return false;
    const rss = await rsOf(c, name);
    const back = rss.find((r) => r.metadata?.uid === first?.metadata?.uid);
    return back?.spec?.replicas === 4 && back.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '3';
  }, 30_000);
  t.is((await rsOf(c, name)).length, 2, 'no third ReplicaSet');
});

skipWithoutEtcd('scaling a Deployment follows; deleting it removes its ReplicaSets and pods', async (t) => {
  const c = client(t);
  const name = 'scaled';
  await c.create(deployment(name, 2, 'app:v1'));
  await waitFor('2 pods', async () => (await podsOf(c, name, { active: true })).length === 2, 20_000);
  await scale(c, 'deployments', name, 5);
  await waitFor('5 pods', async () => (await podsOf(c, name, { active: true })).length === 5 && complete(c, name), 20_000);
  await scale(c, 'deployments', name, 1);
  await waitFor('1 pod', async () => (await podsOf(c, name, { active: true })).length === 1 && complete(c, name), 20_000);
  await c.delete('deployments', NS, name);
  await waitFor('ReplicaSets and pods gone', async () => (await rsOf(c, name)).length === 0 && (await podsOf(c, name)).length === 0, 20_000);
  t.pass();
});

skipWithoutEtcd('deleting a Deployment with orphan keeps its ReplicaSet and pods', async (t) => {
  const c = client(t);
  const name = 'kept';
  await c.create(deployment(name, 2, 'app:v1'));
  await waitFor('2 pods', async () => (await podsOf(c, name, { active: true })).length === 2, 20_000);
  await c.delete('deployments', NS, name, { propagationPolicy: 'Orphan' });
  await waitFor('Deployment gone, ReplicaSet unowned', async () => {
    if (await c.tryGet('deployments', NS, name)) return false;
    const rss = await rsOf(c, name);
    return rss.length === 1 && !rss[0]?.metadata?.ownerReferences?.length;
  }, 20_000);
  await new Promise((r) => setTimeout(r, 500));
  t.is((await podsOf(c, name, { active: true })).length, 2);
});

skipWithoutEtcd('Recreate: old pods are gone before new ones start', async (t) => {
  const c = client(t);
  const name = 'recreate';
  const d = deployment(name, 2, 'app:v1');
  d.spec = { ...d.spec, selector: d.spec?.selector ?? {}, template: d.spec?.template ?? {}, strategy: { type: 'Recreate' } };
  await c.create(d);
  await waitFor('v1 complete', () => complete(c, name), 20_000);
  let overlap = false;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const pods = await podsOf(c, name);
      const images = new Set(pods.map((p) => p.spec?.containers[0]?.image));
      if (images.has('app:v1') && images.has('app:v2')) overlap = true;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  await setImage(c, name, 'app:v2');
  await waitFor('v2 complete', async () => (await complete(c, name)) && (await podsOf(c, name)).every((p) => p.spec?.containers[0]?.image === 'app:v2'), 20_000);
  watching = false;
  await watcher;
  t.false(overlap);
});

skipWithoutEtcd('a paused Deployment does not roll out until resumed', async (t) => {
  const c = client(t);
  const name = 'paused';
  await c.create(deployment(name, 2, 'app:v1'));
  await waitFor('v1 complete', () => complete(c, name), 20_000);
  const setPaused = (paused: boolean): Promise<void> => mutate<DeploymentObject>(c, 'deployments', NS, name, (d) => ({ ...d, spec: { ...d.spec, selector: d.spec?.selector ?? {}, template: d.spec?.template ?? {}, paused } }));
  await setPaused(true);
  await waitFor('Progressing: DeploymentPaused', async () => (await c.get<DeploymentObject>('deployments', NS, name)).status?.conditions?.some((x) => x.type === 'Progressing' && x.reason === 'DeploymentPaused') ?? false, 10_000);
  await setImage(c, name, 'app:v2');
  await new Promise((r) => setTimeout(r, 700));
  t.is((await rsOf(c, name)).length, 1, 'no new ReplicaSet while paused');
  await setPaused(false);
  await waitFor('v2 rolled out after resume', async () => (await complete(c, name)) && (await podsOf(c, name, { active: true })).every((x) => x.spec?.containers[0]?.image === 'app:v2'), 20_000);
});

skipWithoutEtcd('a rollout that makes no progress reports ProgressDeadlineExceeded and keeps old pods serving', async (t) => {
  const c = client(t);
  const name = 'stuck';
  const d = deployment(name, 3, 'app:v1');
  d.spec = { ...d.spec, selector: d.spec?.selector ?? {}, template: d.spec?.template ?? {}, progressDeadlineSeconds: 2 };
  await c.create(d);
  await waitFor('v1 complete', () => complete(c, name), 20_000);
  await setImage(c, name, 'broken');
  await waitFor('ProgressDeadlineExceeded', async () => {
    const cond = (await c.get<DeploymentObject>('deployments', NS, name)).status?.conditions?.find((x) => x.type === 'Progressing');
    return cond?.status === 'False' && cond.reason === 'ProgressDeadlineExceeded';
  }, 20_000);
  const ready = (await podsOf(c, name, { active: true })).filter((p) => p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'));
  t.true(ready.length >= 2, 'maxUnavailable 1 of 3: at least 2 old pods still serve');
});

skipWithoutEtcd('the legacy rollback annotation restores the template of a revision', async (t) => {
  const c = client(t);
  const name = 'legacy';
  await c.create(deployment(name, 1, 'app:v1'));
  await waitFor('v1 complete', () => complete(c, name), 20_000);
  await setImage(c, name, 'app:v2');
  await waitFor('v2 complete', async () => (await complete(c, name)) && (await rsOf(c, name)).length === 2, 20_000);
  await mutate<DeploymentObject>(c, 'deployments', NS, name, (d) => ({ ...d, metadata: { ...d.metadata, annotations: { ...d.metadata?.annotations, 'deprecated.deployment.rollback.to': '1' } } }));
  await waitFor('back on v1, annotation cleared', async () => {
    const cur = await c.get<DeploymentObject>('deployments', NS, name);
    return cur.spec?.template?.spec?.containers[0]?.image === 'app:v1' && !cur.metadata?.annotations?.['deprecated.deployment.rollback.to'] && complete(c, name);
  }, 20_000);
  t.is((await rsOf(c, name)).length, 2);
});

test('names() lists every controller that runs, the volume ones included (the start-up log line)', (t) => {
  const m = new ControllerManager({ client: client(t) });
  // Without --root-ca-file and --allocate-node-cidrs those two do not run, as in Kubernetes.
  t.deepEqual(m.names(), CONTROLLER_NAMES.filter((n) => n !== 'root-ca-cert-publisher' && n !== 'nodeipam'));
  t.true(m.names().includes('persistentvolume-binder') && m.names().includes('local-path-provisioner'));
  const some = new ControllerManager({ client: client(t), controllers: ['pv-protection', 'local-path-provisioner'] });
  t.deepEqual(some.names(), ['local-path-provisioner', 'pv-protection']);
});
