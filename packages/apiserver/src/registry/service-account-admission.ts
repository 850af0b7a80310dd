// Kubernetes' ServiceAccount admission for pods, the pure part: the pod runs as a
// ServiceAccount ("default" unless it names one), and unless the pod or its account opts out
// (automountServiceAccountToken: false) it gets the account's credentials as kubelet mounts
// them: a projected volume `kube-api-access-XXXXX` (a bound token, the cluster CA from the
// kube-root-ca.crt ConfigMap, the namespace) at /var/run/secrets/kubernetes.io/serviceaccount
// in every container that does not mount something there already.
import { SERVICE_ACCOUNT_DIR, TOKEN_VOLUME_PREFIX, generateName, serviceAccountTokenVolume, type Container, type KubeObject, type Pod } from '@tugboat/api';

type PodObject = Pod & KubeObject;

/** The ServiceAccount a pod runs as (the deprecated spec.serviceAccount still counts). */
export function podServiceAccountName(pod: PodObject): string {
  return pod.spec?.serviceAccountName || pod.spec?.serviceAccount || 'default';
}

function withMount(c: Container, volume: string): Container {
  if ((c.volumeMounts ?? []).some((m) => m.mountPath === SERVICE_ACCOUNT_DIR)) return c;
  return { ...c, volumeMounts: [...(c.volumeMounts ?? []), { name: volume, readOnly: true, mountPath: SERVICE_ACCOUNT_DIR }] };
}

/**
 * The pod as admission leaves it: serviceAccountName set and, when `automount`, the token
 * volume and its mounts added (a pod that already has one keeps it).
 */
export function admitServiceAccount(pod: PodObject, automountDefault: boolean, random: () => number = Math.random): PodObject {
  const spec = pod.spec;
  if (!spec) return pod;
  const serviceAccountName = podServiceAccountName(pod);
  const next: PodObject = { ...pod, spec: { ...spec, serviceAccountName } };
  const automount = spec.automountServiceAccountToken ?? automountDefault;
  if (!automount) return next;
  if ((spec.volumes ?? []).some((v) => v.name.startsWith(TOKEN_VOLUME_PREFIX) && v.projected)) return next;
  const taken = new Set((spec.volumes ?? []).map((v) => v.name));
  let name = generateName(TOKEN_VOLUME_PREFIX, random);
  while (taken.has(name)) name = generateName(TOKEN_VOLUME_PREFIX, random);
  next.spec = {
    ...next.spec!,
    volumes: [...(spec.volumes ?? []), serviceAccountTokenVolume(name)],
    containers: spec.containers.map((c) => withMount(c, name)),
    ...(spec.initContainers ? { initContainers: spec.initContainers.map((c) => withMount(c, name)) } : {}),
  };
  return next;
}
