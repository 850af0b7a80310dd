// What a pod needs from the API to run: the Secrets, ConfigMaps, PersistentVolumeClaims and
// ServiceAccount it names.
// The Node authorizer lets a node read exactly these for the pods bound to it. Pure.
import type { Pod } from '@tugboat/api';

export interface PodReferences {
  readonly secrets: ReadonlySet<string>;
  readonly configMaps: ReadonlySet<string>;
  readonly claims: ReadonlySet<string>;
  readonly serviceAccount: string;
}

export function podReferences(pod: Pod): PodReferences {
  const secrets = new Set<string>();
  const configMaps = new Set<string>();
  const claims = new Set<string>();
  const spec = pod.spec;
  const add = (set: Set<string>, name: string | undefined): void => { if (name) set.add(name); };
  for (const s of spec?.imagePullSecrets ?? []) add(secrets, s.name);
  for (const v of spec?.volumes ?? []) {
    add(secrets, v.secret?.secretName);
    add(configMaps, v.configMap?.name);
    add(claims, v.persistentVolumeClaim?.claimName);
    for (const src of v.projected?.sources ?? []) {
      add(secrets, src.secret?.name);
      add(configMaps, src.configMap?.name);
    }
  }
  const containers = [...(spec?.initContainers ?? []), ...(spec?.containers ?? []), ...(spec?.ephemeralContainers ?? [])];
  for (const c of containers) {
    for (const e of c.env ?? []) {
      add(secrets, e.valueFrom?.secretKeyRef?.name);
      add(configMaps, e.valueFrom?.configMapKeyRef?.name);
    }
    for (const e of c.envFrom ?? []) {
      add(secrets, e.secretRef?.name);
      add(configMaps, e.configMapRef?.name);
    }
  }
  return { secrets, configMaps, claims, serviceAccount: spec?.serviceAccountName || 'default' };
}
