// The calculator against Kubernetes' own table (replica_calculator_test.go), one container
// per pod: levels are each pod's cpu in millicores, requests 1 core unless given.
import test from 'ava';
import { resourceReplicas, type CalculatorOptions, type MetricTargetValue, type PodMetric, type PodSample } from './replica-calculator.js';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const OPTS: CalculatorOptions = { tolerance: 0.1, cpuInitializationPeriodMs: 2 * 60_000, initialReadinessDelayMs: 10_000, nowMs: NOW };
/** Started long ago (past the initialization period), ready since then. */
const COOL = NOW - 10 * 60_000;
/** Started within the initialization period, ready since: its cpu may still run hot. */
const HOT = NOW - 30_000;
const WINDOW = 60_000;

interface Case {
  current: number;
  levels: number[];
  readiness?: ('True' | 'False')[];
  phases?: string[];
  deleting?: boolean[];
  starts?: number[];
  requests?: number[];
  pods?: number;
  target: MetricTargetValue;
  resource?: 'cpu' | 'memory';
}

function run(c: Case): ReturnType<typeof resourceReplicas> {
  const n = c.pods ?? Math.max(c.levels.length, c.readiness?.length ?? 0, c.phases?.length ?? 0, c.requests?.length ?? 0);
  const pods: PodSample[] = [];
  const metrics = new Map<string, PodMetric>();
  for (let i = 0; i < n; i++) {
    const start = c.starts?.[i] ?? COOL;
    const name = `pod-${i}`;
    pods.push({
      name, phase: c.phases?.[i] ?? 'Running', deleting: c.deleting?.[i] ?? false,
      ready: { status: c.readiness?.[i] ?? 'True', lastTransitionMs: start }, startTimeMs: start,
      requests: { cpu: c.requests?.[i] ?? 1000, memory: c.requests?.[i] ?? 1000 },
    });
    const level = c.levels[i];
    if (level !== undefined) metrics.set(name, { value: level, timestampMs: NOW, windowMs: WINDOW });
  }
  return resourceReplicas(c.current, c.target, c.resource ?? 'cpu', pods, metrics, OPTS);
}

const util = (averageUtilization: number): MetricTargetValue => ({ type: 'Utilization', averageUtilization });

const TABLE: [string, Case, number, number | undefined, number][] = [
  // name, case, expected replicas, expected utilization, expected raw value
  ['ScaleUp', { current: 3, levels: [300, 500, 700], target: util(30) }, 5, 50, 500],
  ['ScaleUpUnreadyLessScale', { current: 3, levels: [300, 500, 700], readiness: ['False', 'True', 'True'], target: util(30) }, 4, 60, 600],
  ['ScaleUpHotCpuLessScale', { current: 3, levels: [300, 500, 700], starts: [HOT, COOL, COOL], target: util(30) }, 4, 60, 600],
  ['ScaleUpUnreadyNoScale', { current: 3, levels: [400, 500, 700], readiness: ['True', 'False', 'False'], target: util(30) }, 3, 40, 400],
  ['ScaleHotCpuNoScale', { current: 3, levels: [400, 500, 700], readiness: ['True', 'False', 'False'], starts: [COOL, HOT, HOT], target: util(30) }, 3, 40, 400],
  ['ScaleUpIgnoresFailedPods', { current: 2, levels: [500, 700], readiness: ['True', 'True', 'False', 'False'], phases: ['Running', 'Running', 'Failed', 'Failed'], target: util(30) }, 4, 60, 600],
  ['ScaleUpIgnoresDeletionPods', { current: 2, levels: [500, 700], readiness: ['True', 'True', 'False', 'False'], deleting: [false, false, true, true], target: util(30) }, 4, 60, 600],
  ['ScaleDown', { current: 5, levels: [100, 300, 500, 250, 250], target: util(50) }, 3, 28, 280],
  ['ScaleDownIncludeUnreadyPods', { current: 5, levels: [100, 300, 500, 250, 250], readiness: ['True', 'True', 'True', 'False', 'False'], target: util(50) }, 2, 30, 300],
  ['ScaleDownExcludeUnscheduledPods', { current: 5, levels: [100], readiness: ['True', 'False', 'False', 'False', 'False'], phases: ['Running', 'Pending', 'Pending', 'Pending', 'Pending'], target: util(50) }, 1, 10, 100],
  ['ScaleDownIgnoreHotCpuPods', { current: 5, levels: [100, 300, 500, 250, 250], starts: [COOL, COOL, COOL, HOT, HOT], target: util(50) }, 2, 30, 300],
  ['ScaleDownIgnoresFailedPods', { current: 5, levels: [100, 300, 500, 250, 250], readiness: ['True', 'True', 'True', 'True', 'True', 'False', 'False'], phases: ['Running', 'Running', 'Running', 'Running', 'Running', 'Failed', 'Failed'], target: util(50) }, 3, 28, 280],
  ['Tolerance', { current: 3, levels: [1010, 1030, 1020], requests: [900, 1000, 1100], target: util(100) }, 3, 102, 1020],
  ['MissingMetricsNoChangeEq', { current: 2, levels: [1000], pods: 2, target: util(100) }, 2, 100, 1000],
  ['MissingMetricsNoChangeGt', { current: 2, levels: [1900], pods: 2, target: util(100) }, 2, 190, 1900],
  ['MissingMetricsNoChangeLt', { current: 2, levels: [600], pods: 2, target: util(100) }, 2, 60, 600],
  ['MissingMetricsUnreadyChange', { current: 3, levels: [100, 450], readiness: ['False', 'True', 'True'], pods: 3, target: util(50) }, 3, 45, 450],
  ['MissingMetricsUnreadyScaleUp', { current: 3, levels: [100, 2000], readiness: ['False', 'True', 'True'], pods: 3, target: util(50) }, 4, 200, 2000],
  ['MissingMetricsHotCpuNoChange', { current: 3, levels: [100, 450], starts: [HOT, COOL, COOL], pods: 3, target: util(50) }, 3, 45, 450],
  ['MissingMetricsHotCpuScaleUp', { current: 3, levels: [100, 2000], readiness: ['False', 'True', 'True'], starts: [HOT, COOL, COOL], pods: 3, target: util(50) }, 4, 200, 2000],
  ['DuringRollingUpdateWithMaxSurge', { current: 2, levels: [100, 100], pods: 3, target: util(50) }, 2, 10, 100],
  ['MissingMetricsUnreadyScaleDown', { current: 4, levels: [100, 100, 100], readiness: ['False', 'True', 'True', 'True'], pods: 4, target: util(50) }, 3, 10, 100],
];

for (const [name, c, replicas, utilization, raw] of TABLE) {
  test(`Kubernetes' TestReplicaCalc${name}`, (t) => {
    const r = run(c);
    if (!r.ok) { t.fail(r.error); return; }
    t.is(r.replicas, replicas);
    t.is(r.utilization, utilization);
    t.is(r.rawValue, raw);
  });
}

test("AverageValue targets average the pods' usage (Kubernetes' calcPlainMetricReplicas)", (t) => {
  // 3 pods at 200m, 400m, 600m against 200m each: 400/200 = 2 → 6 replicas.
  const r = run({ current: 3, levels: [200, 400, 600], target: { type: 'AverageValue', averageValue: 200 } });
  t.like(r, { ok: true, replicas: 6, rawValue: 400 });
  t.false(r.ok && 'utilization' in r && r.utilization !== undefined);
  // Memory is not held back by cpu's warm-up rules: a just-started pod counts.
  t.like(run({ current: 2, levels: [2e9, 2e9], starts: [HOT, HOT], resource: 'memory', target: { type: 'AverageValue', averageValue: 1e9 } }), { ok: true, replicas: 4 });
});

test("errors are Kubernetes' sentences", (t) => {
  t.deepEqual(run({ current: 1, levels: [], pods: 0, target: util(50) }), { ok: false, error: 'no pods returned by selector while calculating replica count' });
  t.deepEqual(run({ current: 2, levels: [], pods: 2, target: util(50) }), { ok: false, error: 'did not receive metrics for targeted pods (pods might be unready)' });
  const pods: PodSample[] = [{ name: 'p', phase: 'Running', deleting: false, requests: { cpu: 0 }, containerMissingRequest: { cpu: 'app' }, ready: { status: 'True', lastTransitionMs: COOL }, startTimeMs: COOL }];
  const r = resourceReplicas(1, util(50), 'cpu', pods, new Map([['p', { value: 100, timestampMs: NOW, windowMs: WINDOW }]]), OPTS);
  t.deepEqual(r, { ok: false, error: 'missing request for cpu in container app of Pod p' });
});
