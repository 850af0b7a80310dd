// HorizontalPodAutoscaler (autoscaling/v2): its types, the defaults Kubernetes fills in
// (autoscaling/v2 SetDefaults_HorizontalPodAutoscaler) and the scaling rules the controller
// uses when the object names none. Shared by defaulting, the controller, printers and tctl.
import type {
  CrossVersionObjectReference, HPAScalingPolicy, HPAScalingRules, HorizontalPodAutoscaler, HorizontalPodAutoscalerBehavior,
  HorizontalPodAutoscalerCondition, HorizontalPodAutoscalerSpec, HorizontalPodAutoscalerStatus, MetricSpec, MetricStatus, MetricTarget,
  ResourceMetricSource,
} from 'kubernetes-types/autoscaling/v2.js';
import type { KubeObject } from './types.js';

export type {
  CrossVersionObjectReference, HPAScalingPolicy, HPAScalingRules, HorizontalPodAutoscaler, HorizontalPodAutoscalerBehavior,
  HorizontalPodAutoscalerCondition, HorizontalPodAutoscalerSpec, HorizontalPodAutoscalerStatus, MetricSpec, MetricStatus, MetricTarget,
  ResourceMetricSource,
};

export type HorizontalPodAutoscalerObject = HorizontalPodAutoscaler & KubeObject;

/** Kubernetes' DefaultCPUUtilization: the target of an HPA that names no metric. */
export const DEFAULT_CPU_UTILIZATION = 80;
/** validation: stabilizationWindowSeconds ≤ one hour, a policy's periodSeconds ≤ 30 minutes. */
export const MAX_STABILIZATION_WINDOW_SECONDS = 3600;
export const MAX_PERIOD_SECONDS = 1800;

export const SCALING_POLICY_TYPES = ['Percent', 'Pods'] as const;
export type ScalingPolicyType = typeof SCALING_POLICY_TYPES[number];
export const SELECT_POLICIES = ['Disabled', 'Max', 'Min'] as const;
export type SelectPolicy = typeof SELECT_POLICIES[number];

/** Scale up by at most 4 pods or 100% (the larger) every 15 s, at once. */
export function defaultScaleUpRules(): HPAScalingRules {
  return {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }],
  };
}

/**
 * Scale down by up to 100% every 15 s. The window is left unset: it comes from the controller
 * manager's --horizontal-pod-autoscaler-downscale-stabilization, which defaulting cannot know.
 */
export function defaultScaleDownRules(): HPAScalingRules {
  return { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] };
}

/** The rules given, with each unset field taken from `defaults` (Kubernetes' copyHPAScalingRules). */
export function withDefaultRules(rules: HPAScalingRules | undefined, defaults: HPAScalingRules): HPAScalingRules {
  if (!rules) return defaults;
  const out: HPAScalingRules = { ...defaults };
  if (rules.selectPolicy !== undefined) out.selectPolicy = rules.selectPolicy;
  if (rules.stabilizationWindowSeconds !== undefined) out.stabilizationWindowSeconds = rules.stabilizationWindowSeconds;
  if (rules.policies !== undefined) out.policies = rules.policies;
  return out;
}

export function defaultHorizontalPodAutoscaler(hpa: HorizontalPodAutoscaler): void {
  hpa.spec ??= { maxReplicas: 0, scaleTargetRef: { kind: '', name: '' } };
  hpa.spec.minReplicas ??= 1;
  if (!hpa.spec.metrics?.length) {
    hpa.spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } }];
  }
  // Behavior stays absent when not given (the controller then uses its older, fixed rules).
  if (hpa.spec.behavior) {
    hpa.spec.behavior = {
      scaleUp: withDefaultRules(hpa.spec.behavior.scaleUp, defaultScaleUpRules()),
      scaleDown: withDefaultRules(hpa.spec.behavior.scaleDown, defaultScaleDownRules()),
    };
  }
}

/**
 * One metric's "current/target" as kubectl's TARGETS column shows it: "cpu: 45%/50%",
 * "memory: 120Mi/200Mi", "cpu: <unknown>/50%" before the first measurement.
 */
export function formatMetricTarget(spec: MetricSpec, current: MetricStatus | undefined): string {
  if (spec.type !== 'Resource' || !spec.resource) return `<${spec.type ?? 'unknown'}>`;
  const { name, target } = spec.resource;
  const cur = current?.type === 'Resource' && current.resource?.name === name ? current.resource.current : undefined;
  if (target.type === 'Utilization') {
    const now = cur?.averageUtilization !== undefined ? `${cur.averageUtilization}%` : '<unknown>';
    return `${name}: ${now}/${target.averageUtilization ?? 0}%`;
  }
  const now = cur?.averageValue !== undefined ? String(cur.averageValue) : '<unknown>';
  return `${name}: ${now}/${String(target.averageValue ?? target.value ?? '')}`;
}

/** kubectl's TARGETS: every metric, the first four shown and "+ N more..." after them. */
export function formatHpaTargets(hpa: HorizontalPodAutoscaler): string {
  const specs = hpa.spec?.metrics ?? [];
  if (specs.length === 0) return '<none>';
  const current = hpa.status?.currentMetrics ?? [];
  const parts = specs.map((m, i) => formatMetricTarget(m, current[i]));
  const shown = parts.slice(0, 4).join(', ');
  return parts.length > 4 ? `${shown} + ${parts.length - 4} more...` : shown;
}

/** "Deployment/web": kubectl's REFERENCE column. */
export function formatScaleTargetRef(ref: CrossVersionObjectReference | undefined): string {
  return ref ? `${ref.kind}/${ref.name}` : '';
}
