// A Job made from a CronJob's jobTemplate: the CronJob controller's run of one activation and
// `tctl create job --from=cronjob/NAME` (kubectl's manual run) both start from this, and differ
// only in the annotation and owner reference they add.
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from '../types.js';

export function jobFromCronJobTemplate(cj: CronJob & KubeObject, name: string, annotations: Readonly<Record<string, string>>, owner: OwnerReference): Job & KubeObject {
  const template = cj.spec?.jobTemplate ?? {};
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: cj.metadata?.namespace ?? 'default',
      labels: { ...template.metadata?.labels },
      annotations: { ...template.metadata?.annotations, ...annotations },
      ownerReferences: [owner],
    },
    spec: structuredClone(template.spec ?? { template: {} }),
  };
}
