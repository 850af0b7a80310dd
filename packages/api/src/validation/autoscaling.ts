// HorizontalPodAutoscaler validation (Kubernetes' pkg/apis/autoscaling/validation, autoscaling/v2):
// the same paths and messages, so a bad manifest is refused with the line kubectl users know.
import type {
  CrossVersionObjectReference, HPAScalingRules, HorizontalPodAutoscaler, HorizontalPodAutoscalerBehavior, MetricSpec, MetricTarget,
} from 'kubernetes-types/autoscaling/v2.js';
import { MAX_PERIOD_SECONDS, MAX_STABILIZATION_WINDOW_SECONDS, SCALING_POLICY_TYPES, SELECT_POLICIES } from '../autoscaling.js';
import { nameIsPathSegment } from '../names.js';
import { parseQuantity } from '../quantity.js';
import { child, each, forbidden, index, invalid, nonNegative, notSupported, required, type Errs } from './field-errors.js';

const METRIC_SOURCE_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'] as const;
/** The member of a MetricSpec each source type fills in. */
const SOURCE_FIELD: Readonly<Record<string, 'object' | 'pods' | 'resource' | 'external' | 'containerResource'>> = {
  Object: 'object', Pods: 'pods', Resource: 'resource', External: 'external', ContainerResource: 'containerResource',
};

export function validateCrossVersionObjectReference(ref: CrossVersionObjectReference | undefined, path: string): Errs {
  const errs: Errs = [];
  for (const f of ['kind', 'name'] as const) {
    const v = ref?.[f] ?? '';
    if (!v) errs.push(required(child(path, f)));
    else errs.push(...each(child(path, f), v, nameIsPathSegment(v, false)));
  }
  return errs;
}

/** A quantity's sign: 1, 0, -1, or undefined when it does not parse (the schema reports that). */
function sign(q: string | number): number | undefined {
  try {
    const n = parseQuantity(q).nanos;
    return n > 0n ? 1 : n < 0n ? -1 : 0;
  } catch {
    return undefined;
  }
}

function validateMetricTarget(t: MetricTarget | undefined, path: string): Errs {
  const errs: Errs = [];
  const type = t?.type ?? '';
  if (!type) errs.push(required(child(path, 'type'), 'must specify a metric target type'));
  if (type !== 'Utilization' && type !== 'Value' && type !== 'AverageValue') {
    errs.push(invalid(child(path, 'type'), type, 'must be either Utilization, Value, or AverageValue'));
  }
  for (const f of ['value', 'averageValue'] as const) {
    const v = t?.[f];
    if (v !== undefined && sign(v) !== undefined && sign(v) !== 1) errs.push(invalid(child(path, f), v, 'must be positive'));
  }
  if (t?.averageUtilization !== undefined && t.averageUtilization < 1) {
    errs.push(invalid(child(path, 'averageUtilization'), t.averageUtilization, 'must be greater than 0'));
  }
  return errs;
}

function validateMetricName(name: string | undefined, path: string): Errs {
  if (!name) return [required(path, 'must specify a metric name')];
  return each(path, name, nameIsPathSegment(name, false));
}

/** The source a metric names: resource and containerResource are checked in full; object, pods, external for their targets. */
function validateSource(spec: MetricSpec, field: string, path: string): Errs {
  const errs: Errs = [];
  switch (field) {
    case 'resource':
    case 'containerResource': {
      const src = field === 'resource' ? spec.resource : spec.containerResource;
      if (!src?.name) errs.push(required(child(path, 'name'), 'must specify a resource name'));
      if (field === 'containerResource' && !spec.containerResource?.container) errs.push(required(child(path, 'container'), 'must specify a container'));
      errs.push(...validateMetricTarget(src?.target, child(path, 'target')));
      if (src?.target?.averageUtilization === undefined && src?.target?.averageValue === undefined) {
        errs.push(required(child(child(path, 'target'), 'averageUtilization'), 'must set either a target raw value or a target utilization'));
      }
      if (src?.target?.averageUtilization !== undefined && src.target.averageValue !== undefined) {
        errs.push(forbidden(child(child(path, 'target'), 'averageValue'), 'may not set both a target raw value and a target utilization'));
      }
      break;
    }
    case 'object':
      errs.push(...validateCrossVersionObjectReference(spec.object?.describedObject, child(path, 'describedObject')));
      errs.push(...validateMetricName(spec.object?.metric?.name, child(child(path, 'metric'), 'name')));
      errs.push(...validateMetricTarget(spec.object?.target, child(path, 'target')));
      if (spec.object?.target?.value === undefined && spec.object?.target?.averageValue === undefined) {
        errs.push(required(child(child(path, 'target'), 'averageValue'), 'must set either a target value or averageValue'));
      }
      break;
    case 'pods':
      errs.push(...validateMetricName(spec.pods?.metric?.name, child(child(path, 'metric'), 'name')));
      errs.push(...validateMetricTarget(spec.pods?.target, child(path, 'target')));
      if (spec.pods?.target?.averageValue === undefined) errs.push(required(child(child(path, 'target'), 'averageValue'), 'must specify a positive target averageValue'));
      break;
    case 'external':
      errs.push(...validateMetricName(spec.external?.metric?.name, child(child(path, 'metric'), 'name')));
      errs.push(...validateMetricTarget(spec.external?.target, child(path, 'target')));
      if (spec.external?.target?.value === undefined && spec.external?.target?.averageValue === undefined) {
        errs.push(required(child(child(path, 'target'), 'averageValue'), 'must set either a target value for metric or a per-pod target'));
      }
      break;
    default:
      break;
  }
  return errs;
}

function validateMetricSpec(spec: MetricSpec, path: string): Errs {
  const errs: Errs = [];
  const type = spec.type ?? '';
  if (!type) errs.push(required(child(path, 'type'), 'must specify a metric source type'));
  const present = Object.values(SOURCE_FIELD).filter((f) => spec[f] !== undefined && spec[f] !== null);
  // Only the first source given is checked in depth, as Kubernetes does.
  if (present[0]) errs.push(...validateSource(spec, present[0], child(path, present[0])));
  const expected = SOURCE_FIELD[type];
  if (!expected) {
    errs.push(notSupported(child(path, 'type'), type, METRIC_SOURCE_TYPES));
  } else if (spec[expected] === undefined || spec[expected] === null) {
    errs.push(required(child(path, expected), 'must populate information for the given metric source'));
  }
  if (present.length > 1) {
    for (const f of present) if (f !== expected) errs.push(forbidden(child(path, f), 'must populate the given metric source only'));
  }
  return errs;
}

function validateScalingRules(rules: HPAScalingRules | undefined, path: string): Errs {
  if (!rules) return [];
  const errs: Errs = [];
  const window = rules.stabilizationWindowSeconds;
  if (window !== undefined && window < 0) errs.push(invalid(child(path, 'stabilizationWindowSeconds'), window, 'must be greater than or equal to zero'));
  if (window !== undefined && window > MAX_STABILIZATION_WINDOW_SECONDS) {
    errs.push(invalid(child(path, 'stabilizationWindowSeconds'), window, `must be less than or equal to ${MAX_STABILIZATION_WINDOW_SECONDS}`));
  }
  if (rules.selectPolicy !== undefined && !(SELECT_POLICIES as readonly string[]).includes(rules.selectPolicy)) {
    errs.push(notSupported(child(path, 'selectPolicy'), rules.selectPolicy, SELECT_POLICIES));
  }
  const policies = child(path, 'policies');
  if (!rules.policies?.length) errs.push(required(policies, 'must specify at least one Policy'));
  (rules.policies ?? []).forEach((p, i) => {
    const at = index(policies, i);
    if (!(SCALING_POLICY_TYPES as readonly string[]).includes(p.type)) errs.push(notSupported(child(at, 'type'), p.type, SCALING_POLICY_TYPES));
    if (!(p.value > 0)) errs.push(invalid(child(at, 'value'), p.value, 'must be greater than zero'));
    if (!(p.periodSeconds > 0)) errs.push(invalid(child(at, 'periodSeconds'), p.periodSeconds, 'must be greater than zero'));
    if (p.periodSeconds > MAX_PERIOD_SECONDS) errs.push(invalid(child(at, 'periodSeconds'), p.periodSeconds, `must be less than or equal to ${MAX_PERIOD_SECONDS}`));
  });
  return errs;
}

function validateBehavior(b: HorizontalPodAutoscalerBehavior | undefined, path: string): Errs {
  if (!b) return [];
  return [...validateScalingRules(b.scaleUp, child(path, 'scaleUp')), ...validateScalingRules(b.scaleDown, child(path, 'scaleDown'))];
}

/** minReplicas 0 (scale to zero) is behind a feature gate Kubernetes keeps off by default: so here. */
export function validateHorizontalPodAutoscaler(hpa: HorizontalPodAutoscaler): Errs {
  const spec = hpa.spec;
  const errs: Errs = [];
  const min = spec?.minReplicas;
  const max = spec?.maxReplicas ?? 0;
  if (min !== undefined && min < 1) errs.push(invalid('spec.minReplicas', min, 'must be greater than or equal to 1'));
  if (max < 1) errs.push(invalid('spec.maxReplicas', max, 'must be greater than 0'));
  if (min !== undefined && max < min) errs.push(invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  errs.push(...validateCrossVersionObjectReference(spec?.scaleTargetRef, 'spec.scaleTargetRef'));
  (spec?.metrics ?? []).forEach((m, i) => errs.push(...validateMetricSpec(m, index('spec.metrics', i))));
  errs.push(...validateBehavior(spec?.behavior, 'spec.behavior'));
  return errs;
}

export function validateHorizontalPodAutoscalerStatus(hpa: HorizontalPodAutoscaler): Errs {
  return [
    ...nonNegative('status.currentReplicas', hpa.status?.currentReplicas),
    ...nonNegative('status.desiredReplicas', hpa.status?.desiredReplicas),
  ];
}
