// Defaults of the other core kinds: Secret, Namespace, Node (pkg/apis/core/v1/defaults.go).
import type { Namespace, Node, Secret } from 'kubernetes-types/core/v1.js';

/**
 * Secret: type Opaque; stringData (write-only, plain text) is merged into data (base64) and
 * dropped, as Kubernetes does when it decodes a Secret.
 */
export function defaultSecret(s: Secret): void {
  s.type ??= 'Opaque';
  if (s.stringData) {
    s.data ??= {};
    for (const [k, v] of Object.entries(s.stringData)) s.data[k] = Buffer.from(v, 'utf8').toString('base64');
    delete s.stringData;
  }
}

/** The label Kubernetes puts on every namespace, so selectors can pick namespaces by name. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export function defaultNamespace(ns: Namespace): void {
  const name = ns.metadata?.name;
  if (name && ns.metadata) ns.metadata.labels = { ...(ns.metadata.labels ?? {}), [NAMESPACE_NAME_LABEL]: name };
}

/** A node that reports no allocatable resources can allocate all of its capacity. */
export function defaultNode(node: Node): void {
  if (node.status?.capacity && !node.status.allocatable) node.status.allocatable = { ...node.status.capacity };
}
