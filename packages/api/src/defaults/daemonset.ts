// Kubernetes' defaults for DaemonSets (pkg/apis/apps/v1 SetDefaults_DaemonSet) and
// ReplicationControllers (pkg/apis/core/v1 SetDefaults_ReplicationController).
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { ReplicationController } from 'kubernetes-types/core/v1.js';
import { defaultPodSpec } from './pod.js';

export function defaultDaemonSet(ds: DaemonSet): void {
  const spec = (ds.spec ??= { selector: {}, template: {} });
  const strategy = (spec.updateStrategy ??= {});
  strategy.type ??= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    // One node at a time, never two pods on a node: Kubernetes' choice for node agents.
    const ru = (strategy.rollingUpdate ??= {});
    ru.maxUnavailable ??= 1;
    ru.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  if (spec.template?.spec) defaultPodSpec(spec.template.spec);
}

/**
 * An RC without a selector selects its template's labels, and without labels of its own
 * carries them too (the v1 API has always done this; apps/v1 workloads made it an error).
 */
export function defaultReplicationController(rc: ReplicationController): void {
  const spec = (rc.spec ??= {});
  const labels = spec.template?.metadata?.labels;
  if (labels) {
    if (Object.keys(spec.selector ?? {}).length === 0) spec.selector = { ...labels };
    const meta = (rc.metadata ??= {});
    if (Object.keys(meta.labels ?? {}).length === 0) meta.labels = { ...labels };
  }
  spec.replicas ??= 1;
  if (spec.template?.spec) defaultPodSpec(spec.template.spec);
}
