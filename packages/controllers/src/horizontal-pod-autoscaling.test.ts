// The HPA: the scaling rules as pure functions (Kubernetes' normalization cases), then the
// controller against a real API server on a real etcd, with usage reported on a Node the
// way agents report it and read back through metrics.k8s.io.
import test from 'ava';
import type { HorizontalPodAutoscalerObject, KubeObject, TugboatClient } from '@tugboat/api';
import { waitFor } from '@tugboat/test';
import { normalizeLegacy, normalizeWithBehavior, recordScaleEvent, scaleLimit } from './hpa-scaling-rules.js';
import type { DeploymentObject, NodeObject, PodObject } from './informers.js';
import { etcdAvailable, fakeAgent, startTestCluster } from './testing/cluster.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

test('without behavior: a scale-down keeps the highest recommendation of the window; a scale-up is at most max(2×, 4)', (t) => {
  const recs = [{ timestampMs: T0 - 60_000, replicas: 6 }, { timestampMs: T0 - 400_000, replicas: 9 }];
  const n = normalizeLegacy({ current: 6, desired: 2, min: 1, max: 10, windowMs: 300_000, nowMs: T0, recommendations: recs });
  t.is(n.replicas, 6);
  t.is(n.ableToScale.reason, 'ScaleDownStabilized');
  t.deepEqual(n.recommendations.map((r) => r.replicas), [6, 2], 'the expired slot is reused');
  const up = normalizeLegacy({ current: 1, desired: 10, min: 1, max: 10, windowMs: 300_000, nowMs: T0, recommendations: [] });
  t.like(up, { replicas: 4, limited: true, limitReason: { reason: 'ScaleUpLimit' } });
  t.like(normalizeLegacy({ current: 3, desired: 5, min: 1, max: 4, windowMs: 0, nowMs: T0, recommendations: [] }), { replicas: 4, limitReason: { reason: 'TooManyReplicas' } });
  t.like(normalizeLegacy({ current: 3, desired: 1, min: 2, max: 4, windowMs: 0, nowMs: T0, recommendations: [] }), { replicas: 2, limitReason: { reason: 'TooFewReplicas' } });
  t.like(normalizeLegacy({ current: 3, desired: 3, min: 1, max: 4, windowMs: 0, nowMs: T0, recommendations: [] }), { replicas: 3, limited: false, ableToScale: { reason: 'ReadyForNewScale' }, limitReason: { reason: 'DesiredWithinRange' } });
});

test('behavior policies: Pods/Percent per period, selectPolicy, changes already made in the period (Kubernetes\' TestScalingWithRules cases)', (t) => {
  const up = { selectPolicy: 'Max', stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] };
  // From 10: +4 pods or +100% → Max picks 20; Min picks 14.
  t.is(scaleLimit('up', 10, [], [], up, T0), 20);
  t.is(scaleLimit('up', 10, [], [], { ...up, selectPolicy: 'Min' }, T0), 14);
  t.is(scaleLimit('up', 10, [], [], { ...up, selectPolicy: 'Disabled' }, T0), 10);
  // 5 added 10 s ago count against the period: it started at 5 → max(9, 10) = 10.
  t.is(scaleLimit('up', 10, [{ timestampMs: T0 - 10_000, change: 5, outdated: false }], [], up, T0), 10);
  const down = { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }, { type: 'Pods', value: 2, periodSeconds: 60 }] };
  t.is(scaleLimit('down', 10, [], [], down, T0), 5, 'Max: the bigger cut');
  t.is(scaleLimit('down', 10, [], [], { ...down, selectPolicy: 'Min' }, T0), 8, 'Min: the smaller cut');
  // Percent down rounds the count down, up rounds it up (int32(…) and math.Ceil).
  t.is(scaleLimit('down', 3, [], [], { policies: [{ type: 'Percent', value: 50, periodSeconds: 15 }] }, T0), 1);
  t.is(scaleLimit('up', 3, [], [], { policies: [{ type: 'Percent', value: 50, periodSeconds: 15 }] }, T0), 5);
});

test('behavior stabilization: up to the lowest recommendation of the up window, down to the highest of the down window', (t) => {
  const base = {
    min: 1, max: 100, nowMs: T0, upEvents: [], downEvents: [],
    scaleUp: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 100, periodSeconds: 15 }] },
    scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
  };
  const recs = [{ timestampMs: T0 - 30_000, replicas: 4 }, { timestampMs: T0 - 20_000, replicas: 8 }];
  t.like(normalizeWithBehavior({ ...base, current: 5, desired: 10, recommendations: recs }), { replicas: 5, ableToScale: { reason: 'ScaleUpStabilized' } });
  t.like(normalizeWithBehavior({ ...base, current: 5, desired: 2, recommendations: recs }), { replicas: 5, ableToScale: { reason: 'ScaleDownStabilized' } });
  t.like(normalizeWithBehavior({ ...base, current: 5, desired: 6, recommendations: [{ timestampMs: T0 - 30_000, replicas: 7 }] }), { replicas: 6, ableToScale: { reason: 'ReadyForNewScale' } });
  const limited = normalizeWithBehavior({ ...base, current: 10, desired: 1, recommendations: [], scaleDown: { ...base.scaleDown, stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 3, periodSeconds: 15 }] } });
  t.like(limited, { replicas: 7, limited: true, limitReason: { reason: 'ScaleDownLimit' } });
  const events = recordScaleEvent([{ timestampMs: T0 - 100_000, change: 1, outdated: false }], base.scaleUp, 3, T0);
  t.deepEqual(events, [{ timestampMs: T0, change: 3, outdated: false }], 'an event older than the longest period gives its slot');
});

// ---- against a real API server ---------------------------------------------------------

const NS = 'default';

/** Reports every pod of the deployment at `milli` cpu on node n1, as an agent's usage report would. */
async function reportUsage(client: TugboatClient, milli: number): Promise<void> {
  const pods = (await client.list<PodObject>('pods', { namespace: NS, labelSelector: 'app=burn' })).items;
  const usage: Record<string, unknown> = {};
  for (const p of pods) usage[`${NS}/${p.metadata?.name}`] = { cpu: `${milli}m`, memory: '10Mi', containers: { c: { cpu: `${milli}m`, memory: '10Mi' } } };
  for (let i = 0; i < 5; i++) {
    const node = await client.get<NodeObject>('nodes', '', 'n1');
    const annotations = { ...node.metadata?.annotations, 'tugboat.io/usage': JSON.stringify({ cpu: '1', memory: '1Gi', timestamp: new Date().toISOString() }), 'tugboat.io/pod-usage': JSON.stringify(usage) };
    try { await client.update({ ...node, metadata: { ...node.metadata, annotations } }); return; } catch { /* conflict: again */ }
  }
}

test('scales a Deployment up on cpu over target and back down after the stabilization window', async (t) => {
  if (!(await etcdAvailable())) { t.log('skipped: etcd is not installed'); t.pass(); return; }
  const c = await startTestCluster({
    controllers: ['replicaset', 'deployment', 'horizontalpodautoscaling'],
    hpa: { syncPeriodMs: 300, downscaleStabilizationMs: 3_000, cpuInitializationPeriodMs: 0 },
  });
  const agent = fakeAgent(c.client);
  t.teardown(async () => { agent.stop(); await c.stop(); });
  await c.client.create<KubeObject>({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
  await c.client.create<DeploymentObject>({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'burn', namespace: NS },
    spec: {
      replicas: 1, selector: { matchLabels: { app: 'burn' } },
      template: { metadata: { labels: { app: 'burn' } }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '100m' } } }] } },
    },
  });
  await c.client.create<HorizontalPodAutoscalerObject>({
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'burn', namespace: NS },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'burn' }, minReplicas: 1, maxReplicas: 5,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
    },
  });
  const replicas = async (): Promise<number> => (await c.client.get<DeploymentObject>('deployments', NS, 'burn')).spec?.replicas ?? 0;
  // 100m per pod, 100% of its request against 50% wanted: 2× per round, the legacy limit max(2×, 4) — 1 → 2 → 4 → 5 (max).
  await waitFor('5 replicas', async () => { await reportUsage(c.client, 100); return (await replicas()) === 5; }, 30_000, 300);
  // The status write follows the scale write.
  const status = async () => (await c.client.get<HorizontalPodAutoscalerObject>('horizontalpodautoscalers', NS, 'burn')).status;
  await waitFor('status of the rescale', async () => (await status())?.desiredReplicas === 5, 10_000);
  const hpa = { status: await status() };
  t.like(hpa.status?.conditions?.find((x) => x.type === 'ScalingActive'), { status: 'True', reason: 'ValidMetricFound' });
  t.like(hpa.status?.currentMetrics?.[0], { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 100, averageValue: '100m' } } });
  const events = (await c.client.list<KubeObject & { reason?: string; message?: string }>('events', { namespace: NS })).items;
  t.true(events.some((e) => e.reason === 'SuccessfulRescale' && /^New size: \d; reason: cpu resource utilization \(percentage of request\) above target$/.test(e.message ?? '')));

  // Idle: the window holds the size for 3 s, then it falls to minReplicas.
  const idleAt = Date.now();
  await reportUsage(c.client, 1);
  await waitFor('1 replica', async () => { await reportUsage(c.client, 1); return (await replicas()) === 1; }, 30_000, 300);
  // The last high recommendation may predate the idle report by up to one sync period.
  const held = Date.now() - idleAt;
  t.log(`scaled down ${held} ms after the load stopped`);
  t.true(held >= 3_000 - 300, `held ${held} ms: not before the stabilization window`);
  // Again the status write follows the scale write (read at once, it can still say 5 and TooManyReplicas).
  await waitFor('status of the scale-down', async () => (await status())?.desiredReplicas === 1, 10_000);
  t.like((await status())?.conditions?.find((x) => x.type === 'ScalingLimited'), { status: 'False', reason: 'DesiredWithinRange' });
});

test('a target that cannot be read: AbleToScale False FailedGetScale', async (t) => {
  if (!(await etcdAvailable())) { t.log('skipped: etcd is not installed'); t.pass(); return; }
  const c = await startTestCluster({ controllers: ['horizontalpodautoscaling'], hpa: { syncPeriodMs: 300 } });
  t.teardown(() => c.stop());
  await c.client.create<HorizontalPodAutoscalerObject>({
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h', namespace: NS },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'missing' }, maxReplicas: 3 },
  });
  const cond = async () => (await c.client.get<HorizontalPodAutoscalerObject>('horizontalpodautoscalers', NS, 'h')).status?.conditions?.find((x) => x.type === 'AbleToScale');
  await waitFor('AbleToScale', async () => (await cond()) !== undefined, 15_000);
  const able = await cond();
  t.like(able, { status: 'False', reason: 'FailedGetScale' });
  t.regex(able?.message ?? '', /^the HPA controller was unable to get the target's current scale: deployments.apps "missing" not found$/);
});
