// The HPA's replica calculator (Kubernetes' pkg/controller/podautoscaler/replica_calculator.go),
// pure: from the target's pods, their resource metrics and a target, the replica count the
// metric asks for. All values are milli-units (millicores; memory in thousandths of a byte),
// as Kubernetes computes them.
//
//   pods ──groupPods──▶ ready (counted) | unready (pending, cpu still warming up) | missing
//                       metrics | ignored (deleted, failed)
//   usage ratio = utilization / target ──▶ within tolerance: keep; no unready or missing pods:
//   ceil(ratio × ready); else fill in the gaps so they damp the change (missing pods count as
//   0% on a scale-up and 100% on a scale-down, unready pods 0% on a scale-up) and recompute,
//   keeping the current count if the direction flips.

export type ResourceName = 'cpu' | 'memory';

/** What the calculator needs of a pod. */
export interface PodSample {
  readonly name: string;
  readonly phase: string;
  readonly deleting: boolean;
  /** The Ready condition's status and when it last changed (ms), if the pod has one. */
  readonly ready?: { readonly status: string; readonly lastTransitionMs: number };
  readonly startTimeMs?: number;
  /** Σ of the containers' requests (milli), or the first container without one. */
  readonly requests: Readonly<Partial<Record<ResourceName, number>>>;
  readonly containerMissingRequest?: Readonly<Partial<Record<ResourceName, string>>>;
}

/** One pod's measurement (milli), when it was taken and over what window. */
export interface PodMetric {
  readonly value: number;
  readonly timestampMs: number;
  readonly windowMs: number;
}

export interface CalculatorOptions {
  /** --horizontal-pod-autoscaler-tolerance (0.1). */
  readonly tolerance: number;
  /** --horizontal-pod-autoscaler-cpu-initialization-period (5 min). */
  readonly cpuInitializationPeriodMs: number;
  /** --horizontal-pod-autoscaler-initial-readiness-delay (30 s). */
  readonly initialReadinessDelayMs: number;
  readonly nowMs: number;
}

export type MetricTargetValue =
  | { readonly type: 'Utilization'; readonly averageUtilization: number }
  | { readonly type: 'AverageValue'; readonly averageValue: number };

export type ReplicaResult =
  | { readonly ok: true; readonly replicas: number; readonly utilization?: number; readonly rawValue: number }
  | { readonly ok: false; readonly error: string };

interface Groups { readyCount: number; unready: Set<string>; missing: Set<string>; ignored: Set<string> }

/** Which pods count (Kubernetes' groupPods). */
export function groupPods(pods: readonly PodSample[], metrics: ReadonlyMap<string, PodMetric>, resource: ResourceName, opts: CalculatorOptions): Groups {
  const g: Groups = { readyCount: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
  for (const pod of pods) {
    if (pod.deleting || pod.phase === 'Failed') { g.ignored.add(pod.name); continue; }
    if (pod.phase === 'Pending') { g.unready.add(pod.name); continue; }
    const metric = metrics.get(pod.name);
    if (!metric) { g.missing.add(pod.name); continue; }
    if (resource === 'cpu') {
      // CPU runs hot while a pod starts: its samples are not trusted until it has been ready
      // for a whole window, or, after the initialization period, unless it never became ready.
      let ignore: boolean;
      if (!pod.ready || pod.startTimeMs === undefined) {
        ignore = true;
      } else if (pod.startTimeMs + opts.cpuInitializationPeriodMs > opts.nowMs) {
        ignore = pod.ready.status === 'False' || metric.timestampMs < pod.ready.lastTransitionMs + metric.windowMs;
      } else {
        ignore = pod.ready.status === 'False' && pod.startTimeMs + opts.initialReadinessDelayMs > pod.ready.lastTransitionMs;
      }
      if (ignore) { g.unready.add(pod.name); continue; }
    }
    g.readyCount++;
  }
  return g;
}

/** Σ metrics / Σ requests over the pods with both (GetResourceUtilizationRatio). */
function utilizationRatio(metrics: ReadonlyMap<string, number>, requests: ReadonlyMap<string, number>, target: number):
  { ratio: number; utilization: number; raw: number } | { error: string } {
  let metricsTotal = 0;
  let requestsTotal = 0;
  let n = 0;
  for (const [name, value] of metrics) {
    const request = requests.get(name);
    if (request === undefined) continue;
    metricsTotal += value;
    requestsTotal += request;
    n++;
  }
  if (requestsTotal === 0) return { error: 'no metrics returned matched known pods' };
  const utilization = Math.trunc((metricsTotal * 100) / requestsTotal);
  return { ratio: utilization / target, utilization, raw: Math.trunc(metricsTotal / n) };
}

/** The average over the pods (GetMetricUtilizationRatio). */
function averageRatio(metrics: ReadonlyMap<string, number>, target: number): { ratio: number; raw: number } {
  let total = 0;
  for (const v of metrics.values()) total += v;
  const raw = Math.trunc(total / metrics.size);
  return { ratio: raw / target, raw };
}

/**
 * The replicas a resource metric asks for (GetResourceReplicas for Utilization,
 * GetRawResourceReplicas for AverageValue). Errors are Kubernetes' sentences.
 */
export function resourceReplicas(
  currentReplicas: number, target: MetricTargetValue, resource: ResourceName,
  pods: readonly PodSample[], podMetrics: ReadonlyMap<string, PodMetric>, opts: CalculatorOptions,
): ReplicaResult {
  if (pods.length === 0) return { ok: false, error: 'no pods returned by selector while calculating replica count' };
  const g = groupPods(pods, podMetrics, resource, opts);
  const metrics = new Map<string, number>();
  for (const [name, m] of podMetrics) if (!g.ignored.has(name) && !g.unready.has(name)) metrics.set(name, m.value);
  // Only pods the selector matched count, however many metrics came back.
  const known = new Set(pods.map((p) => p.name));
  for (const name of [...metrics.keys()]) if (!known.has(name)) metrics.delete(name);

  const utilizationTarget = target.type === 'Utilization';
  const requests = new Map<string, number>();
  if (utilizationTarget) {
    for (const pod of pods) {
      const missingIn = pod.containerMissingRequest?.[resource];
      if (missingIn !== undefined) return { ok: false, error: `missing request for ${resource} in container ${missingIn} of Pod ${pod.name}` };
      requests.set(pod.name, pod.requests[resource] ?? 0);
    }
  }
  if (metrics.size === 0) return { ok: false, error: 'did not receive metrics for targeted pods (pods might be unready)' };

  const targetValue = target.type === 'Utilization' ? target.averageUtilization : target.averageValue;
  const measure = (m: ReadonlyMap<string, number>): { ratio: number; utilization?: number; raw: number } | { error: string } =>
    utilizationTarget ? utilizationRatio(m, requests, targetValue) : averageRatio(m, targetValue);
  const first = measure(metrics);
  if ('error' in first) return { ok: false, error: first.error };
  const { ratio, raw } = first;
  const utilization = first.utilization;
  const result = (replicas: number): ReplicaResult => ({ ok: true, replicas, ...(utilization !== undefined ? { utilization } : {}), rawValue: raw });

  const rebalanceUnready = g.unready.size > 0 && ratio > 1;
  if (!rebalanceUnready && g.missing.size === 0) {
    if (Math.abs(1 - ratio) <= opts.tolerance) return result(currentReplicas);
    return result(Math.ceil(ratio * g.readyCount));
  }
  if (g.missing.size > 0) {
    // A scale-down counts missing pods as at their request (or at target), a scale-up as idle.
    for (const name of g.missing) {
      if (utilizationTarget) {
        // At exactly the target the gaps are left open (GetResourceReplicas fills only below or above).
        if (ratio < 1) metrics.set(name, requests.get(name) ?? 0);
        else if (ratio > 1) metrics.set(name, 0);
      } else {
        metrics.set(name, ratio < 1 ? targetValue : 0);
      }
    }
  }
  if (rebalanceUnready) for (const name of g.unready) metrics.set(name, 0);

  const second = measure(metrics);
  if ('error' in second) return { ok: false, error: second.error };
  const newRatio = second.ratio;
  if (Math.abs(1 - newRatio) <= opts.tolerance || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) return result(currentReplicas);
  const replicas = Math.ceil(newRatio * metrics.size);
  // Counting more pods must not turn the direction around either.
  if ((newRatio < 1 && replicas > currentReplicas) || (newRatio > 1 && replicas < currentReplicas)) return result(currentReplicas);
  return result(replicas);
}
