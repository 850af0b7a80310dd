// HorizontalPodAutoscalers, with the columns of Kubernetes' printHorizontalPodAutoscaler:
// REFERENCE is "Kind/name", TARGETS each metric's "current/target".
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2.js';
import { formatHpaTargets, formatScaleTargetRef } from '../autoscaling.js';
import { AGE_COLUMN, NAME_COLUMN, column, created, type KindPrinter } from './columns.js';

export const horizontalpodautoscalers: KindPrinter = {
  columns: [
    NAME_COLUMN,
    column('Reference', 'string', 'scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.'),
    column('Targets', 'string', 'metrics contains the specifications for which to use to calculate the desired replica count.'),
    column('MinPods', 'string', 'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.'),
    column('MaxPods', 'integer', 'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up.'),
    column('Replicas', 'string', 'currentReplicas is current number of replicas of pods managed by this autoscaler.'),
    AGE_COLUMN,
  ],
  row(o, { now }) {
    const hpa = o as HorizontalPodAutoscaler;
    const min = hpa.spec?.minReplicas;
    return [
      hpa.metadata?.name ?? '', formatScaleTargetRef(hpa.spec?.scaleTargetRef), formatHpaTargets(hpa),
      min === undefined ? '<unset>' : String(min), hpa.spec?.maxReplicas ?? 0, String(hpa.status?.currentReplicas ?? 0), created(o, now),
    ];
  },
};
