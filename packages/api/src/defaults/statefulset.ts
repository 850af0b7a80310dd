// Kubernetes' defaults for StatefulSets (pkg/apis/apps/v1 SetDefaults_StatefulSet).
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import { defaultPodSpec } from './pod.js';

export function defaultStatefulSet(sts: StatefulSet): void {
  const spec = (sts.spec ??= { selector: {}, template: {}, serviceName: '' });
  spec.podManagementPolicy ??= 'OrderedReady';
  const strategy = (spec.updateStrategy ??= {});
  strategy.type ??= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    // Partition 0: every ordinal is updated (a higher partition holds the lower ordinals back).
    const ru = (strategy.rollingUpdate ??= {});
    ru.partition ??= 0;
  }
  const retention = (spec.persistentVolumeClaimRetentionPolicy ??= {});
  retention.whenDeleted ??= 'Retain';
  retention.whenScaled ??= 'Retain';
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  spec.minReadySeconds ??= 0;
  if (spec.template?.spec) defaultPodSpec(spec.template.spec);
  // A claim template is a PVC: Kubernetes defaults its volumeMode to Filesystem.
  for (const claim of spec.volumeClaimTemplates ?? []) {
    if (claim.spec) claim.spec.volumeMode ??= 'Filesystem';
  }
}
