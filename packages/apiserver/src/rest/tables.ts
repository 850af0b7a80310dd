// meta.k8s.io Tables and PartialObjectMetadata for `kubectl get` (Accept: …;as=Table…).
// The columns are table/table.ts's (Kubernetes' printers for our kinds); this module only
// shapes the REST answers around them.
import type { KubeObject } from '@tugboat/api';
export { toTable } from '../table/table.js';

export function partialObjectMetadata(o: KubeObject, version: 'v1' | 'v1beta1'): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: o.metadata ?? {} };
}

export function partialObjectMetadataList(items: readonly KubeObject[], version: 'v1' | 'v1beta1', listMeta: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${version}`, metadata: listMeta, items: items.map((o) => partialObjectMetadata(o, version)) };
}
