// The volume through which a pod gets its ServiceAccount's credentials, as Kubernetes'
// ServiceAccount admission writes it and kubelet fills it: a bound token, the cluster CA from
// the kube-root-ca.crt ConfigMap, and the namespace, at /var/run/secrets/kubernetes.io/serviceaccount.
// The API server adds it; the agent projects it; both read this one definition.
import type { Volume } from '../types.js';
import { ROOT_CA_CONFIGMAP } from './user.js';

export const TOKEN_VOLUME_PREFIX = 'kube-api-access-';
/** kubelet's default: an hour, plus a few seconds so it is recognisable as the default. */
export const DEFAULT_TOKEN_EXPIRATION_SECONDS = 3607;

export function serviceAccountTokenVolume(name: string): Volume {
  return {
    name,
    projected: {
      defaultMode: 0o644,
      sources: [
        { serviceAccountToken: { expirationSeconds: DEFAULT_TOKEN_EXPIRATION_SECONDS, path: 'token' } },
        { configMap: { name: ROOT_CA_CONFIGMAP, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  };
}
