// HorizontalPodAutoscaler defaults and validation with Kubernetes' messages, through admission
// as the API server runs it; and kubectl's TARGETS column.
import test from 'ava';
import { admitObject } from '../admission.js';
import { formatFieldError } from '../errors.js';
import { formatHpaTargets } from '../autoscaling.js';

const hpa = (spec: Record<string, unknown>): Record<string, unknown> => ({
  apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: 'default' },
  spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 5, ...spec },
});
const errorsOf = (obj: unknown): string[] => {
  const r = admitObject(obj);
  return r.ok ? [] : r.errors.map(formatFieldError);
};

test('defaults: minReplicas 1, cpu at 80%, behavior filled in only when given', (t) => {
  const r = admitObject(hpa({}));
  if (!r.ok) { t.fail(r.errors.map(formatFieldError).join('; ')); return; }
  const spec = (r.object as { spec: Record<string, unknown> }).spec;
  t.is(spec['minReplicas'], 1);
  t.deepEqual(spec['metrics'], [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
  t.is(spec['behavior'], undefined);
  const b = admitObject(hpa({ behavior: { scaleDown: { policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } } }));
  if (!b.ok) { t.fail(); return; }
  t.deepEqual((b.object as { spec: { behavior: unknown } }).spec.behavior, {
    scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] },
    scaleDown: { selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
  });
});

test("Kubernetes' messages for bad specs", (t) => {
  t.deepEqual(errorsOf(hpa({ minReplicas: 0 })), ['spec.minReplicas: Invalid value: 0: must be greater than or equal to 1']);
  t.deepEqual(errorsOf(hpa({ minReplicas: 6 })), ['spec.maxReplicas: Invalid value: 5: must be greater than or equal to `minReplicas`']);
  t.deepEqual(errorsOf(hpa({ scaleTargetRef: { kind: '', name: 'a/b' } })), [
    'spec.scaleTargetRef.kind: Required value',
    "spec.scaleTargetRef.name: Invalid value: \"a/b\": may not contain '/'",
  ]);
  t.deepEqual(errorsOf(hpa({ metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 0 } } }] })),
    ['spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0']);
  t.deepEqual(errorsOf(hpa({ metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization' } } }] })),
    ['spec.metrics[0].resource.target.averageUtilization: Required value: must set either a target raw value or a target utilization']);
  t.deepEqual(errorsOf(hpa({ metrics: [{ type: 'Pods', resource: { name: 'cpu', target: { type: 'AverageValue', averageValue: '1' } } }] })), [
    'spec.metrics[0].pods: Required value: must populate information for the given metric source',
  ]);
  t.deepEqual(errorsOf(hpa({ behavior: { scaleUp: { stabilizationWindowSeconds: 4000, selectPolicy: 'Most', policies: [{ type: 'Pods', value: 0, periodSeconds: 2000 }] } } })), [
    'spec.behavior.scaleUp.stabilizationWindowSeconds: Invalid value: 4000: must be less than or equal to 3600',
    'spec.behavior.scaleUp.selectPolicy: Unsupported value: "Most": supported values: "Disabled", "Max", "Min"',
    'spec.behavior.scaleUp.policies[0].value: Invalid value: 0: must be greater than zero',
    'spec.behavior.scaleUp.policies[0].periodSeconds: Invalid value: 2000: must be less than or equal to 1800',
  ]);
});

test("TARGETS as kubectl prints it", (t) => {
  const spec = { metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }], maxReplicas: 3, scaleTargetRef: { kind: 'Deployment', name: 'w' } };
  t.is(formatHpaTargets({ spec }), 'cpu: <unknown>/50%');
  t.is(formatHpaTargets({ spec, status: { desiredReplicas: 1, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 45 } } }] } }), 'cpu: 45%/50%');
});
