// Kubernetes' horizontal pod autoscaler controller (pkg/controller/podautoscaler/horizontal.go):
// every --horizontal-pod-autoscaler-sync-period, each HPA reads its target's scale, the
// resource metrics of the target's pods (metrics.k8s.io, served by the API server from the
// agents' usage reports) and sets the target's replicas.
//
//   hpa informer ──▶ queue "horizontalpodautoscaler" ──▶ sync(ns/name), requeued every sync period:
//     target (Deployment, ReplicaSet, StatefulSet, ReplicationController): its scale
//       (spec.replicas, selector) ─ unreadable: AbleToScale False FailedGetScale
//     replicas 0 and minReplicas > 0 ─▶ ScalingDisabled; outside min..max ─▶ back into range
//     else per metric: pods (informer) + PodMetrics (API) ─▶ replica-calculator.ts (pure)
//       ─▶ the largest proposal ─▶ hpa-scaling-rules.ts (pure: stabilization, behavior, limits)
//     ─▶ update the target's replicas (SuccessfulRescale) ─▶ status (conditions AbleToScale,
//       ScalingActive, ScalingLimited; currentMetrics; desired/current replicas)
import {
  ApiError, POD_METRICS_RESOURCE, Quantity, defaultScaleDownRules, defaultScaleUpRules, formatScaleTargetRef, lookupKind, metricsWindowMs, retryOnConflict,
  objectKey, parseQuantity, selectorFromLabelSelector, withDefaultRules,
  type HorizontalPodAutoscalerCondition, type HorizontalPodAutoscalerObject, type Informer, type KubeObject, type LabelSelector,
  type MetricSpec, type MetricStatus, type PodMetrics,
} from '@tugboat/api';
import { describe } from './controller.js';
import { rfc3339 } from '@tugboat/api';
import type { EventRecorder } from './events.js';
import type { PodObject, SharedInformers } from './informers.js';
import {
  normalizeLegacy, normalizeWithBehavior, recordScaleEvent, type Normalized, type Recommendation, type ScaleEvent,
} from './hpa-scaling-rules.js';
import { resourceReplicas, type MetricTargetValue, type PodMetric, type PodSample, type ResourceName } from './replica-calculator.js';
import { QueueController, type ControllerOptions } from './queue-controller.js';

export const HPA_CONTROLLER = 'horizontal-pod-autoscaler';

/** The controller manager's --horizontal-pod-autoscaler-* flags (Kubernetes' defaults). */
export interface HpaSettings {
  readonly syncPeriodMs: number;
  readonly downscaleStabilizationMs: number;
  readonly tolerance: number;
  readonly cpuInitializationPeriodMs: number;
  readonly initialReadinessDelayMs: number;
}

export const DEFAULT_HPA_SETTINGS: HpaSettings = {
  syncPeriodMs: 15_000,
  downscaleStabilizationMs: 5 * 60_000,
  tolerance: 0.1,
  cpuInitializationPeriodMs: 5 * 60_000,
  initialReadinessDelayMs: 30_000,
};

/** Kinds with a scale subresource, by kind. */
const SCALABLE = new Set(['deployments', 'replicasets', 'statefulsets', 'replicationcontrollers']);

export interface HpaControllerOptions extends ControllerOptions {
  informers: SharedInformers;
  recorder: EventRecorder;
  settings?: Partial<HpaSettings>;
}

interface Scalable extends KubeObject {
  spec?: { replicas?: number; selector?: LabelSelector | Record<string, string> };
  status?: { replicas?: number };
}

/** One metric's proposal, or why there is none. */
type Proposal =
  | { ok: true; replicas: number; status: MetricStatus; name: string }
  | { ok: false; reason: string; error: string };

/** What sync keeps between rounds per HPA (Kubernetes keeps the same in memory). */
interface HpaMemory { recommendations: Recommendation[]; upEvents: ScaleEvent[]; downEvents: ScaleEvent[] }

/** Sets a condition, keeping its lastTransitionTime while its status stays (setConditionInList). */
export function setCondition(list: readonly HorizontalPodAutoscalerCondition[], type: string, status: 'True' | 'False', reason: string, message: string, now: string): HorizontalPodAutoscalerCondition[] {
  const out = [...list];
  const i = out.findIndex((c) => c.type === type);
  const prev = i >= 0 ? out[i] : undefined;
  const next = { type, status, reason, message, lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime ?? now : now };
  if (i >= 0) out[i] = next;
  else out.push(next);
  return out;
}

/** A pod as the calculator sees it: phase, readiness, start, Σ requests in milli-units. */
export function podSample(pod: PodObject): PodSample {
  const requests: Partial<Record<ResourceName, number>> = {};
  const missing: Partial<Record<ResourceName, string>> = {};
  for (const r of ['cpu', 'memory'] as const) {
    let sum = 0;
    for (const c of pod.spec?.containers ?? []) {
      const q = c.resources?.requests?.[r];
      if (q === undefined) { missing[r] ??= c.name; continue; }
      try { sum += parseQuantity(q).milliValue(); } catch { missing[r] ??= c.name; }
    }
    requests[r] = sum;
  }
  const ready = (pod.status?.conditions ?? []).find((c) => c.type === 'Ready');
  const start = pod.status?.startTime ? Date.parse(pod.status.startTime) : Number.NaN;
  return {
    name: pod.metadata?.name ?? '',
    phase: pod.status?.phase ?? 'Pending',
    deleting: !!pod.metadata?.deletionTimestamp,
    ...(ready ? { ready: { status: ready.status, lastTransitionMs: Date.parse(ready.lastTransitionTime ?? '') || 0 } } : {}),
    ...(Number.isNaN(start) ? {} : { startTimeMs: start }),
    requests,
    containerMissingRequest: missing,
  };
}

/** A PodMetrics' total for one resource, in milli-units, with its time and window. */
export function podMetricSample(pm: PodMetrics, resource: ResourceName): PodMetric {
  let value = 0;
  for (const c of pm.containers) {
    try { value += parseQuantity(c.usage[resource]).milliValue(); } catch { /* unreadable: nothing */ }
  }
  return { value, timestampMs: Date.parse(pm.timestamp), windowMs: metricsWindowMs(pm.window) };
}

/** "cpu resource utilization (percentage of request)" / "memory resource": how Kubernetes names a metric in reasons. */
function metricName(resource: string, utilization: boolean): string {
  return utilization ? `${resource} resource utilization (percentage of request)` : `${resource} resource`;
}

export class HorizontalPodAutoscalingController extends QueueController {
  private readonly hpas: Informer<HorizontalPodAutoscalerObject>;
  private readonly pods: Informer<PodObject>;
  private readonly recorder: EventRecorder;
  readonly settings: HpaSettings;
  private readonly memory = new Map<string, HpaMemory>();

  constructor(opts: HpaControllerOptions) {
    super('horizontalpodautoscaler', opts, 5);
    this.recorder = opts.recorder;
    this.settings = { ...DEFAULT_HPA_SETTINGS, ...(opts.settings ?? {}) };
    this.hpas = opts.informers.forResource<HorizontalPodAutoscalerObject>('horizontalpodautoscalers');
    this.pods = opts.informers.pods();
    this.hpas
      .onAdd((h) => this.queue.add(objectKey(h)))
      // Our own status writes come back as updates: only a spec change needs a sync before the period is up.
      .onUpdate((old, h) => { if (old.metadata?.generation !== h.metadata?.generation) this.queue.add(objectKey(h)); })
      .onDelete((h) => { this.memory.delete(objectKey(h)); this.queue.add(objectKey(h)); });
  }

  async sync(key: string): Promise<void> {
    const hpa = this.hpas.get(key);
    if (!hpa) { this.memory.delete(key); return; }
    try {
      await this.reconcile(key, hpa);
    } finally {
      // Level-driven on a timer too: metrics change without any object changing.
      this.queue.addAfter(key, this.settings.syncPeriodMs);
    }
  }

  private async reconcile(key: string, hpa: HorizontalPodAutoscalerObject): Promise<void> {
    const nowMs = this.clock.now();
    const now = rfc3339(nowMs);
    const spec = hpa.spec;
    const ns = hpa.metadata?.namespace ?? '';
    let conditions = hpa.status?.conditions ?? [];
    const ref = spec?.scaleTargetRef;
    const info = ref ? lookupKind(ref.kind) : undefined;
    const group = ref?.apiVersion?.includes('/') ? ref.apiVersion.split('/')[0]! : '';
    let target: Scalable | undefined;
    let getError = '';
    if (!info || !SCALABLE.has(info.resource)) {
      getError = `no matches for kind "${ref?.kind ?? ''}" in group "${group}"`;
    } else {
      try {
        target = await this.client.get<Scalable>(info.resource, ns, ref!.name);
      } catch (e) {
        getError = describe(e);
      }
    }
    if (!target || !info) {
      this.recorder.event(hpa, 'Warning', 'FailedGetScale', getError);
      conditions = setCondition(conditions, 'AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${getError}`, now);
      await this.writeStatus(hpa, { ...hpa.status, desiredReplicas: hpa.status?.desiredReplicas ?? 0, conditions });
      return;
    }
    conditions = setCondition(conditions, 'AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale", now);
    const currentReplicas = target.spec?.replicas ?? 1;
    const statusReplicas = target.status?.replicas ?? 0;
    const minReplicas = spec?.minReplicas ?? 1;
    const maxReplicas = spec?.maxReplicas ?? 0;
    let desired = 0;
    let rescaleReason = '';
    let currentMetrics: MetricStatus[] | undefined = hpa.status?.currentMetrics;
    let memory = this.memory.get(key) ?? { recommendations: [], upEvents: [], downEvents: [] };

    if (currentReplicas === 0 && minReplicas !== 0) {
      conditions = setCondition(conditions, 'ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero', now);
    } else if (currentReplicas > maxReplicas) {
      rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
      desired = maxReplicas;
    } else if (currentReplicas < minReplicas) {
      rescaleReason = 'Current number of replicas below Spec.MinReplicas';
      desired = minReplicas;
    } else {
      const proposals = await this.proposals(hpa, target, info.kind, currentReplicas, nowMs);
      const valid = proposals.filter((p): p is Extract<Proposal, { ok: true }> => p.ok);
      const invalid = proposals.filter((p): p is Extract<Proposal, { ok: false }> => !p.ok);
      currentMetrics = valid.length ? valid.map((p) => p.status) : undefined;
      if (valid.length === 0 || (invalid.length > 0 && valid.every((p) => p.replicas <= currentReplicas))) {
        // Kubernetes will not scale down while any metric is unreadable: it might be the one asking for more.
        const first = invalid[0];
        if (first) {
          conditions = setCondition(conditions, 'ScalingActive', 'False', first.reason, `the HPA was unable to compute the replica count: ${first.error}`, now);
          this.recorder.event(hpa, 'Warning', 'FailedComputeMetricsReplicas', `invalid metrics (${invalid.length} invalid out of ${proposals.length}), first error is: ${first.error}`);
        }
        const status = { ...hpa.status, currentReplicas: statusReplicas, desiredReplicas: hpa.status?.desiredReplicas ?? currentReplicas, ...(currentMetrics ? { currentMetrics } : {}), conditions };
        // No valid metric: the old currentMetrics go, as Kubernetes sets the empty list.
        if (!currentMetrics) delete status.currentMetrics;
        await this.writeStatus(hpa, status);
        return;
      }
      const best = valid.reduce((a, b) => (b.replicas > a.replicas ? b : a));
      conditions = setCondition(conditions, 'ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${best.name}`, now);
      const normalized = this.normalize(hpa, memory, currentReplicas, best.replicas, minReplicas, maxReplicas, nowMs);
      memory = { ...memory, recommendations: normalized.recommendations };
      conditions = setCondition(conditions, 'AbleToScale', 'True', normalized.ableToScale.reason, normalized.ableToScale.message, now);
      conditions = setCondition(conditions, 'ScalingLimited', normalized.limited ? 'True' : 'False', normalized.limitReason.reason, normalized.limitReason.message, now);
      desired = normalized.replicas;
      if (desired > currentReplicas) rescaleReason = `${best.name} above target`;
      if (desired < currentReplicas) rescaleReason = 'All metrics below target';
    }
    const rescale = rescaleReason !== '' && desired !== currentReplicas;
    let lastScaleTime = hpa.status?.lastScaleTime;
    if (rescale) {
      try {
        await this.setReplicas(info.resource, ns, ref!.name, desired);
      } catch (e) {
        this.recorder.event(hpa, 'Warning', 'FailedRescale', `New size: ${desired}; reason: ${rescaleReason}; error: ${describe(e)}`);
        conditions = setCondition(conditions, 'AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${describe(e)}`, now);
        this.memory.set(key, memory);
        await this.writeStatus(hpa, { ...hpa.status, currentReplicas: statusReplicas, desiredReplicas: currentReplicas, ...(currentMetrics ? { currentMetrics } : {}), conditions });
        throw e;
      }
      conditions = setCondition(conditions, 'AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`, now);
      this.recorder.event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${rescaleReason}`);
      if (spec?.behavior) {
        memory = desired > currentReplicas
          ? { ...memory, upEvents: recordScaleEvent(memory.upEvents, spec.behavior.scaleUp, desired - currentReplicas, nowMs) }
          : { ...memory, downEvents: recordScaleEvent(memory.downEvents, spec.behavior.scaleDown, currentReplicas - desired, nowMs) };
      }
      lastScaleTime = now;
      this.log.info(`${HPA_CONTROLLER}: ${key}: ${formatScaleTargetRef(ref)} ${currentReplicas} → ${desired} (${rescaleReason})`);
    } else {
      desired = currentReplicas;
    }
    this.memory.set(key, memory);
    await this.writeStatus(hpa, {
      ...(hpa.status?.observedGeneration !== undefined || hpa.metadata?.generation !== undefined ? { observedGeneration: hpa.metadata?.generation ?? 0 } : {}),
      ...(lastScaleTime ? { lastScaleTime } : {}),
      currentReplicas: statusReplicas,
      desiredReplicas: desired,
      ...(currentMetrics ? { currentMetrics } : {}),
      conditions,
    });
  }

  private normalize(hpa: HorizontalPodAutoscalerObject, memory: HpaMemory, current: number, desired: number, min: number, max: number, nowMs: number): Normalized {
    const behavior = hpa.spec?.behavior;
    if (!behavior) {
      return normalizeLegacy({ current, desired, min, max, windowMs: this.settings.downscaleStabilizationMs, nowMs, recommendations: memory.recommendations });
    }
    const scaleDown = withDefaultRules(behavior.scaleDown, defaultScaleDownRules());
    // The scale-down window the object leaves open is the controller's flag (maybeInitScaleDownStabilizationWindow).
    scaleDown.stabilizationWindowSeconds ??= Math.round(this.settings.downscaleStabilizationMs / 1000);
    return normalizeWithBehavior({
      current, desired, min, max, nowMs,
      scaleUp: withDefaultRules(behavior.scaleUp, defaultScaleUpRules()), scaleDown,
      recommendations: memory.recommendations, upEvents: memory.upEvents, downEvents: memory.downEvents,
    });
  }

  /** Each metric's proposal (computeReplicasForMetrics); only Resource metrics are served here. */
  private async proposals(hpa: HorizontalPodAutoscalerObject, target: Scalable, kind: string, currentReplicas: number, nowMs: number): Promise<Proposal[]> {
    const ns = hpa.metadata?.namespace ?? '';
    const selector = kind === 'ReplicationController'
      ? selectorFromLabelSelector({ matchLabels: (target.spec?.selector ?? {}) as Record<string, string> })
      : selectorFromLabelSelector(target.spec?.selector as LabelSelector | undefined);
    const selectorText = selector.toString();
    if (!selectorText) {
      return [{ ok: false, reason: 'InvalidSelector', error: 'selector is required' }];
    }
    const pods = [...this.pods.items()].filter((p) => p.metadata?.namespace === ns && selector.matches(p.metadata?.labels)).map(podSample);
    let podMetrics: PodMetrics[] | undefined;
    let metricsError = '';
    try {
      podMetrics = (await this.client.list<PodMetrics>(POD_METRICS_RESOURCE, { namespace: ns, labelSelector: selectorText })).items;
    } catch (e) {
      metricsError = e instanceof ApiError ? e.message : describe(e);
    }
    const out: Proposal[] = [];
    for (const spec of hpa.spec?.metrics ?? []) out.push(this.resourceProposal(hpa, spec, pods, podMetrics, metricsError, currentReplicas, nowMs));
    return out;
  }

  private resourceProposal(hpa: HorizontalPodAutoscalerObject, spec: MetricSpec, pods: PodSample[], podMetrics: PodMetrics[] | undefined, metricsError: string, currentReplicas: number, nowMs: number): Proposal {
    if (spec.type !== 'Resource' || !spec.resource) {
      const error = `unable to get metric of type ${spec.type}: only Resource metrics (cpu, memory) are served by this cluster`;
      this.recorder.event(hpa, 'Warning', 'FailedGetExternalMetric', error);
      return { ok: false, reason: 'InvalidMetricSourceType', error };
    }
    const resource = spec.resource.name;
    const fail = (error: string): Proposal => {
      this.recorder.event(hpa, 'Warning', 'FailedGetResourceMetric', error);
      return { ok: false, reason: 'FailedGetResourceMetric', error };
    };
    if (resource !== 'cpu' && resource !== 'memory') return fail(`failed to get ${resource} utilization: unable to get metrics for resource ${resource}: no such resource in the metrics API`);
    if (!podMetrics) return fail(`failed to get ${resource} utilization: unable to get metrics for resource ${resource}: unable to fetch metrics from resource metrics API: ${metricsError}`);
    if (podMetrics.length === 0) return fail(`failed to get ${resource} utilization: unable to get metrics for resource ${resource}: no metrics returned from resource metrics API`);
    const t = spec.resource.target;
    let target: MetricTargetValue;
    if (t.type === 'Utilization' && t.averageUtilization !== undefined) target = { type: 'Utilization', averageUtilization: t.averageUtilization };
    else if (t.type === 'AverageValue' && t.averageValue !== undefined) target = { type: 'AverageValue', averageValue: parseQuantity(t.averageValue).milliValue() };
    else return fail(`invalid resource metric source: neither a utilization target nor a value target set`);
    const samples = new Map(podMetrics.map((pm) => [pm.metadata.name ?? '', podMetricSample(pm, resource)] as const));
    const r = resourceReplicas(currentReplicas, target, resource, pods, samples, {
      tolerance: this.settings.tolerance, cpuInitializationPeriodMs: this.settings.cpuInitializationPeriodMs,
      initialReadinessDelayMs: this.settings.initialReadinessDelayMs, nowMs,
    });
    if (!r.ok) return fail(`failed to get ${resource} utilization: ${r.error}`);
    const averageValue = Quantity.fromMilli(r.rawValue, 'DecimalSI').toString();
    const current = target.type === 'Utilization' ? { averageUtilization: r.utilization ?? 0, averageValue } : { averageValue };
    return { ok: true, replicas: r.replicas, name: metricName(resource, target.type === 'Utilization'), status: { type: 'Resource', resource: { name: resource, current } } };
  }

  /** The scale subresource's write: spec.replicas, re-read on a conflict. */
  private async setReplicas(resource: string, ns: string, name: string, replicas: number): Promise<void> {
    await retryOnConflict(async () => {
      const obj = await this.client.get<Scalable>(resource, ns, name);
      await this.client.update({ ...obj, spec: { ...obj.spec, replicas } });
    }, 4);
  }

  private async writeStatus(hpa: HorizontalPodAutoscalerObject, status: NonNullable<HorizontalPodAutoscalerObject['status']>): Promise<void> {
    if (JSON.stringify(status) === JSON.stringify(hpa.status ?? {})) return;
    await this.client.updateStatus({ ...hpa, status });
  }

  /** For tests: the key's remembered recommendations. */
  recommendationsOf(key: string): readonly Recommendation[] {
    return this.memory.get(key)?.recommendations ?? [];
  }
}
